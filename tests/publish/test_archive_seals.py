"""Sealed archives: a no-op looks at none of them, and what a seal still notices."""

from __future__ import annotations

import errno
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from archived import ITEMS, lead, setup
from feeds import build, cold_snapshot, snapshot
from helpers import WriteItem

from feedsvc.publish import _build


def _listed_week_folders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from feedsvc.publish import _listing

    listed: list[str] = []
    list_out = _listing.list_out

    def counted(*args: Any, **kwargs: Any) -> _listing.Listing:
        listing = list_out(*args, **kwargs)
        listed.extend(rel for rel in listing.folders if "/archive/" in rel)
        return listing

    monkeypatch.setattr(_build, "list_out", counted)
    return listed


def _built(
    items_dir: Path, write_item: WriteItem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, list[str]]:
    """out/ built from the archive's items, and the week folders later builds list."""
    return _built_once(items_dir, write_item, tmp_path), _listed_week_folders(monkeypatch)


def _built_once(items_dir: Path, write_item: WriteItem, tmp_path: Path) -> Path:
    """out/, built once from the archive's items."""
    setup(items_dir, write_item)
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    return out


def _edit_c(write_item: WriteItem) -> None:
    write_item("c.md", lead(*ITEMS[2]).replace("Résumé c.", "Résumé c, corrigé."))


