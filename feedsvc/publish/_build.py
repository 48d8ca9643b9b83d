"""A build: the planned files (_outputs.py) rendered, and out/ brought to exactly what the
items say.

An output whose key and file are as the index last saw them is neither rendered nor read; the
rest are rendered in memory and replaced atomically, only when their bytes change. A feed
whose category or format is gone is removed, and nothing feedsvc did not write is touched.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from feedsvc._procs import beside, workers
from feedsvc.index import Index
from feedsvc.publish import _atomic
from feedsvc.publish._folders import OutTree
from feedsvc.publish._layout import FORMATS, moved_to
from feedsvc.publish._listing import Listing, list_out

if TYPE_CHECKING:
    from feedsvc._progress import Progress

from feedsvc.publish._outputs import PlannedFile, Seals

__all__ = ["FileReport", "compare", "publish"]

# Below this many entries to render (the sum over the files), one process renders them all:
# forking a child and taking its bytes back costs more than the second core saves. A cold
# build of 1,000 items renders about 6,000; an edit of one item, a few hundred.
SPLIT_ENTRIES = 2000
_COSTS = {f.name: f.cost for f in FORMATS.values()}


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


def _stale(planned: list[PlannedFile], listing: Listing) -> list[str]:
    wanted = {file.path for file in planned}
    return sorted(path for path in listing.owned() if path not in wanted)


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


def _survey(
    tree: OutTree, planned: list[PlannedFile], listing: Listing
) -> dict[str, os.stat_result | None]:
    """Each planned file as it stands in out/, found without following a link, and before
    anything is written: a link on the way to any of them is refused, a folder in a file's
    place too. Folders the listing read are not looked at again."""
    found: dict[str, os.stat_result | None] = {}
    for rel, names in _by_folder(file.path for file in planned).items():
        listed = listing.folders.get(rel)
        for name in names:
            entry = listed.entries.get(name) if listed is not None else None
            if entry is not None and stat.S_ISREG(entry.st_mode):
                found[rel + name] = entry
            elif listed is not None and name not in listed.names:
                found[rel + name] = None
            else:  # not listed, or not a regular file: looked at again, to refuse or explain
                with tree.folder(rel) as folder:
                    entry = None if folder is None else tree.entry(folder, name, rel + name)
                if entry is not None and not stat.S_ISREG(entry.st_mode):
                    where = str(tree.out_dir / rel / name)
                    raise IsADirectoryError(errno.EISDIR, "not a regular file", where)
                found[rel + name] = entry
    return found


def _as_remembered(
    remembered: tuple[str, int, int] | None, file: PlannedFile, entry: os.stat_result | None
) -> bool:
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
    """Each file with its bytes, in the order given; a large build's shared by two processes."""
    theirs, ours = _shares(files)
    if not theirs or not ours:
        for done, file in enumerate(files, 1):
            data = file.render()
            if progress is not None:
                progress("render", done, len(files))
            yield file, data
        return
    for file in files:  # made here once, and inherited by the child
        if file.prepare is not None:
            file.prepare()
    with beside(_render_all, theirs) as their_bytes:
        found = {}
        for done, file in enumerate(ours, 1):
            found[file.path] = file.render()
            if progress is not None:
                progress("render", done, len(files))
        found |= zip((file.path for file in theirs), their_bytes(), strict=True)
    if progress is not None:
        progress("render", len(files), len(files))
    for file in files:
        yield file, found[file.path]


def _render_all(files: list[PlannedFile]) -> list[bytes]:
    return [file.render() for file in files]


def _shares(files: list[PlannedFile]) -> tuple[list[PlannedFile], list[PlannedFile]]:
    """The files a child renders, and those this process does: whole formats, so that each
    entry's elements are made once per format (see writers/_xml.py), balanced by what their
    entries cost. Small renders stay in one process: (), files."""
    if sum(file.items for file in files) < SPLIT_ENTRIES or workers() < 2:
        return [], files
    formats: dict[str, list[PlannedFile]] = {}
    for file in files:
        formats.setdefault(_split(file.path)[1], []).append(file)
    cost = {
        name: _COSTS.get(name, 1) * sum(f.items for f in group) for name, group in formats.items()
    }
    shares: tuple[list[PlannedFile], list[PlannedFile]] = ([], [])
    loads = [0, 0]
    for name in sorted(formats, key=cost.__getitem__, reverse=True):
        lighter = 0 if loads[0] <= loads[1] else 1
        shares[lighter].extend(formats[name])
        loads[lighter] += cost[name]
    return shares


