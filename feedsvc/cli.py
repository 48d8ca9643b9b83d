"""The `feedsvc` command: wires the wings together; decides nothing itself.

Exit codes scripts can rely on: 0 success, 1 the items (or out/) need attention, 2 usage
error, 130 interrupted. Each is carried by an exception class, as click does it. The wings are
imported inside the commands, so help and usage errors answer without loading them.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import click

from feedsvc import __version__
from feedsvc._cli_serve import members, serve

if TYPE_CHECKING:
    from feedsvc.index import Checked, Index
    from feedsvc.items import Problem
    from feedsvc.model import FeedSettings
    from feedsvc.publish import FileReport

__all__ = ["main"]

ITEMS_DIR = click.Path(file_okay=False, path_type=Path)
CACHE_DIR = Path(".cache") / "feedsvc"
INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C

Command = Callable[..., None]


class NeedsAttention(click.ClickException):
    """Exit code 1: the items, the settings or out/ need attention. Shown as written: each
    line is a problem or a summary an editor reads, not an error of the command."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.format_message(), err=True)

    @classmethod
    def problems(cls, problems: Sequence[Problem]) -> NeedsAttention:
        noun = "problem" if len(problems) == 1 else "problems"
        lines = [str(problem) for problem in problems]
        return cls("\n".join([*lines, f"{len(problems)} {noun} found; nothing was written."]))


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
        raise click.BadParameter(f"{path} is not a folder", param_hint="the items folder")


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


def _pings_file(items_dir: Path, cache_dir: Path | None) -> Path:
    """Where undelivered WebSub notifications wait for the next build: beside the index
    (kept with --no-cache too, since it is not a cache), never in a served tree."""
    folder = cache_dir if cache_dir is not None else items_dir.resolve().parent / CACHE_DIR
    return folder / f"{items_dir.resolve().name or 'items'}.pings.json"


def _checked(items_dir: Path, cache: Path | None, index: Index | None = None) -> Checked:
    """The checked items folder; NeedsAttention with every problem when any."""
    from feedsvc.index import check_items

    _require_folder(items_dir)
    checked = (
        check_items(items_dir, cache)
        if index is None
        else check_items(items_dir, cache, index=index)
    )
    for note in checked.notes:
        click.echo(f"note: {note}", err=True)
    if not checked.ok:
        raise NeedsAttention.problems(checked.problems)
    return checked


class _Commands(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        # click would print "Aborted!" and exit 1, which scripts here read as "the items
        # need attention".
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            message = "feedsvc: interrupted"
            if ctx.invoked_subcommand == "build":
                message += "; each file in out/ is whole, the old one or the new one"
            click.echo(message + ".", err=True)
            ctx.exit(INTERRUPTED)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="feedsvc")
def main() -> None:
    """Publish the items of a news site as RSS 2.0, Atom 1.0 and JSON Feed 1.1 feeds.

    Editors keep one Markdown file per item in items/, with YAML front matter, and the feed's
    settings in items/feed.yaml. Run `feedsvc COMMAND --help` for each command.

    Exit codes: 0 success; 1 an item, the settings or out/ need attention (every problem is
    printed as `path:line: field: message`); 2 a usage error; 130 interrupted (Ctrl-C).
    """


@main.command()
@items_folder
@now_option("scheduled")
@cache_options
def validate(items_dir: Path, now: datetime | None, cache_dir: Path | None, no_cache: bool) -> None:
    """Check every item file and the feed settings; report every problem.

    Each problem is printed as `path:line: field: message`. Exits 0 when every file is valid,
    1 when any is not, 2 on a usage error.

    \b
    Example:
      feedsvc validate items
      feedsvc validate --items items
    """
    moment = _microseconds(now)
    checked = _checked(items_dir, _cache_file(items_dir, cache_dir, no_cache))
    assert checked.index is not None
    total = checked.index.count()
    live = checked.index.live(moment)
    drafts = checked.index.drafts()
    click.echo(
        f"{total} items valid: {live} live, {drafts} drafts, {total - live - drafts} scheduled."
    )


