"""The two ways of running the server, as real processes: `feedsvc serve` and uvicorn's
factory with several workers, configured by FEEDSVC_* variables."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from helpers import BUNDLED_ITEMS
from served import free_port, publish_tree

BIN = Path(sys.executable).parent


@contextmanager
def process(command: list[str], port: int, env: dict[str, str]) -> Iterator[str]:
    child = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(600):  # until it listens, or it died
            assert child.poll() is None, child.communicate()[0].decode()
            try:
                httpx.get(base + "rss.xml")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(30)


def tree(tmp_path: Path) -> tuple[Path, Path]:
    items = Path(shutil.copytree(BUNDLED_ITEMS, tmp_path / "items"))
    publish_tree(items, tmp_path / "out")
    return items, tmp_path / "out"


def test_feedsvc_serve_listens_on_loopback(tmp_path: Path) -> None:
    items, out = tree(tmp_path)
    port = free_port()
    command = [str(BIN / "feedsvc"), "serve", "--items", str(items), "--out", str(out)]
    with process([*command, "--port", str(port), "--max-age", "60"], port, {}) as base:
        response = httpx.get(base + "rss.xml")
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=60"
        # Nothing listens on the machine's other addresses (ss, where iproute2 is installed).
        listening = ""
        if shutil.which("ss"):
            listening = subprocess.run(
                ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=False
            ).stdout
        if listening:
            assert all("127.0.0.1:" in line for line in listening.splitlines()), listening


def test_the_factory_under_uvicorn_with_workers_reads_the_environment(
    tmp_path: Path, members_db: str
) -> None:
    items, out = tree(tmp_path)
    db = members_db
    added = subprocess.run(
        [str(BIN / "feedsvc"), "members", "add", "Iris", "--items", str(items),
         "--members-db", db],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    address = next(word for word in added.stdout.split() if word.endswith("/rss.xml"))
    token = address.split("/m/")[1].split("/")[0]
    port = free_port()
    env = {
        "FEEDSVC_OUT": str(out), "FEEDSVC_ITEMS": str(items), "FEEDSVC_MEMBERS_DB": db,
        "FEEDSVC_MAX_AGE": "30",
    }  # fmt: skip
    command = [str(BIN / "uvicorn"), "--factory", "feedsvc.serve:create_app", "--workers", "2"]
    with process([*command, "--port", str(port), "--log-level", "warning"], port, env) as base:
        for _ in range(4):  # whichever worker answers
            assert httpx.get(base + "atom.xml").headers["cache-control"] == "public, max-age=30"
            assert httpx.get(f"{base}m/{token}/rss.xml").status_code == 200
        revoked = subprocess.run(
            [str(BIN / "feedsvc"), "members", "revoke", "Iris", "--members-db", db],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert revoked.returncode == 0, revoked.stdout + revoked.stderr
        for _ in range(4):
            assert httpx.get(f"{base}m/{token}/rss.xml").status_code == 404
