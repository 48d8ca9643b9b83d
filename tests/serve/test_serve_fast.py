"""The public tree's fast path: the same answers as before, with less work per poll."""

from __future__ import annotations

import http.client
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from served import Served, served_tree
from starlette.applications import Starlette

from feedsvc.serve._files import FileStore


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served_tree(tmp_path_factory.mktemp("fast")) as served:
        yield served


def raw(
    served: Served, method: str, path: str, headers: list[tuple[str, str]]
) -> tuple[int, bytes]:
    """One request with exactly these header lines, repeated names included."""
    parts = urlsplit(served.base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.putrequest(method, path)
    for name, value in headers:
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def test_repeated_if_none_match_lines_are_one_list(served: Served) -> None:
    for path in ("/rss.xml", "/categories/asie/atom.xml"):
        etag = httpx.get(served.base + path.lstrip("/")).headers["etag"]
        lines = [("If-None-Match", '"other"'), ("If-None-Match", etag)]
        assert raw(served, "GET", path, lines)[0] == 304, path
        assert raw(served, "GET", path, [("If-None-Match", '"other"')] * 2)[0] == 200


def test_public_polls_skip_the_framework_and_the_rest_still_reach_it(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    original = Starlette.__call__

    async def counted(self: Starlette, scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope["path"])
        await original(self, scope, receive, send)

    monkeypatch.setattr(Starlette, "__call__", counted)
    with httpx.Client(base_url=served.base) as client:
        for path in ("rss.xml", "atom.xml", "feed.json", "", "categories/asie/rss.xml"):
            first = client.get(path, headers={"accept-encoding": "gzip"})
            assert first.status_code == 200
            again = client.get(path, headers={"if-none-match": first.headers["etag"]})
            assert again.status_code == 304
            assert client.head(path).status_code == 200
        assert calls == []
        # Everything else is the application's: 405, 404, members.
        assert client.post("rss.xml").status_code == 405
        assert client.get("nowhere.xml").status_code == 404
        assert client.get("members/rss.xml").status_code == 401
    assert calls == ["/rss.xml", "/nowhere.xml", "/members/rss.xml"]


def test_a_known_version_costs_one_stat(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileStore(served.out / "public")
    first = store.get("categories/asie/rss.xml")
    assert first is not None
    stats: list[str] = []
    for name in ("stat", "lstat"):
        original = getattr(os, name)

        def counted(path: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            stats.append(str(path))
            return _original(path, *args, **kwargs)

        monkeypatch.setattr(os, name, counted)
    assert store.get("categories/asie/rss.xml") is first
    assert len(stats) == 1


def test_a_folder_swapped_for_a_link_after_caching_leads_nowhere(tmp_path: Path) -> None:
    public, members = tmp_path / "public", tmp_path / "members"
    (public / "categories" / "asie").mkdir(parents=True)
    members.mkdir()
    (public / "categories" / "asie" / "rss.xml").write_bytes(b"<public/>")
    (members / "rss.xml").write_bytes(b"<members/>")
    store = FileStore(public)
    version = store.get("categories/asie/rss.xml")
    assert version is not None and version.identity.body == b"<public/>"
    shutil.rmtree(public / "categories" / "asie")
    os.symlink(members, public / "categories" / "asie")
    assert store.get("categories/asie/rss.xml") is None
