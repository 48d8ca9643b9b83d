"""An index kept up to date change by change holds what a new one would, check sums included.

Random sequences of edits, adds, deletes and moves (drafts, schedules, categories coming and
going, invalid files) are synced into a real index file, its folders split in runs of two
files; after every sync it must hold the rows a new index of the folder holds, the sums it
stored must be those a sum over the whole index gives, and a change must not sum the whole
index again.
"""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path

import pytest
from helpers import SETTINGS, TEASER, age

from feedsvc.index import Index, _changes, _sync
from feedsvc.index import _sums as sums
from feedsvc.items import scan

SEQUENCES = 12
STEPS = 15
CATEGORIES = ("Asie", "Monde", "Économie", "Corée du Nord", "Japon", "Chine", "Inde")
FOLDERS = ("", "2024/", "2024/06/", "archives/")


def _teaser(rng: random.Random, number: int) -> str:
    names = ", ".join(rng.sample(CATEGORIES, rng.randint(1, 3)))
    text = (
        TEASER.replace("/breve", f"/breve-{number}-{rng.randrange(3)}")
        .replace("Une brève", f"Brève {number} {rng.random():.6f}")
        .replace("2024-06-19T15:00:00", f"20{rng.choice(['24', '99'])}-06-19T15:00:00")
        .replace("[Asie]", f"[{names}]")
    )
    if rng.random() < 0.15:
        text = text.replace("access: members", "draft: true")
    if rng.random() < 0.1:
        text = text.replace("kind: teaser", "kind: nothing")  # a problem, no id
    return text


def _step(rng: random.Random, items: Path, number: int) -> None:
    files = sorted(items.rglob("*.md"))
    what = rng.choice(["add", "add", "edit", "edit", "delete", "move"]) if files else "add"
    if what == "add":
        path = items / rng.choice(FOLDERS) / f"n{number}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_teaser(rng, number), encoding="utf-8")
    elif what == "edit":
        for path in rng.sample(files, min(len(files), rng.randint(1, 3))):
            path.write_text(_teaser(rng, number), encoding="utf-8")
    elif what == "delete":
        rng.choice(files).unlink()
    else:
        path = rng.choice(files)
        target = items / rng.choice(FOLDERS) / f"m{number}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        path.rename(target)
    if rng.random() < 0.8:
        age(items)  # else the files are too young to trust, and read again next time


ROWS = (
    "SELECT path, size, digest, id, url, live_from FROM files ORDER BY path",
    "SELECT path, name, slug, live_from, id FROM categories ORDER BY path, name",
    "SELECT * FROM problems ORDER BY path, line, field",
    "SELECT * FROM slugs ORDER BY slug",
)


def _rows(index: Index) -> list[list[tuple[object, ...]]]:
    return [index.db.execute(query).fetchall() for query in ROWS]


def _stored(index: Index) -> object:
    row = index.db.execute("SELECT value FROM meta WHERE key = 'sums'").fetchone()
    return json.loads(row[0])


@pytest.mark.parametrize("seed", range(SEQUENCES))
def test_each_change_gives_the_rows_and_sums_of_a_new_index(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_changes, "RUN", 2)
    rng = random.Random(seed)
    items = tmp_path / "items"
    items.mkdir()
    (items / "feed.yaml").write_text(SETTINGS, encoding="utf-8")
    for number in range(rng.randint(1, 12)):
        _step(rng, items, number)
    cache = tmp_path / "index.sqlite3"
    Index(cache, items).sync(scan(items), processes=1)
    for number in range(100, 100 + STEPS):
        _step(rng, items, number)
        index = Index(cache, items)
        first_load = index.count() == 0  # summed whole, as a cold build is
        statements: list[str] = []
        index.db.set_trace_callback(statements.append)
        index.sync(scan(items), processes=1)
        index.db.set_trace_callback(None)
        index.checked()  # the check beside the change: the index it read was whole
        new = Index(None, items)
        new.sync(scan(items), processes=1)
        assert _rows(index) == _rows(new)
        everything = {**sums.EVERY_BUILD, **sums.CHANGES}
        assert _stored(index) == json.loads(json.dumps(sums.compute(index.db, everything)))
        # Each sum over the whole index is read once, by the check before the change.
        for name, query in sums.ADDITIVE.items() if not first_load else ():
            assert sum(query.whole() in s for s in statements) <= 1, (seed, number, name)
        index.close()


def _indexed_then_edited(tmp_path: Path, files: int, edited: int) -> tuple[Path, Path]:
    """An items folder of `files` teasers, indexed, then teaser `edited` changed: (items, cache)."""
    rng = random.Random(files)
    items = tmp_path / "items"
    items.mkdir()
    (items / "feed.yaml").write_text(SETTINGS, encoding="utf-8")
    for number in range(files):
        (items / f"n{number}.md").write_text(_teaser(rng, number), encoding="utf-8")
    age(items)
    cache = tmp_path / "index.sqlite3"
    Index(cache, items).sync(scan(items), processes=1)
    (items / f"n{edited}.md").write_text(_teaser(rng, edited), encoding="utf-8")
    age(items)
    return items, cache


def test_an_edit_in_a_large_folder_stores_the_stats_of_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_changes, "RUN", 4)
    items, cache = _indexed_then_edited(tmp_path, files=64, edited=7)
    dumped: list[int] = []
    dumps = _sync.marshal.dumps

    def counted(value: dict[str, object]) -> bytes:
        dumped.append(len(value))
        return dumps(value)

    monkeypatch.setattr(_sync.marshal, "dumps", counted)
    index = Index(cache, items)
    assert index.sync(scan(items), processes=1) == 1
    assert len(dumped) == 1 and dumped[0] <= 12  # one run of about 4, not the folder's 64


def test_a_sync_stopped_half_way_stops_the_check_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items, cache = _indexed_then_edited(tmp_path, files=8, edited=3)
    before = set(threading.enumerate())  # another test's thread may end meanwhile
    started: list[sums.Apart] = []
    real = sums.Apart.__init__

    def noted(self: sums.Apart, *args: object) -> None:
        real(self, *args)  # type: ignore[arg-type]
        started.append(self)

    def stopped(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sums.Apart, "__init__", noted)
    monkeypatch.setattr(_sync.Sync, "_apply", stopped)
    index = Index(cache, items)
    with pytest.raises(KeyboardInterrupt):
        index.sync(scan(items), processes=1)
    assert len(started) == 1 and not started[0].connections  # closed
    assert set(threading.enumerate()) <= before  # the check's threads are gone
    monkeypatch.undo()
    assert index.sync(scan(items), processes=1) == 1  # nothing of it was kept
    index.checked()
    index.close()
