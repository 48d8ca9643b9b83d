"""RSS 2.0 and Atom 1.0 bytes from a feed document, written with feedgen and lxml.

feedgen 1.0.0 traps, and what this module does about each:
- `add_entry` prepends (reversing the order, in quadratic time), and tries to register every
  extension of the feed on the entry, an ImportError raised and caught per entry already
  registered: entries are appended to the feed's list, each registered once when made.
- feed and entry `updated` default to now: both are always set from the items.
- the RSS channel `<link>` is the last link added: the self link goes first, the site last.
- `description()` after `content()` replaces the Atom content: only `summary()` is called.
- `type="CDATA"` is written into Atom as a type: content is plain escaped HTML.
- entry links lose rel/type, RSS categories are written as labels, and its media extension
  wraps `media:content` in `media:group`: see _feedgen_ext.py.
- a control character aborts the whole feed: the models refuse them, so none gets here.

RSS leaves open which elements hold HTML; readers and the W3C validator take an item's
`<description>` for HTML, and titles, categories and the channel's description for text. So
the summary, plain text, is HTML-escaped for `<description>` only: a bare '&' or '<' there is
broken HTML (W3C NotHtml), and an escaped one anywhere else would be shown as '&amp;'.
"""

from __future__ import annotations

import html
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml import etree

from feedsvc import __version__
from feedsvc.publish._layout import FORMATS, INDEX_FILE, public_address
from feedsvc.publish.writers._document import EntryDoc, FeedDoc
from feedsvc.publish.writers._feedgen_ext import (
    EXTENSION,
    FeedsvcEntryExtension,
    FeedsvcExtension,
    used_prefixes,
)
from feedsvc.publish.writers._marker import Marker

__all__ = ["atom", "rss"]

RSS_FILE = FORMATS["rss"].name
ATOM_FILE = FORMATS["atom"].name
RSS_TYPE = FORMATS["rss"].media_type
ATOM_TYPE = FORMATS["atom"].media_type
RSS_DOCS = "https://www.rssboard.org/rss-specification"


class _Entry(FeedEntry):  # type: ignore[misc]
    """A feedgen entry whose elements are made once, for every feed of the build that holds
    it (the main feed, its categories'). An element lives in one tree, and appending it to
    another moves it there: each feed is bytes before the next one is built, so the next
    takes the elements over from the last, and no feed needs a copy."""

    _rss: Any = None
    _atom: Any = None

    def rss_entry(self, extensions: bool = True) -> Any:
        if self._rss is None:
            self._rss = super().rss_entry(extensions)
            # The extension reads its EntryDoc only while the elements are made. Kept, it
            # would close a cycle (the EntryDoc holds this entry in `made`) that a build, run
            # without the cycle collector, would keep until it ends: every week's archive
            # entries, with the last tree each was in.
            getattr(self, EXTENSION).doc = None
        return self._rss

    def atom_entry(self, extensions: bool = True) -> Any:
        if self._atom is None:
            self._atom = super().atom_entry(extensions)
            getattr(self, EXTENSION).doc = None  # as above
        return self._atom


def _generator(doc: FeedDoc, self_name: str, self_type: str, *, rss: bool) -> FeedGenerator:
    fg = FeedGenerator()
    fg.register_extension(EXTENSION, FeedsvcExtension, FeedsvcEntryExtension)
    _channel(fg, doc, self_name, self_type, rss=rss)
    marker = doc.marker
    # What an entry's elements depend on, besides the entry itself. A marker's repr names
    # each of its fields; its hash is Python code, which a tuple holding it would run twice
    # per entry.
    key = (repr(marker), rss)
    entries: list[_Entry] = fg._FeedGenerator__feed_entries  # feedgen's own list, see above
    for entry in doc.entries:
        made = entry.made.get(key)
        if made is None:
            made = entry.made[key] = _entry(entry, marker, rss=rss)
        entries.append(made)
    return fg


