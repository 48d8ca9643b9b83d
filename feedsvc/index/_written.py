"""What the index remembers of out/: each output's key, size and time as last written, the
seals of the archive folders and weeks, and what each archive file was rendered from.

The items' side of the index is _db.Index; this is the outputs' side, which it takes in.
A cache like the rest: a row that cannot be written only costs a render next time.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from feedsvc.index import _schema
from feedsvc.index._archived import Archived, FileRecord, Row
from feedsvc.index._damage import trusted as _trusted

__all__ = ["Outputs", "rows_outside"]

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


def rows_outside(
    db: sqlite3.Connection, columns: str, sealed: Collection[str]
) -> Iterator[tuple[Any, ...]]:
    for query, values in _queries(columns, sealed):
        yield from db.execute(query, values)


# A size or time lost (NULL) reads as one no file has: the output is then looked at again,
# as for any other wrong value in this table, which is only a cache of what was written.
_WRITTEN = "key, IFNULL(size, -1), IFNULL(mtime_ns, -1)"


class Outputs:
    """The outputs' side of the index (see Index)."""

    db: sqlite3.Connection

    @contextmanager
    def _transaction(self, kind: str) -> Iterator[None]:
        with _schema.transaction(self.db, kind):
            yield

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
        rows = rows_outside(self.db, f"path, {_WRITTEN}", sealed)
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
