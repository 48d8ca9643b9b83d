"""How `validate` and `build` print their report: the options that choose it, and the printing.

Only click here, so the options cost nothing at start-up; the report itself is _report.py.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from feedsvc._progress import TerminalProgress
    from feedsvc._report import Report, Verbosity

__all__ = ["fail", "output_options", "show", "terminal_progress"]

Command = Callable[..., None]


def output_options(command: Command) -> Command:
    """How much a command prints: a summary line, every file, only problems, or JSON."""

    @functools.wraps(command)
    def chosen(*args: Any, verbose: bool, quiet: bool, **kwargs: Any) -> None:
        if verbose and quiet:
            raise click.UsageError("--verbose and --quiet ask for opposite things; give one")
        command(*args, verbosity="verbose" if verbose else "quiet" if quiet else "normal",
                **kwargs)  # fmt: skip

    for decorator in (
        click.option("--json", "as_json", is_flag=True,
                     help="Print the report as JSON on stdout, and nothing else (its shape: "
                     "`feedsvc schema report`)."),
        click.option("-q", "--quiet", is_flag=True, help="Print only problems."),
        click.option("-v", "--verbose", is_flag=True,
                     help="Print a line per file, then the summary."),
    ):  # fmt: skip
        chosen = decorator(chosen)
    return chosen


def terminal_progress(verbosity: Verbosity, as_json: bool) -> TerminalProgress | None:
    from feedsvc._progress import progress_for

    return progress_for(sys.stderr, verbosity != "quiet" and not as_json)


def show(report: Report, verbosity: Verbosity, as_json: bool, summary: str) -> None:
    """Print the report as asked, and exit with its code."""
    if as_json:
        click.echo(report.to_json())
    else:
        for note in report.notes:
            click.echo(f"note: {note}", err=True)
        for line in report.file_lines(verbosity):
            click.echo(line)
        for line in report.problem_lines():
            click.echo(line, err=True)
        if report.counts.errors:
            click.echo(report.problems_summary(), err=True)
        elif not report.ok:
            click.echo(summary, err=True)
        elif verbosity != "quiet":
            click.echo(summary)
    if report.exit_code:
        click.get_current_context().exit(report.exit_code)


def fail(report: Report, message: str, as_json: bool) -> NoReturn:
    """A failure that is no item's problem: click's own error line, or the JSON report."""
    if not as_json:
        raise click.ClickException(message)
    report.fail(message)
    click.echo(report.finish().to_json())
    click.get_current_context().exit(1)
