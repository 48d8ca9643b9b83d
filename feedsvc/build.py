"""A build: valid items in, every output file's bytes out, then onto disk (or compared with it).

Everything is rendered in memory before the first file is touched, so a failure while
rendering leaves out/ exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from feedsvc import documents, output, xmlfeeds
from feedsvc.documents import FeedDoc
from feedsvc.models import FeedSettings, Lead, Teaser

Writer = Callable[[FeedDoc], bytes]
FORMATS: dict[str, Writer] = {
    xmlfeeds.RSS_FILE: xmlfeeds.rss,
    xmlfeeds.ATOM_FILE: xmlfeeds.atom,
}


@dataclass(frozen=True, slots=True)
class Rendered:
    path: str  # relative to out/, with '/' separators
    data: bytes
    items: int


@dataclass(frozen=True, slots=True)
class FileReport:
    path: str
    status: str  # written, unchanged, differs, missing
    items: int
    size: int

    def __str__(self) -> str:
        return f"{self.status:<9} {self.path} ({self.items} items, {self.size} bytes)"


def feed_documents(items: Sequence[Lead | Teaser], settings: FeedSettings) -> list[FeedDoc]:
    return [documents.main_feed(items, settings)]


def render(items: Sequence[Lead | Teaser], settings: FeedSettings, now: datetime) -> list[Rendered]:
    """Every output file's bytes for the items live at `now`."""
    published = documents.live(items, now)
    rendered = []
    for doc in feed_documents(published, settings):
        for name, writer in FORMATS.items():
            rendered.append(Rendered(doc.path + name, writer(doc), len(doc.entries)))
    return rendered


def write(rendered: Sequence[Rendered], out_dir: Path) -> list[FileReport]:
    reports = []
    for file in rendered:
        written = output.write_if_changed(out_dir / file.path, file.data)
        status = "written" if written else "unchanged"
        reports.append(FileReport(file.path, status, file.items, len(file.data)))
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
    return reports
