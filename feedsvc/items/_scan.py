"""Finding item files: every `*.md` below the items folder, with the stat that says if it changed.

Folders are listed, then files stat'ed; no file is read: this is what a no-op rebuild costs at most.
"""

from __future__ import annotations

import functools
import os
import threading
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from errno import ENOENT, ENOTDIR
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, cast

from feedsvc.errors import ChangedDuringBuild
from feedsvc.items import _stats
from feedsvc.items._entries import (
    ITEM_SUFFIX,
    dangling,
    inside,
    item_name,
    look_alike,
    utf8,
)
from feedsvc.items._problems import Problem

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

SPLIT_AFTER = 5_000  # below this many files, starting a process costs more than it saves
# A file listed but gone when stat'ed or read: deleted, or moved where the listing had
# already been (a folder renamed or replaced by a file, an editor's backup made by renaming).
# The folder changed, not the file.
GONE = (ENOENT, ENOTDIR)
_LISTINGS = 3  # the scan lists again when files vanished, so that moved ones are found


@dataclass(slots=True)
class Folder:
    """The item files of one folder, in the order listed, with their stats."""

    prefix: str  # relative to the items folder, '/'-terminated; '' for the top
    names: list[str] = field(default_factory=list)
    # FIELDS per name, in order: a no-op rebuild digests these bytes, never a tuple per file.
    stats: array[int] = field(default_factory=lambda: array("q"))
    # The digest of the names once taken: by the helper that listed them, while the command
    # was still importing, or when first asked.
    names_hash: bytes = field(default=b"", compare=False, repr=False)

    def names_digest(self) -> bytes:
        """A digest of the names, in order."""
        if not self.names_hash:
            self.names_hash = _names_digest("\0".join(self.names))
        return self.names_hash

    def files(self) -> dict[str, tuple[int, int, int, int]]:
        """relpath -> (mtime_ns, size, ctime_ns, inode), in order: made only when wanted."""
        values = iter(self.stats)
        stats = zip(values, values, values, values, strict=True)
        return dict(zip(map(self.prefix.__add__, self.names), stats, strict=True))

    def add(self, name: str, stat: os.stat_result) -> None:
        self.names.append(name)
        self.stats.extend((stat.st_mtime_ns, stat.st_size, stat.st_ctime_ns, stat.st_ino))


@dataclass(slots=True)
class Scan:
    folders: list[Folder] = field(default_factory=list)  # those that hold item files
    problems: list[Problem] = field(default_factory=list)
    # Files that look like items but are not read as items: named, so none is lost unseen.
    skipped: list[Problem] = field(default_factory=list)
    vanished: bool = False  # a folder listed was gone when it was listed in turn

    @property
    def count(self) -> int:
        return sum(len(folder.names) for folder in self.folders)

    @property
    def files(self) -> dict[str, tuple[int, int, int, int]]:
        """Every item file: relpath -> (mtime_ns, size, ctime_ns, inode)."""
        return {path: stat for folder in self.folders for path, stat in folder.files().items()}


def _names_digest(joined: str) -> bytes:
    import hashlib  # where the digest is first wanted: in the helper, while the command imports

    return hashlib.blake2b(joined.encode("utf-8", "surrogateescape"), digest_size=16).digest()


@dataclass(slots=True)
class _Listed:
    """A folder as listed: the names of its plain item files (regular files by their
    directory entry), still to stat, and the files found otherwise, stat'ed already."""

    path: str
    plain: list[str]
    other: Folder
    plain_hash: bytes = b""  # _names_digest of `plain`, when the helper took it


def _named(listed: list[_Listed]) -> _stats.Named:
    return [(entry.path, entry.plain) for entry in listed]


def scan(items_dir: Path, split_after: int | None = SPLIT_AFTER, early: bool = False) -> Scan:
    """Item files by path relative to `items_dir` ('/'-separated); dot-names are skipped.

    Folders are listed first, by name and type, with no `stat`; then the files are stat'ed,
    from `split_after` files on a share of them by a second process, whatever the layout
    (one flat folder of 100,000 files too): a stat per file is most of a no-op rebuild, and
    two cores share it.

    Raises ChangedDuringBuild when files or folders vanish from every listing it makes.
    """
    return Scanning(items_dir, split_after, early=early).finish()


