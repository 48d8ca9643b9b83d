"""The index of parsed items: it may only ever make builds faster, never different."""

from __future__ import annotations

import marshal
import random
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from feeds import NOW, snapshot
from helpers import BUNDLED_ITEMS, TEASER, age

from feedsvc.cli import main
from feedsvc.index import _db as index_module
from feedsvc.index import _pool as records
from feedsvc.index import check_items


def run(items: Path, out: Path, *extra: str) -> list[str]:
    result = CliRunner().invoke(
        main, ["build", "--verbose", "--items", str(items), "--out", str(out), "--now", NOW, *extra]
    )
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def written(lines: list[str]) -> set[str]:
    return {line.split()[1] for line in lines if line.split()[0] in ("written", "removed")}


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every item file parsed for the index, by relative path."""
    seen: list[str] = []
    real = records.Record.parse  # what the command and the pool's workers both call

    def counting(
        cls: type[records.Record], items_dir: Path, relpath: str, *rest: Any
    ) -> tuple[records.Record, Any]:
        seen.append(relpath)
        return real(items_dir, relpath, *rest)

    monkeypatch.setattr(records.Record, "parse", classmethod(counting))
    yield seen


def test_noop_rebuild_reads_and_writes_nothing(bundled_copy: Path, parses: list[str]) -> None:
    age(bundled_copy)
    out = bundled_copy.parent / "out"
    first = run(bundled_copy, out)
    assert len(parses) == 3 and len(written(first)) == 34
    parses.clear()
    again = run(bundled_copy, out)
    assert parses == []
    assert written(again) == set()


def test_one_edit_rewrites_only_what_it_affects(bundled_copy: Path, parses: list[str]) -> None:
    age(bundled_copy)
    out = bundled_copy.parent / "out"
    run(bundled_copy, out)
    parses.clear()
    duterte = next(bundled_copy.glob("*duterte*.md"))
    duterte.write_text(
        duterte.read_text(encoding="utf-8").replace("Dans un coup", "Dans un nouveau coup"),
        encoding="utf-8",
    )
    age(bundled_copy)
    lines = run(bundled_copy, out)
    assert parses == [duterte.name]
    folders = {"public/", "members/", "public/categories/asie/",
               "public/categories/philippines/", "public/categories/politique/"}  # fmt: skip
    expected = {str(out / f"{folder}{name}") for folder in folders
                for name in ("rss.xml", "atom.xml", "feed.json")}  # fmt: skip
    assert written(lines) == expected | {str(out / "public" / "index.html")}


def test_settings_or_code_change_rebuilds_everything(
    bundled_copy: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    age(bundled_copy)
    out = bundled_copy.parent / "out"
    run(bundled_copy, out)
    settings = bundled_copy / "feed.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("title: Actualités Asie", "title: Asie"),
        encoding="utf-8",
    )
    assert len(written(run(bundled_copy, out))) == 34
    parses.clear()
    monkeypatch.setattr(index_module._schema, "code_version", lambda: "another release")
    run(bundled_copy, out)
    assert sorted(parses) == sorted(p.name for p in bundled_copy.glob("*.md"))


def test_a_corrupt_cache_is_rebuilt(bundled_copy: Path) -> None:
    cache = bundled_copy.parent / "cache"
    out = bundled_copy.parent / "out"
    run(bundled_copy, out, "--cache", str(cache))
    (database,) = cache.glob("*.sqlite3")
    database.write_bytes(b"this is not a database" * 100)
    for leftover in cache.glob("*-wal"):
        leftover.unlink()
    shutil.rmtree(out)
    run(bundled_copy, out, "--cache", str(cache))
    cold = bundled_copy.parent / "cold"
    run(bundled_copy, cold, "--no-cache")
    assert snapshot(out) == snapshot(cold)


def test_a_build_stopped_during_the_first_load_leaves_nothing_trusted(
    bundled_copy: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    age(bundled_copy)
    cache = bundled_copy.parent / "cache" / "index.sqlite3"
    refresh = index_module._crossfile.refresh

    def stopped(*args: object) -> None:
        raise KeyboardInterrupt  # once every file is parsed and stored, before the end

    monkeypatch.setattr(index_module._crossfile, "refresh", stopped)
    with pytest.raises(KeyboardInterrupt):
        check_items(bundled_copy, cache)
    monkeypatch.setattr(index_module._crossfile, "refresh", refresh)
    parses.clear()
    store = check_items(bundled_copy, cache)  # half a load is no index: every file is read again
    assert sorted(parses) == sorted(path.name for path in bundled_copy.glob("*.md"))
    assert store.index is not None and store.index.paths() == sorted(parses)
    parses.clear()
    check_items(bundled_copy, cache)
    assert parses == []  # and the loaded index is kept


def built_with_cache(items: Path) -> tuple[Path, Path, Path]:
    """Build `items` once with a cache beside it: the cache folder, out/ and the index file."""
    age(items)
    cache = items.parent / "cache"
    out = items.parent / "out"
    run(items, out, "--cache", str(cache))
    (database,) = cache.glob("*.sqlite3")
    return cache, out, database


def test_a_stale_fingerprint_falls_back_to_the_folder_digests(
    bundled_copy: Path, parses: list[str]
) -> None:
    cache, out, database = built_with_cache(bundled_copy)

    def fingerprint() -> str:
        with sqlite3.connect(database) as db:
            (value,) = db.execute("SELECT value FROM meta WHERE key = 'stats'").fetchone()
            db.execute("UPDATE meta SET value = 'stale' WHERE key = 'stats'")
        db.close()
        return str(value)

    first = fingerprint()
    parses.clear()
    assert written(run(bundled_copy, out, "--cache", str(cache))) == set()
    assert parses == []  # the table still says every file is unchanged
    assert fingerprint() == first  # and the fingerprint is whole again


@pytest.mark.parametrize(
    "blob",
    [b"", b"\xff not marshal", b"\xe9\x00\x00\x00\x00", marshal.dumps({})],
    ids=["empty", "garbage", "not-a-dict", "no-files"],
)
def test_a_damaged_folder_record_falls_back_to_the_files_table(
    bundled_copy: Path, parses: list[str], blob: bytes, request: pytest.FixtureRequest
) -> None:
    cache, out, database = built_with_cache(bundled_copy)
    with sqlite3.connect(database) as db:
        db.execute("UPDATE runs SET stats = ?, digest = 'damaged'", (blob,))
        db.execute("UPDATE folders SET digest = 'damaged'")
    db.close()
    duterte = next(bundled_copy.glob("*duterte*.md"))
    duterte.write_text(duterte.read_text("utf-8").replace("title: ", "title: Édité "), "utf-8")
    age(bundled_copy)
    parses.clear()
    lines = run(bundled_copy, out, "--cache", str(cache))
    if request.node.callspec.id == "no-files":  # readable, but wrong: every file looks new
        assert sorted(parses) == sorted(path.name for path in bundled_copy.glob("*.md"))
    else:
        assert parses == [duterte.name]  # the other two are known unchanged from their rows
    cold = bundled_copy.parent / "cold"
    run(bundled_copy, cold, "--no-cache")
    assert written(lines) and snapshot(out) == snapshot(cold)


def _random_change(rng: random.Random, items: Path, step: int) -> str:
    files = sorted(items.rglob("*.md"))
    action = rng.choice(["edit", "add", "rename", "move", "delete", "touch", "draft", "category"])
    if action == "add" or len(files) < 2:
        name = f"{rng.choice(['', 'sub/'])}n{step}.md"
        (items / name).parent.mkdir(exist_ok=True)
        stamp = f"2024-06-{rng.randint(10, 28)}T{rng.randint(10, 23)}:00:00+0{rng.randint(0, 9)}:00"
        text = (
            TEASER.replace("/breve", f"/breve-{step}")
            .replace("Une brève", f"Brève numéro {step}")
            .replace("2024-06-19T15:00:00+08:00", stamp)
            .replace("[Asie]", f"[{rng.choice(['Asie', 'Monde', 'Économie', 'Corée du Nord'])}]")
        )
        (items / name).write_text(text, encoding="utf-8")
        return f"add {name}"
    path = rng.choice(files)
    text = path.read_text(encoding="utf-8")
    if action == "edit":
        path.write_text(text.replace("title: ", "title: Édité ", 1), encoding="utf-8")
    elif action == "rename":
        path.rename(path.with_name(f"r{step}-{path.name}"))
    elif action == "move":  # into sub/, or out of it: two folders change at once
        folder = items if path.parent.name == "sub" else items / "sub"
        folder.mkdir(exist_ok=True)
        path.rename(folder / path.name)
    elif action == "delete":
        path.unlink()
    elif action == "draft":
        path.write_text(text.replace("---\n", "---\ndraft: true\n", 1), encoding="utf-8")
    elif action == "category":
        path.write_text(text.replace("categories: [", "categories: [Nouvelle, ", 1), "utf-8")
    return f"{action} {path.name}"


@pytest.mark.parametrize("seed", range(3))
def test_warm_builds_equal_cold_builds_after_random_changes(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    items = Path(shutil.copytree(BUNDLED_ITEMS, tmp_path / "items"))
    warm, cold = tmp_path / "warm", tmp_path / "cold"
    age(items)
    run(items, warm)
    for step in range(1, 13):
        change = _random_change(rng, items, step)
        age(items)
        run(items, warm)
        shutil.rmtree(cold, ignore_errors=True)
        run(items, cold, "--no-cache")
        assert snapshot(warm) == snapshot(cold), change


def test_worker_processes_give_the_same_index(
    bundled_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(12):
        (bundled_copy / f"extra-{number}.md").write_text(
            TEASER.replace("/breve", f"/breve-{number}"), encoding="utf-8"
        )
    (bundled_copy / "broken.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    single = check_items(bundled_copy, processes=1)
    monkeypatch.setattr(records, "POOL_THRESHOLD", 2)
    pooled = check_items(bundled_copy, processes=2)
    assert pooled.problems == single.problems and len(single.problems) == 1
    assert single.index is not None and pooled.index is not None
    for now in (0, 2**62):
        assert pooled.index.newest(now, 50) == single.index.newest(now, 50)
    assert len(pooled.index.newest(2**62, 50)) == 15


@pytest.mark.parametrize("seed", range(4))
def test_findings_across_files_stay_equal_to_a_cold_check(tmp_path: Path, seed: int) -> None:
    """Shared urls and ids, and category spellings that clash, come and go with edits."""
    rng = random.Random(seed)
    items = Path(shutil.copytree(BUNDLED_ITEMS, tmp_path / "items"))
    cache = tmp_path / "cache" / "index.sqlite3"
    urls = [f"https://www.example.com/{name}" for name in ("a", "b", "c")]
    for step in range(1, 16):
        name = f"{rng.choice(['', 'sub/'])}f{rng.randint(1, 5)}.md"
        (items / name).parent.mkdir(exist_ok=True)
        if rng.random() < 0.25:
            (items / name).unlink(missing_ok=True)
        else:
            url, spelling = rng.choice(urls), rng.choice(["Asie", "asie", "ASIE", "Monde"])
            text = TEASER.replace("https://www.example.com/2024/06/19/breve", url)
            text = text.replace("[Asie]", f"[{spelling}]")
            if rng.random() < 0.5:  # an id of its own, shared or not
                text = text.replace("kind:", f"id: urn:x:{rng.randint(1, 3)}\nkind:", 1)
            (items / name).write_text(text, encoding="utf-8")
        age(items)
        warm, cold = check_items(items, cache), check_items(items)
        assert warm.problems == cold.problems, (step, name)
        assert warm.index is not None and cold.index is not None
        assert warm.index.categories(2**62) == cold.index.categories(2**62)
