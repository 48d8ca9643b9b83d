"""The `feedsvc` command: wires the wings together; decides nothing itself.

Exit codes scripts can rely on: 0 success, 1 the items (or out/) need attention, 2 usage
error, 128 + N stopped by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP). What validate and
build found is a report (_report.py), shown as one summary line, every file, only problems, or
JSON. The wings are imported inside the commands, so help and usage errors answer without
loading them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click

from feedsvc import __version__
from feedsvc._cli_report import fail, output_options, show, terminal_progress
from feedsvc._cli_serve import members, serve
from feedsvc.errors import Stopped

if TYPE_CHECKING:
    from feedsvc._progress import TerminalProgress
    from feedsvc._report import Report, Verbosity
    from feedsvc.index import Checked, Index
    from feedsvc.model import FeedSettings
    from feedsvc.publish import FileReport

__all__ = ["main"]

ITEMS_DIR = click.Path(file_okay=False, path_type=Path)
CACHE_DIR = Path(".cache") / "feedsvc"

Command = Callable[..., None]


class Moment(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2 only
    """An ISO 8601 moment with its UTC offset, for --now."""

    name = "timestamp"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.fail(
                f"{value!r} is not ISO 8601; write e.g. 2024-06-19T12:00:00+09:00", param, ctx
            )
        if parsed.tzinfo is None:
            self.fail(f"{value!r} has no UTC offset; add one, e.g. +00:00", param, ctx)
        return parsed


def _microseconds(moment: datetime | None) -> int:
    from feedsvc.model import microseconds

    return microseconds(moment if moment is not None else datetime.now().astimezone())


def now_option(text: str) -> Callable[[Command], Command]:
    return click.option(
        "--now", type=Moment(), metavar="TIMESTAMP",
        help=f"The moment that decides what is {text} (ISO 8601 with offset); default: the clock.",
    )  # fmt: skip


def items_folder(command: Command) -> Command:
    """The items folder, the same way on every command that reads it: `--items DIR`, or the
    folder as the command's argument (`feedsvc validate items`)."""

    @functools.wraps(command)
    def given_once(
        *args: Any, items_arg: Path | None, items_opt: Path | None, **kwargs: Any
    ) -> None:
        if items_arg is not None and items_opt is not None and items_arg != items_opt:
            raise click.UsageError(
                f"two items folders given ({items_arg} and --items {items_opt}); give one"
            )
        command(*args, items_dir=items_arg or items_opt or Path("items"), **kwargs)

    wrapped = click.option(
        "--items", "items_opt", type=ITEMS_DIR, metavar="DIR",
        help="The items folder to read (or give it as ITEMS_DIR).  [default: items]",
    )(given_once)  # fmt: skip
    return click.argument("items_arg", type=ITEMS_DIR, required=False, metavar="[ITEMS_DIR]")(
        wrapped
    )


def cache_options(command: Command) -> Command:
    command = click.option(
        "--no-cache", is_flag=True, help="Ignore the index of parsed items: read every file."
    )(command)
    return click.option(
        "--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path),
        help=f"Where the index of parsed items is kept (default: {CACHE_DIR}/ beside the "
        "items folder). Safe to delete.",
    )(command)  # fmt: skip


def _require_folder(path: Path) -> None:
    if not path.is_dir():
        what = "is not a folder" if os.path.lexists(path) else "does not exist"
        raise click.BadParameter(
            f"{path} {what}; give the folder that holds feed.yaml and the item files "
            "(--items DIR), or start a site with `feedsvc init`",
            param_hint="the items folder",
        )


def _check_out(out_dir: Path, items_dir: Path, served: Sequence[str]) -> None:
    """--out must be a folder (or one to make) apart from the items: a build inside the items
    would read its own output, and items inside a served tree would publish drafts and
    members' texts."""
    existing = out_dir
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        shown = out_dir if existing == out_dir else f"{out_dir} ({existing} is not a folder)"
        raise click.BadParameter(
            f"{shown} is not a folder; give the folder the feeds are written to, e.g. --out out",
            param_hint="'--out'",
        )
    out, items = out_dir.resolve(), items_dir.resolve()
    if out.is_relative_to(items):
        where = "is the items folder" if out == items else f"is inside the items folder {items_dir}"
        raise click.BadParameter(
            f"{out_dir} {where}; write the feeds beside it, e.g. --out out",
            param_hint="'--out'",
        )
    for tree in served:
        if items.is_relative_to(out / tree):
            raise click.BadParameter(
                f"the items folder {items_dir} is inside {out_dir / tree}, which is served: "
                "drafts and members' texts would be published; move the items out of it",
                param_hint="'--out'",
            )


