"""The check of an items folder as a whole: the settings, the synced index, and every problem.

Nothing stops at the first bad file: an editor fixing a batch wants the whole list at once.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from feedsvc.index._db import Index
from feedsvc.items import (
    ITEM_SUFFIX,
    ItemFile,
    Problem,
    line_of_field,
    read_item,
    read_settings,
    scan,
)
from feedsvc.model import FeedSettings

__all__ = ["Checked", "check_items", "load_items"]


@dataclass(slots=True)
class Checked:
    """A checked items folder; `entries` holds every valid item, for small folders and tests."""

    settings: FeedSettings | None = None
    index: Index | None = None
    entries: list[ItemFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth saying, not worth stopping for

    @property
    def ok(self) -> bool:
        return self.settings is not None and not self.problems


def _cross_file(index: Index, items_dir: Path) -> list[Problem]:
    """What no single file shows: shared ids or urls, categories that name one folder."""
    problems = []
    duplicates, clashes = index.cross_file()
    for dup in duplicates:
        first = items_dir / dup.first
        line = line_of_field(first, dup.field)
        what = (
            "links to its own story"
            if dup.field == "url"
            else ("needs its own id (readers would merge the two)")
        )
        problems.append(Problem(
            items_dir / dup.again, line_of_field(items_dir / dup.again, dup.field), dup.field,
            f"{dup.value!r} is also the {dup.field} of {first}:{line}; each item {what}",
        ))  # fmt: skip
    for clash in clashes:
        first = items_dir / clash.first_path
        line = line_of_field(first, "categories")
        problems.append(Problem(
            items_dir / clash.path, line_of_field(items_dir / clash.path, "categories"),
            "categories",
            f"{clash.name!r} and {clash.first_name!r} ({first}:{line}) would share the feed "
            f"folder categories/{clash.slug}/; spell them the same",
        ))  # fmt: skip
    return problems


def check_items(
    items_dir: Path,
    cache: Path | None = None,
    processes: int | None = None,
    index: Index | None = None,
) -> Checked:
    """Read the settings and sync the index of `items_dir` (`index` when a long-running
    process keeps one open); collect every problem."""
    checked = Checked()
    settings = read_settings(items_dir)
    if isinstance(settings, FeedSettings):
        checked.settings = settings
    else:
        checked.problems.extend(settings)
    found = scan(items_dir)
    checked.problems.extend(found.problems)
    if not found.files:
        checked.problems.append(Problem(
            items_dir, 1, "folder",
            f"holds no item files (*{ITEM_SUFFIX}); add one with `feedsvc new lead \"Titre\"`",
        ))  # fmt: skip
    try:
        if index is None:
            index = Index(cache, items_dir)
        index.sync(found, processes)
    except (OSError, sqlite3.Error) as error:
        if cache is None or (index is not None and index.location is None):
            raise
        # Only a cache: a build without it is slower, never different.
        checked.notes.append(f"the cache {cache} cannot be used ({error}); reading every file")
        index = Index(None, items_dir)
        index.sync(found, processes)
    checked.index = index
    checked.problems.extend(index.problems())
    checked.problems.extend(_cross_file(index, items_dir))
    checked.problems.sort()
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
