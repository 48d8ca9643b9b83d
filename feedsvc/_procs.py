"""Child processes (parsing pool, scan helper, rendering child): how many, and their signals.

The command's process alone answers a signal that asks it to stop (Ctrl-C, SIGTERM, SIGHUP):
it unwinds, says so in one line and exits 128 + N. Its children say nothing: they ignore
what a terminal sends the whole group, die at once of SIGTERM and of a write to a parent that
is gone, and on Linux of the parent's death itself.
"""

from __future__ import annotations

import functools
import gc
import os
import signal
import sys
from collections.abc import Callable, Iterator, Set
from contextlib import contextmanager

from feedsvc.errors import Stopped

# Not `typing`'s: importing typing costs several milliseconds before the command takes
# signals, when Ctrl-C still prints Python's own traceback (mypy knows this name).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess
    from types import FrameType
    from typing import TypeVar

    Job = TypeVar("Job")
    Result = TypeVar("Result")

__all__ = [
    "beside",
    "hold_stops",
    "no_cycle_collection",
    "parallel",
    "release_stops",
    "start_child",
    "stop_said",
    "stops_raise",
    "swallowed_stop",
    "workers",
]

STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_forker = 0  # the process that last forked: in a child, its parent


def _note_forker() -> None:
    global _forker
    _forker = os.getpid()


os.register_at_fork(before=_note_forker)


def _stop(signum: int, frame: FrameType | None) -> None:
    # The first signal stops the command. Another one while it unwinds (Ctrl-C pressed
    # twice, a supervisor's SIGTERM after the terminal's SIGHUP) would break into the cleanup
    # that keeps out/ and the cache sound, and print a traceback: it is ignored. SIGKILL and
    # Ctrl-\ still end a command that does not stop.
    _ignore_stops()
    stop = Stopped(signum)
    _raised.append(stop)
    raise stop


def _ignore_stops() -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


# The stop a signal raised, until the command has said so. A Stopped may not reach the
# command: raised where Python cannot let an exception out (a weakref callback, such as the
# import system's module locks run, or a __del__), it is printed as ignored and lost; raised
# inside a library that makes its own error of it (pydantic-core, while it builds a
# validator, makes a SchemaError of any exception), it ends the command as that error. The
# command would exit 0, or 1 with a traceback: swallowed_stop() tells it was a stop.
_raised: list[Stopped] = []


def _unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    if not isinstance(unraisable.exc_value, Stopped):  # a stop's: kept quiet, and in _raised
        sys.__unraisablehook__(unraisable)


def swallowed_stop() -> Stopped | None:
    """The stop a signal asked for and the command has not said, if one did."""
    return _raised[0] if _raised else None


def stop_said() -> None:
    """The command has said it stopped (one line, its exit code)."""
    _raised.clear()


@contextmanager
def stops_raise() -> Iterator[None]:
    """In the command's process: Ctrl-C, SIGTERM and SIGHUP raise Stopped, once.

    Set before the slow imports, so that a signal during them ends like any other. Once the
    command is over, the process is only exiting with its own status: a signal then is
    ignored rather than raised into the interpreter's exit handlers.
    """
    sys.unraisablehook = _unraisable
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop)
    try:
        yield
    finally:
        _ignore_stops()


@functools.cache
def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # only when children start: it would slow every command's start-up

    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


def hold_stops() -> Set[int]:
    """Before starting children: stop signals wait until release_stops(the returned mask).

    A child forked with the parent's handlers would raise Stopped itself and print a
    traceback, and one killed before start_child runs may be replaced behind the parent's
    back (a pool's handler thread, started meanwhile, inherits this mask and forks with it).
    Each child unblocks them in start_child, once it takes them its own way.
    """
    _prctl()  # loaded once, in the parent, before any fork
    return signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


def release_stops(mask: Set[int]) -> None:
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a pending stop raises here


def start_child() -> None:
    """In a forked worker or helper, first thing: end silently, or leave the stop to the parent.

    A terminal sends Ctrl-C and a hang-up to the whole process group: the parent stops and
    ends its children, so they ignore both. SIGTERM (multiprocessing's, at exit) and a
    write to a parent that has gone (SIGPIPE; Python would raise BrokenPipeError and print
    it) end them at once, without a word. On Linux the parent's death ends them too, even by
    SIGKILL, rather than once they next write.
    """
    for signum in (signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGPIPE):
        signal.signal(signum, signal.SIG_DFL)
    prctl = _prctl()
    if (
        prctl is not None
        and prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0
        and os.getppid() != _forker  # the parent died before the request was in place
    ):
        signal.raise_signal(signal.SIGTERM)  # delivered once unblocked, below
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def parallel(
    function: Callable[[Job], Result],
    jobs: list[Job],
    processes: int,
    meanwhile: Callable[[], object] | None = None,
) -> Iterator[Result]:
    """function(job) for every job, in forked worker processes; results as they come.
    `meanwhile` is called once the workers have their first jobs, before the first wait.

    Each worker has a pipe of its own and shares nothing else. multiprocessing.Pool's workers
    share a queue and its locks, and one that dies holding a lock (a SIGTERM to the process
    group, the OOM killer) hangs the pool's terminate, and so the stopping command, forever.
    Here a worker that dies has its job done again in this process, and whatever ends the
    iteration early kills the workers: they only read files, so nothing is lost.
    """
    import multiprocessing  # not for every command's start-up
    from multiprocessing.connection import Connection, wait

    if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(function, jobs)
        return
    todo = jobs[::-1]  # taken from the end
    children: list[tuple[BaseProcess, Connection]] = []
    running: dict[Connection, Job] = {}
    try:
        _start_workers(function, min(processes, len(jobs)), children)
        for _, pipe in children:
            yield from _give(pipe, todo, running, function)
        if meanwhile is not None:
            meanwhile()
        while running:
            for ready in wait(list(running)):
                assert isinstance(ready, Connection)
                job = running.pop(ready)
                try:
                    result: Result = ready.recv()
                except (EOFError, OSError):  # the worker died: its job is done here
                    yield function(job)
                    continue
                yield from _give(ready, todo, running, function)  # before the caller's turn
                yield result
        yield from map(function, reversed(todo))  # every worker died
    except BaseException:
        for worker, _ in children:
            worker.kill()
        raise
    finally:
        for _, pipe in children:
            pipe.close()  # a worker waiting for a job reads the end of its pipe, and returns
        for worker, _ in children:
            worker.join()


