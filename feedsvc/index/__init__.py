"""The index: a SQLite cache of what each item file holds, kept between builds.

It finds changed files folder by folder, parses them (in a pool of processes when there are
many), keeps cross-file findings current, and chooses each feed's items by query. Only a
cache: deleting it gives the same output, read from the files again.
"""

from __future__ import annotations

from feedsvc.index._archived import FileRecord, Row, content_hash
from feedsvc.index._check import Checked, check_items, load_items
from feedsvc.index._db import NO_WEEKS, ArchiveWeek, ArchiveWeeks, Chosen, Index, code_version
from feedsvc.index._pool import items_again

__all__ = [
    "NO_WEEKS",
    "ArchiveWeek",
    "ArchiveWeeks",
    "Checked",
    "Chosen",
    "FileRecord",
    "Index",
    "Row",
    "check_items",
    "code_version",
    "content_hash",
    "items_again",
    "load_items",
]
