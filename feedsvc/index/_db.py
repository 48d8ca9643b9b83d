"""The persistent index of item files: what each file holds, kept in SQLite between builds.

A file whose mtime and size have not changed is never read again; which files changed is found
folder by folder (_changes.py) and their rows replaced (_sync.py), and what spans files is kept
up to date by _crossfile.py. Feeds are chosen by queries (newest N live items, per category), so
a build never holds the whole archive in memory. The index is only a cache: deleting it gives a
cold build with the same output, any change to feedsvc's code or libraries empties it
(_schema.py), and so does damage (_damage.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feedsvc.index import _crossfile, _schema, _sums
from feedsvc.index._archived import Archived, FileRecord, Row
from feedsvc.index._damage import DAMAGE, Damaged, emptied, is_damage, meta, reset
from feedsvc.index._damage import trusted as _trusted
from feedsvc.index._months import (
    ALL,
    NO_WEEKS,
    ArchiveWeek,
    ArchiveWeeks,
    Months,
    WeekRange,
    week_digest,
)
from feedsvc.index._pool import Parsed
from feedsvc.index._schema import code_version
from feedsvc.index._sync import Sync
from feedsvc.items import Problem, Scan

if TYPE_CHECKING:
    from feedsvc._progress import Progress

__all__ = ["ALL", "NO_WEEKS", "ArchiveWeek", "ArchiveWeeks", "Chosen", "Index", "code_version"]

# SQLite's default limit of SELECTs in one compound statement, less a margin.
_MOST_RANGES = 400


def _span(folder: str) -> tuple[str, str]:
    """The range of the paths below 'a/b/': from it up to 'a/b0' ('0' follows '/')."""
    return folder, folder[:-1] + "0"


def _outermost(sealed: Collection[str]) -> list[str]:
    """The `sealed` folders ('a/b/') but those inside another: a feed's archive folder and
    the weeks below it are one range."""
    found: list[str] = []
    for folder in sorted(sealed):
        if not (found and folder.startswith(found[-1])):
            found.append(folder)
    return found


def _queries(columns: str, sealed: Collection[str]) -> Iterator[tuple[str, list[str]]]:
    """Queries of the outputs outside the `sealed` folders, by ranges of the primary key, so
    that their thousands of archive files are never read; at most SQLite's limit of
    compound SELECTs in each."""
    bounds: list[str | None] = [None]
    for folder in _outermost(sealed):
        bounds += _span(folder)
    bounds.append(None)
    ranges = list(zip(bounds[::2], bounds[1::2], strict=True))
    for first in range(0, len(ranges), _MOST_RANGES):
        parts, values = [], []
        for low, high in ranges[first : first + _MOST_RANGES]:
            terms = []
            if low is not None:
                terms.append("path >= ?")
                values.append(low)
            if high is not None:
                terms.append("path < ?")
                values.append(high)
            where = f" WHERE {' AND '.join(terms)}" if terms else ""
            parts.append(f"SELECT {columns} FROM outputs{where}")
        yield " UNION ALL ".join(parts), values


def _rows_outside(
    db: sqlite3.Connection, columns: str, sealed: Collection[str]
) -> Iterator[tuple[Any, ...]]:
    for query, values in _queries(columns, sealed):
        yield from db.execute(query, values)


@dataclass(frozen=True, slots=True)
class Chosen:
    """An item chosen for a feed: enough to read it back and to know if it changed."""

    path: str
    digest: str


# A size or time lost (NULL) reads as one no file has: the output is then looked at again,
# as for any other wrong value in this table, which is only a cache of what was written.
_WRITTEN = "key, IFNULL(size, -1), IFNULL(mtime_ns, -1)"


class Index:
    def __init__(self, location: Path | None, items_dir: Path) -> None:
        """An index at `location` (created if needed), or in memory when None.

        A damaged file is emptied (`damage` says why) and filled again by the next sync.
        """
        self.items_dir = items_dir
        self.location = location
        self.damage: str | None = None
        # What the latest sync parsed in this process, by path: (digest, item); see _pool.
        self.just_parsed: Parsed = {}
        self.owner = str(items_dir.resolve())
        self._feeds_checked = False  # see checked_before_writing
        self._synced: Sync | None = None  # the latest sync, while its check may run
        if location is not None:
            location.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = _schema.connect(location)
            if (
                meta(self.db, "code") != _schema.code_version()
                or meta(self.db, "items") != self.owner
            ):
                reset(self.db, self.owner)
        except DAMAGE as error:
            if not is_damage(error):
                raise
            self.discard(str(error))

    def close(self) -> None:
        self._cancel_check()
        self.db.close()

    def _cancel_check(self) -> None:
        synced, self._synced = self._synced, None
        if synced is not None:
            synced.cancel()

    @contextmanager
    def _transaction(self, kind: str) -> Iterator[None]:
        with _schema.transaction(self.db, kind):
            yield

    def discard(self, why: str) -> None:
        """Empty a damaged index, to be filled again from the files by the next sync."""
        self.damage = why
        self.db = emptied(getattr(self, "db", None), self.location, self.owner)

    def damaged_note(self) -> str:
        return (
            f"the cache {self.location} was damaged ({self.damage}); it was rebuilt from the files"
        )

    def recheck(self, path: str) -> None:
        """Read the file at `path` (relative) again at the next sync (see Sync.recheck).

        A file unlike what the index holds may be the index's damage, not the file's: an
        index found damaged on the way is emptied, and the next sync reads every file.
        """
        try:
            Sync(self.db, self.items_dir).recheck(path)
        except DAMAGE as error:
            if not is_damage(error):
                raise
            self.discard(str(error))

    def sync(
        self, scan: Scan, processes: int | None = None, progress: Progress | None = None
    ) -> int:
        """Bring the index up to date with the files on disk; returns how many changed.

        Raises Damaged, or SQLite's own error, when the index file is damaged.
        """
        self._cancel_check()
        sync = Sync(self.db, self.items_dir)
        self._feeds_checked = False
        self.just_parsed = sync.parsed
        changed = sync.sync(scan, processes, progress)
        self._feeds_checked = sync.feeds_checked
        self._synced = sync
        return changed

    @_trusted
    def checked(self) -> None:
        """Wait for the check of the sums that the latest sync, having found a change, runs
        beside the build; to be called before anything read from the index is reported or
        written. Raises CacheDamaged, having emptied the index, when they do not match."""
        synced, self._synced = self._synced, None
        if synced is not None:
            synced.checked()

    @_trusted
    def checked_before_writing(
        self, planned: Mapping[str, str], sealed: Collection[str] = ()
    ) -> None:
        """Check the sums of the feeds' choice (see _sums.NO_OP) unless the sync checked them
        or the `planned` outputs (path -> key) are exactly those this index last wrote, but
        for the archive folders `sealed`, which a build does not plan.

        Raises CacheDamaged, having emptied the index, when they do not match.
        """
        self.checked()
        if self._feeds_checked:
            return
        rows = _rows_outside(self.db, "path, key", sealed)
        if dict(rows) != planned:
            Sync(self.db, self.items_dir).check_feeds()
            self._feeds_checked = True

    def _store_sums(self, queries: dict[str, _sums.Sum | str] | None = None) -> None:
        Sync(self.db, self.items_dir).store_sums(queries)

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
    def tally(self, now: int) -> tuple[int, int, int, int]:
        """Files, valid items, items live at `now`, and drafts.

        Counted by the check sums, which a change keeps from the rows it moves: only the items
        scheduled after `now` are counted, through the index, not the 100,000 rows of a table.
        """
        counted = _sums.counts(meta(self.db, "sums"))
        if counted is not None:
            files, valid, dated = counted
            row = self.db.execute(
                "SELECT COUNT(*) FROM files INDEXED BY files_live WHERE live_from > ?", (now,)
            ).fetchone()
            return files, valid, dated - int(row[0]), valid - dated
        row = self.db.execute(
            """SELECT COUNT(*), COUNT(id), COALESCE(SUM(live_from <= ?), 0),
               COALESCE(SUM(live_from IS NULL AND id IS NOT NULL), 0) FROM files""",
            (now,),
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])

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
    def archive_weeks(self, now: int) -> dict[str, ArchiveWeeks]:
        """Feed ('' for every item, else a category slug) -> its weeks with an item live at
        `now`, summed up from a few rows a feed: its weeks are read only when asked for."""
        months = Months(self.db)
        if not months.kept():
            with self._transaction("IMMEDIATE"):
                if not months.kept():  # another process may have started meanwhile
                    months.start_keeping()
                    self._store_sums({name: _sums.EVERY_BUILD[name] for name in Months.TABLES})
        return months.summed_up(now, self._weeks)

    @_trusted
    def _weeks(self, feed: str, current: str, live: int, digest: str) -> tuple[ArchiveWeek, ...]:
        weeks = Months(self.db).weeks(feed, current, live, digest)
        if weeks is None:
            raise Damaged(f"the archive weeks of feed {feed!r} no longer match their digest")
        return weeks

    @_trusted
    def week_items(self, now: int, week: ArchiveWeek, category: str | None = None) -> list[Chosen]:
        """The items of one week live at `now`, newest first, equal moments by id: the same
        order as newest(), on the same indexes. Raises Damaged when they are not those the
        plan counted (and, for a week wholly live, summed up): another build sharing the
        index emptied or changed it meanwhile, and an archive of these items would be
        sealed as the week planned."""
        span = WeekRange.of(week.name)
        end = min(span.end, now + 1)
        if category is None or category == ALL:
            rows = self.db.execute(
                """SELECT live_from, id, digest, path FROM files WHERE live_from IS NOT NULL
                   AND live_from >= ? AND live_from < ? ORDER BY live_from DESC, id""",
                (span.start, end),
            ).fetchall()
        else:
            rows = self.db.execute(
                """SELECT c.live_from, c.id, f.digest, c.path FROM categories c
                   JOIN files f ON f.path = c.path
                   WHERE c.slug = ? AND c.live_from IS NOT NULL AND c.live_from >= ?
                   AND c.live_from < ? ORDER BY c.live_from DESC, c.id""",
                (category, span.start, end),
            ).fetchall()
        if len(rows) != week.items or (
            end == span.end and week_digest(row[:3] for row in rows) != week.digest
        ):
            raise Damaged(f"the items of week {week.name} of feed {category or ALL!r} changed")
        return [Chosen(path, digest) for _, _, digest, path in rows]

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
        row = self.db.execute(f"SELECT {_WRITTEN} FROM outputs WHERE path = ?", (path,)).fetchone()
        return None if row is None else (str(row[0]), int(row[1]), int(row[2]))

    @_trusted
    def all_written(self, sealed: Collection[str] = ()) -> dict[str, tuple[str, int, int]]:
        """written() of every output but those in the `sealed` archive folders, in one query:
        thousands of archive files."""
        rows = _rows_outside(self.db, f"path, {_WRITTEN}", sealed)
        return {str(path): (str(key), int(size), int(mtime)) for path, key, size, mtime in rows}

    # Each feed's archives summed up (see publish/_outputs.py): a feed whose seal is the one
    # stored has every archive file as this index last wrote it, and a build skips them.

    def archive_seals(self) -> dict[str, str]:
        """Archive folder below out/ ('public/archive/') -> its seal."""
        try:
            rows = self.db.execute("SELECT folder, seal FROM archive_seals").fetchall()
        except sqlite3.Error:  # a damaged table seals nothing: every archive is looked at
            return {}
        return {str(folder): str(seal) for folder, seal in rows}

    def week_seals(self, folder: str) -> dict[str, str]:
        """Week folder below the archive folder `folder` ('public/archive/2024-W25/') -> its
        seal; looked at only for a feed whose own seal no longer holds."""
        try:
            rows = self.db.execute(
                "SELECT folder, seal FROM week_seals WHERE folder >= ? AND folder < ?",
                _span(folder),
            ).fetchall()
        except sqlite3.Error:  # as archive_seals(): every week is looked at
            return {}
        return {str(week): str(seal) for week, seal in rows}

    def unseal(self, keep: Collection[str], opened: Collection[str] = ()) -> None:
        """Before a build writes or removes archives, so that a build stopped half way never
        leaves a seal over files it changed: forget the seal of every archive folder but
        those of `keep`, and of every week below the `opened` ones (and below any forgotten)
        but those of `keep`. A build that keeps every seal writes nothing here."""
        kept = json.dumps(sorted(keep))
        try:
            forgotten = self.archive_seals().keys() - set(keep)
        except sqlite3.Error:
            forgotten = set()
        if not forgotten and not opened:
            return
        statements: list[tuple[str, Sequence[object]]] = [
            ("DELETE FROM archive_seals WHERE folder NOT IN (SELECT value FROM json_each(?))",
             (kept,)),
        ]  # fmt: skip
        for folder in sorted(forgotten | set(opened)):
            statements.append(
                (
                    "DELETE FROM week_seals WHERE folder >= ? AND folder < ?"
                    " AND folder NOT IN (SELECT value FROM json_each(?))",
                    (*_span(folder), kept),
                )
            )
        self._write_all(statements)

    def seal(self, folders: Mapping[str, str], weeks: Mapping[str, str]) -> None:
        """Store the seals of archive `folders` and of `weeks`, once their files are written."""
        if not folders and not weeks:
            return
        self._write_all(
            [("INSERT OR REPLACE INTO week_seals VALUES (?, ?)", row) for row in weeks.items()]
            + [("INSERT OR REPLACE INTO archive_seals VALUES (?, ?)", r) for r in folders.items()]
        )

    def remember(self, path: str, key: str, size: int, mtime_ns: int) -> None:
        self._write("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?)", path, key, size, mtime_ns)

    def forget(self, path: str) -> None:
        self._write("DELETE FROM outputs WHERE path = ?", path)
        self._write("DELETE FROM archived WHERE path = ?", path)

    # What each archive file was rendered from, so that an edit patches it (see _archived).

    def archived(self, path: str) -> tuple[FileRecord, list[Row]] | None:
        """The record of out/<path> and the rows it was rendered from, when both are known."""
        try:
            archived = Archived(self.db)
            record = archived.file(path)
            if record is None:
                return None
            folder = path.rpartition("/")[0] + "/"
            rows = archived.rows(folder, record.content)
        except sqlite3.Error:  # a damaged record is no record: the archive is rendered whole
            return None
        return None if rows is None else (record, rows)

    def remember_archived(self, path: str, record: FileRecord, rows: list[Row]) -> None:
        try:
            with self._transaction("IMMEDIATE"):
                Archived(self.db).remember(path, path.rpartition("/")[0] + "/", record, rows)
        except sqlite3.Error:
            pass  # as in _write: the next edit of this week renders it whole

    def _write(self, statement: str, *values: object) -> None:
        self._write_all([(statement, values)])

    def _write_all(self, statements: Sequence[tuple[str, Sequence[object]]]) -> None:
        try:
            with self._transaction("IMMEDIATE"):
                for statement, values in statements:
                    self.db.execute(statement, values)
        except sqlite3.Error:
            # A cache that cannot be written (read-only, disk full) only means the next
            # build renders this output again to find it unchanged.
            pass
