"""`feedsvc serve`, public tree: a real server, real HTTP clients and feedparser's polling."""

from __future__ import annotations

import gzip
import http.client
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import httpx
import pytest
from served import Served, publish_tree, served_tree

from feedsvc.errors import ServeConfigError
from feedsvc.serve import ServeConfig
from feedsvc.serve._files import FileStore, etag_of

MEDIA_TYPES = {
    "rss.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
    "index.html": "text/html; charset=utf-8",
    "categories/asie/rss.xml": "application/rss+xml; charset=utf-8",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served_tree(tmp_path_factory.mktemp("serve"), max_age=120) as served:
        yield served


@pytest.fixture
def client(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.base) as client:
        yield client


def test_each_format_has_its_media_type_validators_and_cache_setting(
    served: Served, client: httpx.Client
) -> None:
    for name, media_type in MEDIA_TYPES.items():
        response = client.get(name, headers={"accept-encoding": "identity"})
        assert response.status_code == 200, name
        assert response.headers["content-type"] == media_type
        assert response.content == (served.out / "public" / name).read_bytes()
        assert response.headers["etag"].startswith('"')  # strong
        assert response.headers["last-modified"].endswith(" GMT")
        assert response.headers["cache-control"] == "public, max-age=120"
        assert response.headers["vary"] == "Accept-Encoding"
    assert client.get("").content == (served.out / "public" / "index.html").read_bytes()


def test_feedparser_polls_with_etag_and_modified(served: Served) -> None:
    url = served.base + "rss.xml"
    first = feedparser.parse(url)
    assert first.status == 200 and first.etag and first.modified
    assert feedparser.parse(url, etag=first.etag).status == 304
    assert feedparser.parse(url, modified=first.modified).status == 304
    assert first.feed.title == "Actualités Asie"


def test_if_none_match_wins_over_if_modified_since(served: Served, client: httpx.Client) -> None:
    first = client.get("atom.xml")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    # Matching tag, stale date: 304. Other tag, current date: 200 (the date is ignored).
    assert (
        client.get(
            "atom.xml", headers={"if-none-match": etag, "if-modified-since": old}
        ).status_code
        == 304
    )
    other = {"if-none-match": '"other"', "if-modified-since": modified}
    assert client.get("atom.xml", headers=other).status_code == 200
    # Weak comparison, lists and *.
    for header in (f"W/{etag}", f'"a", {etag}', "*"):
        assert client.get("atom.xml", headers={"if-none-match": header}).status_code == 304
    assert client.get("atom.xml", headers={"if-modified-since": modified}).status_code == 304
    assert client.get("atom.xml", headers={"if-modified-since": old}).status_code == 200
    assert client.get("atom.xml", headers={"if-modified-since": "garbage"}).status_code == 200
    not_modified = client.get("atom.xml", headers={"if-none-match": etag})
    assert not_modified.content == b""
    for header in ("etag", "cache-control", "vary", "last-modified"):
        assert not_modified.headers[header] == first.headers[header]


def test_head_answers_the_headers_of_get_without_a_body(served: Served) -> None:
    parts = urlsplit(served.base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    for name in MEDIA_TYPES:
        connection.request("GET", f"/{name}", headers={"accept-encoding": "gzip"})
        get = connection.getresponse()
        get_body = get.read()
        connection.request("HEAD", f"/{name}", headers={"accept-encoding": "gzip"})
        head = connection.getresponse()
        assert head.status == 200 and head.read() == b""
        for header in ("etag", "content-type", "content-length", "content-encoding"):
            assert head.getheader(header) == get.getheader(header), (name, header)
        assert int(head.getheader("content-length") or -1) == len(get_body)
    connection.close()


def test_gzip_when_accepted_made_once_per_version(served: Served, client: httpx.Client) -> None:
    plain = client.get("rss.xml", headers={"accept-encoding": "identity"})
    packed = client.get("rss.xml", headers={"accept-encoding": "br;q=1, gzip;q=0.5"})
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.content == plain.content  # httpx decodes it
    assert packed.headers["etag"] != plain.headers["etag"]  # another representation
    refused = client.get("rss.xml", headers={"accept-encoding": "gzip;q=0, *;q=1"})
    assert "content-encoding" not in refused.headers
    # Either representation's tag validates the version.
    for etag in (plain.headers["etag"], packed.headers["etag"]):
        assert client.get("rss.xml", headers={"if-none-match": etag}).status_code == 304
    store = FileStore(served.out / "public")
    version = store.get("rss.xml")
    assert version is not None
    first = version.gzipped()
    assert first is not None and store.get("rss.xml") is version
    assert version.gzipped() is first  # compressed once, not per request
    assert gzip.decompress(first.body) == version.identity.body


def test_other_methods_get_405(client: httpx.Client) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        response = client.request(method, "rss.xml")
        assert response.status_code == 405, method
        assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


def test_a_rebuild_keeps_etags_of_unchanged_feeds_and_changes_the_others(
    tmp_path: Path,
) -> None:
    with served_tree(tmp_path) as served:
        url = served.base + "rss.xml"
        before = feedparser.parse(url)
        category = httpx.get(served.base + "categories/philippines/rss.xml").headers["etag"]
        publish_tree(served.items, served.out)  # nothing changed
        assert feedparser.parse(url, etag=before.etag).status == 304
        # Every file rewritten with the same bytes: new inodes and times, the same ETags.
        for path in (served.out / "public").rglob("*.xml"):
            os.replace(path, path.with_suffix(".old"))
            path.write_bytes(path.with_suffix(".old").read_bytes())
            path.with_suffix(".old").unlink()
        assert feedparser.parse(url, etag=before.etag).status == 304
        edited = served.items / "2024-06-19-coree-du-nord-accueille-poutine.md"
        edited.write_text(
            edited.read_text(encoding="utf-8").replace(
                "Dans un grand spectacle", "En grande pompe"
            ),
            encoding="utf-8",
        )
        publish_tree(served.items, served.out)
        after = feedparser.parse(url, etag=before.etag)
        assert after.status == 200 and after.etag != before.etag
        assert "En grande pompe" in after.entries[-1].content[0].value
        assert feedparser.parse(url, etag=after.etag).status == 304
        # A category without the lead kept its bytes, so its tag.
        assert httpx.get(served.base + "categories/philippines/rss.xml").headers["etag"] == category


def test_a_build_during_polling_never_shows_a_torn_or_mixed_file(
    tmp_path: Path,
) -> None:
    with served_tree(tmp_path) as served:
        target = served.out / "public" / "feed.json"
        versions = [target.read_bytes(), target.read_bytes().replace(b"}", b"} ") * 3]
        rounds = 300
        done = threading.Event()

        def rebuild() -> None:
            for number in range(rounds):
                temporary = target.with_name(f".feedsvc-x{number}.tmp")
                temporary.write_bytes(versions[number % 2])
                os.replace(temporary, target)
            done.set()

        writer = threading.Thread(target=rebuild)
        answers = 0
        with httpx.Client(base_url=served.base) as client:
            writer.start()
            while not done.is_set():
                response = client.get("feed.json", headers={"accept-encoding": "identity"})
                # Whole, one version, and labelled with that version's tag.
                assert response.content in versions
                assert response.headers["etag"] == etag_of(response.content)
                answers += 1
        writer.join()
        assert answers > 0


def test_the_members_database_is_never_inside_out(tmp_path: Path) -> None:
    with pytest.raises(ServeConfigError, match="inside"):
        ServeConfig(tmp_path / "out", tmp_path / "out" / "m.sqlite3", "https://e.com/", 60)
