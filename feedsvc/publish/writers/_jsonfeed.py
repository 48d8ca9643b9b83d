"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) bytes from a feed document."""

from __future__ import annotations

from typing import Any

import orjson

from feedsvc.model import Person
from feedsvc.publish._layout import FORMATS, INDEX_FILE, public_address
from feedsvc.publish.writers._document import EntryDoc, FeedDoc
from feedsvc.publish.writers._marker import Marker

__all__ = ["render"]

JSON_FILE = FORMATS["json"].name
VERSION = "https://jsonfeed.org/version/1.1"
EXTENSION = "_feedsvc"


def _author(person: Person) -> dict[str, str]:
    author = {"name": person.name}
    if person.url:
        author["url"] = person.url
    return author


def _item(entry: EntryDoc, marker: Marker, about: str) -> dict[str, Any]:
    title = marker.title(entry.title, entry.access)
    item: dict[str, Any] = {"id": entry.id, "url": entry.url, "title": title}
    # Every item needs content_html or content_text; a teaser's text is its summary.
    if entry.content_html is not None:
        item["content_html"] = entry.content_html
    else:
        item["content_text"] = entry.summary
    item["summary"] = entry.summary
    if entry.photo is not None:
        item["image"] = entry.photo.url
    item["date_published"] = entry.published.isoformat()
    item["date_modified"] = entry.updated.isoformat()
    item["tags"] = [category.term for category in entry.categories]
    if marker.marks(entry.access):
        item["tags"].append(marker.term)
    if entry.authors:
        item["authors"] = [_author(person) for person in entry.authors]
    extension: dict[str, Any] = {"about": about, "access": entry.access}
    if entry.photo is not None:
        extension["image_caption"] = entry.photo.caption
        if entry.photo.credit:
            extension["image_credit"] = entry.photo.credit
    item[EXTENSION] = extension
    return item


def render(doc: FeedDoc) -> bytes:
    settings = doc.settings
    marker = doc.marker
    about = public_address(settings, f"{INDEX_FILE}#{marker.anchor()}")
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": doc.title,
        "home_page_url": settings.site_url,
        # Of an archive too: JSON Feed's feed_url names the feed, whose pages these are.
        "feed_url": doc.feed_url(JSON_FILE),
        "description": doc.subtitle,
        "language": settings.language,
        "authors": [_author(settings.publisher)],
    }
    links = dict(doc.links(JSON_FILE))
    if "prev-archive" in links:
        # JSON Feed's paging: the next page holds older items, as prev-archive does.
        feed["next_url"] = links["prev-archive"]
    if settings.logo:
        feed["icon"] = settings.logo
    if settings.icon:
        feed["favicon"] = settings.icon
    if doc.hubs:
        feed["hubs"] = [{"type": "WebSub", "url": hub} for hub in doc.hubs]
    feed["items"] = [_item(entry, marker, about) for entry in doc.entries]
    # Key order is fixed by construction, so the same document gives the same bytes.
    return encoded(feed)


def encoded(document: dict[str, Any]) -> bytes:
    """The bytes of json.dumps(document, ensure_ascii=False, indent=2) and a newline, in a
    thirtieth of the time: with an indent, the json module falls back to its pure-Python
    encoder."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
