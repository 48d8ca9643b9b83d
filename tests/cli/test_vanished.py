"""A file or folder the scan listed and that is gone when it is read: the items changed under
the build, which looks again and publishes what is there now. A file that cannot be read
for another reason is still that file's problem."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from feeds import NOW, cold_snapshot, parsed, snapshot
from helpers import BUNDLED_ITEMS, SETTINGS, age

from feedsvc.cli import main
from feedsvc.index import _pool, check_items
from feedsvc.items import _itemfile, _scan

Change = Callable[[Path], None]


@pytest.fixture
def items(tmp_path: Path) -> Path:
    """The bundled items in a month's folder, as editors file them."""
    folder = tmp_path / "items"
    month = folder / "2024" / "06"
    month.mkdir(parents=True)
    (folder / "feed.yaml").write_text(SETTINGS, encoding="utf-8")
    for path in BUNDLED_ITEMS.glob("*.md"):
        shutil.copy(path, month / path.name)
    age(folder)
    return folder


@pytest.fixture
def after_first_scan(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Change]]:
    """Changes made to the items folder once its first scan is finished, before any file
    is read: the moment an editor's rename or delete catches a build between the two."""
    changes: list[Change] = []
    real = _scan.Scanning.finish
    scans = []

    def finish(self: _scan.Scanning) -> _scan.Scan:
        found = real(self)
        scans.append(found)
        if len(scans) == 1:
            for change in changes:
                change(self.items_dir)
        return found

    monkeypatch.setattr(_scan.Scanning, "finish", finish)
    yield changes
    assert len(scans) >= 2 or not changes, "the build never looked again"


def renamed_folder(items: Path) -> None:
    os.rename(items / "2024" / "06", items / "2024" / "juin")


def moved_file(items: Path) -> None:
    month = items / "2024" / "06"
    os.rename(month / "2024-06-19-duterte-candidat-maire.md", items / "duterte.md")


def deleted_file(items: Path) -> None:
    (items / "2024" / "06" / "2024-06-19-duterte-candidat-maire.md").unlink()


def replaced_folder(items: Path) -> None:
    """The folder renamed, and a file put in its place (ENOTDIR on every path below it)."""
    renamed_folder(items)
    (items / "2024" / "06").write_text("plus un dossier\n", encoding="utf-8")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--now", NOW])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def entries(out: Path) -> set[str]:
    return {entry.title for entry in parsed(out / "public" / "atom.xml").entries}


@pytest.mark.parametrize("change", [renamed_folder, moved_file, deleted_file, replaced_folder])
def test_a_build_looks_again_at_items_gone_since_the_scan(
    items: Path, tmp_path: Path, after_first_scan: list[Change], change: Change
) -> None:
    out = tmp_path / "out"
    after_first_scan.append(change)
    code, output = invoke("build", "--items", str(items), "--out", str(out))
    assert code == 0, output
    assert "cannot be read" not in output
    # out/ is what a build of the folder as it is now writes, whole, and readers read it.
    after_first_scan.clear()
    assert snapshot(out) == cold_snapshot(items, tmp_path / "cold")
    expected = 2 if change is deleted_file else 3
    assert len(entries(out)) == expected
    for path in (out / "public").rglob("*.xml"):
        parsed(path)
    # The index holds the files where they are now: the next build changes nothing.
    indexed = check_items(items, cache=tmp_path / ".cache" / "items.sqlite3")
    assert indexed.index is not None
    assert sorted(indexed.index.paths()) == sorted(
        path.relative_to(items).as_posix() for path in items.rglob("*.md") if path.is_file()
    )
    indexed.index.close()
    code, output = invoke("build", "--items", str(items), "--out", str(out), "-v")
    assert code == 0 and "written" not in output, output


@pytest.mark.parametrize("change", [renamed_folder, deleted_file])
def test_validate_looks_again_at_items_gone_since_the_scan(
    items: Path, after_first_scan: list[Change], change: Change
) -> None:
    after_first_scan.append(change)
    code, output = invoke("validate", "--json", str(items))
    assert code == 0, output
    assert '"problems": []' in output
    assert f'"items": {2 if change is deleted_file else 3}' in output


