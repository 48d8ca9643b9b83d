"""Markdown bodies as the HTML feed readers display: rendered, then sanitised.

Readers embed this HTML in their own pages, so it is cleaned with nh3 (the Ammonia sanitiser):
no scripts, styles, frames, event handlers or javascript:/data: URLs. Relative links are made
absolute against the item's URL, because each reader would resolve them against its own.
"""

from __future__ import annotations

from feedsvc.body import commonmark

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


def render(markdown: str, base_url: str) -> str:
    """Sanitised HTML of a Markdown body, links resolved against `base_url`."""
    import nh3  # only builds that render a body need it

    raw = commonmark().render(markdown)
    return nh3.clean(
        raw,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener",
        url_relative=("rewrite_with_base", base_url),
    ).strip()