def _cache_file(items_dir: Path, cache_dir: Path | None, no_cache: bool) -> Path | None:
    if no_cache:
        return None
    folder = cache_dir if cache_dir is not None else items_dir.resolve().parent / CACHE_DIR
    return folder / f"{items_dir.resolve().name or 'items'}.sqlite3"


def _checked(
    items_dir: Path,
    cache: Path | None,
    now: int,
    report: Report,
    progress: TerminalProgress | None,
    index: Index | None = None,
) -> Checked:
    """The checked items folder (through `index` when a watching process keeps one open),
    its problems and notes put in `report`."""
    from feedsvc._report import PENDING
    from feedsvc.index import check_items

    _require_folder(items_dir)
    try:
        checked = check_items(items_dir, cache, progress=progress, now=now, index=index)
    finally:
        if progress is not None:
            progress.close()
    report.notes.extend(checked.notes)
    report.add_problems(checked.problems, "error")
    report.add_problems(checked.warnings, "warning", PENDING)
    report.add_problems(checked.skipped, "warning")
    if not checked.ok:
        report.fail()
    return checked


class _Commands(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        # click would print "Aborted!" and exit 1 on Ctrl-C, which scripts here read as "the
        # items need attention", and a traceback on SIGTERM or SIGHUP (see __main__).
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, Stopped) as error:
            stop = Stopped.of(error)
            with contextlib.suppress(OSError):  # a terminal that hung up
                click.echo(stop.line(ctx.invoked_subcommand), err=True)
            ctx.exit(stop.exit_code)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="feedsvc")
def main() -> None:
    """Publish the items of a news site as RSS 2.0, Atom 1.0 and JSON Feed 1.1 feeds.

    Editors keep one Markdown file per item in items/, with YAML front matter, and the feed's
    settings in items/feed.yaml. Run `feedsvc COMMAND --help` for each command.

    Exit codes: 0 success; 1 an item, the settings or out/ need attention (every problem is
    printed as `path:line: field: message`); 2 a usage error; 130 interrupted (Ctrl-C), 143
    stopped by SIGTERM, 129 by SIGHUP, with one line on stderr (128 + the signal's number).
    """


@main.command()
@items_folder
@now_option("scheduled")
@cache_options
@output_options
def validate(
    items_dir: Path,
    now: datetime | None,
    cache_dir: Path | None,
    no_cache: bool,
    verbosity: Verbosity,
    as_json: bool,
) -> None:
    """Check every item file and the feed settings; report every problem.

    Each problem is printed as `path:line: field: message`, then one summary line. Exits 0
    when every file is valid, 1 when any is not, 2 on a usage error.

    \b
    Example:
      feedsvc validate items
      feedsvc validate --json items > report.json   # for CI and editors' tools
    """
    from feedsvc._report import Report

    report = Report(command="validate", ok=True, exit_code=0)
    moment = _microseconds(now)
    cache = _cache_file(items_dir, cache_dir, no_cache)
    checked = _checked(items_dir, cache, moment, report, terminal_progress(verbosity, as_json))
    if checked.index is not None:
        report.tally(checked.index, moment)
    show(report.finish(), verbosity, as_json, report.items_summary() + ".")


@main.command()
@click.argument("which", type=click.Choice(["item", "settings", "report"]), default="item")
def schema(which: str) -> None:
    """Print the JSON Schema of item front matter, of feed.yaml, or of the --json report.

    Point your editor's YAML support at the first two for completion and checks as you type.

    \b
    Example:
      feedsvc schema item > item.schema.json
      feedsvc schema settings > feed.schema.json
      feedsvc schema report > report.schema.json
    """
    import json

    if which == "report":
        from feedsvc._report import report_schema

        document = report_schema()
    else:
        from feedsvc.model._schema import item_schema, settings_schema

        document = item_schema() if which == "item" else settings_schema()
    click.echo(json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True))


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default=".")
def init(folder: Path) -> None:
    """Start a new site in FOLDER (default: here) that `feedsvc build` accepts at once.

    Writes items/feed.yaml with every setting explained, an example lead and teaser marked as
    drafts (so no feed holds them), and a .gitignore for the cache. Never overwrites a file.

    \b
    Example:
      feedsvc init monsite && cd monsite && feedsvc build
    """
    from feedsvc.items._scaffold import init_site

    try:
        written = init_site(folder, datetime.now().astimezone())
    except FileExistsError as error:
        raise click.ClickException(
            f"{error.filename} already exists; feedsvc init starts a new site: choose an "
            "empty folder"
        ) from None
    except OSError as error:
        raise click.ClickException(f"cannot write in {folder}: {error.strerror}") from None
    for path in written:
        click.echo(f"created {path}")
    click.echo(
        'Next: edit items/feed.yaml, write items with `feedsvc new lead "Titre"`, '
        "then run `feedsvc build`."
    )


