"""A build: the planned feeds rendered, and out/ brought to exactly what the items say.

Each output has a key: a hash of everything its bytes depend on (feedsvc's code, the settings,
the format, and the id and digest of every item it carries, in order). An output whose key and
file are as the index last saw them is neither rendered nor read; the rest are rendered in
memory and replaced atomically, only when their bytes change. A feed whose category or format
is gone is removed, and nothing feedsvc did not write is touched.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from feedsvc.index import Index, code_version
from feedsvc.items import read_again
from feedsvc.model import FeedSettings, FormatName
from feedsvc.publish import _atomic
from feedsvc.publish._atomic import feed_folders
from feedsvc.publish._folders import OutTree
from feedsvc.publish._layout import (
    ARCHIVE_FOLDER,
    CATEGORY_PARENTS,
    FORMATS,
    INDEX_FILE,
    MEMBERS_TREE,
    OWNED_NAMES,
    archive_folder,
    moved_to,
    out_path,
    public_address,
)
from feedsvc.publish._plan import FeedPlan, plan
from feedsvc.publish.writers import (
    ArchiveList,
    EntryDoc,
    FeedDoc,
    FeedFile,
    render_feed,
    render_index_page,
)

if TYPE_CHECKING:
    from feedsvc._progress import Progress

__all__ = ["FileReport", "PlannedFile", "compare", "planned_files", "publish"]


@dataclass(frozen=True, slots=True)
class FileReport:
    path: str  # below out/
    status: str  # written, unchanged, removed, moved; with --check: differs, missing, stale
    items: int
    size: int
    to: str = ""  # where a moved file now is

    @property
    def changes(self) -> bool:
        return self.status in ("written", "removed", "moved", "differs", "missing", "stale")


@dataclass(frozen=True, slots=True)
class PlannedFile:
    path: str  # below out/, '/'-separated, from the layout: "public/categories/asie/rss.xml"
    key: str
    items: int
    render: Callable[[], bytes]
    month: str = ""  # of an archive: written a month at a time, before the live files


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
            # No hub for the members' feed: a hub fetches what it is told of and hands it to
            # anyone who subscribes, and it could only be told a private address.
            hubs = () if members else self.settings.hub
            newest = archive_folder(plan.folder, plan.archives[-1].name) if plan.archives else None
            self.docs[plan.folder] = FeedDoc(
                self.settings, plan.title, plan.subtitle, plan.folder, entries, plan.kind, hubs,
                prev_archive=newest,
            )  # fmt: skip
        return self.docs[plan.folder]


class _Archives:
    """Archive documents, a month at a time: the entries of a month are made once for every
    feed's archive of it and dropped when the build moves on to the next month, so memory
    holds one month however long the history. Files are asked for month by month."""

    def __init__(self, index: Index, items_dir: Path, settings: FeedSettings, now: int) -> None:
        self.index = index
        self.items_dir = items_dir
        self.settings = settings
        self.now = now
        self.month = ""
        self.documents = _Documents(items_dir, settings)
        self.docs: dict[str, FeedDoc] = {}

    def doc(self, plan: FeedPlan, position: int) -> FeedDoc:
        month = plan.archives[position].name
        if month != self.month:
            self.month, self.documents, self.docs = (
                month,
                _Documents(self.items_dir, self.settings),
                {},
            )
        if plan.folder not in self.docs:
            members = plan.kind == "members"
            chosen = self.index.month_items(self.now, month, plan.slug)
            entries = tuple(self.documents.entry(c.path, c.digest, members) for c in chosen)
            before = plan.archives[position - 1].name if position else None
            after = plan.archives[position + 1].name if position + 1 < len(plan.archives) else None
            self.docs[plan.folder] = FeedDoc(
                self.settings, f"{plan.title} : archives {month}", plan.subtitle,
                archive_folder(plan.folder, month), entries, plan.kind,
                archive=True,
                prev_archive=archive_folder(plan.folder, before) if before else None,
                next_archive=archive_folder(plan.folder, after) if after else None,
                current=plan.folder,
            )  # fmt: skip
        return self.docs[plan.folder]


# Settings that change no byte of any output, and those that change no archive's: leaving
# them out of the keys keeps a change of them from rendering every archive again.
_NOT_IN_BYTES = {"ping", "ping_timeout"}
_NOT_IN_ARCHIVES = _NOT_IN_BYTES | {"hub", "limit", "category_limit", "members_limit"}


def _archive_files(
    plans: list[FeedPlan], archives: _Archives, settings: FeedSettings
) -> list[PlannedFile]:
    """Every archive file, month by month (oldest first), each month's feeds together."""
    # Hashed once: thousands of archive keys share it.
    base = (_key(code_version(), settings.model_dump_json(exclude=_NOT_IN_ARCHIVES)),)

    def render(format_name: FormatName, feed_plan: FeedPlan, position: int) -> bytes:
        return render_feed(format_name, archives.doc(feed_plan, position))

    found = []
    for feed_plan in plans:
        months = feed_plan.archives
        for position, month in enumerate(months):
            before = months[position - 1].name if position else None
            after = months[position + 1].name if position + 1 < len(months) else None
            folder = archive_folder(feed_plan.folder, month.name)
            for name in settings.formats:
                file_name = FORMATS[name].name
                key = _key(
                    *base, file_name, feed_plan.kind, feed_plan.folder, feed_plan.title,
                    feed_plan.subtitle, month, before, after,
                )  # fmt: skip
                path = out_path(folder + file_name, feed_plan.members)
                renderer = partial(render, name, feed_plan, position)
                found.append(PlannedFile(path, key, month.items, renderer, month.name))
    found.sort(key=lambda file: file.month)  # stable: each month's feeds stay in plan order
    return found


