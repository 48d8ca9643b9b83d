"""What an item and the feed settings are: pydantic models, field types, plain text, Markdown.

The model knows nothing of files, YAML, SQLite or XML.
"""

from __future__ import annotations

from feedsvc.model import _template as template
from feedsvc.model._items import (
    ITEM,
    Access,
    FeedSettings,
    FormatName,
    Lead,
    Person,
    Photo,
    Teaser,
    build_parsers,
)
from feedsvc.model._markdown import first_paragraph, to_html
from feedsvc.model._slugs import slug
from feedsvc.model._types import NEVER, due_moment, microseconds, title_problem

__all__ = [
    "ITEM",
    "NEVER",
    "Access",
    "FeedSettings",
    "FormatName",
    "Lead",
    "Person",
    "Photo",
    "Teaser",
    "build_parsers",
    "due_moment",
    "first_paragraph",
    "microseconds",
    "slug",
    "template",
    "title_problem",
    "to_html",
]