def test_a_no_op_looks_at_no_archive_and_an_edit_at_its_feeds_only(
    items_dir: Path, write_item: WriteItem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Thousands of week folders at 100,000 items: a no-op must not list them, an edit only
    # those of the feeds it changes (main, members', its categories').
    out, listed = _built(items_dir, write_item, tmp_path, monkeypatch)
    again = build(items_dir, out, "--verbose")
    assert again.exit_code == 0 and "written" not in again.output
    assert listed == []
    _edit_c(write_item)
    assert build(items_dir, out).exit_code == 0
    assert {rel.partition("archive/")[0] for rel in listed} == {
        "public/", "members/", "public/categories/japon/",
    }  # fmt: skip
    assert snapshot(out) == cold_snapshot(items_dir, tmp_path / "cold")


def test_an_edit_looks_at_the_weeks_it_changes_only(
    items_dir: Path, write_item: WriteItem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 209 weeks a feed at 100,000 items: an edit lists, keys and reports the week folders
    # it changes (its own week, in each feed it changes), not every week of those feeds,
    # and the summary still counts every file.
    out, listed = _built(items_dir, write_item, tmp_path, monkeypatch)
    _edit_c(write_item)
    edited = build(items_dir, out, "--json")
    assert edited.exit_code == 0
    feeds = ("public/", "members/", "public/categories/japon/")
    assert {rel for rel in listed if _WEEK.search(rel)} == {f"{f}archive/2024-W12/" for f in feeds}
    report = json.loads(edited.output)
    reported = [Path(file["path"]).relative_to(out) for file in report["files"]]
    assert {f"{path.parent}/" for path in reported if "archive" in path.parts} == {
        f"{f}archive/2024-W12/" for f in feeds
    }
    on_disk = [path for path in out.rglob("*") if path.is_file() and not path.name.startswith(".")]
    assert len(report["files"]) + report["counts"]["sealed"] == len(on_disk)
    assert snapshot(out) == cold_snapshot(items_dir, tmp_path / "cold")


_WEEK = re.compile(r"/archive/\d{4}-W\d\d/$")

# Inside a week's folder, which a no-op does not look at: noticed by the next build that
# changes that feed's archives, whichever weeks it changes.
FILE_DAMAGES: dict[str, Callable[[Path], None]] = {
    "edited in place": lambda file: file.write_bytes(
        file.read_bytes().replace(b"Article", b"Artikel")
    ),
    "truncated": lambda file: file.write_bytes(file.read_bytes()[:100]),
    "deleted": lambda file: file.unlink(),
    "replaced": lambda file: _replace(file, b"<feed/>"),
}


def _replace(file: Path, data: bytes) -> None:
    """As an atomic write does: another file renamed over it."""
    file.with_name("new").write_bytes(data)
    file.with_name("new").replace(file)


@pytest.mark.parametrize("damage", FILE_DAMAGES, ids=list(FILE_DAMAGES))
def test_an_archive_file_damaged_in_a_sealed_week_is_put_back_by_the_next_edit_of_its_feed(
    damage: str, items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    out = _built_once(items_dir, write_item, tmp_path)
    assert build(items_dir, out).exit_code == 0  # sealed
    FILE_DAMAGES[damage](out / "public/archive/2024-W10/atom.xml")
    write_item("g.md", lead(*ITEMS[6]).replace("Résumé g.", "Résumé g, corrigé."))  # week 13
    assert build(items_dir, out).exit_code == 0
    assert snapshot(out) == cold_snapshot(items_dir, tmp_path / "cold")


ARCHIVE_DAMAGES: dict[str, Callable[[Path], None]] = {
    "out/ removed": lambda out: shutil.rmtree(out),
    "a feed's archives removed": lambda out: shutil.rmtree(out / "public/categories/asie/archive"),
    "a week's folder removed": lambda out: shutil.rmtree(out / "members/archive/2024-W12"),
    "a week's folder renamed": lambda out: (out / "public/archive/2024-W10").rename(
        out / "public/archive/2024-W11"
    ),
}


@pytest.mark.parametrize("damage", ARCHIVE_DAMAGES, ids=list(ARCHIVE_DAMAGES))
def test_a_no_op_puts_back_archive_folders_removed_or_renamed(
    damage: str, items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    out = _built_once(items_dir, write_item, tmp_path)
    assert build(items_dir, out).exit_code == 0  # sealed
    ARCHIVE_DAMAGES[damage](out)
    assert build(items_dir, out).exit_code == 0
    assert snapshot(out) == cold_snapshot(items_dir, tmp_path / "cold")


def test_archives_turned_off_then_on_again_are_written_again(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    # Their seals go with them: the same items sealed before must not pass for written.
    setup(items_dir, write_item)
    out, settings = tmp_path / "out", items_dir / "feed.yaml"
    with_archives = settings.read_text(encoding="utf-8")
    assert build(items_dir, out).exit_code == 0
    settings.write_text(with_archives.replace("archives: true\n", ""), encoding="utf-8")
    assert build(items_dir, out).exit_code == 0
    assert not list(out.rglob("archive"))
    settings.write_text(with_archives, encoding="utf-8")
    assert build(items_dir, out).exit_code == 0
    assert snapshot(out) == cold_snapshot(items_dir, tmp_path / "cold")


@pytest.mark.parametrize("unseals", [True, False], ids=["index written", "index unwritable"])
def test_a_build_stopped_while_writing_archives_leaves_no_seal_over_them(
    unseals: bool,
    items_dir: Path,
    write_item: WriteItem,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An edit stopped once its archives are written, before the index records them, then
    # undone: the archives' seal is the one from before the edit again, but the files on
    # disk are the edit's.
    from feedsvc.index import Index

    out = _built_once(items_dir, write_item, tmp_path)
    original = (items_dir / "a.md").read_text(encoding="utf-8")
    write_item("a.md", original.replace("Résumé a.", "Résumé a, corrigé."))

    def stopping(self: Index, path: str, *args: object) -> None:
        if "/archive/" in path:
            raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(Index, "remember", stopping)
        if not unseals:  # as when the index cannot be written: the seal stays
            patched.setattr(Index, "unseal", lambda self, *keep: None)
        assert build(items_dir, out).exit_code != 0
    assert b"corrig" in (out / "public/archive/2024-W10/atom.xml").read_bytes()
    write_item("a.md", original)
    assert build(items_dir, out).exit_code == 0
    assert snapshot(out) == cold_snapshot(items_dir, tmp_path / "cold")


def test_a_no_op_counts_the_sealed_archives_among_the_current_files(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    # Not looked at is not gone: the summary still speaks of every file the build owns.
    setup(items_dir, write_item)
    out = tmp_path / "out"
    first = build(items_dir, out)
    assert first.exit_code == 0
    written = int(re.search(r": (\d+) files, \1 written", first.output)[1])  # type: ignore[index]
    archives = [path for path in out.rglob("*") if path.is_file() and "/archive/" in str(path)]
    assert archives
    again = build(items_dir, out, "--json")
    assert again.exit_code == 0
    counts = json.loads(again.output)["counts"]
    assert counts["sealed"] == len(archives)
    assert counts["unchanged"] + counts["sealed"] == written
    assert f"nothing changed ({written} files current)" in build(items_dir, out).output
