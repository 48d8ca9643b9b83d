"""Each feed's archive weeks summed up: a no-op reads none of them, an edit its feeds' only."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

import pytest
from archived import ITEMS, lead, setup
from feeds import build, cold_snapshot, snapshot
from helpers import WriteItem, traced_statements

# A statement that reads a feed's rows of weeks (every field), or every feed's.
_WEEK_ROWS = re.compile(
    r"SELECT (feed, )?month, digest, items FROM months(?: WHERE feed = '([^']*)')?"
)


def _feeds_read(statements: list[str]) -> set[str]:
    """The feeds whose weeks were read ('*' for a read of every feed's)."""
    found = set()
    for statement in statements:
        for whole, feed in _WEEK_ROWS.findall(statement):
            found.add("*" if whole or not statement.count("WHERE feed") else feed)
    return found


def _age(items_dir: Path, pattern: str = "*.md") -> None:
    """Files written just now are read again by every build until they are older."""
    for path in items_dir.glob(pattern):
        os.utime(path, (path.stat().st_mtime - 3600,) * 2)


def test_a_no_op_reads_no_week_and_an_edit_only_its_feeds_weeks(
    items_dir: Path, write_item: WriteItem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 8,364 rows of weeks at 100,000 items (209 weeks, 40 feeds): a no-op knows its feeds'
    # archives unchanged from a few rows a feed, and an edit reads the weeks of the feeds it
    # changes (every item's, so main and members', and its category's), not the others'.
    setup(items_dir, write_item)
    _age(items_dir)
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    statements = traced_statements(monkeypatch)
    again = build(items_dir, out, "--json")
    assert again.exit_code == 0
    report = json.loads(again.output)
    assert {file["status"] for file in report["files"]} == {"unchanged"}
    assert _feeds_read(statements) == set()
    # The sealed archive files are counted from the weeks, not from the outputs table.
    assert not [s for s in statements if "COUNT(*) FROM outputs" in s]
    on_disk = [path for path in out.rglob("*") if path.is_file() and not path.name.startswith(".")]
    assert len(report["files"]) + report["counts"]["sealed"] == len(on_disk)
    statements.clear()
    write_item("c.md", lead(*ITEMS[2]).replace("Résumé c.", "Résumé c, corrigé."))
    _age(items_dir, "c.md")
    assert build(items_dir, out).exit_code == 0
    assert _feeds_read(statements) == {"", "japon"}
    assert snapshot(out) == cold_snapshot(items_dir, tmp_path / "cold")


def test_a_damaged_week_row_of_a_feed_read_is_noticed(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    # The table's own sums are taken in C, and miss two weeks' digests swapped: a feed's
    # weeks are checked against the digest of its rows kept beside them when an edit
    # changes them, before they are summed up again, and when they are read.
    setup(items_dir, write_item)
    cache, out = tmp_path / "cache", tmp_path / "out"
    assert build(items_dir, out, "--cache", str(cache)).exit_code == 0
    (database,) = cache.glob("*.sqlite3")
    with sqlite3.connect(database) as db:  # two weeks the edit of c (2024-W12) leaves alone
        weeks = ("2024-W10", "2024-W13")
        digests = [
            db.execute(
                "SELECT digest FROM months WHERE feed = '' AND month = ?", (week,)
            ).fetchone()[0]
            for week in weeks
        ]
        for week, digest in zip(weeks, reversed(digests), strict=True):
            db.execute("UPDATE months SET digest = ? WHERE feed = '' AND month = ?", (digest, week))
    write_item("c.md", lead(*ITEMS[2]).replace("Résumé c.", "Résumé c, corrigé."))
    result = build(items_dir, out, "--cache", str(cache))
    assert result.exit_code == 0, result.output
    assert "was damaged" in result.output
    assert snapshot(out) == cold_snapshot(items_dir, tmp_path / "cold")
