"""An archive's bytes made from its previous bytes: unchanged entries kept, the rest rendered.

The document is rendered by the same writer code as a full render, holding only the entries
that must be made (the new and changed ones, and the one that gives the document its
`updated`), so every document-level byte (links, dates, namespaces) is the writer's own; the
other entries are then moved in from the previous file, parsed, at their places, and the whole
serialised as a full render serialises it. A file that does not parse, or does not hold the
number of entries it was recorded with, gives None: the caller renders in full.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from lxml import etree

from feedsvc.model import FormatName
from feedsvc.publish.writers import _jsonfeed, _xml
from feedsvc.publish.writers._document import FeedDoc
from feedsvc.publish.writers._feedgen_ext import NAMESPACES
from feedsvc.publish.writers.namespaces import ATOM, CONTENT

__all__ = ["patch"]

# As _xml.rss and _xml.atom declare them; a difference would show in the byte-for-byte test.
_RSS_NAMESPACES = {**NAMESPACES, "atom": ATOM, "content": CONTENT}
# Round-trips feedgen's output: nothing stripped, no entity or network lookup.
_PARSER = etree.XMLParser(
    remove_blank_text=False, strip_cdata=False, resolve_entities=False, no_network=True,
    huge_tree=True,
)  # fmt: skip


def _merged(made: list[Any], kept: list[Any], taken: Sequence[int | None]) -> list[Any] | None:
    """The entries in order: taken[j] is the position in `kept` of entry j, or None when it
    is the next of `made`."""
    if sum(1 for position in taken if position is None) != len(made):
        return None
    fresh = iter(made)
    return [next(fresh) if position is None else kept[position] for position in taken]


def _xml_patch(
    doc: FeedDoc, old: bytes, old_count: int, taken: Sequence[int | None], rss: bool
) -> bytes | None:
    try:
        old_root = etree.fromstring(old, _PARSER)
    except etree.XMLSyntaxError:
        return None
    if rss:
        channel = old_root.find("channel")
        kept = [] if channel is None else channel.findall("item")
        fg = _xml._generator(doc, _xml.RSS_FILE, _xml.RSS_TYPE, rss=True)
        root, _ = fg._create_rss()
        parent = root.find("channel")
        made = parent.findall("item")
    else:
        kept = old_root.findall(f"{{{ATOM}}}entry")
        # feedgen makes Atom elements without a namespace, under a root whose default
        # namespace is Atom's (see _feedgen_ext.py); parsed ones are in it, and moved as they
        # are they would be written with a prefix of their own.
        for entry in kept:
            for element in entry.iter(f"{{{ATOM}}}*"):
                element.tag = etree.QName(element).localname
        fg = _xml._generator(doc, _xml.ATOM_FILE, _xml.ATOM_TYPE, rss=False)
        root, _ = fg._create_atom()
        parent = root
        made = root.findall("entry")
    if len(kept) != old_count or any(element.tail for element in kept):
        return None
    entries = _merged(made, kept, taken)
    if entries is None or not made:
        return None
    start = parent.index(made[0])
    for element in made:
        parent.remove(element)
    parent[start:start] = entries
    return _xml._serialise(root, _RSS_NAMESPACES if rss else dict(NAMESPACES))


def _json_patch(
    doc: FeedDoc, old: bytes, old_count: int, taken: Sequence[int | None]
) -> bytes | None:
    try:
        previous = orjson.loads(old)
    except orjson.JSONDecodeError:
        return None
    kept = previous.get("items") if isinstance(previous, dict) else None
    if not isinstance(kept, list) or len(kept) != old_count:
        return None
    feed = orjson.loads(_jsonfeed.render(doc))
    items = _merged(feed["items"], kept, taken)
    if items is None:
        return None
    feed["items"] = items
    return _jsonfeed.encoded(feed)


def patch(
    format_name: FormatName, doc: FeedDoc, old: bytes, old_count: int,
    taken: Sequence[int | None],
) -> bytes | None:  # fmt: skip
    """The bytes of the archive whose entries are `taken` (see _merged) from `old`, which
    held `old_count` entries, and from `doc`, which holds the others in order."""
    if format_name == "json":
        return _json_patch(doc, old, old_count, taken)
    return _xml_patch(doc, old, old_count, taken, rss=format_name == "rss")