@main.command()
@click.argument("kind", type=click.Choice(["lead", "teaser"]))
@click.argument("title")
@click.option(
    "--items", "items_dir", type=ITEMS_DIR, default="items", show_default=True, metavar="DIR",
    help="The items folder to write into.",
)  # fmt: skip
def new(kind: Literal["lead", "teaser"], title: str, items_dir: Path) -> None:
    """Start a new item file, named from today's date and the title.

    The file is a draft (`draft: true`) until you remove that line, so a half-written item
    never reaches a feed. An existing file is never overwritten.

    \b
    Example:
      feedsvc new lead "Corée du Nord : Poutine à Pyongyang"
      -> items/2024-06-19-coree-du-nord-poutine-a-pyongyang.md
    """
    from feedsvc.items import read_settings
    from feedsvc.items._scaffold import create
    from feedsvc.model import FeedSettings

    _require_folder(items_dir)
    settings = read_settings(items_dir)
    site_url = (
        settings.site_url if isinstance(settings, FeedSettings) else "https://www.example.com/"
    )
    try:
        path = create(items_dir, kind, title, site_url, datetime.now().astimezone())
    except FileExistsError as error:
        raise click.ClickException(
            f"{error.filename} already exists; choose another title"
        ) from None
    except OSError as error:
        raise click.ClickException(f"cannot write in {items_dir}: {error.strerror}") from None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="TITLE") from None
    click.echo(f"{path}")


def _publish(
    report: Report,
    build: _Build,
    now: int,
    progress: TerminalProgress | None,
) -> tuple[FeedSettings, list[FileReport]] | None:
    """Check the items and bring out/ to them (or, with --check, compare), into `report`;
    the settings and what was written, or None when the items need attention.

    Raises CacheDamaged or ChangedDuringBuild when a third attempt fails too."""
    from feedsvc.errors import CacheDamaged, ChangedDuringBuild
    from feedsvc.publish import compare, planned_files, publish

    items_dir, out_dir = build.items_dir, build.out_dir
    for attempt in range(3):
        report.clear_problems()
        checked = _checked(items_dir, build.cache, now, report, progress, build.index)
        if not checked.ok:
            return None
        assert checked.settings is not None and checked.index is not None  # or it is not ok
        build.index = checked.index
        try:
            report.tally(checked.index, now)
            planned = planned_files(checked.index, items_dir, checked.settings, now)
            if build.check:
                files = compare(planned, out_dir, progress)
                report.add_files(files, out_dir)
                if report.counts.differs + report.counts.missing + report.counts.stale:
                    report.fail()
            else:
                files = publish(checked.index, planned, out_dir, progress)
                report.add_files(files, out_dir)
            return checked.settings, files
        except CacheDamaged as error:  # emptied: the next attempt reads every file again
            report.notes.append(str(error))
            if attempt == 2:
                raise
        except ChangedDuringBuild as error:
            # Indexed as unchanged but not what was indexed: read it again, then everything
            # again, so that a file the stats cannot tell apart never leaves every later
            # build failing. Only a file changing all the while stops the build.
            if attempt == 2 or error.path is None:
                raise
            if attempt == 0:
                checked.index.recheck(error.path.relative_to(items_dir).as_posix())
            else:
                checked.index.discard("more than one file unlike what it indexed")
                report.notes.append(checked.index.damaged_note())
    return None