def _archive_lists(plans: list[FeedPlan], settings: FeedSettings) -> list[ArchiveList]:
    """What the index page says of the public feeds' archives."""
    name = FORMATS["atom"].name if "atom" in settings.formats else FORMATS[settings.formats[0]].name
    return [
        ArchiveList(
            p.kind, p.title,
            tuple((m.name, archive_folder(p.folder, m.name) + name, m.items) for m in p.archives),
        )
        for p in plans
        if p.archives and not p.members
    ]  # fmt: skip


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
    base = (code_version(), settings.model_dump_json(exclude=_NOT_IN_BYTES))

    def feed(format_name: FormatName, feed_plan: FeedPlan) -> bytes:
        return render_feed(format_name, documents.doc(feed_plan))

    found = []
    listed = []
    for feed_plan in plans:
        newest = feed_plan.archives[-1].name if feed_plan.archives else None
        for name in settings.formats:
            file_name = FORMATS[name].name
            key = _key(
                *base, file_name, feed_plan.kind, feed_plan.folder, feed_plan.title,
                feed_plan.subtitle, feed_plan.chosen, newest,
            )  # fmt: skip
            render = partial(feed, name, feed_plan)
            path = out_path(feed_plan.folder + file_name, feed_plan.members)
            found.append(PlannedFile(path, key, len(feed_plan.chosen), render))
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
        return render_index_page(documents.doc(main), files, archive_lists)

    archive_lists = _archive_lists(plans, settings)
    index_key = _key(
        *base, [(p.folder, p.title, len(p.chosen)) for p in plans], main.chosen, archive_lists
    )
    found.append(PlannedFile(out_path(INDEX_FILE, False), index_key, len(main.chosen), index_page))
    return found + _archive_files(plans, _Archives(index, items_dir, settings, now), settings)


def _split(path: str) -> tuple[str, str]:
    """'public/categories/asie/rss.xml' -> ('public/categories/asie/', 'rss.xml')."""
    folder, _, name = path.rpartition("/")
    return (folder + "/" if folder else ""), name


