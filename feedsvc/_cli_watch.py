"""`feedsvc build --watch`: build again after each change under the items folder.

The process keeps its imports and its open index between builds, so a rebuild after one edit
costs what the edit costs (a scan and the files it touched), not a start-up. Changes come from
watchfiles (Rust's notify: inotify on Linux, FSEvents, ReadDirectoryChangesW), gathered until
the folder has been quiet for a moment, so that an editor's save (a temporary file, a rename,
a second write) makes one build.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from watchfiles import Change

__all__ = ["DEBOUNCE_MS", "watch_items"]

DEBOUNCE_MS = 150  # quiet time that ends a burst of changes
STEP_MS = 30  # how often the burst is checked for quiet
# A scheduled item goes live with no file changing: build at least this often anyway.
IDLE_S = 60
TICK_MS = 200  # the longest wait for a change: the first build starts after one


def _ignored(items_dir: Path, ignore: Iterable[Path | None]) -> Callable[[Change, str], bool]:
    from watchfiles import DefaultFilter

    default = DefaultFilter()
    root = items_dir.resolve()
    skipped = [path.resolve() for path in ignore if path is not None]

    def wanted(change: Change, path: str) -> bool:
        where = Path(path)
        if any(where.is_relative_to(skip) for skip in skipped):
            return False
        try:
            parts = where.relative_to(root).parts
        except ValueError:
            return True
        # feedsvc skips dot files and folders, editors' swap files among them.
        return not any(part.startswith(".") for part in parts) and default(change, path)

    return wanted


def watch_items(
    items_dir: Path,
    build: Callable[..., None],
    ignore: Iterable[Path | None] = (),
    stop: threading.Event | None = None,
) -> None:
    """Build, then build again after each burst of changes, until Ctrl-C (KeyboardInterrupt,
    which the command turns into its usual line) or until `stop` (a threading.Event) is set.
    A build that fails (invalid items, a busy out/) prints why and keeps the last good out/."""
    from watchfiles import watch

    def attempt(quiet: bool) -> None:
        try:
            build(quiet=quiet)
        except click.ClickException as error:
            error.show()

    # The watcher starts before the first build, so that a save while it runs (a cold build
    # of a large site takes seconds) makes a build of its own rather than waiting an idle
    # minute: the watcher keeps what happens between two waits.
    first, last = True, 0.0
    for changes in watch(
        items_dir,
        watch_filter=_ignored(items_dir, ignore),
        debounce=DEBOUNCE_MS,
        step=STEP_MS,
        rust_timeout=TICK_MS,
        yield_on_timeout=True,
        stop_event=stop,
    ):
        if first:
            attempt(quiet=False)
            click.echo(f"Watching {items_dir} for changes; Ctrl-C to stop.", err=True)
            first, last = False, time.monotonic()
            continue
        if changes:
            noun = "change" if len(changes) == 1 else "changes"
            click.echo(f"{len(changes)} {noun} in {items_dir}: building.", err=True)
        elif time.monotonic() - last < IDLE_S:
            continue
        # The minutely build with nothing changed speaks only of problems: idle is silent.
        attempt(quiet=not changes)
        last = time.monotonic()