def _channel(fg: FeedGenerator, doc: FeedDoc, self_name: str, self_type: str, *, rss: bool) -> None:
    settings = doc.settings
    # An archive is a document of its live feed (RFC 5005), so it carries that feed's id.
    fg.id(doc.feed_url(self_name))
    fg.title(doc.title)
    fg.subtitle(doc.subtitle)
    fg.link(href=doc.url(self_name), rel="self", type=self_type)
    index_page = public_address(settings, INDEX_FILE)
    fg.link(href=index_page, rel="related", type="text/html")
    extension: FeedsvcExtension = getattr(fg, EXTENSION)
    extension.related = index_page
    extension.archive = doc.archive
    extension.used = used_prefixes(doc.entries, rss=rss, archive=doc.archive)
    links = tuple(
        (rel, href, None if rel == "hub" else self_type) for rel, href in doc.links(self_name)
    )
    if rss:
        extension.links = links  # feedgen's RSS writes no link but self and alternate
    else:
        for rel, href, media_type in links:
            fg.link(href=href, rel=rel, **({"type": media_type} if media_type else {}))
    fg.link(href=settings.site_url, rel="alternate", type="text/html")  # last: RSS <link>
    fg.language(settings.language)
    fg.updated(doc.updated)
    fg.generator("feedsvc", version=__version__)
    fg.docs(RSS_DOCS)
    publisher = settings.publisher
    author: dict[str, str] = {"name": publisher.name}
    if publisher.email:
        author["email"] = publisher.email
    if publisher.url:
        author["uri"] = publisher.url
    fg.author(author)
    if publisher.email:
        fg.managingEditor(f"{publisher.email} ({publisher.name})")
    if settings.rights:
        fg.rights(settings.rights)
    if settings.icon:
        fg.icon(settings.icon)
    if settings.logo:
        fg.logo(settings.logo)


def _entry(entry: EntryDoc, marker: Marker, *, rss: bool) -> _Entry:
    fe = _Entry()
    fe.register_extension(EXTENSION, FeedsvcEntryExtension)
    fe.id(entry.id)
    fe.guid(entry.id, permalink=entry.id == entry.url)
    fe.title(marker.title(entry.title, entry.access))
    fe.link(href=entry.url, rel="alternate", type="text/html")
    fe.published(entry.published)
    fe.updated(entry.updated)
    # All in one call: feedgen rebuilds its RSS category list on every call.
    # The marker is not among them: the extension writes it.
    fe.category([
        {"term": category.term, "scheme": category.scheme} for category in entry.categories
    ])  # fmt: skip
    for person in entry.authors:
        fe.author({"name": person.name, **({"uri": person.url} if person.url else {})})
    if entry.comments:
        fe.comments(entry.comments)
    if entry.content_html is not None:
        fe.content(entry.content_html, type="html")
    # One call sets both RSS <description> (HTML) and Atom <summary type="text">.
    fe.summary(html.escape(entry.summary, quote=False) if rss else entry.summary, type="text")
    entry_extension: FeedsvcEntryExtension = getattr(fe, EXTENSION)
    entry_extension.doc = entry
    entry_extension.marker = marker
    return fe


def _serialise(root: Any) -> bytes:
    # Every namespace on the root, once, and none that the document does not use: the
    # extension pruned them (see _feedgen_ext.py).
    return bytes(etree.tostring(root, encoding="UTF-8", xml_declaration=True)) + b"\n"


def rss(doc: FeedDoc) -> bytes:
    fg = _generator(doc, RSS_FILE, RSS_TYPE, rss=True)
    # The private builder hands over the element tree, so no serialise-and-reparse is needed
    # to tidy namespaces; feedgen is pinned to the release this was written against.
    root, _ = fg._create_rss()
    return _serialise(root)


def atom(doc: FeedDoc) -> bytes:
    fg = _generator(doc, ATOM_FILE, ATOM_TYPE, rss=False)
    root, _ = fg._create_atom()
    return _serialise(root)
