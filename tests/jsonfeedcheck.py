"""JSON Feed 1.1 rules, written from the specification (jsonfeed.org/version/1.1)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

VERSION = "https://jsonfeed.org/version/1.1"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
FEED_STRINGS = ("title", "home_page_url", "feed_url", "description", "user_comment",
                "next_url", "icon", "favicon", "language")  # fmt: skip
FEED_URLS = ("home_page_url", "feed_url", "next_url", "icon", "favicon")
ITEM_STRINGS = ("url", "external_url", "title", "content_html", "content_text", "summary",
                "image", "banner_image", "date_published", "date_modified", "language")  # fmt: skip
ITEM_URLS = ("url", "external_url", "image", "banner_image")
KNOWN_FEED = {*FEED_STRINGS, "version", "items", "authors", "author", "expired", "hubs"}
KNOWN_ITEM = {*ITEM_STRINGS, "id", "tags", "authors", "author", "attachments"}


def _absolute(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _authors(where: str, authors: Any, problems: list[str]) -> None:
    if not isinstance(authors, list):
        problems.append(f"{where}.authors must be an array")
        return
    for index, author in enumerate(authors):
        if not isinstance(author, dict) or not author.keys() & {"name", "url", "avatar"}:
            problems.append(f"{where}.authors[{index}] needs a name, url or avatar")


def _extensions(where: str, obj: dict[str, Any], known: set[str], problems: list[str]) -> None:
    for key in obj:
        if key in known:
            continue
        if not re.match(r"^_[A-Za-z]", key):
            problems.append(f"{where} has unknown key {key!r}; extensions start with _ + letter")
        elif not isinstance(obj[key], dict):
            problems.append(f"{where}.{key} extension must be an object")


def check_json_feed(data: bytes) -> list[str]:
    problems: list[str] = []
    try:
        feed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return [f"not UTF-8 JSON: {error}"]
    if not isinstance(feed, dict):
        return ["top level must be an object"]
    if feed.get("version") != VERSION:
        problems.append(f"version must be {VERSION}")
    if not isinstance(feed.get("title"), str) or not feed["title"]:
        problems.append("title is required")
    for key in FEED_STRINGS:
        if key in feed and not isinstance(feed[key], str):
            problems.append(f"{key} must be a string")
    for key in FEED_URLS:
        if isinstance(feed.get(key), str) and not _absolute(feed[key]):
            problems.append(f"{key} must be an absolute URL")
    if "authors" in feed:
        _authors("feed", feed["authors"], problems)
    _extensions("feed", feed, KNOWN_FEED, problems)
    items = feed.get("items")
    if not isinstance(items, list):
        return [*problems, "items must be an array"]
    ids = set()
    for index, item in enumerate(items):
        where = f"items[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where} must be an object")
            continue
        if not isinstance(item.get("id"), str) or not item["id"]:
            problems.append(f"{where}.id is required and must be a string")
        elif item["id"] in ids:
            problems.append(f"{where}.id {item['id']!r} is not unique")
        ids.add(item.get("id"))
        if "content_html" not in item and "content_text" not in item:
            problems.append(f"{where} needs content_html or content_text")
        for key in ITEM_STRINGS:
            if key in item and not isinstance(item[key], str):
                problems.append(f"{where}.{key} must be a string")
        for key in ITEM_URLS:
            if isinstance(item.get(key), str) and not _absolute(item[key]):
                problems.append(f"{where}.{key} must be an absolute URL")
        for key in ("date_published", "date_modified"):
            if isinstance(item.get(key), str) and not RFC3339.match(item[key]):
                problems.append(f"{where}.{key} must be RFC 3339")
        tags = item.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            problems.append(f"{where}.tags must be an array of strings")
        if "authors" in item:
            _authors(where, item["authors"], problems)
        _extensions(where, item, KNOWN_ITEM, problems)
    return problems
