"""Sums over what builds read from the index, to notice a damaged cache that does not raise.

A bit flipped in a page, a row missing from an index or a row edited by hand may leave SQLite
answering without an error, and a build choosing the wrong items. Each query below goes through
the same index a build's own queries use and sums what they read (counts, values, row ids,
lengths), in SQLite's C code: at 100,000 items the feeds' sums cost tens of milliseconds,
where a full `PRAGMA quick_check` costs over a hundred and misses an index that no longer
matches its table. The sums are stored when the index is written and compared before it is
trusted again: the small tables at every build (NO_OP), the feeds' choice before a build writes
anything, and the structures only a change reads when files change.

Sums over rows add up, so a change updates them from the rows it deletes and inserts (`moved`)
rather than summing the whole archive again; the small tables and the findings across files
are digested whole.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "ADDITIVE",
    "CHANGES",
    "EMPTY",
    "EVERY_BUILD",
    "NO_OP",
    "Apart",
    "Sum",
    "Sums",
    "compute",
    "counts",
    "differs",
    "moved",
    "of_paths",
]

# The sums of a new index, whose secondary indexes are built only after its first load.
EMPTY = "empty"
_EMPTY_TABLES = (
    "SELECT 1 FROM files UNION ALL SELECT 1 FROM categories UNION ALL SELECT 1 FROM problems"
    " UNION ALL SELECT 1 FROM slugs"
    " UNION ALL SELECT 1 FROM meta WHERE key = 'across' AND value != '[[], []]' LIMIT 1"
)

_P = 1_000_003  # a prime: a flipped bit of any integer changes its value modulo it
_MARKS = 500  # paths per query, well under SQLite's limit of bound values

# name -> {group: [count, sums...]}; "" is the group of a sum not grouped
Sums = dict[str, dict[str, list[int]]]


@dataclass(frozen=True, slots=True)
class Sum:
    """Sums over the rows of `table` read through `through`; their first column a count."""

    table: str
    through: str  # "INDEXED BY <index>" or "NOT INDEXED"
    columns: str
    where: str = ""
    by_slug: bool = False

    def _select(self, source: str, where: list[str]) -> str:
        group = "slug, " if self.by_slug else "'', "
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        grouped = " GROUP BY slug" if self.by_slug else ""
        columns = self.columns.format(p=_P)
        return f"SELECT {group}{columns} FROM {self.table} {source}{clause}{grouped}"

    def whole(self) -> str:
        return self._select(self.through, [self.where] if self.where else [])

    def of(self, marks: str) -> str:
        """Over the rows of some paths, found by path, as a change finds them."""
        where = [f"path IN ({marks})", *([self.where] if self.where else [])]
        return self._select("", where)


# What every build reads: the feeds' choice of items, the categories, the problems, and the
# findings across files.
EVERY_BUILD: dict[str, Sum | str] = {
    "feed": Sum("categories", "INDEXED BY categories_feed",
                "count(*), sum(live_from % {p}), sum(rowid), sum(length(id))",
                "live_from IS NOT NULL", by_slug=True),
    "live": Sum("files", "INDEXED BY files_live",
                "count(*), sum(live_from % {p}), sum(rowid), sum(length(id))",
                "live_from IS NOT NULL"),
    "slugs": "SELECT slug, name FROM slugs NOT INDEXED ORDER BY rowid",
    "problems": "SELECT path, line, field, message FROM problems NOT INDEXED ORDER BY rowid",
    "across": "SELECT value FROM meta WHERE key = 'across'",
    # The archives' weeks (empty unless archives are kept): a row lost or edited would drop
    # a week from every chain, or keep an edited week's archive as it was. Each feed's rows
    # are summed up in month_feeds, digested whole; the thousands of rows, in C (a no-op
    # reads none of them but the newest of each feed, and a feed's weeks read are checked
    # against its digest there).
    "months": "SELECT count(*), sum(items), sum(rowid), sum(length(feed) + length(digest)),"
              " sum(unicode(digest) + unicode(substr(digest, 9))),"
              " sum(CAST(substr(month, 1, 4) AS INTEGER) * 100"
              " + CAST(substr(month, 7) AS INTEGER)) FROM months NOT INDEXED",
    "month_feeds": "SELECT feed, digest, shape FROM month_feeds NOT INDEXED ORDER BY rowid",
}  # fmt: skip
# What only a change reads: the rows of changed files are found and deleted through these, and
# the findings across files are brought up to date through them.
CHANGES: dict[str, Sum | str] = {
    # Not the stats: a damaged one only makes its file be read again.
    "files": Sum("files", "NOT INDEXED",
                 "count(*), sum(rowid), sum(length(path)), sum(live_from % {p}),"
                 " sum(due % {p}), sum(length(digest)), sum(length(id)), sum(length(url))"),
    "paths": Sum("files", "INDEXED BY sqlite_autoindex_files_1",
                 "count(*), sum(rowid), sum(length(path))"),
    "ids": Sum("files", "INDEXED BY files_id", "count(*), sum(rowid), sum(length(id))",
               "id IS NOT NULL"),
    "urls": Sum("files", "INDEXED BY files_url", "count(*), sum(rowid), sum(length(url))",
                "url IS NOT NULL"),
    "categories": Sum("categories", "NOT INDEXED",
                      "count(*), sum(rowid), sum(length(path)), sum(length(name)),"
                      " sum(length(slug)), sum(live_from % {p}), sum(length(id))"),
    "by_path": Sum("categories", "INDEXED BY categories_path",
                   "count(*), sum(rowid), sum(length(path))"),
    "by_slug": Sum("categories", "INDEXED BY categories_slug",
                   "count(*), sum(rowid), sum(length(name))", by_slug=True),
}  # fmt: skip
# Of those, what a build that writes nothing checks. The feeds' choice is checked only before
# a build writes, removes or indexes anything: a build whose every output has the key the index
# last wrote it with chose, through those indexes, the items the build that wrote out/ chose,
# so a damage there has changed nothing yet. This is most of the check's cost at 100,000 items.
NO_OP = {name: query for name, query in EVERY_BUILD.items() if name not in ("feed", "live")}
ADDITIVE = {name: query for name, query in {**EVERY_BUILD, **CHANGES}.items()
            if isinstance(query, Sum)}  # fmt: skip


def _groups(rows: Iterable[tuple[str, ...]]) -> dict[str, list[int]]:
    return {
        str(group): [int(value or 0) for value in values]  # a sum over no rows is NULL
        for group, *values in rows
    }


def compute(db: sqlite3.Connection, queries: Mapping[str, Sum | str]) -> dict[str, object]:
    """What each query reads: sums over rows as they are, whole tables as a digest."""
    sums: dict[str, object] = {}
    for name, query in queries.items():
        if isinstance(query, Sum):
            sums[name] = _groups(db.execute(query.whole()))
        else:
            rows = db.execute(query).fetchall()
            sums[name] = hashlib.blake2b(repr(rows).encode(), digest_size=16).hexdigest()
    return sums


def of_paths(db: sqlite3.Connection, paths: list[str]) -> Sums:
    """What the rows of these paths add to each sum over rows."""
    found: Sums = {name: {} for name in ADDITIVE}
    for start in range(0, len(paths), _MARKS):
        chunk = paths[start : start + _MARKS]
        marks = ",".join("?" * len(chunk))
        for name, query in ADDITIVE.items():
            _add(found[name], _groups(db.execute(query.of(marks), chunk)), 1)
    return found


def _add(into: dict[str, list[int]], groups: dict[str, list[int]], sign: int) -> None:
    for group, values in groups.items():
        held = into.setdefault(group, [0] * len(values))
        for position, value in enumerate(values):
            held[position] += sign * value


def moved(stored: dict[str, object], gone: Sums, added: Sums) -> dict[str, object]:
    """The stored sums over rows once the rows `gone` are deleted and `added` inserted."""
    sums = dict(stored)
    for name, query in ADDITIVE.items():
        held = stored.get(name)
        if not isinstance(held, dict):  # checked before the change: damaged meanwhile
            raise ValueError(f"the stored sums of {name} are not sums")
        groups = {str(group): [int(value) for value in values] for group, values in held.items()}
        _add(groups, gone[name], -1)
        _add(groups, added[name], 1)
        # A group left with no row is none: a sum over the whole table would not list it.
        sums[name] = {
            group: values for group, values in groups.items() if values[0] or not query.by_slug
        }
    return sums


def differs(
    db: sqlite3.Connection, stored: str | None, queries: Mapping[str, Sum | str]
) -> str | None:
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


def counts(stored: str | None) -> tuple[int, int, int] | None:
    """Files, valid items and dated items (valid, not drafts), as the stored sums count them;
    None when they do not hold them (a new index, or sums not as written)."""
    if stored is None or stored == EMPTY:
        return None
    try:
        sums = json.loads(stored)
        files, valid, dated = (int(sums[name][""][0]) for name in ("files", "ids", "live"))
    except (ValueError, TypeError, KeyError, IndexError):
        return None
    return files, valid, dated


class Apart:
    """differs() taken beside the build, on connections of its own, in a few threads.

    Each connection begins its read transaction here, so it reads the index as it stands now,
    whatever the build writes meanwhile (the write-ahead log keeps that snapshot); SQLite
    computes the sums with Python's lock released, so they run while the build goes on and
    on both cores. result() waits for them.
    """

    def __init__(
        self, location: str, stored: str | None, queries: Mapping[str, Sum | str], ways: int
    ) -> None:
        self.stored = stored
        # The largest first, each taken by the first thread free: whole tables, then the
        # scans of an index, then the small tables.
        self.todo = sorted(queries.items(), key=_size)
        self.found: list[str] = []
        self.failed: list[BaseException] = []
        self.connections: list[sqlite3.Connection] = []
        self.threads: list[threading.Thread] = []
        try:
            for _ in range(max(1, min(ways, len(self.todo)))):
                db = sqlite3.connect(location, isolation_level=None, check_same_thread=False)
                self.connections.append(db)
                db.execute("PRAGMA cache_size = -16384")
                db.execute("BEGIN")
                db.execute("SELECT 1 FROM meta LIMIT 1").fetchall()  # the snapshot starts here
        except BaseException:
            self._close()
            raise
        for db in self.connections:
            thread = threading.Thread(target=self._run, args=(db,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _run(self, db: sqlite3.Connection) -> None:
        try:
            while not self.found:
                try:
                    name, query = self.todo.pop(0)  # atomic under Python's lock
                except IndexError:
                    return
                found = differs(db, self.stored, {name: query})
                if found is not None:
                    self.found.append(found)
        except BaseException as error:  # handed to the thread that waits
            self.failed.append(error)

    def result(self) -> str | None:
        """What does not match the stored sums, or None; raises what a query raised."""
        try:
            for thread in self.threads:
                thread.join()
        except BaseException:  # stopped while waiting: no query goes on behind the stop
            self.cancel()
            raise
        self._close()
        if self.found:
            return self.found[0]
        if self.failed:
            raise self.failed[0]
        return None

    def cancel(self) -> None:
        """Stop the queries, unwanted now (the build stopped, or starts again)."""
        self.todo.clear()
        for db in self.connections:
            db.interrupt()
        for thread in self.threads:
            thread.join()
        self._close()

    def _close(self) -> None:
        for db in self.connections:
            db.close()
        self.connections = []


def _size(item: tuple[str, Sum | str]) -> int:
    query = item[1]
    if not isinstance(query, Sum):
        return 2
    return 0 if query.through == "NOT INDEXED" else 1
