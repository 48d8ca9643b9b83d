"""Builds killed at any moment, or run two at once, never leave a torn or mixed file in out/.

A reader polling out/ while a build is SIGKILLed must only ever see whole documents, and what
the kill leaves must be, file by file, the old bytes or the new ones; the next build must then
bring out/ to exactly what a clean build writes, cache or no cache.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from feeds import snapshot
from helpers import SETTINGS
from stores import ARCHIVE_NS, command, generate, is_temp, malformed

from feedsvc._procs import workers
from feedsvc.index import _pool as records
from feedsvc.publish import exclusive
from feedsvc.publish._layout import TEMP_PREFIX, TEMP_SUFFIX

ITEMS = 360  # with ~30 categories: ~100 output files, and a build of about a second
# Random kill points per test; the suite stays fast, and FEEDSVC_KILL_POINTS=100 goes deeper.
KILLS = int(os.environ.get("FEEDSVC_KILL_POINTS", "6"))
NEW_TITLE = "title: Flux de test, nouvelle édition"


def run_build(items: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(items, out, *extra), capture_output=True, text=True, timeout=120)


@dataclass(frozen=True)
class Corpus:
    items: Path  # the edited items: every output's bytes differ from `old`
    old: dict[str, bytes]
    new: dict[str, bytes]  # a clean build of `items` into an empty folder
    old_out: Path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = tmp_path_factory.mktemp("corpus")
    old_items = generate(root / "old-items", ITEMS, seed=20240619)
    old_out = root / "old-out"
    assert run_build(old_items, old_out, "--no-cache").returncode == 0
    items = Path(shutil.copytree(old_items, root / "items"))
    settings = items / "feed.yaml"
    settings.write_text(SETTINGS.replace("title: Flux de test", NEW_TITLE), encoding="utf-8")
    new_out = root / "new-out"
    result = run_build(items, new_out, "--no-cache")
    assert result.returncode == 0, result.stderr
    old, new = snapshot(old_out), snapshot(new_out)
    assert old.keys() == new.keys() and len(old) >= 90
    # Otherwise an untouched file could not be told from a rewritten one.
    assert all(old[path] != new[path] for path in old)
    return Corpus(items, old, new, old_out)


def fresh_out(corpus: Corpus, folder: Path) -> Path:
    """out/ as the previous build left it, about to be rebuilt from the edited items."""
    return Path(shutil.copytree(corpus.old_out, folder))


class Reader(threading.Thread):
    """A poller re-reading every published file for as long as the build runs."""

    def __init__(self, out: Path, corpus: Corpus) -> None:
        super().__init__(daemon=True)
        self.out = out
        self.corpus = corpus
        self.halt = threading.Event()
        self.reads = 0
        self.problems: list[str] = []

    def run(self) -> None:
        while not self.halt.is_set():
            for path, old in self.corpus.old.items():
                try:
                    data = (self.out / path).read_bytes()
                except OSError as error:
                    self.problems.append(f"{path}: {error}")
                    continue
                self.reads += 1
                problem = malformed(path, data)
                if problem is None and data not in (old, self.corpus.new[path]):
                    problem = f"{path}: {len(data)} bytes, neither the old nor the new file"
                if problem is not None:
                    self.problems.append(problem)

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=30)


def settled(out: Path, corpus: Corpus) -> tuple[int, list[str]]:
    """How many files are already new once nothing writes; and the temporary files left."""
    files = snapshot(out)
    leftovers = sorted(path for path in files if is_temp(path))
    kept = {path: data for path, data in files.items() if not is_temp(path)}
    assert kept.keys() == corpus.old.keys()
    torn = [
        f"{path} ({len(data)} bytes)"
        for path, data in kept.items()
        if data not in (corpus.old[path], corpus.new[path])
    ]
    assert not torn, f"neither old nor new after the kill: {torn[:5]}"
    return sum(data == corpus.new[path] for path, data in kept.items()), leftovers


def restore(out: Path, corpus: Corpus) -> None:
    for path, data in corpus.old.items():
        (out / path).write_bytes(data)


@dataclass
class Tally:
    seconds: float  # one whole build
    kills: int = 0
    before_writes: int = 0  # nothing replaced yet
    mid_write: int = 0  # some files new, some still old
    after_writes: int = 0  # every file replaced, the process not yet gone
    finished: int = 0  # the build exited before its kill was due
    aimed: str = ""  # where the extra kill, made once the first file is replaced, landed
    leftovers: int = 0
    reads: int = 0

    def add(self, new_files: int, total: int) -> None:
        if new_files == 0:
            self.before_writes += 1
        elif new_files < total:
            self.mid_write += 1
        else:
            self.after_writes += 1


def watched(corpus: Corpus, out: Path, extra: list[str]) -> tuple[Reader, subprocess.Popen[bytes]]:
    reader = Reader(out, corpus)
    reader.start()
    build = subprocess.Popen(
        command(corpus.items, out, *extra), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    return reader, build


def mtimes(out: Path, corpus: Corpus) -> dict[str, int]:
    return {path: (out / path).stat().st_mtime_ns for path in corpus.old}


def kill_when_writing(build: subprocess.Popen[bytes], out: Path, before: dict[str, int]) -> None:
    """SIGKILL `build` as soon as it has replaced one of the files it found."""
    while build.poll() is None:
        if any((out / path).stat().st_mtime_ns != mtime for path, mtime in before.items()):
            build.kill()
            return
    raise AssertionError("the build ended before it could be killed while writing")


def kill_at_random_moments(
    corpus: Corpus,
    out: Path,
    extra: list[str],
    kills: int,
    seed: int,
    prepare: Callable[[int], None] | None = None,
) -> Tally:
    rng = random.Random(seed)
    # Timed as the kills will run, beside a busy reader and from the old files; the longer of
    # two runs, as one alone is often quick enough that few kills would reach the writes.
    seconds = 0.0
    for _ in range(2):
        restore(out, corpus)
        reader, build = watched(corpus, out, extra)
        started = time.monotonic()
        _, stderr = build.communicate(timeout=60)
        seconds = max(seconds, time.monotonic() - started)
        reader.stop()
        assert build.returncode == 0, stderr.decode()
        assert not reader.problems, f"a reader saw a torn file: {reader.problems[:5]}"
        assert settled(out, corpus) == (len(corpus.new), [])
    assert 0.2 < seconds < 10
    tally = Tally(seconds=seconds)
    for point in range(kills + 1):
        restore(out, corpus)
        if prepare is not None:
            prepare(point)
        before = mtimes(out, corpus)
        reader, build = watched(corpus, out, extra)
        if point < kills:
            time.sleep(rng.uniform(0, seconds))
            build.send_signal(signal.SIGKILL)
        else:
            # Only a fifth of a build is spent writing, so random delays alone can miss it.
            kill_when_writing(build, out, before)
        _, stderr = build.communicate(timeout=60)
        reader.stop()
        assert build.returncode in (0, -signal.SIGKILL), stderr.decode()
        assert reader.reads > 0
        assert not reader.problems, f"a reader saw a torn file: {reader.problems[:5]}"
        new_files, leftovers = settled(out, corpus)
        if build.returncode == 0:
            tally.finished += 1
            assert new_files == len(corpus.new) and not leftovers
        elif point == kills:
            tally.aimed = "mid-write" if 0 < new_files < len(corpus.new) else f"{new_files} new"
        else:
            tally.kills += 1
            tally.add(new_files, len(corpus.new))
        tally.leftovers += len(leftovers)
        tally.reads += reader.reads
    result = run_build(corpus.items, out, *extra)
    assert result.returncode == 0, result.stderr
    assert not [path for path in out.rglob("*") if is_temp(str(path))]
    assert snapshot(out) == corpus.new
    return tally


def test_killed_builds_leave_old_or_new_files_never_torn(corpus: Corpus, tmp_path: Path) -> None:
    out = fresh_out(corpus, tmp_path / "out")
    tally = kill_at_random_moments(corpus, out, ["--no-cache"], kills=KILLS, seed=1)
    print(f"\nkills without cache: {tally}")


def test_killed_builds_with_the_cache_then_rebuild_as_clean(corpus: Corpus, tmp_path: Path) -> None:
    items = Path(shutil.copytree(corpus.items, tmp_path / "items"))
    corpus = Corpus(items, corpus.old, corpus.new, corpus.old_out)
    cache = tmp_path / "cache"
    paths = sorted(items.glob("*.md"))

    def prepare(point: int) -> None:
        # Aim kills at each kind of cache write: none but the outputs' (warm), every item row
        # rewritten (touched), the database created from nothing (cold).
        if point % 3 == 1:
            stamp = ARCHIVE_NS + point * 10**9
            for path in paths:
                os.utime(path, ns=(stamp, stamp))
        elif point % 3 == 2:
            shutil.rmtree(cache, ignore_errors=True)

    out = fresh_out(corpus, tmp_path / "out")
    tally = kill_at_random_moments(
        corpus, out, ["--cache", str(cache)], kills=KILLS, seed=2, prepare=prepare
    )
    print(f"\nkills with the cache: {tally}")


def test_two_builds_at_once_both_succeed(corpus: Corpus, tmp_path: Path) -> None:
    out = fresh_out(corpus, tmp_path / "out")
    cache = ["--cache", str(tmp_path / "cache")]
    # Holding the lock while both start makes them overlap however fast the machine is.
    with exclusive(out, 0):
        builds = [
            subprocess.Popen(
                command(corpus.items, out, *cache),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for build in builds:
            assert build.stderr is not None
            assert "Another build is writing" in build.stderr.readline()
    for build in builds:
        _, stderr = build.communicate(timeout=60)
        assert build.returncode == 0, stderr
    assert snapshot(out) == corpus.new


def test_a_build_gives_up_when_the_lock_stays_held(corpus: Corpus, tmp_path: Path) -> None:
    out = fresh_out(corpus, tmp_path / "out")
    with exclusive(out, 0):
        started = time.monotonic()
        result = run_build(corpus.items, out, "--no-cache", "--wait", "0.5")
        waited = time.monotonic() - started
    assert result.returncode == 1
    assert "another feedsvc build is writing" in result.stderr
    assert waited >= 0.5
    assert snapshot(out) == corpus.old


HOLDER = """
import sys, time
from pathlib import Path
from feedsvc.publish import exclusive
with exclusive(Path(sys.argv[1]), 0):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_killed_holder_does_not_block_the_next_build(corpus: Corpus, tmp_path: Path) -> None:
    out = fresh_out(corpus, tmp_path / "out")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    assert run_build(corpus.items, out, "--no-cache", "--wait", "0").returncode == 1
    holder.kill()
    holder.communicate(timeout=30)
    result = run_build(corpus.items, out, "--no-cache", "--wait", "0")
    assert result.returncode == 0, result.stderr
    assert snapshot(out) == corpus.new

    # The same for a build killed while it holds the lock and has replaced some files.
    restore(out, corpus)
    before = mtimes(out, corpus)
    build = subprocess.Popen(
        command(corpus.items, out, "--no-cache"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    kill_when_writing(build, out, before)
    build.communicate(timeout=30)
    new_files, _ = settled(out, corpus)
    assert 0 < new_files < len(corpus.new)
    result = run_build(corpus.items, out, "--no-cache", "--wait", "0")
    assert result.returncode == 0, result.stderr
    assert snapshot(out) == corpus.new


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []


def _cpu_ticks(pid: str) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_a_build_killed_while_parsing_in_parallel_releases_the_lock(tmp_path: Path) -> None:
    items = generate(tmp_path / "items", records.POOL_THRESHOLD + 20, seed=3)
    out = tmp_path / "out"
    build = subprocess.Popen(
        command(items, out, "--no-cache"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if workers() > 1:
        # A worker that has spent CPU time is inside a chunk of items, far from its end.
        while not any(_cpu_ticks(child) >= 3 for child in _children(build.pid)):
            assert build.poll() is None, "the build ended before its workers were seen"
            time.sleep(0.001)
    build.kill()
    build.wait(timeout=30)
    try:
        with exclusive(out, 0):
            pass
    finally:
        with exclusive(out, 30):  # the orphans are done: nothing of this test keeps running
            pass


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGSTOP, and return once the process can no longer change anything."""
    process.send_signal(signal.SIGSTOP)
    stat = Path(f"/proc/{process.pid}/stat")
    while stat.read_text().rsplit(")", 1)[1].split()[0] not in ("T", "Z"):
        time.sleep(0.001)


def test_leftover_temporary_files_are_removed_and_nothing_else(
    corpus: Corpus, tmp_path: Path
) -> None:
    out = fresh_out(corpus, tmp_path / "out")
    # Stop the build while one of its temporary files exists, then kill it: a real leftover.
    left: list[Path] = []
    for _ in range(5):
        restore(out, corpus)
        build = subprocess.Popen(
            command(corpus.items, out, "--no-cache"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        while build.poll() is None and not left:
            if list(out.rglob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}")):
                stop(build)
                left = list(out.rglob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"))
                build.send_signal(signal.SIGKILL if left else signal.SIGCONT)
        build.kill()
        build.wait(timeout=30)
        if left:
            break
    assert left, "no build was ever caught with a temporary file"
    settled(out, corpus)

    slug = next(path.parent for path in out.glob("public/categories/*/rss.xml"))
    old_slug = out / "categories" / slug.name  # where builds before out/public/ wrote
    old_slug.mkdir(parents=True)
    ours = [
        out / ".feedsvc-tmp" / ".feedsvc-rss.xml.0f1e2d3c4b5a6978.tmp",
        out / ".feedsvc-rss.xml.123.tmp",
        old_slug / ".feedsvc-atom.xml.k2j_9x.tmp",
        out / "members" / ".feedsvc-feed.json.abc.tmp",
    ]
    for path in ours:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"<?xml version='1.0'?><rss><chan")
    outside = tmp_path / "elsewhere.txt"
    outside.write_bytes(b"not feedsvc's")
    theirs = {
        out / "notes.txt": b"an editor's notes",
        out / "feedsvc-rss.xml.1.tmp": b"no leading dot",
        out / ".feedsvc-rss.xml.1.bak": b"another suffix",
        out / ".rss.xml.tmp": b"another tool's temporary file",
        slug / "notes.tmp": b"in a feed folder",
        out / ".feedsvc-archive.tmp" / "keep.xml": b"inside a folder named like ours",
    }
    for path, data in theirs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    link = out / ".feedsvc-link.tmp"
    link.symlink_to(outside)

    result = run_build(corpus.items, out, "--no-cache")
    assert result.returncode == 0, result.stderr
    assert not [path for path in [*left, *ours] if path.exists()]
    for path, data in theirs.items():
        assert path.read_bytes() == data
    assert link.is_symlink() and outside.read_bytes() == b"not feedsvc's"
    link.unlink()
    for path in theirs:
        path.unlink()
    (out / ".feedsvc-archive.tmp").rmdir()
    assert snapshot(out) == corpus.new
