"""The `feedsvc` command's entry: stop signals are taken before anything slow is imported."""

from __future__ import annotations

import contextlib
import os
import sys

from feedsvc._procs import stops_raise, swallowed_stop
from feedsvc.errors import Stopped

TYPE_CHECKING = False  # not `typing`'s, whose import would slow every start-up (see _procs)
if TYPE_CHECKING:
    from typing import NoReturn


def main() -> None:
    ended = SystemExit(0)
    with stops_raise():
        try:
            # click and the CLI take a tenth of a second to import: a Ctrl-C then must not
            # print a traceback of the imports. Once a command runs, the CLI says it itself.
            from feedsvc.cli import main as command

            command()
        except (KeyboardInterrupt, Stopped) as error:
            _stopped(Stopped.of(error))
        except Exception:
            stop = swallowed_stop()  # a library's error made of the stop (see _procs)
            if stop is None:
                raise
            _stopped(stop)
        except SystemExit as end:
            # The command ended, but a signal's stop was swallowed on the way (see
            # swallowed_stop): it still ends as a stop, in one line, never as a success.
            stop = swallowed_stop()
            if stop is not None:
                _stopped(stop)
            ended = end
    _leave(ended)  # once stops are ignored: the command is over, and only exits


def _leave(end: SystemExit) -> NoReturn:
    """Exit with the command's status, without the interpreter's teardown when nothing is
    left running: freeing a build's objects one by one, which the system does at once, took
    25-30 ms of a 0.5 s no-op rebuild at 100,000 items. Every file the command wrote is
    closed by then; a thread or child still at work, or a profiler, gets the ordinary exit."""
    threading = sys.modules.get("threading")
    multiprocessing = sys.modules.get("multiprocessing")
    if (
        not isinstance(end.code, int)
        or sys.getprofile() is not None  # a profiler, or coverage, writes its data at exit
        or sys.gettrace() is not None
        or (threading is not None and threading.active_count() > 1)
        or (multiprocessing is not None and multiprocessing.active_children())
    ):
        raise end
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader gone, a stream closed
            stream.flush()
    os._exit(end.code)


def _stopped(stop: Stopped) -> NoReturn:
    with contextlib.suppress(OSError):  # a terminal that hung up
        print(stop.line(None), file=sys.stderr, flush=True)
    sys.exit(stop.exit_code)


if __name__ == "__main__":
    main()
