"""What no single file shows: items sharing an id or a url, and category names that would
share a feed folder.

The findings are kept in the index and brought up to date after each change by looking again
only at the values the changed files had or now have: an edit in a large archive does not
group 100,000 rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass, field

__all__ = ["Duplicate", "Found", "SlugClash", "Touched", "chunks", "everything", "refresh"]

FIELDS = ("url", "id")  # a shared url is reported; the id it implies is not reported again
INCREMENTAL_MAX = 2_000  # changed files beyond which one pass over everything is cheaper
_CHUNK = 500  # values per query, well within SQLite's limit on parameters


@dataclass(frozen=True, slots=True)
class Duplicate:
    field: str  # id or url
    value: str
    first: str  # path
    again: str


@dataclass(frozen=True, slots=True)
class SlugClash:
    slug: str
    name: str
    path: str
    first_name: str
    first_path: str


Found = tuple[list[Duplicate], list[SlugClash]]


@dataclass(slots=True)
class Touched:
    """The ids, urls and category slugs that changed files had, or have."""

    values: dict[str, set[str]] = field(default_factory=lambda: {name: set() for name in FIELDS})
    slugs: set[str] = field(default_factory=set)

    def add(self, db: sqlite3.Connection, paths: list[str]) -> None:
        for chunk, marks in chunks(paths):
            for id_, url in db.execute(f"SELECT id, url FROM files WHERE path IN ({marks})", chunk):
                for name, value in (("id", id_), ("url", url)):
                    if value is not None:
                        self.values[name].add(value)
            self.slugs.update(
                row[0]
                for row in db.execute(f"SELECT slug FROM categories WHERE path IN ({marks})", chunk)
            )


def chunks(values: Iterable[str]) -> Iterator[tuple[list[str], str]]:
    """`values` in slices SQLite takes as parameters, each with its `?,?,…` placeholders."""
    values = list(values)
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        yield chunk, ",".join("?" * len(chunk))


def duplicates(
    db: sqlite3.Connection, name: str, values: set[str] | None = None
) -> list[Duplicate]:
    """Items sharing a url, or an id (unless they share the url too); all, or among `values`."""
    if values is None:
        shared = (
            f"SELECT {name} FROM files WHERE {name} IS NOT NULL GROUP BY {name} HAVING COUNT(*) > 1"
        )
        rows = list(db.execute(f"SELECT {name}, path, url FROM files WHERE {name} IN ({shared})"))
    else:
        rows = []
        for chunk, marks in chunks(values):
            query = f"SELECT {name}, path, url FROM files WHERE {name} IN ({marks})"
            rows += db.execute(query, chunk)
    found = []
    first: dict[str, tuple[str, str]] = {}
    for value, path, url in sorted(rows):
        if value not in first:
            first[value] = (path, url)
        elif name == "url" or url != first[value][1]:
            found.append(Duplicate(name, value, first[value][0], path))
    return found


def slug_clashes(db: sqlite3.Connection, slugs: set[str] | None = None) -> list[SlugClash]:
    """Names that differ but give one folder name; all, or among `slugs`."""
    if slugs is None:
        clashing = "SELECT slug FROM categories GROUP BY slug HAVING COUNT(DISTINCT name) > 1"
        rows = list(db.execute(
            f"SELECT slug, name, MIN(path) FROM categories WHERE slug IN ({clashing}) "
            "GROUP BY slug, name"
        ))  # fmt: skip
    else:
        rows = []
        for chunk, marks in chunks(slugs):
            # Which slugs are spelled more than one way is read from the index of (slug, name)
            # alone: the paths, a read of the table per row, only for those (rarely any).
            clashing = (
                f"SELECT slug FROM categories WHERE slug IN ({marks}) "
                "GROUP BY slug HAVING COUNT(DISTINCT name) > 1"
            )
            rows += db.execute(
                f"SELECT slug, name, MIN(path) FROM categories WHERE slug IN ({clashing}) "
                "GROUP BY slug, name",
                chunk,
            )
    found = []
    first: dict[str, tuple[str, str]] = {}
    # By slug, then by the first file to use each spelling: that file's spelling comes first.
    for value, name, path in sorted(rows, key=lambda row: (row[0], row[2], row[1])):
        if value in first:
            found.append(SlugClash(value, name, path, *first[value]))
        else:
            first[value] = (name, path)
    return found


def _order(found: Found) -> Found:
    duplicates_, clashes = found
    duplicates_.sort(key=lambda d: (FIELDS.index(d.field), d.value, d.again))
    clashes.sort(key=lambda c: (c.slug, c.path, c.name))
    return found


def everything(db: sqlite3.Connection) -> Found:
    return _order(([d for name in FIELDS for d in duplicates(db, name)], slug_clashes(db)))


def load(db: sqlite3.Connection) -> Found | None:
    row = db.execute("SELECT value FROM meta WHERE key = 'across'").fetchone()
    if row is None:
        return None
    duplicates_, clashes = json.loads(row[0])
    return [Duplicate(*d) for d in duplicates_], [SlugClash(*c) for c in clashes]


def save(db: sqlite3.Connection, found: Found) -> None:
    value = json.dumps([[astuple(d) for d in found[0]], [astuple(c) for c in found[1]]])
    db.execute("INSERT OR REPLACE INTO meta VALUES ('across', ?)", (value,))


def refresh(db: sqlite3.Connection, touched: Touched | None) -> None:
    """Bring the kept findings up to date after a change; None: too much changed, start over."""
    kept = load(db) if touched is not None else None
    if kept is None or touched is None:
        db.execute("DELETE FROM meta WHERE key = 'across'")  # found again when next asked
        return
    duplicates_ = [d for d in kept[0] if d.value not in touched.values[d.field]]
    for name in FIELDS:
        duplicates_ += duplicates(db, name, touched.values[name])
    clashes = [c for c in kept[1] if c.slug not in touched.slugs]
    clashes += slug_clashes(db, touched.slugs)
    save(db, _order((duplicates_, clashes)))
