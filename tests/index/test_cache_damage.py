"""A damaged cache is noticed and rebuilt: never a traceback, never a feed unlike a cold build's.

Random damages to a real index file (bit flips, zeroed and truncated pages, rows edited or
deleted through sqlite3, dropped tables and indexes, bad meta rows) are each followed by a
build with no change and a build after an edit; both must write what a build without cache
writes. FEEDSVC_DAMAGES=250 tries more than the default.
"""

from __future__ import annotations

import gc
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from feeds import NOW, snapshot
from helpers import BUNDLED_ITEMS, TEASER, age

from feedsvc.cli import main
from feedsvc.errors import CacheDamaged
from feedsvc.index import Index
from feedsvc.items import scan

DAMAGES = int(os.environ.get("FEEDSVC_DAMAGES", "24"))
PAGE = 4096
CATEGORIES = ("Asie", "Monde", "Économie", "Corée du Nord", "Japon", "Chine")

EDITS = (
    "UPDATE categories SET slug = 'monde' WHERE rowid = (SELECT max(rowid) FROM categories)",
    "DELETE FROM categories WHERE rowid = (SELECT min(rowid) FROM categories)",
    "UPDATE files SET live_from = live_from - 1000 WHERE rowid = 3",
    "UPDATE files SET live_from = NULL WHERE rowid = 5",
    "UPDATE files SET url = 'https://www.example.com/x' WHERE rowid = 7",
    "UPDATE files SET digest = 'x' WHERE rowid = 2",
    "UPDATE files SET path = 'elsewhere.md' WHERE rowid = 4",
    "DELETE FROM files WHERE rowid = 6",
    "DELETE FROM slugs WHERE rowid = 1",
    "UPDATE slugs SET name = 'Autre' WHERE rowid = 2",
    "INSERT INTO problems VALUES ('n1.md', 1, 'title', 'faux')",
    "UPDATE meta SET value = 'autre' WHERE key = 'code'",
    "UPDATE meta SET value = '[[' WHERE key = 'across'",
    "UPDATE meta SET value = '{}' WHERE key = 'sums'",
    "DELETE FROM meta WHERE key = 'sums'",
    "UPDATE meta SET value = 'x' WHERE key = 'stats'",
    "UPDATE runs SET stats = x'00'",
    "DROP TABLE categories",
    "DROP TABLE meta",
    "DROP TABLE files",
    "DROP INDEX categories_feed",
    "DROP INDEX files_live",
    "PRAGMA writable_schema = 1; DELETE FROM sqlite_master WHERE name = 'categories_path'",
)


def _items(folder: Path) -> Path:
    """The bundled items and 40 teasers in two folders, so the index has a few pages."""
    items = Path(shutil.copytree(BUNDLED_ITEMS, folder))
    rng = random.Random(0)
    for number in range(40):
        name = f"{'sub/' if number % 3 else ''}n{number}.md"
        (items / name).parent.mkdir(exist_ok=True)
        names = ", ".join(rng.sample(CATEGORIES, rng.randint(1, 3)))
        text = (
            TEASER.replace("/breve", f"/breve-{number}")
            .replace("Une brève", f"Brève {number}")
            .replace(
                "2024-06-19T15:00:00", f"2024-06-{rng.randint(10, 18)}T{rng.randint(10, 23)}:00:00"
            )
            .replace("[Asie]", f"[{names}]")
        )
        (items / name).write_text(text, encoding="utf-8")
    age(items)
    return items


