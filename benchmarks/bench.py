"""Figures for feedsvc's performance targets on synthetic stores of N items.

    python benchmarks/bench.py [--sizes 1000,10000,100000] [--repeat 3] [--keep DIR]

Builds run through the `feedsvc build` command, as a publishing job would, so the figures
include interpreter start-up and hold whatever the build does internally. Files are read from
the page cache in every phase: "cold" means no feedsvc cache and no out/, not a cold disk.
"""

from __future__ import annotations

import argparse
import email.utils
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import synth  # found next to this script, which Python puts first on the path
import yaml
from feedgen.feed import FeedGenerator
from lxml import etree

import feedsvc
from feedsvc.model import FeedSettings
from feedsvc.publish.writers import Category, EntryDoc, FeedDoc, Marker
from feedsvc.publish.writers import _xml as xmlfeeds
from feedsvc.publish.writers.namespaces import ATOM, DCTERMS

NOW_ARG = synth.NOW_ARG
MIB = 1024 * 1024
RSS_LIMIT_MIB = 300
TARGET_ITEMS = 100_000  # the archive size the targets are set for
FEED_ENTRIES = 10_000


@dataclass(slots=True)
class Phase:
    name: str
    seconds: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    written: list[int] = field(default_factory=list)
    floor: Phase | None = None  # the phase this one's target ratio is taken against
    paired: list[float] = field(default_factory=list)  # that floor's seconds, run by run
    target: str = ""
    limit: float | None = None  # highest ratio that meets the target
    seconds_limit: float | None = None
    disturbed: bool = False  # feedsvc's source changed while this phase ran

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def ratio(self) -> float:
        """The median over runs of each run against the floor measured just before it.

        This machine's speed drifts by a third within minutes; a run and its own floor see
        the same speed, where medians taken minutes apart need not.
        """
        pairs = zip(self.seconds, self.paired, strict=True)
        return statistics.median(mine / floor for mine, floor in pairs)


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    rss_mib: float
    written: int
    disturbed: bool = False


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


