"""A real uvicorn server on a free loopback port, over an out/ tree a real build wrote."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from conftest import BUNDLED_ITEMS
from feeds import build

from feedsvc.publish._layout import MEMBERS_TREE, PUBLIC_TREE
from feedsvc.serve import ServeConfig, create_app

# A members-only lead: its text must reach members through the server, and nobody else.
SECRET_SENTENCE = "Ce paragraphe est réservé aux membres et ne doit jamais sortir."
MEMBERS_LEAD = f"""\
---
kind: lead
title: Enquête réservée aux membres
url: https://www.example.com/2024/06/20/enquete
published: 2024-06-20T09:00:00+09:00
categories: [Asie]
summary: Une enquête pour les membres.
access: members
---
{SECRET_SENTENCE}
"""


def publish_tree(items: Path, out: Path) -> None:
    """Build the items, then bring out/ to the split layout (public/ and members/).

    This branch's build still writes the public files at the top of out/ and the members'
    feed in out/members/; the split into out/public/ and out/members/ is being made
    elsewhere. Until it lands, the build writes into a staging folder and each file is moved
    into its tree the way the build replaces files: a temporary file renamed over the old
    one, and only when the bytes change (so an unchanged file keeps its mtime and inode).
    """
    staging = out.parent / (out.name + "-staging")
    result = build(items, staging)
    assert result.exit_code == 0, result.output
    for path in sorted(staging.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        relative = path.relative_to(staging).as_posix()
        tree = "" if relative.startswith(MEMBERS_TREE) else PUBLIC_TREE
        target = out / f"{tree}{relative}"
        target.parent.mkdir(parents=True, exist_ok=True)
        data = path.read_bytes()
        if target.is_file() and target.read_bytes() == data:
            continue
        temporary = target.parent / f".feedsvc-test-{target.name}.tmp"
        temporary.write_bytes(data)
        os.replace(temporary, target)
    # Files the build no longer writes leave the trees too.
    for target in sorted(out.rglob("*")):
        if target.is_file() and not target.is_symlink() and not target.name.startswith("."):
            relative = target.relative_to(out).as_posix().removeprefix(PUBLIC_TREE)
            if not (staging / relative).is_file():
                target.unlink()


@dataclass
class Served:
    base: str
    out: Path
    items: Path
    members_db: Path


@contextmanager
def running(config: ServeConfig) -> Iterator[str]:
    """The application on uvicorn in a thread, on a port the kernel chose; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(config), log_level="warning", lifespan="off"))
    ready = threading.Event()
    original_startup = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets=sockets)
        ready.set()

    server.startup = startup  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    assert ready.wait(30), "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


@contextmanager
def served_tree(root: Path, max_age: int = 300) -> Iterator[Served]:
    """The bundled items and a members-only lead, built and served from below `root`."""
    items = root / "items"
    if not items.exists():
        shutil.copytree(BUNDLED_ITEMS, items)
    (items / "2024-06-20-enquete.md").write_text(MEMBERS_LEAD, encoding="utf-8")
    out = root / "out"
    publish_tree(items, out)
    members_db = root / "members.sqlite3"
    config = ServeConfig(out, members_db, "https://www.example.com/feeds/", max_age)
    with running(config) as base:
        yield Served(base, out, items, members_db)
