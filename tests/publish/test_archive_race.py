"""A build whose cache another build empties while it writes archives."""

from __future__ import annotations

from pathlib import Path

import pytest
from archived import setup
from feeds import build, cold_snapshot, snapshot
from helpers import WriteItem

from feedsvc.index import Index
from feedsvc.index._damage import emptied
from feedsvc.index._schema import connect


def test_a_week_read_from_a_cache_emptied_meanwhile_is_not_written_nor_sealed(
    items_dir: Path, write_item: WriteItem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another build sharing the cache (writing another out/) finds it damaged and empties
    # it, between this build's plan of the weeks and its read of a week's items: that
    # week's items are then none, and an archive of none would be sealed as its week.
    setup(items_dir, write_item)
    cache, out = tmp_path / "cache", tmp_path / "out"
    read = Index.week_items
    emptied_once: list[bool] = []

    def emptied_meanwhile(index: Index, *args: object) -> object:
        if not emptied_once:
            emptied_once.append(True)
            other = connect(index.location)
            emptied(other, index.location, index.owner).close()
        return read(index, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Index, "week_items", emptied_meanwhile)
    assert build(items_dir, out, "--cache", str(cache)).exit_code == 0
    monkeypatch.undo()
    assert emptied_once
    cold = cold_snapshot(items_dir, tmp_path / "cold")
    assert snapshot(out) == cold
    assert build(items_dir, out, "--cache", str(cache)).exit_code == 0
    assert snapshot(out) == cold
