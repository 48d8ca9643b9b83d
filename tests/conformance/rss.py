"""RSS 2.0 checks, per the RSS 2.0 specification and the W3C feed validator."""

from __future__ import annotations

import re
from datetime import datetime

from lxml import etree

from .atom import check_atom_link
from .common import (
    ATOM,
    CONTENT,
    DC,
    DCTERMS,
    children_named,
    display_name,
    elements,
    is_element,
    namespace_of,
    text_of,
    words,
)
from .dates import check_rfc822
from .document import load
from .markup import check_escaped_html, check_rss_plain_text
from .media import check_media
from .report import Report, aware, location, quoted
from .values import (
    MIME_RE,
    check_integer,
    check_language,
    check_not_blank,
    check_rss_email,
    check_url,
    check_url_element,
    url_problem,
)

# RSS 2.0 allows no undeclared elements outside a namespace: these are all there are.
RSS_CHANNEL_ELEMENTS = words(
    "title link description language copyright managingEditor webMaster pubDate "
    "lastBuildDate category generator docs cloud ttl image rating textInput skipHours "
    "skipDays item"
)
RSS_CHANNEL_SINGLETONS = words(
    "title link description language copyright managingEditor webMaster pubDate "
    "lastBuildDate generator docs cloud ttl image rating textInput skipHours skipDays"
)
RSS_ITEM_ELEMENTS = words(
    "title link description author category comments enclosure guid pubDate source"
)
RSS_ITEM_SINGLETONS = words("title link description author comments guid pubDate source")
RSS_IMAGE_ELEMENTS = words("url title link width height description")

# Pairs the W3C validator reports as DuplicateSemantics: an RSS core element and the
# extension element that says the same thing.
CHANNEL_DUPLICATE_SEMANTICS = [
    ("managingEditor", f"{{{DC}}}creator", "dc:creator"),
    ("pubDate", f"{{{DC}}}date", "dc:date"),
    ("language", f"{{{DC}}}language", "dc:language"),
    ("copyright", f"{{{DC}}}rights", "dc:rights"),
    ("category", f"{{{DC}}}subject", "dc:subject"),
    ("lastBuildDate", f"{{{DCTERMS}}}modified", "dcterms:modified"),
]
ITEM_DUPLICATE_SEMANTICS = [
    ("author", f"{{{DC}}}creator", "dc:creator"),
    ("pubDate", f"{{{DC}}}date", "dc:date"),
    ("category", f"{{{DC}}}subject", "dc:subject"),
    ("source", f"{{{DC}}}source", "dc:source"),
    ("guid", f"{{{ATOM}}}id", "atom:id"),
]


def check_rss(data: bytes, *, now: datetime | None = None) -> list[str]:
    """Problems in an RSS 2.0 document, per the RSS 2.0 spec and the W3C validator.

    now is the moment after which a date counts as implausible (W3C ImplausibleDate); it
    defaults to the clock, and a test that builds with a fixed clock should pass that one.
    """
    report = Report(aware(now))
    root = load(data, report, atom=False)
    if root is not None:
        _check_rss_root(root, report)
    return report.problems


def _check_rss_root(root: etree._Element, report: Report) -> None:
    if root.tag != "rss":
        report.error(location(root), f"root element is {display_name(root)}; RSS 2.0 requires rss")
        return
    version = root.get("version")
    if version is None:
        report.error(location(root), 'rss has no version attribute; RSS 2.0 requires version="2.0"')
    elif version != "2.0":
        report.error(location(root), f'rss version is "{version}"; expected "2.0"')
    channels = children_named(root, "channel")
    if len(channels) != 1:
        report.error(location(root), f"rss must contain exactly one channel, found {len(channels)}")
    for child in elements(root):
        if child.tag != "channel" and not namespace_of(child):
            report.error(
                location(child), f"undefined rss element: {child.tag} (W3C UndefinedElement)"
            )
    if channels:
        _check_channel(channels[0], report)
    check_media(root, report)


