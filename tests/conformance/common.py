"""Namespace URIs and the element helpers every check walks the tree with."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from lxml import etree

# Re-exported for the checkers: the namespaces feedsvc writes, defined once.
from feedsvc.publish.writers.namespaces import ATOM as ATOM
from feedsvc.publish.writers.namespaces import CONTENT as CONTENT
from feedsvc.publish.writers.namespaces import DC as DC
from feedsvc.publish.writers.namespaces import DCTERMS as DCTERMS
from feedsvc.publish.writers.namespaces import MEDIA as MEDIA

XHTML = "http://www.w3.org/1999/xhtml"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# The namespaces the W3C validator knows, by their conventional prefix. A prefix from this
# table bound to another URI draws its ReservedPrefix warning; a URI outside it draws
# UnknownNamespace. This is the subset a news feed can plausibly use.
KNOWN_NAMESPACES: dict[str, str] = {
    "http://www.w3.org/2005/Atom": "atom",
    "http://www.w3.org/2007/app": "app",
    "http://web.resource.org/cc/": "cc",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://backend.userland.com/creativeCommonsRssModule": "creativeCommons",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dcterms",
    "http://purl.org/syndication/history/1.0": "fh",
    "http://rssnamespace.org/feedburner/ext/1.0": "feedburner",
    "http://www.w3.org/2003/01/geo/wgs84_pos#": "geo",
    "http://www.georss.org/georss": "georss",
    "http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "http://search.yahoo.com/mrss/": "media",
    "http://a9.com/-/spec/opensearch/1.1/": "opensearch",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://purl.org/rss/1.0/modules/slash/": "slash",
    "http://purl.org/rss/1.0/modules/syndication/": "sy",
    "http://purl.org/syndication/thread/1.0": "thr",
    "http://madskills.com/public/xml/rss/module/trackback/": "trackback",
    "http://wellformedweb.org/CommentAPI/": "wfw",
    "http://www.w3.org/1999/xhtml": "xhtml",
    "http://www.w3.org/1999/xlink": "xlink",
}
RESERVED_PREFIXES = {prefix: uri for uri, prefix in KNOWN_NAMESPACES.items()}


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ATOM_TEXT_CONSTRUCTS = frozenset(["title", "subtitle", "summary", "rights"])


def is_element(node: etree._Element) -> bool:
    # Comments and processing instructions are _Element subclasses whose tag is a function.
    return isinstance(node.tag, str)


def elements(nodes: Iterable[etree._Element]) -> Iterator[etree._Element]:
    return (node for node in nodes if is_element(node))


def children_named(parent: etree._Element, tag: str) -> list[etree._Element]:
    return [child for child in parent if child.tag == tag]


def namespace_of(element: etree._Element) -> str:
    tag = str(element.tag)
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def local_name(element: etree._Element) -> str:
    return str(element.tag).rsplit("}", 1)[-1]


def display_name(element: etree._Element) -> str:
    namespace = namespace_of(element)
    if not namespace or (namespace == ATOM and element.prefix is None):
        return local_name(element)
    prefix = element.prefix or KNOWN_NAMESPACES.get(namespace)
    return f"{prefix}:{local_name(element)}" if prefix else f"{{{namespace}}}{local_name(element)}"


def text_of(element: etree._Element) -> str:
    return "".join(str(part) for part in element.itertext()) if len(element) else element.text or ""
