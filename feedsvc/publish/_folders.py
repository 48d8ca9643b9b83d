"""out/ held open, and every folder and file below it reached without following a link.

A link inside out/ (a category folder, public/, members/, a feed, the lock, the temporary
folder) would make a build write where nobody looks: feeds into another site's folder, the
members' full text into a public one. So below out/ each folder is opened with O_NOFOLLOW
from its parent's descriptor, and files are opened, renamed and removed relative to their
folder's descriptor: a link swapped in after a check is never followed either. A link is
refused with a message naming it. out/ itself may be a link: its path is the operator's
choice, like the path of any folder above it, and nothing inside out/ can redirect it.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import NoReturn

from feedsvc.errors import UnsafeOut

__all__ = ["OutTree", "refuse_link"]

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def refuse_link(where: Path, target: str, folder: bool, written: bool) -> NoReturn:
    fix = "replace it with a real folder" if folder else "remove it"
    state = (
        "every file in out/ is whole, the old one or the new one"
        if written
        else "nothing was written"
    )
    raise UnsafeOut(
        f"{where} is a link (to {target}); a build writes only into real folders and files "
        f"of out/, never through a link, so that nothing lands outside it and no members' "
        f"text lands in a public folder: {fix} and build again; {state}"
    )


class OutTree:
    """out/ opened once; folders below it opened on demand and closed after use, so that a
    build with thousands of category folders holds a handful of descriptors."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.written = False  # whether a file has been replaced: what a refusal can promise
        self._root: int | None = None
        self._open_root(create=False)

    def __enter__(self) -> OutTree:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._root is not None:
            os.close(self._root)
            self._root = None

    def _open_root(self, create: bool) -> int | None:
        if self._root is None:
            if create:
                self.out_dir.mkdir(parents=True, exist_ok=True)
            try:
                self._root = os.open(self.out_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except FileNotFoundError:
                if create:
                    raise
        return self._root

    @contextmanager
    def folder(
        self, rel: str, create: bool = False, mode: int = 0o777, look: bool = False
    ) -> Iterator[int | None]:
        """out/<rel> ('' for out/ itself, else 'a/b/') opened; None when it is missing and
        not to be created. A link on the way is refused, a file on the way is
        NotADirectoryError; with `look` (to list, never to write), both are None instead."""
        descriptor = self._open_root(create)
        done = ""
        for part in filter(None, rel.split("/")):
            if descriptor is None:
                break
            done += part + "/"
            try:
                child = self._child(descriptor, part, done, create, mode)
            except (UnsafeOut, NotADirectoryError):
                if not look:
                    raise
                child = None
            finally:
                if descriptor != self._root:
                    os.close(descriptor)
            descriptor = child
        try:
            yield descriptor
        finally:
            if descriptor is not None and descriptor != self._root:
                os.close(descriptor)

    def _child(self, parent: int, name: str, rel: str, create: bool, mode: int) -> int | None:
        try:
            return os.open(name, _FOLDER, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                return None
        except OSError as error:
            self._explain(parent, name, rel, error, folder=True)
        with suppress(FileExistsError):  # made meanwhile; a link is refused just below
            os.mkdir(name, mode, dir_fd=parent)
        try:
            return os.open(name, _FOLDER, dir_fd=parent)
        except OSError as error:
            self._explain(parent, name, rel, error, folder=True)

    def _explain(self, parent: int, name: str, rel: str, error: OSError, folder: bool) -> NoReturn:
        where = self.out_dir / rel.rstrip("/")
        try:
            target = os.readlink(name, dir_fd=parent)
        except OSError:
            raise type(error)(error.errno, error.strerror, str(where)) from None
        refuse_link(where, target, folder, self.written)

    def entry(self, folder: int, name: str, rel: str) -> os.stat_result | None:
        """The file `name` of an open folder, as it is (never its link's target); a link is
        refused. `rel` is its path below out/, for the message."""
        try:
            found = os.stat(name, dir_fd=folder, follow_symlinks=False)
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(found.st_mode):
            self._explain(folder, name, rel, OSError(), folder=False)
        return found

    def read(self, folder: int, name: str, rel: str) -> bytes | None:
        """The bytes of a file of an open folder, None when it is missing; never through a
        link, and never blocking on a FIFO put in a file's place."""
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            descriptor = os.open(name, flags, dir_fd=folder)
        except FileNotFoundError:
            return None
        except OSError as error:
            self._explain(folder, name, rel, error, folder=False)
        with os.fdopen(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise IsADirectoryError(errno.EISDIR, "not a regular file", str(self.out_dir / rel))
            return file.read()

    def names(self, folder: int) -> list[str]:
        return sorted(os.listdir(folder))

    def is_folder(self, folder: int, name: str) -> bool:
        """A real folder, not a link to one."""
        try:
            return stat.S_ISDIR(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode)
        except FileNotFoundError:
            return False

    def is_file(self, folder: int, name: str) -> bool:
        """A regular file, not a link to one."""
        try:
            return stat.S_ISREG(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode)
        except FileNotFoundError:
            return False
