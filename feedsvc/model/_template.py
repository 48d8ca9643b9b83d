"""The template's placeholders: what `feedsvc new` writes and a live item may not still hold."""

from __future__ import annotations

from typing import Any

from feedsvc.model._types import fail

__all__ = ["BODY", "CAPTION", "CATEGORY", "SUMMARY", "placeholder_photo_url", "refuse_placeholder"]

SUMMARY = "Le résumé que les lecteurs verront sous le titre."
CAPTION = "La légende de la photo."
CATEGORY = "À classer"
BODY = "Le texte de l'article, en Markdown."

_UNTIL_READY = "or keep 'draft: true' until the item is ready"


def placeholder_photo_url(url: str) -> str:
    """The photo address the template derives from the item's own address."""
    return url.rstrip("/") + ".jpg"


def refuse_placeholder(field: str, value: Any, url: str | None) -> None:
    """Raise when `value`, the checked value of `field` in a live item, is still the template's."""
    if field == "summary" and value == SUMMARY:
        raise fail(f"is still the template's {SUMMARY!r}; write the summary, {_UNTIL_READY}")
    if field == "body" and value.strip() == BODY:
        raise fail(f"is still the template's {BODY!r}; write the article, {_UNTIL_READY}")
    if field == "categories" and any(c.casefold() == CATEGORY.casefold() for c in value):
        raise fail(
            f"still holds the template's {CATEGORY!r}; replace it with the item's categories, "
            + _UNTIL_READY
        )
    if field == "photo" and value is not None:
        if value.caption == CAPTION:
            raise fail(
                f"caption is still the template's {CAPTION!r}; write the caption, or remove "
                f"the photo, {_UNTIL_READY}"
            )
        if url is not None and value.url == placeholder_photo_url(url):
            raise fail(
                f"url is still the template's {value.url!r}, made from the item's address; "
                f"write the photo's address, or remove the photo, {_UNTIL_READY}"
            )
