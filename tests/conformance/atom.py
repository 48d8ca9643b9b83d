"""Atom 1.0 feed checks, per RFC 4287 and the W3C feed validator."""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from .atom_content import check_content, check_text_construct, is_base64_type
from .common import (
    ATOM,
    ATOM_TEXT_CONSTRUCTS,
    XML_NS,
    display_name,
    elements,
    local_name,
    namespace_of,
    text_of,
    words,
)
from .dates import check_rfc3339
from .document import load
from .report import Report, aware, location, quoted
from .values import (
    EMAIL_RE,
    MIME_RE,
    canonical_form,
    check_integer,
    check_iri_reference,
    check_language,
    check_not_blank,
    check_url,
    url_problem,
)

ATOM_FEED_ELEMENTS = words(
    "author category contributor generator icon id link logo rights subtitle title updated entry"
)
ATOM_ENTRY_ELEMENTS = words(
    "author category content contributor id link published rights source summary title updated"
)
ATOM_SOURCE_ELEMENTS = ATOM_FEED_ELEMENTS - {"entry"}
ATOM_PERSON_ELEMENTS = frozenset(["name", "uri", "email"])
# Relations registered with IANA as listed by the W3C validator; anything else must be an
# absolute IRI (RFC 4287 4.2.7.2) or it draws UnregisteredAtomLinkRel.
ATOM_LINK_RELATIONS = words(
    "alternate current describedby edit edit-media enclosure first hub last license next "
    "next-archive payment prev-archive previous related replies search self service up "
    "via"
)
FEED_MEDIA_TYPES = frozenset(["application/atom+xml", "application/rss+xml", "application/rdf+xml"])


def check_atom(data: bytes, *, now: datetime | None = None) -> list[str]:
    """Problems in an Atom 1.0 feed document, per RFC 4287 and the W3C validator.

    now is used as in check_rss.
    """
    report = Report(aware(now))
    root = load(data, report, atom=True)
    if root is not None:
        _check_atom_root(root, report)
    return report.problems


def _atom(name: str) -> str:
    return f"{{{ATOM}}}{name}"


def _check_atom_root(root: etree._Element, report: Report) -> None:
    if root.tag != _atom("feed"):
        report.error(
            location(root),
            f"root element is {{{namespace_of(root)}}}{local_name(root)}; an Atom feed document "
            f"has feed in {ATOM} as its root (RFC 4287 4.1.1)",
        )
        return
    entries = root.findall(_atom("entry"))
    _check_atom_container(root, "feed", ATOM_FEED_ELEMENTS, report)
    for entry in entries:
        _check_atom_container(entry, "entry", ATOM_ENTRY_ELEMENTS, report)
        _check_entry(entry, report)
        for source in entry.findall(_atom("source")):
            _check_atom_container(source, "source", ATOM_SOURCE_ELEMENTS, report)

    if root.find(_atom("author")) is None:
        for entry in entries:
            if (
                entry.find(_atom("author")) is None
                and entry.find(f"{_atom('source')}/{_atom('author')}") is None
            ):
                report.error(
                    location(entry),
                    "missing entry element: author; either the feed or every entry needs one "
                    "(RFC 4287 4.1.1)",
                )
        if not entries:
            report.error(location(root), "missing feed element: author (RFC 4287 4.1.1)")

    seen_entry = False
    for child in elements(root):
        if child.tag == _atom("entry"):
            seen_entry = True
        elif seen_entry:
            report.error(
                location(child),
                f"{display_name(child)} must appear before all entries (W3C MisplacedMetadata)",
            )

    if not [link for link in root.findall(_atom("link")) if link.get("rel") == "self"]:
        report.warning(location(root), 'missing atom:link with rel="self" (W3C MissingSelf)')

    ids: dict[str, etree._Element] = {}
    updates: dict[str, etree._Element] = {}
    # Only an entry's first id and updated take part: a second one is already an error of
    # its own, and comparing it with its sibling would report the same mistake twice.
    for entry in entries:
        identifier = entry.find(_atom("id"))
        if identifier is not None:
            value = text_of(identifier)
            if value in ids:
                # RFC 4287 lets two entries share an id (they are versions of one entry), so
                # like the W3C validator this is a warning, not an error.
                report.warning(
                    location(identifier),
                    f"two entries with the same id {value} (also at line "
                    f"{ids[value].sourceline}) (W3C DuplicateEntries)",
                )
            else:
                ids[value] = identifier
        updated = entry.find(_atom("updated"))
        if updated is not None:
            value = text_of(updated)
            if value in updates:
                report.warning(
                    location(updated),
                    f"two entries with the same value for atom:updated, {value} "
                    "(W3C DuplicateUpdated)",
                )
            else:
                updates[value] = updated

    _check_atom_everywhere(root, report)


