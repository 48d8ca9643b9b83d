"""The command line's shared parts: how options are parsed and what every command checks first.

Values are parsed in click ParamTypes and option decorators are reused, so the items folder,
the moment and the cache are given the same way to every command.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from feedsvc._progress import TerminalProgress
    from feedsvc._report import Report
    from feedsvc.index import Checked, Index
    from feedsvc.items import Scanning

__all__ = [
    "ATTEMPTS",
    "CACHE_DIR",
    "ITEMS_DIR",
    "Moment",
    "cache_file",
    "cache_options",
    "check_out",
    "checked_items",
    "items_folder",
    "microseconds_of",
    "now_option",
    "require_folder",
]

ITEMS_DIR = click.Path(file_okay=False, path_type=Path)
CACHE_DIR = Path(".cache") / "feedsvc"
# How often a build or a validation starts again when the items change under it (or its
# cache is found damaged) before it gives up, saying so in one line.
ATTEMPTS = 3

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


def microseconds_of(moment: datetime | None) -> int:
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


def require_folder(path: Path) -> None:
    if not path.is_dir():
        what = "is not a folder" if os.path.lexists(path) else "does not exist"
        raise click.BadParameter(
            f"{path} {what}; give the folder that holds feed.yaml and the item files "
            "(--items DIR), or start a site with `feedsvc init`",
            param_hint="the items folder",
        )


def check_out(out_dir: Path, items_dir: Path, served: Sequence[str]) -> None:
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


def cache_file(items_dir: Path, cache_dir: Path | None, no_cache: bool) -> Path | None:
    if no_cache:
        return None
    folder = cache_dir if cache_dir is not None else items_dir.resolve().parent / CACHE_DIR
    return folder / f"{items_dir.resolve().name or 'items'}.sqlite3"


def checked_items(
    items_dir: Path,
    cache: Path | None,
    now: int,
    report: Report,
    progress: TerminalProgress | None,
    index: Index | None = None,
    scanning: Scanning | None = None,
) -> Checked:
    """The checked items folder (through `index` when a watching process keeps one open;
    `scanning` when its scan has begun), its problems and notes put in `report`."""
    from feedsvc._report import PENDING
    from feedsvc.index import check_items

    require_folder(items_dir)
    try:
        checked = check_items(
            items_dir, cache, progress=progress, now=now, index=index, scanning=scanning
        )
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
