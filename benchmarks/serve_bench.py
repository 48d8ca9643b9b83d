"""Pollers against `feedsvc serve`: requests per second and p50/p99 latency, with nginx as the
reference on the same public files.

    python benchmarks/serve_bench.py [--seconds 5] [--connections 16] [--workers 1,2,4]
        [--rounds 3] [--compare OTHER_VENV/bin]

Needs wrk and nginx (Debian: `apt-get install wrk nginx-light`); runs on loopback only, each
load for --seconds. The mix: 10% of requests on members' personalised feeds (100 members),
90% on the public feeds; in each, 9 requests in 10 carry the ETag of the current version
(answered 304) and 1 in 10 none (a full 200). nginx serves the public share alone.
With one worker, the server is pinned to core 0 and wrk to core 1 (when taskset exists), and
so is nginx's one worker: the 1-worker rows compare like for like, as do the 2-worker ones.
--compare runs another installation of feedsvc (its bin folder, e.g. a venv of the previous
release) in turn with this one, round after round, and every row is the median of the rounds
with its range: on a shared machine, before and after are only comparable in the same run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FILES = ("rss.xml", "atom.xml", "feed.json")
MEMBERS = 100

LUA = """
local public = {%(public)s}
local members = {%(members)s}
local counter = 0
request = function()
  counter = counter + 1
  local pick = counter %% 100
  local list = public
  if %(with_members)s and pick < 10 then list = members end
  local entry = list[(counter * 7919) %% #list + 1]
  local headers = {}
  if counter %% 10 ~= 3 then headers["If-None-Match"] = entry[2] end
  return wrk.format("GET", entry[1], headers)
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def prepare(root: Path) -> tuple[Path, Path, list[str]]:
    """The bundled items built into root/out (the public and members' trees), and MEMBERS
    members."""
    from feedsvc.serve import SQLiteMembers

    items = Path(shutil.copytree(ROOT / "items", root / "items"))
    out = root / "out"
    subprocess.run(
        [str(BIN / "feedsvc"), "build", "--items", str(items), "--out", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    db = root / "members.sqlite3"
    store = SQLiteMembers(db)
    tokens = [store.add(f"membre {number}") for number in range(MEMBERS)]
    return items, out, tokens


@contextmanager
def started(command: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    child = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if child.poll() is not None:
                raise SystemExit(child.communicate()[1].decode())
            try:
                httpx.get(base + "/rss.xml")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base
    finally:
        child.send_signal(signal.SIGINT if "nginx" not in command[0] else signal.SIGQUIT)
        child.wait(30)


def entries(base: str, paths: list[str]) -> str:
    """Lua table rows {path, etag} with the ETag this server gives each path now."""
    rows = []
    for path in paths:
        response = httpx.get(base + path)
        assert response.status_code == 200, (path, response.status_code)
        rows.append(f"{{[[{path}]], [[{response.headers['etag']}]]}}")  # Lua long strings
    return ", ".join(rows)


def public_paths(out: Path) -> list[str]:
    public = out / "public"
    return sorted(
        "/" + p.relative_to(public).as_posix() for p in public.rglob("*") if p.name in FILES
    )


def wrk(base: str, script: Path, seconds: int, connections: int, cpu: str | None) -> dict[str, str]:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
               "-s", str(script), base]  # fmt: skip
    if cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", cpu, *command]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures = {"rps": re.search(r"Requests/sec:\s+([\d.]+)", output)}
    figures["p50"] = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    figures["p99"] = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result = {key: match.group(1) if match else "?" for key, match in figures.items()}
    for key in ("p50", "p99"):  # wrk writes 950.00us, 1.20ms or 1.05s: all in ms here
        found = re.fullmatch(r"([\d.]+)(us|ms|s)", result[key])
        if found:
            scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]
            result[key] = f"{float(found.group(1)) * scale:.2f}ms"
    result["errors"] = errors.group(1) if errors else "0"
    return result


def mix(base: str, paths: list[str], members: list[str], count: int) -> list[bytes]:
    """`count` raw requests in the mix: 1 in 10 on a member's feed, 9 in 10 conditional."""
    tags = {path: httpx.get(base + path).headers["etag"] for path in [*paths, *members]}
    made = []
    for number in range(count):
        pool = members if members and number % 100 < 10 else paths
        path = pool[(number * 7919) % len(pool)]
        condition = "" if number % 10 == 3 else f"If-None-Match: {tags[path]}\r\n"
        made.append(f"GET {path} HTTP/1.1\r\nHost: bench\r\n{condition}\r\n".encode())
    return made


async def _open_loop(
    port: int, requests: list[bytes], rate: float, seconds: float, connections: int
) -> tuple[list[float], dict[int, int], float]:
    """Requests sent on a fixed schedule, whatever the answers: latency counts from the moment
    a request was due, so a slow server cannot hide its queue (no coordinated omission)."""
    import asyncio

    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queues: list[asyncio.Queue[tuple[float, bytes] | None]] = [
        asyncio.Queue() for _ in range(connections)
    ]

    async def connection(queue: asyncio.Queue[tuple[float, bytes] | None]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (item := await queue.get()) is not None:
            due, request = item
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            found = re.search(rb"(?i)content-length: *(\d+)", head)
            if found:
                await reader.readexactly(int(found.group(1)))
            latencies.append(loop.time() - due)
            status = int(head[9:12])
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    tasks = [asyncio.create_task(connection(queue)) for queue in queues]
    total = int(rate * seconds)
    start = loop.time() + 0.2
    for number in range(total):
        due = start + number / rate
        if (delay := due - loop.time()) > 0:
            await asyncio.sleep(delay)
        queues[number % connections].put_nowait((due, requests[number % len(requests)]))
    for queue in queues:
        queue.put_nowait(None)
    await asyncio.gather(*tasks)
    return latencies, statuses, total / (loop.time() - start)


def open_loop(port: int, requests: list[bytes], rate: float, seconds: float) -> dict[str, str]:
    import asyncio

    latencies, statuses, achieved = asyncio.run(_open_loop(port, requests, rate, seconds, 32))
    latencies.sort()

    def at(share: float) -> str:
        return f"{latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000:.2f}ms"

    bad = sum(count for status, count in statuses.items() if status not in (200, 304))
    return {"rps": f"{achieved:.0f}", "p50": at(0.50), "p99": at(0.99), "errors": str(bad),
            "304s": f"{statuses.get(304, 0) / max(1, len(latencies)):.0%}"}  # fmt: skip


NGINX = """
worker_processes %(workers)d;
daemon off;
pid %(root)s/nginx.pid;
error_log %(root)s/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  sendfile on;
  types {
    application/rss+xml xml;
    application/feed+json json;
    text/html html;
  }
  charset utf-8;
  charset_types application/rss+xml application/feed+json text/html;
  client_body_temp_path %(root)s/tmp; proxy_temp_path %(root)s/tmp;
  fastcgi_temp_path %(root)s/tmp; uwsgi_temp_path %(root)s/tmp; scgi_temp_path %(root)s/tmp;
  server {
    listen 127.0.0.1:%(port)d;
    root %(public)s;
    location ~ /atom\\.xml$ { types { } default_type "application/atom+xml; charset=utf-8"; }
  }
}
"""


@contextmanager
def on_core(core: int | None) -> Iterator[None]:
    """This process (the open-loop client) on one core, the server having the other."""
    if core is None or not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def pinned(command: list[str], workers: int) -> tuple[list[str], str | None]:
    """With one worker and two cores: the server on core 0, the load on core 1."""
    if workers == 1 and shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", "0", *command], "1"
    return command, None


def run_feedsvc(root: Path, items: Path, out: Path, tokens: list[str], workers: int,
                args: argparse.Namespace, bin_dir: Path = BIN,
                name: str = "feedsvc") -> list[tuple[str, dict[str, str]]]:  # fmt: skip
    port = free_port()
    env = {"FEEDSVC_OUT": str(out), "FEEDSVC_ITEMS": str(items),
           "FEEDSVC_MEMBERS_DB": str(root / "members.sqlite3")}  # fmt: skip
    command, cpu = pinned(
        [str(bin_dir / "uvicorn"), "--factory", "feedsvc.serve:create_app", "--workers",
         str(workers), "--port", str(port), "--no-access-log", "--log-level", "warning"],
        workers,
    )  # fmt: skip
    rows = []
    paths = public_paths(out)
    members = [f"/m/{token}/{name}" for token in tokens for name in FILES]
    label = f"{name}, {workers} worker{'s' if workers > 1 else ''}"
    with started(command, env, port) as base:
        script = root / "mix.lua"
        script.write_text(LUA % {"public": entries(base, paths),
            "members": entries(base, members), "with_members": "true"})  # fmt: skip
        rows.append((f"{label}, mixed", wrk(base, script, args.seconds, args.connections, cpu)))
        script.write_text(LUA % {"public": entries(base, paths), "members": "",
            "with_members": "false"})  # fmt: skip
        rows.append((f"{label}, public", wrk(base, script, args.seconds, args.connections, cpu)))
        requests = mix(base, paths, members, 10_000)
        with on_core(int(cpu) if cpu else None):
            figures = open_loop(port, requests, args.rate, args.seconds)
        rows.append((f"{label}, mixed, {args.rate:g}/s fixed", figures))
    return rows


def run_nginx(root: Path, out: Path, workers: int,
              args: argparse.Namespace) -> list[tuple[str, dict[str, str]]]:  # fmt: skip
    port = free_port()
    (root / "tmp").mkdir(exist_ok=True)
    conf = root / "nginx.conf"
    conf.write_text(NGINX % {"workers": workers, "root": root, "port": port,
                             "public": out / "public"})  # fmt: skip
    command, cpu = pinned(["nginx", "-c", str(conf), "-p", str(root)], workers)
    paths = public_paths(out)
    rows = []
    with started(command, {}, port) as base:
        script = root / "nginx.lua"
        script.write_text(LUA % {"public": entries(base, paths), "members": "",
            "with_members": "false"})  # fmt: skip
        label = f"nginx, {workers} worker{'s' if workers > 1 else ''}, public"
        rows.append((label, wrk(base, script, args.seconds, args.connections, cpu)))
        if workers == 1:
            # The open-loop client's own ceiling: asked far more than it can send.
            requests = mix(base, paths, [], 10_000)
            with on_core(int(cpu) if cpu else None):
                figures = open_loop(port, requests, 50_000, 2)
            rows.append(("open-loop client's ceiling (vs nginx)", figures))
    return rows


def _median(runs: list[dict[str, str]]) -> dict[str, str]:
    """Each figure's median over the rounds, with its range when there are several."""
    result = {}
    for key in runs[0]:
        values = [run[key] for run in runs]
        numbers = [float(re.sub(r"[^\d.]", "", v) or "nan") for v in values]
        unit = re.sub(r"[\d.]", "", values[0])
        order = sorted(range(len(values)), key=lambda i: numbers[i])
        middle = values[order[len(order) // 2]]
        if len(values) > 1 and key in ("rps", "p50", "p99"):
            low, high = numbers[order[0]], numbers[order[-1]]
            middle += f" ({low:g}-{high:g}{unit})"
        result[key] = middle
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--rate", type=float, default=560.0, help="requests/s of the fixed run")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each, in turn")
    parser.add_argument("--compare", type=Path, metavar="BIN",
                        help="another feedsvc installation's bin folder, run in turn")  # fmt: skip
    parser.add_argument("--no-nginx", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    root = Path(tempfile.mkdtemp(prefix="feedsvc-serve-bench-"))
    root.chmod(0o755)  # nginx's workers run as another user
    servers = [(BIN, "feedsvc")] + ([(args.compare, "compared")] if args.compare else [])
    nginx = not args.no_nginx and shutil.which("nginx")
    for bin_dir, name in servers:
        fast = subprocess.run([str(bin_dir / "python"), "-c", "import httptools, uvloop"],
                              capture_output=True, check=False).returncode == 0  # fmt: skip
        print(f"{name}: {bin_dir}, uvicorn on "
              f"{'httptools + uvloop' if fast else 'h11 + asyncio'}")  # fmt: skip
    try:
        items, out, tokens = prepare(root)
        runs: dict[str, list[dict[str, str]]] = {}
        for number in range(args.rounds):
            for workers in [int(w) for w in args.workers.split(",")]:
                # Alternate who goes first, so neither always meets the machine warmer.
                for bin_dir, name in servers if number % 2 == 0 else servers[::-1]:
                    for label, figures in run_feedsvc(
                        root, items, out, tokens, workers, args, bin_dir, name
                    ):
                        runs.setdefault(label, []).append(figures)
                if nginx and workers in (1, 2):
                    for label, figures in run_nginx(root, out, workers, args):
                        runs.setdefault(label, []).append(figures)
        print(f"\nwrk: {args.connections} connections, {args.seconds} s per run; 90% 304s; "
              f"median of {args.rounds} round(s) (min-max)")  # fmt: skip
        print(f"{'run':<42} {'req/s':>22} {'p50':>22} {'p99':>22} {'errors':>7} {'304s':>5}")
        for label in runs:
            figures = _median(runs[label])
            print(f"{label:<42} {figures['rps']:>22} {figures['p50']:>22} {figures['p99']:>22} "
                  f"{figures['errors']:>7} {figures.get('304s', ''):>5}")  # fmt: skip
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
