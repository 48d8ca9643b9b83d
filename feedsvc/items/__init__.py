"""Reading the items folder: finding item files, their front matter, and the problems in them.

Bytes in, a model (or every problem, located at its file and line) out. Nothing here writes.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from feedsvc.items._entries import ITEM_SUFFIX
from feedsvc.items._problems import Problem
from feedsvc.items._scan import Folder, Scan, Scanning, scan

if TYPE_CHECKING:
    from feedsvc.items._itemfile import (
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
    from feedsvc.items._yaml import use_native as use_native_yaml

__all__ = [
    "ITEM_SUFFIX",
    "MAX_FILE_BYTES",
    "SETTINGS_FILE",
    "Folder",
    "ItemFile",
    "Problem",
    "Scan",
    "Scanning",
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

# Imported when first asked for: the scan of a rebuild starts before the models (pydantic,
# YAML) are imported, and goes on in its helper process while they are.
_LATER = {"use_native_yaml": ("_yaml", "use_native")}


def __getattr__(name: str) -> object:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _LATER.get(name, ("_itemfile", name))
    value = getattr(import_module(f"feedsvc.items.{module}"), attribute)
    globals()[name] = value
    return value