class Scanning:
    """A scan begun: the folders listed and, from `split_after` files on, the stats of the
    last `share` of the files under way in a helper process; finish() takes the rest here.

    `early`: the command has its slow imports ahead of it, and many files to scan. The helper
    is then forked before anything is listed, lists every folder while this process imports,
    sends the listing, and stats its share of the files.
    """

    def __init__(
        self,
        items_dir: Path,
        split_after: int | None = SPLIT_AFTER,
        share: float = 0.5,
        early: bool = False,
    ) -> None:
        self.items_dir, self.split_after, self.share = items_dir, split_after, share
        self.result = Scan()
        self.root = os.path.realpath(items_dir)
        self.pending = [("", str(items_dir))]
        self.listed: list[_Listed] = []
        self.split = _stats.Split([], [])
        self.lister: _stats.Helper | None = None
        if early and split_after is not None:
            self.lister = _stats.Helper.start(functools.partial(_list_in_helper, self))
        if self.lister is None:
            self._list()

    def _visit_all(self) -> None:
        while self.pending:
            _visit(*self.pending.pop(), self.root, self.result, self.pending, self.listed)

    def _list(self) -> None:
        self._visit_all()
        self.split = _stats.start(_named(self.listed), self.split_after, self.share)

    def _take_listing(self, lister: _stats.Helper) -> None:
        listing = lister.take()  # stopped meanwhile: take() stops the helper
        if listing is None:  # the helper died: everything is done here
            lister.end()
            self._list()
            return
        self.result, self.listed = _unpacked(cast(_Packed, listing))
        self.pending.clear()  # listed there
        # The helper split the same listing the same way: it is at work on its share.
        self.split = _stats.shares(_named(self.listed), self.split_after, self.share)
        if self.split.theirs:
            self.split.helper = lister
        else:
            lister.end()

    def finish(self) -> Scan:
        # The files are stat'ed well after their folders were listed (the command's imports
        # come between): a file moved meanwhile is gone from where it was listed, and its new
        # place may have been listed before it got there. Listed again, it is found; a file
        # only deleted is simply not found again.
        # Still vanishing at the last listing, they are changing all the while: a scan
        # without them would publish feeds short of them.
        scanning = self
        try:
            for listing in range(_LISTINGS):
                if listing:
                    scanning = Scanning(self.items_dir, self.split_after, self.share)
                found, vanished = scanning._finish()
                if not vanished:
                    return found
            raise ChangedDuringBuild(
                f"{self.items_dir} changed all the while it was listed", self.items_dir
            )
        finally:
            scanning.abandon()  # stopped while its helper was at work

    def _finish(self) -> tuple[Scan, bool]:
        """The scan, and whether files or folders vanished between their listing and their
        stat, or their own listing."""
        lister, self.lister = self.lister, None
        if lister is not None:
            self._take_listing(lister)
        listed, split = self.listed, self.split
        vanished = False
        while True:
            stats = _stats.stat_all(split)
            for position, taken in enumerate(stats):
                vanished = vanished or any(errno in GONE for errno in taken[1].values())
                folder = _stated(listed[position], taken, self.root, self.result, self.pending)
                if folder.names:
                    self.result.folders.append(folder)
            if not self.pending:  # else folders that replaced a file while it was stat'ed
                return self.result, vanished or self.result.vanished
            listed = []
            while self.pending:
                _visit(*self.pending.pop(), self.root, self.result, self.pending, listed)
            split = _stats.start(_named(listed), None, 0)

    def abandon(self) -> None:
        """Stop the helpers of a scan that will not be finished."""
        lister, self.lister = self.lister, None
        helper, self.split.helper = self.split.helper, None
        for process in (lister, helper):
            if process is not None:
                process.stop()


# The listing as the helper sends it: each folder's plain names joined by NUL, which no file
# name holds (plain names are ASCII), since one string pickles many times faster than a list.
_Packed = tuple[Scan, list[tuple[str, str, bytes, "Folder"]]]


def _list_in_helper(scanning: Scanning, send: Connection) -> None:
    """In the helper: list every folder, send the listing, then stat this process's share."""
    scanning._visit_all()
    packed = []
    for entry in scanning.listed:
        joined = "\0".join(entry.plain)
        packed.append((entry.path, joined, _names_digest(joined), entry.other))
    # Sent by a thread: the command reads it only once its imports are done, and the pipe
    # holds far less than a large listing, so this share is stat'ed meanwhile.
    sending = threading.Thread(target=send.send, args=((scanning.result, packed),))
    sending.start()
    split = _stats.shares(_named(scanning.listed), scanning.split_after, scanning.share)
    taken = _stats.stat_jobs(split.named, split.theirs) if split.theirs else None
    sending.join()
    if taken is not None:
        send.send(taken)


def _unpacked(packed: _Packed) -> tuple[Scan, list[_Listed]]:
    result, folders = packed
    listed = [
        _Listed(path, plain.split("\0") if plain else [], other, plain_hash)
        for path, plain, plain_hash, other in folders
    ]
    return result, listed


