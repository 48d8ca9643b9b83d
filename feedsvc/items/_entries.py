"""What the scan makes of a folder entry's name: an item's, one meant as an item, a link's target.

Pure judgments on names and paths, apart from the walk that asks for them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from feedsvc.items._problems import Problem

__all__ = ["ITEM_SUFFIX", "dangling", "inside", "item_name", "look_alike", "utf8"]

ITEM_SUFFIX = ".md"


def utf8(name: str) -> bool:
    try:
        name.encode("utf-8")  # os.scandir hands undecodable bytes over as lone surrogates
    except UnicodeEncodeError:
        return False
    return True


def inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root + os.sep)


def dangling(path: str) -> bool:
    try:
        os.stat(path)
    except FileNotFoundError:
        return True  # other errors, such as a link to itself, are "cannot be read"
    return False


# Names an editor may have meant as an item: other Markdown suffixes, text, and the backups
# editors leave beside a file (x.md~, x.md.bak, x.md.orig).
LOOKS_LIKE_ITEM = re.compile(r"\.(?:markdown|mdown|mkdn|mkd|txt)$|\.md[~.#_-]", re.IGNORECASE)


def look_alike(entry: os.DirEntry[str], name: str) -> Problem | None:
    if item_name(name) and entry.is_dir():
        return Problem(
            Path(entry.path), 1, "file",
            f"is a folder, though its name ends in {ITEM_SUFFIX}; the files in it are read, "
            "but it is no item: rename it if that was not meant",
        )  # fmt: skip
    if not item_name(name) and entry.is_file() and LOOKS_LIKE_ITEM.search(name):
        stem = name.split(".", 1)[0]
        return Problem(
            Path(entry.path), 1, "file",
            f"is not read: only {ITEM_SUFFIX} files are items; rename it to {stem}{ITEM_SUFFIX} "
            "to publish it, or move it out of the items folder",
        )  # fmt: skip
    return None


def item_name(name: str) -> bool:
    # `a.MD` is what some systems and editors write for `a.md`: an item all the same, rather
    # than a file skipped without a word.
    return name[-len(ITEM_SUFFIX) :].lower() == ITEM_SUFFIX
