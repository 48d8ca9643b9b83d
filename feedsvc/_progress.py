"""Progress of a long build on a terminal: scan, parse N/M, render N/M, write N/M, on stderr.

The wings call a `Progress` (stage, done, total) and know nothing of terminals; this shows it
with click's own progress bar, and only when stderr is a terminal, so piped output, cron's
mail and CI logs stay plain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

import click

__all__ = ["LONG", "Progress", "TerminalProgress", "progress_for"]

Progress = Callable[[str, int, int], None]  # stage, done so far, total

# A stage this large takes long enough to be worth a bar; smaller builds finish before a bar
# would be read, and only flicker.
LONG = 200
LABELS = {"parse": "parse ", "render": "render", "write": "write "}


class TerminalProgress:
    """A click progress bar per stage, once some stage of the run is long."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.stage = ""
        self.long = False
        self.bar: Any = None
        self.shown = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.long = self.long or total >= LONG
            if self.long and stage == "scan":
                click.echo(f"scan    {total} item files", file=self.stream)
            elif self.long:
                self.bar = click.progressbar(
                    length=total, label=LABELS.get(stage, stage), file=self.stream,
                    show_pos=True, show_eta=False,
                )  # fmt: skip
                self.bar.__enter__()
                self.shown = 0
        if self.bar is not None and done > self.shown:
            self.bar.update(done - self.shown)
            self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def progress_for(stream: TextIO, wanted: bool) -> TerminalProgress | None:
    """A progress display on `stream` when it is a terminal and the run may show one."""
    if not wanted or not stream.isatty():
        return None
    return TerminalProgress(stream)
