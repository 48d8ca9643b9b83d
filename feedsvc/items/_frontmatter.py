"""Item files as editors write them: YAML front matter between `---` lines, Markdown below.

This module turns bytes into a mapping plus a body and knows where in the file each key sits,
so that a problem found later can be reported at its line. It knows nothing of the models.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from feedsvc.items import _yaml
from feedsvc.items._located import Where, path_to
from feedsvc.items._problems import field_name
from feedsvc.model import _plaintext as plaintext

# A front matter is a few dozen values; aliases can make a few lines stand for billions.
MAX_VALUES = 20_000

FENCE = "---"
_FENCES = ("---", "...")  # a YAML document may end with either
_LINE_END = re.compile(r"[ \t]*(?:\n|\Z)")


class FrontMatterError(ValueError):
    """The file cannot be read as front matter + body; carries the 1-based line and field."""

    def __init__(self, line: int, message: str, field: str = "file") -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class Document:
    """A decoded item file: its front matter text and mapping, and its body."""

    front_matter: str
    data: dict[str, Any]
    body: str
    body_line: int  # the file line the body starts on
    where: Where  # the nodes the data was built from, to locate problems

    def line_of(self, loc: Sequence[str | int]) -> int:
        """The file line of a key path such as ('photo', 'caption'): deepest one found."""
        return 2 + self.where.line(loc)  # the front matter starts on line 2


def decode(raw: bytes) -> str:
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise FrontMatterError(
            line,
            f"is not UTF-8 (byte 0x{raw[error.start]:02X}); save the file as UTF-8",
        ) from None
    source = source.removeprefix("\ufeff")
    return source.replace("\r\n", "\n").replace("\r", "\n")


def _refuse_forbidden(source: str, first_line: int) -> None:
    found = plaintext.forbidden_char(source)
    if found is not None:
        line, column, codepoint = found
        raise FrontMatterError(
            first_line + line - 1,
            f"column {column}: the control character {codepoint} cannot appear in a feed; "
            "delete it",
        )


def parse_yaml(source: str, *, first_line: int = 1) -> Any:
    """Parse YAML safely (no object construction); errors carry the file line."""
    return load_yaml(source, first_line=first_line)[0]


def load_yaml(source: str, *, first_line: int = 1, clean: bool = False) -> tuple[Any, Where]:
    """The values of `source` and where their nodes are; errors carry the file line.

    `clean` when its file's bytes are known to hold no character XML cannot carry."""
    if not clean:
        _refuse_forbidden(source, first_line)
    native = _yaml.load_native(source)
    if native is not None:  # the nodes, only to locate a problem: parsed again then, rarely
        return native, Where(None, lambda: _yaml.load(source)[1])
    try:
        data, root = _yaml.load(source)  # a SafeLoader: builds no Python objects
    except _yaml.KeyProblem as problem:
        raise _key_error(problem, first_line) from None
    except _yaml.ScalarProblem as problem:
        raise _scalar_error(problem, source, first_line) from None
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error, source, first_line) from None
    except yaml.YAMLError as error:
        raise FrontMatterError(first_line, f"is not valid YAML ({error})") from None
    except (
        ValueError,
        TypeError,
        ArithmeticError,
        LookupError,
        AttributeError,
        RecursionError,
    ) as error:
        raise FrontMatterError(
            first_line, f"is not valid YAML ({type(error).__name__}: {error}); remove the '!!' tag"
        ) from None
    # Without an anchor there is no alias, and the values are bounded by the file's size.
    if "&" in source and _yaml.count(data, MAX_VALUES) < 0:
        raise FrontMatterError(
            first_line,
            f"holds more than {MAX_VALUES} values once YAML aliases are expanded; write the "
            "values out instead of using anchors (&) and aliases (*)",
        )
    return data, Where(root)


_READS_AS = {"null": "null (no value)", "bool": "true or false", "int": "a number"}


def _key_error(problem: _yaml.KeyProblem, first_line: int) -> FrontMatterError:
    """A key given twice, or one that is not a name, at its own line and path."""
    key = problem.key
    field = field_name([*path_to(problem.root, problem.mapping), key.value])
    line = first_line + key.start_mark.line
    first = problem.first
    if first is None:
        reads_as = _READS_AS.get(key.tag.rsplit(":", 1)[-1], "a number")
        return FrontMatterError(
            line,
            f"is not a field name: YAML reads {key.value!r} as {reads_as}; write the field's "
            "name, such as 'title:', or remove the line",
            field,
        )
    if first is key:  # `&k title: a` then `*k : b`: one node, written once
        lines = f"line {line}, and again through an alias"
    elif first.start_mark.line == key.start_mark.line:
        lines = f"both on line {line}"
    else:
        lines = f"lines {first_line + first.start_mark.line} and {line}"
    fix = (
        "merge several with one '<<: [*a, *b]'"
        if key.tag == "tag:yaml.org,2002:merge"
        else "keep one"
    )
    return FrontMatterError(line, f"is given twice ({lines}); {fix}", field)