def _check_atom_container(
    container: etree._Element, kind: str, allowed: frozenset[str], report: Report
) -> None:
    where = location(container)
    counts: dict[str, int] = {}
    for child in elements(container):
        namespace = namespace_of(child)
        if namespace == ATOM:
            name = local_name(child)
            if name not in allowed:
                report.error(
                    location(child), f"undefined {kind} element: {name} (W3C UndefinedElement)"
                )
            counts[name] = counts.get(name, 0) + 1
        elif not namespace:
            report.error(
                location(child),
                f"{child.tag} is in no namespace; Atom extensions need one (RFC 4287 6)",
            )
    required = {"feed": ("id", "title", "updated"), "entry": ("id", "title", "updated")}
    optional = {
        "feed": ("generator", "icon", "logo", "rights", "subtitle"),
        "entry": ("content", "published", "rights", "source", "summary"),
        "source": ("generator", "icon", "id", "logo", "rights", "subtitle", "title", "updated"),
    }
    for name in required.get(kind, ()):
        if counts.get(name, 0) == 0:
            report.error(where, f"missing {kind} element: {name} (RFC 4287 4.1)")
        elif counts[name] > 1:
            report.error(
                where,
                f"{kind} must contain exactly one {name}, found {counts[name]} (RFC 4287 4.1)",
            )
    for name in optional[kind]:
        if counts.get(name, 0) > 1:
            report.error(where, f"{kind} contains more than one {name} (RFC 4287 4.1)")

    alternates: dict[tuple[str, str], etree._Element] = {}
    for link in container.findall(_atom("link")):
        if link.get("rel", "alternate") != "alternate":
            continue
        key = (link.get("type", ""), link.get("hreflang", ""))
        if key in alternates:
            report.error(
                location(link),
                "duplicate alternate links with the same type and hreflang "
                f"(type={quoted(key[0])}, hreflang={quoted(key[1])}) (W3C DuplicateAtomLink)",
            )
        else:
            alternates[key] = link


def _check_entry(entry: etree._Element, report: Report) -> None:
    where = location(entry)
    content = entry.find(_atom("content"))
    has_summary = entry.find(_atom("summary")) is not None
    if content is None:
        has_alternate = any(
            link.get("rel", "alternate") == "alternate" for link in entry.findall(_atom("link"))
        )
        if not has_alternate:
            report.error(
                where,
                'an entry without content must have a link with rel="alternate" '
                "(W3C MissingContentOrAlternate, RFC 4287 4.1.2)",
            )
        if not has_summary:
            report.warning(
                where, "entry has neither content nor summary (W3C MissingTextualContent)"
            )
        return
    if has_summary:
        return
    if content.get("src") is not None:
        report.error(
            where,
            "an entry whose content has a src attribute must have a summary "
            "(W3C MissingSummary, RFC 4287 4.1.2)",
        )
    elif is_base64_type(content.get("type", "text")):
        report.error(
            where,
            f"an entry whose content is Base64 ({content.get('type')}) must have a summary "
            "(W3C MissingSummary, RFC 4287 4.1.2)",
        )


def _check_atom_everywhere(root: etree._Element, report: Report) -> None:
    for element in elements(root.iter()):
        language = element.get(f"{{{XML_NS}}}lang")
        if language:
            check_language(element, language, report)
        if namespace_of(element) != ATOM:
            continue
        name = local_name(element)
        parent = element.getparent()
        in_person = parent is not None and local_name(parent) in ("author", "contributor")
        if name in ATOM_TEXT_CONSTRUCTS and not in_person:
            check_text_construct(element, report)
        elif name == "content":
            check_content(element, report)
        elif name in ("updated", "published"):
            check_rfc3339(element, report)
        elif name == "id":
            _check_atom_id(element, report)
        elif name == "link":
            check_atom_link(element, report)
        elif name == "category":
            _check_category(element, report)
        elif name in ("author", "contributor"):
            _check_person(element, report)
        elif name == "generator":
            uri = element.get("uri")
            if uri is not None:
                check_iri_reference(element, "uri attribute", uri, report)
        elif name in ("icon", "logo", "uri"):
            check_not_blank(element, report)
            check_iri_reference(element, "content", text_of(element), report)


