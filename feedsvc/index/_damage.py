"""A damaged index: what counts as damage, how a read notices it, and how it is emptied."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, Protocol, TypeVar

from feedsvc.errors import CacheDamaged
from feedsvc.index import _schema

__all__ = ["DAMAGE", "Damaged", "emptied", "is_damage", "meta", "reset", "trusted"]


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


class _Store(Protocol):
    db: sqlite3.Connection

    def discard(self, why: str) -> None: ...

    def damaged_note(self) -> str: ...


_P = ParamSpec("_P")
_T = TypeVar("_T")


def trusted(read: Callable[_P, _T]) -> Callable[_P, _T]:
    """A read of the index that finds it damaged empties it, and stops the build with
    CacheDamaged: what was read before it cannot be trusted either, so the build starts again."""

    @functools.wraps(read)
    def checked(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        index: _Store = args[0]  # type: ignore[assignment]
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


def meta(db: sqlite3.Connection, key: str) -> str | None:
    try:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    except DAMAGE as error:
        if not is_damage(error):
            raise
        return None  # no schema yet, or not an index at all: start again
    return None if row is None else str(row[0])


def reset(db: sqlite3.Connection, owner: str) -> None:
    """Empty an index made by another feedsvc version, or for another items folder."""
    with _schema.transaction(db, "IMMEDIATE"):
        # Asked again under the write lock: another process may have just made it ours.
        if meta(db, "code") == _schema.code_version() and meta(db, "items") == owner:
            return
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master")]
        for name in _schema.TABLES:
            if name in tables:
                db.execute(f"DROP TABLE {name}")
        _schema.create(db, owner)


def emptied(
    damaged: sqlite3.Connection | None, location: Path | None, owner: str
) -> sqlite3.Connection:
    """Empty a damaged index: its content replaced whole, the file kept; returns the
    connection to use from now on.

    Not deleted and made again: another feedsvc process may have it open, and would go on
    writing into a write-ahead log that a new file would then take for its own. SQLite's
    backup copies a new, empty index over it under SQLite's own locks, so that process
    sees the old content or the new. Only a file SQLite cannot open at all (its header
    gone), which no process can be using, is replaced.
    """
    empty = sqlite3.connect(":memory:", isolation_level=None)
    try:
        empty.execute("PRAGMA page_size = 4096")
        _schema.create(empty, owner)
        if damaged is not None:
            try:
                empty.backup(damaged)
                return damaged
            except sqlite3.Error as error:
                if not is_damage(error):
                    raise
                damaged.close()
        assert location is not None  # a database in memory is never damaged
        new = location.with_name(location.name + ".new")
        fresh = sqlite3.connect(new)
        empty.backup(fresh)
        fresh.close()
        new.replace(location)
        location.with_name(location.name + "-wal").unlink(missing_ok=True)
        return _schema.connect(location)
    finally:
        empty.close()