def _by_folder(paths: Iterable[str]) -> dict[str, list[str]]:
    folders: dict[str, list[str]] = {}
    for path in paths:
        folder, name = _split(path)
        folders.setdefault(folder, []).append(name)
    return folders


def _owned_files(tree: OutTree) -> Iterator[str]:
    """Files where a build writes them, or wrote them before out/public/, whether or not this
    build still wants them: feed and index names in the feed folders, nowhere else."""
    for rel in feed_folders(tree):
        with tree.folder(rel, look=True) as folder:
            if folder is not None:
                # One listing rather than a look per name: thousands of month folders.
                for name in sorted(OWNED_NAMES.intersection(tree.names(folder))):
                    if tree.is_file(folder, name):
                        yield rel + name


def _stale(planned: list[PlannedFile], tree: OutTree) -> list[str]:
    wanted = {file.path for file in planned}
    return sorted(path for path in _owned_files(tree) if path not in wanted)


def _remove(tree: OutTree, path: str) -> None:
    """Remove a file, or an empty folder ('a/b/'), of out/: never a link, never through one."""
    rel, name = _split(path.rstrip("/"))
    with tree.folder(rel, look=True) as folder:
        if folder is None:
            return
        if not path.endswith("/") and tree.is_file(folder, name):
            os.unlink(name, dir_fd=folder)
        elif path.endswith("/") and tree.is_folder(folder, name):
            with suppress(OSError):  # not empty: someone else's files are in it
                os.rmdir(name, dir_fd=folder)


def _remove_empty_folders(tree: OutTree) -> None:
    folders = feed_folders(tree)
    for rel in folders:  # month folders first: each is listed after its feed's folder
        if ARCHIVE_FOLDER in rel:
            _remove(tree, rel)
    for rel in folders:
        if ARCHIVE_FOLDER not in rel:
            _remove(tree, rel + ARCHIVE_FOLDER)
    for rel in folders:
        if rel.startswith(CATEGORY_PARENTS) and ARCHIVE_FOLDER not in rel:
            _remove(tree, rel)
    for rel in (*CATEGORY_PARENTS, MEMBERS_TREE):
        _remove(tree, rel)


def _survey(tree: OutTree, planned: list[PlannedFile]) -> dict[str, os.stat_result | None]:
    """Each planned file as it stands in out/, found without following a link, and before
    anything is written: a link on the way to any of them is refused, a folder in a file's
    place too."""
    found: dict[str, os.stat_result | None] = {}
    for rel, names in _by_folder(file.path for file in planned).items():
        with tree.folder(rel) as folder:
            for name in names:
                entry = None if folder is None else tree.entry(folder, name, rel + name)
                if entry is not None and not stat.S_ISREG(entry.st_mode):
                    where = str(tree.out_dir / rel / name)
                    raise IsADirectoryError(errno.EISDIR, "not a regular file", where)
                found[rel + name] = entry
    return found


def _as_remembered(index: Index, file: PlannedFile, entry: os.stat_result | None) -> bool:
    remembered = index.written(file.path)
    if remembered is None or remembered[0] != file.key or entry is None:
        return False
    return (entry.st_size, entry.st_mtime_ns) == remembered[1:]