def _build(items: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["build", "--items", str(items), "--out", str(out), "--now", NOW, *extra]
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback: the test fails with it
    return result.exit_code, result.output


def _damage(rng: random.Random, database: Path) -> str:
    gc.collect()  # the builds' own connections, closed
    with sqlite3.connect(database) as db:  # everything in the file itself, none in its log
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(database.read_bytes())
    pages = len(data) // PAGE
    kind = rng.choice(["flip", "flips", "zero", "truncate", "edit"])
    if kind == "edit":
        edit = rng.choice(EDITS)
        db = sqlite3.connect(database, isolation_level=None)
        try:
            db.executescript(edit)
        except sqlite3.Error as error:
            return f"edit failed ({error}): {edit}"
        finally:
            db.close()
        return f"edit: {edit}"
    if kind in ("flip", "flips"):
        for _ in range(1 if kind == "flip" else rng.randint(2, 30)):
            at = rng.randrange(len(data))
            data[at] ^= 1 << rng.randrange(8)
        where = f"{kind} at {at}"
    elif kind == "zero":
        page = rng.randrange(pages)
        data[page * PAGE : (page + 1) * PAGE] = bytes(PAGE)
        where = f"page {page + 1} of {pages} zeroed"
    else:
        keep = rng.randrange(pages) * PAGE + rng.choice([0, 100, PAGE // 2])
        del data[keep:]
        where = f"truncated to {keep} of {pages * PAGE}"
    database.write_bytes(bytes(data))
    return where


def _edit(items: Path, step: int) -> None:
    path = items / "sub" / "n1.md"
    text = path.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title: "))
    path.write_text(text.replace(title, f"title: Brève éditée {step}"), "utf-8")
    age(items)


def test_damaged_caches_give_the_bytes_of_a_cold_build(tmp_path: Path) -> None:
    items = _items(tmp_path / "items")
    cache, warm, cold = tmp_path / "cache", tmp_path / "warm", tmp_path / "cold"
    assert _build(items, warm, "--cache", str(cache))[0] == 0
    (database,) = cache.glob("*.sqlite3")
    rng = random.Random(int(os.environ.get("FEEDSVC_DAMAGE_SEED", "12")))
    noticed = wrong = lingering = 0
    for step in range(DAMAGES):
        what = _damage(rng, database)
        code, output = _build(items, warm, "--cache", str(cache))
        noticed += "was damaged" in output
        if step % 2:
            assert code == 0, (what, output)
            _edit(items, step)  # a change on top of the damage, then a build that reads it
            code, output = _build(items, warm, "--cache", str(cache))
        assert code == 0, (what, output)
        if step % 2 or step == 0:  # the items changed: a cold build of them
            shutil.rmtree(cold, ignore_errors=True)
            assert _build(items, cold, "--no-cache")[0] == 0
        if snapshot(warm) != snapshot(cold):
            wrong += 1
            pytest.fail(f"damage {step} ({what}): the feeds differ from a cold build")
        # Damage that no build reads may stay (a flip in a free page, or in what is only
        # read when files change), and the next damage adds to it.
        lingering += not _whole(database)
    print(
        f"\n{DAMAGES} damaged caches: {noticed} noticed, {wrong} wrong outputs, 0 tracebacks; "
        f"{lingering} times damage no build read was left in the file"
    )


def _whole(database: Path) -> bool:
    try:
        with sqlite3.connect(database) as db:
            return db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    except sqlite3.DatabaseError:
        return False
    finally:
        db.close()


def test_a_copy_keeping_size_and_time_is_seen_and_never_sticks(tmp_path: Path) -> None:
    """`cp -p`, `touch -r` or `tar -x` keep size and mtime; ctime and inode still move."""
    items = _items(tmp_path / "items")
    cache, warm, cold = tmp_path / "cache", tmp_path / "warm", tmp_path / "cold"
    assert _build(items, warm, "--cache", str(cache))[0] == 0
    path = items / "sub" / "n1.md"
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Brève 1", "Brève X"), encoding="utf-8")  # the same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert _build(items, warm, "--cache", str(cache))[0] == 0
    assert _build(items, cold, "--no-cache")[0] == 0
    assert snapshot(warm) == snapshot(cold)
    _edit(items, 1)  # and a real edit after it builds at once, as every later one
    for _ in range(2):
        code, output = _build(items, warm, "--cache", str(cache))
        assert code == 0, output
    shutil.rmtree(cold)
    assert _build(items, cold, "--no-cache")[0] == 0
    assert snapshot(warm) == snapshot(cold)


def test_an_indexed_digest_unlike_the_file_is_read_again_within_the_build(
    tmp_path: Path,
) -> None:
    """Whatever the stats missed: rendering finds the bytes are not those indexed."""
    items = _items(tmp_path / "items")
    cache, warm, cold = tmp_path / "cache", tmp_path / "warm", tmp_path / "cold"
    assert _build(items, warm, "--cache", str(cache))[0] == 0
    (database,) = cache.glob("*.sqlite3")
    gc.collect()
    with sqlite3.connect(database) as db:  # as if the file had changed behind its stats
        db.execute("UPDATE files SET digest = replace(hex(zeroblob(16)), '0', 'a')")
    db.close()
    code, output = _build(items, warm, "--cache", str(cache))
    assert code == 0, output
    assert "changed during the build" not in output
    assert _build(items, cold, "--no-cache")[0] == 0
    assert snapshot(warm) == snapshot(cold)
    assert _build(items, warm, "--cache", str(cache))[0] == 0


def test_two_processes_on_one_cache(tmp_path: Path) -> None:
    """Builds and validations run at once on one cache, after each edit: clean and right."""
    items = _items(tmp_path / "items")
    cache, cold = tmp_path / "cache", tmp_path / "cold"
    problems = []
    for step in range(3):
        if step:
            _edit(items, step)
            (items / f"new{step}.md").write_text(
                TEASER.replace("/breve", f"/new-{step}"), encoding="utf-8"
            )
            age(items)
        feedsvc = [sys.executable, "-m", "feedsvc"]
        commands = [
            [*feedsvc, "build", "--items", str(items), "--out", str(tmp_path / f"out{number}"),
             "--now", NOW, "--cache", str(cache)]
            for number in range(2)
        ] + [[*feedsvc, "validate", str(items), "--cache", str(cache)]]  # fmt: skip
        running = [
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for command in commands
        ]
        for process in running:
            _, stderr = process.communicate(timeout=120)
            if process.returncode or stderr:
                problems.append((step, process.returncode, stderr))
        shutil.rmtree(cold, ignore_errors=True)
        assert _build(items, cold, "--no-cache")[0] == 0
        for number in range(2):
            assert snapshot(tmp_path / f"out{number}") == snapshot(cold)
    assert problems == []


def test_a_file_read_again_in_a_damaged_index_empties_it(tmp_path: Path) -> None:
    """A digest unlike its file makes the build ask for the file to be read again; when the
    index is damaged beyond that row, the request empties it instead of raising."""
    items = _items(tmp_path / "items")
    index = Index(tmp_path / "index.sqlite3", items)
    total = index.sync(scan(items), processes=1)
    index.db.execute("DROP TABLE files")  # what a damaged page of it may read as
    index.recheck("sub/n1.md")
    assert index.damage is not None
    assert index.sync(scan(items), processes=1) == total == index.count()


def test_damage_found_beside_a_change_empties_the_index_before_anything_is_reported(
    tmp_path: Path,
) -> None:
    """A change's check of the sums runs beside the sync, on the index as it was before the
    change; the sync returns, and the damage is said before any read of it is used."""
    items = _items(tmp_path / "items")
    cache = tmp_path / "cache.sqlite3"
    index = Index(cache, items)
    total = index.sync(scan(items), processes=1)
    index.close()
    with sqlite3.connect(cache) as db:  # a row no change reads: only the sums can tell
        db.execute("UPDATE files SET live_from = live_from - 1000 WHERE path = 'sub/n2.md'")
    db.close()
    _edit(items, 1)
    index = Index(cache, items)
    assert index.sync(scan(items), processes=1) == 1
    with pytest.raises(CacheDamaged, match="no longer matches its check sums"):
        index.checked()
    assert index.count() == 0  # emptied: the next sync reads every file
    assert index.sync(scan(items), processes=1) == total
    index.checked()
    index.close()


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE files SET live_from = 'x' WHERE path = 'sub/n1.md'",
        "UPDATE files SET path = NULL WHERE path = 'sub/n1.md'",
        "UPDATE categories SET slug = x'00ff' WHERE path = 'sub/n1.md'",
        "UPDATE files SET live_from = 4611686018427387904 WHERE path = 'sub/n1.md'",
    ],
)
def test_damage_that_breaks_the_change_itself_is_said_as_damage(tmp_path: Path, edit: str) -> None:
    """Rows of another type than their column's, or out of range, make the change fail in
    Python as it reads them, while its check of the sums is still running beside it: the
    damage is what the build says (and mends), never the error it caused."""
    items = _items(tmp_path / "items")
    with (items / "feed.yaml").open("a", encoding="utf-8") as settings:
        settings.write("archives: true\n")  # the months of the archives read live_from too
    cache, warm, cold = tmp_path / "cache", tmp_path / "warm", tmp_path / "cold"
    assert _build(items, warm, "--cache", str(cache))[0] == 0
    (database,) = cache.glob("*.sqlite3")
    with sqlite3.connect(database) as db:
        db.execute(edit)
    db.close()
    _edit(items, 1)
    code, output = _build(items, warm, "--cache", str(cache))
    assert code == 0 and "was damaged" in output, output
    assert _build(items, cold, "--no-cache")[0] == 0
    assert snapshot(warm) == snapshot(cold)


@pytest.mark.parametrize("column", ["size", "mtime_ns"])
def test_an_output_whose_size_or_time_is_lost_is_looked_at_again(
    tmp_path: Path, column: str
) -> None:
    items = _items(tmp_path / "items")
    cache, warm, cold = tmp_path / "cache", tmp_path / "warm", tmp_path / "cold"
    assert _build(items, warm, "--cache", str(cache))[0] == 0
    (database,) = cache.glob("*.sqlite3")
    with sqlite3.connect(database) as db:
        db.execute(f"UPDATE outputs SET {column} = NULL")
    db.close()
    (warm / "public" / "atom.xml").write_bytes(b"edited by hand")
    assert _build(items, warm, "--cache", str(cache))[0] == 0
    assert _build(items, cold, "--no-cache")[0] == 0
    assert snapshot(warm) == snapshot(cold)
