"""The archive tests' store: seven leads over four ISO weeks, some members-only."""

from __future__ import annotations

from pathlib import Path

from helpers import SETTINGS, WriteItem

# (name, published, categories, access): four ISO weeks, a week boundary in UTC that is not
# one in local time, and members-only items.
ITEMS = [
    ("a", "2024-03-05T10:00:00+01:00", "[Asie]", "public"),
    ("b", "2024-03-07T10:00:00+01:00", "[Asie, Japon]", "members"),
    ("c", "2024-03-17T23:30:00-05:00", "[Japon]", "public"),  # Monday 18 March in UTC
    ("d", "2024-03-19T08:00:00+09:00", "[Asie]", "public"),
    ("e", "2024-03-21T08:00:00+09:00", "[Asie]", "members"),
    ("f", "2024-03-25T08:00:00+09:00", "[Asie, Japon]", "public"),
    ("g", "2024-03-27T08:00:00+09:00", "[Asie]", "public"),
]


def lead(name: str, published: str, categories: str, access: str) -> str:
    return f"""\
---
kind: lead
title: Article {name}
url: https://www.example.com/{name}
published: {published}
categories: {categories}
access: {access}
summary: Résumé {name}.
---
Texte intégral de {name}, réservé ou non.
"""


def setup(items_dir: Path, write_item: WriteItem, *settings: str) -> None:
    (items_dir / "feed.yaml").write_text(
        SETTINGS + "limit: 2\narchives: true\n" + "".join(f"{s}\n" for s in settings)
    )
    for item in ITEMS:
        write_item(f"{item[0]}.md", lead(*item))
