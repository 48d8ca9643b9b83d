"""Every name under out/, decided here once: the served trees, feed folders, file names, the lock.

Writers, the build, the index page and the lock ask this module; none spells a name itself.

out/ holds two trees that a web server serves apart, and private files beside them:

    out/public/    served as static files at public_url: the public feeds and index.html
    out/members/   the members' full-text feeds, served at public_url + members/ behind a login
    out/.feedsvc.lock, out/.feedsvc-tmp/   the build's own, inside no served tree

so serving out/public/ as it is can never hand out a members' file, the lock or a half file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin

from feedsvc.model import FeedSettings, FormatName

__all__ = [
    "ARCHIVE_FOLDER",
    "ARCHIVE_NAME",
    "CATEGORIES_FOLDER",
    "CATEGORY_PARENTS",
    "FEED_FOLDERS",
    "FORMATS",
    "INDEX_FILE",
    "LOCK_FILE",
    "MEMBERS_FOLDER",
    "MEMBERS_TREE",
    "OWNED_NAMES",
    "PUBLIC_TREE",
    "SERVED_TREES",
    "TEMP_FOLDER",
    "TEMP_PREFIX",
    "TEMP_SUFFIX",
    "WEEK",
    "FeedKind",
    "FileFormat",
    "archive_folder",
    "archives_folder",
    "category_folder",
    "live_feed_address",
    "moved_to",
    "out_path",
    "public_address",
]

FeedKind = Literal["main", "category", "members"]

INDEX_FILE = "index.html"
# Addresses below public_url, as readers see them.
MEMBERS_FOLDER = "members/"
CATEGORIES_FOLDER = "categories/"
# RFC 5005 archives of a feed, one folder per ISO week (UTC) beside its live files:
# archive/2024-W23/atom.xml. Builds before weeks wrote calendar months (archive/2024-06/):
# a build still lists those, to remove them.
ARCHIVE_FOLDER = "archive/"
WEEK = r"[0-9]{4}-W[0-9]{2}"
ARCHIVE_NAME = r"[0-9]{4}-W?[0-9]{2}"
_ARCHIVED = re.compile(rf"(?:^|/){re.escape(ARCHIVE_FOLDER)}{WEEK}$")
# Folders below out/, as the web server sees them.
PUBLIC_TREE = "public/"
MEMBERS_TREE = "members/"
SERVED_TREES = (PUBLIC_TREE, MEMBERS_TREE)
LOCK_FILE = ".feedsvc.lock"
# Temporary files of an atomic write live in a private folder of out/, on the same file
# system as the trees, so that a file is renamed into a served tree only once it is whole.
TEMP_FOLDER = ".feedsvc-tmp/"
# Named so that a later build can find and remove them.
TEMP_PREFIX = ".feedsvc-"
TEMP_SUFFIX = ".tmp"
# Folders below out/ holding feed and index files, and folders whose every subfolder holds a
# category's: where this build writes, then where builds before out/public/ wrote the public
# files (members/ has not moved). Stale files of ours are removed from them, nothing else.
FEED_FOLDERS = (PUBLIC_TREE, MEMBERS_TREE, "")
CATEGORY_PARENTS = (PUBLIC_TREE + CATEGORIES_FOLDER, CATEGORIES_FOLDER)


@dataclass(frozen=True, slots=True)
class FileFormat:
    name: str  # the file name in a feed's folder
    label: str
    media_type: str
    # What an entry costs to render in this format, against the others (measured at 1,000
    # items: RSS 0.30 s, Atom 0.27 s, JSON Feed 0.07 s): a large build shares the formats
    # between two processes by it.
    cost: int


FORMATS: dict[FormatName, FileFormat] = {
    "rss": FileFormat("rss.xml", "RSS 2.0", "application/rss+xml", 4),
    "atom": FileFormat("atom.xml", "Atom 1.0", "application/atom+xml", 4),
    "json": FileFormat("feed.json", "JSON Feed 1.1", "application/feed+json", 1),
}

# The only names a build ever writes: anything else under out/ belongs to someone else.
OWNED_NAMES = frozenset({*(f.name for f in FORMATS.values()), INDEX_FILE})


def category_folder(slug: str) -> str:
    """The address folder below public_url of a category's feeds; `slug` is safe as a name."""
    return f"{CATEGORIES_FOLDER}{slug}/"


def archives_folder(feed_folder: str) -> str:
    """The address folder of every archive of the feed in `feed_folder`."""
    return feed_folder + ARCHIVE_FOLDER


def archive_folder(feed_folder: str, week: str) -> str:
    """The address folder of one week's archive of the feed in `feed_folder` ('2024-W23')."""
    return f"{feed_folder}{ARCHIVE_FOLDER}{week}/"


def live_feed_address(path: str) -> str | None:
    """The address below public_url of the public live feed written at out/`path`, the topic
    a WebSub hub is told of; None for anything else: the index page, archives (which no one
    subscribes to), the members' files (never announced to a public hub)."""
    if not path.startswith(PUBLIC_TREE):
        return None
    address = path.removeprefix(PUBLIC_TREE)
    folder, _, name = address.rpartition("/")
    if name not in {f.name for f in FORMATS.values()} or _ARCHIVED.search(folder):
        return None
    return address


def out_path(address: str, members: bool) -> str:
    """Where below out/ the file served at public_url + `address` is written."""
    if members:
        assert address.startswith(MEMBERS_FOLDER), address
        return MEMBERS_TREE + address.removeprefix(MEMBERS_FOLDER)
    return PUBLIC_TREE + address


def moved_to(path: str) -> str | None:
    """Where a file of the old layout (public files at the top of out/) is now written; None
    for a path of the current layout."""
    if path.startswith(SERVED_TREES):
        return None
    return PUBLIC_TREE + path


def public_address(settings: FeedSettings, address: str) -> str:
    """The absolute address of `address` below public_url, e.g. 'categories/asie/rss.xml'."""
    return urljoin(settings.public_url, address)
