"""A build: the planned feeds rendered, and out/ brought to exactly what the items say.

Each output has a key: a hash of everything its bytes depend on (feedsvc's code, the settings,
the format, and the id and digest of every item it carries, in order). An output whose key and
file are as the index last saw them is neither rendered nor read; the rest are rendered in
memory and replaced atomically, only when their bytes change. A feed whose category or format
is gone is removed, and nothing feedsvc did not write is touched.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from feedsvc.index import Index, code_version
from feedsvc.items import read_again
from feedsvc.model import FeedSettings, FormatName
from feedsvc.publish import _atomic
from feedsvc.publish._layout import (
    CATEGORIES_FOLDER,
    FORMATS,
    INDEX_FILE,
    MEMBERS_FOLDER,
    OWNED_FOLDERS,
    OWNED_NAMES,
    public_address,
)
from feedsvc.publish._plan import FeedPlan, plan
from feedsvc.publish.writers import EntryDoc, FeedDoc, FeedFile, render_feed, render_index_page

__all__ = ["FileReport", "PlannedFile", "compare", "planned_files", "publish"]


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


@dataclass(frozen=True, slots=True)
class PlannedFile:
    path: str  # relative to out/, '/'-separated
    key: str
    items: int
    render: Callable[[], bytes]


class _Documents:
    """The feed documents of one build, each made at most once, from entries each made at
    most once: the items chosen are read again from their files (the index keeps only what
    chooses them, so memory stays flat however large the archive)."""

    def __init__(self, items_dir: Path, settings: FeedSettings) -> None:
        self.items_dir = items_dir
        self.settings = settings
        self.entries: dict[tuple[str, bool], EntryDoc] = {}
        self.docs: dict[str, FeedDoc] = {}

    def entry(self, path: str, digest: str, members: bool) -> EntryDoc:
        cached = self.entries.get((path, members))
        if cached is None:
            item = read_again(self.items_dir / path, digest)
            cached = EntryDoc.from_item(item, self.settings, members=members)
            self.entries[(path, members)] = cached
        return cached

    def doc(self, plan: FeedPlan) -> FeedDoc:
        if plan.folder not in self.docs:
            members = plan.kind == "members"
            entries = tuple(self.entry(c.path, c.digest, members) for c in plan.chosen)
            self.docs[plan.folder] = FeedDoc(
                self.settings, plan.title, plan.subtitle, plan.folder, entries, plan.kind
            )
        return self.docs[plan.folder]


def _key(*parts: object) -> str:
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        hasher.update(repr(part).encode() + b"\0")
    return hasher.hexdigest()


def planned_files(
    index: Index, items_dir: Path, settings: FeedSettings, now: int
) -> list[PlannedFile]:
    """Every file the build owns, with its key and a way to render it."""
    plans = plan(index, settings, now)
    documents = _Documents(items_dir, settings)
    base = (code_version(), settings.model_dump_json())

    def feed(format_name: FormatName, feed_plan: FeedPlan) -> bytes:
        return render_feed(format_name, documents.doc(feed_plan))

    found = []
    listed = []
    for feed_plan in plans:
        for name in settings.formats:
            file_name = FORMATS[name].name
            key = _key(*base, file_name, feed_plan)
            render = partial(feed, name, feed_plan)
            found.append(
                PlannedFile(feed_plan.folder + file_name, key, len(feed_plan.chosen), render)
            )
            listed.append((feed_plan, name))
    main = plans[0]

    def index_page() -> bytes:
        files = [
            FeedFile(
                p.folder, p.kind, p.title, len(p.chosen), FORMATS[name].name, FORMATS[name].label,
                FORMATS[name].media_type, public_address(settings, p.folder + FORMATS[name].name),
            )
            for p, name in listed
        ]  # fmt: skip
        return render_index_page(documents.doc(main), files)

    index_key = _key(*base, [(p.folder, p.title, len(p.chosen)) for p in plans], main)
    found.append(PlannedFile(INDEX_FILE, index_key, len(main.chosen), index_page))
    return found


def _owned_files(out_dir: Path) -> Iterator[str]:
    """Files where a build writes them, whether or not this build still wants them: feed and
    index names at the top of out/, in members/ and in categories/<slug>/, nowhere else."""
    folders = [out_dir, out_dir / MEMBERS_FOLDER]
    categories = out_dir / CATEGORIES_FOLDER
    if categories.is_dir() and not categories.is_symlink():
        folders += sorted(p for p in categories.iterdir() if p.is_dir() and not p.is_symlink())
    for folder in folders:
        for name in sorted(OWNED_NAMES):
            path = folder / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(out_dir).as_posix()


def _stale(planned: list[PlannedFile], out_dir: Path) -> list[str]:
    wanted = {file.path for file in planned}
    return sorted(path for path in _owned_files(out_dir) if path not in wanted)


def _remove_empty_folders(out_dir: Path) -> None:
    categories = out_dir / CATEGORIES_FOLDER
    if categories.is_dir() and not categories.is_symlink():
        for folder in categories.iterdir():
            if folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
                folder.rmdir()
    for owned in OWNED_FOLDERS:
        top = out_dir / owned
        if top.is_dir() and not top.is_symlink() and not any(top.iterdir()):
            top.rmdir()


def _as_remembered(index: Index, out_dir: Path, file: PlannedFile) -> bool:
    remembered = index.written(file.path)
    if remembered is None or remembered[0] != file.key:
        return False
    try:
        stat = os.stat(out_dir / file.path)
    except FileNotFoundError:
        return False
    return (stat.st_size, stat.st_mtime_ns) == remembered[1:]


def publish(index: Index, planned: list[PlannedFile], out_dir: Path) -> list[FileReport]:
    """Bring out/ to the planned files: changed ones replaced atomically, stale ones removed."""
    _atomic.remove_leftovers(out_dir)
    rendered = []
    for file in planned:  # every byte is ready before the first file is replaced
        if not _as_remembered(index, out_dir, file):
            rendered.append((file, file.render()))
    for folder in sorted({(out_dir / file.path).parent for file, _ in rendered}):
        folder.mkdir(parents=True, exist_ok=True)  # a folder that cannot be made fails here
    reports = {file.path: FileReport(file.path, "unchanged", file.items, -1) for file in planned}
    for file, data in rendered:
        written = _atomic.write_if_changed(out_dir / file.path, data)
        stat = os.stat(out_dir / file.path)
        index.remember(file.path, file.key, stat.st_size, stat.st_mtime_ns)
        status = "written" if written else "unchanged"
        reports[file.path] = FileReport(file.path, status, file.items, len(data))
    for report in reports.values():
        if report.size < 0:
            size = (out_dir / report.path).stat().st_size
            reports[report.path] = FileReport(report.path, report.status, report.items, size)
    found = list(reports.values())
    for path in _stale(planned, out_dir):
        (out_dir / path).unlink()
        index.forget(path)
        found.append(FileReport(path, "removed", 0, 0))
    _remove_empty_folders(out_dir)
    return found


def compare(planned: list[PlannedFile], out_dir: Path) -> list[FileReport]:
    """What a build would change in out/, without changing it: every file is rendered."""
    reports = []
    for file in planned:
        data = file.render()
        try:
            existing = _atomic.current(out_dir / file.path)
        except OSError:  # a folder, or unreadable, where the file should be
            existing = b""
        if existing is None:
            status = "missing"
        elif existing != data:
            status = "differs"
        else:
            status = "unchanged"
        reports.append(FileReport(file.path, status, file.items, len(data)))
    reports.extend(FileReport(path, "stale", 0, 0) for path in _stale(planned, out_dir))
    return reports
