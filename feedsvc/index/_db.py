"""The persistent index of item files: what each file holds, kept in SQLite between builds.

A file whose mtime and size have not changed is never read again; which files changed is found
folder by folder (_changes.py), and what spans files is kept up to date by _crossfile.py. Feeds are
chosen by queries (newest N live items, per category), so a build never holds the whole archive
in memory. The index is only a cache: deleting it gives a cold build with the same output, and
any change to feedsvc's code or libraries empties it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
import os
import re
import sqlite3
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import feedsvc
from feedsvc.errors import CacheDamaged
from feedsvc.index import _changes, _crossfile, _sums
from feedsvc.index._months import ALL, MonthRange, Months
from feedsvc.index._pool import Record, records
from feedsvc.items import Problem, Scan

if TYPE_CHECKING:
    from feedsvc._progress import Progress

__all__ = ["ALL", "ArchiveMonth", "Chosen", "Index", "code_version"]

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
CREATE TABLE folders (prefix TEXT PRIMARY KEY, digest TEXT NOT NULL, stats BLOB NOT NULL);
"""
    + Months.SCHEMA
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
TABLES = ("meta", "files", "categories", "problems", "slugs", "outputs", "folders", "months")
Row = tuple[object, ...]
RACY_NS = 2_000_000_000
RECHECK = -1  # an mtime no file has: the file is read again at the next build
LIBRARIES = (
    "mdurl",
    "text-unidecode",
    "feedgen",
    "lxml",
    "markdown-it-py",
    "nh3",
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


def _counted(found: Iterator[Record], total: int, progress: Progress) -> Iterator[Record]:
    progress("parse", 0, total)
    for done, record in enumerate(found, 1):
        yield record
        if done % 50 == 0 or done == total:
            progress("parse", done, total)


@dataclass(frozen=True, slots=True)
class Chosen:
    """An item chosen for a feed: enough to read it back and to know if it changed."""

    path: str
    digest: str


class Damaged(Exception):
    """The index file is damaged: it must be emptied and filled again from the files."""


# SQLite's primary result codes that mean the file cannot be used just now, or here (locked by
# another process, read-only, full, unreadable), as opposed to a file that is not what it
# should be: those are not damage, and emptying the file would not help.
_NOT_DAMAGE = {3, 5, 6, 7, 8, 9, 10, 13, 14, 15, 23}


def is_damage(error: BaseException) -> bool:
    """Whether `error`, raised reading or writing the index, means the file is damaged: a
    database error other than those above, or text that is not text (a flipped byte)."""
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return isinstance(error, sqlite3.DatabaseError) and (
            code is None or code & 0xFF not in _NOT_DAMAGE
        )
    return isinstance(error, (Damaged, ValueError))


DAMAGE = (sqlite3.Error, Damaged, ValueError)  # what is_damage may say yes to


_P = ParamSpec("_P")
_T = TypeVar("_T")


def _trusted(read: Callable[_P, _T]) -> Callable[_P, _T]:
    """A read of the index that finds it damaged empties it, and stops the build with
    CacheDamaged: what was read before it cannot be trusted either, so the build starts again."""

    @functools.wraps(read)
    def checked(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        index = args[0]
        assert isinstance(index, Index)
        try:
            return read(*args, **kwargs)
        except DAMAGE as error:
            if not is_damage(error):
                raise
            why = str(error)
            if index.db.in_transaction:
                index.db.execute("ROLLBACK")
            index.discard(why)
            raise CacheDamaged(index.damaged_note()) from None

    return checked


@dataclass(frozen=True, slots=True)
class ArchiveMonth:
    """One calendar month (UTC) of one feed, as live at a moment: what its archive's key needs."""

    name: str  # '2024-06'
    digest: str  # of every item of the month, scheduled ones included
    hidden: tuple[str, ...]  # ids of its items not live yet, which the archive leaves out
    items: int  # live items


class Index:
    def __init__(self, location: Path | None, items_dir: Path) -> None:
        """An index at `location` (created if needed), or in memory when None.

        A damaged file is emptied (`damage` says why) and filled again by the next sync.
        """
        self.items_dir = items_dir
        self.location = location
        self.damage: str | None = None
        self.owner = str(items_dir.resolve())
        if location is not None:
            location.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = self._connect(location)
            if self._meta("code") != code_version() or self._meta("items") != self.owner:
                self._reset()
        except DAMAGE as error:
            if not is_damage(error):
                raise
            self.discard(str(error))

    @staticmethod
    def _connect(location: Path | None) -> sqlite3.Connection:
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

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _transaction(self, kind: str) -> Iterator[None]:
        self.db.execute(f"BEGIN {kind}")
        try:
            yield
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _meta(self, key: str) -> str | None:
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        except DAMAGE as error:
            if not is_damage(error):
                raise
            return None  # no schema yet, or not an index at all: start again
        return None if row is None else str(row[0])

    def _reset(self) -> None:
        with self._transaction("IMMEDIATE"):
            # Asked again under the write lock: another process may have just made it ours.
            if self._meta("code") == code_version() and self._meta("items") == self.owner:
                return
            tables = [row[0] for row in self.db.execute("SELECT name FROM sqlite_master")]
            for name in TABLES:
                if name in tables:
                    self.db.execute(f"DROP TABLE {name}")
            self._create()

    def _create(self) -> None:
        for statement in SCHEMA.split(";"):
            if statement.strip():
                self.db.execute(statement)
        self.db.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("code", code_version()), ("items", self.owner), ("sums", _sums.EMPTY)],
        )

    def discard(self, why: str) -> None:
        """Empty a damaged index: its content replaced whole, the file kept.

        Not deleted and made again: another feedsvc process may have it open, and would go on
        writing into a write-ahead log that a new file would then take for its own. SQLite's
        backup copies a new, empty index over it under SQLite's own locks, so that process
        sees the old content or the new. Only a file SQLite cannot open at all (its header
        gone), which no process can be using, is replaced.
        """
        self.damage = why
        empty = sqlite3.connect(":memory:", isolation_level=None)
        try:
            empty.execute("PRAGMA page_size = 4096")
            self.db, damaged = empty, getattr(self, "db", None)
            self._create()
            if damaged is not None:
                self.db = damaged
                try:
                    empty.backup(damaged)
                    return
                except sqlite3.Error as error:
                    if not is_damage(error):
                        raise
                    damaged.close()
            assert self.location is not None  # a database in memory is never damaged
            new = self.location.with_name(self.location.name + ".new")
            fresh = sqlite3.connect(new)
            empty.backup(fresh)
            fresh.close()
            new.replace(self.location)
            self.location.with_name(self.location.name + "-wal").unlink(missing_ok=True)
            self.db = self._connect(self.location)
        finally:
            empty.close()

    def damaged_note(self) -> str:
        return (
            f"the cache {self.location} was damaged ({self.damage}); it was rebuilt from the files"
        )

    def recheck(self, path: str) -> None:
        """Read the file at `path` (relative) again at the next sync: its bytes are not those
        indexed, though its stat said so (a copy keeping size and times, a clock gone back)."""
        prefix = path.rpartition("/")[0] + "/" if "/" in path else ""
        with self._transaction("IMMEDIATE"):
            self.db.execute("UPDATE files SET mtime_ns = ? WHERE path = ?", (RECHECK, path))
            self.db.execute("DELETE FROM folders WHERE prefix = ?", (prefix,))
            self.db.execute("DELETE FROM meta WHERE key = 'stats'")

    def _store_sums(self, queries: dict[str, str] | None = None) -> None:
        stored = self._meta("sums")
        if queries is not None and stored == _sums.EMPTY:
            return  # no file yet, so no finding across files to check
        sums = _sums.compute(self.db, queries or {**_sums.EVERY_BUILD, **_sums.CHANGES})
        if queries is not None:  # only some of them changed
            sums = {**json.loads(stored or "{}"), **sums}
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('sums', ?)", (json.dumps(sums),))

    def _check_sums(self, queries: dict[str, str]) -> None:
        found = _sums.differs(self.db, self._meta("sums"), queries)
        if found is not None:
            raise Damaged(found)

    def sync(
        self, scan: Scan, processes: int | None = None, progress: Progress | None = None
    ) -> int:
        """Bring the index up to date with the files on disk; returns how many changed.

        Raises Damaged, or SQLite's own error, when the index file is damaged.
        """
        listed = _changes.by_folder(scan)
        digests = {prefix: _changes.digest(stats) for prefix, stats in listed.items()}
        combined = _changes.combine(digests.items())
        with self._transaction("DEFERRED"):  # one snapshot: the sums and what they sum
            self._check_sums(_sums.EVERY_BUILD)
            if combined == self._meta("stats"):
                return 0
        with self._transaction("IMMEDIATE"):
            self._check_sums(_sums.CHANGES)
            return self._apply(listed, digests, processes, progress)

    def _apply(
        self,
        listed: dict[str, _changes.Stats],
        digests: dict[str, str],
        processes: int | None,
        progress: Progress | None = None,
    ) -> int:
        stored = dict(self.db.execute("SELECT prefix, digest FROM folders").fetchall())
        changed = [prefix for prefix, value in digests.items() if stored.get(prefix) != value]
        changed += [prefix for prefix in stored if prefix not in digests]
        known = self._known(changed)
        seen = {path: stat for prefix in changed for path, stat in listed.get(prefix, {}).items()}
        gone = [path for path in known if path not in seen]
        todo = {path: stat for path, stat in seen.items() if known.get(path) != stat}
        if gone or todo:
            self._update(known, gone, todo, processes, progress)
        for prefix in changed:
            if prefix in listed:
                stats = {path: known[path] for path in listed[prefix]}
                digests[prefix] = _changes.digest(stats)
                self.db.execute(
                    "INSERT OR REPLACE INTO folders VALUES (?, ?, ?)",
                    (prefix, digests[prefix], marshal.dumps(stats)),
                )
            else:
                self.db.execute("DELETE FROM folders WHERE prefix = ?", (prefix,))
        self.db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('stats', ?)",
            (_changes.combine(digests.items()),),
        )
        if gone or todo:
            self._store_sums()
        return len(gone) + len(todo)

    def _known(self, prefixes: list[str]) -> _changes.Stats:
        """The stats the index holds for the files in these folders."""
        known: _changes.Stats = {}
        for prefix in prefixes:
            row = self.db.execute("SELECT stats FROM folders WHERE prefix = ?", (prefix,))
            found = row.fetchone()
            try:
                stats = marshal.loads(found[0]) if found else None
            except (EOFError, ValueError, TypeError):
                stats = None
            if not isinstance(stats, dict):  # new, or damaged: the files table is the truth
                stats = self._stats_from_rows(prefix)
            known.update(stats)
        return known

    def _stats_from_rows(self, prefix: str) -> _changes.Stats:
        if prefix:  # 'a/b/' holds the paths from 'a/b/' up to 'a/b0' ('0' follows '/')
            rows = self.db.execute(
                "SELECT path, mtime_ns, size, ctime_ns, inode FROM files"
                " WHERE path >= ? AND path < ?",
                (prefix, prefix[:-1] + "0"),
            )
        else:
            rows = self.db.execute("SELECT path, mtime_ns, size, ctime_ns, inode FROM files")
        return {path: tuple(stat) for path, *stat in rows
                if "/" not in path[len(prefix):]}  # fmt: skip

    def _update(
        self,
        known: _changes.Stats,
        gone: list[str],
        todo: _changes.Stats,
        processes: int | None,
        progress: Progress | None = None,
    ) -> None:
        """Replace the rows of changed files; `known` becomes the stats as now stored."""
        stale = gone + list(todo)
        # What spans files is brought up to date for the values the changed files touch, so
        # that an edit never groups the whole table; a large change starts over.
        touched = _crossfile.Touched() if len(stale) <= _crossfile.INCREMENTAL_MAX else None
        months = Months(self.db)
        months_touched = set()
        # A first build deletes nothing: 100,000 deletes from empty tables cost 0.3 s. Asked
        # of the table, not of `known`, which a damaged cache could leave short.
        if self.db.execute("SELECT 1 FROM files LIMIT 1").fetchone() is not None:
            if touched is not None:
                touched.add(self.db, stale)
                months_touched = months.touched(stale)
            rows = [(path,) for path in stale]
            for table in ("files", "categories", "problems"):
                self.db.executemany(f"DELETE FROM {table} WHERE path = ?", rows)
        for path in gone:
            del known[path]
        found = records(
            self.items_dir, [(path, *stat[:2]) for path, stat in todo.items()], processes
        )
        if progress is not None:
            found = _counted(found, len(todo), progress)
        known.update(self._insert(found, todo, time.time_ns()))
        for statement in INDEXES:
            self.db.execute(statement)  # no-ops once the indexes exist
        if touched is None:
            self.db.execute("DELETE FROM slugs")
            self.db.execute(
                "INSERT INTO slugs SELECT slug, MIN(name) FROM categories GROUP BY slug"
            )
        else:
            touched.add(self.db, list(todo))
            for chunk, marks in _crossfile.chunks(touched.slugs):
                self.db.execute(f"DELETE FROM slugs WHERE slug IN ({marks})", chunk)
                self.db.execute(
                    f"INSERT INTO slugs SELECT slug, MIN(name) FROM categories "
                    f"WHERE slug IN ({marks}) GROUP BY slug",
                    chunk,
                )
        _crossfile.refresh(self.db, touched)
        if touched is None:
            months.rebuild()
        else:
            months.refresh(months_touched | months.touched(list(todo)))

    def _insert(
        self, found: Iterable[Record], seen: _changes.Stats, started_ns: int
    ) -> _changes.Stats:
        """Add the records to the tables; returns their stats as stored."""
        stats: _changes.Stats = {}
        files: list[Row] = []
        categories: list[Row] = []
        problems: list[Row] = []
        for record in found:
            # A file changed again within the file system's timestamp granularity of being
            # read would keep its mtime and size: trust only stats older than RACY_NS.
            racy = record.mtime_ns >= started_ns - RACY_NS
            # A file that could not be read may become readable without changing its stat.
            mtime = RECHECK if racy or not record.digest else record.mtime_ns
            _, _, ctime, inode = seen[record.path]
            stats[record.path] = (mtime, record.size, ctime, inode)
            files.append((record.path, mtime, record.size, ctime, inode, record.digest,
                          record.id, record.url, record.live_from, record.due))  # fmt: skip
            categories.extend(
                (record.path, name, value, record.live_from, record.id)
                for name, value in record.categories
            )
            problems.extend(
                (record.path, problem.line, problem.field, problem.message)
                for problem in record.problems
            )
            if len(files) >= 5000:  # bounded memory however large the archive
                self._flush(files, categories, problems)
                files, categories, problems = [], [], []
        self._flush(files, categories, problems)
        return stats

    def _flush(self, files: list[Row], categories: list[Row], problems: list[Row]) -> None:
        self.db.executemany("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", files)
        self.db.executemany("INSERT INTO categories VALUES (?, ?, ?, ?, ?)", categories)
        self.db.executemany("INSERT INTO problems VALUES (?, ?, ?, ?)", problems)

    # Reading.

    @_trusted
    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM files").fetchone()[0])

    @_trusted
    def live(self, now: int) -> int:
        row = self.db.execute(
            "SELECT COUNT(*) FROM files WHERE live_from IS NOT NULL AND live_from <= ?", (now,)
        ).fetchone()
        return int(row[0])

    @_trusted
    def drafts(self) -> int:
        row = self.db.execute(
            "SELECT COUNT(*) FROM files WHERE live_from IS NULL AND id IS NOT NULL"
        ).fetchone()
        return int(row[0])

    @_trusted
    def valid(self) -> int:
        row = self.db.execute("SELECT COUNT(*) FROM files WHERE id IS NOT NULL").fetchone()
        return int(row[0])

    @_trusted
    def next_scheduled(self, now: int) -> str | None:
        """The path of the valid item to go live first after `now`."""
        row = self.db.execute(
            "SELECT path FROM files WHERE live_from > ? ORDER BY live_from, id LIMIT 1", (now,)
        ).fetchone()
        return None if row is None else str(row[0])

    @_trusted
    def problems(self, now: int) -> tuple[list[Problem], list[Problem]]:
        """The problems of single files, as the pool found them: those of files live at
        `now` (or that cannot say when they go live), and those of drafts and scheduled items."""
        rows = self.db.execute(
            """SELECT p.path, p.line, p.field, p.message, f.due > ?
               FROM problems p JOIN files f ON f.path = p.path""",
            (now,),
        )
        errors: list[Problem] = []
        warnings: list[Problem] = []
        for path, line, field, message, pending in rows:
            problem = Problem(self.items_dir / path, line, field, message)
            (warnings if pending else errors).append(problem)
        return errors, warnings

    @_trusted
    def pending(self, path: str, now: int) -> bool:
        """Whether the file is a draft or scheduled at `now` (valid or not)."""
        row = self.db.execute("SELECT due > ? FROM files WHERE path = ?", (now, path)).fetchone()
        return row is not None and bool(row[0])

    @_trusted
    def cross_file(self) -> _crossfile.Found:
        """Shared ids or urls, and categories that would share a folder; kept between builds."""
        found = _crossfile.load(self.db)
        if found is None:
            found = _crossfile.everything(self.db)
            with self._transaction("IMMEDIATE"):
                _crossfile.save(self.db, found)
                self._store_sums({"across": _sums.EVERY_BUILD["across"]})
        return found

    @_trusted
    def paths(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT path FROM files ORDER BY path")]

    @_trusted
    def newest(self, now: int, limit: int, category: str | None = None) -> list[Chosen]:
        """The `limit` newest items live at `now`, newest first, equal moments by id."""
        if category is None:
            rows = self.db.execute(
                """SELECT path, digest FROM files WHERE live_from IS NOT NULL
                   AND live_from <= ? ORDER BY live_from DESC, id LIMIT ?""",
                (now, limit),
            )
        else:
            rows = self.db.execute(
                """SELECT c.path, f.digest FROM categories c LEFT JOIN files f ON f.path = c.path
                   WHERE c.slug = ? AND c.live_from IS NOT NULL AND c.live_from <= ?
                   ORDER BY c.live_from DESC, c.id LIMIT ?""",
                (category, now, limit),
            )
        chosen = [Chosen(path, digest) for path, digest in rows]
        if any(not isinstance(c.path, str) or not isinstance(c.digest, str) for c in chosen):
            raise Damaged("an item chosen for a feed has no file")
        return chosen

    @_trusted
    def archive_months(self, now: int) -> dict[str, list[ArchiveMonth]]:
        """Feed ('' for every item, else a category slug) -> its months with an item live at
        `now`, oldest first. Read from the stored digests: a few thousand rows, whatever the
        number of items."""
        months = Months(self.db)
        hidden = months.not_live(now)
        found: dict[str, list[ArchiveMonth]] = {}
        for feed, rows in months.of_feeds().items():
            for name, digest, items in rows:
                ids = tuple(hidden.get((feed, name), ()))
                if items > len(ids):
                    month = ArchiveMonth(name, digest, ids, items - len(ids))
                    found.setdefault(feed, []).append(month)
        return found

    @_trusted
    def month_items(self, now: int, month: str, category: str | None = None) -> list[Chosen]:
        """The items of one month live at `now`, newest first, equal moments by id: the same
        order as newest(), on the same indexes."""
        span = MonthRange.of(month)
        end = min(span.end, now + 1)
        if category is None or category == ALL:
            rows = self.db.execute(
                """SELECT path, digest FROM files WHERE live_from IS NOT NULL
                   AND live_from >= ? AND live_from < ? ORDER BY live_from DESC, id""",
                (span.start, end),
            )
        else:
            rows = self.db.execute(
                """SELECT c.path, f.digest FROM categories c JOIN files f ON f.path = c.path
                   WHERE c.slug = ? AND c.live_from IS NOT NULL AND c.live_from >= ?
                   AND c.live_from < ? ORDER BY c.live_from DESC, c.id""",
                (category, span.start, end),
            )
        return [Chosen(path, digest) for path, digest in rows]

    @_trusted
    def categories(self, now: int) -> list[tuple[str, str]]:
        """(slug, name) of every category with an item live at `now`, by slug."""
        live = """SELECT 1 FROM categories c WHERE c.slug = s.slug
                  AND c.live_from IS NOT NULL AND c.live_from <= ?"""
        rows = self.db.execute(
            f"SELECT slug, name FROM slugs s WHERE EXISTS ({live}) ORDER BY slug", (now,)
        )
        return [(value, name) for value, name in rows]

    # What was written, so an unchanged output is neither rendered nor compared again.

    @_trusted
    def written(self, path: str) -> tuple[str, int, int] | None:
        """The key, size and mtime of out/<path> as this index last wrote it."""
        row = self.db.execute(
            "SELECT key, size, mtime_ns FROM outputs WHERE path = ?", (path,)
        ).fetchone()
        return None if row is None else (str(row[0]), int(row[1]), int(row[2]))

    def remember(self, path: str, key: str, size: int, mtime_ns: int) -> None:
        self._write("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?)", path, key, size, mtime_ns)

    def forget(self, path: str) -> None:
        self._write("DELETE FROM outputs WHERE path = ?", path)

    def _write(self, statement: str, *values: object) -> None:
        try:
            with self._transaction("IMMEDIATE"):
                self.db.execute(statement, values)
        except sqlite3.Error:
            # A cache that cannot be written (read-only, disk full) only means the next
            # build renders this output again to find it unchanged.
            pass
