"""Front matter is read faster than `yaml.load`, but never differently."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsvc.items import _frontmatter as frontmatter
from feedsvc.items import _yaml

SCALARS = st.sampled_from([
    "texte", "yes", "No", "on", "OFF", "~", "null", "", "true", "1_000", "0x1F", "0o17", "017",
    "1:20", "-3.5", ".inf", "-.NaN", "1e3", "2024-06-19", "2024-06-19T10:00:00+09:00",
    '"entre guillemets"', "'simple'", '"\\u00e9t\\u00e9"', "!!str 5", "!!int '7'", "!!float 1",
    "!!bool yes", "!!binary aGk=", "!!timestamp 2024-01-01", "!!set {a}", "!custom x",
    "&ancre valeur", "*ancre", "[a, b]", "{a: 1}", "Qui ? Quoi !", "« Membres » : 5 €",
    "<< : {x: 1}", "=", "[&l [1], *l]", "&r [*r]",
])  # fmt: skip
KEYS = st.sampled_from(["title", "categories", "<<", "=", "? [a]", "1", "yes", "~", "kind"])


@st.composite
def documents(draw: st.DrawFn, depth: int = 0) -> str:
    lines = []
    for key in draw(st.lists(KEYS, min_size=1, max_size=5)):
        shape = draw(st.sampled_from(["scalar", "list", "map"] if depth < 2 else ["scalar"]))
        if shape == "scalar":
            lines.append(f"{key}: {draw(SCALARS)}")
        elif shape == "list":
            lines.append(f"{key}:")
            lines.extend(f"  - {item}" for item in draw(st.lists(SCALARS, max_size=3)))
        else:
            inner = draw(documents(depth + 1))
            lines.append(f"{key}:")
            lines.extend("  " + line for line in inner.splitlines())
    return "\n".join(lines)


def _outcome(load: Any, source: str) -> tuple[str, Any]:
    try:
        return "value", repr(load(source))  # repr: NaN is not equal to itself
    except frontmatter.FrontMatterError as error:
        return "error", (error.line, error.message)


def _without_fast_path(source: str) -> tuple[str, Any]:
    def refuse(*args: object) -> None:
        raise _yaml._Unusual

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_yaml, "_plain_value", refuse)
        return _outcome(frontmatter.parse_yaml, source)


@settings(max_examples=400, deadline=None)
@given(documents())
def test_the_fast_path_reads_and_refuses_as_pyyaml_does(source: str) -> None:
    assert _outcome(frontmatter.parse_yaml, source) == _without_fast_path(source)


@pytest.mark.parametrize(
    "source",
    [
        "!!int k: !!float v",  # PyYAML builds the key first
        "categories: [!!int x]\ntitle: !foo y",  # and a mapping's scalars before its lists
        "!!int k: !!float y\n<<: [a]",  # and merge keys before anything
        "categories: " + "[" * 600 + "Asie" + "]" * 600,  # deep, but within libyaml's limit
    ],
)
def test_the_fast_path_reports_what_pyyaml_reports(source: str) -> None:
    assert _outcome(frontmatter.parse_yaml, source) == _without_fast_path(source)


@pytest.mark.parametrize(
    ("source", "fast"),
    [
        ("title: Texte\ncategories: [Asie, Monde]\ndraft: no\nlimit: 0x10", True),
        ("a: &x 1\nb: *x", False),  # an anchor: PyYAML's constructor shares the node
        ("a: !!str 5", True),  # an explicit tag PyYAML's scalar constructors know
        ("<<: {a: 1}\nb: 2", False),  # a merge key
        ("? [a]\n: b", False),  # a key that is not a scalar: refused either way
    ],
)
def test_the_fast_path_is_taken_only_where_it_is_exact(
    source: str, fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    full: list[str] = []
    construct = _yaml.Loader.construct_document

    def spy(loader: Any, node: Any) -> Any:
        full.append(source)
        return construct(loader, node)

    monkeypatch.setattr(_yaml.Loader, "construct_document", spy)
    expected = _without_fast_path(source)
    full.clear()
    assert _outcome(frontmatter.parse_yaml, source) == expected
    assert (not full) == fast


@pytest.mark.parametrize("value", ["&r [*r]", "&r {a: *r}", "&r [[[*r]]]"])
def test_an_alias_to_its_own_parent_is_refused_not_a_crash(value: str) -> None:
    with pytest.raises(frontmatter.FrontMatterError, match="aliases"):
        frontmatter.split(f"---\nkind: teaser\ntitle: {value}\n---\n".encode())


# The rule the closing line follows: YAML's end of document, `---` or `...`, then blanks.
_CLOSING_RULE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_LINES = ["---", "...", "--- ", "...\t", "----", "--- x", "-- -", " ---", "kind: lead", "", "x"]


@settings(max_examples=300, deadline=None)
@given(
    rest=st.lists(st.sampled_from(_LINES), max_size=8).map("\n".join)
    | st.text(alphabet="-.\n \tx", max_size=30)
)
def test_the_front_matter_closes_at_the_first_line_the_rule_accepts(rest: str) -> None:
    match = _CLOSING_RULE.search(rest)
    # The body starts on the next line, or is empty when the file ends with the fence.
    expected = None if match is None else (match.start(), min(match.end() + 1, len(rest)))
    assert frontmatter._closing(rest) == expected
