"""Time from saving an item file to the new feed on disk, under `feedsvc build --watch`.

    python benchmarks/watch_latency.py --items STORE [--now MOMENT] [--edits 8]

Starts a watch on STORE (a synthetic store from bench.py's --keep, with or without `archives:
true`), waits for its first build, then edits the title of one item of the main feed at a
time, newest first, as an editor saves a file, and times how long the new title takes to
appear in out/public/atom.xml: the moment a reader polling the feed could see it. Each edit
waits for the watch's report of its build before the next. The edited files are put back at
the end, and the watch is stopped with Ctrl-C's signal. Bounded: 300 s for the first build
(a cold build of 100,000 items with archives takes about two minutes), 20 s for each edit.
"""

from __future__ import annotations

import argparse
import os
import queue
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import synth
from builds import compile_feedsvc, feedsvc_command

from feedsvc._cli_watch import DEBOUNCE_MS

FIRST_BUILD_S = 300.0
EDIT_S = 20.0


def in_feed(items: Path, feed: bytes, now: str, count: int) -> list[Path]:
    """`count` item files the feed holds, newest first: the synthetic items' file names are
    their date and the last part of their address, which the feed holds."""
    day = now[:10]
    found = sorted(
        (path for path in items.rglob("*.md") if path.name[:10] <= day),
        key=lambda path: path.name,
        reverse=True,
    )
    return [path for path in found[:2000] if path.stem[11:].encode() in feed][:count]


def lines_of(process: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    return lines


def wait_for_report(lines: queue.Queue[str], seconds: float) -> str:
    """The watch's next summary line ("out is …" or "… written"), within `seconds`."""
    end = time.monotonic() + seconds
    while True:
        line = lines.get(timeout=max(end - time.monotonic(), 0.001))
        if " items valid" in line or "problem" in line:
            return line


def appears(feed: Path, marker: bytes, seconds: float) -> float | None:
    """When `marker` is first in `feed`, polled every 2 ms; None after `seconds`."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if marker in feed.read_bytes():
                return time.monotonic()
        except FileNotFoundError:
            pass
        time.sleep(0.002)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=Path, required=True)
    parser.add_argument("--now", default=synth.NOW_ARG)
    parser.add_argument("--edits", type=int, default=8)
    parser.add_argument("--cache", type=Path, help="the cache of an earlier build of STORE")
    parser.add_argument("--out", type=Path, help="that build's out/")
    args = parser.parse_args()
    compile_feedsvc()
    work = Path(tempfile.mkdtemp(prefix="watch-latency-"))
    out = args.out or work / "out"
    cache = args.cache or work / "cache"
    command = [*feedsvc_command(), "build", "--watch", "--items", str(args.items)]
    command += ["--out", str(out), "--cache", str(cache), "--now", args.now]
    feed = out / "public" / "atom.xml"
    saved: dict[Path, tuple[bytes, int]] = {}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    latencies: list[float] = []
    reported: list[float] = []
    try:
        lines = lines_of(process)
        print("first build:", wait_for_report(lines, FIRST_BUILD_S), flush=True)
        targets = in_feed(args.items, feed.read_bytes(), args.now, args.edits)
        saved.update((path, (path.read_bytes(), path.stat().st_mtime_ns)) for path in targets)
        for number, path in enumerate(targets):
            marker = f"Veille{number} "
            text = saved[path][0].decode("utf-8").replace('title: "', f'title: "{marker}', 1)
            start = time.monotonic()
            path.write_text(text, encoding="utf-8")
            seen = appears(feed, marker.encode(), EDIT_S)
            report = wait_for_report(lines, EDIT_S)
            done = time.monotonic()
            if seen is None:
                print(f"edit {number}: not in atom.xml within {EDIT_S} s ({report})")
                continue
            latencies.append(seen - start)
            reported.append(done - start)
            print(f"edit {number}: in atom.xml after {seen - start:.3f} s; {report}", flush=True)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        for path, (data, mtime_ns) in saved.items():
            path.write_bytes(data)
            os.utime(path, ns=(mtime_ns, mtime_ns))
    if latencies:
        print(
            f"save to atom.xml: median {statistics.median(latencies):.3f} s "
            f"(min {min(latencies):.3f}, max {max(latencies):.3f}, {len(latencies)} edits); "
            f"to the watch's report: median {statistics.median(reported):.3f} s; "
            f"the watch's {DEBOUNCE_MS} ms of quiet included; load {os.getloadavg()[0]:.1f}"
        )
    print("watch exit code:", process.returncode)


if __name__ == "__main__":
    main()
