"""After a change, which categories are spelled two ways is found from the index of (slug,
name) alone; the table is read only for a slug that is. Counted in bytes SQLite reads from the
file (Linux's /proc/self/io), never in seconds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from feedsvc.index import _crossfile, _schema

ITEMS = 2_000
OTHERS = 50  # categories besides the one looked at, so that its rows are spread over the table


def _read_bytes() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="counts reads through /proc")
def test_a_slug_spelled_one_way_is_checked_without_reading_the_table(tmp_path: Path) -> None:
    location = tmp_path / "index.sqlite3"
    with _schema.connect(location) as db:
        _schema.create(db, str(tmp_path))
        rows = []
        for number in range(ITEMS):
            path = f"2024/{number:05d}-un-titre-assez-long-pour-un-vrai-fichier.md"
            rows.append((path, "Asie", "asie", number, f"id-{number}"))
            other = f"Catégorie {number % OTHERS}"
            rows.append((path, other, f"categorie-{number % OTHERS}", number, f"id-{number}"))
        rows.append(("2024/autre.md", "ASIE", "asie", 1, "autre"))  # a second spelling
        db.executemany("INSERT INTO categories VALUES (?, ?, ?, ?, ?)", rows)
        for statement in _schema.INDEXES:
            db.execute(statement)
        db.commit()
    db.close()

    def clashes(slugs: set[str]) -> tuple[list[_crossfile.SlugClash], int]:
        db = sqlite3.connect(location)
        try:
            db.execute("PRAGMA cache_size = 10")  # every page read from the file
            before = _read_bytes()
            found = _crossfile.slug_clashes(db, slugs)
            return found, _read_bytes() - before
        finally:
            db.close()

    one_way, read = clashes({"categorie-7"})
    assert one_way == []
    two_ways, _ = clashes({"asie"})
    assert [(c.slug, c.name, c.first_name) for c in two_ways] == [("asie", "ASIE", "Asie")]
    with sqlite3.connect(location) as db:  # as found over the whole table
        assert two_ways == [c for c in _crossfile.slug_clashes(db) if c.slug == "asie"]
    db.close()
    # The table is over 100 pages; the index entries of one slug, a few.
    table_pages = location.stat().st_size // 4096
    assert read < 20 * 4096 < table_pages * 4096 // 2, (read, table_pages)
