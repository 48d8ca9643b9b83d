"""The writers: a feed document in, the bytes of one file out.

Each writer is imported on first use, inside these functions, so a rebuild that renders
nothing never loads feedgen, lxml or the Markdown renderer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from feedsvc.publish.writers._document import (
    ArchiveList,
    Category,
    EntryDoc,
    FeedDoc,
    FeedFile,
    shows_whole,
)
from feedsvc.publish.writers._marker import Marker

if TYPE_CHECKING:
    from feedsvc.model import FormatName

__all__ = [
    "ArchiveList",
    "Category",
    "EntryDoc",
    "FeedDoc",
    "FeedFile",
    "Marker",
    "patch_feed",
    "render_feed",
    "render_index_page",
    "shows_whole",
]


def render_feed(format_name: FormatName, doc: FeedDoc) -> bytes:
    """The bytes of `doc` in one format."""
    if format_name == "json":
        from feedsvc.publish.writers._jsonfeed import render

        return render(doc)
    from feedsvc.publish.writers import _xml

    return _xml.rss(doc) if format_name == "rss" else _xml.atom(doc)


def patch_feed(
    format_name: FormatName, doc: FeedDoc, old: bytes, old_count: int,
    taken: Sequence[int | None],
) -> bytes | None:  # fmt: skip
    """An archive's bytes from its previous ones (`old`, holding `old_count` entries): entry j
    is old entry taken[j], or when None the next of `doc`'s; None when `old` cannot be used."""
    from feedsvc.publish.writers._patch import patch

    return patch(format_name, doc, old, old_count, taken)


def render_index_page(
    main: FeedDoc, files: Sequence[FeedFile], archives: Sequence[ArchiveList] = ()
) -> bytes:
    """out/index.html: every feed listed, its archives, and the main feed's latest items."""
    from feedsvc.publish.writers._index_page import render

    return render(main, files, archives)