def _start_workers(
    function: Callable[[Job], Result],
    count: int,
    children: list[tuple[BaseProcess, Connection]],
) -> None:
    """Fork up to `count` workers serving `function`, each added to `children` with the end of
    its pipe; fewer, or none, when the system gives no more processes."""
    import multiprocessing

    # fork: the workers inherit the imported modules instead of importing them again.
    context = multiprocessing.get_context("fork")
    mask = hold_stops()
    try:
        for _ in range(count):
            ours, theirs = context.Pipe()
            parents = [ours, *(pipe for _, pipe in children)]
            process = context.Process(target=_serve, args=(function, theirs, parents), daemon=True)
            try:
                process.start()
            except OSError:  # no process to be had (EAGAIN, ENOMEM): fewer workers,
                theirs.close()  # or none, and the jobs left are done here at the end
                ours.close()
                break
            theirs.close()
            children.append((process, ours))
    finally:
        release_stops(mask)  # a stop that came meanwhile raises here


def _give(
    pipe: Connection,
    todo: list[Job],
    running: dict[Connection, Job],
    function: Callable[[Job], Result],
) -> Iterator[Result]:
    """Send a worker its next job, if any; the job's result at once if the worker is gone."""
    if todo:
        job = todo.pop()
        try:
            pipe.send(job)
        except OSError:
            yield function(job)
        else:
            running[pipe] = job


def _serve(function: Callable[[Job], Result], pipe: Connection, parents: list[Connection]) -> None:
    for end in parents:  # else the worker would hold its own pipe, and its siblings', open
        end.close()
    start_child()
    while True:
        try:
            job = pipe.recv()
        except (EOFError, OSError):  # OSError: the parent died in the middle of a job
            return
        if not _answer(function, job, pipe):
            return


def _answer(function: Callable[[Job], Result], job: Job, pipe: Connection) -> bool:
    """Send function(job) to the parent; False when it failed, and the parent does the job
    again, and reports what goes wrong."""
    try:
        result = function(job)
    except Exception:
        return False
    pipe.send(result)
    return True


@contextmanager
def beside(function: Callable[[Job], Result], job: Job) -> Iterator[Callable[[], Result]]:
    """function(job) in one forked child while this process does its own share of the work;
    the block gets a callable that waits for the result.

    As parallel()'s workers do, the child takes signals its own way, dies with this process
    and is killed when the block ends early; when it dies or fails, the result is made here,
    so an error is raised, and reported, in this process like any other. (A child that sends
    several messages as it goes is the scan's items._stats.Helper.)
    """
    import multiprocessing  # not for every command's start-up

    if "fork" not in multiprocessing.get_all_start_methods():
        yield lambda: function(job)
        return
    context = multiprocessing.get_context("fork")  # the child inherits `job`: nothing pickled
    ours, theirs = context.Pipe(duplex=False)
    child = None
    try:
        mask = hold_stops()
        try:
            child = context.Process(target=_once, args=(function, job, theirs, ours), daemon=True)
            child.start()
        except OSError:  # no process to be had (EAGAIN, ENOMEM): the job is done here
            child = None
        finally:
            release_stops(mask)  # a stop that came meanwhile raises here
        theirs.close()  # with no child, the result's wait ends at once: done here

        def result() -> Result:
            try:
                found: Result = ours.recv()
            except (EOFError, OSError):  # the child died or failed: its share is made here
                return function(job)
            return found

        yield result
    except BaseException:
        if child is not None:
            child.kill()
        raise
    finally:
        theirs.close()
        ours.close()
        if child is not None:
            child.join()


def _once(
    function: Callable[[Job], Result], job: Job, pipe: Connection, parents: Connection
) -> None:
    parents.close()  # else the child would hold the parent's end open, and never see it go
    start_child()
    _answer(function, job, pipe)


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """No cyclic garbage collection while a command that ends when its work does runs.

    A build or a validation allocates objects by the million that nearly all live until the
    work is done (the items read, the index records, the documents and their elements), and
    makes next to no reference cycles: CPython's generational collector only scans survivors
    over and over (a tenth of the bundled cold build, 50 ms of one of 1,000 items, 130 ms of
    one of 10,000). Reference counting still frees every object outside a cycle; the forked
    workers inherit the setting, and so never write to the pages they share with this process
    for the collector's bookkeeping. Long-running commands (--watch, serve) keep collecting.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def workers() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
