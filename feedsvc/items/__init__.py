"""Reading the items folder: finding item files, their front matter, and the problems in them.

Bytes in, a model (or every problem, located at its file and line) out. Nothing here writes.
"""

from __future__ import annotations

from feedsvc.items._itemfile import (
    ITEM_SUFFIX,
    MAX_FILE_BYTES,
    SETTINGS_FILE,
    ItemFile,
    due_despite_problems,
    line_of_field,
    parse_item,
    raw_digest,
    read_again,
    read_item,
    read_item_bytes,
    read_settings,
)
from feedsvc.items._problems import Problem
from feedsvc.items._scan import Folder, Scan, scan
from feedsvc.items._yaml import use_native as use_native_yaml

__all__ = [
    "ITEM_SUFFIX",
    "MAX_FILE_BYTES",
    "SETTINGS_FILE",
    "Folder",
    "ItemFile",
    "Problem",
    "Scan",
    "due_despite_problems",
    "line_of_field",
    "parse_item",
    "raw_digest",
    "read_again",
    "read_item",
    "read_item_bytes",
    "read_settings",
    "scan",
    "use_native_yaml",
]
