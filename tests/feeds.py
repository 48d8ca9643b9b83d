"""Helpers for reading back what a build wrote, the way readers do."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import feedparser
from click.testing import CliRunner
from lxml import etree

from feedsvc.cli import main
from feedsvc.publish._layout import LOCK_FILE, MEMBERS_FOLDER, out_path
from feedsvc.publish.writers.namespaces import PREFIXES

NS = PREFIXES
NOW = "2030-01-01T00:00:00+00:00"


def build(items_dir: Path, out_dir: Path, *extra: str) -> Any:
    result = CliRunner().invoke(
        main, ["build", "--items", str(items_dir), "--out", str(out_dir), "--now", NOW, *extra]
    )
    return result


def xml(path: Path) -> Any:
    return etree.fromstring(path.read_bytes())


def parsed(path: Path) -> Any:
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def cold_snapshot(items_dir: Path, out_dir: Path) -> dict[str, bytes]:
    """snapshot() of what a build with no cache writes into `out_dir` from `items_dir`: what
    every incremental build must equal."""
    result = build(items_dir, out_dir, "--no-cache")
    assert result.exit_code == 0, result.output
    return snapshot(out_dir)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` but the build lock, which is empty and never changes."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != LOCK_FILE
    }


def on_disk(out_dir: Path, address: str) -> Path:
    """The file a build wrote for the address below public_url, e.g. 'members/rss.xml'."""
    return out_dir / out_path(address, address.startswith(MEMBERS_FOLDER))


def decoded(data: bytes) -> str:
    """What a consumer sees once XML/HTML entities and JSON escapes are undone."""
    text = data.decode("utf-8")
    if text.lstrip().startswith("{"):
        text = json.dumps(json.loads(text), ensure_ascii=False)
    return html.unescape(html.unescape(text))
