"""Each feed's items by ISO week of publication (UTC), with a digest per week.

An RFC 5005 archive holds one week of one feed: a week rather than a calendar month because
an edit rewrites its whole archive, and a week's is a quarter of a month's bytes. Its key
needs the ids and digests of every item in that week, which a query over the whole archive
would cost on every build. So the digest of each (feed, week) is stored (in the table and
column named `months` and `month`, from when archives were monthly), and a sync recomputes
only the weeks its changed files were or are in, by range queries on the indexes that already
order each feed by moment (files_live, categories_feed). Feed '' is every item (main and
members' feeds); a category slug is that category's. Items not live yet (scheduled) are in
the digest, so a week's row never depends on the clock: the plan leaves out the weeks after
its moment and counts the items live in the week of it (live_this_week).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from itertools import groupby
from typing import NamedTuple

from feedsvc.index._crossfile import chunks

__all__ = [
    "ALL",
    "NO_WEEKS",
    "ArchiveWeek",
    "ArchiveWeeks",
    "Months",
    "WeekRange",
    "week_digest",
    "week_of",
    "week_rows",
]  # fmt: skip

ALL = ""  # the feed of every item
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Key = tuple[str, str]  # (feed, week)


def _micro(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


_WEEK = 7 * 86_400_000_000  # microseconds
_MONDAY = 3 * 86_400_000_000  # 1970-01-01 was a Thursday: the epoch's week began 3 days before


def week_of(live_from: int) -> str:
    """'2024-W23' (ISO 8601 week, Monday to Sunday) for a moment in UTC microseconds."""
    # Named once per week: every build names the weeks of thousands of scheduled items.
    return _week_name((live_from + _MONDAY) // _WEEK)


@cache
def _week_name(weeks: int) -> str:
    year, week, _ = (EPOCH + timedelta(microseconds=weeks * _WEEK - _MONDAY)).isocalendar()
    return f"{year:04d}-W{week:02d}"


@dataclass(frozen=True, slots=True)
class WeekRange:
    name: str
    start: int  # UTC microseconds, inclusive
    end: int  # exclusive

    @classmethod
    def of(cls, name: str) -> WeekRange:
        start = datetime.fromisocalendar(int(name[:4]), int(name[6:]), 1).replace(tzinfo=UTC)
        return cls(name, _micro(start), _micro(start + timedelta(days=7)))


class ArchiveWeek(NamedTuple):  # hundreds a feed: a tuple is made fastest
    """One ISO week (UTC) of one feed, as live at a moment: what its archive's key needs."""

    name: str  # '2024-W25'
    digest: str  # of every item of the week, scheduled ones included
    items: int  # live: the first of them in order of their moment (see live_this_week)


class ArchiveWeeks:
    """One feed's archive weeks as live at a moment, summed up without reading them: a
    feed whose archives' seal holds needs only `digest`, `listed` and `newest`, and a no-op
    reads no week of any feed. The weeks are read, and checked against the feed's stored
    digest, when first asked for."""

    __slots__ = ("_load", "_weeks", "count", "digest", "listed", "newest")

    def __init__(
        self, digest: str, listed: str, newest: str | None, count: int,
        load: Callable[[], tuple[ArchiveWeek, ...]],
    ) -> None:  # fmt: skip
        self.digest = digest  # a key over every week's name, digest and live items
        self.listed = listed  # a key over every week's name and live items
        self.newest = newest  # the newest week's name; None when the feed has none
        self.count = count  # how many weeks
        self._load = load
        self._weeks: tuple[ArchiveWeek, ...] | None = None

    @property
    def weeks(self) -> tuple[ArchiveWeek, ...]:
        """Oldest first."""
        if self._weeks is None:
            self._weeks = self._load()
        return self._weeks


NO_WEEKS = ArchiveWeeks("", "", None, 0, tuple)


def week_digest(rows: Iterable[tuple[int, str, str]]) -> str:
    """The digest of a week's (live_from, id, digest) rows, newest first."""
    hasher = hashlib.blake2b(digest_size=16)
    for row in rows:
        hasher.update(repr(row).encode() + b"\0")
    return hasher.hexdigest()