def _check_channel(channel: etree._Element, report: Report) -> None:
    where = location(channel)
    for name in ("title", "link", "description"):
        if not children_named(channel, name):
            report.error(where, f"missing channel element: {name} (required by RSS 2.0)")
    _check_undefined_and_duplicates(
        channel, RSS_CHANNEL_ELEMENTS, RSS_CHANNEL_SINGLETONS, "channel", report
    )
    _check_duplicate_semantics(channel, CHANNEL_DUPLICATE_SEMANTICS, "A channel", report)

    for title in children_named(channel, "title"):
        check_not_blank(title, report)
        check_rss_plain_text(title, report)
    for link in children_named(channel, "link"):
        check_url_element(link, report, iri=False)
    for description in children_named(channel, "description"):
        check_rss_plain_text(description, report)
    for language in children_named(channel, "language"):
        check_language(language, text_of(language).strip(), report)
    for name in ("pubDate", "lastBuildDate"):
        for element in children_named(channel, name):
            check_rfc822(element, report)
    for name in ("managingEditor", "webMaster"):
        for element in children_named(channel, name):
            check_rss_email(element, report)
    for docs in children_named(channel, "docs"):
        check_url_element(docs, report, iri=False)
    for ttl in children_named(channel, "ttl"):
        check_integer(ttl, text_of(ttl).strip(), "ttl", report, minimum=1)
    for image in children_named(channel, "image"):
        _check_image(image, report)
    for category in children_named(channel, "category"):
        check_not_blank(category, report)

    _check_rss_atom_links(channel, report)

    # The RSS Profile, which the W3C validator enforces, wants channel metadata before the
    # items; this is the only ordering rule it has, and RSS itself has none.
    seen_item = False
    for child in elements(channel):
        if child.tag == "item":
            seen_item = True
        elif seen_item and (not namespace_of(child) or child.tag == f"{{{ATOM}}}link"):
            report.warning(
                location(child), f"{display_name(child)} follows an item (W3C MisplacedItem)"
            )

    guids: dict[str, etree._Element] = {}
    for item in children_named(channel, "item"):
        _check_item(item, guids, report)


def _check_image(image: etree._Element, report: Report) -> None:
    for name in ("url", "title", "link"):
        if not children_named(image, name):
            report.error(location(image), f"missing image element: {name} (required by RSS 2.0)")
    for child in elements(image):
        if not namespace_of(child) and child.tag not in RSS_IMAGE_ELEMENTS:
            report.error(
                location(child), f"undefined image element: {child.tag} (W3C UndefinedElement)"
            )
    for name in ("url", "link"):
        for element in children_named(image, name):
            check_url_element(element, report, iri=False)
    for name, maximum in (("width", 144), ("height", 400)):
        for element in children_named(image, name):
            check_integer(element, text_of(element).strip(), name, report, 1, maximum)


def _check_rss_atom_links(channel: etree._Element, report: Report) -> None:
    links = channel.findall(f"{{{ATOM}}}link")
    for link in links:
        check_atom_link(link, report)
    selves = [link for link in links if link.get("rel") == "self"]
    if not selves:
        report.warning(
            location(channel),
            'missing atom:link with rel="self" and type="application/rss+xml" '
            "(W3C MissingAtomSelfLink)",
        )
    for link in selves:
        if link.get("type") != "application/rss+xml":
            report.warning(
                location(link),
                'the self link of an RSS feed should have type="application/rss+xml", '
                f"not {quoted(link.get('type'))}",
            )


def _check_item(item: etree._Element, guids: dict[str, etree._Element], report: Report) -> None:
    where = location(item)
    if not children_named(item, "title") and not children_named(item, "description"):
        report.error(
            where,
            "item must contain either title or description (W3C ItemMustContainTitleOrDescription)",
        )
    if not children_named(item, "guid"):
        report.warning(where, "item should contain a guid element (W3C MissingGuid)")
    _check_undefined_and_duplicates(item, RSS_ITEM_ELEMENTS, RSS_ITEM_SINGLETONS, "item", report)
    if len(children_named(item, "enclosure")) > 1:
        report.warning(where, "item contains more than one enclosure (W3C DuplicateEnclosure)")
    _check_duplicate_semantics(item, ITEM_DUPLICATE_SEMANTICS, "An item", report)

    for title in children_named(item, "title"):
        check_not_blank(title, report)
        check_rss_plain_text(title, report)
    for name in ("link", "comments"):
        for element in children_named(item, name):
            check_url_element(element, report, iri=False)
    for description in children_named(item, "description"):
        check_escaped_html(description, report, relative_refs=True)
    for author in children_named(item, "author"):
        check_rss_email(author, report)
    for pub_date in children_named(item, "pubDate"):
        check_rfc822(pub_date, report)
    for category in children_named(item, "category"):
        check_not_blank(category, report)
    for guid in children_named(item, "guid"):
        _check_guid(guid, guids, report)
    for enclosure in children_named(item, "enclosure"):
        _check_enclosure(enclosure, report)
    for source in children_named(item, "source"):
        url = source.get("url")
        if url is None:
            report.error(location(source), "missing source attribute: url (W3C MissingAttribute)")
        else:
            check_url(source, "url attribute", url, report, iri=False)
    _check_content_encoded(item, report)
    for atom_link in item.findall(f"{{{ATOM}}}link"):
        check_atom_link(atom_link, report)


