"""Feed documents: what one feed file says, independent of its format.

The writers turn these into RSS, Atom and the rest; they never see an item, so they can never
see a body the document did not put there. `EntryDoc.from_item` is the one place an item
becomes an entry, and the only one that decides whether its body is published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from feedsvc.model import Access, FeedSettings, Lead, Person, Photo, Teaser, to_html
from feedsvc.publish._layout import FeedKind, public_address
from feedsvc.publish.writers._marker import Marker

__all__ = ["ArchiveList", "Category", "EntryDoc", "FeedDoc", "FeedFile", "shows_whole"]

# An empty feed still needs an `updated`. The clock would change its bytes on every build, and
# validators call anything before 1990 implausible, so it is a fixed moment after that.
EMPTY_FEED_UPDATED = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Category:
    term: str
    scheme: str


def shows_whole(item: Lead | Teaser, members: bool) -> bool:
    """Whether a feed shows all of an item: the members' feed does, a public one only of a
    public item. The entry depends on nothing else, so a public item has one entry."""
    return members or item.access == "public"


@dataclass(frozen=True, slots=True)
class EntryDoc:
    id: str
    title: str
    url: str
    published: datetime
    updated: datetime
    summary: str
    categories: tuple[Category, ...]  # the editor's; the marker is the writers' to add
    photo: Photo | None
    authors: tuple[Person, ...]
    comments: str | None
    access: Access
    content_html: str | None  # None: readers get the summary and follow the link
    # What the writers made of this entry, for the other feeds of the build that hold it:
    # written once, copied into each (see _xml.py). Not part of what the entry is.
    made: dict[object, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_item(cls, item: Lead | Teaser, settings: FeedSettings, *, members: bool) -> EntryDoc:
        """The entry for a public feed, or for the members' feed when `members`.

        A public feed gets the text of public leads only. Of a members-only item it gets what
        the README promises editors and no more: headline, summary, photo and link. Its body
        is never read, and its byline and comments link are left out too: the comments are on
        the members' page, and an editor who marks an item for members relies on that list.
        Members get everything.
        """
        lead = item if isinstance(item, Lead) and shows_whole(item, members) else None
        scheme = urljoin(settings.site_url, "categories/")
        return cls(
            id=item.id,
            title=item.title,
            url=item.url,
            published=item.published,
            updated=item.last_modified,
            summary=item.summary,
            categories=tuple(Category(term, scheme) for term in item.categories),
            photo=item.photo,
            authors=lead.authors if lead else (),
            comments=lead.comments if lead else None,
            access=item.access,
            content_html=to_html(lead.body, lead.url) if lead else None,
        )


@dataclass(frozen=True, slots=True)
class FeedDoc:
    settings: FeedSettings
    title: str
    subtitle: str
    folder: str  # below out/, from the layout: "", "members/", "categories/asie/"
    entries: tuple[EntryDoc, ...]
    kind: FeedKind = "main"
    # WebSub hubs this document announces: the public live feeds only (see the build).
    hubs: tuple[str, ...] = ()
    # RFC 5005: set on an archive document (one week of a feed, every item of it).
    archive: bool = False
    # Address folders below public_url, e.g. "archive/2024-05/": each format links to its
    # own file there.
    prev_archive: str | None = None
    next_archive: str | None = None
    current: str | None = None  # of an archive: its live feed's folder

    @property
    def updated(self) -> datetime:
        return max((entry.updated for entry in self.entries), default=EMPTY_FEED_UPDATED)

    @property
    def marker(self) -> Marker:
        return Marker.for_feed(self.settings, members=self.kind == "members")

    def url(self, name: str) -> str:
        """The public address of one of this document's files, e.g. url('atom.xml')."""
        return public_address(self.settings, self.folder + name)

    def feed_url(self, name: str) -> str:
        """The address of the logical feed, the live one, this document belongs to."""
        folder = self.folder if self.current is None else self.current
        return public_address(self.settings, folder + name)

    def links(self, name: str) -> list[tuple[str, str]]:
        """(rel, address) of the links to hubs and archives, for the file named `name`."""
        found = [("hub", hub) for hub in self.hubs]
        for rel, folder in (
            ("current", self.current),
            ("prev-archive", self.prev_archive),
            ("next-archive", self.next_archive),
        ):
            if folder is not None:
                found.append((rel, public_address(self.settings, folder + name)))
        return found


@dataclass(frozen=True, slots=True)
class FeedFile:
    """One feed file as the page lists it: what its plan says, not its entries, so listing a
    feed never reads the items in it."""

    folder: str  # below out/: "", "members/", "categories/asie/"
    kind: FeedKind
    title: str
    items: int
    name: str  # file name, e.g. rss.xml
    label: str  # RSS 2.0, Atom 1.0, JSON Feed 1.1
    media_type: str
    url: str

    @property
    def href(self) -> str:
        return self.folder + self.name  # relative: the page is served at public_url


@dataclass(frozen=True, slots=True)
class ArchiveList:
    """A public feed's archives as the index page lists them."""

    kind: FeedKind
    title: str
    weeks: tuple[tuple[str, str, int], ...]  # (week, address below public_url, items), oldest first
