"""The members-only marker: how every feed and the index page say an item is for members.

Decided here once: the category term and label, its scheme, the `dcterms:accessRights` value
per access, and the anchor of the index page that explains it. Writers ask; none spells it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from feedsvc.model import Access, FeedSettings

__all__ = ["MEMBERS_LABEL", "MEMBERS_TERM", "Marker"]

MEMBERS_TERM = "membres"  # the site's own word, which readers display and filters match
MEMBERS_LABEL = "Réservé aux membres"
_ACCESS_RIGHTS: dict[Access, str] = {"public": "public", "members": MEMBERS_TERM}


@dataclass(frozen=True, slots=True)
class Marker:
    term: str
    label: str
    scheme: str  # a URL under the site, so the category cannot clash with anyone's

    @classmethod
    def for_site(cls, settings: FeedSettings) -> Marker:
        return cls(MEMBERS_TERM, MEMBERS_LABEL, urljoin(settings.site_url, "acces"))

    @staticmethod
    def marks(access: Access) -> bool:
        """Whether an entry of this access carries the marker category."""
        return access == "members"

    @staticmethod
    def access_rights(access: Access) -> str:
        """The `dcterms:accessRights` value."""
        return _ACCESS_RIGHTS[access]

    @staticmethod
    def anchor() -> str:
        """The id of the index page's section that explains the marker."""
        return MEMBERS_TERM
