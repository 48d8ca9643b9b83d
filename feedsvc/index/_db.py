"""The persistent index of item files: what each file holds, kept in SQLite between builds.

A file whose mtime and size have not changed is never read again; which files changed is found
folder by folder (_changes.py) and their rows replaced (_sync.py), and what spans files is kept
up to date by _crossfile.py. Feeds are chosen by queries (newest N live items, per category), so
a build never holds the whole archive in memory. The index is only a cache: deleting it gives a
cold build with the same output, any change to feedsvc's code or libraries empties it
(_schema.py), and so does damage (_damage.py).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from feedsvc.index import _crossfile, _schema, _sums
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
    week_rows,
)
from feedsvc.index._pool import Parsed
from feedsvc.index._schema import code_version
from feedsvc.index._sync import Sync
from feedsvc.index._written import Outputs, rows_outside
from feedsvc.items import Problem, Scan

if TYPE_CHECKING:
    from feedsvc._progress import Progress

__all__ = ["ALL", "NO_WEEKS", "ArchiveWeek", "ArchiveWeeks", "Chosen", "Index", "code_version"]


@dataclass(frozen=True, slots=True)
class Chosen:
    """An item chosen for a feed: enough to read it back and to know if it changed."""

    path: str
    digest: str


class Index(Outputs):
    """The index of one items folder: what its files hold, and (see Outputs) what out/ holds."""

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
        rows = rows_outside(self.db, "path, key", sealed)
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
        rows = week_rows(self.db, ALL if category is None else category, span.start, end)
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
