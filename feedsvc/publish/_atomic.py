"""Files under out/: written whole or not at all, and only when their bytes change.

A reader polling during a build must see the old file or the new one, never a torn one, so each
file is written to a temporary file in out/'s private temporary folder, flushed, fsynced and
renamed over the old one: nothing half-written is ever inside a served tree, even for a
moment. A file whose bytes would not change is left alone: its mtime, and so a web server's
Last-Modified and ETag, stay, and pollers keep getting 304s.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import NamedTuple, TypeVar

from feedsvc.publish._folders import OutTree
from feedsvc.publish._layout import TEMP_FOLDER, TEMP_PREFIX, TEMP_SUFFIX

__all__ = ["Writer", "writer"]

# Threads that write and fsync files at once: on this kind of disk, 127 files take a fifteenth
# of the time with 4 to 8 threads as one after the other (the journal commits them together).
THREADS = 8
STAGED_MAX = 256  # files staged before they are committed: each holds a descriptor open
Job = TypeVar("Job")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _in_threads(function: Callable[[Job], object], jobs: list[Job]) -> None:
    """function(job) for every job, in up to THREADS threads; the first error raised after
    all are done, so that nothing still runs when the caller cleans up."""
    if len(jobs) <= 1:
        for job in jobs:
            function(job)
        return
    todo = iter(jobs)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        while True:
            with lock:
                job = None if errors else next(todo, None)
            if job is None:
                return
            try:
                function(job)
            except BaseException as error:
                with lock:
                    errors.append(error)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(min(THREADS, len(jobs)))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    except BaseException as stop:  # a stop signal: the threads take no more jobs, and the
        with lock:  # caller closes their descriptors only once none is still writing to one
            errors.append(stop)
        for thread in threads:
            if thread.ident is not None:
                thread.join()
        raise
    if errors:
        raise errors[0]


class _Staged(NamedTuple):
    folder: int  # a duplicate of the descriptor the file was checked in
    name: str
    temp_name: str
    handle: int
    data: bytes


class Writer:
    """Replaces files of out/: staged in the temporary folder, then renamed in order.

    fsync waits on the disk, and the file system commits the fsyncs issued together as one:
    so the temporary files are written and fsynced by a few threads at once, then renamed in
    the order they were staged, and each folder is fsynced once for all its renames. A file
    is renamed only once its bytes are on disk, so each is whole, the old or the new one.
    """

    def __init__(self, tree: OutTree, temp: int) -> None:
        self.tree = tree
        self.temp = temp
        self.mode = 0o666 & ~_umask()  # mkstemp-like files are private; a feed is for the web
        self._staged: list[_Staged] = []
        self._folders: dict[tuple[int, int], int] = {}  # (device, inode): its duplicate

    def write_if_changed(self, folder: int, name: str, rel: str, data: bytes) -> bool:
        """Write `data` to `name` unless it already holds exactly that; True when it will be
        (at the next commit(), at the latest when the writer's block ends)."""
        if self.tree.read(folder, name, rel) == data:
            return False
        self.write(folder, name, data)
        return True

    def write(self, folder: int, name: str, data: bytes) -> None:
        temp_name, handle = self._create(name)
        found = os.fstat(folder)
        key = (found.st_dev, found.st_ino)
        if key not in self._folders:
            self._folders[key] = os.dup(folder)
        self._staged.append(_Staged(self._folders[key], name, temp_name, handle, data))
        if len(self._staged) >= STAGED_MAX:  # a bound on the descriptors held open
            self.commit()

    def commit(self) -> None:
        """Write and fsync every staged file, rename each over its name, fsync the folders."""
        staged, folders = self._staged, list(self._folders.values())
        self._staged, self._folders = [], {}
        renamed = 0
        try:
            _in_threads(self._fill, staged)
            for file in staged:
                # rename() replaces the entry itself: a link swapped in at `name` is replaced,
                # never written through.
                os.replace(file.temp_name, file.name, src_dir_fd=self.temp, dst_dir_fd=file.folder)
                renamed += 1
                self.tree.written = True
            # The renames are durable only once the folders' entries are on disk.
            _in_threads(os.fsync, folders)
        finally:
            self._drop(staged, renamed, folders)

    def discard(self) -> None:
        """Replace nothing that is staged, and remove its temporary files."""
        staged, folders = self._staged, list(self._folders.values())
        self._staged, self._folders = [], {}
        self._drop(staged, 0, folders)

    def _drop(self, staged: list[_Staged], renamed: int, folders: list[int]) -> None:
        for file in staged:
            os.close(file.handle)
        for file in staged[renamed:]:
            with suppress(FileNotFoundError):
                os.unlink(file.temp_name, dir_fd=self.temp)
        for folder in folders:
            os.close(folder)

    def _fill(self, file: _Staged) -> None:
        with open(file.handle, "wb", closefd=False) as temp:
            temp.write(file.data)
        os.fsync(file.handle)
        os.fchmod(file.handle, self.mode)

    def _create(self, name: str) -> tuple[str, int]:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        while True:  # O_EXCL: a name already taken, even by a link, is never opened
            temp_name = f"{TEMP_PREFIX}{name}.{secrets.token_hex(8)}{TEMP_SUFFIX}"
            try:
                return temp_name, os.open(temp_name, flags, 0o600, dir_fd=self.temp)
            except FileExistsError:
                continue


@contextmanager
def writer(tree: OutTree) -> Iterator[Writer]:
    """A Writer for the length of the block, which commits what it staged (or, when the block
    fails, replaces none of it); its temporary folder (private to the build's user) is removed
    afterwards when empty, so out/ holds nothing but the trees and the lock."""
    with tree.folder(TEMP_FOLDER, create=True, mode=0o700) as temp:
        assert temp is not None
        files = Writer(tree, temp)
        try:
            yield files
            files.commit()
        except BaseException:
            files.discard()
            raise
        finally:
            with tree.folder("") as top, suppress(OSError):
                # Not empty (another tool's file) or gone: left as it is.
                os.rmdir(TEMP_FOLDER.rstrip("/"), dir_fd=top)
