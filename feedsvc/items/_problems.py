"""Problems an editor can act on: where (file, line, field), what, and what to write instead."""

from __future__ import annotations

import difflib
import json
import re
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the scan makes Problems before pydantic is imported, or when it never is
    from pydantic import BaseModel, ValidationError
    from pydantic_core import ErrorDetails


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    path: Path
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        # One problem, one line: a newline in a file name (or in a value quoted from it)
        # must not start what would read as another problem.
        return _CONTROL.sub(_escape, f"{self.path}:{self.line}: {self.field}: {self.message}")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char) or f"\\u{ord(char):04x}"


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")


def _key(step: str) -> str:
    # A key an editor mistyped can hold anything; in the report it must not break the
    # `path:line: field: message` shape, so odd ones are shown JSON-quoted, colons escaped.
    if _PLAIN_KEY.fullmatch(step):
        return step
    return json.dumps(step[:64]).replace(":", "\\u003a")


def field_name(loc: Sequence[str | int]) -> str:
    """('photo', 'caption') -> 'photo.caption'; ('categories', 2) -> 'categories[2]'."""
    name = ""
    for step in loc:
        if isinstance(step, int):
            name += f"[{step}]"
        else:
            name += f".{_key(step)}" if name else _key(step)
    return name or "front matter"


def _expected(ctx: dict[str, Any] | None) -> str:
    return str((ctx or {}).get("expected", ""))


def _missing(field: str, model_name: str) -> str:
    if field == "summary" and model_name == "Lead":
        return (
            "is required; add a line 'summary: …' (a public lead may leave it out when its "
            "body opens with a paragraph to take it from; a members-only lead may not, as its "
            "body is for members only)"
        )
    if field == "summary" and model_name == "Teaser":
        return "is required; add a line 'summary: …', the text readers see under the title"
    return f"is required; add a line '{field.rsplit('.', 1)[-1]}: …'"


def _unknown(field: str, known: Iterable[str]) -> str:
    if field == "body":
        return (
            "a teaser has no body, but text follows the front matter; move it into "
            "'summary', or make the item 'kind: lead'"
        )
    leaf = field.rsplit(".", 1)[-1]
    close = difflib.get_close_matches(leaf, list(known), n=1, cutoff=0.75)
    if close:
        return f"is not a known field; did you mean '{close[0]}'?"
    return f"is not a known field; fix its spelling or remove it (known: {', '.join(known)})"


def _message(error: ErrorDetails, field: str, known: Iterable[str], model_name: str) -> str:
    kind = error["type"]
    ctx = error.get("ctx")
    if kind == "feedsvc":
        return str((ctx or {})["reason"])
    if kind == "missing":
        return _missing(field, model_name)
    if kind == "extra_forbidden":
        return _unknown(field, known)
    if kind == "union_tag_not_found":
        return "is required: write 'kind: lead' (a full article) or 'kind: teaser' (a headline)"
    if kind == "union_tag_invalid":
        return "must be 'lead' (a full article) or 'teaser' (a headline with a summary)"
    if kind == "literal_error":
        if field == "access":
            return "must be 'public' (the site's Publique label) or 'members' (Membres)"
        return f"must be {_expected(ctx)}"
    if kind == "string_type" and error.get("input") is None:
        return "is empty; write the text"
    if kind == "string_type":
        return "must be text; put the value in quotes if YAML reads it as a number or yes/no"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number"
    if kind in ("greater_than_equal", "less_than_equal"):
        return error["msg"].replace("Input should be", "must be")
    if kind in ("tuple_type", "list_type"):
        return "must be a list: [a, b] on one line, or one '- value' line per entry"
    if kind == "too_short":
        return "needs at least one entry, e.g. [Asie]"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a group of fields ('name: value' lines indented below it)"
    return str(error["msg"])


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def known_fields(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The field names allowed where `loc` points, to suggest them for a misspelt key."""
    current: type[BaseModel] | None = model
    for step in loc[:-1]:
        if isinstance(step, int) or current is None:
            continue
        info = current.model_fields.get(step)
        current = _nested_model(info.annotation) if info is not None else None
    if current is None:
        return []
    return sorted(name for name in current.model_fields if name != "body")


Lines = Callable[[list[str | int]], int]


def _loc(details: ErrorDetails) -> list[str | int]:
    # A discriminated union adds the tag to the path; the editor never wrote it.
    if details["type"].startswith("union_tag_"):
        return ["kind"]  # pydantic reports the discriminator on the whole item
    return [step for step in details["loc"] if step not in ("lead", "teaser")]


def _misspelt(errors: list[ErrorDetails], model: type[BaseModel]) -> set[tuple[str | int, ...]]:
    """Required fields that an unknown key beside them looks like a misspelling of: the key's
    own problem says "did you mean", and the field is not also said to be missing."""
    missing = {tuple(_loc(e)) for e in errors if e["type"] == "missing"}
    found = set()
    for details in errors:
        loc = _loc(details)
        if details["type"] != "extra_forbidden" or not isinstance(loc[-1], str):
            continue
        close = difflib.get_close_matches(loc[-1], known_fields(model, loc), n=1, cutoff=0.75)
        if close and (*loc[:-1], close[0]) in missing:
            found.add((*loc[:-1], close[0]))
    return found


def from_validation(
    path: Path, error: ValidationError, line_of: Lines, model: type[BaseModel]
) -> list[Problem]:
    """Every pydantic error of one file as a Problem, at the line its key is on."""
    problems = []
    errors = error.errors(include_url=False)
    misspelt = _misspelt(errors, model)
    suggestions: dict[tuple[str | int, ...], list[str]] = {}  # the same for every sibling
    for details in errors:
        loc = _loc(details)
        if details["type"] == "missing" and tuple(loc) in misspelt:
            continue
        field = field_name(loc)
        parent = tuple(loc[:-1])
        if parent not in suggestions:
            suggestions[parent] = known_fields(model, loc)
        message = _message(details, field, suggestions[parent], model.__name__)
        problems.append(Problem(path, line_of(loc), field, message))
    return problems
