"""The files a build owns: each with its path under out/, its key, and a way to render it.

Each output has a key: a hash of everything its bytes depend on (feedsvc's code, the settings,
the format, and the id and digest of every item it carries, in order). An output whose key and
file are as the index last saw them is neither rendered nor read.
"""

from __future__ import annotations

import gc
import hashlib
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from feedsvc.index import Chosen, FileRecord, Index, code_version, content_hash, items_again
from feedsvc.items import read_again
from feedsvc.model import FeedSettings, FormatName, Lead, Teaser
from feedsvc.publish._archive_patch import patched
from feedsvc.publish._layout import (
    FORMATS,
    INDEX_FILE,
    archive_folder,
    archives_folder,
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
    shows_whole,
)

__all__ = ["PlannedFile", "Seals", "planned_files", "stamp"]


@dataclass(frozen=True, slots=True)
class PlannedFile:
    path: str  # below out/, '/'-separated, from the layout: "public/categories/asie/rss.xml"
    key: str
    items: int
    render: Callable[[], bytes]
    week: str = ""  # of an archive: written a week at a time, before the live files
    # Makes what render() shares with other files (its feed's document, the entries): called
    # before rendering is shared between processes, so that each is made once.
    prepare: Callable[[], object] | None = None


class _Documents:
    """The feed documents of one build, each made at most once, from entries each made at
    most once: the items chosen are read again from their files (the index keeps only what
    chooses them, so memory stays flat however large the archive), each once, and its entry
    made once per way a feed may show it (shows_whole), its body rendered then. An item this
    build's sync has just parsed from the very bytes the index recorded (same digest) is not
    read again."""

    def __init__(
        self,
        items_dir: Path,
        settings: FeedSettings,
        parsed: Mapping[str, tuple[str, Lead | Teaser]],
    ) -> None:
        self.items_dir = items_dir
        self.settings = settings
        self.parsed = parsed
        self.items: dict[str, Lead | Teaser] = {}
        self.read_ahead_done = False
        self.entries: dict[tuple[str, bool], EntryDoc] = {}
        self.docs: dict[str, FeedDoc] = {}

    def _read(self, path: str, digest: str) -> Lead | Teaser:
        known = self.parsed.get(path)
        if known is not None and known[0] == digest:
            return known[1]
        return read_again(self.items_dir / path, digest)

    def entry(self, path: str, digest: str, members: bool) -> EntryDoc:
        # Each item read once for the public and the members' feeds; a public item's entry,
        # the same in both, made once (its body's HTML with it).
        item = self.items.get(path)
        if item is None:
            item = self.items[path] = self._read(path, digest)
        whole = shows_whole(item, members)
        cached = self.entries.get((path, whole))
        if cached is None:
            cached = EntryDoc.from_item(item, self.settings, members=members)
            self.entries[(path, whole)] = cached
        return cached

    def read_ahead(self, plans: list[FeedPlan]) -> None:
        """Every item `plans` choose, and this build has not parsed, read now: by worker
        processes when there are many (the sync's pool parsed them, and kept none)."""
        wanted = {
            c.path: c.digest
            for p in plans
            for c in p.chosen
            if c.path not in self.items and self.parsed.get(c.path, ("",))[0] != c.digest
        }
        self.items.update(items_again(self.items_dir, list(wanted.items())))

    def prepare(self, plans: list[FeedPlan], plan: FeedPlan) -> FeedDoc:
        if not self.read_ahead_done:
            self.read_ahead_done = True
            self.read_ahead(plans)
        return self.doc(plan)

    def doc(self, plan: FeedPlan) -> FeedDoc:
        if plan.folder not in self.docs:
            members = plan.kind == "members"
            entries = tuple(self.entry(c.path, c.digest, members) for c in plan.chosen)
            # No hub for the members' feed: a hub fetches what it is told of and hands it to
            # anyone who subscribes, and it could only be told a private address.
            hubs = () if members else self.settings.hub
            week = plan.history.newest
            newest = archive_folder(plan.folder, week) if week else None
            self.docs[plan.folder] = FeedDoc(
                self.settings, plan.title, plan.subtitle, plan.folder, entries, plan.kind, hubs,
                prev_archive=newest,
            )  # fmt: skip
        return self.docs[plan.folder]


