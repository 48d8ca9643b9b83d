"""A members' feed with its self links made the member's own address, cached per version."""

from __future__ import annotations

import json
from collections import OrderedDict
from urllib.parse import urljoin

from feedsvc.publish._layout import FORMATS
from feedsvc.publish.writers.namespaces import ATOM
from feedsvc.serve._files import Version

__all__ = ["MEMBER_PREFIX", "Personaliser", "member_address"]

# Private addresses live below this folder of public_url: <public_url>m/<token>/rss.xml.
MEMBER_PREFIX = "m/"
_JSON = FORMATS["json"].name


def member_address(public_url: str, token: str, name: str) -> str:
    return urljoin(public_url, f"{MEMBER_PREFIX}{token}/{name}")


def personalise(body: bytes, name: str, address: str) -> bytes:
    """`body` with its rel="self" link (JSON Feed: feed_url) set to `address`; the rest as it
    was. Parsed and written by lxml and json, never edited as text."""
    if name == _JSON:
        feed = json.loads(body)
        feed["feed_url"] = address
        # As the JSON Feed writer lays it out.
        return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    root = etree.fromstring(body, parser)
    # RSS carries it as atom:link in <channel>; Atom as <link> in <feed>.
    where = "." if root.tag == f"{{{ATOM}}}feed" else "./channel"
    for link in root.iterfind(f"{where}/{{{ATOM}}}link"):
        if link.get("rel") == "self":
            link.set("href", address)
    result: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return result


class Personaliser:
    """Personalised bytes per (token, file version), a bounded number of them in memory."""

    def __init__(self, public_url: str, size: int = 4096) -> None:
        self.public_url = public_url
        self._size = size
        self._cache: OrderedDict[tuple[str, str, str], Version] = OrderedDict()

    def get(self, token: str, version: Version) -> Version:
        """The member's version of `version`: its own bytes, ETag (so one member's validator
        never matches another's feed) and gzip, and the file's Last-Modified."""
        key = (token, version.name, version.identity.etag)
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return found
        body = personalise(
            version.identity.body,
            version.name,
            member_address(self.public_url, token, version.name),
        )
        made = Version.of(version.name, body, version.mtime)
        self._cache[key] = made
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return made
