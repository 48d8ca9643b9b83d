"""The items folder as a whole: the settings, the index of its files, and every problem.

Nothing stops at the first bad file: an editor fixing a batch wants the whole list at once.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from feedsvc import itemfile
from feedsvc.index import Index
from feedsvc.itemfile import ITEM_SUFFIX, ItemFile
from feedsvc.models import FeedSettings
from feedsvc.problems import Problem
from feedsvc.scan import scan


@dataclass(slots=True)
class Store:
    """A checked items folder; `entries` holds every valid item, for small folders and tests."""

    settings: FeedSettings | None = None
    index: Index | None = None
    entries: list[ItemFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth saying, not worth stopping for

    @property
    def ok(self) -> bool:
        return self.settings is not None and not self.problems


def _across(index: Index, items_dir: Path) -> list[Problem]:
    """What no single file shows: shared ids or urls, categories that name one folder."""
    problems = []
    duplicates, clashes = index.across()
    for dup in duplicates:
        first = items_dir / dup.first
        line = itemfile.line_of(first, dup.field)
        what = (
            "links to its own story"
            if dup.field == "url"
            else ("needs its own id (readers would merge the two)")
        )
        problems.append(Problem(
            items_dir / dup.again, itemfile.line_of(items_dir / dup.again, dup.field), dup.field,
            f"{dup.value!r} is also the {dup.field} of {first}:{line}; each item {what}",
        ))  # fmt: skip
    for clash in clashes:
        first = items_dir / clash.first_path
        line = itemfile.line_of(first, "categories")
        problems.append(Problem(
            items_dir / clash.path, itemfile.line_of(items_dir / clash.path, "categories"),
            "categories",
            f"{clash.name!r} and {clash.first_name!r} ({first}:{line}) would share the feed "
            f"folder categories/{clash.slug}/; spell them the same",
        ))  # fmt: skip
    return problems


def check(items_dir: Path, cache: Path | None = None, processes: int | None = None) -> Store:
    """Read the settings and sync the index of `items_dir`; collect every problem."""
    store = Store()
    settings = itemfile.read_settings(items_dir)
    if isinstance(settings, FeedSettings):
        store.settings = settings
    else:
        store.problems.extend(settings)
    found = scan(items_dir)
    store.problems.extend(found.problems)
    if not found.files:
        store.problems.append(Problem(
            items_dir, 1, "folder",
            f"holds no item files (*{ITEM_SUFFIX}); add one with `feedsvc new lead \"Titre\"`",
        ))  # fmt: skip
    try:
        index = Index(cache, items_dir)
        index.sync(found, processes)
    except (OSError, sqlite3.Error) as error:
        if cache is None:
            raise
        # Only a cache: a build without it is slower, never different.
        store.notes.append(f"the cache {cache} cannot be used ({error}); reading every file")
        index = Index(None, items_dir)
        index.sync(found, processes)
    store.index = index
    store.problems.extend(
        Problem(items_dir / path, line, field, message)
        for path, line, field, message in index.problems()
    )
    store.problems.extend(_across(index, items_dir))
    store.problems.sort()
    return store


def load(items_dir: Path) -> Store:
    """Check `items_dir` and read every valid item: for small folders, tools and tests."""
    store = check(items_dir, processes=1)
    assert store.index is not None
    for path in store.index.paths():
        read = itemfile.read(items_dir / path)
        if isinstance(read, ItemFile):
            store.entries.append(read)
    return store
