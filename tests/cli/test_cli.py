"""The `feedsvc` command as a user meets it: exit codes, messages, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import BUNDLED_ITEMS, LEAD, TEASER, WriteItem

from feedsvc.cli import main
from feedsvc.index import load_items

BROKEN_FILES = {
    "bad-yaml.md": b"---\ntitle: [oops\n---\n",
    "no-front-matter.md": b"Bonjour\n",
    "naive-date.md": LEAD.replace("+09:00", "").encode(),
    "control-char.md": LEAD.replace("Un article complet", "Un\x07article").encode(),
    "teaser-body.md": (TEASER + "Un corps.\n").encode(),
    "latin-1.md": "---\ntitle: Corée\n---\n".encode("latin-1"),
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedsvc", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error::RuntimeWarning"},
        check=False,
    )


def test_validate_bundled_items_exits_0() -> None:
    result = CliRunner().invoke(main, ["validate", str(BUNDLED_ITEMS)])
    assert result.exit_code == 0, result.output
    assert "3 items valid: 3 live" in result.output


def test_validate_reports_every_broken_file_and_exits_1(write_item: WriteItem) -> None:
    for name, content in BROKEN_FILES.items():
        write_item(name, "").write_bytes(content)
    write_item("dup-a.md", TEASER)
    items_dir = write_item("dup-b.md", TEASER).parent
    result = run("validate", str(items_dir))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    for name in [*BROKEN_FILES, "dup-b.md"]:
        assert any(line.startswith(f"{items_dir / name}:") for line in lines), name
    assert f"{items_dir / 'naive-date.md'}:5: published: " in result.stderr
    assert "7 problems found" in result.stderr


def test_unreadable_file_is_a_problem_not_a_traceback(
    write_item: WriteItem, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_item("locked.md", LEAD)
    real_open = os.open

    def refuse(name: str, *args: int, **kwargs: int) -> int:
        if os.path.basename(name) == "locked.md":  # chmod 0 would not stop root
            raise PermissionError(13, "Permission denied", name)
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    result = CliRunner().invoke(main, ["validate", str(path.parent)])
    assert result.exit_code == 1
    assert f"{path}:1: file: cannot be read (Permission denied)" in result.output


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("validate", str(tmp_path / "missing")).returncode == 2
    assert run("frobnicate").returncode == 2
    result = run("validate", str(BUNDLED_ITEMS), "--now", "tomorrow")
    assert result.returncode == 2
    assert "not ISO 8601" in result.stderr


def test_empty_folder_and_missing_settings_exit_1(tmp_path: Path) -> None:
    result = run("validate", str(tmp_path))
    assert result.returncode == 1
    assert "feed settings file is missing" in result.stderr
    assert "holds no item files" in result.stderr
    assert "Traceback" not in result.stderr


def test_drafts_and_scheduled_items_are_counted(write_item: WriteItem) -> None:
    write_item("a.md", LEAD.replace("kind: lead", "kind: lead\ndraft: true"))
    items_dir = write_item("b.md", TEASER).parent
    result = CliRunner().invoke(
        main, ["validate", str(items_dir), "--now", "2024-06-19T06:00:00+00:00"]
    )
    assert result.exit_code == 0
    assert result.output == (
        f"2 items valid: 0 live, 1 draft, 1 scheduled ({items_dir / 'b.md'} at "
        "2024-06-19T15:00:00+08:00).\n"
    )


@pytest.mark.parametrize("command", ["validate", "schema", "new"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"feedsvc {command}" in result.output


def test_schema_describes_front_matter_without_the_body() -> None:
    result = CliRunner().invoke(main, ["schema", "item"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    lead = schema["$defs"]["Lead"]
    assert "body" not in lead["properties"]
    assert "summary" in lead["properties"] and "summary" not in lead["required"]
    assert "id" not in lead["required"]
    assert set(schema["$defs"]["Teaser"]["required"]) >= {"summary", "title", "url", "kind"}
    assert lead["properties"]["access"]["enum"] == ["public", "members"]
    assert lead["additionalProperties"] is False
    settings = json.loads(CliRunner().invoke(main, ["schema", "settings"]).output)
    assert {"title", "site_url", "public_url", "publisher"} <= set(settings["required"])
    assert settings["properties"]["limit"]["default"] == 50


def test_new_writes_a_valid_draft_named_from_the_title(items_dir: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main, ["new", "lead", "Corée du Nord : l'été", "--items", str(items_dir)]
    )
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip())
    assert path.parent == items_dir
    assert path.name.endswith("-coree-du-nord-l-ete.md")
    assert path.name[:4].isdigit()
    store = load_items(items_dir)
    assert store.problems == []
    (entry,) = store.entries
    assert entry.item.title == "Corée du Nord : l'été"
    assert entry.item.draft is True
    assert entry.item.url.startswith("https://www.example.com/")

    path.write_text("édité à la main", encoding="utf-8")
    again = runner.invoke(main, ["new", "lead", "Corée du Nord : l'été", "--items", str(items_dir)])
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert path.read_text(encoding="utf-8") == "édité à la main"


def test_new_teaser_validates_and_refuses_a_title_without_letters(items_dir: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["new", "teaser", "Brève", "--items", str(items_dir)]).exit_code == 0
    assert load_items(items_dir).problems == []
    result = runner.invoke(main, ["new", "teaser", "???", "--items", str(items_dir)])
    assert result.exit_code == 2
    assert "no letters or digits" in result.output
