"""Shared fixtures: throwaway items folders built from small, valid item files."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

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


@pytest.fixture
def items_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "items"
    folder.mkdir()
    (folder / "feed.yaml").write_text(SETTINGS, encoding="utf-8")
    return folder


@pytest.fixture
def write_item(items_dir: Path) -> WriteItem:
    def write(name: str, content: str) -> Path:
        path = items_dir / name
        path.write_text(textwrap.dedent(content), encoding="utf-8")
        return path

    return write


@pytest.fixture
def bundled_copy(tmp_path: Path) -> Path:
    """A copy of the bundled items that a test may edit freely."""
    return Path(shutil.copytree(BUNDLED_ITEMS, tmp_path / "items"))
