"""The stats of listed item files: taken in C, and a share of them in a helper process."""

from __future__ import annotations

import functools
import os
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING, cast

from feedsvc._procs import hold_stops, release_stops, start_child, workers

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = [
    "FIELDS",
    "TAKEN",
    "Helper",
    "Job",
    "Named",
    "Split",
    "Taken",
    "shares",
    "start",
    "stat_all",
    "stat_jobs",
]

FIELDS = 4  # per file: mtime_ns, size, ctime_ns, inode
# Taken and unpacked in C: a Python loop per file costs a third more than the stats themselves.
_STAT = attrgetter("st_mode", "st_mtime_ns", "st_size", "st_ctime_ns", "st_ino")
TAKEN = 1 + FIELDS  # values _STAT gives per file
# Each folder's path and the names of its files to stat.
Named = list[tuple[str, list[str]]]
# A share of the stats: (position in the listing, first name, last name + 1).
Job = tuple[int, int, int]
# What a share found: the values _STAT took, TAKEN per name, and the names that could
# not be stat'ed with their errno (0 for the value of a name that failed).
Taken = tuple["array[int]", dict[int, int]]


def _stat_names(folder: str, names: list[str]) -> Taken:
    base = os.path.join(folder, "")
    try:
        return array(
            "q", chain.from_iterable(map(_STAT, map(os.lstat, map(base.__add__, names))))
        ), {}
    except OSError:
        pass  # one is gone or cannot be looked at: each is stat'ed on its own
    values: array[int] = array("q")
    failed: dict[int, int] = {}
    for number, name in enumerate(names):
        try:
            values.extend(_STAT(os.lstat(base + name)))
        except OSError as error:
            failed[number] = error.errno or 0
            values.extend((0,) * TAKEN)
    return values, failed


def stat_jobs(named: Named, jobs: list[Job]) -> list[Taken]:
    return [_stat_names(named[at][0], named[at][1][start:stop]) for at, start, stop in jobs]


def _shares(named: Named, total: int, share: float) -> tuple[list[Job], list[Job]]:
    """The plain files in two: the first ones, and the last `share` of them, a folder split
    where it must be."""
    mine: list[Job] = []
    theirs: list[Job] = []
    keep = total - round(total * share)
    seen = 0
    for at, (_, names) in enumerate(named):
        count = len(names)
        cut = min(max(keep - seen, 0), count)
        if cut:
            mine.append((at, 0, cut))
        if cut < count:
            theirs.append((at, cut, count))
        seen += count
    return mine, theirs


@dataclass(slots=True)
class Split:
    """The stats of listed files, shared: this process's jobs, and the helper's, if any."""

    named: Named
    mine: list[Job]
    theirs: list[Job] = field(default_factory=list)
    helper: Helper | None = None


def shares(named: Named, split_after: int | None, share: float) -> Split:
    """How the stats are shared: from `split_after` files on, the last `share` of them to a
    helper. The same listing always gives the same split, in whichever process asks."""
    total = sum(len(names) for _, names in named)
    if split_after is None or total < max(split_after, 2):
        return Split(named, [(at, 0, len(names)) for at, (_, names) in enumerate(named)])
    return Split(named, *_shares(named, total, share))


def start(named: Named, split_after: int | None, share: float) -> Split:
    """The stats shared, the helper started on its share (none if it cannot start)."""
    split = shares(named, split_after, share)
    if split.theirs:
        split.helper = Helper.start(functools.partial(_send_stats, named, split.theirs))
        if split.helper is None:
            split.mine, split.theirs = split.mine + split.theirs, []
    return split


def stat_all(split: Split) -> list[Taken]:
    """The stats of every listed folder's plain files, in the listing's order."""
    named = split.named
    taken = stat_jobs(named, split.mine)
    if split.theirs:
        helper, split.helper = split.helper, None
        part = cast("list[Taken] | None", helper.take() if helper is not None else None)
        if helper is not None:
            helper.end()
        # A helper that died (or none at all): its share is stat'ed here.
        taken += stat_jobs(named, split.theirs) if part is None else part
    joined: list[Taken] = [(array("q"), {}) for _ in named]
    for (at, start, _), (values, failed) in zip(split.mine + split.theirs, taken, strict=True):
        into, into_failed = joined[at]
        into_failed.update({start + number: errno for number, errno in failed.items()})
        into.extend(values)
    return joined


def _send_stats(named: Named, jobs: list[Job], send: Connection) -> None:
    send.send(stat_jobs(named, jobs))


class Helper:
    """A forked process that works for the scan and sends back what it finds, message by
    message: the stats of a share of the files, or the whole listing first.

    Not _procs.beside, whose child sends one result at its end: an early helper sends the
    listing as soon as it has it, and the command works on it while the helper still stats."""

    def __init__(self, work: Callable[[Connection], None]) -> None:
        import multiprocessing  # only for a large scan: a small build never needs it

        context = multiprocessing.get_context("fork")
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_in_child, args=(send, self.receive, work), daemon=True
        )
        mask = hold_stops()
        try:
            self.process.start()
        finally:
            send.close()
            release_stops(mask)

    @classmethod
    def start(cls, work: Callable[[Connection], None]) -> Helper | None:
        import multiprocessing

        if (
            workers() < 2
            or "fork" not in multiprocessing.get_all_start_methods()
            or multiprocessing.current_process().daemon  # may not start processes
        ):
            return None
        try:
            return cls(work)
        except OSError:  # no process to be had (EAGAIN, ENOMEM): the work is done here
            return None

    def take(self) -> object | None:
        """The helper's next message; None when it died before sending it."""
        try:
            message: object = self.receive.recv()
        except (EOFError, OSError):
            return None
        except BaseException:  # stopped: nothing more is wanted of it
            self.stop()
            raise
        return message

    def end(self) -> None:
        """Wait for the helper, which has sent all it had to."""
        self.receive.close()
        self.process.join()

    def stop(self) -> None:
        self.process.kill()
        self.process.join()
        self.receive.close()


def _in_child(send: Connection, receive: Connection, work: Callable[[Connection], None]) -> None:
    receive.close()  # else a parent that stopped reading leaves this send blocked forever
    start_child()  # a parent that has gone ends this send with SIGPIPE, silently
    work(send)
    send.close()
