"""The `feedsvc` command's entry: stop signals are taken before anything slow is imported."""

from __future__ import annotations

import contextlib
import sys

from feedsvc._procs import stops_raise, swallowed_stop
from feedsvc.errors import Stopped


def main() -> None:
    with stops_raise():
        try:
            # click and the CLI take a tenth of a second to import: a Ctrl-C then must not
            # print a traceback of the imports. Once a command runs, the CLI says it itself.
            from feedsvc.cli import main as command

            command()
        except (KeyboardInterrupt, Stopped) as error:
            _stopped(Stopped.of(error))
        except SystemExit:
            # The command ended, but a signal's stop was swallowed on the way (see
            # swallowed_stop): it still ends as a stop, in one line, never as a success.
            stop = swallowed_stop()
            if stop is None:
                raise
            _stopped(stop)


def _stopped(stop: Stopped) -> None:
    with contextlib.suppress(OSError):  # a terminal that hung up
        print(stop.line(None), file=sys.stderr, flush=True)
    sys.exit(stop.exit_code)


if __name__ == "__main__":
    main()
