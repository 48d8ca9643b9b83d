"""Every exception feedsvc raises across a wing's boundary, in one place."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "Busy",
    "CacheDamaged",
    "ChangedDuringBuild",
    "FeedsvcError",
    "ServeConfigError",
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
