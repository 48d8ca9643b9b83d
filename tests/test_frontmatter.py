"""Front matter is read faster than `yaml.load`, but never differently."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsvc import frontmatter

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
        return "value", load(source)
    except (yaml.YAMLError, frontmatter.FrontMatterError, ValueError, TypeError, RecursionError):
        return "error", None


def _same(left: Any, right: Any) -> bool:
    # NaN is not equal to itself; compare the parse trees' text instead.
    return repr(left) == repr(right)


@settings(max_examples=400, deadline=None)
@given(documents())
def test_the_fast_path_builds_what_pyyaml_builds(source: str) -> None:
    ours = _outcome(frontmatter.parse_yaml, source)
    theirs = _outcome(lambda text: yaml.load(text, Loader=frontmatter._Loader), source)
    bomb = "&" in source and frontmatter._count(theirs[1], frontmatter.MAX_VALUES) < 0
    if theirs[0] == "value" and bomb:
        theirs = ("error", None)  # refused on purpose: an alias bomb
    assert ours[0] == theirs[0]
    assert _same(ours[1], theirs[1])


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
    construct = frontmatter._Loader.construct_document

    def spy(loader: Any, node: Any) -> Any:
        full.append(source)
        return construct(loader, node)

    monkeypatch.setattr(frontmatter._Loader, "construct_document", spy)
    expected = _outcome(lambda text: yaml.load(text, Loader=frontmatter._Loader), source)
    full.clear()
    assert _outcome(frontmatter.parse_yaml, source) == expected
    assert (not full) == fast


@pytest.mark.parametrize("value", ["&r [*r]", "&r {a: *r}", "&r [[[*r]]]"])
def test_an_alias_to_its_own_parent_is_refused_not_a_crash(value: str) -> None:
    with pytest.raises(frontmatter.FrontMatterError, match="aliases"):
        frontmatter.split(f"---\nkind: teaser\ntitle: {value}\n---\n".encode())
