"""The index's tables, the version that empties it, and how it is opened and written."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import sys
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import feedsvc
from feedsvc.index import _sums
from feedsvc.index._archived import Archived
from feedsvc.index._months import Months

__all__ = ["INDEXES", "SCHEMA", "TABLES", "code_version", "connect", "create", "transaction"]

SCHEMA = (
    """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, digest TEXT NOT NULL,
    id TEXT, url TEXT, live_from INTEGER, due INTEGER
);
CREATE TABLE categories (
    path TEXT NOT NULL, name TEXT NOT NULL, slug TEXT NOT NULL, live_from INTEGER, id TEXT
);
CREATE TABLE problems (path TEXT NOT NULL, line INTEGER, field TEXT, message TEXT);
CREATE TABLE slugs (slug TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE outputs (path TEXT PRIMARY KEY, key TEXT, size INTEGER, mtime_ns INTEGER);
CREATE TABLE folders (prefix TEXT PRIMARY KEY, digest TEXT NOT NULL, runs INTEGER NOT NULL);
CREATE TABLE runs (
    prefix TEXT NOT NULL, run INTEGER NOT NULL, digest TEXT NOT NULL, stats BLOB NOT NULL,
    PRIMARY KEY (prefix, run)
);
"""
    + Months.SCHEMA
    + Archived.SCHEMA
)
# Built once the first sync has filled the tables: sorting 100,000 rows into an index at once
# is several times faster than keeping six indexes in order through as many random inserts.
INDEXES = (
    "CREATE INDEX IF NOT EXISTS files_id ON files (id) WHERE id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS files_url ON files (url) WHERE url IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS files_live ON files (live_from DESC, id)"
    " WHERE live_from IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS categories_path ON categories (path)",
    "CREATE INDEX IF NOT EXISTS categories_slug ON categories (slug, name)",
    "CREATE INDEX IF NOT EXISTS categories_feed ON categories (slug, live_from DESC, id)"
    " WHERE live_from IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS problems_path ON problems (path)",
)
TABLES = (
    "meta", "files", "categories", "problems", "slugs", "outputs", "folders", "runs",
    *Months.TABLES, *Archived.TABLES,
)  # fmt: skip
LIBRARIES = (
    "mdurl",
    "text-unidecode",
    "feedgen",
    "lxml",
    "markdown-it-py",
    "nh3",
    "orjson",
    "pydantic",
    "python-slugify",
    "pyyaml",
)


def _normal(project: str) -> str:
    return re.sub(r"[-_.]+", "_", project).lower()


def _library_versions() -> list[str]:
    # The dist-info folder names carry the installed versions: a listdir per path entry,
    # where importlib.metadata would cost a tenth of a no-op rebuild.
    wanted = {_normal(name) for name in LIBRARIES}
    found = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                project, _, version = name.removesuffix(".dist-info").partition("-")
                if _normal(project) in wanted:
                    found.add(f"{_normal(project)}={version}")
    return sorted(found)


@cache
def code_version() -> str:
    """Changes whenever feedsvc's source, Python, or a library that shapes output changes."""
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update("\0".join((SCHEMA, *INDEXES)).encode())
    # NFC, json and urljoin come with Python; libxml2 with lxml's build.
    hasher.update(f"{sys.version}\0{unicodedata.unidata_version}\0".encode())
    package = Path(feedsvc.__file__).parent
    for source in sorted(package.rglob("*.py")):
        name = source.relative_to(package).as_posix()
        hasher.update(name.encode() + b"\0" + source.read_bytes())
    for library in _library_versions():
        hasher.update(library.encode() + b"\0")
    return hasher.hexdigest()


def connect(location: Path | None) -> sqlite3.Connection:
    # Transactions are begun explicitly: reads that decide a write are made under the
    # write lock (BEGIN IMMEDIATE), so two processes never both store the same rows.
    db = sqlite3.connect(":memory:" if location is None else location, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL" if location else "PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = NORMAL")
    # SQLite's default 2 MiB page cache makes a cold build of a large archive re-read
    # each page several times (four times the reads at 100,000 items); 16 MiB is enough,
    # and pages are only allocated as used, so a small archive stays small.
    db.execute("PRAGMA cache_size = -16384")
    return db


@contextmanager
def transaction(db: sqlite3.Connection, kind: str) -> Iterator[None]:
    db.execute(f"BEGIN {kind}")
    try:
        yield
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def create(db: sqlite3.Connection, owner: str) -> None:
    """The tables of an empty index of the items folder `owner`."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [("code", code_version()), ("items", owner), ("sums", _sums.EMPTY)],
    )
