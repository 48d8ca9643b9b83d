"""A real uvicorn server on a free loopback port, over an out/ tree a real build wrote."""

from __future__ import annotations

import contextlib
import shutil
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from feeds import build
from helpers import BUNDLED_ITEMS

from feedsvc.serve import Members, PostgresAddress, ServeConfig, create_app, members_location

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
    """Build the items into out/: the public tree and the members' tree, as a server sees them."""
    result = build(items, out)
    assert result.exit_code == 0, result.output


@dataclass
class Served:
    base: str
    out: Path
    items: Path
    members_db: str  # as --members-db takes it: a SQLite file or a postgresql:// address


@contextmanager
def running(config: ServeConfig, members: Members | None = None) -> Iterator[str]:
    """The application on uvicorn in a thread, on a port the kernel chose; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(config, members), log_level="warning", lifespan="on")
    )
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
def served_tree(root: Path, max_age: int = 300, members_db: str | None = None) -> Iterator[Served]:
    """The bundled items and a members-only lead, built and served from below `root`, with
    the members database `members_db` (default: a SQLite file there)."""
    items = root / "items"
    if not items.exists():
        shutil.copytree(BUNDLED_ITEMS, items)
    (items / "2024-06-20-enquete.md").write_text(MEMBERS_LEAD, encoding="utf-8")
    out = root / "out"
    publish_tree(items, out)
    members_db = members_db or str(root / "members.sqlite3")
    config = ServeConfig(
        out, members_location(members_db), "https://www.example.com/feeds/", max_age
    )
    with running(config) as base:
        yield Served(base, out, items, members_db)


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def members_tables(members_db: str) -> tuple[str, str]:
    """The names of feedsvc's members and polls tables in that database."""
    if isinstance(members_location(members_db), PostgresAddress):
        return "feedsvc_members", "feedsvc_polls"
    return "members", "polls"


def run_sql(members_db: str, query: str) -> list[tuple[object, ...]]:
    """`query` run on the members database, whichever its kind; the rows it returned."""
    location = members_location(members_db)
    if not isinstance(location, PostgresAddress):
        location.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(location)) as db, db:
            return db.execute(query).fetchall()
    import psycopg

    with psycopg.connect(location.url, autocommit=True) as connection:
        cursor = connection.execute(query.encode())
        return cursor.fetchall() if cursor.description else []


def stored_text(members_db: str) -> str:
    """Everything the members database holds, as text: to check what it never holds."""
    location = members_location(members_db)
    if not isinstance(location, PostgresAddress):
        return location.read_bytes().decode("latin-1")
    return repr([run_sql(members_db, f"SELECT * FROM {t}") for t in members_tables(members_db)])
