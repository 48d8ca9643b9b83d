"""The members database: names, token hashes and polls, behind a small interface.

Only sha256(token) is stored. A token is 256 random bits (secrets.token_urlsafe(32)), so no
slow key derivation is needed: a slow hash protects guessable passwords from a stolen
database, and nobody can enumerate 2**256 tokens, slowly or fast. It also lets a request find
its member with one indexed equality lookup, never a comparison that stops at the first
differing character.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from feedsvc.errors import MembersUnavailable

if TYPE_CHECKING:
    from feedsvc.serve._members_pg import PostgresAddress

__all__ = [
    "Member",
    "MemberStats",
    "Members",
    "SQLiteMembers",
    "members_store",
    "new_token",
    "token_hash",
    "valid_name",
]

TOKEN_BYTES = 32
# Polls are kept this long: enough for "last 24 hours" and "distinct clients recently".
KEEP_POLLS = 7 * 24 * 3600
DAY = 24 * 3600
# Old polls are pruned by about one poll in this many, rather than by every poll.
PRUNE_EVERY = 1000
_NAME = re.compile(r"[^\x00-\x1f\x7f:]{1,200}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def valid_name(name: str) -> bool:
    """A member's name: one line, no colon (HTTP Basic splits user and password at the first)."""
    return bool(_NAME.fullmatch(name)) and name.strip() == name


@dataclass(frozen=True, slots=True)
class Member:
    name: str


@dataclass(frozen=True, slots=True)
class MemberStats:
    name: str
    active: bool
    created: float
    last_poll: float | None
    polls_24h: int
    clients_7d: int


class Members(Protocol):
    """What the server and the command need, from SQLite (one host) or PostgreSQL (several)."""

    def open(self) -> None:
        """Reach the database now, and create feedsvc's tables where there are none; raise
        MembersUnavailable, saying what to do, when it cannot be reached or is not feedsvc's."""

    def add(self, name: str) -> str | None:
        """A new member's token; None when the name is taken."""

    def rotate(self, name: str) -> str | None: ...
    def revoke(self, name: str) -> bool: ...
    def stats(self, now: float) -> list[MemberStats]: ...
    def find(self, hashed: str) -> Member | None:
        """The member holding this token hash; MembersUnavailable when the database cannot
        answer (the server then answers 503, never a member's feed by mistake)."""

    def record_poll(self, name: str, client: str, now: float) -> None:
        """Count a poll; MembersUnavailable when the database cannot take it."""

    def close(self) -> None: ...


def members_store(location: Path | PostgresAddress) -> Members:
    """The store at `location`: a SQLite file, or a PostgreSQL server's address."""
    if isinstance(location, Path):
        return SQLiteMembers(location)
    from feedsvc.serve._members_pg import PostgresMembers

    return PostgresMembers(location)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS members (
    name TEXT PRIMARY KEY,
    token_hash TEXT UNIQUE,          -- NULL once revoked
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS polls (
    name TEXT NOT NULL,
    at REAL NOT NULL,
    client TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS polls_by_member ON polls (name, at);
"""
# The columns of feedsvc's tables, in order: a table of that name with others is not feedsvc's.
_COLUMNS = {"members": ["name", "token_hash", "created"], "polls": ["name", "at", "client"]}


class SQLiteMembers:
    """The embedded default, one file on one host; several worker processes share it (WAL).

    Each thread keeps its own connection, and every lookup reads the file, so a member added
    or revoked by the command counts at the next request, without a restart.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            self._refuse_foreign_tables(db)
            db.execute("PRAGMA journal_mode=WAL")
            # Polls are statistics: losing the last second of them to a power cut is fine.
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            self._local.db = db
        return db

    def _refuse_foreign_tables(self, db: sqlite3.Connection) -> None:
        """Before anything is written: a file that holds someone else's `members` or `polls`
        is left as it is, rather than given feedsvc's other table and a journal mode."""
        for table, columns in _COLUMNS.items():
            found = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
            if found and found != columns:
                db.close()
                raise MembersUnavailable(
                    f"the members database {self.path} has a table {table} that feedsvc did "
                    "not create; feedsvc leaves it alone: give it a file of its own"
                )

    def open(self) -> None:
        """Open the file now: one that is not a members database is found before any change."""
        try:
            self._db()
        except (sqlite3.Error, OSError) as error:
            raise MembersUnavailable(
                f"the members database {self.path} cannot be used ({error}); restore it from a "
                "backup, or move it away to start a new one (every member then needs a new "
                "address)"
            ) from None

    def close(self) -> None:
        """This thread's connection: the others close with their threads."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def add(self, name: str) -> str | None:
        token = new_token()
        with self._db() as db:
            cursor = db.execute(
                "INSERT INTO members (name, token_hash, created) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO NOTHING",
                (name, token_hash(token), time.time()),
            )
        return token if cursor.rowcount else None

    def rotate(self, name: str) -> str | None:
        token = new_token()
        with self._db() as db:
            cursor = db.execute(
                "UPDATE members SET token_hash = ? WHERE name = ?", (token_hash(token), name)
            )
        return token if cursor.rowcount else None

    def revoke(self, name: str) -> bool:
        with self._db() as db:
            cursor = db.execute(
                "UPDATE members SET token_hash = NULL WHERE name = ? AND token_hash IS NOT NULL",
                (name,),
            )
        return bool(cursor.rowcount)

    def exists(self, name: str) -> bool:
        row = self._db().execute("SELECT 1 FROM members WHERE name = ?", (name,)).fetchone()
        return row is not None

    def find(self, hashed: str) -> Member | None:
        try:
            row = (
                self._db()
                .execute("SELECT name FROM members WHERE token_hash = ?", (hashed,))
                .fetchone()
            )
        except (sqlite3.Error, OSError) as error:
            raise MembersUnavailable(
                f"the members database {self.path} cannot be used ({error})"
            ) from None
        return Member(row[0]) if row else None

    def record_poll(self, name: str, client: str, now: float) -> None:
        try:
            with self._db() as db:
                db.execute(
                    "INSERT INTO polls (name, at, client) VALUES (?, ?, ?)", (name, now, client)
                )
        except (sqlite3.Error, OSError) as error:
            raise MembersUnavailable(
                f"the members database {self.path} cannot be used ({error})"
            ) from None
            if secrets.randbelow(PRUNE_EVERY) == 0:
                db.execute("DELETE FROM polls WHERE at < ?", (now - KEEP_POLLS,))

    def stats(self, now: float) -> list[MemberStats]:
        rows = (
            self._db()
            .execute(
                """
            SELECT m.name, m.token_hash IS NOT NULL, m.created,
                   (SELECT max(at) FROM polls p WHERE p.name = m.name),
                   (SELECT count(*) FROM polls p WHERE p.name = m.name AND p.at >= ?),
                   (SELECT count(DISTINCT client) FROM polls p
                     WHERE p.name = m.name AND p.at >= ?)
            FROM members m ORDER BY m.name
            """,
                (now - DAY, now - KEEP_POLLS),
            )
            .fetchall()
        )
        return [MemberStats(r[0], bool(r[1]), r[2], r[3], r[4], r[5]) for r in rows]
