"""feedgen extensions for what feedgen 1.0.0 does not write, or writes wrongly.

Each entry gets the `EntryDoc` it was made from and adds, through feedgen's own extension hook:
the photo (Media RSS, without the `media:group` feedgen's media extension wraps it in), the
byline as `dc:creator` in RSS (whose `<author>` demands an e-mail address), the access marker
(a category and `dcterms:accessRights`), and the Atom link attributes feedgen drops.
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

from feedsvc.documents import MEMBERS_LABEL, MEMBERS_TERM, EntryDoc

ATOM = "http://www.w3.org/2005/Atom"
MEDIA = "http://search.yahoo.com/mrss/"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
CONTENT = "http://purl.org/rss/1.0/modules/content/"

NAMESPACES = {"media": MEDIA, "dc": DC, "dcterms": DCTERMS}
EXTENSION = "feedsvc"

_Element = Any  # lxml elements as feedgen hands them over


class FeedsvcExtension(BaseExtension):  # type: ignore[misc]
    related: str | None = None  # the front door page; feedgen's RSS writes only the self link

    def extend_ns(self) -> dict[str, str]:
        return dict(NAMESPACES)

    def extend_rss(self, rss: _Element) -> _Element:
        if self.related:
            channel = rss.find("channel")
            etree.SubElement(
                channel, f"{{{ATOM}}}link", href=self.related, rel="related", type="text/html"
            )
        return rss


class FeedsvcEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    doc: EntryDoc | None = None
    access_scheme: str = ""

    def _photo(self, entry: _Element) -> None:
        assert self.doc is not None
        photo = self.doc.photo
        if photo is None:
            return
        content = etree.SubElement(entry, f"{{{MEDIA}}}content", url=photo.url, medium="image")
        if photo.type:
            content.set("type", photo.type)
        description = etree.SubElement(content, f"{{{MEDIA}}}description", type="plain")
        description.text = photo.caption
        if photo.credit:
            etree.SubElement(content, f"{{{MEDIA}}}credit").text = photo.credit
        etree.SubElement(entry, f"{{{MEDIA}}}thumbnail", url=photo.url)

    def _access(self, entry: _Element) -> None:
        assert self.doc is not None
        etree.SubElement(entry, f"{{{DCTERMS}}}accessRights").text = self.doc.access_right

    def extend_rss(self, item: _Element) -> _Element:
        assert self.doc is not None
        if self.doc.members_only:
            # Written here, not through feedgen: feedgen puts a category's label, not its
            # term, in RSS, and the term is what filters match.
            marker = etree.SubElement(item, "category", domain=self.access_scheme)
            marker.text = MEMBERS_TERM
        for author in self.doc.authors:
            etree.SubElement(item, f"{{{DC}}}creator").text = author.name
        self._photo(item)
        self._access(item)
        return item

    def extend_atom(self, entry: _Element) -> _Element:
        assert self.doc is not None
        # feedgen builds Atom elements without a namespace and declares the Atom namespace as
        # the root's default, so elements added here are un-namespaced too.
        # feedgen 1.0.0 writes entry links with href only (it reads rel/type back from the new
        # element instead of the link data); the only link it is given is the article.
        for link in entry.iterfind("link"):
            link.set("rel", "alternate")
            link.set("type", "text/html")
        if self.doc.comments:
            etree.SubElement(entry, "link", href=self.doc.comments, rel="replies", type="text/html")
        if self.doc.members_only:
            etree.SubElement(
                entry,
                "category",
                term=MEMBERS_TERM,
                scheme=self.access_scheme,
                label=MEMBERS_LABEL,
            )
        self._photo(entry)
        self._access(entry)
        return entry
