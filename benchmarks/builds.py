"""feedsvc's builds as a publishing job runs them, and the one-file changes between them."""

from __future__ import annotations

import compileall
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import synth
from phases import Run, run_child

import feedsvc


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


def compile_feedsvc() -> None:
    """Byte-compile feedsvc's modules, as installing a package does. Run from a checkout where
    Python may not write bytecode (PYTHONDONTWRITEBYTECODE), every build would compile them
    all again: a tenth of a second of each rebuild that no installed feedsvc spends."""
    compileall.compile_dir(Path(feedsvc.__file__).parent, quiet=1)


def feedsvc_command() -> list[str]:
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
        command = [*feedsvc_command(), "build", "--items", str(self.items), "--out", str(self.out)]
        # --verbose: a line per file, from which the table counts the files written.
        command += ["--now", synth.NOW_ARG, "--verbose"]
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

    def edit(self) -> Path:
        seed = self._next_seed()
        self._save(synth.pick_item(self.items, seed))
        return synth.edit_one(self.items, seed)

    def add(self) -> None:
        self.added.append(synth.add_one(self.items, self._next_seed()))

    def delete(self) -> None:
        seed = self._next_seed()
        self._save(synth.pick_item(self.items, seed))
        synth.delete_one(self.items, seed)

    def undo(self) -> list[Path]:
        """Put the store back; returns every path that changed."""
        for path, (data, mtime_ns) in self.saved.items():
            path.write_bytes(data)
            os.utime(path, ns=(mtime_ns, mtime_ns))
        for path in self.added:
            path.unlink(missing_ok=True)
        changed = [*self.saved, *self.added]
        self.saved.clear()
        self.added.clear()
        return changed
