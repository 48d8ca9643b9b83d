"""The outputs a build reads outside the sealed archive and week folders: by ranges of the
primary key, in statements of at most SQLite's limit of compound SELECTs; the same rows
however the ranges are cut into statements."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from feedsvc.index import _written

PATHS = [
    "index.html", "public/atom.xml", "public/archive/2024-W01/atom.xml",
    "public/archive/2024-W02/rss.xml", "public/archive0", "public/archivez/x",
    "public/categories/a/rss.xml", "public/categories/a/archive/2024-W01/rss.xml",
    "public/categories/a-b/archive/2024-W01/rss.xml", "public/categories/a/archive/",
    "public/categories/archive/archive/2024-W01/rss.xml", "members/archive/2024-W01/feed.json",
    "members/rss.xml", "public/categories/a/archive.json",
]  # fmt: skip
SEALED = [
    [],
    ["public/archive/"],
    ["public/categories/a/archive/", "members/archive/"],
    ["public/categories/archive/archive/", "public/archive/", "public/categories/a-b/archive/"],
    ["public/archive/2024-W01/", "public/categories/a/archive/2024-W01/"],
    ["public/archive/", "public/archive/2024-W01/", "members/archive/2024-W01/"],  # nested
]


@pytest.mark.parametrize("most", [400, 2, 1])
@pytest.mark.parametrize("sealed", SEALED)
def test_rows_outside_the_sealed_folders(
    sealed: list[str], most: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_written, "_MOST_RANGES", most)
    db = sqlite3.connect(tmp_path / "index.sqlite3")
    db.execute(
        "CREATE TABLE outputs (path TEXT PRIMARY KEY, key TEXT, size INTEGER, mtime_ns INTEGER)"
    )
    db.executemany("INSERT INTO outputs VALUES (?, 'k', 1, 2)", [(p,) for p in PATHS])
    found = sorted(row[0] for row in _written.rows_outside(db, "path, key", sealed))
    assert found == sorted(p for p in PATHS if not any(p.startswith(s) for s in sealed))
