"""One item file, or the settings file, read into a model or into the problems that stop it.

YAML is parsed once per file: problems are located in the nodes of that parse.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from feedsvc.errors import ChangedDuringBuild
from feedsvc.items import _frontmatter as frontmatter
from feedsvc.items._entries import ITEM_SUFFIX
from feedsvc.items._located import Where, hidden_comments
from feedsvc.items._problems import Problem, field_name, from_validation
from feedsvc.items._scan import GONE
from feedsvc.model import ITEM, FeedSettings, Lead, Teaser, due_moment

__all__ = [
    "ITEM_SUFFIX",
    "MAX_FILE_BYTES",
    "SETTINGS_FILE",
    "ItemFile",
    "due_despite_problems",
    "line_of_field",
    "parse_item",
    "raw_digest",
    "read_again",
    "read_item",
    "read_item_bytes",
    "read_settings",
]

SETTINGS_FILE = "feed.yaml"
MAX_FILE_BYTES = 1024 * 1024  # a news item is a few KB; a bigger file is a mistake


@dataclass(frozen=True, slots=True)
class ItemFile:
    """A valid item and the exact bytes it was read from (by digest)."""

    path: Path
    item: Lead | Teaser
    digest: str


def raw_digest(raw: bytes) -> str:
    """What says whether a file changed: a digest of its bytes."""
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def read_item_bytes(path: Path, what: str = "an item file") -> bytes | Problem:
    """The bytes of `path`, or why they cannot be had; `what` names the file in the message.

    Raises ChangedDuringBuild when the file is gone since it was listed: the build (or the
    validation) looks at the folder again, as it is now.
    """
    try:
        raw = _read_regular(path)
    except OSError as error:
        if error.errno in GONE:  # any other error is the file's own
            raise ChangedDuringBuild(
                f"{path} was moved or deleted while it was read", path
            ) from None
        return Problem(path, 1, "file", f"cannot be read ({error.strerror or error})")
    if isinstance(raw, str):
        return Problem(path, 1, "file", f"{raw}, not a file; {what} must be an ordinary file")
    if len(raw) > MAX_FILE_BYTES:
        # Rounded up: a file one byte over the limit must not read as the limit itself.
        return Problem(
            path, 1, "file",
            f"is {-(-len(raw) // 1024)} KiB; {what} holds at most "
            f"{MAX_FILE_BYTES // 1024} KiB: "
            + ("shorten it or split the story" if what == "an item file" else "shorten it"),
        )  # fmt: skip
    return raw


_KINDS = {stat.S_IFDIR: "is a folder", stat.S_IFIFO: "is a named pipe (FIFO)"}


def _read_regular(path: Path) -> bytes | str:
    """The bytes of a regular file, at most one byte past the limit; else what `path` is.

    Opened without blocking, so a named pipe put where a file was expected is reported
    instead of waiting for a writer forever.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            return _KINDS.get(stat.S_IFMT(found.st_mode), "is a device or socket")
        chunks = []
        left = MAX_FILE_BYTES + 1
        # os.read allocates what it is asked for: asking for the limit (1 MiB) maps and unmaps
        # that much for every file, three times the cost of reading a small one. The size
        # known, then a byte more (a file that grew meanwhile is read on, in modest chunks).
        want = found.st_size + 1
        while left > 0:
            chunk = os.read(fd, min(left, want))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
            want = 1 << 16
        return b"".join(chunks)
    finally:
        os.close(fd)


def parse_item(path: Path, raw: bytes) -> Lead | Teaser | list[Problem]:
    """The item in `raw` (the bytes of `path`), or every problem that stops it."""
    try:
        doc = frontmatter.split(raw)
    except frontmatter.FrontMatterError as error:
        return [Problem(path, error.line, error.field, error.message)]
    hidden = _hidden_comments(path, doc.front_matter, doc.where, first_line=2)
    if hidden:
        return hidden
    if "body" in doc.data:
        line = doc.line_of(["body"])
        return [Problem(path, line, "body", "the body goes below the closing '---', not in it")]
    data: dict[str, Any] = dict(doc.data)
    if doc.body.strip():
        data["body"] = doc.body
    elif data.get("kind") == "lead":
        data["body"] = ""
    try:
        return ITEM.validate_python(data)
    except ValidationError as error:

        def where(loc: list[str | int]) -> int:
            return doc.body_line if loc[:1] == ["body"] else doc.line_of(loc)

        model = Lead if data.get("kind") == "lead" else Teaser
        problems = from_validation(path, error, where, model)
        if "id" not in doc.data:  # the id was copied from the url: report the url alone
            problems = [problem for problem in problems if problem.field != "id"]
        if "summary" not in doc.data:
            problems = [_derived(problem, doc.body_line) for problem in problems]
        return problems


