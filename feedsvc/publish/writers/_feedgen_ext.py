"""feedgen extensions for what feedgen 1.0.0 does not write, or writes wrongly.

Each entry gets the `EntryDoc` it was made from and adds, through feedgen's own extension hook:
the photo (Media RSS, without the `media:group` feedgen's media extension wraps it in), the
byline as `dc:creator` in RSS (whose `<author>` demands an e-mail address), the access marker
(a category and `dcterms:accessRights`, as _marker.py decides them), and the Atom link
attributes feedgen drops.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

from feedsvc.model import Photo
from feedsvc.publish.writers._document import EntryDoc
from feedsvc.publish.writers._marker import Marker
from feedsvc.publish.writers.namespaces import ATOM, DC, DCTERMS, FH, MEDIA

__all__ = ["EXTENSION", "NAMESPACES", "FeedsvcEntryExtension", "FeedsvcExtension", "used_prefixes"]

# Declared on every root that feedgen builds (RSS adds atom and content after them), and
# pruned there, before the entries come, to those the document uses.
NAMESPACES = {"media": MEDIA, "dc": DC, "dcterms": DCTERMS, "fh": FH}
EXTENSION = "feedsvc"
_MEDIA_CONTENT = f"{{{MEDIA}}}content"
_MEDIA_DESCRIPTION = f"{{{MEDIA}}}description"
_MEDIA_CREDIT = f"{{{MEDIA}}}credit"
_MEDIA_THUMBNAIL = f"{{{MEDIA}}}thumbnail"
_DC_CREATOR = f"{{{DC}}}creator"
_ACCESS_RIGHTS = f"{{{DCTERMS}}}accessRights"

_Element = Any  # lxml elements as feedgen hands them over


def used_prefixes(entries: Sequence[EntryDoc], *, rss: bool, archive: bool) -> tuple[str, ...]:
    """The prefixes of the namespaces a document's elements use, known before they are made:
    the elements of the extensions below, and RSS's atom:link and content:encoded."""
    used = ["dcterms"] if entries else []  # every entry's dcterms:accessRights
    if any(entry.photo for entry in entries):
        used.append("media")
    if archive:
        used.append("fh")
    if rss:
        used.append("atom")  # the self link, always
        if any(entry.authors for entry in entries):
            used.append("dc")
        if any(entry.content_html is not None for entry in entries):
            used.append("content")
    return tuple(used)


def _prune(root: _Element, used: tuple[str, ...]) -> None:
    # The root holds only its own head yet: pruning here is a pass over a few elements,
    # where one after the entries came would walk every one of them. Entries appended later
    # take the root's declarations, so none of them declares its own.
    etree.cleanup_namespaces(root, keep_ns_prefixes=used)


class FeedsvcExtension(BaseExtension):  # type: ignore[misc]
    related: str | None = None  # the front door page; feedgen's RSS writes only the self link
    # Hub and archive links (rel, address), which feedgen's RSS does not write either.
    links: tuple[tuple[str, str, str | None], ...] = ()  # rel, href, type
    archive: bool = False  # RFC 5005's fh:archive, which feedgen knows nothing of
    used: tuple[str, ...] = ()  # the namespace prefixes the document uses: used_prefixes

    def extend_ns(self) -> dict[str, str]:
        return dict(NAMESPACES)

    def extend_rss(self, rss: _Element) -> _Element:
        _prune(rss, self.used)
        channel = rss.find("channel")
        if self.related:
            etree.SubElement(
                channel, f"{{{ATOM}}}link", href=self.related, rel="related", type="text/html"
            )
        for rel, href, media_type in self.links:
            link = etree.SubElement(channel, f"{{{ATOM}}}link", href=href, rel=rel)
            if media_type:
                link.set("type", media_type)
        if self.archive:
            # Before the first item: RFC 5005 Appendix B puts it in the channel.
            first = channel.find("item")
            mark = etree.Element(f"{{{FH}}}archive")
            if first is None:
                channel.append(mark)
            else:
                first.addprevious(mark)
        return rss

    def extend_atom(self, feed: _Element) -> _Element:
        _prune(feed, self.used)
        if self.archive:
            first = feed.find("entry")
            mark = etree.Element(f"{{{FH}}}archive")
            if first is None:
                feed.append(mark)
            else:
                first.addprevious(mark)
        return feed


def _photo(entry: _Element, photo: Photo) -> None:
    content = etree.SubElement(entry, _MEDIA_CONTENT, url=photo.url, medium="image")
    if photo.type:
        content.set("type", photo.type)
    description = etree.SubElement(content, _MEDIA_DESCRIPTION, type="plain")
    description.text = photo.caption
    if photo.credit:
        etree.SubElement(content, _MEDIA_CREDIT).text = photo.credit
    etree.SubElement(entry, _MEDIA_THUMBNAIL, url=photo.url)


# These run once per entry and format: locals and constants, each photo helper called only
# for an entry with a photo, keep them to the elements' own cost (see benchmarks/feeds.py).
class FeedsvcEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    doc: EntryDoc | None = None
    marker: Marker | None = None

    def extend_rss(self, item: _Element) -> _Element:
        doc, marker = self.doc, self.marker
        assert doc is not None and marker is not None
        if marker.marks(doc.access):
            # Written here, not through feedgen: feedgen puts a category's label, not its
            # term, in RSS, and the term is what filters match.
            etree.SubElement(item, "category", domain=marker.scheme).text = marker.term
        for author in doc.authors:
            etree.SubElement(item, _DC_CREATOR).text = author.name
        if doc.photo is not None:
            _photo(item, doc.photo)
        etree.SubElement(item, _ACCESS_RIGHTS).text = marker.access_rights(doc.access)
        return item

    def extend_atom(self, entry: _Element) -> _Element:
        doc, marker = self.doc, self.marker
        assert doc is not None and marker is not None
        # feedgen builds Atom elements without a namespace and declares the Atom namespace as
        # the root's default, so elements added here are un-namespaced too.
        # feedgen 1.0.0 writes entry links with href only (it reads rel/type back from the new
        # element instead of the link data); the only link it is given is the article, after
        # id, title, updated, an author per byline and the content, if any (see _xml._entry).
        # Reached by position: a search of the children cost as much as the two attributes.
        link = entry[3 + len(doc.authors) + (doc.content_html is not None)]
        link.set("rel", "alternate")
        link.set("type", "text/html")
        if doc.comments:
            etree.SubElement(entry, "link", href=doc.comments, rel="replies", type="text/html")
        if marker.marks(doc.access):
            etree.SubElement(
                entry, "category", term=marker.term, scheme=marker.scheme, label=marker.label
            )
        if doc.photo is not None:
            _photo(entry, doc.photo)
        etree.SubElement(entry, _ACCESS_RIGHTS).text = marker.access_rights(doc.access)
        return entry
