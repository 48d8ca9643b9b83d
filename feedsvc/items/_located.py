"""Where things are in a front matter: the line of a key path, found in the nodes of one parse.

Kept from the parse that built the values, so a file with 20,000 problems is located in one
pass over its nodes instead of one parse per problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence

import yaml

Loc = Sequence[str | int]

# Fields whose value is plain text an editor types: where an unquoted ` #` starts a comment
# that YAML drops without a word. `authors` and `publisher` may be a bare name.
TEXT_FIELDS = frozenset(
    {"title", "summary", "description", "caption", "credit", "rights", "name"}
    | {"categories", "authors", "publisher"}
)
_COMMENT = re.compile(r"[ \t]+#")


class Where:
    """The lines of a document's nodes; each mapping is indexed the first time it is asked."""

    def __init__(
        self, root: yaml.Node | None, compose: Callable[[], yaml.Node | None] | None = None
    ) -> None:
        self._root, self._compose = root, compose
        self._keys: dict[int, dict[str, tuple[int, yaml.Node]]] = {}

    @property
    def root(self) -> yaml.Node | None:
        """The document's node; composed when first asked if the values were built without."""
        if self._compose is not None:
            self._root, self._compose = self._compose(), None
        return self._root

    def _index(self, node: yaml.MappingNode) -> dict[str, tuple[int, yaml.Node]]:
        keys = self._keys.get(id(node))
        if keys is None:
            # The last pair wins: after a `<<` merge, PyYAML puts the merged pairs first and
            # the pairs written here after them, and the value built is the last one.
            keys = {
                key.value: (key.start_mark.line, value)
                for key, value in node.value
                if isinstance(key, yaml.ScalarNode)
            }
            self._keys[id(node)] = keys
        return keys

    def line(self, loc: Loc) -> int:
        """0-based line of the deepest node along `loc` (0 when none matches)."""
        node, line = self.root, 0
        for step in loc:
            if isinstance(node, yaml.MappingNode) and isinstance(step, str):
                found = self._index(node).get(step)
                if found is None:
                    break
                line, node = found
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                if not 0 <= step < len(node.value):
                    break
                node = node.value[step]
                line = node.start_mark.line
            else:
                break
        return line


def _children(node: yaml.Node) -> Iterator[tuple[str | int, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            step = key.value if isinstance(key, yaml.ScalarNode) else "?"
            yield step, key
            yield step, value
    elif isinstance(node, yaml.SequenceNode):
        yield from enumerate(node.value)


def path_to(root: yaml.Node | None, target: yaml.Node) -> list[str | int]:
    """The key path from `root` to `target` (empty when not found); only for reporting."""
    stack: list[tuple[yaml.Node, list[str | int]]] = [(root, [])] if root is not None else []
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:  # an alias: the same node again, perhaps inside itself
            continue
        seen.add(id(node))
        stack.extend((child, [*path, step]) for step, child in reversed(list(_children(node))))
    return []


def hidden_comments(source: str, where: Where) -> list[tuple[list[str | int], int, str]]:
    """(path, 0-based line, message) for each plain text value that a ` #` comment cut short.

    `title: Duterte #candidat` reads as "Duterte". Only text fields: `draft: true # bientôt`
    and a comment on a line of its own are ordinary YAML comments.
    """
    if " #" not in source and "\t#" not in source:  # no comment at all
        return []
    root = where.root
    if root is None:
        return []
    found: list[tuple[list[str | int], int, str]] = []
    stack: list[tuple[yaml.Node, list[str | int], bool]] = [(root, [], False)]
    seen: set[int] = set()
    while stack:
        node, path, text = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            if text and _cut_short(source, node):
                found.append((path, node.end_mark.line, _message(source, node)))
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    stack.append((value, [*path, key.value], key.value in TEXT_FIELDS))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, [*path, i], text) for i, item in enumerate(node.value))
    return sorted(found, key=lambda problem: problem[1])


def _cut_short(source: str, node: yaml.ScalarNode) -> bool:
    return (
        not node.style  # plain: '' from libyaml, None from the Python parser
        and node.tag == "tag:yaml.org,2002:str"
        and node.value != ""
        and _COMMENT.match(source, node.end_mark.index) is not None
    )


def _message(source: str, node: yaml.ScalarNode) -> str:
    end = node.end_mark.index
    line_end = source.find("\n", end)
    comment = source[end : line_end if line_end >= 0 else len(source)].rstrip()
    whole = node.value + comment
    quoted = json.dumps(whole, ensure_ascii=False)
    return (
        f"reads as {node.value!r}: YAML takes {comment.strip()!r} for a comment and drops it; "
        f"put the value in quotes because of its '#': {quoted} (or move the comment to a "
        "line of its own)"
    )
