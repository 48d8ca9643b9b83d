"""Files under out/: written whole or not at all, and only when their bytes change.

A reader polling during a build must see the old file or the new one, never a torn one, so each
file is written to a temporary file in out/'s private temporary folder, flushed, fsynced and
renamed over the old one: nothing half-written is ever inside a served tree, even for a
moment. A file whose bytes would not change is left alone: its mtime, and so a web server's
Last-Modified and ETag, stay, and pollers keep getting 304s.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from feedsvc.publish._folders import OutTree
from feedsvc.publish._layout import (
    ARCHIVE_FOLDER,
    CATEGORY_PARENTS,
    FEED_FOLDERS,
    MONTH,
    TEMP_FOLDER,
    TEMP_PREFIX,
    TEMP_SUFFIX,
)

__all__ = ["Writer", "feed_folders", "remove_leftovers", "writer"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _ours(name: str) -> bool:
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


_MONTH = re.compile(MONTH)


def _subfolders(tree: OutTree, parent: str, pattern: re.Pattern[str] | None = None) -> list[str]:
    with tree.folder(parent, look=True) as folder:
        if folder is None:
            return []
        return [
            f"{parent}{name}/"
            for name in tree.names(folder)
            if (pattern is None or pattern.fullmatch(name)) and tree.is_folder(folder, name)
        ]


def feed_folders(tree: OutTree) -> list[str]:
    """Every folder below out/ where a build writes feeds or once did, links left out: the
    trees, each category's folder, and the month folders of each one's archives."""
    found = list(FEED_FOLDERS)
    for parent in CATEGORY_PARENTS:
        found += _subfolders(tree, parent)
    for feed in list(found):
        if feed:  # archives were never written at the top of out/
            found += _subfolders(tree, feed + ARCHIVE_FOLDER, _MONTH)
    return found


def remove_leftovers(tree: OutTree) -> None:
    """Delete temporary files a killed build left behind; only ever files named as ours, in
    the temporary folder or where builds before it wrote them (beside each feed)."""
    for rel in [TEMP_FOLDER, *feed_folders(tree)]:
        with tree.folder(rel, look=True) as folder:
            if folder is None:
                continue
            for name in tree.names(folder):
                if _ours(name) and tree.is_file(folder, name):
                    os.unlink(name, dir_fd=folder)


class Writer:
    """Replaces files of one folder of out/ at a time, through the temporary folder."""

    def __init__(self, tree: OutTree, temp: int) -> None:
        self.tree = tree
        self.temp = temp
        self.mode = 0o666 & ~_umask()  # mkstemp-like files are private; a feed is for the web

    def write_if_changed(self, folder: int, name: str, rel: str, data: bytes) -> bool:
        """Write `data` to `name` unless it already holds exactly that; True when written."""
        if self.tree.read(folder, name, rel) == data:
            return False
        self.write(folder, name, data)
        return True

    def write(self, folder: int, name: str, data: bytes) -> None:
        temp_name, handle = self._create(name)
        try:
            with os.fdopen(handle, "wb") as temp:
                temp.write(data)
                temp.flush()
                os.fsync(temp.fileno())
                os.fchmod(temp.fileno(), self.mode)
            # rename() replaces the entry itself: a link swapped in at `name` is replaced,
            # never written through.
            os.replace(temp_name, name, src_dir_fd=self.temp, dst_dir_fd=folder)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(temp_name, dir_fd=self.temp)
            raise
        self.tree.written = True
        os.fsync(folder)  # the rename is durable only once the folder's entry is on disk

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
    """A Writer for the length of the block; its temporary folder (private to the build's
    user) is removed afterwards when empty, so out/ holds nothing but the trees and the lock."""
    with tree.folder(TEMP_FOLDER, create=True, mode=0o700) as temp:
        assert temp is not None
        try:
            yield Writer(tree, temp)
        finally:
            with tree.folder("") as top, suppress(OSError):
                # Not empty (another tool's file) or gone: left as it is.
                os.rmdir(TEMP_FOLDER.rstrip("/"), dir_fd=top)