def _check_atom_id(element: etree._Element, report: Report) -> None:
    where = location(element)
    raw = text_of(element)
    if raw != raw.strip():
        report.error(
            where, "white space is not allowed around id (W3C UnexpectedWhitespace, RFC 4287 3)"
        )
    value = raw.strip()
    problem = url_problem(value, iri=True)
    if problem is not None:
        report.error(where, f"id {problem}; it must be an absolute IRI (RFC 4287 4.2.6)")
        return
    canonical = canonical_form(value)
    if canonical is not None and canonical != value:
        report.warning(
            where,
            f"id {value} is not in canonical form (the canonical form would be {canonical}) "
            "(W3C NonCanonicalURI)",
        )


def check_atom_link(link: etree._Element, report: Report) -> None:
    where = location(link)
    rel = link.get("rel", "alternate")
    href = link.get("href")
    if href is None:
        report.error(where, "link must have an href attribute (W3C MissingHref, RFC 4287 4.2.7.1)")
    elif rel == "self":
        check_url(link, "href of the self link", href, report, iri=True, code="RelativeSelf")
    else:
        check_iri_reference(link, "href attribute", href, report)
    if not rel:
        report.warning(where, "the rel attribute of link should not be blank (W3C AttrNotBlank)")
    elif rel not in ATOM_LINK_RELATIONS and url_problem(rel, iri=True) is not None:
        report.warning(
            where, f"unregistered link relationship {quoted(rel)} (W3C UnregisteredAtomLinkRel)"
        )
    link_type = link.get("type")
    if link_type is not None:
        if not MIME_RE.match(link_type):
            report.error(
                where,
                f"link type must be a MIME media type, not {quoted(link_type)} (RFC 4287 4.2.7.3)",
            )
        elif rel == "self" and link_type.split(";")[0].strip() not in FEED_MEDIA_TYPES:
            report.warning(
                where,
                f'"self" link references a non-feed representation, {link_type} (W3C SelfNotAtom)',
            )
    hreflang = link.get("hreflang")
    if hreflang is not None:
        check_language(link, hreflang, report)
    length = link.get("length")
    if length is not None:
        check_integer(link, length, "length attribute", report, minimum=0)
    if (link.text or "").strip() or list(elements(link)):
        report.warning(
            where,
            "link should not have content; all its data is in attributes (W3C AtomLinkNotEmpty)",
        )


def _check_category(category: etree._Element, report: Report) -> None:
    term = category.get("term")
    if term is None:
        report.error(location(category), "category must have a term attribute (RFC 4287 4.2.2)")
    elif not term.strip():
        report.warning(
            location(category),
            "the term attribute of category should not be blank (W3C AttrNotBlank)",
        )
    scheme = category.get("scheme")
    if scheme is not None:
        problem = url_problem(scheme, iri=True)
        if problem is not None:
            report.error(
                location(category), f"category scheme {problem}; it must be an IRI (RFC 4287 4.2.2)"
            )


def _check_person(person: etree._Element, report: Report) -> None:
    where = location(person)
    kind = local_name(person)
    counts = {name: len(person.findall(_atom(name))) for name in ATOM_PERSON_ELEMENTS}
    if counts["name"] != 1:
        report.error(
            where, f"{kind} must contain exactly one name, found {counts['name']} (RFC 4287 3.2.1)"
        )
    for name in ("uri", "email"):
        if counts[name] > 1:
            report.error(where, f"{kind} contains more than one {name} (RFC 4287 3.2)")
    for child in elements(person):
        if namespace_of(child) == ATOM and local_name(child) not in ATOM_PERSON_ELEMENTS:
            report.error(
                location(child),
                f"undefined {kind} element: {local_name(child)} (W3C UndefinedElement)",
            )
    for email in person.findall(_atom("email")):
        value = text_of(email).strip()
        if not EMAIL_RE.match(value):
            report.error(
                location(email),
                f"email must be an email address, not {quoted(value)} (W3C InvalidAddrSpec)",
            )
    for person_name in person.findall(_atom("name")):
        check_not_blank(person_name, report)
