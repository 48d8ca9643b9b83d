"""A large build parses and renders in two processes, one forked child beside the command's
own: what it writes is byte for byte what one process writes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from feeds import cold_snapshot
from stores import generate

from feedsvc import _procs
from feedsvc.errors import ChangedDuringBuild
from feedsvc.index import _pool
from feedsvc.publish import _build, _outputs


def test_two_processes_write_what_one_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    items = generate(tmp_path / "items", 120, seed=5)
    monkeypatch.setattr(_build, "SPLIT_ENTRIES", 10**9)
    monkeypatch.setattr(_pool, "SPLIT_THRESHOLD", 10**9)
    one = cold_snapshot(items, tmp_path / "one")

    shares: list[int] = []  # what each child was given: files to parse, then files to render

    def counted(
        function: Callable[[object], object], job: object
    ) -> AbstractContextManager[Callable[[], object]]:
        shares.append(len(job[1]) if isinstance(job, tuple) else len(job))  # type: ignore[arg-type]
        return _procs.beside(function, job)

    monkeypatch.setattr(_build, "SPLIT_ENTRIES", 1)
    monkeypatch.setattr(_build, "workers", lambda: 2)
    monkeypatch.setattr(_build, "beside", counted)
    monkeypatch.setattr(_pool, "SPLIT_THRESHOLD", 2)
    monkeypatch.setattr(_pool, "workers", lambda: 2)
    monkeypatch.setattr(_pool, "beside", counted)
    two = cold_snapshot(items, tmp_path / "two")
    assert len(shares) == 2 and shares[0] == 60 and 0 < shares[1] < len(one)
    assert two == one
    # Parsed by the pool, whose workers keep their items: the chosen ones are read again by
    # workers too, before the documents are made.
    again: list[int] = []

    def counted_again(items_dir: Path, wanted: list[tuple[str, str]]) -> object:
        again.append(len(wanted))
        return _pool.items_again(items_dir, wanted, processes=2)

    monkeypatch.setattr(_pool, "POOL_THRESHOLD", 2)
    monkeypatch.setattr(_pool, "AGAIN_THRESHOLD", 2)
    monkeypatch.setattr(_outputs, "items_again", counted_again)
    assert cold_snapshot(items, tmp_path / "pooled") == one
    assert again and again[0] > 50


def test_an_item_changed_before_it_is_read_again_stops_the_build_in_the_command(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_pool, "AGAIN_THRESHOLD", 2)
    items = generate(tmp_path / "items", 6, seed=6)
    wanted = [(path.name, "not its digest") for path in sorted(items.glob("*.md"))]
    with pytest.raises(ChangedDuringBuild):
        list(_pool.items_again(items, wanted, processes=2))
    assert capfd.readouterr().err == ""  # the workers said nothing


def test_a_small_build_forks_nothing(bundled_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object) -> Iterator[None]:
        raise AssertionError("a small build forked a child")

    monkeypatch.setattr(_build, "beside", refused)
    monkeypatch.setattr(_pool, "beside", refused)
    assert cold_snapshot(bundled_copy, bundled_copy.parent / "out")


def test_files_are_read_a_few_ahead_of_their_parse_and_never_too_many_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = generate(tmp_path / "items", 40, seed=7)
    todo = [(path.relative_to(items).as_posix(), 0, 0) for path in sorted(items.rglob("*.md"))]
    events: list[str] = []
    real_read, real_parse = _pool.read_item_bytes, _pool.parse_item

    def read(path: Path) -> object:
        events.append("read")
        return real_read(path)

    def parse(path: Path, raw: bytes) -> object:
        events.append("parse")
        return real_parse(path, raw)

    monkeypatch.setattr(_pool, "read_item_bytes", read)
    monkeypatch.setattr(_pool, "parse_item", parse)
    found = list(_pool.records(items, todo, processes=1))
    assert len(found) == len(todo) == 40 and all(record.id for record in found)
    # 16 files read, then parsed; then the next 16, and the 8 left.
    assert events == (["read"] * 16 + ["parse"] * 16) * 2 + ["read"] * 8 + ["parse"] * 8
    events.clear()
    monkeypatch.setattr(_pool, "AHEAD_BYTES", 1)  # every file is over: one at a time
    list(_pool.records(items, todo, processes=1))
    assert events == ["read", "parse"] * 40


def test_while_the_pool_parses_the_command_builds_what_readers_of_items_will_need(
    tmp_path: Path,
) -> None:
    # In a fresh process, where nothing is built yet: the command parses no item itself, so
    # only the wait for its workers can have built the validator and the Markdown parsers
    # that the workers forked next, to read the chosen items again, inherit.
    items = generate(tmp_path / "items", 6, seed=3)
    script = f"""
import subprocess
import sys
from pathlib import Path
from feedsvc.index import _pool
from feedsvc.model import ITEM, _markdown
_pool.POOL_THRESHOLD = 2
items = Path({str(items)!r})
todo = [(p.relative_to(items).as_posix(), 0, 0) for p in sorted(items.rglob("*.md"))]
assert type(ITEM.validator).__name__ != "SchemaValidator"
found = list(_pool.records(items, todo, processes=2))
assert len(found) == 6 and all(record.id for record in found), found
print(type(ITEM.validator).__name__, _markdown.commonmark.cache_info().currsize,
      _markdown._blocks.cache_info().currsize)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["SchemaValidator", "1", "1"]