def _write(
    index: Index,
    tree: OutTree,
    rendered: dict[str, tuple[PlannedFile, bytes]],
    progress: Progress | None = None,
) -> dict[str, FileReport]:
    """Replace the rendered files whose bytes change, in folder order; every folder is made,
    or refused, before the first file is replaced."""
    folders = _by_folder(rendered)
    written = set()
    with _atomic.writer(tree) as writer:
        for rel in folders:
            with tree.folder(rel, create=True):
                pass
        for rel, names in folders.items():
            with tree.folder(rel, create=True) as folder:
                assert folder is not None
                for name in names:
                    file, data = rendered[rel + name]
                    if writer.write_if_changed(folder, name, file.path, data):
                        written.add(file.path)
    reports = {}
    for rel, names in folders.items():  # as they now are, to know them unchanged next time
        with tree.folder(rel) as folder:
            assert folder is not None
            for name in names:
                file, data = rendered[rel + name]
                entry = tree.entry(folder, name, file.path)
                assert entry is not None
                index.remember(file.path, file.key, entry.st_size, entry.st_mtime_ns)
                status = "written" if file.path in written else "unchanged"
                reports[file.path] = FileReport(file.path, status, file.items, len(data))
                if progress is not None:
                    progress("write", len(reports), len(rendered))
    return reports


def _rendered(
    files: list[PlannedFile], progress: Progress | None
) -> Iterator[tuple[PlannedFile, bytes]]:
    for done, file in enumerate(files, 1):
        data = file.render()
        if progress is not None:
            progress("render", done, len(files))
        yield file, data


def publish(
    index: Index, planned: list[PlannedFile], out_dir: Path, progress: Progress | None = None
) -> list[FileReport]:
    """Bring out/ to the planned files: changed ones replaced atomically, stale ones removed,
    and the files of the layout before out/public/ moved into it."""
    with OutTree(out_dir) as tree:
        _atomic.remove_leftovers(tree)
        found = _survey(tree, planned)
        todo = [file for file in planned if not _as_remembered(index, file, found[file.path])]
        reports: dict[str, FileReport] = {}
        # Archives a month at a time, so that memory holds one month's files however long
        # the history. A month new to out/ goes before the live files, which may link to it;
        # the rest after them, so that an edit reaches the live feeds first. A build stopped
        # anywhere leaves every link pointing at a file that exists.
        months: dict[str, list[PlannedFile]] = {}
        for file in todo:
            if file.month:
                months.setdefault(file.month, []).append(file)
        opened = {m for m, files in months.items() if any(found[f.path] is None for f in files)}
        for files in (months[month] for month in opened):
            reports |= _write(index, tree, {file.path: (file, file.render()) for file in files})
        live = [file for file in todo if not file.month]
        # Every byte of the live files is ready before the first is replaced.
        rendered = {file.path: (file, data) for file, data in _rendered(live, progress)}
        reports |= _write(index, tree, rendered, progress)
        for month, files in months.items():
            if month not in opened:
                reports |= _write(index, tree, {f.path: (f, f.render()) for f in files})
        for file in planned:
            entry = found[file.path]
            if file.path not in reports and entry is not None:
                reports[file.path] = FileReport(file.path, "unchanged", file.items, entry.st_size)
        result = [reports[file.path] for file in planned]
        wanted = set(reports)
        stale = _stale(planned, tree)
        for path in stale:
            _remove(tree, path)
            index.forget(path)
            new = moved_to(path)
            if new in wanted:
                result.append(FileReport(path, "moved", 0, 0, to=new))
            else:
                result.append(FileReport(path, "removed", 0, 0))
        _remove_empty_folders(tree)
    return result


def compare(
    planned: list[PlannedFile], out_dir: Path, progress: Progress | None = None
) -> list[FileReport]:
    """What a build would change in out/, without changing it: every file is rendered."""
    reports = []
    with OutTree(out_dir) as tree:
        for file, data in _rendered(planned, progress):
            rel, name = _split(file.path)
            try:
                with tree.folder(rel) as folder:
                    existing = None if folder is None else tree.read(folder, name, file.path)
            except (IsADirectoryError, NotADirectoryError):  # a folder where a file should be
                existing = b""
            if existing is None:
                status = "missing"
            elif existing != data:
                status = "differs"
            else:
                status = "unchanged"
            reports.append(FileReport(file.path, status, file.items, len(data)))
        reports.extend(FileReport(path, "stale", 0, 0) for path in _stale(planned, tree))
    return reports