@main.command()
@click.argument("which", type=click.Choice(["item", "settings"]), default="item")
def schema(which: str) -> None:
    """Print the JSON Schema of item front matter or of feed.yaml.

    Point your editor's YAML support at it for completion and checks as you type.

    \b
    Example:
      feedsvc schema item > item.schema.json
      feedsvc schema settings > feed.schema.json
    """
    from feedsvc.model._schema import item_schema, settings_schema

    document: dict[str, Any] = item_schema() if which == "item" else settings_schema()
    click.echo(json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True))


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
    index: Index | None = None

    def publish(self, check: bool) -> tuple[list[FileReport], FeedSettings]:
        from feedsvc.errors import ChangedDuringBuild
        from feedsvc.publish import compare, planned_files, publish

        checked = _checked(self.items_dir, self.cache, self.index)
        assert checked.settings is not None and checked.index is not None  # or it raised
        self.index = checked.index
        moment = _microseconds(self.now)
        planned = planned_files(checked.index, self.items_dir, checked.settings, moment)
        try:
            if check:
                return compare(planned, self.out_dir), checked.settings
            return publish(checked.index, planned, self.out_dir), checked.settings
        except ChangedDuringBuild as error:
            raise click.ClickException(f"{error}; run the build again") from None

    def run(self, check: bool = False, quiet: bool = False) -> None:
        """Build (or check) once, printing a line per file (with `quiet`, per changed file)."""
        from feedsvc.errors import Busy, UnsafeOut
        from feedsvc.publish import SERVED_TREES, exclusive

        out_dir = self.out_dir
        try:
            if check:
                reports, settings = self.publish(check=True)
            else:

                def waiting() -> None:
                    click.echo(
                        f"Another build is writing {out_dir}; waiting up to {self.wait:g} s.",
                        err=True,
                    )

                with exclusive(out_dir, self.wait, waiting):
                    reports, settings = self.publish(check=False)
        except (Busy, UnsafeOut) as error:
            raise click.ClickException(str(error)) from None
        except OSError as error:
            if check:
                raise click.ClickException(
                    f"cannot read {out_dir}: {error.strerror or error}"
                ) from None
            raise click.ClickException(
                f"cannot write to {out_dir}: {error.strerror or error}; no file was left "
                "half-written, and a build after the fix completes the rest"
            ) from None
        for report in reports:
            if not quiet or report.changes:
                click.echo(report.line(out_dir))
        if any(report.status == "moved" for report in reports):
            click.echo(
                f"note: the public feeds are now in {out_dir / SERVED_TREES[0]} and the "
                f"members' in {out_dir / SERVED_TREES[1]}: serve {out_dir / SERVED_TREES[0]} "
                "at the feeds' address and the members' folder behind the login (README: "
                "Serving the feeds)",
                err=True,
            )
        if not check and (settings.ping if self.ping is None else self.ping):
            _ping(settings, reports, self.pings_file)
        if check:
            stale = [report for report in reports if report.changes]
            if stale:
                raise NeedsAttention(
                    f"{len(stale)} files in {out_dir} are not current; run `feedsvc build`."
                )


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


def watched_build(items_dir: Path, out_dir: Path) -> Callable[[threading.Event], None]:
    """For `feedsvc serve --watch`: builds from the items, with the usual cache and the
    settings' ping, after each change, until the event is set."""
    from feedsvc._cli_watch import watch_items
    from feedsvc.publish import SERVED_TREES

    _check_out(out_dir, items_dir, SERVED_TREES)
    cache = _cache_file(items_dir, None, no_cache=False)
    job = _Build(items_dir, out_dir, None, cache, _pings_file(items_dir, None), 60, None)
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
) -> None:
    """Validate the items, then write the feeds into OUT.

    Nothing is written unless every item is valid. Each file is replaced atomically, and only
    when its bytes change, so pollers keep getting 304s for unchanged feeds. Prints one line
    per file: written, unchanged or removed (with --check: differs, missing or stale), items,
    bytes. Feeds of a category that no longer has items are removed. One build at a time
    writes a given OUT: a second one waits for it.

    \b
    Example:
      feedsvc build
      feedsvc build --check      # in CI: is the committed out/ current?
      feedsvc build --watch      # while editing: rebuilds after each save
    """
    from feedsvc.publish import SERVED_TREES

    _check_out(out_dir, items_dir, SERVED_TREES)
    if watch and check:
        raise click.UsageError("--watch builds after each change; --check writes nothing: give one")
    job = _Build(
        items_dir, out_dir, now, _cache_file(items_dir, cache_dir, no_cache),
        _pings_file(items_dir, cache_dir), wait, ping,
    )  # fmt: skip
    if watch:
        from feedsvc._cli_watch import watch_items

        watch_items(items_dir, job.run, ignore=[out_dir, job.cache])
    else:
        job.run(check)


main.add_command(serve)
main.add_command(members)
