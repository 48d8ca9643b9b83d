"""Structural conformance checks for the RSS 2.0 and Atom 1.0 documents that feedsvc publishes.

The rules come from three sources, and each message names the one it enforces so a failure can
be looked up:

* the RSS 2.0 specification (rssboard.org) and the Media RSS specification;
* RFC 4287 (Atom), RFC 3339 (Atom dates) and RFC 822 as amended by RFC 1123/2822 (RSS dates);
* the W3C Feed Validation Service, which is stricter than either specification: its errors
  and its warnings are both reported here, tagged with the validator's own message class
  (e.g. ``W3C MissingGuid``) so the two tools can be compared line by line.

Beyond those, the project asks for tidy XML: a UTF-8 XML declaration and every namespace
declared once, on the root element, and used.

Each function returns a list of human-readable problems; an empty list means conformant.
A problem reads ``<severity>: <path> (line N): <message>``, where severity is ``error`` for a
violation of a specification or a W3C error and ``warning`` for a W3C warning or a SHOULD.

The checks are structural. They do not fetch anything, so the W3C rules that need the
network (self link matching the fetched location, HTTP headers, resolvable hosts) are not
emulated; nor is the full HTML sanitiser, of which only the rules that matter for a news
feed are kept (unsafe tags, event-handler attributes, relative references).
"""

from datetime import datetime
from pathlib import Path

from .atom import check_atom
from .rss import check_rss
from .schema import check_atom_schema

__all__ = ["check_atom", "check_atom_schema", "check_rss", "check_tree"]


def check_tree(folder: Path, now: datetime) -> dict[str, list[str]]:
    """Every problem of every XML feed below `folder`, by path: rss.xml as RSS 2.0, the rest
    as Atom (checked against RFC 4287's rules and its RELAX NG grammar)."""
    found = {}
    for path in sorted(folder.rglob("*.xml")):
        data = path.read_bytes()
        if path.name == "rss.xml":
            problems = check_rss(data, now=now)
        else:
            problems = check_atom(data, now=now) + check_atom_schema(data)
        if problems:
            found[str(path.relative_to(folder))] = problems
    return found