def _pings_file(items_dir: Path, cache_dir: Path | None) -> Path:
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
class _Build:
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

    def run(self, quiet: bool = False) -> None:
        """Build (or check) once and report it; while watching, a failed build is reported
        and the watch goes on."""
        try:
            self._run()
        except click.exceptions.Exit:
            if not self.watching:
                raise

    def _run(self) -> None:
        from feedsvc._report import Report
        from feedsvc.errors import Busy, CacheDamaged, ChangedDuringBuild, UnsafeOut
        from feedsvc.publish import SERVED_TREES, exclusive

        out_dir, as_json = self.out_dir, self.as_json
        report = Report(command="build", ok=True, exit_code=0)
        moment = _microseconds(self.now)
        progress = terminal_progress(self.verbosity, as_json)
        published = None
        try:
            if self.check:
                published = _publish(report, self, moment, progress)
            else:

                def waiting() -> None:
                    if not as_json:
                        click.echo(
                            f"Another build is writing {out_dir}; waiting up to {self.wait:g} s.",
                            err=True,
                        )

                with exclusive(out_dir, self.wait, waiting):
                    published = _publish(report, self, moment, progress)
        except (Busy, UnsafeOut) as error:
            fail(report, str(error), as_json)
        except (CacheDamaged, ChangedDuringBuild) as error:
            fail(report, f"{error}; run the build again", as_json)
        except OSError as error:
            if self.check:
                fail(report, f"cannot read {out_dir}: {error.strerror or error}", as_json)
            fail(
                report,
                f"cannot write to {out_dir}: {error.strerror or error}; no file was left "
                "half-written, and a build after the fix completes the rest",
                as_json,
            )
        finally:
            if progress is not None:
                progress.close()
        if report.counts.moved:
            report.notes.append(
                f"the public feeds are now in {out_dir / SERVED_TREES[0]} and the members' "
                f"in {out_dir / SERVED_TREES[1]}: serve {out_dir / SERVED_TREES[0]} at the "
                "feeds' address and the members' folder behind the login (README: Serving "
                "the feeds)"
            )
        summary = report.build_summary(out_dir, self.check)
        show(report.finish(), self.verbosity, as_json, summary)
        # After the files are written and reported: a slow hub never delays either.
        if published is not None and not self.check:
            settings, files = published
            if settings.ping if self.ping is None else self.ping:
                _ping(settings, files, self.pings_file)


def watched_build(items_dir: Path, out_dir: Path) -> Callable[[threading.Event], None]:
    """For `feedsvc serve --watch`: builds from the items, with the usual cache and the
    settings' ping, after each change, until the event is set."""
    from feedsvc._cli_watch import watch_items
    from feedsvc.publish import SERVED_TREES

    _check_out(out_dir, items_dir, SERVED_TREES)
    cache = _cache_file(items_dir, None, no_cache=False)
    job = _Build(
        items_dir, out_dir, None, cache, _pings_file(items_dir, None), 60, None, watching=True
    )
    return lambda stop: watch_items(items_dir, job.run, ignore=[out_dir, cache], stop=stop)


@main.command()
@items_folder
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default="out",
    show_default=True, metavar="DIR", help="The folder the feeds are written to.",
)  # fmt: skip
@now_option("published")
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 if out/ is not what a build would write."
)
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=60,
    show_default=True,
    help="Seconds to wait for another build writing the same out/ folder.",
)
@click.option(
    "--watch", is_flag=True,
    help="Build, then build again after each change under the items folder, until Ctrl-C.",
)  # fmt: skip
@click.option(
    "--ping/--no-ping", default=None,
    help="After writing, notify the WebSub hubs of feed.yaml's `hub` of each public feed "
    "that changed.  [default: feed.yaml's `ping`, else no]",
)  # fmt: skip
@cache_options
@output_options
def build(
    items_dir: Path,
    out_dir: Path,
    now: datetime | None,
    check: bool,
    wait: float,
    watch: bool,
    ping: bool | None,
    cache_dir: Path | None,
    no_cache: bool,
    verbosity: Verbosity,
    as_json: bool,
) -> None:
    """Validate the items, then write the feeds into OUT.

    Nothing is written unless every live item is valid. Each file is replaced atomically, and
    only when its bytes change, so pollers keep getting 304s for unchanged feeds. Prints one
    summary line (--verbose: a line per file, written, unchanged or removed; with --check:
    differs, missing or stale). Feeds of a category that no longer has items are removed. One
    build at a time writes a given OUT: a second one waits for it.

    \b
    Example:
      feedsvc build
      feedsvc build --quiet      # from cron: prints only problems
      feedsvc build --check      # in CI: is the committed out/ current?
      feedsvc build --watch      # while editing: rebuilds after each save
    """
    from feedsvc.publish import SERVED_TREES

    _check_out(out_dir, items_dir, SERVED_TREES)
    if watch and check:
        raise click.UsageError("--watch builds after each change; --check writes nothing: give one")
    job = _Build(
        items_dir, out_dir, now, _cache_file(items_dir, cache_dir, no_cache),
        _pings_file(items_dir, cache_dir), wait, ping, verbosity, as_json, check, watch,
    )  # fmt: skip
    if watch:
        from feedsvc._cli_watch import watch_items

        watch_items(items_dir, job.run, ignore=[out_dir, job.cache])
    else:
        job.run()


main.add_command(serve)
main.add_command(members)
