"""How a command's process ends: its whole output and status, its index closed, whatever way
it leaves the interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from feeds import NOW


def _feedsvc(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedsvc", *arguments],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_build_through_a_pipe_gives_its_whole_report_and_leaves_its_index_closed(
    bundled_copy: Path, tmp_path: Path
) -> None:
    out, cache = tmp_path / "out", tmp_path / "cache"
    common = ("--out", str(out), "--cache", str(cache), "--now", NOW)
    result = _feedsvc("build", str(bundled_copy), *common, "--json", "-v")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # the whole document: nothing left in a buffer
    assert report["ok"] and len(report["files"]) == report["counts"]["written"] > 0
    # Closed, not abandoned: SQLite removes its write-ahead log when the last connection
    # closes, so a -wal left behind would mean the next build recovers an index left open.
    assert sorted(path.name for path in cache.iterdir()) == ["items.sqlite3"]
    again = _feedsvc("build", str(bundled_copy), *common)
    assert again.returncode == 0 and "nothing changed" in again.stdout, again.stdout


def test_a_failed_validation_ends_with_its_status_and_its_last_line(
    bundled_copy: Path, tmp_path: Path
) -> None:
    item = next(bundled_copy.glob("*.md"))
    item.write_text(item.read_text(encoding="utf-8").replace("title:", "titre:", 1))
    result = _feedsvc("validate", str(bundled_copy), "--cache", str(tmp_path / "c"), "--now", NOW)
    assert result.returncode == 1
    assert item.name in result.stdout + result.stderr
    assert (result.stdout + result.stderr).rstrip().splitlines()[-1].endswith(".")
    assert sorted(path.name for path in (tmp_path / "c").iterdir()) == ["items.sqlite3"]


def test_a_profiled_command_still_gets_its_profile_written(tmp_path: Path) -> None:
    profile = tmp_path / "build.prof"
    result = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "feedsvc", "--help"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0 and "Usage:" in result.stdout
    assert profile.stat().st_size > 0  # written by the profiler once the command returned
