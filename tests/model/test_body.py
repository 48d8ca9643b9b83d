"""The derived summary reads a prefix of the body; it must read what a full parse reads."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from feedsvc.model import _markdown
from feedsvc.model._markdown import _inline_text, first_paragraph

BLOCKS = st.sampled_from([
    "Un paragraphe *simple*.", "Texte avec [lien][r] et [autre](https://x.example).",
    "[r]: https://www.example.com/ref", "```", "    code indenté", "> citation",
    "- élément", "  suite d'élément", "<!--", "-->", "<div>", "</div>", "Titre\n=====",
    "# Titre", "![](image.png)", "&amp; entité &nbsp;", "***", "", "  ", "1. premier",
    "Prose simple, à l'œil nu : 42 % + 3 = 45 ; #1 ~ {x} ^ @ $", "Deux lignes  \nla suite",
    "Une ligne \nsuivie\u00a0\nd'une autre", "Titre\n---", "Texte\n  en retrait",
    "²ème ligne", "Fin\n",
])  # fmt: skip


def _reference(markdown: str) -> str:
    tokens = MarkdownIt("commonmark").parse(markdown)
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open":
            text = _inline_text(tokens[index + 1].children or []).strip()
            if text:
                return text
    return ""


@settings(max_examples=400, deadline=None)
@given(st.lists(BLOCKS, max_size=14), st.sampled_from(["\n", "\n\n", "\n\n\n"]))
def test_first_paragraph_matches_a_full_parse(blocks: list[str], joiner: str) -> None:
    markdown = joiner.join(blocks)
    assert first_paragraph(markdown) == _reference(markdown)


# Prose with, now and then, a character that makes it more than prose.
PROSE = st.text(alphabet="ab é²1 \n\t\u00a0-=#>*_`[]<&!\\.", max_size=40)


@settings(max_examples=400, deadline=None)
@given(PROSE)
def test_plain_prose_reads_as_a_full_parse_reads_it(markdown: str) -> None:
    assert first_paragraph(markdown) == _reference(markdown)


def test_a_link_in_the_first_paragraph_does_not_read_the_whole_body(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without a link reference definition (`[label]:`) anywhere, nothing further down can
    # change the link's text: the first paragraph alone is parsed, however long the body.
    read: list[int] = []
    parser = _markdown._blocks()
    real = parser.parse
    monkeypatch.setattr(
        parser, "parse", lambda text, env=None: read.append(len(text)) or real(text, env)
    )
    markdown = "Texte avec [un lien](https://x.example) et **gras**.\n\n" + "Suite.\n\n" * 2000
    assert first_paragraph(markdown) == _reference(markdown) == "Texte avec un lien et gras."
    assert max(read) < 100, read
