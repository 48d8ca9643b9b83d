"""`feedsvc build`'s work: check, publish (retrying once a damaged cache is emptied), report,
notify the hubs; once, or again after each change while watching."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from feedsvc._cli_params import (
    ATTEMPTS,
    CACHE_DIR,
    cache_file,
    check_out,
    checked_items,
    microseconds_of,
)
from feedsvc._cli_report import fail, show, terminal_progress

if TYPE_CHECKING:
    from feedsvc._progress import TerminalProgress
    from feedsvc._report import Report, Verbosity
    from feedsvc.index import Index
    from feedsvc.items import Scanning
    from feedsvc.model import FeedSettings
    from feedsvc.publish import FileReport

__all__ = ["Build", "begin_scan", "pings_file", "watched_build"]


def _publish(
    report: Report,
    build: Build,
    now: int,
    progress: TerminalProgress | None,
    scanning: Scanning | None,
) -> tuple[FeedSettings, list[FileReport]] | None:
    """Check the items (their scan begun as `scanning`, when it was) and bring out/ to them
    (or, with --check, compare), into `report`; the settings and what was written, or None
    when the items need attention.

    Raises CacheDamaged or ChangedDuringBuild when the last attempt fails too."""
    from feedsvc.errors import CacheDamaged, ChangedDuringBuild

    items_dir = build.items_dir
    for attempt in range(ATTEMPTS):
        report.clear_problems()
        begun, scanning = scanning, None  # a later attempt scans again
        checked = None
        try:
            checked = checked_items(
                items_dir, build.cache, now, report, progress, build.index, begun
            )
            if not checked.ok:
                return None
            assert checked.settings is not None and checked.index is not None  # or not ok
            build.index = checked.index
            files = _bring_out(report, build, checked.index, checked.settings, now, progress)
            return checked.settings, files
        except CacheDamaged as error:  # emptied: the next attempt reads every file again
            report.notes.append(str(error))
            if attempt == ATTEMPTS - 1:
                raise
        except ChangedDuringBuild as error:
            # Gone since the scan listed it (its sync was rolled back): the next attempt
            # scans again. Indexed as unchanged but not what was indexed: read it again,
            # then everything again, so that a file the stats cannot tell apart never
            # leaves every later build failing. Only a folder changing all the while stops
            # the build.
            if attempt == ATTEMPTS - 1 or error.path is None:
                raise
            index = None if checked is None else checked.index
            if index is None:
                continue
            if attempt == 0:
                index.recheck(error.path.relative_to(items_dir).as_posix())
            else:
                index.discard("more than one file unlike what it indexed")
                report.notes.append(index.damaged_note())
    return None


def _bring_out(
    report: Report,
    build: Build,
    index: Index,
    settings: FeedSettings,
    now: int,
    progress: TerminalProgress | None,
) -> list[FileReport]:
    """Bring out/ to the checked items (or, with --check, compare), into `report`."""
    from feedsvc.publish import compare, planned_files, publish

    out_dir = build.out_dir
    report.tally(index, now)
    # --check compares full renders: it never takes its bytes from out/ itself.
    patch_from = None if build.check else out_dir
    planned, seals = planned_files(index, build.items_dir, settings, now, patch_from)
    index.checked_before_writing({file.path: file.key for file in planned}, seals.kept)
    report.counts.sealed = seals.files
    if build.check:
        files = compare(planned, out_dir, progress)
        report.add_files(files, out_dir)
        if report.counts.differs + report.counts.missing + report.counts.stale:
            report.fail()
    else:
        files = publish(index, planned, seals, out_dir, progress)
        report.add_files(files, out_dir)
    return files


def begin_scan(items_dir: Path, cache: Path | None) -> Scanning | None:
    """The scan of a build, begun before the slow imports. When the last build indexed many
    files, its helper process lists the folders while this one imports; a watch's later
    builds, with the models imported, list here."""
    from feedsvc.items import Scanning

    if not items_dir.is_dir():
        return None  # said by the check of the items folder
    if "feedsvc.model" in sys.modules:
        return Scanning(items_dir)
    # The helper's share of the stats begins as soon as its listing is sent; this process's
    # once it has read the listing, after its imports: at 100,000 items, shares from 0.57 to
    # 0.62 did best (0.5 and 0.67 cost 0.01-0.03 s more).
    return Scanning(items_dir, share=0.6, early=_indexed_many(cache))


# An index this large holds some thousands of files (2.2 KB each for the benchmark's items):
# enough for a helper to stat a share, so that importing multiprocessing and forking early
# costs nothing extra. Below, or with no index (a first build, whose scan is a small part of
# it), the command lists the folders itself.
_MANY_INDEXED = 8 * 1024 * 1024


def _indexed_many(cache: Path | None) -> bool:
    try:
        return cache is not None and cache.stat().st_size >= _MANY_INDEXED
    except OSError:
        return False


def pings_file(items_dir: Path, cache_dir: Path | None) -> Path:
    """Where undelivered WebSub notifications wait for the next build: beside the index
    (kept with --no-cache too, since it is not a cache), never in a served tree."""
    folder = cache_dir if cache_dir is not None else items_dir.resolve().parent / CACHE_DIR
    return folder / f"{items_dir.resolve().name or 'items'}.pings.json"


def _ping(settings: FeedSettings, reports: Sequence[FileReport], pings_file: Path) -> None:
    """Tell the hubs of the public feeds this build changed, and of those earlier builds
    could not deliver; a hub's failure is reported, never the build's."""
    from feedsvc.publish import live_feed_address, notify, public_address

    if not settings.hub:
        click.echo("note: --ping, but feed.yaml names no hub; nothing was sent", err=True)
        return
    topics = []
    for report in reports:
        address = live_feed_address(report.path)
        if report.status == "written" and address is not None:
            topics.append(public_address(settings, address))
    for hub_report in notify(settings.hub, topics, pings_file, settings.ping_timeout):
        click.echo(hub_report.line(), err=not hub_report.ok)


@dataclass(slots=True)
class Build:
    """One `feedsvc build`, run once or, with --watch, again after each change, keeping its
    index open between runs."""

    items_dir: Path
    out_dir: Path
    now: datetime | None
    cache: Path | None
    pings_file: Path
    wait: float
    ping: bool | None
    verbosity: Verbosity = "normal"
    as_json: bool = False
    check: bool = False
    watching: bool = False
    index: Index | None = None
    scanning: Scanning | None = None  # the scan of the first build, begun by the command

    def run(self, quiet: bool = False) -> None:
        """Build (or check) once and report it, only its problems when `quiet` (the watch's
        minutely build with nothing changed); while watching, a failed build is reported and
        the watch goes on."""
        try:
            self._run("quiet" if quiet and self.verbosity == "normal" else self.verbosity)
        except click.exceptions.Exit:
            if not self.watching:
                raise

    def close(self) -> None:
        """Close the index the builds kept open (once the last of them is over)."""
        index, self.index = self.index, None
        if index is not None:
            index.close()

    def _run(self, verbosity: Verbosity) -> None:
        scanning, self.scanning = self.scanning or begin_scan(self.items_dir, self.cache), None
        try:
            self._scanned(verbosity, scanning)
        finally:
            if scanning is not None:
                scanning.abandon()  # when the build stopped before it was finished

    def _scanned(self, verbosity: Verbosity, scanning: Scanning | None) -> None:
        from feedsvc._report import Report
        from feedsvc.errors import Busy, CacheDamaged, ChangedDuringBuild, UnsafeOut
        from feedsvc.publish import exclusive

        out_dir, as_json = self.out_dir, self.as_json
        report = Report(command="build", ok=True, exit_code=0)
        moment = microseconds_of(self.now)
        progress = terminal_progress(verbosity, as_json)
        published = None
        try:
            if self.check:
                published = _publish(report, self, moment, progress, scanning)
            else:

                def waiting() -> None:
                    nonlocal scanning
                    if scanning is not None:  # another build may change the items meanwhile
                        scanning.abandon()
                        scanning = None
                    if not as_json:
                        click.echo(
                            f"Another build is writing {out_dir}; waiting up to {self.wait:g} s.",
                            err=True,
                        )

                with exclusive(out_dir, self.wait, waiting):
                    published = _publish(report, self, moment, progress, scanning)
        except (Busy, UnsafeOut) as error:
            fail(report, str(error), as_json)
        except (CacheDamaged, ChangedDuringBuild) as error:
            fail(report, f"{error}; run the build again", as_json)
        except OSError as error:
            # The path that failed when the error names it whole (a file where out/ needs a
            # folder); a name relative to a folder's descriptor would mislead.
            named = error.filename
            where = named if isinstance(named, str) and os.path.isabs(named) else out_dir
            if self.check:
                fail(report, f"cannot read {where}: {error.strerror or error}", as_json)
            fail(
                report,
                f"cannot write to {where}: {error.strerror or error}; no file was left "
                "half-written, and a build after the fix completes the rest",
                as_json,
            )
        finally:
            if progress is not None:
                progress.close()
        if report.counts.moved:
            report.notes.append(_moved_note(out_dir))
        report.finish()  # before the summary, which says how long the build took
        show(report, verbosity, as_json, report.build_summary(out_dir, self.check))
        # After the files are written and reported: a slow hub never delays either.
        if published is not None and not self.check:
            settings, files = published
            if settings.ping if self.ping is None else self.ping:
                _ping(settings, files, self.pings_file)


def _moved_note(out_dir: Path) -> str:
    from feedsvc.publish import SERVED_TREES

    public, members = (out_dir / tree for tree in SERVED_TREES)
    return (
        f"the public feeds are now in {public} and the members' in {members}: serve {public} "
        "at the feeds' address and the members' folder behind the login (README: Serving the "
        "feeds)"
    )


def watched_build(items_dir: Path, out_dir: Path) -> Callable[[threading.Event], None]:
    """For `feedsvc serve --watch`: builds from the items, with the usual cache and the
    settings' ping, after each change, until the event is set."""
    from feedsvc._cli_watch import watch_items
    from feedsvc.publish import SERVED_TREES

    check_out(out_dir, items_dir, SERVED_TREES)
    cache = cache_file(items_dir, None, no_cache=False)
    job = Build(
        items_dir, out_dir, None, cache, pings_file(items_dir, None), 60, None, watching=True
    )
    return lambda stop: watch_items(items_dir, job.run, ignore=[out_dir, cache], stop=stop)