class _Archives:
    """Archive documents, a week at a time: the entries of a week are made once for every
    feed's archive of it and dropped when the build moves on to the next week, so memory
    holds one week however long the history. Files are asked for week by week. With
    `out_dir`, an archive this index recorded writing is patched rather than rendered (see
    _archive_patch.py); every archive rendered is recorded for the next edit."""

    def __init__(
        self, index: Index, items_dir: Path, settings: FeedSettings, now: int,
        out_dir: Path | None = None,
    ) -> None:  # fmt: skip
        self.index = index
        self.items_dir = items_dir
        self.settings = settings
        self.now = now
        self.out_dir = out_dir
        self.week = ""
        self.documents = _Documents(items_dir, settings, index.just_parsed)
        self.docs: dict[str, FeedDoc] = {}
        self.chosen: dict[str, list[Chosen]] = {}

    def _items(self, plan: FeedPlan, position: int) -> list[Chosen]:
        week = plan.archives[position].name
        if week != self.week:
            if self.week and not gc.isenabled():
                # A one-shot build runs without the cyclic collector (_procs.py), but a week's
                # documents leave reference cycles behind (feedgen's and lxml's objects): 5 GB
                # at 100,000 items unless they are collected once the build moves on to the
                # next week; only what was made since the last week is scanned. Not before
                # the first week: there is nothing of a week's yet, and everything since
                # the start would be scanned for nothing (0.04 s), though an edit's archives
                # are often one week.
                gc.collect(0)
            self.week, self.documents, self.docs, self.chosen = (
                week,
                _Documents(self.items_dir, self.settings, self.index.just_parsed),
                {},
                {},
            )
        if plan.folder not in self.chosen:
            self.chosen[plan.folder] = self.index.week_items(
                self.now, plan.archives[position], plan.slug
            )
        return self.chosen[plan.folder]

    def _document(self, plan: FeedPlan, position: int, entries: tuple[EntryDoc, ...]) -> FeedDoc:
        week = plan.archives[position].name
        before = plan.archives[position - 1].name if position else None
        after = plan.archives[position + 1].name if position + 1 < len(plan.archives) else None
        return FeedDoc(
            self.settings, f"{plan.title} : archives {week}", plan.subtitle,
            archive_folder(plan.folder, week), entries, plan.kind,
            archive=True,
            prev_archive=archive_folder(plan.folder, before) if before else None,
            next_archive=archive_folder(plan.folder, after) if after else None,
            current=plan.folder,
        )  # fmt: skip

    def _entry(self, plan: FeedPlan) -> Callable[[Chosen], EntryDoc]:
        members = plan.kind == "members"
        return lambda item: self.documents.entry(item.path, item.digest, members)

    def doc(self, plan: FeedPlan, position: int) -> FeedDoc:
        chosen = self._items(plan, position)
        if plan.folder not in self.docs:
            entries = tuple(map(self._entry(plan), chosen))
            self.docs[plan.folder] = self._document(plan, position, entries)
        return self.docs[plan.folder]

    def render(
        self, format_name: FormatName, plan: FeedPlan, position: int, path: str, frame: str,
        content: str,
    ) -> bytes:  # fmt: skip
        chosen = self._items(plan, position)
        done = None
        if self.out_dir is not None:
            done = patched(
                self.index, self.out_dir, path, format_name, frame, chosen, self._entry(plan),
                partial(self._document, plan, position),
            )  # fmt: skip
        if done is None:
            doc = self.doc(plan, position)
            data = render_feed(format_name, doc)
            rows = [
                (c.digest, e.updated.isoformat()) for c, e in zip(chosen, doc.entries, strict=True)
            ]
        else:
            data, rows = done
        if self.out_dir is not None:  # not for --check, which writes nothing
            record = FileRecord(frame, content, content_hash(data))
            self.index.remember_archived(path, record, rows)
        return data


# Settings that change no byte of any output, and those that change no archive's: leaving
# them out of the keys keeps a change of them from rendering every archive again.
_NOT_IN_BYTES = {"ping", "ping_timeout"}
_NOT_IN_ARCHIVES = _NOT_IN_BYTES | {"hub", "limit", "category_limit", "members_limit"}


