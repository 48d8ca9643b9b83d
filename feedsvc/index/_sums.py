"""Sums over what builds read from the index, to notice a damaged cache that does not raise.

A bit flipped in a page, a row missing from an index or a row edited by hand may leave SQLite
answering without an error, and a build choosing the wrong items. Each query below goes through
the same index a build's own queries use and sums what they read (counts, values, row ids,
lengths), in SQLite's C code: at 100,000 items the sums a no-op checks cost tens of
milliseconds, where a full `PRAGMA quick_check` costs over a hundred and misses an index that
no longer matches its table. The sums are stored when the index is written and compared before
it is trusted again; the structures a no-op does not read are checked only when files change.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3

__all__ = ["CHANGES", "EMPTY", "EVERY_BUILD", "compute", "differs"]

# The sums of a new index, whose secondary indexes are built only after its first load.
EMPTY = "empty"
_EMPTY_TABLES = (
    "SELECT 1 FROM files UNION ALL SELECT 1 FROM categories UNION ALL SELECT 1 FROM problems"
    " UNION ALL SELECT 1 FROM slugs"
    " UNION ALL SELECT 1 FROM meta WHERE key = 'across' AND value != '[[], []]' LIMIT 1"
)

_P = 1_000_003  # a prime: a flipped bit of any integer changes its value modulo it

# What every build reads: the feeds' choice of items, the categories, the problems, and the
# findings across files.
EVERY_BUILD = {
    "feed": "SELECT slug, count(*), sum(live_from % {p}), sum(rowid), sum(length(id))"
    " FROM categories INDEXED BY categories_feed WHERE live_from IS NOT NULL GROUP BY slug",
    "live": "SELECT count(*), sum(live_from % {p}), sum(rowid), sum(length(id))"
    " FROM files INDEXED BY files_live WHERE live_from IS NOT NULL",
    "slugs": "SELECT slug, name FROM slugs NOT INDEXED ORDER BY rowid",
    "problems": "SELECT path, line, field, message FROM problems NOT INDEXED ORDER BY rowid",
    "across": "SELECT value FROM meta WHERE key = 'across'",
}
# What only a change reads: the rows of changed files are found and deleted through these, and
# the findings across files are brought up to date through them.
CHANGES = {
    # Not the stats: a damaged one only makes its file be read again.
    "files": "SELECT count(*), sum(rowid), sum(length(path)), sum(live_from % {p}),"
    " sum(due % {p}), sum(length(digest)), sum(length(id)), sum(length(url))"
    " FROM files NOT INDEXED",
    "paths": "SELECT count(*), sum(rowid), sum(length(path))"
    " FROM files INDEXED BY sqlite_autoindex_files_1",
    "ids": "SELECT count(*), sum(rowid), sum(length(id))"
    " FROM files INDEXED BY files_id WHERE id IS NOT NULL",
    "urls": "SELECT count(*), sum(rowid), sum(length(url))"
    " FROM files INDEXED BY files_url WHERE url IS NOT NULL",
    "categories": "SELECT count(*), sum(rowid), sum(length(path)), sum(length(name)),"
    " sum(length(slug)), sum(live_from % {p}), sum(length(id)) FROM categories NOT INDEXED",
    "by_path": "SELECT count(*), sum(rowid), sum(length(path))"
    " FROM categories INDEXED BY categories_path",
    "by_slug": "SELECT slug, count(*), sum(rowid), sum(length(name))"
    " FROM categories INDEXED BY categories_slug GROUP BY slug",
}


def compute(db: sqlite3.Connection, queries: dict[str, str]) -> dict[str, str]:
    """A digest of what each query reads."""
    sums = {}
    for name, query in queries.items():
        rows = db.execute(query.format(p=_P)).fetchall()
        sums[name] = hashlib.blake2b(repr(rows).encode(), digest_size=16).hexdigest()
    return sums


def differs(db: sqlite3.Connection, stored: str | None, queries: dict[str, str]) -> str | None:
    """What does not match the sums stored with the index, or None when all of it does."""
    if stored == EMPTY:
        found = db.execute(_EMPTY_TABLES).fetchone()
        return None if found is None else "it holds rows its check sums say it does not"
    try:
        expected = json.loads(stored) if stored is not None else None
    except ValueError:
        expected = None
    if not isinstance(expected, dict):
        return "its check sums are missing"
    for name, value in compute(db, queries).items():
        if expected.get(name) != value:
            return f"what it holds no longer matches its check sums ({name})"
    return None
