"""The XML namespaces feedsvc writes, defined once: the writers, tests and benchmarks use these."""

from __future__ import annotations

__all__ = ["ATOM", "CONTENT", "DC", "DCTERMS", "FH", "MEDIA", "PREFIXES"]

ATOM = "http://www.w3.org/2005/Atom"
MEDIA = "http://search.yahoo.com/mrss/"  # Media RSS: the photo, its caption and credit
DC = "http://purl.org/dc/elements/1.1/"  # dc:creator, the byline RSS has no element for
DCTERMS = "http://purl.org/dc/terms/"  # dcterms:accessRights, the marker for machines
CONTENT = "http://purl.org/rss/1.0/modules/content/"  # content:encoded, RSS full text
FH = "http://purl.org/syndication/history/1.0"  # RFC 5005: fh:archive on an archive document

# The prefix each is declared with on a feed's root element.
PREFIXES = {
    "atom": ATOM, "media": MEDIA, "dc": DC, "dcterms": DCTERMS, "content": CONTENT, "fh": FH,
}  # fmt: skip
