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

from feedsvc import feedset, itemfile, output
from feedsvc.documents import EntryDoc, FeedDoc, feed_url, members_entry, public_entry
from feedsvc.feedset import FeedPlan
from feedsvc.formats import FORMATS, INDEX_FILE, Format
from feedsvc.index import Chosen, Index, code_version
from feedsvc.itemfile import ItemFile
from feedsvc.models import FeedSettings

# The only names a build ever writes: anything else under out/ belongs to someone else.
OWNED_NAMES = frozenset({*(f.name for f in FORMATS.values()), INDEX_FILE})
# Folders a build creates and may remove again once they are empty.
OWNED_FOLDERS = (feedset.CATEGORIES_PATH, feedset.MEMBERS_PATH)


class ChangedDuringBuild(RuntimeError):
    """An item file changed between indexing and rendering: the build must start again."""


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
class Output:
    path: str  # relative to out/, '/'-separated
    key: str
    items: int
    render: Callable[[], bytes]


class _Items:
    """Items read back from their files for rendering, each at most once per build, and the
    feed documents made of them, each at most once too."""

    def __init__(self, items_dir: Path, settings: FeedSettings) -> None:
        self.items_dir = items_dir
        self.settings = settings
        self.entries: dict[tuple[str, bool], EntryDoc] = {}
        self.docs: dict[str, FeedDoc] = {}

    def entry(self, chosen: Chosen, members: bool) -> EntryDoc:
        cached = self.entries.get((chosen.path, members))
        if cached is None:
            read = itemfile.read(self.items_dir / chosen.path)
            if not isinstance(read, ItemFile) or read.digest != chosen.digest:
                raise ChangedDuringBuild(f"{self.items_dir / chosen.path} changed during the build")
            make = members_entry if members else public_entry
            cached = self.entries[(chosen.path, members)] = make(read.item, self.settings)
        return cached

    def doc(self, plan: FeedPlan) -> FeedDoc:
        if plan.path not in self.docs:
            entries = tuple(self.entry(chosen, plan.members) for chosen in plan.chosen)
            self.docs[plan.path] = FeedDoc(
                self.settings, plan.title, plan.subtitle, plan.path, entries, plan.kind
            )
        return self.docs[plan.path]


def _key(*parts: object) -> str:
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        hasher.update(repr(part).encode() + b"\0")
    return hasher.hexdigest()


def outputs(index: Index, items_dir: Path, settings: FeedSettings, now: int) -> list[Output]:
    """Every file the build owns, with its key and a way to render it."""
    plans = feedset.plan(index, settings, now)
    items = _Items(items_dir, settings)
    base = (code_version(), settings.model_dump_json())

    def feed(fmt: Format, plan: FeedPlan) -> bytes:
        return fmt.write(items.doc(plan))

    found = []
    listed = []
    for plan in plans:
        for name in settings.formats:
            fmt = FORMATS[name]
            key = _key(*base, fmt.name, plan)
            found.append(
                Output(plan.path + fmt.name, key, len(plan.chosen), partial(feed, fmt, plan))
            )
            listed.append((plan, fmt))
    main = plans[0]

    def front_door() -> bytes:
        from feedsvc import frontdoor  # lxml.html: only when the page is rendered

        files = [
            frontdoor.FeedFile(
                plan.path, plan.kind, plan.title, len(plan.chosen), fmt.name, fmt.label,
                fmt.media_type, feed_url(settings, plan.path, fmt.name),
            )
            for plan, fmt in listed
        ]  # fmt: skip
        return frontdoor.render(items.doc(main), files)

    index_key = _key(*base, [(p.path, p.title, len(p.chosen)) for p in plans], main)
    found.append(Output(INDEX_FILE, index_key, len(main.chosen), front_door))
    return found


def _owned_files(out_dir: Path) -> Iterator[str]:
    """Files where a build writes them, whether or not this build still wants them: feed and
    index names at the top of out/, in members/ and in categories/<slug>/, nowhere else."""
    folders = [out_dir, out_dir / feedset.MEMBERS_PATH]
    categories = out_dir / feedset.CATEGORIES_PATH
    if categories.is_dir() and not categories.is_symlink():
        folders += sorted(p for p in categories.iterdir() if p.is_dir() and not p.is_symlink())
    for folder in folders:
        for name in sorted(OWNED_NAMES):
            path = folder / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(out_dir).as_posix()


def _stale(planned: list[Output], out_dir: Path) -> list[str]:
    wanted = {file.path for file in planned}
    return sorted(path for path in _owned_files(out_dir) if path not in wanted)


def _remove_empty_folders(out_dir: Path) -> None:
    categories = out_dir / feedset.CATEGORIES_PATH
    if categories.is_dir() and not categories.is_symlink():
        for folder in categories.iterdir():
            if folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
                folder.rmdir()
    for owned in OWNED_FOLDERS:
        top = out_dir / owned
        if top.is_dir() and not top.is_symlink() and not any(top.iterdir()):
            top.rmdir()


def _as_remembered(index: Index, out_dir: Path, file: Output) -> bool:
    remembered = index.output(file.path)
    if remembered is None or remembered[0] != file.key:
        return False
    try:
        stat = os.stat(out_dir / file.path)
    except FileNotFoundError:
        return False
    return (stat.st_size, stat.st_mtime_ns) == remembered[1:]


def write(index: Index, planned: list[Output], out_dir: Path) -> list[FileReport]:
    output.remove_leftovers(out_dir)
    rendered = []
    for file in planned:  # every byte is ready before the first file is replaced
        if not _as_remembered(index, out_dir, file):
            rendered.append((file, file.render()))
    for folder in sorted({(out_dir / file.path).parent for file, _ in rendered}):
        folder.mkdir(parents=True, exist_ok=True)  # a folder that cannot be made fails here
    reports = {file.path: FileReport(file.path, "unchanged", file.items, -1) for file in planned}
    for file, data in rendered:
        written = output.write_if_changed(out_dir / file.path, data)
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


def check(planned: list[Output], out_dir: Path) -> list[FileReport]:
    """What a build would change in out/, without changing it: every file is rendered."""
    reports = []
    for file in planned:
        data = file.render()
        try:
            existing = output.current(out_dir / file.path)
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
