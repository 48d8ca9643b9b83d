"""YAML as item files use it: the safe loader, fast paths for plain shapes, and no silent keys.

Here a mapping never loses a key without a word: a key given twice, or one YAML reads as
something other than a name (`~`, `yes`, `12`), stops the file. It knows nothing of the models.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable
from typing import Any

import yaml

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

_STR, _SEQ, _MAP, _MERGE, _VALUE = (
    f"tag:yaml.org,2002:{name}" for name in ("str", "seq", "map", "merge", "value")
)


class NodeProblem(Exception):
    """A refusal at a node; `root` is the document's node once known, to find the node's path."""

    root: yaml.Node | None = None


class KeyProblem(NodeProblem):
    """A key that would be lost or misread: `key` in `mapping`, and the earlier `first`."""

    def __init__(self, mapping: yaml.MappingNode, key: yaml.Node, first: yaml.Node | None) -> None:
        super().__init__(key.start_mark)
        self.mapping, self.key, self.first = mapping, key, first


class ScalarProblem(NodeProblem):
    """A scalar its tag's constructor cannot build (`!!bool maybe`, an int of 5,000 digits)."""

    def __init__(self, node: yaml.Node, error: Exception) -> None:
        super().__init__(str(error))
        self.node, self.error = node, error


def _guarded(construct: Callable[[Any, yaml.Node], Any]) -> Callable[[Any, yaml.Node], Any]:
    # PyYAML lets KeyError and ValueError through without a mark; keep the node to say where.
    def build(loader: Any, node: yaml.Node) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, TypeError, ArithmeticError, LookupError) as error:
            raise ScalarProblem(node, error) from None

    return build


class Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The safe loader, minus YAML 1.1's implicit timestamps, refusing keys it would lose.

    Left to PyYAML, `2024-06-19 10:00` becomes a naive datetime and `2024-06-19` a date: the
    models would then have to guess an offset. As text, they are checked as ISO 8601.
    """

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        # Checked before PyYAML merges `<<` sources into the mapping, which would mix the
        # keys written here with those that may rightly be overridden.
        checked: set[yaml.Node] = self.__dict__.setdefault("_checked", set())
        _check_keys(self, node, checked)
        super().flatten_mapping(node)


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
# Only the types an item is made of: sets (whose order would follow the hash seed), binary,
# ordered pairs and explicit timestamps become "could not determine a constructor" errors.
SCALARS = {
    tag: _guarded(constructor)
    for tag, constructor in _BaseLoader.yaml_constructors.items()
    if tag is not None and tag.rsplit(":", 1)[-1] in ("null", "bool", "int", "float")
}
Loader.yaml_constructors = {
    tag: SCALARS.get(tag, constructor)  # type: ignore[arg-type]
    for tag, constructor in _BaseLoader.yaml_constructors.items()
    if tag is None  # the fallback that refuses unknown tags
    or tag.rsplit(":", 1)[-1] in ("null", "bool", "int", "float", "str", "seq", "map")
}

_UNREADABLE = object()  # a key whose own error PyYAML reports when it builds it


def _key_value(loader: Any, node: yaml.Node) -> Any:
    """What `node` means as a key, without touching PyYAML's construction state."""
    if node.__class__ is not yaml.ScalarNode:
        return _UNREADABLE  # a list or mapping as key: PyYAML refuses it as unhashable
    if node.tag in (_STR, _VALUE):
        return node.value
    if node.tag == _MERGE:
        return _MERGE
    construct = SCALARS.get(node.tag)
    if construct is None:
        return _UNREADABLE
    try:
        return construct(loader, node)
    except ScalarProblem:
        return _UNREADABLE


