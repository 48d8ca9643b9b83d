"""feed-10k: feedsvc's RSS and Atom writers against bare feedgen (and it against lxml)."""

from __future__ import annotations

import dataclasses
import email.utils
import gc
import random
import time
from collections.abc import Callable
from datetime import timedelta

import synth  # found next to this script, which Python puts first on the path
from feedgen.feed import FeedGenerator
from lxml import etree
from phases import Phase

from feedsvc.model import FeedSettings
from feedsvc.publish.writers import Category, EntryDoc, FeedDoc, Marker
from feedsvc.publish.writers import _xml as xmlfeeds
from feedsvc.publish.writers.namespaces import ATOM, DCTERMS

FEED_ENTRIES = 10_000


def _feed_doc() -> FeedDoc:
    rng = random.Random(7)
    writer = synth.Writer(rng)
    settings = FeedSettings.model_validate(
        {
            "title": "Actualités Asie",
            "description": "L'article à la une et les dernières brèves de la rédaction.",
            "site_url": synth.SITE,
            "public_url": synth.SITE + "feeds/",
            "publisher": {"name": "La rédaction", "email": "redaction@example.com"},
            "limit": FEED_ENTRIES,
        }
    )
    scheme = synth.SITE + "categories/"
    entries = []
    for index in range(FEED_ENTRIES):
        published = synth.NOW - timedelta(minutes=7 * index + rng.randrange(7))
        published = published.astimezone(synth.offset(rng.choice(synth.OFFSETS)))
        url = f"{synth.SITE}{published:%Y/%m/%d}/article-{index:06d}"
        terms = rng.sample(synth.CATEGORIES, rng.randint(1, 4))
        entries.append(
            EntryDoc(
                id=url,
                title=writer.title(),
                url=url,
                published=published,
                updated=published,
                summary=writer.prose(300, 600),
                categories=tuple(Category(term, scheme) for term in terms),
                photo=None,
                authors=(),
                comments=None,
                access="public",
                content_html=None,
            )
        )
    return FeedDoc(settings, settings.title, settings.description, "", tuple(entries))


def lxml_rss(doc: FeedDoc) -> bytes:
    """The RSS a hand-written lxml writer would give: channel, then per item the same fields."""
    rss = etree.Element("rss", version="2.0", nsmap={"atom": ATOM, "dcterms": DCTERMS})
    channel = etree.SubElement(rss, "channel")
    sub = etree.SubElement
    sub(channel, "title").text = doc.title
    sub(channel, "link").text = doc.settings.site_url
    sub(channel, "description").text = doc.subtitle
    sub(channel, f"{{{ATOM}}}link", href=doc.url("rss.xml"), rel="self")
    sub(channel, "language").text = doc.settings.language
    sub(channel, "lastBuildDate").text = email.utils.format_datetime(doc.updated)
    for entry in doc.entries:
        item = sub(channel, "item")
        sub(item, "title").text = entry.title
        sub(item, "link").text = entry.url
        sub(item, "guid", isPermaLink="true").text = entry.id
        sub(item, "pubDate").text = email.utils.format_datetime(entry.published)
        sub(item, "description").text = entry.summary
        for category in entry.categories:
            sub(item, "category", domain=category.scheme).text = category.term
        sub(item, f"{{{DCTERMS}}}accessRights").text = Marker.access_rights(entry.access)
    return bytes(etree.tostring(rss, encoding="UTF-8", xml_declaration=True))


