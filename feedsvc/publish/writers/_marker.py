"""The members-only marker: how every feed and the index page say an item is for members.

Decided here once: the category term and label, its scheme, the `dcterms:accessRights` value
per access, the prefix of a members-only headline in public feeds, and the anchor of the index
page that explains it. Writers ask; none spells it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from feedsvc.model import Access, FeedSettings

__all__ = ["MEMBERS_LABEL", "MEMBERS_TERM", "SITE_LABEL", "Marker"]

SITE_LABEL = "Membres"  # the label the site itself prints on members-only stories
MEMBERS_TERM = SITE_LABEL.casefold()  # the word readers display and filters match
MEMBERS_LABEL = "Réservé aux membres"
# Readers that show only headlines (many do) show neither categories nor access rights: the
# headline itself has to say it. The middle dot is the site's own separator.
TITLE_PREFIX = f"{SITE_LABEL} ·"
_ACCESS_RIGHTS: dict[Access, str] = {"public": "public", "members": MEMBERS_TERM}


@dataclass(frozen=True, slots=True)
class Marker:
    term: str
    label: str
    scheme: str  # a URL under the site, so the category cannot clash with anyone's
    title_prefix: str  # empty in the members' feed, where every reader is a member

    @classmethod
    def for_feed(cls, settings: FeedSettings, *, members: bool) -> Marker:
        prefix = "" if members else settings.members_title_prefix or TITLE_PREFIX
        return cls(MEMBERS_TERM, MEMBERS_LABEL, urljoin(settings.site_url, "acces"), prefix)

    @staticmethod
    def marks(access: Access) -> bool:
        """Whether an entry of this access carries the marker category."""
        return access == "members"

    def title(self, title: str, access: Access) -> str:
        """The headline as this feed shows it: prefixed when members-only, in public feeds."""
        if self.title_prefix and self.marks(access):
            return f"{self.title_prefix} {title}"
        return title

    @staticmethod
    def access_rights(access: Access) -> str:
        """The `dcterms:accessRights` value."""
        return _ACCESS_RIGHTS[access]

    @staticmethod
    def anchor() -> str:
        """The id of the index page's section that explains the marker."""
        return MEMBERS_TERM