def _hash(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


_FEED_ROWS = {
    True: """SELECT live_from, id, digest, path FROM files WHERE live_from IS NOT NULL
             AND live_from >= ? AND live_from < ? ORDER BY live_from DESC, id""",
    False: """SELECT c.live_from, c.id, f.digest, c.path FROM categories c
              JOIN files f ON f.path = c.path
              WHERE c.slug = ? AND c.live_from IS NOT NULL AND c.live_from >= ?
              AND c.live_from < ? ORDER BY c.live_from DESC, c.id""",
}


def week_rows(
    db: sqlite3.Connection, feed: str, start: int, end: int
) -> list[tuple[int, str, str, str]]:
    """The (live_from, id, digest, path) of `feed`'s items live from `start` to before `end`,
    newest first, equal moments by id: the order week_digest() takes them in, and the order
    of the feeds (newest() in _db.py), on the same indexes."""
    if feed == ALL:
        return db.execute(_FEED_ROWS[True], (start, end)).fetchall()
    return db.execute(_FEED_ROWS[False], (feed, start, end)).fetchall()


class Months:
    """The months table of one index database.

    Kept only once a build has asked for archives: a cold build of 100,000 items spends about
    2 s filling it, which a site without archives (the default) would pay for nothing.
    """

    SCHEMA = """CREATE TABLE months (
        feed TEXT NOT NULL, month TEXT NOT NULL, digest TEXT NOT NULL, items INTEGER NOT NULL,
        PRIMARY KEY (feed, month)
    );
    CREATE TABLE month_feeds (feed TEXT PRIMARY KEY, digest TEXT NOT NULL, shape TEXT NOT NULL);"""
    # month_feeds: per feed, a hash of its rows of months (every field) and one of their
    # names and items only, so that a build knows whether a feed's weeks changed, and its
    # index page's list of them, without reading its hundreds of weeks.
    TABLES = ("months", "month_feeds")

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def touched(self, paths: Iterable[str]) -> set[Key]:
        """The (feed, week) of every row these files have in the index now."""
        found: set[Key] = set()
        for chunk, marks in chunks(sorted(set(paths))):
            rows = self.db.execute(
                f"SELECT live_from FROM files WHERE live_from IS NOT NULL AND path IN ({marks})",
                chunk,
            )
            found.update((ALL, week_of(live_from)) for (live_from,) in rows)
            rows = self.db.execute(
                f"SELECT slug, live_from FROM categories WHERE live_from IS NOT NULL "
                f"AND path IN ({marks})",
                chunk,
            )
            found.update((slug, week_of(live_from)) for slug, live_from in rows)
        return found

    def refresh(self, keys: Iterable[Key]) -> None:
        """Recompute the digest of each (feed, week). Raises Damaged when a feed's rows are
        not those month_feeds summed up: summed up again, a damaged row would be trusted."""
        keys = sorted(keys)
        for feed in sorted({feed for feed, _ in keys}):
            found = self.db.execute(
                "SELECT digest FROM month_feeds WHERE feed = ?", (feed,)
            ).fetchone()
            held = self._rows(feed)
            if (found or held) and (found[0] if found else "") != _hash(held):
                from feedsvc.index._damage import Damaged  # which imports this module

                raise Damaged(f"the archive weeks of feed {feed!r} no longer match their digest")
        for feed, name in keys:
            week = WeekRange.of(name)
            found = week_rows(self.db, feed, week.start, week.end)
            if found:
                self.db.execute(
                    "INSERT OR REPLACE INTO months VALUES (?, ?, ?, ?)",
                    (feed, name, week_digest(row[:3] for row in found), len(found)),
                )
            else:
                self.db.execute("DELETE FROM months WHERE feed = ? AND month = ?", (feed, name))
        self._sum_up({feed for feed, _ in keys})

    def _sum_up(self, feeds: Iterable[str] | None = None) -> None:
        """Bring month_feeds up to date with the rows of `feeds` (of every feed when None)."""
        if feeds is None:
            self.db.execute("DELETE FROM month_feeds")
            feeds = [feed for (feed,) in self.db.execute("SELECT DISTINCT feed FROM months")]
        for feed in sorted(feeds):
            rows = self._rows(feed)
            if rows:
                self.db.execute(
                    "INSERT OR REPLACE INTO month_feeds VALUES (?, ?, ?)",
                    (feed, _hash(rows), _hash([(name, items) for name, _, items in rows])),
                )
            else:
                self.db.execute("DELETE FROM month_feeds WHERE feed = ?", (feed,))

    def _rows(self, feed: str) -> list[tuple[str, str, int]]:
        return self.db.execute(
            "SELECT month, digest, items FROM months WHERE feed = ? ORDER BY month", (feed,)
        ).fetchall()

    def kept(self) -> bool:
        """Whether the table is kept up to date (archives were asked for since the last reset)."""
        row = self.db.execute("SELECT 1 FROM meta WHERE key = 'months'").fetchone()
        return row is not None

    def start_keeping(self) -> None:
        """Fill the table and keep it from now on; inside a write transaction."""
        self.rebuild()
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('months', 'kept')")

    def rebuild(self) -> None:
        """Every week of every feed, in one ordered pass per feed kind."""
        self.db.execute("DELETE FROM months")
        passes = (
            "SELECT '', live_from, id, digest FROM files WHERE live_from IS NOT NULL"
            " ORDER BY live_from DESC, id",
            "SELECT c.slug, c.live_from, c.id, f.digest FROM categories c"
            " JOIN files f ON f.path = c.path WHERE c.live_from IS NOT NULL"
            " ORDER BY c.slug, c.live_from DESC, c.id",
        )
        for query in passes:
            batch: list[tuple[str, str, str, int]] = []
            rows = self.db.execute(query)
            for (feed, week), group in groupby(rows, lambda row: (row[0], week_of(row[1]))):
                found = [row[1:] for row in group]
                batch.append((feed, week, week_digest(found), len(found)))
            self.db.executemany("INSERT INTO months VALUES (?, ?, ?, ?)", batch)
        self._sum_up()

    def summed_up(
        self, now: int, weeks: Callable[[str, str, int, str], tuple[ArchiveWeek, ...]]
    ) -> dict[str, ArchiveWeeks]:
        """Feed -> its weeks with an item live at `now`, summed up from month_feeds and the
        newest two weeks of each: a few rows a feed. `weeks(feed, current, live, digest)`
        reads them when asked for (see weeks())."""
        current = week_of(now)
        live = self.live_this_week(now)
        found: dict[str, ArchiveWeeks] = {}
        for feed, digest, shape, before, closed, this_week in self.db.execute(
            """SELECT f.feed, f.digest, f.shape,
               (SELECT month FROM months m WHERE m.feed = f.feed AND m.month < ?
                ORDER BY m.month DESC LIMIT 1),
               (SELECT COUNT(*) FROM months m WHERE m.feed = f.feed AND m.month < ?),
               EXISTS (SELECT 1 FROM months m WHERE m.feed = f.feed AND m.month = ?)
               FROM month_feeds f""",
            (current, current, current),
        ):
            # Which weeks are live follows from the rows, the week of `now` and how many of
            # its items are live: a key over those is one over the weeks themselves.
            count = live.get(feed, 0) if this_week else 0
            newest = current if count else before
            if newest is None:
                continue
            found[feed] = ArchiveWeeks(
                _hash(digest, current, count), _hash(shape, current, count), newest,
                int(closed) + (1 if count else 0), partial(weeks, feed, current, count, digest),
            )  # fmt: skip
        return found

    def weeks(
        self, feed: str, current: str, live: int, digest: str
    ) -> tuple[ArchiveWeek, ...] | None:
        """The weeks of `feed` with an item live (`live` of them in the week `current`),
        oldest first; None when its rows are not those month_feeds summed up (damage)."""
        rows = self._rows(feed)
        if _hash(rows) != digest:
            return None
        found = []
        for name, week_digest, items in rows:
            if name == current:
                items = live
            elif name > current:
                break
            if items:
                found.append(ArchiveWeek(name, week_digest, items))
        return tuple(found)

    def live_this_week(self, now: int) -> dict[str, int]:
        """Feed -> how many items of the week of `now` are live at `now`. The only week whose
        items may be partly live: the weeks before are wholly, those after not at all; and
        as a week's items go live in order of their moment, its digest and this count say
        which of them are (not their ids, which would take a pass over every scheduled
        item and its categories on every build)."""
        start = WeekRange.of(week_of(now)).start
        (live,) = self.db.execute(
            "SELECT COUNT(*) FROM files WHERE live_from IS NOT NULL"
            " AND live_from >= ? AND live_from <= ?",
            (start, now),
        ).fetchone()
        found = {ALL: int(live)}
        for slug, count in self.db.execute(
            """SELECT s.slug, (SELECT COUNT(*) FROM categories c WHERE c.slug = s.slug
               AND c.live_from IS NOT NULL AND c.live_from >= ? AND c.live_from <= ?)
               FROM slugs s""",
            (start, now),
        ):
            found[slug] = int(count)
        return found
