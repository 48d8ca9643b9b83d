"""What `validate` and `build` report: one summary line, every file, only problems, or JSON.

The report is made once, as data (pydantic models, so its JSON Schema is derived from the
same classes that write it), and shown in the form the person or the program asked for.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

if TYPE_CHECKING:
    from feedsvc.index import Index
    from feedsvc.items import Problem
    from feedsvc.publish import FileReport

__all__ = ["PENDING", "Counts", "Report", "plural", "report_schema"]

# Added to the problems of drafts and scheduled items, which do not stop a build.
PENDING = (
    " [warning: a draft or scheduled item, so the other items are published; fix it before "
    "it goes live]"
)
Verbosity = Literal["quiet", "normal", "verbose"]
Status = Literal["written", "unchanged", "removed", "moved", "differs", "missing", "stale"]
CHANGES = ("written", "removed", "moved", "differs", "missing", "stale")


def plural(count: int, noun: str, many: str | None = None) -> str:
    """'1 item', '2 items'; `many` for nouns whose plural is not noun + s."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProblemOut(_Out):
    file: str = Field(description="The file, as given on the command line plus its path below")
    line: int = Field(ge=1, description="1 for a problem of the whole file")
    field: str = Field(description="e.g. 'title', 'photo.caption', 'categories[2]', 'file'")
    message: str = Field(description="What is wrong and what to write instead")
    severity: Literal["error", "warning"] = Field(
        description="error: stops the build; warning: a draft or a scheduled item, left out "
        "of the feeds until fixed, while the others are published"
    )


class FileOut(_Out):
    path: str = Field(description="The file below the output folder, as it was given")
    status: Status = Field(
        description="build: written, unchanged, removed, moved; "
        "build --check: unchanged, differs, missing, stale"
    )
    items: int = Field(ge=0)
    bytes: int = Field(ge=0)
    to: str | None = Field(default=None, description="Where a moved file now is")


class Scheduled(_Out):
    file: str
    published: str = Field(description="ISO 8601, as written in the item")


class Counts(_Out):
    items: int = Field(default=0, ge=0, description="Item files found")
    live: int = Field(default=0, ge=0, description="Valid items in the feeds")
    drafts: int = Field(default=0, ge=0, description="Valid drafts")
    scheduled: int = Field(default=0, ge=0, description="Valid items dated in the future")
    invalid: int = Field(default=0, ge=0, description="Item files with a problem")
    errors: int = Field(default=0, ge=0)
    warnings: int = Field(default=0, ge=0)
    written: int = Field(default=0, ge=0)
    unchanged: int = Field(default=0, ge=0)
    removed: int = Field(default=0, ge=0)
    moved: int = Field(default=0, ge=0)
    differs: int = Field(default=0, ge=0)
    missing: int = Field(default=0, ge=0)
    stale: int = Field(default=0, ge=0)
    sealed: int = Field(
        default=0, ge=0,
        description="Archive files of feeds whose archives are sealed: current, not looked at",
    )  # fmt: skip


