"""A build with nothing to do reads no table of the index whole: seen in the query plans of
what it asks SQLite, never in seconds."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from feeds import NOW
from helpers import BUNDLED_ITEMS, TEASER, age, traced_statements

from feedsvc.cli import main

ITEMS = 300
# A pass over every row of the tables that grow with the archive, or over an index of them.
_WHOLE = re.compile(r"SCAN (files|categories|f|c)\b")


def _items(folder: Path) -> Path:
    items = Path(shutil.copytree(BUNDLED_ITEMS, folder))
    for number in range(ITEMS):
        text = TEASER.replace("/breve", f"/breve-{number}").replace("Une brève", f"Brève {number}")
        (items / f"{number // 100}" / f"n{number}.md").parent.mkdir(exist_ok=True)
        (items / f"{number // 100}" / f"n{number}.md").write_text(text, encoding="utf-8")
    age(items)
    return items


def _build(items: Path, out: Path, cache: Path) -> str:
    arguments = ["build", "--items", str(items), "--out", str(out), "--now", NOW]
    result = CliRunner().invoke(main, [*arguments, "--cache", str(cache)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_no_op_build_reads_no_table_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items, out, cache = _items(tmp_path / "items"), tmp_path / "out", tmp_path / "cache"
    _build(items, out, cache)
    statements = traced_statements(monkeypatch)
    output = _build(items, out, cache)
    assert "nothing changed" in output and f"{ITEMS + 3} items valid" in output, output
    (database,) = cache.glob("*.sqlite3")
    with sqlite3.connect(database) as db:
        plans = {
            statement: [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}")]
            for statement in statements
            if statement.lstrip().upper().startswith("SELECT")
        }
    db.close()
    assert len(plans) > 5, statements  # the trace saw the build's reads
    whole = {s: plan for s, plan in plans.items() if any(_WHOLE.match(step) for step in plan)}
    assert not whole, whole
