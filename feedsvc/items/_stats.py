"""The stats of listed item files: taken in C, and a share of them in a helper process."""

from __future__ import annotations

import os
from array import array
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING

from feedsvc._procs import hold_stops, release_stops, start_child, workers

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = ["FIELDS", "TAKEN", "Helper", "Job", "Named", "Taken", "start", "stat_all"]

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


def _stat_jobs(named: Named, jobs: list[Job]) -> list[Taken]:
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


def start(named: Named, split_after: int | None, share: float) -> tuple[list[Job], Helper | None]:
    """This process's share of the stats, and the helper started on the rest, if any."""
    total = sum(len(names) for _, names in named)
    everything: list[Job] = [(at, 0, len(names)) for at, (_, names) in enumerate(named)]
    if split_after is None or total < max(split_after, 2):
        return everything, None
    mine, theirs = _shares(named, total, share)
    helper = Helper.start(named, theirs)
    return (everything, None) if helper is None else (mine, helper)


def stat_all(named: Named, mine: list[Job], helper: Helper | None) -> list[Taken]:
    """The stats of every listed folder's plain files, in the listing's order."""
    taken = _stat_jobs(named, mine)
    jobs = mine
    if helper is not None:
        jobs = mine + helper.jobs
        taken += helper.result()
    joined: list[Taken] = [(array("q"), {}) for _ in named]
    for (at, start, _), (values, failed) in zip(jobs, taken, strict=True):
        into, into_failed = joined[at]
        into_failed.update({start + number: errno for number, errno in failed.items()})
        into.extend(values)
    return joined


class Helper:
    """A forked process stat'ing a share of the files, sending back what it found."""

    def __init__(self, named: Named, jobs: list[Job]) -> None:
        import multiprocessing  # only past SPLIT_AFTER files: a small build never needs it

        self.named, self.jobs = named, jobs
        context = multiprocessing.get_context("fork")
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_stat_in_child, args=(send, self.receive, named, jobs), daemon=True
        )
        mask = hold_stops()
        try:
            self.process.start()
        finally:
            send.close()
            release_stops(mask)

    @classmethod
    def start(cls, named: Named, jobs: list[Job]) -> Helper | None:
        import multiprocessing

        if (
            workers() < 2
            or "fork" not in multiprocessing.get_all_start_methods()
            or multiprocessing.current_process().daemon  # may not start processes
        ):
            return None
        try:
            return cls(named, jobs)
        except OSError:  # no process to be had (EAGAIN, ENOMEM): stat everything here
            return None

    def stop(self) -> None:
        self.process.kill()
        self.process.join()
        self.receive.close()

    def result(self) -> list[Taken]:
        try:
            part: list[Taken] = self.receive.recv()
        except (EOFError, OSError):  # the helper died: its share is stat'ed here
            part = _stat_jobs(self.named, self.jobs)
        except BaseException:  # stopped: its share is not wanted any more
            self.process.kill()
            raise
        finally:
            self.receive.close()
            self.process.join()
        return part


def _stat_in_child(send: Connection, receive: Connection, named: Named, jobs: list[Job]) -> None:
    receive.close()  # else a parent that stopped reading leaves this send blocked forever
    start_child()  # a parent that has gone ends this send with SIGPIPE, silently
    send.send(_stat_jobs(named, jobs))
    send.close()
