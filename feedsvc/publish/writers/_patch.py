"""An archive's bytes made from its previous bytes: unchanged entries kept, the rest rendered.

The document is rendered by the writers themselves, holding only the entries that must be
made (the new and changed ones, and the one that gives the document its `updated`), so every
document-level byte (links, dates) is the writer's own; the other entries' bytes are then
copied from the previous file at their places. Parsing and serialising a 1.5 MB week again
would cost more than the rest of an edit; the bytes can be cut instead because the writers'
output is regular: lxml escapes every '<' in text and attributes, so `<item>` and `<entry>`
occur only as tags (never nested), and orjson's two-space indent puts an item's own braces,
alone of all, at four spaces. An entry's bytes depend on nothing around it but the namespace
prefixes declared on the root, which are fixed names: the root declares, in the writer's
order, each namespace that the document or a copied entry uses. A file that does not cut into
the number of entries it was recorded with gives None: the caller renders in full.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from feedsvc.model import FormatName
from feedsvc.publish.writers._document import FeedDoc
from feedsvc.publish.writers._feedgen_ext import NAMESPACES
from feedsvc.publish.writers.namespaces import ATOM, CONTENT

__all__ = ["patch"]

# The order _xml.py declares them on the root (its top_nsmap); the byte-for-byte test holds
# the two together.
_RSS_NAMESPACES = {**NAMESPACES, "atom": ATOM, "content": CONTENT}
_ATOM_NAMESPACES = dict(NAMESPACES)
_ROOT = re.compile(rb"^(<\?xml[^>]*\?>\n<(?:rss|feed) )((?:xmlns:\w+=\"[^\"]*\" )*)")
_TAGS = {"rss": (b"<item>", b"</item>"), "atom": (b"<entry>", b"</entry>")}
# orjson, indent 2: the feed's items are its last member, each item's braces at four spaces.
_ITEMS = b'\n  "items": [\n    {\n'
_BETWEEN = b"\n    },\n    {\n"
_END = b"\n    }\n  ]\n}\n"


def _merged(made: list[bytes], kept: list[bytes], taken: Sequence[int | None]) -> list[bytes]:
    """The entries in order: taken[j] is the position in `kept` of entry j, or None when it
    is the next of `made`."""
    fresh = iter(made)
    return [next(fresh) if position is None else kept[position] for position in taken]


def _xml_entries(data: bytes, start: bytes, end: bytes) -> tuple[int, int, list[bytes]]:
    """Where the entries begin and end in `data`, and each one's bytes."""
    found = []
    at = first = data.find(start)
    last = at
    while at != -1:
        stop = data.find(end, at)
        if stop == -1:
            return -1, -1, []
        last = stop + len(end)
        found.append(data[at:last])
        at = data.find(start, last)
        if at != -1 and at != last:  # entries follow one another, nothing between
            return -1, -1, []
    return first, last, found


def _xml_patch(
    format_name: str, made_doc: bytes, old: bytes, old_count: int, taken: Sequence[int | None]
) -> bytes | None:
    start, end = _TAGS[format_name]
    _, _, kept = _xml_entries(old, start, end)
    first, last, made = _xml_entries(made_doc, start, end)
    if len(kept) != old_count or first == -1 or len(made) != taken.count(None):
        return None
    entries = b"".join(_merged(made, kept, taken))
    root = _ROOT.match(made_doc)
    if root is None:
        return None
    declared = set(re.findall(rb'xmlns:(\w+)="', root.group(2)))
    namespaces = _RSS_NAMESPACES if format_name == "rss" else _ATOM_NAMESPACES
    run = b"".join(
        b'xmlns:%s="%s" ' % (prefix.encode(), uri.encode())
        for prefix, uri in namespaces.items()
        if prefix.encode() in declared or b"<%s:" % prefix.encode() in entries
    )
    head = root.group(1) + run + made_doc[root.end() : first]
    return head + entries + made_doc[last:]


def _json_items(data: bytes) -> tuple[int, list[bytes]]:
    """Where the items begin in `data`, and each item's bytes between its braces."""
    start = data.find(_ITEMS)
    if start == -1 or not data.endswith(_END):
        return -1, []
    return start, data[start + len(_ITEMS) : -len(_END)].split(_BETWEEN)


def _json_patch(
    made_doc: bytes, old: bytes, old_count: int, taken: Sequence[int | None]
) -> bytes | None:
    _, kept = _json_items(old)
    start, made = _json_items(made_doc)
    if len(kept) != old_count or start == -1 or len(made) != taken.count(None):
        return None
    items = _BETWEEN.join(_merged(made, kept, taken))
    return made_doc[:start] + _ITEMS + items + _END


def patch(
    format_name: FormatName, doc: FeedDoc, old: bytes, old_count: int,
    taken: Sequence[int | None],
) -> bytes | None:  # fmt: skip
    """The bytes of the archive whose entries are `taken` (see _merged) from `old`, which
    held `old_count` entries, and from `doc`, which holds the others in order."""
    from feedsvc.publish.writers import render_feed

    made_doc = render_feed(format_name, doc)
    if format_name == "json":
        return _json_patch(made_doc, old, old_count, taken)
    return _xml_patch(format_name, made_doc, old, old_count, taken)
