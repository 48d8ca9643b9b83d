"""out/ as a build finds it: every folder where feeds are written, or once were, read once.

With archives, out/ holds thousands of week folders. Each is opened from its parent's
descriptor (never through a link) and read with one scandir, and the files a build may own
are looked at there and then, so the leftovers, the stats of the planned files, the stale
files and the empty folders all come from that one reading rather than a walk each.
"""

from __future__ import annotations

import os
import re
import stat
from contextlib import suppress
from dataclasses import dataclass, field

from feedsvc.publish._folders import OutTree
from feedsvc.publish._layout import (
    ARCHIVE_FOLDER,
    ARCHIVE_NAME,
    CATEGORY_PARENTS,
    FEED_FOLDERS,
    MEMBERS_TREE,
    OWNED_NAMES,
    TEMP_FOLDER,
    TEMP_PREFIX,
    TEMP_SUFFIX,
)

__all__ = ["Listed", "Listing", "is_ours", "list_out"]

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_ARCHIVE_NAME = re.compile(ARCHIVE_NAME)


def is_ours(name: str) -> bool:
    """A temporary file of an atomic write."""
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


@dataclass(frozen=True, slots=True)
class Listed:
    """One folder as read: every name, its real subfolders, and the entry (never a link's
    target) of each name a build writes or leaves behind."""

    names: frozenset[str]
    folders: frozenset[str]
    entries: dict[str, os.stat_result]


@dataclass(slots=True)
class Listing:
    folders: dict[str, Listed] = field(default_factory=dict)  # 'a/b/' -> its listing
    feeds: list[str] = field(default_factory=list)  # feed folders, each before its weeks

    def owned(self) -> list[str]:
        """Feed and index files (regular files only) in the feed folders."""
        return [
            rel + name
            for rel in self.feeds
            for name, entry in sorted(self.folders[rel].entries.items())
            if name in OWNED_NAMES and stat.S_ISREG(entry.st_mode)
        ]

    def leftovers(self) -> list[str]:
        """Temporary files of ours: in the temporary folder, or where builds before it left
        them (beside each feed)."""
        return [
            rel + name
            for rel in (TEMP_FOLDER, *self.feeds)
            if rel in self.folders
            for name, entry in sorted(self.folders[rel].entries.items())
            if is_ours(name) and stat.S_ISREG(entry.st_mode)
        ]

    def empty_after(self, removed: set[str]) -> list[str]:
        """Folders ('a/b/') left empty once `removed` (paths and folders) are gone, deepest
        first: week folders, then archive folders, then category folders and their parents."""
        gone = set(removed)
        found = []
        for rel in sorted(self.folders, key=lambda rel: -rel.count("/")):
            left = {rel + name for name in self.folders[rel].names}
            left = {p for p in left if p not in gone and p + "/" not in gone}
            if rel and not left and _removable(rel):
                found.append(rel)
                gone.add(rel)
        return found


def _removable(rel: str) -> bool:
    """Folders a build makes and removes once empty: never out/ or out/public/ itself."""
    return ARCHIVE_FOLDER in rel or rel.startswith(CATEGORY_PARENTS) or rel == MEMBERS_TREE


def _read(descriptor: int) -> Listed:
    names, folders, entries = set(), set(), {}
    with os.scandir(descriptor) as found:
        for entry in found:
            names.add(entry.name)
            if entry.is_dir(follow_symlinks=False):
                folders.add(entry.name)
            elif entry.name in OWNED_NAMES or is_ours(entry.name):
                with suppress(FileNotFoundError):  # removed meanwhile: as if never seen
                    entries[entry.name] = entry.stat(follow_symlinks=False)
    return Listed(frozenset(names), frozenset(folders), entries)


def list_out(tree: OutTree, skip: frozenset[str] = frozenset()) -> Listing:
    """Every folder where a build writes feeds or once did, links left out: the trees, each
    category's folder, the week (or old month) folders of each one's archives, and the
    temporary folder; not the archive folders (below out/, 'public/archive/') nor the week
    folders ('public/archive/2024-W25/') of `skip`."""
    listing = Listing()
    with tree.folder("", look=True) as root:
        if root is None:
            return listing

        def visit(parent: int, rel: str, name: str, feed: bool) -> None:
            try:
                descriptor = os.open(name, _FOLDER, dir_fd=parent) if name else os.dup(parent)
            except OSError:  # missing, a link, a file: nothing of ours is below it
                return
            try:
                listed = listing.folders[rel] = _read(descriptor)
                if feed:
                    listing.feeds.append(rel)
                for child in sorted(listed.folders):
                    below = rel + child + "/"
                    if below in CATEGORY_PARENTS or below in FEED_FOLDERS:
                        visit(descriptor, below, child, below in FEED_FOLDERS)
                    elif rel in CATEGORY_PARENTS:  # a category's feed folder
                        visit(descriptor, below, child, True)
                    elif child + "/" == ARCHIVE_FOLDER and feed and rel and below not in skip:
                        visit(descriptor, below, child, False)
                    elif (
                        rel.endswith(ARCHIVE_FOLDER)
                        and _ARCHIVE_NAME.fullmatch(child)
                        and below not in skip
                    ):
                        visit(descriptor, below, child, True)
                    elif below == TEMP_FOLDER:
                        visit(descriptor, below, child, False)
            finally:
                os.close(descriptor)

        visit(root, "", "", True)
    return listing
