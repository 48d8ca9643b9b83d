"""A members' feed with its own links made the member's own address, cached per version."""

from __future__ import annotations

import json
from collections import OrderedDict
from urllib.parse import urljoin

from feedsvc.publish._layout import FORMATS, MEMBERS_FOLDER
from feedsvc.publish.writers.namespaces import ATOM
from feedsvc.serve._files import Version

__all__ = ["MEMBER_PREFIX", "Personaliser", "member_address"]

# Private addresses live below this folder of public_url: <public_url>m/<token>/rss.xml.
MEMBER_PREFIX = "m/"
_JSON = FORMATS["json"].name


def member_address(public_url: str, token: str, name: str) -> str:
    return urljoin(public_url, f"{MEMBER_PREFIX}{token}/{name}")


def personalise(body: bytes, name: str, members_base: str, member_base: str) -> bytes:
    """`body` with every feed-level link into the members' tree (rel="self", and RFC 5005's
    current, prev-archive and next-archive; JSON Feed's feed_url and next_url) moved from
    `members_base` to `member_base`, so a member who has only their own address can follow
    each of them; the rest as it was. Parsed and written by lxml and json, never edited as
    text."""

    def moved(href: str) -> str:
        if href.startswith(members_base):
            return member_base + href.removeprefix(members_base)
        return href

    if name.rsplit("/", 1)[-1] == _JSON:
        feed = json.loads(body)
        for key in ("feed_url", "next_url"):
            if isinstance(feed.get(key), str):
                feed[key] = moved(feed[key])
        # As the JSON Feed writer lays it out.
        return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    root = etree.fromstring(body, parser)
    # RSS carries them as atom:link in <channel>; Atom as <link> in <feed>. Entries' links
    # point at the site's stories and stay.
    where = "." if root.tag == f"{{{ATOM}}}feed" else "./channel"
    for link in root.iterfind(f"{where}/{{{ATOM}}}link"):
        href = link.get("href")
        if href is not None:
            link.set("href", moved(href))
    result: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return result


class Personaliser:
    """Personalised bytes per (token, file version), a bounded number of them in memory."""

    def __init__(self, public_url: str, size: int = 4096) -> None:
        self.public_url = public_url
        self._members_base = urljoin(public_url, MEMBERS_FOLDER)
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
            self._members_base,
            member_address(self.public_url, token, ""),
        )
        made = Version.of(version.name, body, version.mtime)
        self._cache[key] = made
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return made
