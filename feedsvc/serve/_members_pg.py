"""The members database on a PostgreSQL server, so that several hosts serve the same members.

psycopg (3) is an optional extra, imported only when a PostgreSQL address is configured.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from feedsvc.errors import MembersUnavailable, ServeConfigError
from feedsvc.serve._members import (
    DAY,
    KEEP_POLLS,
    PRUNE_EVERY,
    Member,
    MemberStats,
    new_token,
    token_hash,
)

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

__all__ = ["SCHEMES", "PostgresAddress", "PostgresMembers"]

SCHEMES = ("postgresql://", "postgres://")
INSTALL = "pip install 'feedsvc[postgres]'"
# Prefixed: the site's own database may well have a `members` table of its own.
MEMBERS, POLLS = "feedsvc_members", "feedsvc_polls"
# The mark that says a table is feedsvc's: a table of that name without it is left alone.
MARK = "feedsvc members database, schema 1"
_SECRET_PARAMETERS = {"password", "sslpassword"}
# Serialises the creation of the tables by workers and hosts that start at the same moment,
# and the pruning of old polls (one pruner at a time; the others skip it).
_CREATE_LOCK, _PRUNE_LOCK = 0x66656564, 0x66656565
# Per process: the event loop's lookups and the background threads that record polls share
# them, and several workers on several hosts stay well under the server's max_connections.
POOL_SIZE = 4
CONNECT_TIMEOUT = 10
# A request waits this long for a connection, then fails, rather than pile up in an outage.
POOL_WAIT = 5

_SCHEMA = f"""
CREATE TABLE {MEMBERS} (
    name text PRIMARY KEY,
    token_hash text UNIQUE,          -- NULL once revoked
    created double precision NOT NULL
);
CREATE TABLE {POLLS} (
    name text NOT NULL,
    at double precision NOT NULL,
    client text NOT NULL
);
CREATE INDEX {POLLS}_by_member ON {POLLS} (name, at);
COMMENT ON TABLE {MEMBERS} IS '{MARK}';
COMMENT ON TABLE {POLLS} IS '{MARK}';
"""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PostgresAddress:
    """A `postgresql://` address, which may carry a password: shown, it never does."""

    url: str = field(repr=False)

    def __post_init__(self) -> None:
        try:
            _ = urlsplit(self.url).port  # parsed for its errors: a bad host or port
        except ValueError as error:
            raise ServeConfigError(
                f"the members database address is not a valid postgresql:// address ({error}); "
                "write it as postgresql://user@host:port/database"
            ) from None

    def __str__(self) -> str:
        parts = urlsplit(self.url)
        userinfo, at, hosts = parts.netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in _SECRET_PARAMETERS]
        netloc = f"{user}{at}{hosts}"
        return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="/"), ""))

    def __repr__(self) -> str:
        return f"PostgresAddress({str(self)!r})"


def _driver() -> Any:
    try:
        import psycopg
        import psycopg_pool
    except ImportError:
        raise MembersUnavailable(
            f"a PostgreSQL members database needs the psycopg driver: {INSTALL}"
        ) from None
    return psycopg, psycopg_pool


class PostgresMembers:
    """Members on a PostgreSQL server: every worker of every host reads and writes the same
    rows, so a member added, rotated or revoked counts at the next request anywhere."""

    def __init__(self, address: PostgresAddress, prune_every: int = PRUNE_EVERY) -> None:
        self.address = address
        self.prune_every = prune_every
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None

    def _refusal(self, error: Exception, reached: bool) -> MembersUnavailable:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if reached:  # a right missing, say: nothing to do with the network
            return MembersUnavailable(
                f"the members database {self.address} cannot be used ({reason})"
            )
        return MembersUnavailable(
            f"the members database {self.address} cannot be reached ({reason}); check that the "
            "PostgreSQL server runs and that the address, user and password are right"
        )

    def open(self) -> None:
        psycopg, psycopg_pool = _driver()
        try:
            with psycopg.connect(
                self.address.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT
            ) as connection:
                self._ensure_tables(connection)
        except psycopg.Error as error:
            reached = not isinstance(error, psycopg.OperationalError)
            raise self._refusal(error, reached) from None
        if self._pool is None:
            self._pool = psycopg_pool.ConnectionPool(
                self.address.url,
                min_size=1,
                max_size=POOL_SIZE,
                kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT},
                open=True,
                timeout=POOL_WAIT,
                name="feedsvc-members",
            )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def _ensure_tables(self, connection: psycopg.Connection[Any]) -> None:
        """Create feedsvc's tables where there are none; refuse tables of those names that
        feedsvc did not make, rather than write into someone else's."""
        with connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (_CREATE_LOCK,))
            found = dict(
                connection.execute(
                    "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c"
                    " WHERE c.relnamespace = current_schema()::regnamespace"
                    " AND c.relname IN (%s, %s)",
                    (MEMBERS, POLLS),
                ).fetchall()
            )
            if not found:
                connection.execute(_SCHEMA)
                return
        foreign = [name for name, mark in sorted(found.items()) if mark != MARK]
        if foreign:
            raise MembersUnavailable(
                f"the members database {self.address} has a table {', '.join(foreign)} that "
                "feedsvc did not create; feedsvc leaves it alone: give feedsvc a database or a "
                "schema of its own (for example ?options=-csearch_path%3Dfeedsvc at the end of "
                "the address, after `CREATE SCHEMA feedsvc`)"
            )
        if len(found) == 1:
            (missing,) = {MEMBERS, POLLS} - set(found)
            raise MembersUnavailable(
                f"the members database {self.address} has lost its table {missing}; restore "
                "it from a backup"
            )

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        if self._pool is None:
            self.open()
        assert self._pool is not None
        with self._pool.connection() as connection:
            yield connection

    def _retried(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """`work` on a pooled connection, once more on a fresh one if the first was broken
        (a server restart or failover breaks idle connections; the pool discards them).
        Raises MembersUnavailable when the second attempt fails too."""
        psycopg, psycopg_pool = _driver()
        try:
            with self._connection() as connection:
                return work(connection)
        except psycopg_pool.PoolTimeout as error:  # no connection for POOL_WAIT: no retry
            raise self._refusal(error, False) from None
        except psycopg.OperationalError:
            pass
        try:
            with self._connection() as connection:
                return work(connection)
        except psycopg.Error as error:  # the server is down: the caller answers 503
            raise self._refusal(error, not isinstance(error, psycopg.OperationalError)) from None

    def add(self, name: str) -> str | None:
        token = new_token()
        with self._connection() as connection:
            cursor = connection.execute(
                f"INSERT INTO {MEMBERS} (name, token_hash, created) VALUES (%s, %s, %s)"
                " ON CONFLICT (name) DO NOTHING",
                (name, token_hash(token), time.time()),
            )
        return token if cursor.rowcount else None

    def rotate(self, name: str) -> str | None:
        token = new_token()
        with self._connection() as connection:
            cursor = connection.execute(
                f"UPDATE {MEMBERS} SET token_hash = %s WHERE name = %s", (token_hash(token), name)
            )
        return token if cursor.rowcount else None

    def revoke(self, name: str) -> bool:
        with self._connection() as connection:
            cursor = connection.execute(
                f"UPDATE {MEMBERS} SET token_hash = NULL WHERE name = %s"
                " AND token_hash IS NOT NULL",
                (name,),
            )
        return bool(cursor.rowcount)

    def find(self, hashed: str) -> Member | None:
        def lookup(connection: psycopg.Connection[Any]) -> Member | None:
            row = connection.execute(
                f"SELECT name FROM {MEMBERS} WHERE token_hash = %s", (hashed,)
            ).fetchone()
            return Member(row[0]) if row else None

        return self._retried(lookup)

    def record_poll(self, name: str, client: str, now: float) -> None:
        def record(connection: psycopg.Connection[Any]) -> None:
            connection.execute(
                f"INSERT INTO {POLLS} (name, at, client) VALUES (%s, %s, %s)", (name, now, client)
            )

        self._retried(record)
        if secrets.randbelow(self.prune_every) == 0:
            self._prune(now)

    def _prune(self, now: float) -> None:
        # One pruner at a time: two deletes over the same rows could otherwise deadlock.
        with self._connection() as connection, connection.transaction():
            locked = connection.execute(
                "SELECT pg_try_advisory_xact_lock(%s)", (_PRUNE_LOCK,)
            ).fetchone()
            if locked and locked[0]:
                connection.execute(f"DELETE FROM {POLLS} WHERE at < %s", (now - KEEP_POLLS,))

    def stats(self, now: float) -> list[MemberStats]:
        with self._connection() as connection:
            rows = connection.execute(
                f"""
                SELECT m.name, m.token_hash IS NOT NULL, m.created,
                       (SELECT max(at) FROM {POLLS} p WHERE p.name = m.name),
                       (SELECT count(*) FROM {POLLS} p WHERE p.name = m.name AND p.at >= %s),
                       (SELECT count(DISTINCT client) FROM {POLLS} p
                         WHERE p.name = m.name AND p.at >= %s)
                FROM {MEMBERS} m ORDER BY m.name COLLATE "C"
                """,
                (now - DAY, now - KEEP_POLLS),
            ).fetchall()
        return [MemberStats(r[0], bool(r[1]), r[2], r[3], r[4], r[5]) for r in rows]
