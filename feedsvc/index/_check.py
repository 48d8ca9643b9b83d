"""The check of an items folder as a whole: the settings, the synced index, and every problem.

Nothing stops at the first bad file: an editor fixing a batch wants the whole list at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from feedsvc.errors import CacheDamaged, ChangedDuringBuild
from feedsvc.index._damage import DAMAGE, is_damage
from feedsvc.index._db import Index
from feedsvc.items import (
    ITEM_SUFFIX,
    ItemFile,
    Problem,
    Scan,
    Scanning,
    line_of_field,
    read_item,
    read_settings,
    scan,
)
from feedsvc.model import FeedSettings, microseconds

if TYPE_CHECKING:
    from feedsvc._progress import Progress

Found = tuple[list[Problem], list[Problem]]  # errors, and warnings (drafts, scheduled items)

__all__ = ["Checked", "check_items", "load_items"]


@dataclass(slots=True)
class Checked:
    """A checked items folder; `entries` holds every valid item, for small folders and tests."""

    settings: FeedSettings | None = None
    index: Index | None = None
    entries: list[ItemFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Problems of drafts and scheduled items: reported, but the others are published.
    warnings: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)  # files that look like items, unread
    notes: list[str] = field(default_factory=list)  # worth saying, not worth stopping for

    @property
    def ok(self) -> bool:
        return self.settings is not None and not self.problems


def _cross_file(index: Index, items_dir: Path, now: int) -> Found:
    """What no single file shows: shared ids or urls, categories that name one folder. A
    warning while one of the two files is a draft or scheduled: the live one is fine alone."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    duplicates, clashes = index.cross_file()
    for dup in duplicates:
        first = items_dir / dup.first
        line = line_of_field(first, dup.field)
        what = (
            "links to its own story"
            if dup.field == "url"
            else ("needs its own id (readers would merge the two)")
        )
        pending = index.pending(dup.first, now) or index.pending(dup.again, now)
        (warnings if pending else problems).append(Problem(
            items_dir / dup.again, line_of_field(items_dir / dup.again, dup.field), dup.field,
            f"{dup.value!r} is also the {dup.field} of {first}:{line}; each item {what}",
        ))  # fmt: skip
    for clash in clashes:
        first = items_dir / clash.first_path
        line = line_of_field(first, "categories")
        pending = index.pending(clash.first_path, now) or index.pending(clash.path, now)
        (warnings if pending else problems).append(Problem(
            items_dir / clash.path, line_of_field(items_dir / clash.path, "categories"),
            "categories",
            f"{clash.name!r} and {clash.first_name!r} ({first}:{line}) would share the feed "
            f"folder categories/{clash.slug}/; spell them the same",
        ))  # fmt: skip
    return problems, warnings


def _found(index: Index, items_dir: Path, now: int) -> Found:
    errors, warnings = index.problems(now)
    cross_errors, cross_warnings = _cross_file(index, items_dir, now)
    return errors + cross_errors, warnings + cross_warnings


def _synced(
    cache: Path | None,
    items_dir: Path,
    found: Scan,
    processes: int | None,
    progress: Progress | None,
    now: int,
    index: Index | None = None,
) -> tuple[Index, Found]:
    """The index of `items_dir` (a new one unless given), synced, and what it holds of
    problems; a damaged one is emptied and filled again from the files.

    Raises ChangedDuringBuild when a file listed by `found` is gone: the caller scans again.
    """
    if index is None:
        index = Index(cache, items_dir)
        try:
            return _synced(cache, items_dir, found, processes, progress, now, index)
        except ChangedDuringBuild:
            index.close()  # its sync was rolled back: nothing of it is kept
            raise
    try:
        index.sync(found, processes, progress)
    except DAMAGE as error:
        if not is_damage(error):
            raise
        index.discard(str(error))
        index.sync(found, processes, progress)
    try:
        problems = _found(index, items_dir, now)
        index.checked()  # the sums a change checks beside it, before anything is reported
        return index, problems
    except CacheDamaged:  # noticed only now, and emptied: filled again, once
        index.sync(found, processes, progress)
        problems = _found(index, items_dir, now)
        index.checked()
        return index, problems


def check_items(
    items_dir: Path,
    cache: Path | None = None,
    processes: int | None = None,
    progress: Progress | None = None,
    now: int | None = None,
    index: Index | None = None,
    scanning: Scanning | None = None,
) -> Checked:
    """Read the settings and sync the index of `items_dir` (`index` when a long-running
    process keeps one open; `scanning` when its scan has begun); collect every problem, those
    of items not yet live at `now` (default: the clock) as warnings.

    Raises ChangedDuringBuild when a file the scan listed is gone when it is read."""
    if now is None:
        now = microseconds(datetime.now().astimezone())
    checked = Checked()
    settings = read_settings(items_dir)
    if isinstance(settings, FeedSettings):
        checked.settings = settings
    else:
        checked.problems.extend(settings)
    found = scan(items_dir) if scanning is None else scanning.finish()
    if progress is not None:
        progress("scan", found.count, found.count)
    checked.problems.extend(found.problems)
    checked.skipped.extend(found.skipped)
    if not found.folders:
        checked.problems.append(Problem(
            items_dir, 1, "folder",
            f"holds no item files (*{ITEM_SUFFIX}); add one with `feedsvc new lead \"Titre\"`",
        ))  # fmt: skip
    try:
        index, (problems, warnings) = _synced(
            cache, items_dir, found, processes, progress, now, index
        )
        if index.damage is not None:
            checked.notes.append(index.damaged_note())
    except (OSError, CacheDamaged, *DAMAGE) as error:
        if cache is None:
            raise
        # Only a cache: a build without it is slower, never different.
        checked.notes.append(f"the cache {cache} cannot be used ({error}); reading every file")
        index = Index(None, items_dir)
        index.sync(found, processes, progress)
        problems, warnings = _found(index, items_dir, now)
    checked.index = index
    checked.problems.extend(problems)
    checked.warnings.extend(warnings)
    checked.problems.sort()
    checked.warnings.sort()
    return checked


def load_items(items_dir: Path) -> Checked:
    """Check `items_dir` and read every valid item: for small folders, tools and tests."""
    checked = check_items(items_dir, processes=1)
    assert checked.index is not None
    for path in checked.index.paths():
        read = read_item(items_dir / path)
        if isinstance(read, ItemFile):
            checked.entries.append(read)
    return checked
