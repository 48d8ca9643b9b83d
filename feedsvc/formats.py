"""The files a build can write: their names, media types, and which writer makes them.

Writers are imported on first use, so a rebuild that renders nothing never loads feedgen, lxml
or the Markdown renderer.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feedsvc.documents import FeedDoc

INDEX_FILE = "index.html"


@dataclass(frozen=True, slots=True)
class Format:
    name: str  # the file name
    label: str
    media_type: str
    writer: str  # module:function

    def write(self, doc: FeedDoc) -> bytes:
        module, function = self.writer.split(":")
        data: bytes = getattr(importlib.import_module(module), function)(doc)
        return data


FORMATS = {
    "rss": Format("rss.xml", "RSS 2.0", "application/rss+xml", "feedsvc.xmlfeeds:rss"),
    "atom": Format("atom.xml", "Atom 1.0", "application/atom+xml", "feedsvc.xmlfeeds:atom"),
    "json": Format(
        "feed.json", "JSON Feed 1.1", "application/feed+json", "feedsvc.jsonfeed:render"
    ),
}
