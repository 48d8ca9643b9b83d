"""Finding item files: every `*.md` below the items folder, with the stat that says if it changed.

A `scandir` walk, no reads: this is what a no-op rebuild costs at most.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING

from feedsvc._procs import hold_stops, release_stops, start_child, workers
from feedsvc.items._itemfile import ITEM_SUFFIX
from feedsvc.items._problems import Problem

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

SPLIT_AFTER = 5_000  # below this many files, starting a process costs more than it saves


@dataclass(slots=True)
class Scan:
    # relpath -> mtime_ns, size, ctime_ns, inode
    files: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Files that look like items but are not read as items: named, so none is lost unseen.
    skipped: list[Problem] = field(default_factory=list)
    # (folder prefix, number of files): each folder's files are one run of `files`, in order.
    folders: list[tuple[str, int]] = field(default_factory=list)


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")  # os.scandir hands undecodable bytes over as lone surrogates
    except UnicodeEncodeError:
        return False
    return True


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root + os.sep)


def _dangling(path: str) -> bool:
    try:
        os.stat(path)
    except FileNotFoundError:
        return True  # other errors, such as a link to itself, are "cannot be read"
    return False


# Names an editor may have meant as an item: other Markdown suffixes, text, and the backups
# editors leave beside a file (x.md~, x.md.bak, x.md.orig).
_LOOKS_LIKE_ITEM = re.compile(r"\.(?:markdown|mdown|mkdn|mkd|txt)$|\.md[~.#_-]", re.IGNORECASE)


def _look_alike(entry: os.DirEntry[str], name: str) -> Problem | None:
    if _item_name(name) and entry.is_dir():
        return Problem(
            Path(entry.path), 1, "file",
            f"is a folder, though its name ends in {ITEM_SUFFIX}; the files in it are read, "
            "but it is no item: rename it if that was not meant",
        )  # fmt: skip
    if not _item_name(name) and entry.is_file() and _LOOKS_LIKE_ITEM.search(name):
        stem = name.split(".", 1)[0]
        return Problem(
            Path(entry.path), 1, "file",
            f"is not read: only {ITEM_SUFFIX} files are items; rename it to {stem}{ITEM_SUFFIX} "
            "to publish it, or move it out of the items folder",
        )  # fmt: skip
    return None


def _item_name(name: str) -> bool:
    # `a.MD` is what some systems and editors write for `a.md`: an item all the same, rather
    # than a file skipped without a word.
    return name[-len(ITEM_SUFFIX) :].lower() == ITEM_SUFFIX


def scan(items_dir: Path, split_after: int | None = SPLIT_AFTER) -> Scan:
    """Item files by path relative to `items_dir` ('/'-separated); dot-names are skipped.

    Once `split_after` files are listed, half of the folders still to walk go to a second
    process: a stat per file is most of a no-op rebuild, and two cores do it in about 60%
    of the time.
    """
    result = Scan()
    root = os.path.realpath(items_dir)
    pending = [("", str(items_dir))]
    helper = None
    while pending:
        if split_after is not None and len(result.files) >= split_after and len(pending) > 1:
            split_after = None  # one helper at most
            helper = _Helper.start(pending[1::2], root)
            if helper is not None:
                del pending[1::2]
        _visit(*pending.pop(), root, result, pending)
    if helper is not None:
        part = helper.result()
        result.files.update(part.files)
        result.problems.extend(part.problems)
        result.skipped.extend(part.skipped)
        result.folders.extend(part.folders)
    return result


def _walk(pending: list[tuple[str, str]], root: str) -> Scan:
    result = Scan()
    while pending:
        _visit(*pending.pop(), root, result, pending)
    return result


def _visit(
    prefix: str, folder: str, root: str, result: Scan, pending: list[tuple[str, str]]
) -> None:
    before = len(result.files)
    try:
        # Iterated as listed, not gathered first: holding a large folder's entries costs a
        # sixth of a no-op rebuild.
        with os.scandir(folder) as entries:
            _list(entries, prefix, root, result, pending)
    except OSError as error:
        result.problems.append(
            Problem(Path(folder), 1, "folder", f"cannot be read ({error.strerror})")
        )
    if len(result.files) > before:
        result.folders.append((prefix, len(result.files) - before))


class _Helper:
    """A forked process walking some of the folders, sending back what it found."""

    def __init__(self, folders: list[tuple[str, str]], root: str) -> None:
        import multiprocessing  # only past SPLIT_AFTER files: a small build never needs it

        self.folders, self.root = folders, root
        context = multiprocessing.get_context("fork")
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_walk_in_child, args=(send, self.receive, folders, root), daemon=True
        )
        mask = hold_stops()
        try:
            self.process.start()
        finally:
            send.close()
            release_stops(mask)

    @classmethod
    def start(cls, folders: list[tuple[str, str]], root: str) -> _Helper | None:
        import multiprocessing

        if (
            workers() < 2
            or "fork" not in multiprocessing.get_all_start_methods()
            or multiprocessing.current_process().daemon  # may not start processes
        ):
            return None
        try:
            return cls(folders, root)
        except OSError:  # no process to be had (EAGAIN, ENOMEM): walk everything here
            return None

    def result(self) -> Scan:
        try:
            part: Scan = self.receive.recv()
        except (EOFError, OSError):  # the helper died: walk its folders here
            part = _walk(self.folders, self.root)
        except BaseException:  # stopped: its walk is not wanted any more
            self.process.kill()
            raise
        finally:
            self.receive.close()
            self.process.join()
        return part


def _walk_in_child(
    send: Connection, receive: Connection, folders: list[tuple[str, str]], root: str
) -> None:
    receive.close()  # else a parent that stopped reading leaves this send blocked forever
    start_child()  # a parent that has gone ends this send with SIGPIPE, silently
    send.send(_walk(folders, root))
    send.close()


def _list(
    entries: Iterator[os.DirEntry[str]],
    prefix: str,
    root: str,
    result: Scan,
    pending: list[tuple[str, str]],
) -> None:
    files = result.files
    for entry in entries:
        name = entry.name
        try:
            # The common case first, and cheaply: this loop is most of a no-op rebuild.
            if (
                name.endswith(ITEM_SUFFIX)
                and name.isascii()
                and name[0] != "."
                and not entry.is_symlink()
            ):
                stat = entry.stat()
                if S_ISREG(stat.st_mode):
                    files[prefix + name] = (
                        stat.st_mtime_ns,
                        stat.st_size,
                        stat.st_ctime_ns,
                        stat.st_ino,
                    )
                    continue
            _unusual(entry, prefix, root, result, pending)
        except FileNotFoundError:
            continue  # deleted since it was listed: it is not content any more
        except OSError as error:  # a link that loops, an entry we may not look at
            result.problems.append(
                Problem(Path(entry.path), 1, "file", f"cannot be read ({error.strerror})")
            )


def _unusual(
    entry: os.DirEntry[str], prefix: str, root: str, result: Scan, pending: list[tuple[str, str]]
) -> None:
    """Folders, links, names that are not plain ASCII, and files that are not items."""
    name = entry.name
    if name.startswith("."):
        return  # editors' swap files and VCS folders are not content
    if not _utf8(name):
        result.problems.append(Problem(
            Path(entry.path), 1, "file",
            "has a name that is not UTF-8; rename it with ordinary letters",
        ))  # fmt: skip
        return
    relative = prefix + name
    if entry.is_symlink():
        # A link may point anywhere: content must stay inside the items folder.
        target = os.path.realpath(entry.path)
        if not _inside(target, root):
            if _item_name(name) or os.path.isdir(target):
                result.problems.append(Problem(
                    Path(entry.path), 1, "file",
                    "is a link to outside the items folder; copy the file in instead",
                ))  # fmt: skip
            return
        if _item_name(name) and _dangling(entry.path):
            result.problems.append(Problem(
                Path(entry.path), 1, "file",
                "is a link to a file that does not exist; fix or remove the link",
            ))  # fmt: skip
            return
    look_alike = _look_alike(entry, name)
    if look_alike is not None:
        result.skipped.append(look_alike)
    if entry.is_dir():
        if not entry.is_symlink():  # a link inside the folder would list files twice
            pending.append((relative + "/", entry.path))
    elif _item_name(name) and entry.is_file():
        stat = entry.stat()
        result.files[relative] = (stat.st_mtime_ns, stat.st_size, stat.st_ctime_ns, stat.st_ino)
    elif _item_name(name):
        result.problems.append(Problem(
            Path(entry.path), 1, "file",
            "is a named pipe, device or socket, not a file; an item must be an ordinary file",
        ))  # fmt: skip
