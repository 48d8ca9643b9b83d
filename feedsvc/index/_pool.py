"""The parsing pool: item files in, records out, in worker processes when there are many.

A record is what the index keeps of an item file: enough to choose it for a feed, never the
item itself. Parsing is the expensive part of a cold build, so many files are parsed by a pool
of worker processes (one per core); each returns a small record, not the model, to keep the
traffic between processes low.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from feedsvc._procs import beside, parallel, workers
from feedsvc.items import (
    Problem,
    due_despite_problems,
    line_of_field,
    parse_item,
    raw_digest,
    read_again,
    read_item_bytes,
    use_native_yaml,
)
from feedsvc.model import NEVER, Lead, Teaser, build_parsers, microseconds, slug

__all__ = ["Parsed", "Record", "items_again", "records"]

# Below this many files, one process is faster: forking workers, and sharing two cores between
# them and the parent that stores their records, cost more than they save. Measured on a busy
# 2-core machine, syncing N files with one process against the pool: 1,000 files 0.30 s
# against 0.44 s, 2,000 files 0.55 s against 0.72 s, 4,000 even, 8,000 1.78 s against 1.68 s.
POOL_THRESHOLD = 2000
CHUNK = 200
# From this many files up to POOL_THRESHOLD, one forked child parses half of them beside this
# process, and sends back its items as well as their records: unpickling an item costs a tenth
# of parsing it, and rendering then finds every item parsed here, as in one process. With
# both cores free it took a cold build of 1,000 items from 0.74 to 0.69 s (medians of 7), for
# 0.06 s more CPU in all; on a machine whose cores are busy, the child waits for one.
SPLIT_THRESHOLD = 500
# Items read again to render them (those the sync's pool parsed) from this many on are read
# by the pool, which sends them back: unpickling an item costs a tenth of reading it.
AGAIN_THRESHOLD = 200
# Importing yaml-rs costs 4-20 ms and saves about 0.13 ms per front matter: from this many files
# on, it pays (before the fork, so that workers inherit it).
NATIVE_YAML_THRESHOLD = 100
# Files read before the first of them is parsed (see _parsed); fewer once what is read holds
# this many bytes (a file may take it past them: an item file holds at most 1 MiB).
AHEAD_FILES = 16
AHEAD_BYTES = 1 << 20

# Items parsed by this sync, by path: (digest of the bytes, item). A build renders the chosen
# ones from here instead of reading and validating them again; the digest says they are the
# bytes the index recorded. At most POOL_THRESHOLD items: a pool's workers keep theirs.
Parsed = dict[str, tuple[str, Lead | Teaser]]


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
    problems: tuple[Problem, ...] = ()  # rare, so kept whole
    # When the file goes live (NEVER for a draft), valid or not: the problems of a file not
    # yet due are warnings, and never stop the others from being published.
    due: int | None = None

    @classmethod
    def from_item(
        cls, relpath: str, mtime_ns: int, size: int, digest: str, item: Lead | Teaser
    ) -> Record:
        """The record of a valid item: what chooses it for feeds, and what it shares."""
        live_from = None if item.draft else microseconds(item.published)
        return cls(
            relpath, mtime_ns, size, digest,
            id=item.id, url=item.url, live_from=live_from,
            categories=tuple((name, slug(name)) for name in item.categories),
            due=NEVER if live_from is None else live_from,
        )  # fmt: skip

    @classmethod
    def parse(
        cls, items_dir: Path, relpath: str, mtime_ns: int, size: int, raw: bytes | Problem
    ) -> tuple[Record, Lead | Teaser | None]:
        """The record of one item file, read as `raw` (see read_item_bytes), and its item
        when it is valid."""
        path = items_dir / relpath
        if isinstance(raw, Problem):
            return cls(relpath, mtime_ns, size, "", problems=(raw,)), None
        digest = raw_digest(raw)
        parsed = parse_item(path, raw)
        if isinstance(parsed, list):
            due = due_despite_problems(raw)
            return cls(relpath, mtime_ns, size, digest, problems=tuple(parsed), due=due), None
        record = cls.from_item(relpath, mtime_ns, size, digest, parsed)
        nameless = [name for name, value in record.categories if not value]
        if nameless:
            message = f"{nameless[0]!r} has no letters or digits to name its feed folder; reword it"
            problem = Problem(path, line_of_field(path, "categories"), "categories", message)
            return cls(relpath, mtime_ns, size, digest, problems=(problem,), due=record.due), None
        return record, parsed


def _parsed(
    items_dir: Path, entries: Iterable[tuple[str, int, int]]
) -> Iterator[tuple[Record, Lead | Teaser | None]]:
    """Record.parse of each (relpath, mtime_ns, size), the files read a few at a time.

    Parsing a file right after the system calls that read it was measured 10% slower than
    parsing it after a few more reads (104 against 114 µs a file): the reads are batched.
    """
    batch: list[tuple[tuple[str, int, int], bytes | Problem]] = []
    held = 0
    for entry in entries:
        raw = read_item_bytes(items_dir / entry[0])
        batch.append((entry, raw))
        held += len(raw) if isinstance(raw, bytes) else 0
        if len(batch) >= AHEAD_FILES or held >= AHEAD_BYTES:
            for ready, ready_raw in batch:
                yield Record.parse(items_dir, *ready, ready_raw)
            batch, held = [], 0
    for entry, raw in batch:
        yield Record.parse(items_dir, *entry, raw)


def _parse_chunk(
    job: tuple[str, list[tuple[str, int, int]]],
) -> list[tuple[Record, Lead | Teaser | None]]:
    items_dir, chunk = job
    return list(_parsed(Path(items_dir), chunk))


def _kept(
    found: Iterable[tuple[Record, Lead | Teaser | None]], parsed: Parsed | None
) -> Iterator[Record]:
    for record, item in found:
        if item is not None and parsed is not None:
            parsed[record.path] = (record.digest, item)
        yield record


def _record_chunk(job: tuple[str, list[tuple[str, int, int]]]) -> list[Record]:
    items_dir, chunk = job
    return [record for record, _ in _parsed(Path(items_dir), chunk)]


def records(
    items_dir: Path,
    todo: list[tuple[str, int, int]],
    processes: int | None = None,
    parsed: Parsed | None = None,
) -> Iterator[Record]:
    """A record per (relpath, mtime_ns, size), in no particular order; the valid items parsed
    here or by the one child beside go into `parsed` (a pool's workers keep theirs)."""
    processes = workers() if processes is None else processes
    if len(todo) >= NATIVE_YAML_THRESHOLD:
        use_native_yaml()
    if processes > 1 and len(todo) >= POOL_THRESHOLD:
        jobs = [(str(items_dir), todo[i : i + CHUNK]) for i in range(0, len(todo), CHUNK)]
        # This process waits for the workers meanwhile: it builds what the workers forked later
        # to read the chosen items again would each build for themselves.
        for chunk in parallel(_record_chunk, jobs, processes, meanwhile=build_parsers):
            yield from chunk
    elif processes > 1 and len(todo) >= SPLIT_THRESHOLD:
        half = len(todo) // 2
        with beside(_parse_chunk, (str(items_dir), todo[half:])) as theirs:
            yield from _kept(_parsed(items_dir, todo[:half]), parsed)
            yield from _kept(theirs(), parsed)
    else:
        yield from _kept(_parsed(items_dir, todo), parsed)


def _again_chunk(job: tuple[str, list[tuple[str, str]]]) -> list[tuple[str, Lead | Teaser]]:
    items_dir, chunk = job
    return [(path, read_again(Path(items_dir) / path, digest)) for path, digest in chunk]


def items_again(
    items_dir: Path, wanted: list[tuple[str, str]], processes: int | None = None
) -> Iterator[tuple[str, Lead | Teaser]]:
    """Each (path, digest)'s item, read again as it was indexed (see read_again), in no
    particular order; by worker processes when there are many."""
    processes = workers() if processes is None else processes
    if processes <= 1 or len(wanted) < AGAIN_THRESHOLD:
        for path, digest in wanted:
            yield path, read_again(items_dir / path, digest)
        return
    use_native_yaml()
    size = -(-len(wanted) // (2 * processes))  # two chunks a worker, so that none waits long
    jobs = [(str(items_dir), wanted[i : i + size]) for i in range(0, len(wanted), size)]
    for chunk in parallel(_again_chunk, jobs, processes):
        yield from chunk