def _check_keys(loader: Any, node: yaml.MappingNode, checked: set[yaml.Node]) -> None:
    """Refuse a key given twice in `node`, or one that is not text, and so on in `<<` sources.

    Keys are compared as YAML reads them (`"\\u0074itle"` is `title`); a key that is not text
    (`~`, `yes`, `0x1`) is refused first. A key given here overrides the same key merged in
    with `<<`, as YAML says: not a repeat. Two `<<` keys are, as the last would win silently.
    """
    if node in checked:
        return
    checked.add(node)
    seen: dict[Any, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = _key_value(loader, key_node)
        if key is _UNREADABLE:
            continue
        if key is not _MERGE and key.__class__ is not str:
            raise KeyProblem(node, key_node, None)
        if key in seen:
            raise KeyProblem(node, key_node, seen[key])
        seen[key] = key_node
        if key is _MERGE:
            merged = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in merged:
                if isinstance(source, yaml.MappingNode):
                    _check_keys(loader, source, checked)


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
        constructor = SCALARS.get(tag)
        if constructor is None:
            raise _Unusual
        return constructor(loader, node)
    if kind is yaml.MappingNode and tag == _MAP:
        mapping = {}
        for key, value in node.value:
            # Text keys only; any other key, like a repeated one, is for the full path to refuse.
            if key.__class__ is not yaml.ScalarNode or key.tag != _STR:
                raise _Unusual
            mapping[key.value] = _plain_value(loader, value)
        if len(mapping) < len(node.value):
            raise _Unusual
        return mapping
    if kind is yaml.SequenceNode and tag == _SEQ:
        return [_plain_value(loader, item) for item in node.value]
    raise _Unusual


def load(source: str) -> tuple[Any, yaml.Node | None]:
    """`yaml.load(source, Loader=Loader)`, built faster when the text allows it, and its nodes.

    The nodes are kept to locate problems: no problem ever needs a second parse.
    """
    loader = Loader(source)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        if "&" not in source:  # no anchors, so no node is shared and none contains itself
            try:
                return _plain_value(loader, node), node
            except Exception:
                # Unusual shapes, and any refusal: PyYAML builds a mapping's scalars before
                # its collections and without recursion, so its error is the one to report.
                pass
        try:
            return loader.construct_document(node), node
        except NodeProblem as problem:
            problem.root = node
            raise
    finally:
        loader.dispose()


def count(value: Any, budget: int) -> int:
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


# --- the native fast path: yaml-rs, where nothing could read otherwise under YAML 1.1 -------
# yaml-rs builds values in Rust, several times faster than PyYAML's C parser with its Python
# resolver, but reads YAML 1.2: `yes`, `017`, `1:30` or `<<` mean other things there. So it
# is trusted only with documents whose every key and value is text no YAML 1.1 rule reads as
# anything else, `true`/`false`, or empty; anything else, and every refusal, is read again by
# PyYAML above, which stays the reference and gives the messages and lines.

# Characters after which the two readings may part: anchors, aliases and tags (a merge key
# needs an alias), directives, byte order marks and the line breaks YAML 1.1 knows. A comment
# after a value needs the nodes (it may cut a text short), so PyYAML reads that file at once.
# So does a tab anywhere (yaml-rs takes one as indentation, which PyYAML refuses, and then
# cannot say where a field is) and a backslash (escapes: yaml-rs joins a JSON surrogate pair,
# "\ud83d\ude00", which PyYAML refuses).
_SUSPECT = ("&", "*", "!", "%", "\ufeff", "\u2028", "\u2029", "<<", " #", "\t", "\\")
# A text that starts with an indicator was quoted, or read by a rule YAML 1.2 relaxed
# (yaml-rs takes `[|]`, `[?]` and `:x`, which PyYAML refuses): either way, a doubt.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
# PyYAML's own implicit resolvers (timestamps left out, as above), one pattern per first
# character: a text that one of them matches is read as something else by YAML 1.1. Compiled
# with the native path (30 patterns: a tenth of a small build's start-up), which alone uses them.
_RESOLVE: dict[str, re.Pattern[str]] = {}
# Latin first characters no resolver and no indicator starts with: a text that starts with one
# (most do, with a letter) is never doubtful, and is passed without a call.
_SAFE_FIRST: set[str] = set()
_native: Callable[[str], Any] | None = None


def _resolvers() -> dict[str, re.Pattern[str]]:
    return {
        first: re.compile("|".join(f"(?:{rx.pattern})" for tag, rx in pairs if tag != _STR), re.X)
        for first, pairs in Loader.yaml_implicit_resolvers.items()
        if any(tag != _STR for tag, _ in pairs)
    }


def use_native() -> bool:
    """Read plain documents with yaml-rs from now on; False when it cannot be imported.

    Not at import: loading the extension costs more than it saves on a few dozen files.
    """
    global _native
    if _native is None:
        try:
            from yaml_rs import loads
        except ImportError:  # PyYAML alone reads everything, only slower
            return False
        _RESOLVE.update(_resolvers())
        _SAFE_FIRST.update(
            char
            for char in map(chr, range(0x100))
            if char not in _INDICATORS and char not in _RESOLVE
        )
        _native = functools.partial(loads, parse_datetime=False)
    return True


def _doubtful(text: str) -> bool:
    if text == "" or text[0] in _INDICATORS:
        return True
    resolve = _RESOLVE.get(text[0])
    return resolve is not None and resolve.match(text) is not None


def _plain(value: Any) -> bool:
    """Only text no YAML 1.1 rule reads otherwise, booleans and nulls, in mappings and lists."""
    stack = [value]
    safe = _SAFE_FIRST  # most texts start with a letter no rule and no indicator starts with
    while stack:
        item = stack.pop()
        kind = item.__class__
        if kind is str:
            if item[:1] not in safe and _doubtful(item):
                return False
        elif kind is dict:
            for key in item:
                if key.__class__ is not str or (key[:1] not in safe and _doubtful(key)):
                    return False
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif item is not None and kind is not bool:  # numbers: 1.1 and 1.2 read them apart
            return False
    return True


def load_native(source: str) -> dict[str, Any] | None:
    """The mapping `source` holds, read by yaml-rs; None when PyYAML must read it."""
    if _native is None or any(map(source.__contains__, _SUSPECT)):
        return None
    try:
        value = _native(source)
    except Exception:  # its refusal: PyYAML gives the message and the line
        return None
    if value.__class__ is not dict or not _plain(value):
        return None
    return value
