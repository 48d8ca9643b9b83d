"""A large items folder is listed and stat'ed by two processes; what they find is what one
would find."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from feedsvc.index._changes import folder_digest
from feedsvc.items import Scan, scan
from feedsvc.items import _scan as scan_module
from feedsvc.items import _stats as stats_module


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(stats_module, "workers", lambda: 2)  # split even on a one-core runner
    items = tmp_path / "items"
    for year in range(2020, 2026):
        for month in range(1, 5):
            folder = items / str(year) / f"{month:02d}"
            folder.mkdir(parents=True)
            for day in range(1, 4):
                (folder / f"{year}-{month:02d}-{day:02d}-article.md").write_text(f"{year}{day}")
    (items / "2021" / "03" / ".swap.md").write_text("skipped")
    (items / "2022" / "02" / "notes.txt").write_text("not an item")
    os.symlink(tmp_path, items / "2023" / "01" / "outside")
    os.symlink(items / "2024" / "01", items / "2024" / "lien")
    bad = os.fsencode(items / "2025" / "04") + b"/caf\xe9.md"
    with open(bad, "wb") as file:
        file.write(b"latin-1 name")
    return items


@pytest.mark.parametrize("early", [False, True])
def test_a_split_walk_finds_what_one_walk_finds(tree: Path, early: bool) -> None:
    whole = scan(tree, split_after=None)
    split = scan(tree, split_after=0, early=early)
    assert len(whole.files) == 6 * 4 * 3
    assert split.files == whole.files
    assert split.folders == whole.folders
    assert sorted(split.problems) == sorted(whole.problems)
    assert sorted(split.skipped) == sorted(whole.skipped)
    # The digest of each folder's names, taken by an early helper, is the one taken here.
    assert [folder_digest(folder) for folder in split.folders] == [
        folder_digest(folder) for folder in whole.folders
    ]
    if early:
        assert all(folder.names_hash for folder in split.folders)
    assert {problem.message.split(";")[0] for problem in whole.problems} == {
        "is a link to outside the items folder",
        "has a name that is not UTF-8",
    }


def die_in_helpers(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> None:
    """`module.name` ends any helper process that calls it; this process still runs it."""
    parent, real = os.getpid(), getattr(module, name)

    def dying(*args: object) -> object:
        if os.getpid() != parent:
            os._exit(3)
        return real(*args)

    monkeypatch.setattr(module, name, dying)


@pytest.mark.parametrize("early", [False, True])
def test_a_helper_that_dies_leaves_its_files_to_the_parent(
    tree: Path, monkeypatch: pytest.MonkeyPatch, early: bool
) -> None:
    die_in_helpers(monkeypatch, stats_module, "stat_jobs")  # early: once it sent its listing
    assert scan(tree, split_after=0, early=early).files == scan(tree, split_after=None).files


def test_a_helper_that_dies_before_its_listing_leaves_the_walk_to_the_parent(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    die_in_helpers(monkeypatch, scan_module, "_visit")
    assert scan(tree, split_after=0, early=True).files == scan(tree, split_after=None).files


def scanned_across(
    tree: Path, monkeypatch: pytest.MonkeyPatch, split_after: int | None,
    change: Callable[[], None],
) -> tuple[Scan, Scan]:  # fmt: skip
    """A scan of `tree` during which `change` runs between the listing and the stats, and a
    scan of the tree as it is after."""
    real = stats_module.stat_all

    def meanwhile(*args: object) -> object:
        change()
        monkeypatch.setattr(stats_module, "stat_all", real)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(stats_module, "stat_all", meanwhile)
    return scan(tree, split_after=split_after), scan(tree, split_after=None)


def helper_shares(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of files each helper process stats, as its results come back."""
    shares: list[int] = []
    real = stats_module.Helper.take

    def counting(helper: stats_module.Helper) -> object:
        part = real(helper)
        if isinstance(part, list):  # not the listing, which comes first from an early helper
            shares.append(sum(len(values) // stats_module.TAKEN for values, _ in part))
        return part

    monkeypatch.setattr(stats_module.Helper, "take", counting)
    return shares


@pytest.mark.parametrize("early", [False, True])
def test_a_helper_sends_its_share(tree: Path, monkeypatch: pytest.MonkeyPatch, early: bool) -> None:
    shares = helper_shares(monkeypatch)
    scan(tree, split_after=0, early=early)
    assert len(shares) == 1 and 0 < shares[0] < 6 * 4 * 3


def test_an_early_helper_lists_every_folder_and_this_process_none(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent, listed_here = os.getpid(), []
    real = scan_module._visit

    def visit(*args: object) -> None:
        if os.getpid() == parent:
            listed_here.append(args[1])
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(scan_module, "_visit", visit)
    assert len(scan(tree, split_after=0, early=True).files) == 6 * 4 * 3
    assert listed_here == []
    assert len(scan(tree, split_after=0).files) == 6 * 4 * 3
    assert len(listed_here) == 1 + 6 + 6 * 4  # the top, the years, the months


def test_an_entry_that_cannot_be_read_is_reported_and_the_folder_still_walked(
    tree: Path,
) -> None:
    folder = tree / "2022" / "03"
    os.symlink("boucle", folder / "boucle")  # a link to itself: ELOOP when followed
    found = scan(tree, split_after=None)
    assert len(found.files) == 6 * 4 * 3  # every file, in that folder and the others
    (loop,) = [problem for problem in found.problems if problem.path.name == "boucle"]
    assert loop.message.startswith("cannot be read (")


def test_a_helper_that_cannot_start_leaves_the_walk_to_the_parent(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(stats_module.Helper, "__init__", refuse)
    assert scan(tree, split_after=0).files == scan(tree, split_after=None).files


def test_one_flat_folder_is_shared_by_two_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stats_module, "workers", lambda: 2)
    flat = tmp_path / "flat"
    flat.mkdir()
    for number in range(40):
        (flat / f"2024-06-{number:02d}-article.md").write_text(str(number))
    shares = helper_shares(monkeypatch)
    split = scan(flat, split_after=0)
    assert shares == [20]
    assert split.files == scan(flat, split_after=None).files
    assert len(split.files) == 40 and [folder.prefix for folder in split.folders] == [""]


@pytest.mark.parametrize("split_after", [None, 0])
def test_files_that_change_between_listing_and_stat_are_found_as_they_now_are(
    tree: Path, monkeypatch: pytest.MonkeyPatch, split_after: int | None
) -> None:
    folder = tree / "2021" / "02"

    def files_change() -> None:
        (folder / "2021-02-01-article.md").unlink()
        (folder / "2021-02-02-article.md").unlink()
        (folder / "2021-02-02-article.md").mkdir()  # now a folder, holding an item
        (folder / "2021-02-02-article.md" / "dedans.md").write_text("x")
        (folder / "2021-02-03-article.md").unlink()
        os.symlink(tree / "2020" / "01" / "2020-01-01-article.md", folder / "2021-02-03-article.md")

    raced, again = scanned_across(tree, monkeypatch, split_after, files_change)
    assert raced.files == again.files
    assert "2021/02/2021-02-01-article.md" not in raced.files
    assert "2021/02/2021-02-02-article.md/dedans.md" in raced.files
    assert "2021/02/2021-02-03-article.md" in raced.files  # a link inside the folder: an item
    assert sorted(raced.skipped) == sorted(again.skipped)


@pytest.mark.parametrize("split_after", [None, 0])
def test_a_folder_moved_between_listing_and_stat_is_found_where_it_went(
    tree: Path, monkeypatch: pytest.MonkeyPatch, split_after: int | None
) -> None:
    """`feedsvc build` lists the folders before its imports and stats the files after them:
    a folder renamed meanwhile (its new name sorted before, or listed already) would leave
    its items out of the build as if deleted; one replaced by a file would be a problem."""

    def folders_move() -> None:
        (tree / "2025" / "04").rename(tree / "2020" / "avril")
        shutil.rmtree(tree / "2024" / "04")
        (tree / "2024" / "04").write_text("not a folder any more")

    raced, again = scanned_across(tree, monkeypatch, split_after, folders_move)
    assert raced.files == again.files
    assert "2020/avril/2025-04-01-article.md" in raced.files
    assert sorted(raced.problems) == sorted(again.problems)
