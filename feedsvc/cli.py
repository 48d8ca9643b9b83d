"""The `feedsvc` command: wires the wings together; decides nothing itself.

Exit codes scripts can rely on: 0 success, 1 the items (or out/) need attention, 2 usage
error, 128 + N stopped by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP). What validate and
build found is a report (_report.py), shown as one summary line, every file, only problems, or
JSON. The wings are imported inside the commands, so help and usage errors answer without
loading them.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click

from feedsvc import __version__
from feedsvc._cli_params import (
    ATTEMPTS,
    ITEMS_DIR,
    cache_file,
    cache_options,
    check_out,
    checked_items,
    items_folder,
    microseconds_of,
    now_option,
    require_folder,
)
from feedsvc._cli_report import fail, output_options, show, terminal_progress
from feedsvc._cli_serve import members, serve
from feedsvc._procs import no_cycle_collection, stop_said, swallowed_stop
from feedsvc.errors import ChangedDuringBuild, Stopped

if TYPE_CHECKING:
    from feedsvc._progress import TerminalProgress
    from feedsvc._report import Report, Verbosity

__all__ = ["main"]


class _Commands(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        # click would print "Aborted!" and exit 1 on Ctrl-C, which scripts here read as "the
        # items need attention", and a traceback on SIGTERM or SIGHUP (see __main__).
        try:
            result = super().invoke(ctx)
        except (KeyboardInterrupt, Stopped) as error:
            stop = Stopped.of(error)
        except Exception:  # the command's own exit (click's Exit) among them
            # A stop swallowed on the way, or made a library's error (see _procs): the
            # command still ends as stopped, with its line.
            swallowed = swallowed_stop()
            if swallowed is None:
                raise
            stop = swallowed
        else:
            swallowed = swallowed_stop()
            if swallowed is None:
                return result
            stop = swallowed
        with contextlib.suppress(OSError):  # a terminal that hung up
            click.echo(stop.line(ctx.invoked_subcommand), err=True)
        stop_said()
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
    with no_cycle_collection():
        from feedsvc._report import Report

        report = Report(command="validate", ok=True, exit_code=0)
        moment = microseconds_of(now)
        cache = cache_file(items_dir, cache_dir, no_cache)
        progress = terminal_progress(verbosity, as_json)
        for attempt in range(ATTEMPTS):
            report.clear_problems()
            try:
                _validated(items_dir, cache, moment, report, progress)
                break
            except ChangedDuringBuild as error:  # a file gone since it was listed: again
                if attempt == ATTEMPTS - 1:
                    fail(report, f"{error}; run the validation again", as_json)
        show(report.finish(), verbosity, as_json, report.items_summary() + ".")


def _validated(
    items_dir: Path,
    cache: Path | None,
    moment: int,
    report: Report,
    progress: TerminalProgress | None,
) -> None:
    checked = checked_items(items_dir, cache, moment, report, progress)
    if checked.index is not None:
        try:
            report.tally(checked.index, moment)
        finally:
            checked.index.close()


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
    from feedsvc.items._scaffold import InsideItemsFolder, init_site

    try:
        written = init_site(folder, datetime.now().astimezone())
    except InsideItemsFolder:
        raise click.ClickException(
            f"{folder} holds a feed.yaml: it is the items folder of a site already; "
            "feedsvc init makes a new site (with its own items/): choose an empty folder"
        ) from None
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

    require_folder(items_dir)
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
    from feedsvc._cli_build import Build, begin_scan, pings_file

    if watch and check:
        raise click.UsageError("--watch builds after each change; --check writes nothing: give one")
    cache = cache_file(items_dir, cache_dir, no_cache)
    scanning = begin_scan(items_dir, cache)  # its helper works while the wings are imported
    # One build ends with its work; a watch runs for hours, and keeps collecting.
    try:
        with contextlib.nullcontext() if watch else no_cycle_collection():
            from feedsvc.publish import SERVED_TREES

            check_out(out_dir, items_dir, SERVED_TREES)
            job = Build(
                items_dir, out_dir, now, cache,
                pings_file(items_dir, cache_dir), wait, ping, verbosity, as_json, check, watch,
                scanning=scanning,
            )  # fmt: skip
            if not watch:
                try:
                    job.run()
                finally:
                    job.close()
                return
        from feedsvc._cli_watch import watch_items

        watch_items(items_dir, job.run, ignore=[out_dir, job.cache])
    finally:
        if scanning is not None:
            scanning.abandon()  # a usage error, or a stop, before the build finished it


main.add_command(serve)
main.add_command(members)