def _check_content_encoded(item: etree._Element, report: Report) -> None:
    encoded = item.findall(f"{{{CONTENT}}}encoded")
    if len(encoded) > 1:
        report.error(
            location(item), "item contains more than one content:encoded (W3C DuplicateElement)"
        )
    for element in encoded:
        children = list(elements(element))
        if children:
            report.error(
                location(element),
                "content:encoded must hold escaped or CDATA HTML, not child elements "
                f"(found {display_name(children[0])})",
            )
        check_escaped_html(element, report, relative_refs=True)
        # The validator tests this as it reads, so a description after the content counts
        # as missing: that is the RSS Profile's advice to put the short form first.
        preceding = [
            sibling.tag for sibling in element.itersiblings(preceding=True) if is_element(sibling)
        ]
        if "description" not in preceding:
            report.warning(
                location(element),
                "ensure description precedes content:encoded (W3C NeedDescriptionBeforeContent)",
            )


def _check_guid(guid: etree._Element, seen: dict[str, etree._Element], report: Report) -> None:
    where = location(guid)
    value = text_of(guid).strip()
    if not value:
        report.warning(where, "guid should not be blank (W3C NotBlank)")
        return
    if value in seen:
        report.error(
            where,
            f"guid values must not be duplicated within a feed: {value} also at line "
            f"{seen[value].sourceline} (W3C DuplicateValue)",
        )
    else:
        seen[value] = guid
    flag = guid.get("isPermaLink")
    if flag is not None and flag not in ("true", "false"):
        report.error(
            where, f"isPermaLink attribute of guid must be 'true' or 'false', not {quoted(flag)}"
        )
    if flag == "false":
        if len(value) < 9 and value.isdigit():
            report.warning(
                where, f"guid {value} is not sufficiently unique (W3C NotSufficientlyUnique)"
            )
        return
    # Absent isPermaLink means true (RSS 2.0), so the guid must then be a URL a reader can open.
    problem = url_problem(value, iri=False)
    lowered = value.lower()
    if problem is not None or lowered.startswith(("tag:", "urn:uuid:")):
        reason = problem or "is not a locator"
        report.error(
            where,
            f'guid {reason}: a guid must be a full URL unless isPermaLink is "false" '
            "(W3C InvalidHttpGUID)",
        )


def _check_enclosure(enclosure: etree._Element, report: Report) -> None:
    where = location(enclosure)
    url = enclosure.get("url")
    if url is None:
        report.error(where, "missing enclosure attribute: url (W3C MissingAttribute)")
    elif not re.match(r"^https?://", url, re.IGNORECASE):
        report.error(
            where,
            f"enclosure url must be a full http or https URL: {url} (W3C InvalidURLAttribute)",
        )
    else:
        check_url(enclosure, "url attribute", url, report, iri=False)
    length = enclosure.get("length")
    if length is None:
        report.error(where, "missing enclosure attribute: length (W3C MissingAttribute)")
    elif length.strip() == "-1":
        report.error(
            where, "enclosure length must be 0, not -1, when unknown (W3C UseZeroForUnknown)"
        )
    else:
        check_integer(enclosure, length, "length attribute", report, minimum=0)
    media_type = enclosure.get("type")
    if media_type is None:
        report.error(where, "missing enclosure attribute: type (W3C MissingAttribute)")
    elif not MIME_RE.match(media_type):
        report.error(
            where, f"type attribute of enclosure must be a MIME type, not {quoted(media_type)}"
        )


def _check_undefined_and_duplicates(
    parent: etree._Element,
    allowed: frozenset[str],
    singletons: frozenset[str],
    kind: str,
    report: Report,
) -> None:
    counts: dict[str, int] = {}
    for child in elements(parent):
        if namespace_of(child):
            continue
        if child.tag not in allowed:
            report.error(
                location(child),
                f"undefined {kind} element: {child.tag}; RSS 2.0 elements outside a namespace "
                "must be defined by the specification (W3C UndefinedElement)",
            )
        counts[child.tag] = counts.get(child.tag, 0) + 1
    for tag, count in counts.items():
        if tag in singletons and count > 1:
            report.error(
                location(parent), f"{kind} contains more than one {tag} (W3C DuplicateElement)"
            )


def _check_duplicate_semantics(
    parent: etree._Element,
    pairs: list[tuple[str, str, str]],
    subject: str,
    report: Report,
) -> None:
    for core, extension, extension_name in pairs:
        if parent.find(core) is not None and parent.find(extension) is not None:
            report.warning(
                location(parent),
                f"{subject} should not include both {core} and {extension_name} "
                "(W3C DuplicateSemantics)",
            )
