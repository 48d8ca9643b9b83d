"""What tests share besides fixtures: the bundled items, and small valid item files to write."""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from feedsvc.index import _schema

__all__ = [
    "BUNDLED_ITEMS", "LEAD", "OLD", "ROOT", "SETTINGS", "TEASER", "WriteItem", "age",
    "traced_statements",
]  # fmt: skip

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_ITEMS = ROOT / "items"

SETTINGS = """\
title: Flux de test
description: Un flux pour les tests.
site_url: https://www.example.com/
public_url: https://www.example.com/feeds/
publisher: La rédaction
"""

LEAD = """\
---
kind: lead
title: Un article complet
url: https://www.example.com/2024/06/19/article
published: 2024-06-19T14:30:00+09:00
categories: [Asie]
photo:
  url: https://www.example.com/photo.jpg
  caption: Une légende.
---
Le premier paragraphe de l'article.

Le second paragraphe.
"""

TEASER = """\
---
kind: teaser
title: Une brève
url: https://www.example.com/2024/06/19/breve
published: 2024-06-19T15:00:00+08:00
categories: [Asie]
summary: Le résumé de la brève.
access: members
---
"""

WriteItem = Callable[[str, str], Path]

OLD = 1_000_000_000  # a moment long past, so the index trusts the file's stat
STAMPS = itertools.count(OLD)


def age(folder: Path) -> None:
    """Give each file written just now an old, distinct mtime, as if edited a while ago.

    The index does not trust a stat younger than the file system's timestamp granularity, so
    without this every test file would be read again at every build.
    """
    for path in sorted(folder.rglob("*.md")):
        if path.stat().st_mtime_ns > 10**15:
            stamp = next(STAMPS)
            os.utime(path, ns=(stamp, stamp))


def traced_statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the indexes opened from now on run, their values in place."""
    statements: list[str] = []
    connect = _schema.connect

    def traced(location: Path | None) -> sqlite3.Connection:
        db = connect(location)
        db.set_trace_callback(statements.append)
        return db

    monkeypatch.setattr(_schema, "connect", traced)
    return statements
