"""Markdown bodies: the plain text of their first paragraph, and the sanitised HTML readers show.

Readers embed the HTML in their own pages, so it is cleaned with nh3 (the Ammonia sanitiser):
no scripts, styles, frames, event handlers or javascript:/data: URLs. Relative links are made
absolute against the item's URL, because each reader would resolve them against its own.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

__all__ = ["build_now", "first_paragraph", "sanitise", "to_html"]

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token


_BLANK = re.compile(r"\n[ \t]*\n")
# Lines that begin with a letter and hold none of the characters CommonMark gives a meaning
# inside a paragraph (escapes, code, emphasis, links, images, HTML, entities). No block can
# start with a letter, so such lines can only be one paragraph, and their text is the lines
# themselves: softbreaks read as spaces, spaces at line ends dropped.
_PROSE_LINE = r"[^\W\d_][^\n\r\t\x00\\`*_\[\]<>!&]*"
_PROSE = re.compile(rf"{_PROSE_LINE}(?:\n{_PROSE_LINE})*")


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


@cache
def _blocks() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").disable("inline")


def build_now() -> None:
    """Build both parsers now rather than on first use (see build_parsers)."""
    commonmark()
    _blocks()


def _first(markdown: str, whole: bool) -> str | None:
    """The first paragraph's text; None when a prefix of the body cannot tell for sure.

    `whole` also when no link reference is defined anywhere in the body (a definition is
    `[label]:`, so a body without "]:" has none): a link in a prefix then reads as it will.
    """
    env: dict[str, object] = {}
    tokens = _blocks().parse(markdown, env)
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open":
            content = tokens[index + 1].content
            if not whole and "[" in content:
                return None  # a link reference defined further down could change its text
            (inline,) = commonmark().parseInline(content, env)
            text = _inline_text(inline.children or []).strip()
            if text:
                return text
    return "" if whole else None


def first_paragraph(markdown: str) -> str:
    """The text a reader sees in the body's first paragraph, without any markup.

    A first paragraph of plain prose is read as it is. Otherwise a long body is not parsed
    whole: a paragraph that ends before a blank line is final (nothing after the blank line
    can change it, link references aside), so growing prefixes are read until one holds it.
    Only that paragraph's inline markup is parsed.
    """
    start = markdown.lstrip("\n")
    blank = _BLANK.search(start)
    head = start[: blank.start()] if blank else start.rstrip("\n")
    if _PROSE.fullmatch(head):  # most bodies: no parser needed
        return " ".join(line.rstrip(" ") for line in head.split("\n")).strip()
    cuts = [match.start() for match in _BLANK.finditer(markdown)]
    final = "]:" not in markdown
    for count in (1, 2, 4, 8):
        if count > len(cuts):
            break
        found = _first(markdown[: cuts[count - 1]], whole=final)
        if found:
            return found
    return _first(markdown, whole=True) or ""


# Tags an article body needs; anything else (forms, frames, media players) is dropped.
TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "figcaption", "figure",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "q", "s",
    "small", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def to_html(markdown: str, base_url: str) -> str:
    """Sanitised HTML of a Markdown body, links resolved against `base_url`."""
    return sanitise(commonmark().render(markdown), base_url)


def sanitise(raw: str, base_url: str) -> str:
    """What readers may be shown of rendered HTML, links resolved against `base_url`."""
    import nh3  # only builds that render a body need it

    return nh3.clean(
        raw,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener",
        url_relative=("rewrite_with_base", base_url),
    ).strip()