def _visit(
    prefix: str,
    folder: str,
    root: str,
    result: Scan,
    pending: list[tuple[str, str]],
    listed: list[_Listed],
) -> None:
    entry = _Listed(folder, [], Folder(prefix))
    try:
        # Iterated as listed, not gathered first: holding a large folder's entries costs a
        # sixth of a no-op rebuild.
        with os.scandir(folder) as entries:
            _list(entries, entry, root, result, pending)
    except OSError as error:
        if error.errno in GONE:  # moved or deleted since its parent was listed: not content
            result.vanished = True
        else:
            result.problems.append(
                Problem(Path(folder), 1, "folder", f"cannot be read ({error.strerror})")
            )
    listed.append(entry)


def _list(
    entries: Iterator[os.DirEntry[str]],
    listed: _Listed,
    root: str,
    result: Scan,
    pending: list[tuple[str, str]],
) -> None:
    plain = listed.plain
    for entry in entries:
        name = entry.name
        try:
            # The common case first, and cheaply: the type comes with the listing.
            if (
                name.endswith(ITEM_SUFFIX)
                and name.isascii()
                and name[0] != "."
                and entry.is_file(follow_symlinks=False)
            ):
                plain.append(name)
                continue
            _unusual(entry, listed.other, root, result, pending)
        except FileNotFoundError:
            continue  # deleted since it was listed: it is not content any more
        except OSError as error:  # a link that loops, an entry we may not look at
            _unreadable(result, entry.path, error.errno)


def _unreadable(result: Scan, path: str, errno: int | None) -> None:
    why = os.strerror(errno) if errno else "unknown error"
    result.problems.append(Problem(Path(path), 1, "file", f"cannot be read ({why})"))


def _stated(
    listed: _Listed, taken: _stats.Taken, root: str, result: Scan, pending: list[tuple[str, str]]
) -> Folder:
    """The folder's item files with their stats: the plain ones, then the others."""
    values, failed = taken
    folder = Folder(listed.other.prefix)
    count = len(listed.plain)
    if not failed and all(S_ISREG(mode) for mode in set(values[:: _stats.TAKEN])):
        folder.names = listed.plain
        if not listed.other.names:
            folder.names_hash = listed.plain_hash
        folder.stats = array("q", bytes(8 * _stats.FIELDS * count))
        for column in range(_stats.FIELDS):
            folder.stats[column :: _stats.FIELDS] = values[column + 1 :: _stats.TAKEN]
    else:
        for number, name in enumerate(listed.plain):
            at = number * _stats.TAKEN
            if number in failed:
                if failed[number] not in GONE:  # not deleted since it was listed
                    _unreadable(result, os.path.join(listed.path, name), failed[number])
            elif S_ISREG(values[at]):
                folder.names.append(name)
                folder.stats.extend(values[at + 1 : at + _stats.TAKEN])
            else:  # no longer a file since it was listed: looked at as any other entry
                _relisted(listed, name, root, result, pending)
    folder.names.extend(listed.other.names)
    folder.stats.extend(listed.other.stats)
    return folder


def _relisted(
    listed: _Listed, name: str, root: str, result: Scan, pending: list[tuple[str, str]]
) -> None:
    try:
        with os.scandir(listed.path) as entries:
            for entry in entries:
                if entry.name == name:
                    _unusual(entry, listed.other, root, result, pending)
    except FileNotFoundError:
        pass
    except OSError as error:
        _unreadable(result, os.path.join(listed.path, name), error.errno)


def _unusual(
    entry: os.DirEntry[str], into: Folder, root: str, result: Scan, pending: list[tuple[str, str]]
) -> None:
    """Folders, links, names that are not plain ASCII, and files that are not items."""
    name = entry.name
    if name.startswith("."):
        return  # editors' swap files and VCS folders are not content
    if not utf8(name):
        result.problems.append(Problem(
            Path(entry.path), 1, "file",
            "has a name that is not UTF-8; rename it with ordinary letters",
        ))  # fmt: skip
        return
    relative = into.prefix + name
    if entry.is_symlink():
        # A link may point anywhere: content must stay inside the items folder.
        target = os.path.realpath(entry.path)
        if not inside(target, root):
            if item_name(name) or os.path.isdir(target):
                result.problems.append(Problem(
                    Path(entry.path), 1, "file",
                    "is a link to outside the items folder; copy the file in instead",
                ))  # fmt: skip
            return
        if item_name(name) and dangling(entry.path):
            result.problems.append(Problem(
                Path(entry.path), 1, "file",
                "is a link to a file that does not exist; fix or remove the link",
            ))  # fmt: skip
            return
    alike = look_alike(entry, name)
    if alike is not None:
        result.skipped.append(alike)
    if entry.is_dir():
        if not entry.is_symlink():  # a link inside the folder would list files twice
            pending.append((relative + "/", entry.path))
    elif item_name(name) and entry.is_file():
        into.add(name, entry.stat())
    elif item_name(name):
        result.problems.append(Problem(
            Path(entry.path), 1, "file",
            "is a named pipe, device or socket, not a file; an item must be an ordinary file",
        ))  # fmt: skip
