"""A large build parses and renders in two processes, one forked child beside the command's
own: what it writes is byte for byte what one process writes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from feeds import cold_snapshot
from stores import generate

from feedsvc import _procs
from feedsvc.index import _pool
from feedsvc.publish import _build


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


def test_a_small_build_forks_nothing(bundled_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object) -> Iterator[None]:
        raise AssertionError("a small build forked a child")

    monkeypatch.setattr(_build, "beside", refused)
    monkeypatch.setattr(_pool, "beside", refused)
    assert cold_snapshot(bundled_copy, bundled_copy.parent / "out")
