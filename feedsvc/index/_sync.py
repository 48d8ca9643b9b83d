"""Bringing the index up to date with the files: which changed, and their rows replaced."""

from __future__ import annotations

import json
import marshal
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from feedsvc._procs import workers
from feedsvc.index import _changes, _crossfile, _schema, _sums
from feedsvc.index._damage import Damaged, meta
from feedsvc.index._months import Months
from feedsvc.index._pool import Parsed, Record, records
from feedsvc.items import Folder, Scan

if TYPE_CHECKING:
    from feedsvc._progress import Progress

__all__ = ["Sync"]

Row = tuple[object, ...]
RACY_NS = 2_000_000_000
RECHECK = -1  # an mtime no file has: the file is read again at the next build
Moved = tuple[_sums.Sums, _sums.Sums]  # what the rows deleted, and those inserted, add up to


def _file_of(db: sqlite3.Connection) -> str:
    """The file of the index, or '' for one in memory."""
    return str(db.execute("PRAGMA database_list").fetchone()[2] or "")


def _counted(found: Iterator[Record], total: int, progress: Progress) -> Iterator[Record]:
    progress("parse", 0, total)
    for done, record in enumerate(found, 1):
        yield record
        if done % 50 == 0 or done == total:
            progress("parse", done, total)


class Sync:
    """The writes of one sync of the index `db` with the items folder `items_dir`."""

    def __init__(self, db: sqlite3.Connection, items_dir: Path) -> None:
        self.db = db
        self.items_dir = items_dir
        self.feeds_checked = False  # whether sync checked the sums of the feeds' choice
        self.parsed: Parsed = {}  # the items this sync parsed in this process
        # The check of the sums a change started beside it (see checked()).
        self.checking: _sums.Apart | None = None

    def recheck(self, path: str) -> None:
        """Read the file at `path` (relative) again at the next sync: its bytes are not those
        indexed, though its stat said so (a copy keeping size and times, a clock gone back)."""
        prefix = path.rpartition("/")[0] + "/" if "/" in path else ""
        with _schema.transaction(self.db, "IMMEDIATE"):
            self.db.execute("UPDATE files SET mtime_ns = ? WHERE path = ?", (RECHECK, path))
            row = self.db.execute("SELECT runs FROM folders WHERE prefix = ?", (prefix,))
            runs = row.fetchone()
            if runs is not None:  # its run is read again from the files table
                run = _changes.run_of(path, int(runs[0]))
                self.db.execute("DELETE FROM runs WHERE prefix = ? AND run = ?", (prefix, run))
            self.db.execute("UPDATE folders SET digest = '' WHERE prefix = ?", (prefix,))
            self.db.execute("DELETE FROM meta WHERE key = 'stats'")

    def store_sums(
        self, queries: Mapping[str, _sums.Sum | str] | None = None, moved: Moved | None = None
    ) -> None:
        """Store the sums of `queries` (all of them when None); those over rows moved from
        the stored ones by the rows `moved` deleted and inserted, when it is given."""
        stored = meta(self.db, "sums")
        if queries is not None and stored == _sums.EMPTY:
            return  # no file yet, so no finding across files to check
        every = {**_sums.EVERY_BUILD, **_sums.CHANGES}
        if moved is not None and stored not in (None, _sums.EMPTY):
            wholes = {name: query for name, query in every.items() if name not in _sums.ADDITIVE}
            sums = {**_sums.moved(json.loads(stored), *moved), **_sums.compute(self.db, wholes)}
        else:
            sums = _sums.compute(self.db, queries or every)
            if queries is not None:  # only some of them changed
                sums = {**json.loads(stored or "{}"), **sums}
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('sums', ?)", (json.dumps(sums),))

    def _check_sums(self, queries: Mapping[str, _sums.Sum | str]) -> None:
        found = _sums.differs(self.db, meta(self.db, "sums"), queries)
        if found is not None:
            raise Damaged(found)

    def sync(
        self, scan: Scan, processes: int | None = None, progress: Progress | None = None
    ) -> int:
        """Bring the index up to date with the files on disk; returns how many changed.

        Raises Damaged, or SQLite's own error, when the index file is damaged.
        """
        folders = _changes.by_folder(scan)
        digests = {prefix: _changes.folder_digest(folder) for prefix, folder in folders.items()}
        combined = _changes.combine(digests.items())
        with _schema.transaction(self.db, "DEFERRED"):  # one snapshot: the sums and their rows
            self._check_sums(_sums.NO_OP)
            if combined == meta(self.db, "stats"):
                return 0
        with _schema.transaction(self.db, "IMMEDIATE"):
            queries = {**_sums.EVERY_BUILD, **_sums.CHANGES}
            location = _file_of(self.db)
            if location:
                # Under the write lock, before the first write: the index as its sums were
                # stored. Checked while the change is applied; waited for by checked(), which
                # the build calls before anything is written or reported.
                self.checking = _sums.Apart(location, meta(self.db, "sums"), queries, workers())
            else:
                self._check_sums(queries)
            self.feeds_checked = True
            try:
                return self._apply(folders, digests, processes, progress)
            except Exception:
                # Rows the sums would have refused (a value of another type, a path gone)
                # can make the change itself fail: the damage is what to report, as when the
                # check ran first.
                self.checked()
                raise
            except BaseException:
                self.cancel()
                raise

    def checked(self) -> None:
        """Wait for the check the sync started beside it; raises Damaged when it found damage."""
        checking, self.checking = self.checking, None
        if checking is not None:
            found = checking.result()
            if found is not None:
                raise Damaged(found)

    def cancel(self) -> None:
        checking, self.checking = self.checking, None
        if checking is not None:
            checking.cancel()

    def check_feeds(self) -> None:
        """Check the sums of the feeds' choice, which a sync with no change left unchecked."""
        with _schema.transaction(self.db, "DEFERRED"):
            self._check_sums(_sums.EVERY_BUILD)
        self.feeds_checked = True

    def _apply(
        self,
        folders: dict[str, Folder],
        digests: dict[str, str],
        processes: int | None,
        progress: Progress | None = None,
    ) -> int:
        rows = self.db.execute("SELECT prefix, digest, runs FROM folders").fetchall()
        stored = {prefix: (value, runs) for prefix, value, runs in rows}
        changed = [
            prefix for prefix, value in digests.items() if stored.get(prefix, ("",))[0] != value
        ]
        changed += [prefix for prefix in stored if prefix not in digests]
        # Stats by path only for the folders that changed: the others' are never looked at.
        listed = {prefix: folders[prefix].files() for prefix in changed if prefix in folders}
        known: _changes.Stats = {}
        pending: dict[str, dict[int, _changes.Stats]] = {}  # the changed runs, as listed
        for prefix in changed:
            held_runs = stored.get(prefix, ("", None))[1]
            runs, changes = self._changed_runs(prefix, listed.get(prefix), held_runs)
            known.update(self._known(prefix, list(changes), runs if runs == held_runs else None))
            pending[prefix] = changes
        seen = {path: stat for changes in pending.values() for run in changes.values()
                for path, stat in run.items()}  # fmt: skip
        gone = [path for path in known if path not in seen]
        todo = {path: stat for path, stat in seen.items() if known.get(path) != stat}
        moved = self._update(known, gone, todo, processes, progress) if gone or todo else None
        for prefix, changes in pending.items():
            if prefix not in listed:
                self.db.execute("DELETE FROM folders WHERE prefix = ?", (prefix,))
                self.db.execute("DELETE FROM runs WHERE prefix = ?", (prefix,))
                continue
            if not self._store_runs(prefix, changes, known):
                # Some stats stored are not those listed (a file to read again): the folder
                # is looked at again by the next sync.
                digests[prefix] = ""
            runs = _changes.run_count(len(listed[prefix]))
            self.db.execute(
                "INSERT OR REPLACE INTO folders VALUES (?, ?, ?)", (prefix, digests[prefix], runs)
            )
        self.db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('stats', ?)",
            (_changes.combine(digests.items()),),
        )
        if gone or todo:
            self.store_sums(moved=moved)
        return len(gone) + len(todo)

    def _changed_runs(
        self, prefix: str, listed: _changes.Stats | None, held_runs: int | None
    ) -> tuple[int, dict[int, _changes.Stats]]:
        """How many runs the folder now keeps, and the runs unlike those stored, as listed."""
        runs = 0 if listed is None else _changes.run_count(len(listed))
        parts = {} if listed is None else _changes.split(listed, runs)
        held = dict(self.db.execute("SELECT run, digest FROM runs WHERE prefix = ?", (prefix,)))
        if runs != held_runs:  # split otherwise: every run is new
            return runs, {run: parts.get(run, {}) for run in {*parts, *held}}
        changes = {run: stats for run, stats in parts.items()
                   if held.get(run) != _changes.digest(stats)}  # fmt: skip
        changes.update({run: {} for run in held if run not in parts})
        return runs, changes

    def _store_runs(
        self, prefix: str, changes: dict[int, _changes.Stats], known: _changes.Stats
    ) -> bool:
        """Store the changed runs' stats as stored; whether they are all those listed."""
        same = True
        for run, listed in changes.items():
            if not listed:
                self.db.execute("DELETE FROM runs WHERE prefix = ? AND run = ?", (prefix, run))
                continue
            stats = {path: known[path] for path in listed}
            same = same and stats == listed
            self.db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?)",
                (prefix, run, _changes.digest(stats), marshal.dumps(stats)),
            )
        return same

    def _known(self, prefix: str, runs: list[int], split: int | None) -> _changes.Stats:
        """The stats the index holds for the files of these runs of a folder; `split` the
        folder's number of runs, or None when it changed (then the whole folder's)."""
        known: _changes.Stats = {}
        for run in runs:
            row = self.db.execute(
                "SELECT stats FROM runs WHERE prefix = ? AND run = ?", (prefix, run)
            ).fetchone()
            try:
                stats = marshal.loads(row[0]) if row else None
            except (EOFError, ValueError, TypeError):
                stats = None
            if not isinstance(stats, dict):  # new, or damaged: the files table is the truth
                rows = self._stats_from_rows(prefix)
                if split is None:
                    return rows
                wanted = set(runs)
                return {path: stat for path, stat in rows.items()
                        if _changes.run_of(path, split) in wanted}  # fmt: skip
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
    ) -> Moved | None:
        """Replace the rows of changed files; `known` becomes the stats as now stored.

        Returns what the rows deleted and inserted add to the check sums, for a small change.
        """
        stale = gone + list(todo)
        # What spans files is brought up to date for the values the changed files touch, so
        # that an edit never groups the whole table; a large change starts over.
        touched = _crossfile.Touched() if len(stale) <= _crossfile.INCREMENTAL_MAX else None
        # A first build deletes nothing: 100,000 deletes from empty tables cost 0.3 s. Asked
        # of the table, not of `known`, which a damaged cache could leave short.
        gone_sums = None
        months = Months(self.db)
        keep_months = months.kept()
        months_touched: set[tuple[str, str]] = set()
        if self.db.execute("SELECT 1 FROM files LIMIT 1").fetchone() is not None:
            if touched is not None:
                touched.add(self.db, stale)
                gone_sums = _sums.of_paths(self.db, stale)
                if keep_months:
                    months_touched = months.touched(stale)
            rows = [(path,) for path in stale]
            for table in ("files", "categories", "problems"):
                self.db.executemany(f"DELETE FROM {table} WHERE path = ?", rows)
        for path in gone:
            del known[path]
        found = records(
            self.items_dir,
            [(path, *stat[:2]) for path, stat in todo.items()],
            processes,
            self.parsed,
        )
        if progress is not None:
            found = _counted(found, len(todo), progress)
        known.update(self._insert(found, todo, time.time_ns()))
        for statement in _schema.INDEXES:
            self.db.execute(statement)  # no-ops once the indexes exist
        if touched is not None:
            touched.add(self.db, list(todo))
        self._refresh_slugs(touched)
        _crossfile.refresh(self.db, touched)
        if keep_months and touched is None:
            months.rebuild()
        elif keep_months:
            months.refresh(months_touched | months.touched(list(todo)))
        if gone_sums is None:
            return None  # a first load, or a large change: summed whole
        return gone_sums, _sums.of_paths(self.db, list(todo))

    def _refresh_slugs(self, touched: _crossfile.Touched | None) -> None:
        """Each category slug's name as feeds show it: for the slugs a change touched, or all."""
        if touched is None:
            self.db.execute("DELETE FROM slugs")
            self.db.execute(
                "INSERT INTO slugs SELECT slug, MIN(name) FROM categories GROUP BY slug"
            )
            return
        for chunk, marks in _crossfile.chunks(touched.slugs):
            self.db.execute(f"DELETE FROM slugs WHERE slug IN ({marks})", chunk)
            self.db.execute(
                f"INSERT INTO slugs SELECT slug, MIN(name) FROM categories "
                f"WHERE slug IN ({marks}) GROUP BY slug",
                chunk,
            )

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
