"""One item file, or the settings file, read into a model or into the problems that stop it.

The clean path parses YAML once; line numbers are looked up (a second parse) only when a
problem has to be reported.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from feedsvc.errors import ChangedDuringBuild
from feedsvc.items import _frontmatter as frontmatter
from feedsvc.items._problems import Problem, from_validation, known_fields
from feedsvc.model import ITEM, FeedSettings, Lead, Teaser

__all__ = [
    "ITEM_SUFFIX",
    "MAX_FILE_BYTES",
    "SETTINGS_FILE",
    "ItemFile",
    "line_of_field",
    "parse_item",
    "raw_digest",
    "read_again",
    "read_item",
    "read_item_bytes",
    "read_settings",
]

SETTINGS_FILE = "feed.yaml"
ITEM_SUFFIX = ".md"
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


def read_item_bytes(path: Path) -> bytes | Problem:
    try:
        raw = path.read_bytes()
    except OSError as error:
        return Problem(path, 1, "file", f"cannot be read ({error.strerror or error})")
    if len(raw) > MAX_FILE_BYTES:
        return Problem(
            path, 1, "file",
            f"is {len(raw) // 1024} KiB; an item file holds at most "
            f"{MAX_FILE_BYTES // 1024} KiB: shorten it or split the story",
        )  # fmt: skip
    return raw


def parse_item(path: Path, raw: bytes) -> Lead | Teaser | list[Problem]:
    """The item in `raw` (the bytes of `path`), or every problem that stops it."""
    try:
        doc = frontmatter.split(raw)
    except frontmatter.FrontMatterError as error:
        return [Problem(path, error.line, "file", error.message)]
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
        problems = from_validation(path, error, where, lambda loc: known_fields(model, loc))
        if "id" not in doc.data:  # the id was copied from the url: report the url alone
            problems = [problem for problem in problems if problem.field != "id"]
        if "summary" not in doc.data:
            problems = [_derived(problem, doc.body_line) for problem in problems]
        return problems


def _derived(problem: Problem, body_line: int) -> Problem:
    """A summary taken from the body is refused where the editor can act: at the body."""
    if problem.field != "summary" or problem.message.startswith("is required"):
        return problem
    return Problem(
        problem.path, body_line, "body",
        f"its first paragraph, the summary when none is written, {problem.message}; "
        "or write a 'summary:' line",
    )  # fmt: skip


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
    if not path.is_file():
        return [
            Problem(
                path, 1, "file",
                "the feed settings file is missing; create it with title, description, "
                "site_url, public_url and publisher (see `feedsvc schema settings`)",
            )
        ]  # fmt: skip
    raw = read_item_bytes(path)
    if isinstance(raw, Problem):
        return [raw]
    try:
        source = frontmatter.decode(raw)
        data = frontmatter.parse_yaml(source)
    except frontmatter.FrontMatterError as error:
        return [Problem(path, error.line, "file", error.message)]
    if not isinstance(data, dict):
        return [Problem(path, 1, "file", "must hold fields ('name: value'), one per line")]
    try:
        return FeedSettings.model_validate(data)
    except ValidationError as error:
        return from_validation(
            path,
            error,
            lambda loc: 1 + frontmatter.locate(source, loc),
            lambda loc: known_fields(FeedSettings, loc),
        )
