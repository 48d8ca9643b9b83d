"""Item files as editors write them: YAML front matter between `---` lines, Markdown below.

This module turns bytes into a mapping plus a body and knows where in the file each key sits,
so that a problem found later can be reported at its line. It knows nothing of the models.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from feedsvc.model import _plaintext as plaintext

try:
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader
    warnings.warn(
        "PyYAML has no libyaml: item files are parsed with the pure-Python loader, "
        "about 8 times slower; reinstall PyYAML with libyaml for large archives",
        RuntimeWarning,
        stacklevel=1,
    )


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The safe loader, minus YAML 1.1's implicit timestamps.

    Left to PyYAML, `2024-06-19 10:00` becomes a naive datetime and `2024-06-19` a date: the
    models would then have to guess an offset. As text, they are checked as ISO 8601.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
# Only the types an item is made of: sets (whose order would follow the hash seed), binary,
# ordered pairs and explicit timestamps become "could not determine a constructor" errors.
_Loader.yaml_constructors = {
    tag: constructor
    for tag, constructor in _BaseLoader.yaml_constructors.items()
    if tag is None  # the fallback that refuses unknown tags
    or tag.rsplit(":", 1)[-1] in ("null", "bool", "int", "float", "str", "seq", "map")
}
# A front matter is a few dozen values; aliases can make a few lines stand for billions.
MAX_VALUES = 20_000

_STR, _SEQ, _MAP, _MERGE = (f"tag:yaml.org,2002:{name}" for name in ("str", "seq", "map", "merge"))
_SCALARS = {
    tag: constructor
    for tag, constructor in _Loader.yaml_constructors.items()
    if tag is not None and tag.rsplit(":", 1)[-1] in ("null", "bool", "int", "float")
}


class _Unusual(Exception):
    """A node the fast path leaves to PyYAML's full constructor."""


def _plain_value(loader: Any, node: yaml.Node) -> Any:
    """What PyYAML's constructor builds from `node`, for the plain shapes item files use.

    PyYAML's generic constructor (state kept per node for aliases, recursion and deep
    construction) costs more than the C parser itself; a front matter without anchors, tags or
    merge keys needs none of it. Scalars still go through PyYAML's own constructors, and a test
    checks that both paths agree.
    """
    kind, tag = node.__class__, node.tag
    if kind is yaml.ScalarNode:
        if tag == _STR:
            return node.value
        constructor = _SCALARS.get(tag)
        if constructor is None:
            raise _Unusual
        return constructor(loader, node)
    if kind is yaml.MappingNode and tag == _MAP:
        mapping = {}
        for key, value in node.value:
            if key.__class__ is not yaml.ScalarNode or key.tag == _MERGE:
                raise _Unusual
            mapping[_plain_value(loader, key)] = _plain_value(loader, value)
        return mapping
    if kind is yaml.SequenceNode and tag == _SEQ:
        return [_plain_value(loader, item) for item in node.value]
    raise _Unusual


def _load(source: str) -> Any:
    """`yaml.load(source, Loader=_Loader)`, built faster when the text allows it."""
    loader = _Loader(source)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "&" not in source:  # no anchors, so no node is shared and none contains itself
            try:
                return _plain_value(loader, node)
            except Exception:
                # Unusual shapes, and any refusal: PyYAML builds a mapping's scalars before
                # its collections and without recursion, so its error is the one to report.
                pass
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _count(value: Any, budget: int) -> int:
    """`budget` less the values in `value`, counting each alias again; stops below zero.

    Iterative, so that an alias to its own parent (`&r [*r]`, infinitely many values) uses up
    the budget instead of the interpreter's stack.
    """
    stack = [value]
    while stack and budget >= 0:
        budget -= 1
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return budget


FENCE = "---"
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


class FrontMatterError(ValueError):
    """The file cannot be read as front matter + body; carries the 1-based line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True, slots=True)
class Document:
    """A decoded item file: its front matter text and mapping, and its body."""

    front_matter: str
    data: dict[str, Any]
    body: str
    body_line: int  # the file line the body starts on

    def line_of(self, loc: Sequence[str | int]) -> int:
        """The file line of a key path such as ('photo', 'caption'): deepest one found."""
        return 2 + locate(self.front_matter, loc)  # the front matter starts on line 2


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
    _refuse_forbidden(source, first_line)
    try:
        data = _load(source)  # a SafeLoader: builds no Python objects
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = first_line + (mark.line if mark is not None else 0)
        problem = error.problem or "invalid YAML"
        hint = (
            "remove the tag (the '!' word before the value)"
            if "constructor for the tag" in problem
            else "check the indentation and quote the value"
        )
        raise FrontMatterError(line, f"is not valid YAML ({problem}); {hint}") from None
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
        # A tag applied to text it cannot read, such as `!!int abc`.
        raise FrontMatterError(
            first_line, f"is not valid YAML ({type(error).__name__}: {error}); remove the '!!' tag"
        ) from None
    # Without an anchor there is no alias, and the values are bounded by the file's size.
    if "&" in source and _count(data, MAX_VALUES) < 0:
        raise FrontMatterError(
            first_line,
            f"holds more than {MAX_VALUES} values once YAML aliases are expanded; write the "
            "values out instead of using anchors (&) and aliases (*)",
        )
    return data


def split(raw: bytes) -> Document:
    source = decode(raw)
    first, newline, rest = source.partition("\n")
    if first.rstrip() != FENCE:
        raise FrontMatterError(
            1, "has no front matter; start the file with a line '---', the fields, then '---'"
        )
    closing = _CLOSING.search(rest) if newline else None
    if closing is None:
        raise FrontMatterError(
            1, "front matter is not closed; add a line '---' after the last field"
        )
    # Searched, not split into lines: the body of a long article is only sliced off.
    front_matter = rest[: max(closing.start() - 1, 0)]
    end = 1 + rest.count("\n", 0, closing.start())  # 0-based line of the closing fence
    body = rest[closing.end() + 1 :]
    data = parse_yaml(front_matter, first_line=2)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError(2, "front matter must be fields ('name: value'), one per line")
    _refuse_forbidden(body, end + 2)
    return Document(front_matter, data, body, body_line=end + 2)


def locate(front_matter: str, loc: Sequence[str | int]) -> int:
    """0-based line of the deepest node along `loc` in `front_matter` (0 when none matches).

    Only called when reporting a problem, so the second parse costs nothing on a clean build.
    """
    try:
        node = yaml.compose(front_matter, Loader=_Loader)
    except yaml.YAMLError:
        return 0
    line = 0
    for step in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == step), None)
            if pair is None:
                break
            line = pair[0].start_mark.line
            node = pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step >= len(node.value):
                break
            node = node.value[step]
            line = node.start_mark.line
        else:
            break
    return line