def run_child(command: list[str]) -> tuple[Run, int, str]:
    """Wall time, peak RSS and `written` lines of one command; also its exit code and stderr.

    Peak RSS comes from wait4: for a build that starts workers it is the largest single process
    (Linux keeps the maximum, not the sum), which is what decides whether one process fits.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        lines = out.read().decode("utf-8", "replace").splitlines()
        stderr = err.read().decode("utf-8", "replace")
    written = sum(line.startswith("written") for line in lines)
    return Run(seconds, usage.ru_maxrss * 1024 / MIB, written), child.returncode, stderr


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


# --- feed-10k: feedsvc's writers against lxml alone --------------------------------------------


def _feed_doc() -> FeedDoc:
    rng = random.Random(7)
    writer = synth.Writer(rng)
    settings = FeedSettings.model_validate(
        {
            "title": "Actualités Asie",
            "description": "L'article à la une et les dernières brèves de la rédaction.",
            "site_url": synth.SITE,
            "public_url": synth.SITE + "feeds/",
            "publisher": {"name": "La rédaction", "email": "redaction@example.com"},
            "limit": FEED_ENTRIES,
        }
    )
    scheme = synth.SITE + "categories/"
    entries = []
    for index in range(FEED_ENTRIES):
        published = synth.NOW - timedelta(minutes=7 * index + rng.randrange(7))
        published = published.astimezone(synth.offset(rng.choice(synth.OFFSETS)))
        url = f"{synth.SITE}{published:%Y/%m/%d}/article-{index:06d}"
        terms = rng.sample(synth.CATEGORIES, rng.randint(1, 4))
        entries.append(
            EntryDoc(
                id=url,
                title=writer.title(),
                url=url,
                published=published,
                updated=published,
                summary=writer.prose(300, 600),
                categories=tuple(Category(term, scheme) for term in terms),
                photo=None,
                authors=(),
                comments=None,
                access="public",
                content_html=None,
            )
        )
    return FeedDoc(settings, settings.title, settings.description, "", tuple(entries))


def lxml_rss(doc: FeedDoc) -> bytes:
    """The RSS a hand-written lxml writer would give: channel, then per item the same fields."""
    rss = etree.Element("rss", version="2.0", nsmap={"atom": ATOM, "dcterms": DCTERMS})
    channel = etree.SubElement(rss, "channel")
    sub = etree.SubElement
    sub(channel, "title").text = doc.title
    sub(channel, "link").text = doc.settings.site_url
    sub(channel, "description").text = doc.subtitle
    sub(channel, f"{{{ATOM}}}link", href=doc.url("rss.xml"), rel="self")
    sub(channel, "language").text = doc.settings.language
    sub(channel, "lastBuildDate").text = email.utils.format_datetime(doc.updated)
    for entry in doc.entries:
        item = sub(channel, "item")
        sub(item, "title").text = entry.title
        sub(item, "link").text = entry.url
        sub(item, "guid", isPermaLink="true").text = entry.id
        sub(item, "pubDate").text = email.utils.format_datetime(entry.published)
        sub(item, "description").text = entry.summary
        for category in entry.categories:
            sub(item, "category", domain=category.scheme).text = category.term
        sub(item, f"{{{DCTERMS}}}accessRights").text = Marker.access_rights(entry.access)
    return bytes(etree.tostring(rss, encoding="UTF-8", xml_declaration=True))


def lxml_atom(doc: FeedDoc) -> bytes:
    a = f"{{{ATOM}}}"
    # lxml takes None as the default namespace; its stubs only allow string prefixes.
    namespaces: dict[str | None, str] = {None: ATOM, "dcterms": DCTERMS}
    feed = etree.Element(a + "feed", nsmap=namespaces)  # type: ignore[arg-type]
    sub = etree.SubElement
    sub(feed, a + "id").text = doc.url("atom.xml")
    sub(feed, a + "title").text = doc.title
    sub(feed, a + "subtitle").text = doc.subtitle
    sub(feed, a + "link", href=doc.url("atom.xml"), rel="self")
    sub(feed, a + "link", href=doc.settings.site_url, rel="alternate")
    sub(feed, a + "updated").text = doc.updated.isoformat()
    for entry in doc.entries:
        item = sub(feed, a + "entry")
        sub(item, a + "id").text = entry.id
        sub(item, a + "title").text = entry.title
        sub(item, a + "link", href=entry.url, rel="alternate", type="text/html")
        sub(item, a + "published").text = entry.published.isoformat()
        sub(item, a + "updated").text = entry.updated.isoformat()
        sub(item, a + "summary", type="text").text = entry.summary
        for category in entry.categories:
            sub(item, a + "category", term=category.term, scheme=category.scheme)
        sub(item, f"{{{DCTERMS}}}accessRights").text = Marker.access_rights(entry.access)
    return bytes(etree.tostring(feed, encoding="UTF-8", xml_declaration=True))


def _bare_feedgen(doc: FeedDoc) -> FeedGenerator:
    """The fewest feedgen calls that give the same entries, without the access marker: a
    floor for any writer built on feedgen's entry API."""
    fg = FeedGenerator()
    fg.id(doc.url("atom.xml"))
    fg.title(doc.title)
    fg.subtitle(doc.subtitle)
    fg.link(href=doc.settings.site_url, rel="alternate")
    fg.updated(doc.updated)
    for entry in doc.entries:
        fe = fg.add_entry(order="append")
        fe.id(entry.id)
        fe.guid(entry.id, permalink=True)
        fe.title(entry.title)
        fe.link(href=entry.url, rel="alternate", type="text/html")
        fe.published(entry.published)
        fe.updated(entry.updated)
        fe.summary(entry.summary, type="text")
        fe.category([{"term": c.term, "scheme": c.scheme} for c in entry.categories])
    return fg


def feedgen_rss(doc: FeedDoc) -> bytes:
    root, _ = _bare_feedgen(doc)._create_rss()
    return bytes(etree.tostring(root, encoding="UTF-8", xml_declaration=True))


def feedgen_atom(doc: FeedDoc) -> bytes:
    root, _ = _bare_feedgen(doc)._create_atom()
    return bytes(etree.tostring(root, encoding="UTF-8", xml_declaration=True))


def feed_phases(repeat: int) -> list[Phase]:
    """Each writer once per round, in turn, so that a slow spell of the machine falls on all."""
    doc = _feed_doc()
    phases = []
    for name, ours, bare, theirs in (
        ("feed-10k rss", xmlfeeds.rss, feedgen_rss, lxml_rss),
        ("feed-10k atom", xmlfeeds.atom, feedgen_atom, lxml_atom),
    ):
        floor, reference, phase = Phase(f"{name} (lxml)"), Phase(f"{name} (feedgen)"), Phase(name)
        reference.floor = floor  # a ratio without a target: what feedgen alone costs
        phase.floor, phase.target, phase.limit = floor, "<= 1.5x lxml", 1.5
        for _ in range(repeat):
            for write, into in ((theirs, floor), (bare, reference), (ours, phase)):
                start = time.perf_counter()
                write(doc)
                into.seconds.append(time.perf_counter() - start)
            reference.paired.append(floor.seconds[-1])
            phase.paired.append(floor.seconds[-1])
        phases += [floor, reference, phase]
    return phases


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
