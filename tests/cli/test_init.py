"""`feedsvc init`: a new site that `feedsvc build` accepts at once, and explains itself."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from feeds import NOW, build, parsed

from feedsvc.cli import main


def test_a_new_site_builds_at_once_with_its_examples_as_drafts(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = CliRunner().invoke(main, ["init", str(site)])
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*")) == [
        ".gitignore", "items", "items/exemple-lead.md", "items/exemple-teaser.md",
        "items/feed.yaml",
    ]  # fmt: skip
    assert ".cache/" in (site / ".gitignore").read_text(encoding="utf-8").splitlines()
    out = site / "out"
    built = build(site / "items", out)
    assert built.exit_code == 0, built.output
    assert built.stderr == ""  # no problem, no warning
    assert "2 items valid: 0 live, 2 drafts, 0 scheduled" in built.stdout
    assert parsed(out / "public" / "atom.xml").entries == []


def test_every_setting_is_there_and_valid_once_uncommented(tmp_path: Path) -> None:
    assert CliRunner().invoke(main, ["init", str(tmp_path)]).exit_code == 0
    settings = tmp_path / "items" / "feed.yaml"
    text = settings.read_text(encoding="utf-8")
    optional = text.split("# Optional settings", 1)[1]
    uncommented = re.sub(r"(?m)^# ([a-z_]+:)", r"\1", optional.split("\n", 1)[1])
    settings.write_text(text.split("# Optional settings")[0] + uncommented, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "items"), "--now", NOW])
    assert result.exit_code == 0, result.output
    from feedsvc.model import FeedSettings

    written = {line.split(":")[0] for line in text.splitlines() if re.match(r"#? ?[a-z_]+:", line)}
    written = {name.lstrip("# ") for name in written}
    assert written >= set(FeedSettings.model_fields)


def test_init_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "items").mkdir()
    (tmp_path / "items" / "feed.yaml").write_text("mine", encoding="utf-8")
    (tmp_path / ".gitignore").write_text("mine\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'items' / 'feed.yaml'} already exists" in result.output
    assert sorted(p.name for p in (tmp_path / "items").iterdir()) == ["feed.yaml"]
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == "mine\n"


def test_init_refuses_an_items_folder(tmp_path: Path) -> None:
    """`feedsvc init items` in a site (or `init` inside its items/) would nest items/items/."""
    assert CliRunner().invoke(main, ["init", str(tmp_path)]).exit_code == 0
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = CliRunner().invoke(main, ["init", str(tmp_path / "items")])
    assert result.exit_code == 1
    assert "is the items folder of a site already" in result.output
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