# `title: Corée du Nord : Poutine`: French puts a space before a colon, and YAML reads
# ': ' inside a plain value as the start of another field, whatever comes before it.
_COLON_IN_VALUE = re.compile(
    r"^[ \t]*(?:- +)?([A-Za-z_][\w-]*):[ \t]+([^'\"\s].*?:(?: .*)?)[ \t]*$"
)


def _syntax_error(error: yaml.MarkedYAMLError, source: str, first_line: int) -> FrontMatterError:
    """A YAML syntax error at its line and column, with the fix for the commonest ones."""
    mark = error.problem_mark or error.context_mark
    line = first_line + (mark.line if mark is not None else 0)
    where = f" at column {mark.column + 1}" if mark is not None else ""
    what = error.problem or "invalid YAML"
    lines = source.splitlines()
    text = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    colon = _COLON_IN_VALUE.match(text) if "mapping values" in what else None
    if colon is not None:
        key, value = colon.groups()
        quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return FrontMatterError(
            line,
            f"holds a colon followed by a space, which YAML reads as the start of another "
            f"field; because of that colon, put the whole value in quotes: {key}: {quoted}",
            key,
        )
    if "constructor for the tag" in what:
        hint = "remove the tag (the '!' word before the value)"
    else:
        hint = (
            "check the indentation (spaces, the same for fields at one level), and put in "
            "quotes a value that holds ': ' or ' #' or starts with [ { ' \" * & ! | > % @"
        )
    return FrontMatterError(line, f"is not valid YAML{where} ({what}); {hint}")


def _scalar_error(problem: _yaml.ScalarProblem, source: str, first_line: int) -> FrontMatterError:
    """A value its tag cannot build, at its line; Python's wording only where it is clear."""
    node, error = problem.node, problem.error
    line = first_line + node.start_mark.line
    tagged = source.startswith("!", node.start_mark.index)
    hint = "remove the '!!' tag" if tagged else "put the value in quotes if it is text"
    if isinstance(error, ValueError) and "digits" in str(error):
        digits = sum(char.isdigit() for char in node.value)
        detail = f"a number of {digits} digits is too long to read"
    elif isinstance(error, KeyError):  # `!!bool maybe`: PyYAML looks the word up
        detail = f"{node.value!r} is not {_READS_AS.get(node.tag.rsplit(':', 1)[-1], 'valid')}"
    else:  # such as `!!int abc`
        detail = f"{type(error).__name__}: {error}"
    return FrontMatterError(line, f"is not valid YAML ({detail}); {hint}")


def _closing(rest: str) -> tuple[int, int] | None:
    """Where the first line of `rest` that closes a front matter starts, and where the next
    line starts (or the end): the lines are walked, the body of a long article never split."""
    start = 0
    while True:
        if rest.startswith(_FENCES, start):
            after = _LINE_END.match(rest, start + 3)
            if after is not None:
                return start, after.end()
        start = rest.find("\n", start) + 1
        if not start:
            return None


def split(raw: bytes) -> Document:
    source = decode(raw)
    first, newline, rest = source.partition("\n")
    if first.rstrip() != FENCE:
        raise FrontMatterError(
            1, "has no front matter; start the file with a line '---', the fields, then '---'"
        )
    closing = _closing(rest) if newline else None
    if closing is None:
        raise FrontMatterError(
            1, "front matter is not closed; add a line '---' after the last field"
        )
    fence, after = closing
    front_matter = rest[: max(fence - 1, 0)]
    end = 1 + rest.count("\n", 0, fence)  # 0-based line of the closing fence
    body = rest[after:]
    clean = not plaintext.utf8_holds_forbidden(raw)
    data, where = load_yaml(front_matter, first_line=2, clean=clean)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError(2, "front matter must be fields ('name: value'), one per line")
    if not clean:
        _refuse_forbidden(body, end + 2)
    return Document(front_matter, data, body, body_line=end + 2, where=where)