class Report(_Out):
    """The report of one `validate` or `build` run (`--json`)."""

    command: Literal["validate", "build"]
    ok: bool = Field(description="True when the exit code is 0")
    exit_code: int = Field(description="0 done, 1 the items or out/ need attention")
    error: str | None = Field(
        default=None, description="A failure that is no item's problem (a lock, a disk)"
    )
    problems: list[ProblemOut] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    files: list[FileOut] = Field(default_factory=list)
    counts: Counts = Field(default_factory=Counts)
    next_scheduled: Scheduled | None = Field(
        default=None, description="The scheduled item to go live first"
    )
    seconds: float = Field(default=0, ge=0, description="Time the command took, start-up excluded")
    _started: float = PrivateAttr(default_factory=time.perf_counter)

    def finish(self) -> Report:
        self.seconds = round(time.perf_counter() - self._started, 3)
        return self

    def tally(self, index: Index, now: int) -> None:
        """Count the items as the index holds them at `now`, and find the next to go live."""
        from feedsvc.items import ItemFile, read_item

        counts = self.counts
        counts.items, valid, counts.live, counts.drafts = index.tally(now)
        counts.scheduled = valid - counts.live - counts.drafts
        counts.invalid = counts.items - valid
        path = index.next_scheduled(now)
        if path is not None:
            read = read_item(index.items_dir / path)  # for the moment as written, offset and all
            if isinstance(read, ItemFile):
                published = read.item.published.isoformat()
                self.next_scheduled = Scheduled(file=str(read.path), published=published)

    def add_problems(self, problems: Iterable[Problem], severity: str, why: str = "") -> None:
        """Problems of one severity; `why` is added to each message."""
        for problem in problems:
            self.problems.append(
                ProblemOut(
                    file=str(problem.path), line=problem.line, field=problem.field,
                    message=problem.message + why, severity=severity,
                )
            )  # fmt: skip
        self.counts.errors = sum(p.severity == "error" for p in self.problems)
        self.counts.warnings = len(self.problems) - self.counts.errors

    def clear_problems(self) -> None:
        """Forget what an attempt found: the next attempt checks everything again."""
        self.problems.clear()
        self.counts.errors = self.counts.warnings = 0
        self.ok, self.exit_code = True, 0

    def add_files(self, reports: Sequence[FileReport], out_dir: Path) -> None:
        # What out_dir / path gives, for '/'-separated paths below out/, without a Path
        # object per file: thousands with archives.
        below = str(out_dir / "_")[:-1]
        for report in reports:
            # Built from the build's own values, unchecked.
            self.files.append(
                FileOut.model_construct(
                    path=below + report.path, status=cast(Status, report.status),
                    items=report.items, bytes=report.size,
                    to=below + report.to if report.to else None,
                )
            )  # fmt: skip
            setattr(self.counts, report.status, getattr(self.counts, report.status) + 1)

    def fail(self, error: str | None = None) -> None:
        self.ok, self.exit_code, self.error = False, 1, error

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    # What a person reads.

    def problem_lines(self) -> list[str]:
        return [_problem_line(problem) for problem in self.problems]

    def file_lines(self, verbosity: Verbosity) -> list[str]:
        """Every file (verbose), or only those that say out/ is not current (check)."""
        shown = self.files if verbosity == "verbose" else []
        if self.command == "build" and verbosity != "verbose":
            shown = [f for f in self.files if f.status in ("differs", "missing", "stale")]
        return [_file_line(file) for file in shown]

    def items_summary(self) -> str:
        c = self.counts
        parts = [f"{c.live} live", plural(c.drafts, "draft"), f"{c.scheduled} scheduled"]
        if self.next_scheduled is not None:
            first = self.next_scheduled
            next_one = "next: " if c.scheduled > 1 else ""
            parts[-1] += f" ({next_one}{first.file} at {first.published})"
        valid = c.items - c.invalid
        text = f"{plural(valid, 'item')} valid: {', '.join(parts)}"
        if c.warnings:
            text += f"; {plural(c.warnings, 'warning')}"
        return text

    def problems_summary(self) -> str:
        c = self.counts
        text = f"{plural(c.errors, 'problem')} found"
        if c.warnings:
            text += f" (and {plural(c.warnings, 'warning')})"
        return text + ("; nothing was written." if self.command == "build" else ".")

    def build_summary(self, out_dir: Path, check: bool) -> str:
        c = self.counts
        total = len(self.files) + c.sealed
        if check:
            behind = c.differs + c.missing + c.stale
            if behind:
                return (
                    f"{plural(behind, 'file')} in {out_dir} {'is' if behind == 1 else 'are'} "
                    "not current; run `feedsvc build`."
                )
            files = f"{out_dir} is current ({plural(total, 'file')})"
        else:
            changed = [
                f"{count} {status}"
                for status, count in (("written", c.written), ("removed", c.removed),
                                      ("moved", c.moved))
                if count
            ]  # fmt: skip
            if changed:
                files = f"{out_dir}: {plural(total, 'file')}, {', '.join(changed)}"
                files += f", {c.unchanged + c.sealed} unchanged"
            else:
                files = f"{out_dir}: nothing changed ({plural(total, 'file')} current)"
        return f"{files}; {self.items_summary()}; {self.seconds:.2f} s."


def _problem_line(problem: ProblemOut) -> str:
    from feedsvc.items import Problem

    return str(Problem(Path(problem.file), problem.line, problem.field, problem.message))


def _file_line(file: FileOut) -> str:
    if file.status == "moved":
        return f"{file.status:<9} {file.path} -> {file.to}"
    if file.status in ("removed", "stale"):
        return f"{file.status:<9} {file.path}"
    return f"{file.status:<9} {file.path} ({plural(file.items, 'item')}, {file.bytes} bytes)"


def report_schema() -> dict[str, Any]:
    from feedsvc.model._schema import DIALECT

    schema = Report.model_json_schema()
    return {"$schema": DIALECT, "title": "feedsvc validate/build --json report", **schema}
