"""Every name under out/, decided here once: feed folders, file names, media types, the lock.

Writers, the build, the index page and the lock ask this module; none spells a name itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin

from feedsvc.model import FeedSettings, FormatName

__all__ = [
    "CATEGORIES_FOLDER",
    "FORMATS",
    "INDEX_FILE",
    "LOCK_FILE",
    "MEMBERS_FOLDER",
    "MEMBERS_TREE",
    "OWNED_FOLDERS",
    "OWNED_NAMES",
    "PUBLIC_TREE",
    "TEMP_PREFIX",
    "TEMP_SUFFIX",
    "FeedKind",
    "FileFormat",
    "category_folder",
    "public_address",
]

FeedKind = Literal["main", "category", "members"]

INDEX_FILE = "index.html"
MEMBERS_FOLDER = "members/"
CATEGORIES_FOLDER = "categories/"
LOCK_FILE = ".feedsvc.lock"
# The two served trees below out/: what anyone may fetch, and what only members may. The lock
# and temporary files live outside both, so no server rule has to hide them.
PUBLIC_TREE = "public/"
MEMBERS_TREE = "members/"
# Temporary files of an atomic write: named so that a later build can find and remove them.
TEMP_PREFIX = ".feedsvc-"
TEMP_SUFFIX = ".tmp"


@dataclass(frozen=True, slots=True)
class FileFormat:
    name: str  # the file name in a feed's folder
    label: str
    media_type: str


FORMATS: dict[FormatName, FileFormat] = {
    "rss": FileFormat("rss.xml", "RSS 2.0", "application/rss+xml"),
    "atom": FileFormat("atom.xml", "Atom 1.0", "application/atom+xml"),
    "json": FileFormat("feed.json", "JSON Feed 1.1", "application/feed+json"),
}

# The only names a build ever writes: anything else under out/ belongs to someone else.
OWNED_NAMES = frozenset({*(f.name for f in FORMATS.values()), INDEX_FILE})
# Folders a build creates and may remove again once they are empty.
OWNED_FOLDERS = (CATEGORIES_FOLDER, MEMBERS_FOLDER)


def category_folder(slug: str) -> str:
    """The folder below out/ of a category's feeds; `slug` is already safe as a name."""
    return f"{CATEGORIES_FOLDER}{slug}/"


def public_address(settings: FeedSettings, path: str) -> str:
    """Where the file written at out/<path> is served, e.g. 'categories/asie/rss.xml'."""
    return urljoin(settings.public_url, path)
