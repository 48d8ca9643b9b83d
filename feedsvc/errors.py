"""Every exception feedsvc raises across a wing's boundary, in one place."""

from __future__ import annotations

import signal
from pathlib import Path

__all__ = [
    "Busy",
    "CacheDamaged",
    "ChangedDuringBuild",
    "FeedsvcError",
    "MembersUnavailable",
    "ServeConfigError",
    "Stopped",
    "UnsafeOut",
]


class FeedsvcError(Exception):
    """The base of feedsvc's own errors: the message is for the person who ran it."""


class Busy(FeedsvcError):
    """Another build held out/'s lock for longer than we would wait."""


class ChangedDuringBuild(FeedsvcError):
    """An item file changed between indexing and rendering: the build must start again."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path  # the file to read again


class CacheDamaged(FeedsvcError):
    """The index was found damaged during a build, and emptied: the build must start again."""


class UnsafeOut(FeedsvcError):
    """A link stands where a build writes in out/: following it would write outside out/, or
    members' full text into a public folder."""


class ServeConfigError(FeedsvcError):
    """The server or the members' command cannot start as configured (a folder, a setting)."""


class MembersUnavailable(FeedsvcError):
    """The members database cannot be opened or reached, or is not feedsvc's: never rebuilt
    behind the members' back, since it holds every member's address."""


class Stopped(BaseException):
    """A signal asked the command to stop: Ctrl-C (SIGINT), SIGTERM or SIGHUP.

    A BaseException, as KeyboardInterrupt is, so that no `except Exception` mistakes it for
    an error to report or work around. The command ends with one line and exit code
    128 + the signal's number, as shells report a command a signal ended: 130, 143, 129.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @classmethod
    def of(cls, stop: BaseException) -> Stopped:
        """KeyboardInterrupt (Python's own Ctrl-C, where feedsvc set no handler) as Stopped."""
        return stop if isinstance(stop, Stopped) else cls(signal.SIGINT)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def line(self, command: str | None) -> str:
        if self.signum == signal.SIGINT:
            line = "feedsvc: interrupted"
        else:
            line = f"feedsvc: stopped by {signal.Signals(self.signum).name}"
        if command == "build":
            # Atomic replacement makes this true at every moment; saying it spares a check.
            line += "; each file in out/ is whole, the old one or the new one"
        return line + "."
