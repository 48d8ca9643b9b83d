"""Feed documents: what one feed file says, independent of its format.

The writers turn these into RSS, Atom and the rest; they never see an item, so they can never
see a body the document did not put there. A public document is built by `public_entry`, which
reads a members-only item without touching its body.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

from feedsvc import html
from feedsvc.models import FeedSettings, Lead, Person, Photo, Teaser

# An empty feed still needs an `updated`. The clock would change its bytes on every build, and
# validators call anything before 1990 implausible, so it is a fixed moment after that.
EMPTY_FEED_UPDATED = datetime(2000, 1, 1, tzinfo=UTC)

MEMBERS_TERM = "membres"
MEMBERS_LABEL = "Réservé aux membres"
PUBLIC_TERM = "public"


@dataclass(frozen=True, slots=True)
class Category:
    term: str
    scheme: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class EntryDoc:
    id: str
    title: str
    url: str
    published: datetime
    updated: datetime
    summary: str
    categories: tuple[Category, ...]
    photo: Photo | None
    authors: tuple[Person, ...]
    comments: str | None
    members_only: bool
    content_html: str | None  # None: readers get the summary and follow the link

    @property
    def access_right(self) -> str:
        """The dcterms:accessRights value, and the marker's term."""
        return MEMBERS_TERM if self.members_only else PUBLIC_TERM


@dataclass(frozen=True, slots=True)
class FeedDoc:
    settings: FeedSettings
    title: str
    subtitle: str
    path: str  # the folder below out/ its files land in: "", "members/", "categories/asie/"
    entries: tuple[EntryDoc, ...]
    kind: str = "main"  # main, category or members

    @property
    def updated(self) -> datetime:
        return max((entry.updated for entry in self.entries), default=EMPTY_FEED_UPDATED)

    def url(self, name: str) -> str:
        """The public address of one of this document's files, e.g. url('atom.xml')."""
        return feed_url(self.settings, self.path, name)


def feed_url(settings: FeedSettings, folder: str, name: str) -> str:
    """Where a file written at out/<folder><name> is served."""
    return urljoin(settings.public_url, folder + name)


def category_scheme(settings: FeedSettings) -> str:
    return urljoin(settings.site_url, "categories/")


def access_scheme(settings: FeedSettings) -> str:
    """The marker's scheme/domain: a URL under the site, so it cannot clash with anyone's."""
    return urljoin(settings.site_url, "acces")


def _categories(item: Lead | Teaser, settings: FeedSettings) -> tuple[Category, ...]:
    scheme = category_scheme(settings)
    categories = [Category(term, scheme) for term in item.categories]
    if item.members_only:
        categories.append(Category(MEMBERS_TERM, access_scheme(settings), MEMBERS_LABEL))
    return tuple(categories)


def _entry(item: Lead | Teaser, settings: FeedSettings, content_html: str | None) -> EntryDoc:
    return EntryDoc(
        id=item.id,
        title=item.title,
        url=item.url,
        published=item.published,
        updated=item.last_modified,
        summary=item.summary,
        categories=_categories(item, settings),
        photo=item.photo,
        authors=item.authors if isinstance(item, Lead) else (),
        comments=item.comments if isinstance(item, Lead) else None,
        members_only=item.members_only,
        content_html=content_html,
    )


def public_entry(item: Lead | Teaser, settings: FeedSettings) -> EntryDoc:
    """The entry anyone may read: a members-only item gives title, summary, photo and link."""
    if isinstance(item, Lead) and not item.members_only:
        return _entry(item, settings, html.render(item.body, item.url))
    return _entry(item, settings, None)


def members_entry(item: Lead | Teaser, settings: FeedSettings) -> EntryDoc:
    """The entry for members: every lead with its full body."""
    if isinstance(item, Lead):
        return _entry(item, settings, html.render(item.body, item.url))
    return _entry(item, settings, None)
