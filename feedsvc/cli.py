"""The `feedsvc` command: wires the store, the models and the writers; decides nothing itself.

Exit codes scripts can rely on: 0 success, 1 the items (or out/) need attention, 2 usage
error, 130 interrupted.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import click

from feedsvc import __version__, lock
from feedsvc import build as builder
from feedsvc.itemfile import read_settings
from feedsvc.models import FeedSettings
from feedsvc.problems import Problem
from feedsvc.records import microseconds
from feedsvc.store import Store, check

ITEMS_DIR = click.Path(file_okay=False, path_type=Path)
CACHE_DIR = Path(".cache") / "feedsvc"


def _parse_now(value: str | None) -> datetime:
    if value is None:
        return datetime.now().astimezone()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not ISO 8601; write e.g. 2024-06-19T12:00:00+09:00"
        ) from None
    if parsed.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no UTC offset; add one, e.g. +00:00")
    return parsed


def _require_folder(path: Path) -> None:
    if not path.is_dir():
        raise click.BadParameter(f"{path} is not a folder", param_hint="ITEMS_DIR")


def report(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)
    noun = "problem" if len(problems) == 1 else "problems"
    click.echo(f"{len(problems)} {noun} found; nothing was written.", err=True)


def cache_file(items_dir: Path, cache_dir: Path | None, no_cache: bool) -> Path | None:
    if no_cache:
        return None
    folder = cache_dir if cache_dir is not None else items_dir.resolve().parent / CACHE_DIR
    return folder / f"{items_dir.resolve().name or 'items'}.sqlite3"


def load_or_fail(items_dir: Path, cache: Path | None) -> Store:
    _require_folder(items_dir)
    store = check(items_dir, cache)
    for note in store.notes:
        click.echo(f"note: {note}", err=True)
    if not store.ok:
        report(store.problems)
        sys.exit(1)
    return store


def items_option(text: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(
        "--items", "items_dir", type=ITEMS_DIR, default="items", show_default=True, help=text
    )


def cache_options(command: Callable[..., None]) -> Callable[..., None]:
    command = click.option(
        "--no-cache", is_flag=True, help="Ignore the index of parsed items: read every file."
    )(command)
    return click.option(
        "--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path),
        help=f"Where the index of parsed items is kept (default: {CACHE_DIR}/ beside the "
        "items folder). Safe to delete.",
    )(command)  # fmt: skip


INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C


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
@click.argument("items_dir", type=ITEMS_DIR, default="items")
@click.option(
    "--now",
    "now_text",
    metavar="TIMESTAMP",
    help="The moment that decides what is scheduled (ISO 8601 with offset); default: the clock.",
)
@cache_options
def validate(items_dir: Path, now_text: str | None, cache_dir: Path | None, no_cache: bool) -> None:
    """Check every item file and the feed settings; report every problem.

    Each problem is printed as `path:line: field: message`. Exits 0 when every file is valid,
    1 when any is not, 2 on a usage error.

    \b
    Example:
      feedsvc validate items
    """
    now = microseconds(_parse_now(now_text))
    store = load_or_fail(items_dir, cache_file(items_dir, cache_dir, no_cache))
    assert store.index is not None
    total = store.index.count()
    live = store.index.live(now)
    drafts = store.index.drafts()
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
    from feedsvc.schema import item_schema, settings_schema

    document: dict[str, Any] = item_schema() if which == "item" else settings_schema()
    click.echo(json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True))


@main.command()
@click.argument("kind", type=click.Choice(["lead", "teaser"]))
@click.argument("title")
@items_option("The items folder to write into.")
def new(kind: Literal["lead", "teaser"], title: str, items_dir: Path) -> None:
    """Start a new item file, named from today's date and the title.

    The file is a draft (`draft: true`) until you remove that line, so a half-written item
    never reaches a feed. An existing file is never overwritten.

    \b
    Example:
      feedsvc new lead "Corée du Nord : Poutine à Pyongyang"
      -> items/2024-06-19-coree-du-nord-poutine-a-pyongyang.md
    """
    _require_folder(items_dir)
    settings = read_settings(items_dir)
    site_url = (
        settings.site_url if isinstance(settings, FeedSettings) else "https://www.example.com/"
    )
    try:
        from feedsvc import scaffold  # slugify: only this command needs it up front

        path = scaffold.create(items_dir, kind, title, site_url, datetime.now().astimezone())
    except FileExistsError as error:
        raise click.ClickException(
            f"{error.filename} already exists; choose another title"
        ) from None
    except OSError as error:
        raise click.ClickException(f"cannot write in {items_dir}: {error.strerror}") from None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="TITLE") from None
    click.echo(f"{path}")


def _build(
    items_dir: Path, out_dir: Path, now: int, cache: Path | None, check: bool
) -> list[builder.FileReport]:
    store = load_or_fail(items_dir, cache)
    assert store.settings is not None and store.index is not None  # or load_or_fail exits
    planned = builder.outputs(store.index, items_dir, store.settings, now)
    try:
        if check:
            return builder.check(planned, out_dir)
        return builder.write(store.index, planned, out_dir)
    except builder.ChangedDuringBuild as error:
        raise click.ClickException(f"{error}; run the build again") from None


@main.command()
@items_option("The items folder to read.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="out",
    show_default=True,
    help="The folder the feeds are written to.",
)
@click.option(
    "--now",
    "now_text",
    metavar="TIMESTAMP",
    help="The moment that decides what is published (ISO 8601 with offset); default: the clock.",
)
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
@cache_options
def build(
    items_dir: Path,
    out_dir: Path,
    now_text: str | None,
    check: bool,
    wait: float,
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
    """
    now = microseconds(_parse_now(now_text))
    cache = cache_file(items_dir, cache_dir, no_cache)
    if check:
        reports = _build(items_dir, out_dir, now, cache, check=True)
    else:

        def waiting() -> None:
            click.echo(f"Another build is writing {out_dir}; waiting up to {wait:g} s.", err=True)

        try:
            with lock.exclusive(out_dir, wait, waiting):
                reports = _build(items_dir, out_dir, now, cache, check=False)
        except lock.Busy as error:
            raise click.ClickException(str(error)) from None
        except OSError as error:
            raise click.ClickException(
                f"cannot write to {out_dir}: {error.strerror or error}; no file was left "
                "half-written, and a build after the fix completes the rest"
            ) from None
    for report in reports:
        click.echo(report.line(out_dir))
    if check:
        stale = [report for report in reports if report.changes]
        if stale:
            click.echo(
                f"{len(stale)} files in {out_dir} are not current; run `feedsvc build`.",
                err=True,
            )
            sys.exit(1)