def test_workers_items_gone_since_the_scan_are_looked_at_again(
    items: Path, tmp_path: Path, after_first_scan: list[Change], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read by the pool's worker processes, whose failure the command redoes and raises."""
    monkeypatch.setattr(_pool, "POOL_THRESHOLD", 2)
    monkeypatch.setattr(_pool, "CHUNK", 1)
    monkeypatch.setattr("feedsvc.index._pool.workers", lambda: 2)
    after_first_scan.append(renamed_folder)
    code, output = invoke("build", "--items", str(items), "--out", str(tmp_path / "out"))
    assert code == 0, output
    assert len(entries(tmp_path / "out")) == 3


def test_a_folder_that_keeps_changing_stops_the_build_in_one_line(
    items: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _scan.Scanning.finish

    def finish(self: _scan.Scanning) -> _scan.Scan:
        found = real(self)
        month = next(path for path in (items / "2024").iterdir())
        month.rename(month.with_name("06" if month.name != "06" else "juin"))
        return found

    monkeypatch.setattr(_scan.Scanning, "finish", finish)
    code, output = invoke("build", "--items", str(items), "--out", str(tmp_path / "out"))
    assert code == 1
    assert output.startswith("Error: ") and "run the build again" in output, output
    assert not (tmp_path / "out" / "public").exists()
    code, output = invoke("validate", str(items))
    assert code == 1
    assert output.startswith("Error: ") and "run the validation again" in output, output


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_an_unreadable_file_is_still_its_problem(items: Path, tmp_path: Path) -> None:
    path = items / "2024" / "06" / "2024-06-19-duterte-candidat-maire.md"
    path.chmod(0)
    try:
        code, output = invoke("build", "--items", str(items), "--out", str(tmp_path / "out"))
    finally:
        path.chmod(0o644)
    assert code == 1
    assert f"{path}:1: file: cannot be read (Permission denied)" in output


@pytest.mark.parametrize("code", [errno.EACCES, errno.EISDIR, errno.EIO, errno.ELOOP])
def test_a_file_that_cannot_be_read_otherwise_is_still_its_problem(
    items: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    """As the test above, for errors root meets too (the file itself raising them)."""
    path = items / "2024" / "06" / "2024-06-19-duterte-candidat-maire.md"
    real = _itemfile._read_regular

    def read(where: Path) -> bytes | str:
        if where == path:
            raise OSError(code, os.strerror(code), str(where))
        return real(where)

    monkeypatch.setattr(_itemfile, "_read_regular", read)
    result, output = invoke("build", "--items", str(items), "--out", str(tmp_path / "out"))
    assert result == 1
    assert f"{path}:1: file: cannot be read ({os.strerror(code)})" in output
    assert not (tmp_path / "out" / "public").exists()


def test_a_folder_gone_before_it_is_listed_is_looked_for_again(
    items: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Renamed between its parent's listing and its own: listed again, found by its new name."""
    real = _scan._visit
    month = str(items / "2024" / "06")
    renamed = []

    def visit(prefix: str, folder: str, *rest: Any) -> None:
        if folder == month and not renamed:
            renamed_folder(items)
            renamed.append(folder)
        real(prefix, folder, *rest)

    monkeypatch.setattr(_scan, "_visit", visit)
    code, output = invoke("build", "--items", str(items), "--out", str(tmp_path / "out"))
    assert renamed and code == 0, output
    assert len(entries(tmp_path / "out")) == 3


def test_a_folder_gone_at_every_listing_stops_the_build_in_one_line(
    items: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never published short of the folder's items: the build says the folder keeps changing."""
    moved_file(items)  # an item outside the folder, which alone would make a feed
    real = _scan._visit

    def visit(prefix: str, folder: str, *rest: Any) -> None:
        month = next(path for path in (items / "2024").iterdir() if path.is_dir())
        if folder == str(month):
            month.rename(month.with_name("06" if month.name != "06" else "juin"))
        real(prefix, folder, *rest)

    monkeypatch.setattr(_scan, "_visit", visit)
    code, output = invoke("build", "--items", str(items), "--out", str(tmp_path / "out"))
    assert code == 1
    assert output.startswith("Error: ") and "run the build again" in output, output
    assert not (tmp_path / "out" / "public").exists()