def _archive_files(
    plans: list[FeedPlan],
    archives: _Archives,
    settings: FeedSettings,
    seals: Seals,
    out_dir: Path | None,
) -> tuple[list[PlannedFile], Seals]:
    """Every archive file of the feeds `plans`, week by week (oldest first), each week's
    feeds together, but those of the weeks found sealed; and `seals` with those weeks
    (kept) and the others (to seal once written)."""
    # Hashed once: thousands of archive keys share it (the formats too, and so the files).
    base = _key(code_version(), settings.model_dump_json(exclude=_NOT_IN_ARCHIVES))

    found = []
    kept, weeks_wanted, files = set(seals.kept), {}, seals.files
    names = tuple(FORMATS[name].name for name in settings.formats)
    for feed_plan in plans:
        feed = (base, feed_plan.kind, feed_plan.folder, feed_plan.title, feed_plan.subtitle)
        weeks = feed_plan.archives
        # None with --check, which compares every file.
        stored = None if out_dir is None else archives.index.week_seals(_archives_of(feed_plan))
        for position, week in enumerate(weeks):
            before = weeks[position - 1].name if position else None
            after = weeks[position + 1].name if position + 1 < len(weeks) else None
            # One hash per week, whatever the formats, of its fields rather than the
            # dataclass's repr: thousands of weeks. It keys the week's files, and seals them.
            week_key = _key(*feed, week.name, week.digest, week.items, before, after)
            week_folder = out_path(archive_folder(feed_plan.folder, week.name), feed_plan.members)
            if stored is not None and out_dir is not None:
                if stored.get(week_folder) == f"{week_key}:{stamp(out_dir, week_folder, names)}":
                    kept.add(week_folder)
                    files += len(names)
                    continue
                weeks_wanted[week_folder] = week_key
            # What an archive kept on disk must share to be patched (_archive_patch.py), and
            # which items it holds.
            frame = _key(*feed, week.name)
            content = _key(week.digest, week.items)
            for name in settings.formats:
                file_name = FORMATS[name].name
                key = f"{week_key}:{file_name}"
                path = week_folder + file_name
                renderer = partial(
                    archives.render, name, feed_plan, position, path, f"{frame}:{file_name}",
                    content,
                )  # fmt: skip
                found.append(PlannedFile(path, key, week.items, renderer, week.name))
    found.sort(key=lambda file: file.week)  # stable: each week's feeds stay in plan order
    return found, replace(seals, kept=frozenset(kept), weeks=weeks_wanted, names=names, files=files)


def _archive_lists(plans: list[FeedPlan], settings: FeedSettings) -> list[ArchiveList]:
    """What the index page says of the public feeds' archives."""
    name = FORMATS["atom"].name if "atom" in settings.formats else FORMATS[settings.formats[0]].name
    return [
        ArchiveList(
            p.kind, p.title,
            tuple((m.name, archive_folder(p.folder, m.name) + name, m.items) for m in p.archives),
        )
        for p in plans
        if p.history.newest and not p.members
    ]  # fmt: skip


def _key(*parts: object) -> str:
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        hasher.update(repr(part).encode() + b"\0")
    return hasher.hexdigest()


