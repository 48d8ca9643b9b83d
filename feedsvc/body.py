"""Reading Markdown bodies: the plain text of their first paragraph."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token


@cache
def commonmark() -> MarkdownIt:
    # CommonMark is the dialect editors' tools preview; one shared parser, built once, and only
    # by the builds that render a body (importing it is a tenth of a no-op rebuild).
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_text(child.children or []))
    return "".join(parts)


def first_paragraph(markdown: str) -> str:
    """The text a reader sees in the body's first paragraph, without any markup."""
    tokens = commonmark().parse(markdown)
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open":
            inline = tokens[index + 1]
            text = _inline_text(inline.children or []).strip()
            if text:
                return text
    return ""
