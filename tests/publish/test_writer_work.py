"""What writing an XML feed asks of feedgen and lxml: each entry's extension registered once,
and the root's namespaces settled before the entries come, with nothing left to tidy after."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from feedgen.entry import FeedEntry
from feeds import build
from helpers import LEAD, TEASER, WriteItem
from lxml import etree

from feedsvc.model import FeedSettings, Person, Photo
from feedsvc.publish.writers import Category, EntryDoc, FeedDoc, Marker, render_feed

SETTINGS = FeedSettings.model_validate(
    {
        "title": "Actualités",
        "description": "Les dernières nouvelles.",
        "site_url": "https://www.example.com/",
        "public_url": "https://www.example.com/feeds/",
        "publisher": {"name": "La rédaction"},
    }
)
PHOTO = Photo.model_validate(
    {"url": "https://www.example.com/p.jpg", "caption": "Une photo.", "credit": "A. B."}
)


def _doc(*, photo: bool, byline: bool, body: bool, members: bool, archive: bool) -> FeedDoc:
    start = datetime(2029, 6, 1, 8, tzinfo=UTC)
    entries = tuple(
        EntryDoc(
            id=f"https://www.example.com/2029/06/{n}",
            title=f"Titre {n} & <autre>",
            url=f"https://www.example.com/2029/06/{n}",
            published=start - timedelta(hours=n),
            updated=start - timedelta(hours=n),
            summary="Un résumé.",
            categories=(Category("asie", "https://www.example.com/categories/"),),
            # One entry of three has each feature, as in a feed where few items have it.
            photo=PHOTO if photo and n == 1 else None,
            authors=(Person(name="Jeanne Dupont"),) if byline and n == 2 else (),
            comments=None,
            access="members" if members and n == 0 else "public",
            content_html="<p>Le texte.</p>" if body and n == 1 else None,
        )
        for n in range(3)
    )
    return FeedDoc(SETTINGS, "Actualités", "Les dernières.", "", entries, archive=archive)


def _declared(element: Any) -> set[str | None]:
    parent = element.getparent()
    inherited = set(parent.nsmap.items()) if parent is not None else set()
    return {prefix for prefix, uri in element.nsmap.items() if (prefix, uri) not in inherited}


@pytest.mark.parametrize("format_name", ["rss", "atom"])
@pytest.mark.parametrize("features", list(itertools.product([False, True], repeat=5)))
def test_the_root_declares_exactly_the_namespaces_used_and_nothing_is_tidied_after(
    format_name: Any, features: tuple[bool, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The namespaces are settled while the root holds only its head (a pass over every
    element of a 10,000-entry feed cost a tenth of writing it), for every mix of what an
    entry may carry; an empty feed too."""
    photo, byline, body, members, archive = features
    doc = _doc(photo=photo, byline=byline, body=body, members=members, archive=archive)
    empty = FeedDoc(SETTINGS, "Vide", "Rien.", "", (), archive=archive)
    walked: list[int] = []
    cleanup = etree.cleanup_namespaces

    def noting(tree: Any, *args: Any, **kwargs: Any) -> None:
        walked.append(sum(1 for el in tree.iter() if el.tag in ("item", "entry")))
        cleanup(tree, *args, **kwargs)

    monkeypatch.setattr(etree, "cleanup_namespaces", noting)
    for written in (render_feed(format_name, doc), render_feed(format_name, empty)):
        root = etree.fromstring(written)
        used = {el.prefix for el in root.iter() if etree.QName(el).namespace} - {None}
        assert {prefix for prefix in root.nsmap if prefix} == used
        for element in root.iter():
            if element is not root:
                assert not _declared(element), element.tag
        for link in root.iter("{http://www.w3.org/2005/Atom}link"):
            if link.getparent().tag.endswith("entry"):  # feedgen drops rel and type there
                assert link.get("rel") in ("alternate", "replies") and link.get("type"), link
        again = etree.fromstring(written)
        cleanup(again)
        tidied = etree.tostring(again, encoding="UTF-8", xml_declaration=True) + b"\n"
        assert tidied == written
    assert walked and not any(walked)  # no namespace pass ever reached an entry


def test_each_entry_registers_its_extension_once_whatever_the_feeds_holding_it(
    write_item: WriteItem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """feedgen's add_entry registers every extension of the feed on the entry again, for each
    feed, raising and catching an ImportError when it is there already: an entry in the main
    feed and its category's is registered once per format, when made."""
    registered: list[str] = []
    register = FeedEntry.register_extension

    def noting(self: FeedEntry, namespace: str, *args: Any, **kwargs: Any) -> None:
        registered.append(namespace)
        register(self, namespace, *args, **kwargs)

    monkeypatch.setattr(FeedEntry, "register_extension", noting)
    write_item("lead.md", LEAD)
    items = write_item("teaser.md", TEASER).parent
    assert build(items, tmp_path / "out").exit_code == 0
    # Two items, each in the main, category and members' feeds: made once per format and
    # audience, as test_build_work counts them, so 2 x 2 x 2; not once per feed (2 x 2 x 3).
    assert len(registered) == 2 * 2 * 2


def test_a_feed_hashes_its_marker_once_not_per_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry's elements are kept per marker and format; the marker's hash is Python code
    (a dataclass's), which keying each entry's lookup by the marker itself ran twice per
    entry."""
    hashed: list[Marker] = []
    marker_hash = Marker.__hash__

    def noting(self: Marker) -> int:
        hashed.append(self)
        return marker_hash(self)

    monkeypatch.setattr(Marker, "__hash__", noting)
    doc = _doc(photo=True, byline=True, body=True, members=True, archive=False)
    entries = tuple(dataclasses.replace(entry, made={}) for entry in doc.entries * 20)
    many = FeedDoc(SETTINGS, doc.title, doc.subtitle, "", entries)
    for format_name in ("rss", "atom"):
        assert len(feedparser.parse(render_feed(format_name, many)).entries) == 60
    assert len(hashed) <= 2
