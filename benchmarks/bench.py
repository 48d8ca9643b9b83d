"""Figures for feedsvc's performance targets on synthetic stores of N items.

    python benchmarks/bench.py [--sizes 1000,10000,100000] [--repeat 3] [--keep DIR]

Builds run through the `feedsvc build` command, as a publishing job would, so the figures
include interpreter start-up and hold whatever the build does internally. Files are read from
the page cache in every phase: "cold" means no feedsvc cache and no out/, not a cold disk.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import synth  # found next to this script, which Python puts first on the path
import yaml
from feeds import feed_phases
from phases import Phase, Run, run_child

import feedsvc

NOW_ARG = synth.NOW_ARG
RSS_LIMIT_MIB = 300
TARGET_ITEMS = 100_000  # the archive size the targets are set for


def source_stamp() -> list[tuple[str, int, int]]:
    """Name, mtime and size of each feedsvc module.

    feedsvc may be edited while a benchmark runs, and a cache keyed on its code is then
    thrown away: a figure taken across such an edit measures the edit, not the build.
    """
    package = Path(feedsvc.__file__).parent
    return sorted(
        (entry.name, entry.stat().st_mtime_ns, entry.stat().st_size)
        for entry in os.scandir(package)
        if entry.name.endswith(".py")
    )


# --- floors: the least any build must do, measured in this process ---------------------------


def _front_matter(text: str) -> str:
    """The text between the first two `---` lines."""
    if not text.startswith("---\n"):
        return ""
    end = text.find("\n---", 3)
    return text[4:end] if end >= 0 else ""


def floor_parse(items: Path) -> float:
    loader = yaml.CSafeLoader
    start = time.perf_counter()
    for entry in synth.walk(items):
        with open(entry.path, encoding="utf-8") as file:
            yaml.load(_front_matter(file.read()), Loader=loader)
    return time.perf_counter() - start


def floor_stat(items: Path) -> float:
    def visit(folder: str) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                entry.stat(follow_symlinks=False)
                if entry.is_dir(follow_symlinks=False):
                    visit(entry.path)

    start = time.perf_counter()
    visit(str(items))
    return time.perf_counter() - start


# --- builds: the command, in a child process -------------------------------------------------


def _feedsvc() -> list[str]:
    script = Path(sys.executable).with_name("feedsvc")
    return [str(script)] if script.exists() else [sys.executable, "-m", "feedsvc"]


class Builder:
    def __init__(self, items: Path, work: Path) -> None:
        self.items = items
        self.out = work / "out"
        self.cache = work / "cache"
        self.use_cache = True
        self.note = ""

    def command(self) -> list[str]:
        command = [*_feedsvc(), "build", "--items", str(self.items), "--out", str(self.out)]
        command += ["--now", NOW_ARG]
        return command + (["--cache", str(self.cache)] if self.use_cache else [])

    def build(self) -> Run:
        before = source_stamp()
        run = self._build()
        if source_stamp() != before:
            run = replace(run, disturbed=True)
        return run

    def _build(self) -> Run:
        run, code, stderr = run_child(self.command())
        if code == 2 and self.use_cache and "--cache" in stderr:
            self.use_cache = False
            self.note = "feedsvc build rejected --cache; builds ran without it"
            print(f"note: {self.note}: {stderr.strip().splitlines()[-1]}", file=sys.stderr)
            run, code, stderr = run_child(self.command())
        if code != 0:
            sys.exit(f"feedsvc build failed (exit {code}):\n{stderr}")
        return run

    def cold(self) -> Run:
        shutil.rmtree(self.out, ignore_errors=True)
        shutil.rmtree(self.cache, ignore_errors=True)
        return self.build()


class Changes:
    """Applies the helpers' one-file changes and can put the store back as generated.

    A kept store is reused by later runs, which must start from the same files.
    """

    def __init__(self, items: Path) -> None:
        self.items = items
        self.saved: dict[Path, tuple[bytes, int]] = {}
        self.added: list[Path] = []
        self.seed = 1_000_000

    def _save(self, path: Path) -> None:
        if path not in self.saved:
            self.saved[path] = (path.read_bytes(), path.stat().st_mtime_ns)

    def _next_seed(self) -> int:
        self.seed += 1
        return self.seed

    def edit(self) -> None:
        seed = self._next_seed()
        self._save(synth.pick_item(self.items, seed))
        synth.edit_one(self.items, seed)

    def add(self) -> None:
        self.added.append(synth.add_one(self.items, self._next_seed()))

    def delete(self) -> None:
        seed = self._next_seed()
        self._save(synth.pick_item(self.items, seed))
        synth.delete_one(self.items, seed)

    def undo(self) -> None:
        for path, (data, mtime_ns) in self.saved.items():
            path.write_bytes(data)
            os.utime(path, ns=(mtime_ns, mtime_ns))
        for path in self.added:
            path.unlink(missing_ok=True)
        self.saved.clear()
        self.added.clear()


# --- one store size ---------------------------------------------------------------------------


@contextmanager
def _store(n: int, keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        items = keep / str(n)
        if not synth.is_complete(items, n):
            shutil.rmtree(items, ignore_errors=True)
            _generate(items, n)
        yield items
        return
    with tempfile.TemporaryDirectory(prefix=f"feedsvc-bench-{n}-") as folder:
        items = Path(folder) / "items"
        _generate(items, n)
        yield items


def _generate(items: Path, n: int) -> None:
    start = time.perf_counter()
    synth.generate(items, n)
    print(f"generated {n} items in {time.perf_counter() - start:.1f} s", file=sys.stderr)


def size_phases(n: int, repeat: int, keep: Path | None) -> tuple[float, list[Phase], str]:
    with _store(n, keep) as items, tempfile.TemporaryDirectory(prefix="feedsvc-out-") as work:
        average = synth.average_size(items)
        startup = Phase("startup")
        parse = Phase("floor-parse")
        stat = Phase("floor-stat")
        for _ in range(repeat):
            startup_run, _, _ = run_child([*_feedsvc(), "--version"])
            startup.seconds.append(startup_run.seconds)
            startup.rss_mib.append(startup_run.rss_mib)

        builder = Builder(items, Path(work))
        changes = Changes(items)
        # The targets are set for an archive of 100,000 items; below that, start-up and the
        # feeds' rendering outweigh floors of a few milliseconds, and only the ratio is shown.
        aimed = n >= TARGET_ITEMS
        cold = Phase("cold", floor=parse, target="<= 0.8x parse", limit=0.8 if aimed else None)
        noop = Phase(
            "noop", floor=stat, target="<= 2x stat, < 1 s",
            limit=2 if aimed else None, seconds_limit=1 if aimed else None,
        )  # fmt: skip
        after: dict[str, Callable[[], None]] = {
            "edit": changes.edit,
            "add": changes.add,
            "delete": changes.delete,
        }
        edits = [
            Phase(name, floor=stat, target="<= 3x stat", limit=3 if aimed else None)
            for name in after
        ]
        # Each build right after its own floor, so that a run and its floor see the machine
        # at the same speed; the floor rows list every floor measured.
        try:
            for _ in range(repeat):
                _record(cold, builder.cold, lambda: floor_parse(items))
            for _ in range(repeat):
                _record(noop, builder.build, lambda: floor_stat(items))
            for phase in edits:
                for _ in range(repeat):
                    after[phase.name]()
                    _record(phase, builder.build, lambda: floor_stat(items))
        finally:
            changes.undo()
        return average, [startup, stat, parse, cold, noop, *edits], builder.note


def _record(phase: Phase, build: Callable[[], Run], floor: Callable[[], float]) -> None:
    assert phase.floor is not None
    floor_seconds = floor()
    phase.floor.seconds.append(floor_seconds)
    phase.paired.append(floor_seconds)
    run = build()
    phase.seconds.append(run.seconds)
    phase.rss_mib.append(run.rss_mib)
    phase.written.append(run.written)
    phase.disturbed = phase.disturbed or run.disturbed


# --- the table --------------------------------------------------------------------------------


def _row(n: str, phase: Phase) -> str:
    spread = f"{min(phase.seconds):.3f}-{max(phase.seconds):.3f}"
    ratio = verdict = ""
    if phase.floor is not None:
        value = phase.ratio
        ratio = f"{value:.2f}x"
        if phase.limit is not None:
            met = value <= phase.limit
            if phase.seconds_limit is not None:
                met = met and phase.median < phase.seconds_limit
            verdict = f"{phase.target} {'ok' if met else 'MISSED'}"
    rss = ""
    if phase.rss_mib:
        peak = max(phase.rss_mib)
        rss = f"{peak:.0f}" + ("" if peak < RSS_LIMIT_MIB else " MISSED")
    written = "/".join(str(count) for count in phase.written)
    name = phase.name + (" *" if phase.disturbed else "")
    return (
        f"{n:>7} | {name:<23} | {phase.median:8.3f} | {spread:>13} | {ratio:>7} | "
        f"{verdict:<27} | {rss:>8} | {written}"
    )


HEADER = (
    f"{'N':>7} | {'phase':<23} | {'median s':>8} | {'min-max s':>13} | {'ratio':>7} | "
    f"{'target':<27} | {'RSS MiB':>8} | files written"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="item counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measured phase")
    parser.add_argument("--keep", type=Path, help="keep stores in DIR/N and reuse them")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    if args.repeat < 1 or not sizes or min(sizes) < 1:
        parser.error("--sizes needs positive counts and --repeat at least 1")

    if not hasattr(yaml, "CSafeLoader"):
        sys.exit(
            "PyYAML has no libyaml (yaml.CSafeLoader missing), so the parse floor cannot be"
            " measured; reinstall PyYAML with libyaml"
        )

    rows: list[str] = []
    notes: set[str] = set()
    for n in sizes:
        average, phases, note = size_phases(n, args.repeat, args.keep)
        if any(phase.disturbed for phase in phases):
            notes.add("* feedsvc's source changed during this phase: its figures are not valid")
        rows.append(f"{n:>7} | average item file {average / 1024:.2f} KiB")
        rows += [_row(str(n), phase) for phase in phases]
        if note:
            notes.add(note)
    rows += [_row("-", phase) for phase in feed_phases(args.repeat)]

    print(HEADER)
    print("-" * len(HEADER))
    print("\n".join(rows))
    print(
        f"\nmedian of {args.repeat}; a ratio is the median of each run against the floor measured"
        " just before it;"
        f" peak RSS must stay under {RSS_LIMIT_MIB} MiB; files written per run, in order."
    )
    for note in sorted(notes):
        print(f"note: {note}")


if __name__ == "__main__":
    main()
