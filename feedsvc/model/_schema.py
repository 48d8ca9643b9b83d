"""JSON Schemas of the files editors write, derived from the models so they never drift."""

from __future__ import annotations

from typing import Any

from feedsvc.model._items import ITEM, FeedSettings

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def item_schema() -> dict[str, Any]:
    """The front matter of an item file: the models minus the body, which lives below it."""
    schema = ITEM.json_schema()
    for definition in schema.get("$defs", {}).values():
        properties = definition.get("properties", {})
        if "body" in properties:
            del properties["body"]
            required = [name for name in definition.get("required", []) if name != "body"]
            definition["required"] = required
    return {"$schema": DIALECT, "title": "feedsvc item front matter", **schema}


def settings_schema() -> dict[str, Any]:
    return {"$schema": DIALECT, **FeedSettings.model_json_schema()}
