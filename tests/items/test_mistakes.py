"""User mistakes around the build itself: each ends in a clear message, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from feeds import build, cold_snapshot, snapshot
from helpers import BUNDLED_ITEMS, LEAD, TEASER, WriteItem

from feedsvc.index import check_items


def test_files_feedsvc_did_not_write_are_never_removed(bundled_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for name in ("podcast/rss.xml", "archives/2023/index.html", "categories/x/y/atom.xml"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("not feedsvc's", encoding="utf-8")
    result = build(bundled_copy, out)
    assert result.exit_code == 0 and "removed" not in result.output
    for name in ("podcast/rss.xml", "archives/2023/index.html", "categories/x/y/atom.xml"):
        assert (out / name).read_text(encoding="utf-8") == "not feedsvc's"
    assert build(bundled_copy, out, "--check").exit_code == 0


def test_invalid_items_leave_no_out_folder_behind(write_item: WriteItem, tmp_path: Path) -> None:
    items_dir = write_item("bad.md", "no front matter").parent
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 1
    assert not out.exists()


def test_a_file_that_becomes_readable_is_read_again(
    write_item: WriteItem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_item("a.md", LEAD)
    cache = tmp_path / "cache"
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    real = os.open

    def refuse(name: str, *args: int, **kwargs: int) -> int:
        if os.path.basename(name) == "a.md":
            raise PermissionError(13, "Permission denied", name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)  # tests run as root, for whom chmod is no bar
    assert "cannot be read" in str(check_items(path.parent, cache / "i.sqlite3").problems)
    monkeypatch.undo()
    # Same size, same mtime, now readable: the index must not keep the old verdict.
    assert check_items(path.parent, cache / "i.sqlite3").problems == []


def test_a_file_name_that_is_not_utf8_is_a_problem(write_item: WriteItem, tmp_path: Path) -> None:
    items_dir = write_item("ok.md", TEASER).parent
    name = os.path.join(os.fsencode(items_dir), b"caf\xe9.md")  # Latin-1, not UTF-8
    with open(name, "wb") as file:
        file.write(TEASER.encode())
    result = build(items_dir, tmp_path / "out")
    assert result.exit_code == 1
    assert "has a name that is not UTF-8" in result.output


def test_an_unusable_cache_is_skipped_with_a_note(bundled_copy: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    out = tmp_path / "out"
    result = build(bundled_copy, out, "--cache", str(blocker / "cache"))
    assert result.exit_code == 0, result.output
    assert "note: the cache" in result.output and "reading every file" in result.output
    cold = tmp_path / "cold"
    assert snapshot(out) == cold_snapshot(bundled_copy, cold)


def test_check_with_a_folder_where_a_feed_should_be(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(BUNDLED_ITEMS, out).exit_code == 0
    (out / "public" / "rss.xml").unlink()
    (out / "public" / "rss.xml").mkdir()
    result = build(BUNDLED_ITEMS, out, "--check")
    assert result.exit_code == 1
    assert f"differs   {out / 'public/rss.xml'}" in result.output
    written = build(BUNDLED_ITEMS, out)
    assert written.exit_code == 1
    assert "cannot write to" in written.output and "Traceback" not in written.output
