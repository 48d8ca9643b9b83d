"""A build: valid items in, every output file's bytes out, then onto disk (or compared with it).

Everything is rendered in memory before the first file is touched, so a failure while
rendering leaves out/ exactly as it was. out/ then holds exactly what the items say: a feed
whose category or format is gone is removed, and nothing feedsvc did not write is touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from feedsvc import feedset, frontdoor, jsonfeed, output, xmlfeeds
from feedsvc.documents import FeedDoc
from feedsvc.frontdoor import FeedFile
from feedsvc.models import FeedSettings, Lead, Teaser


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    label: str
    media_type: str
    write: Callable[[FeedDoc], bytes]


FORMATS = {
    "rss": Format(xmlfeeds.RSS_FILE, "RSS 2.0", xmlfeeds.RSS_TYPE, xmlfeeds.rss),
    "atom": Format(xmlfeeds.ATOM_FILE, "Atom 1.0", xmlfeeds.ATOM_TYPE, xmlfeeds.atom),
    "json": Format(jsonfeed.JSON_FILE, "JSON Feed 1.1", jsonfeed.JSON_TYPE, jsonfeed.render),
}
# The only names a build ever writes: anything else under out/ belongs to someone else.
OWNED_NAMES = frozenset({*(f.name for f in FORMATS.values()), frontdoor.INDEX_FILE})
# Folders a build creates and may remove again once they are empty.
OWNED_FOLDERS = (feedset.CATEGORIES_PATH, feedset.MEMBERS_PATH)


@dataclass(frozen=True, slots=True)
class Rendered:
    path: str  # relative to out/, with '/' separators
    data: bytes
    items: int


@dataclass(frozen=True, slots=True)
class FileReport:
    path: str
    status: str  # written, unchanged, removed; with --check: differs, missing, stale
    items: int
    size: int

    @property
    def changes(self) -> bool:
        return self.status in ("written", "removed", "differs", "missing", "stale")

    def line(self, out_dir: Path) -> str:
        where = out_dir / self.path
        if self.status in ("removed", "stale"):
            return f"{self.status:<9} {where}"
        return f"{self.status:<9} {where} ({self.items} items, {self.size} bytes)"


def render(items: Sequence[Lead | Teaser], settings: FeedSettings, now: datetime) -> list[Rendered]:
    """Every output file's bytes for the items live at `now`."""
    docs = feedset.plan(feedset.live(items, now), settings)
    formats = [FORMATS[name] for name in settings.formats]
    rendered = []
    listed = []
    for doc in docs:
        for fmt in formats:
            rendered.append(Rendered(doc.path + fmt.name, fmt.write(doc), len(doc.entries)))
            listed.append(FeedFile(doc, fmt.name, fmt.label, fmt.media_type))
    main = docs[0]
    index = frontdoor.render(main, listed)
    rendered.append(Rendered(frontdoor.INDEX_FILE, index, len(main.entries)))
    return rendered


def _owned_files(out_dir: Path) -> Iterator[str]:
    """Files under out/ that a build writes, whether or not this build still wants them."""
    if not out_dir.is_dir():
        return
    for path in out_dir.rglob("*"):
        if path.name in OWNED_NAMES and path.is_file() and not path.is_symlink():
            yield path.relative_to(out_dir).as_posix()


def _stale(rendered: Sequence[Rendered], out_dir: Path) -> list[str]:
    wanted = {file.path for file in rendered}
    return sorted(path for path in _owned_files(out_dir) if path not in wanted)


def _remove_empty_folders(out_dir: Path) -> None:
    for owned in OWNED_FOLDERS:
        top = out_dir / owned
        if not top.is_dir():
            continue
        for folder in sorted(top.rglob("*"), reverse=True):  # deepest first
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        if not any(top.iterdir()):
            top.rmdir()


def write(rendered: Sequence[Rendered], out_dir: Path) -> list[FileReport]:
    output.remove_leftovers(out_dir)
    reports = []
    for file in rendered:
        written = output.write_if_changed(out_dir / file.path, file.data)
        status = "written" if written else "unchanged"
        reports.append(FileReport(file.path, status, file.items, len(file.data)))
    for path in _stale(rendered, out_dir):
        (out_dir / path).unlink()
        reports.append(FileReport(path, "removed", 0, 0))
    _remove_empty_folders(out_dir)
    return reports


def check(rendered: Sequence[Rendered], out_dir: Path) -> list[FileReport]:
    """What a build would change in out/, without changing it."""
    reports = []
    for file in rendered:
        existing = output.current(out_dir / file.path)
        if existing is None:
            status = "missing"
        elif existing != file.data:
            status = "differs"
        else:
            status = "unchanged"
        reports.append(FileReport(file.path, status, file.items, len(file.data)))
    reports.extend(FileReport(path, "stale", 0, 0) for path in _stale(rendered, out_dir))
    return reports
