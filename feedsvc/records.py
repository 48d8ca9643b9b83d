"""What the index keeps of an item file: enough to choose it for a feed, never the item itself.

Parsing is the expensive part of a cold build, so many files are parsed by a pool of worker
processes (one per core); each returns a small record, not the model, to keep the traffic
between processes low.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from feedsvc import itemfile, lock
from feedsvc.problems import Problem
from feedsvc.slugs import slug

POOL_THRESHOLD = 500  # below this many files, starting worker processes costs more than it saves
CHUNK = 200
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Record(NamedTuple):
    # A tuple, not a dataclass: a cold build sends 100,000 of them from the workers, and a
    # tuple pickles and unpickles in less than half the time.
    path: str  # relative to the items folder, '/'-separated
    mtime_ns: int
    size: int
    digest: str
    id: str | None = None  # None when the file is invalid
    url: str | None = None
    live_from: int | None = None  # published, in UTC microseconds; None for a draft
    categories: tuple[tuple[str, str], ...] = ()  # (name, slug)
    problems: tuple[tuple[int, str, str], ...] = ()  # (line, field, message)


def microseconds(moment: datetime) -> int:
    """A moment as an integer, so equal instants in different offsets compare equal."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def _problems(found: Iterable[Problem]) -> tuple[tuple[int, str, str], ...]:
    return tuple((problem.line, problem.field, problem.message) for problem in found)


def record(items_dir: Path, relpath: str, mtime_ns: int, size: int) -> Record:
    path = items_dir / relpath
    raw = itemfile.read_bytes(path)
    if isinstance(raw, Problem):
        return Record(relpath, mtime_ns, size, "", problems=_problems([raw]))
    digest = itemfile.digest(raw)
    parsed = itemfile.parse(path, raw)
    if isinstance(parsed, list):
        return Record(relpath, mtime_ns, size, digest, problems=_problems(parsed))
    categories = tuple((name, slug(name)) for name in parsed.categories)
    nameless = [name for name, value in categories if not value]
    if nameless:
        line = itemfile.line_of(path, "categories")
        message = f"{nameless[0]!r} has no letters or digits to name its feed folder; reword it"
        return Record(relpath, mtime_ns, size, digest, problems=((line, "categories", message),))
    return Record(
        relpath, mtime_ns, size, digest,
        id=parsed.id, url=parsed.url,
        live_from=None if parsed.draft else microseconds(parsed.published),
        categories=categories,
    )  # fmt: skip


def _record_chunk(job: tuple[str, list[tuple[str, int, int]]]) -> list[Record]:
    items_dir, chunk = job
    return [record(Path(items_dir), *entry) for entry in chunk]


def start_child() -> None:
    """In a forked worker or helper: leave Ctrl-C to the parent, and let go of the build lock.

    A terminal sends SIGINT to the whole process group; each child would print a traceback
    of its own. The parent alone stops, and its pool and helper go with it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the parent
    lock.forget_in_child()


def workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def records(
    items_dir: Path, todo: list[tuple[str, int, int]], processes: int | None = None
) -> Iterator[Record]:
    """A record per (relpath, mtime_ns, size), in no particular order."""
    processes = workers() if processes is None else processes
    if processes <= 1 or len(todo) < POOL_THRESHOLD:
        for entry in todo:
            yield record(items_dir, *entry)
        return
    jobs = [(str(items_dir), todo[start : start + CHUNK]) for start in range(0, len(todo), CHUNK)]
    # fork: the workers inherit the imported modules instead of importing them again.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    # SIGINT blocked while the pool starts: a worker forked before start_child ran (or
    # re-forked later by the pool's handler thread, which inherits this mask) would
    # otherwise die of it, and the pool replaces it behind our back.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pool = context.Pool(processes, initializer=start_child)
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        raise
    with pool:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a pending Ctrl-C raises here
        for chunk in pool.imap_unordered(_record_chunk, jobs):
            yield from chunk
