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
import pytest
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


def serve_once(*args: str) -> subprocess.CompletedProcess[str]:
    """`feedsvc serve` that is expected to stop by itself: a server that starts anyway runs
    until the timeout, and the test fails."""
    command = [str(BIN / "feedsvc"), "serve", "--port", str(free_port()), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)


def test_serve_without_a_public_tree_says_so_instead_of_serving_404s(tmp_path: Path) -> None:
    items, out = tree(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    for where in (tmp_path / "nowhere", empty, out / "public" / "categories"):
        result = serve_once("--items", str(items), "--out", str(where))
        assert result.returncode == 1, result.stderr
        assert f"{where / 'public'} does not exist" in result.stderr
        assert "feedsvc build" in result.stderr and "Traceback" not in result.stderr


def test_serve_refuses_a_damaged_members_database_at_start(tmp_path: Path) -> None:
    items, out = tree(tmp_path)
    damaged = tmp_path / "members.sqlite3"
    damaged.write_bytes(b"not a database, but somebody's file" * 100)
    result = serve_once("--items", str(items), "--out", str(out), "--members-db", str(damaged))
    assert result.returncode == 1, result.stderr
    assert "cannot be used (file is not a database); restore it" in result.stderr
    assert "Traceback" not in result.stderr
    assert damaged.read_bytes() == b"not a database, but somebody's file" * 100


def test_serve_watch_builds_a_missing_public_tree_and_says_so(tmp_path: Path) -> None:
    items = Path(shutil.copytree(BUNDLED_ITEMS, tmp_path / "items"))
    out = tmp_path / "out"
    port = free_port()
    command = [str(BIN / "feedsvc"), "serve", "--watch", "--items", str(items), "--out", str(out)]
    child = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        status = 0
        for _ in range(600):  # until the first build published rss.xml
            assert child.poll() is None, child.communicate()[1].decode()
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/rss.xml").status_code
            except httpx.TransportError:
                status = 0
            if status == 200:
                break
            time.sleep(0.05)
        assert status == 200
    finally:
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=30)
    assert f"{out / 'public'} does not exist yet; --watch builds it" in stderr.decode()


def test_the_factory_says_at_start_what_feedsvc_serve_would_refuse(tmp_path: Path) -> None:
    items, _ = tree(tmp_path)
    damaged = tmp_path / "members.sqlite3"
    damaged.write_bytes(b"not a database, but somebody's file" * 100)
    port = free_port()
    env = {
        "FEEDSVC_OUT": str(tmp_path / "nowhere"), "FEEDSVC_ITEMS": str(items),
        "FEEDSVC_MEMBERS_DB": str(damaged),
    }  # fmt: skip
    command = [str(BIN / "uvicorn"), "--factory", "feedsvc.serve:create_app"]
    child = subprocess.Popen(
        [*command, "--port", str(port), "--log-level", "warning"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in range(600):  # until it listens
            assert child.poll() is None, child.communicate()[1].decode()
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/rss.xml").status_code == 404
                break
            except httpx.TransportError:
                time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=30)
    said = stderr.decode()
    assert f"{tmp_path / 'nowhere' / 'public'} does not exist" in said
    assert f"the members database {damaged} cannot be used (file is not a database)" in said


@pytest.mark.parametrize(
    ("signum", "line"),
    [
        (signal.SIGHUP, "feedsvc: stopped by SIGHUP."),
        (signal.SIGTERM, "feedsvc: stopped by SIGTERM."),
        (signal.SIGINT, "feedsvc: interrupted."),
    ],
)
def test_a_stop_signal_ends_a_serving_command_in_one_line(
    tmp_path: Path, signum: int, line: str
) -> None:
    # SIGHUP (the terminal closed) was raised inside the event loop, which logged it and
    # served on, and ignored every signal after it.
    items, out = tree(tmp_path)
    port = free_port()
    command = [str(BIN / "feedsvc"), "serve", "--items", str(items), "--out", str(out)]
    child = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        for _ in range(600):  # until it listens
            assert child.poll() is None
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/rss.xml").status_code == 200
                break
            except httpx.TransportError:
                time.sleep(0.05)
        child.send_signal(signum)
        _, stderr = child.communicate(timeout=15)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == 128 + signum
    assert stderr.decode().splitlines() == [line]