def lxml_atom(doc: FeedDoc) -> bytes:
    a = f"{{{ATOM}}}"
    # lxml takes None as the default namespace; its stubs only allow string prefixes.
    namespaces: dict[str | None, str] = {None: ATOM, "dcterms": DCTERMS}
    feed = etree.Element(a + "feed", nsmap=namespaces)  # type: ignore[arg-type]
    sub = etree.SubElement
    sub(feed, a + "id").text = doc.url("atom.xml")
    sub(feed, a + "title").text = doc.title
    sub(feed, a + "subtitle").text = doc.subtitle
    sub(feed, a + "link", href=doc.url("atom.xml"), rel="self")
    sub(feed, a + "link", href=doc.settings.site_url, rel="alternate")
    sub(feed, a + "updated").text = doc.updated.isoformat()
    for entry in doc.entries:
        item = sub(feed, a + "entry")
        sub(item, a + "id").text = entry.id
        sub(item, a + "title").text = entry.title
        sub(item, a + "link", href=entry.url, rel="alternate", type="text/html")
        sub(item, a + "published").text = entry.published.isoformat()
        sub(item, a + "updated").text = entry.updated.isoformat()
        sub(item, a + "summary", type="text").text = entry.summary
        for category in entry.categories:
            sub(item, a + "category", term=category.term, scheme=category.scheme)
        sub(item, f"{{{DCTERMS}}}accessRights").text = Marker.access_rights(entry.access)
    return bytes(etree.tostring(feed, encoding="UTF-8", xml_declaration=True))


def _bare_feedgen(doc: FeedDoc) -> FeedGenerator:
    """The fewest feedgen calls that give the same entries, without the access marker: a
    floor for any writer built on feedgen's entry API."""
    fg = FeedGenerator()
    fg.id(doc.url("atom.xml"))
    fg.title(doc.title)
    fg.subtitle(doc.subtitle)
    fg.link(href=doc.settings.site_url, rel="alternate")
    fg.updated(doc.updated)
    for entry in doc.entries:
        fe = fg.add_entry(order="append")
        fe.id(entry.id)
        fe.guid(entry.id, permalink=True)
        fe.title(entry.title)
        fe.link(href=entry.url, rel="alternate", type="text/html")
        fe.published(entry.published)
        fe.updated(entry.updated)
        fe.summary(entry.summary, type="text")
        fe.category([{"term": c.term, "scheme": c.scheme} for c in entry.categories])
    return fg


def feedgen_rss(doc: FeedDoc) -> bytes:
    root, _ = _bare_feedgen(doc)._create_rss()
    return bytes(etree.tostring(root, encoding="UTF-8", xml_declaration=True))


def feedgen_atom(doc: FeedDoc) -> bytes:
    root, _ = _bare_feedgen(doc)._create_atom()
    return bytes(etree.tostring(root, encoding="UTF-8", xml_declaration=True))


def _fresh(doc: FeedDoc) -> FeedDoc:
    """The document with entries as a build makes them: the writers keep what they made of an
    entry with it, for the build's other feeds, so a second run on the same would not write."""
    entries = tuple(dataclasses.replace(entry, made={}) for entry in doc.entries)
    return dataclasses.replace(doc, entries=entries)


def _timed(write: Callable[[FeedDoc], bytes], doc: FeedDoc) -> float:
    """Seconds `write` takes, as a build runs it: without the cyclic collector, whose passes
    over the entries left by earlier runs would fall on whichever writer runs next."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        write(doc)
        return time.perf_counter() - start
    finally:
        gc.enable()


def feed_phases(repeat: int) -> list[Phase]:
    """Each writer once per round, in turn, so that a slow spell of the machine falls on all."""
    doc = _feed_doc()
    phases = []
    for name, ours, bare, theirs in (
        ("feed-10k rss", xmlfeeds.rss, feedgen_rss, lxml_rss),
        ("feed-10k atom", xmlfeeds.atom, feedgen_atom, lxml_atom),
    ):
        floor, reference, phase = Phase(f"{name} (lxml)"), Phase(f"{name} (feedgen)"), Phase(name)
        reference.floor = floor  # a ratio without a target: what feedgen alone costs
        # The target is bare feedgen writing the same entries: feedgen alone is 1.5-1.8x lxml.
        phase.floor, phase.target, phase.limit = reference, "<= 1.2x feedgen", 1.2
        # Three times the rounds of a build phase: each run is short, and its spread is the
        # machine's, not the writers'.
        for _ in range(3 * repeat):
            for write, into in ((theirs, floor), (bare, reference), (ours, phase)):
                into.seconds.append(_timed(write, _fresh(doc)))
            reference.paired.append(floor.seconds[-1])
            phase.paired.append(reference.seconds[-1])
        phases += [floor, reference, phase]
    return phases