def publish(
    index: Index,
    planned: list[PlannedFile],
    seals: Seals,
    out_dir: Path,
    progress: Progress | None = None,
) -> list[FileReport]:
    """Bring out/ to the planned files: changed ones replaced atomically, stale ones removed,
    and the files of the layout before out/public/ moved into it. The archive folders of
    `seals.kept` are neither planned nor looked at; the others are sealed once written."""
    with OutTree(out_dir) as tree:
        listing = list_out(tree, skip=seals.kept)
        for path in listing.leftovers():
            _remove(tree, path)
        found = _survey(tree, planned, listing)
        remembered = index.all_written(seals.kept)
        _unseal(index, tree, seals)
        todo = [
            file
            for file in planned
            if not _as_remembered(remembered.get(file.path), file, found[file.path])
        ]
        reports: dict[str, FileReport] = {}
        # Archives a week at a time, so that memory holds one week's files however long
        # the history. A week new to out/ goes before the live files, which may link to it;
        # the rest after them, so that an edit reaches the live feeds first. A build stopped
        # anywhere leaves every link pointing at a file that exists.
        weeks: dict[str, list[PlannedFile]] = {}
        for file in todo:
            if file.week:
                weeks.setdefault(file.week, []).append(file)
        opened = {m for m, files in weeks.items() if any(found[f.path] is None for f in files)}
        for files in (weeks[week] for week in opened):
            reports |= _write(index, tree, {file.path: (file, file.render()) for file in files})
        live = [file for file in todo if not file.week]
        # Every byte of the live files is ready before the first is replaced.
        rendered = {file.path: (file, data) for file, data in _rendered(live, progress)}
        reports |= _write(index, tree, rendered, progress)
        for week, files in weeks.items():
            if week not in opened:
                reports |= _write(index, tree, {f.path: (f, f.render()) for f in files})
        for file in planned:
            entry = found[file.path]
            if file.path not in reports and entry is not None:
                reports[file.path] = FileReport(file.path, "unchanged", file.items, entry.st_size)
        result = [reports[file.path] for file in planned]
        result += _remove_stale(index, tree, planned, listing, set(reports))
        index.seal(*seals.stamped(out_dir))
    return result


def _unseal(index: Index, tree: OutTree, seals: Seals) -> None:
    """Before anything is written: the seals of the feeds whose archives this build looks
    at are dropped, and their archive folders' stamps moved on, so that a build stopped
    half way never leaves a seal over files it changed, even when the index cannot be
    written (the next build finds the stamp changed)."""
    index.unseal(seals.kept, seals.opened)
    for folder in (seals.wanted.keys() | seals.weeks.keys()) - seals.kept:
        with tree.folder(folder, look=True) as descriptor:
            if descriptor is not None:
                with suppress(OSError):  # a read-only out/: nothing will be written either
                    os.utime(descriptor)


def _remove_stale(
    index: Index, tree: OutTree, planned: list[PlannedFile], listing: Listing, wanted: set[str]
) -> list[FileReport]:
    """Remove the files out/ holds that no feed plans any more, and the folders they leave
    empty, once every planned file is in place: a poller never follows a link to nothing."""
    reports = []
    stale = _stale(planned, listing)
    for path in stale:
        _remove(tree, path)
        index.forget(path)
        new = moved_to(path)
        if new in wanted:
            reports.append(FileReport(path, "moved", 0, 0, to=new))
        else:
            reports.append(FileReport(path, "removed", 0, 0))
    for folder in listing.empty_after(set(stale)):
        _remove(tree, folder)
    return reports


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
        stale = _stale(planned, list_out(tree))
        reports.extend(FileReport(path, "stale", 0, 0) for path in stale)
    return reports
