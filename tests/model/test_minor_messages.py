"""Small mistakes get one message that names the real problem: no false extra, no jargon."""

from __future__ import annotations

import pytest
from helpers import SETTINGS, TEASER, WriteItem

from feedsvc.index import load_items

URL = "url: https://www.example.com/2024/06/19/breve"
CATEGORIES = "categories: [Asie]"

# (id, what replaces CATEGORIES or URL in the teaser, field, line, fragment of the message)
ITEM_CASES = [
    ("one-bad-category", (CATEGORIES, "categories: ['<b>x</b>']"), "categories[0]", 6, "HTML tag"),
    ("blank-category", (CATEGORIES, "categories: [' ']"), "categories[0]", 6, "is empty"),
    ("number-category", (CATEGORIES, "categories: [2024]"), "categories[0]", 6, "in quotes"),
    ("no-category", (CATEGORIES, "categories: []"), "categories", 6, "at least one entry"),
    ("ipv6-unclosed", (URL, "url: 'https://[2001:db8::1/a'"), "url", 4, "unbalanced '['"),
    ("ipv6-stray", (URL, "url: 'https://host]/a'"), "url", 4, "unbalanced '[' or ']'"),
    ("newline", (URL, 'url: "https://www.example.com/a\\nb"'), "url", 4, "on one line"),
    ("carriage-return", (URL, 'url: "https://www.example.com/a\\rb"'), "url", 4, "on one line"),
    ("tab", (URL, 'url: "https://www.example.com/a\\tb"'), "url", 4, "U+0009"),
    ("no-break-space", (URL, 'url: "https://www.example.com/a\\u00a0b"'), "url", 4, "no-break"),
    ("space", (URL, "url: 'https://www.example.com/a b'"), "url", 4, "encode it as %20"),
]


@pytest.mark.parametrize(
    ("edit", "field", "line", "fragment"),
    [c[1:] for c in ITEM_CASES],
    ids=[c[0] for c in ITEM_CASES],
)
def test_item_mistake_gets_one_plain_message(
    write_item: WriteItem, edit: tuple[str, str], field: str, line: int, fragment: str
) -> None:
    path = write_item("item.md", TEASER.replace(*edit))
    problems = load_items(path.parent).problems
    assert len(problems) == 1, [str(p) for p in problems]
    (problem,) = problems
    assert (problem.field, problem.line) == (field, line), str(problem)
    assert fragment in problem.message
    assert "Value error" not in problem.message
    if "\\n" in edit[1] or "\\r" in edit[1]:
        assert "space" not in problem.message


# (id, a line added to the settings, field, fragment of the message)
SETTINGS_CASES = [
    ("limit-true", "limit: true", "limit", "whole number"),
    ("limit-false", "limit: false", "limit", "whole number"),
    ("limit-float", "limit: 2.5", "limit", "whole number"),
    ("limit-whole-float", "limit: 20.0", "limit", "whole number"),
    ("limit-text", "limit: '20'", "limit", "whole number"),
    ("category-limit-true", "category_limit: true", "category_limit", "whole number"),
    ("members-limit-false", "members_limit: false", "members_limit", "whole number"),
    ("formats-twice", "formats: [rss, rss]", "formats", "lists 'rss' twice"),
    ("formats-twice-apart", "formats: [json, atom, json]", "formats", "lists 'json' twice"),
    ("formats-empty", "formats: []", "formats", "lists no format"),
    ("formats-misspelt", "formats: [xml]", "formats[0]", "must be 'rss', 'atom' or 'json'"),
]


@pytest.mark.parametrize(
    ("extra", "field", "fragment"),
    [c[1:] for c in SETTINGS_CASES],
    ids=[c[0] for c in SETTINGS_CASES],
)
def test_settings_mistake_gets_one_plain_message(
    write_item: WriteItem, extra: str, field: str, fragment: str
) -> None:
    items_dir = write_item("item.md", TEASER).parent
    (items_dir / "feed.yaml").write_text(SETTINGS + extra + "\n", encoding="utf-8")
    problems = load_items(items_dir).problems
    assert len(problems) == 1, [str(p) for p in problems]
    (problem,) = problems
    assert (problem.field, problem.line) == (field, 6), str(problem)
    assert fragment in problem.message