def _hidden_comments(path: Path, source: str, where: Where, first_line: int) -> list[Problem]:
    return [
        Problem(path, first_line + line, field_name(loc), message)
        for loc, line, message in hidden_comments(source, where)
    ]


def _derived(problem: Problem, body_line: int) -> Problem:
    """A summary taken from the body is refused where the editor can act: at the body."""
    if problem.field != "summary" or problem.message.startswith("is required"):
        return problem
    return Problem(
        problem.path, body_line, "body",
        f"its first paragraph, the summary when none is written, {problem.message}; "
        "or write a 'summary:' line",
    )  # fmt: skip


def due_despite_problems(raw: bytes) -> int | None:
    """When a file that is not valid meant to go live: never (a draft), at its published
    moment, or None when its front matter cannot say (its problems then block every build)."""
    try:
        doc = frontmatter.split(raw)
    except frontmatter.FrontMatterError:
        return None
    return due_moment(doc.data.get("draft"), doc.data.get("published"))


def read_item(path: Path) -> ItemFile | list[Problem]:
    raw = read_item_bytes(path)
    if isinstance(raw, Problem):
        return [raw]
    parsed = parse_item(path, raw)
    if isinstance(parsed, list):
        return parsed
    return ItemFile(path, parsed, raw_digest(raw))


def read_again(path: Path, digest: str) -> Lead | Teaser:
    """An item chosen for a feed, read again to render it, as it was when it was indexed.

    The index keeps what chooses items, never the items, so memory stays flat however large
    the archive; a file whose bytes are no longer those it indexed stops the build.
    """
    read = read_item(path)
    if not isinstance(read, ItemFile) or read.digest != digest:
        raise ChangedDuringBuild(f"{path} changed during the build", path)
    return read.item


def line_of_field(path: Path, field: str) -> int:
    """The line of a top-level field of an item file, for problems found across files."""
    try:
        doc = frontmatter.split(path.read_bytes())
    except (OSError, frontmatter.FrontMatterError):
        return 1
    if field == "id" and "id" not in doc.data:
        field = "url"  # the id defaults to the url, so the url line is where it is written
    return doc.line_of([field])


def read_settings(items_dir: Path) -> FeedSettings | list[Problem]:
    path = items_dir / SETTINGS_FILE
    if not os.path.lexists(path):
        return [_missing(path)]
    refused = _link_out(items_dir, path)
    if refused is not None:
        return [refused]
    try:
        raw = read_item_bytes(path, "the feed settings file")
    except ChangedDuringBuild:  # deleted since it was seen
        return [_missing(path)]
    if isinstance(raw, Problem):
        return [raw]
    try:
        source = frontmatter.decode(raw)
        data, where = frontmatter.load_yaml(source)
    except frontmatter.FrontMatterError as error:
        return [Problem(path, error.line, error.field, error.message)]
    hidden = _hidden_comments(path, source, where, first_line=1)
    if hidden:
        return hidden
    if not isinstance(data, dict):
        return [Problem(path, 1, "file", "must hold fields ('name: value'), one per line")]
    try:
        return FeedSettings.model_validate(data)
    except ValidationError as error:
        return from_validation(
            path,
            error,
            lambda loc: 1 + where.line(loc),
            FeedSettings,
        )


def _missing(path: Path) -> Problem:
    return Problem(
        path, 1, "file",
        "the feed settings file is missing; create it with title, description, "
        "site_url, public_url and publisher (see `feedsvc schema settings`)",
    )  # fmt: skip


def _link_out(items_dir: Path, path: Path) -> Problem | None:
    """A settings file that is a link out of the items folder (or nowhere), refused."""
    if not path.is_symlink():
        return None
    target = os.path.realpath(path)
    root = os.path.realpath(items_dir)
    if not (target == root or target.startswith(root + os.sep)):
        return Problem(
            path, 1, "file", "is a link to outside the items folder; copy the file in instead"
        )
    if not os.path.exists(target):
        return Problem(
            path, 1, "file", "is a link to a file that does not exist; fix or remove the link"
        )
    return None