@dataclass(frozen=True, slots=True)
class Seals:
    """Each feed's archives summed up in one seal: a key over every key of its archive files
    (the settings and feed they share, each week's digest, what of it is live, and so the
    chain's links) and the stamp of its archive folder in out/ (device, inode, time: a week
    folder made, removed or renamed there changes it). A feed whose seal is the one stored
    has its archives as this index last wrote them, so a build neither plans nor looks at
    its thousands of files. The others are looked at week by week: each week has a seal of
    its own, a key over its files' keys and the stamp of its folder (a file replaced, added
    or removed there changes it), and a week whose seal is the one stored is not planned
    either, so that an edit looks at the weeks it changes only. What is planned is sealed
    once written."""

    wanted: dict[str, str]  # archive folder below out/ -> its seal, every feed with archives
    listed: str  # a key over what the index page lists of them (each week's name and items)
    # Archive folders, and week folders of the others, found sealed: their files not planned.
    kept: frozenset[str] = frozenset()
    # Week folder below out/ -> its seal, of each week planned: a key over its files' keys.
    weeks: dict[str, str] = field(default_factory=dict)
    names: tuple[str, ...] = ()  # the files of a week folder, one per format
    # How many archive files `kept` holds: one per format in each week, as they were written.
    files: int = 0

    @property
    def opened(self) -> frozenset[str]:
        """The archive folders whose seal did not hold: their weeks are looked at one by one."""
        return frozenset(self.wanted.keys() - self.kept)

    def stamped(self, out_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
        """The seals to store once every file is written, archive folders' and weeks', each
        with its stamp as it is then."""
        return (
            {
                f: f"{seal}:{stamp(out_dir, f)}"
                for f, seal in self.wanted.items()
                if f not in self.kept
            },
            {f: f"{seal}:{stamp(out_dir, f, self.names)}" for f, seal in self.weeks.items()},
        )


def _archives_of(feed_plan: FeedPlan) -> str:
    """The folder below out/ of a feed's archives."""
    return out_path(archives_folder(feed_plan.folder), feed_plan.members)


def stamp(out_dir: Path, folder: str, names: tuple[str, ...] = ()) -> str | None:
    """Of a folder below out/: its device, inode and time, and those of its files `names`,
    with their sizes (a week's files: one edited in place moves no folder's time)."""
    try:
        found = os.lstat(out_dir / folder)
    except OSError:
        return None
    if not stat.S_ISDIR(found.st_mode):
        return None
    parts = [f"{found.st_dev}:{found.st_ino}:{found.st_mtime_ns}"]
    for name in names:
        try:
            file = os.lstat(f"{out_dir}/{folder}{name}")
        except OSError:
            parts.append("-")
        else:
            parts.append(f"{file.st_mode}:{file.st_ino}:{file.st_size}:{file.st_mtime_ns}")
    return " ".join(parts)


def _seals(
    index: Index, plans: list[FeedPlan], settings: FeedSettings, out_dir: Path | None
) -> Seals:
    """The seal each feed's archives should have, and those found with it."""
    base = _key(code_version(), settings.model_dump_json(exclude=_NOT_IN_ARCHIVES))
    wanted = {}
    listed: list[object] = []
    for feed_plan in plans:
        history = feed_plan.history
        if not history.newest:
            continue
        if not feed_plan.members:  # as the page shows them (each week's name and items)
            listed.append((feed_plan.kind, feed_plan.folder, feed_plan.title, history.listed))
        wanted[_archives_of(feed_plan)] = _key(
            base, feed_plan.kind, feed_plan.folder, feed_plan.title, feed_plan.subtitle,
            history.digest,
        )  # fmt: skip
    page = _key(listed)
    if out_dir is None:  # --check compares every file
        return Seals(wanted, page)
    stored = index.archive_seals()
    kept, files = set(), 0
    for feed_plan in plans:
        folder = _archives_of(feed_plan)
        if folder in wanted and stored.get(folder) == f"{wanted[folder]}:{stamp(out_dir, folder)}":
            kept.add(folder)
            files += feed_plan.history.count * len(settings.formats)
    return Seals(wanted, page, frozenset(kept), files=files)


def planned_files(
    index: Index, items_dir: Path, settings: FeedSettings, now: int, out_dir: Path | None = None
) -> tuple[list[PlannedFile], Seals]:
    """Every file the build owns, with its key and a way to render it, but the archives of
    feeds found sealed; with `out_dir`, the archives found there as this index recorded
    writing them are patched, not rendered."""
    plans = plan(index, settings, now)
    documents = _Documents(items_dir, settings, index.just_parsed)
    base = (code_version(), settings.model_dump_json(exclude=_NOT_IN_BYTES))
    seals = _seals(index, plans, settings, out_dir)

    def feed(format_name: FormatName, feed_plan: FeedPlan) -> bytes:
        return render_feed(format_name, documents.doc(feed_plan))

    found = []
    listed = []
    for feed_plan in plans:
        newest = feed_plan.history.newest
        for name in settings.formats:
            file_name = FORMATS[name].name
            key = _key(
                *base, file_name, feed_plan.kind, feed_plan.folder, feed_plan.title,
                feed_plan.subtitle, feed_plan.chosen, newest,
            )  # fmt: skip
            render = partial(feed, name, feed_plan)
            path = out_path(feed_plan.folder + file_name, feed_plan.members)
            prepare = partial(documents.prepare, plans, feed_plan)
            found.append(PlannedFile(path, key, len(feed_plan.chosen), render, prepare=prepare))
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
        return render_index_page(documents.doc(main), files, _archive_lists(plans, settings))

    index_key = _key(
        *base, [(p.folder, p.title, len(p.chosen)) for p in plans], main.chosen, seals.listed
    )
    found.append(PlannedFile(out_path(INDEX_FILE, False), index_key, len(main.chosen), index_page))
    archives = _Archives(index, items_dir, settings, now, out_dir)
    unsealed = [p for p in plans if _archives_of(p) not in seals.kept]
    archive_files, seals = _archive_files(unsealed, archives, settings, seals, out_dir)
    return found + archive_files, seals
