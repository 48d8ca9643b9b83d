"""The public tree serves the files a build published and nothing else, however spelt."""

from __future__ import annotations

import itertools
import os
import socket
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from served import SECRET_SENTENCE, Served, served_tree

# Behind each spelling: something that must never come out of the public tree.
TARGETS = [
    "members/rss.xml", "members/atom.xml", "members/feed.json", ".feedsvc.lock",
    "public/.feedsvc-leak.tmp", "secret.txt", "categories/lien/rss.xml",
    "categories/dossier/rss.xml", "categories/asie/notes.xml", "public/rss.xml",
]  # fmt: skip
PREFIXES = [
    "", "./", "../", "../../", "categories/../", "categories/asie/../../", "%2e%2e/", "%2E%2E%2F",
    "..%2f", "..%5c", "..\\", "%252e%252e/", ".%2e/", "%2e./", "%c0%ae%c0%ae/", "....//", "/",
    "//", "%2f", "public/../", "categories/asie/%2e%2e/%2e%2e/", ";/", "..;/", "%00/", "\\",
]  # fmt: skip
SUFFIXES = ["", "%00", "%00.xml", "/", ".", "%20", ";x", "%2f", "?x=1", "#f", "::$DATA"]


def _spellings() -> Iterator[str]:
    for prefix, target, suffix in itertools.product(PREFIXES, TARGETS, SUFFIXES):
        yield "/" + prefix + target + suffix
    for target in TARGETS:  # case and encoding of every character
        yield "/" + target.upper()
        yield "/" + "".join(f"%{byte:02x}" for byte in target.encode())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served_tree(tmp_path_factory.mktemp("paths")) as served:
        public, members = served.out / "public", served.out / "members"
        (served.out / ".feedsvc.lock").write_text(SECRET_SENTENCE)
        (public / ".feedsvc-leak.tmp").write_text(SECRET_SENTENCE)
        (public / "secret.txt").write_text(SECRET_SENTENCE)
        (public / "categories" / "asie" / "notes.xml").write_text(SECRET_SENTENCE)
        # Links planted in the public tree, to a members' file and to the members' folder.
        (public / "categories" / "lien").mkdir()
        os.symlink(members / "rss.xml", public / "categories" / "lien" / "rss.xml")
        os.symlink(members, public / "categories" / "dossier")
        os.symlink(members / "atom.xml", public / "categories" / "asie" / "feed.json.lnk")
        yield served


def raw_get(base: str, target: str) -> tuple[int, bytes]:
    """The request line sent byte for byte, as no client library would normalise it."""
    parts = urlsplit(base)
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode("latin-1")
        )
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_no_spelling_reaches_a_members_file_the_lock_a_temp_file_or_a_link(
    served: Served,
) -> None:
    public = served.out / "public"
    published = {p.read_bytes() for p in public.rglob("*") if p.is_file() and not p.is_symlink()}
    members = [p.read_bytes() for p in (served.out / "members").iterdir()]
    statuses: Counter[int] = Counter()
    spellings = sorted(set(_spellings()))
    for target in spellings:
        status, body = raw_get(served.base, target)
        statuses[status] += 1
        assert SECRET_SENTENCE.encode() not in body, target
        assert b"(membres)" not in body, target
        assert body not in members
        if status == 200:
            # Only a published public file, spelt another harmless way (e.g. /rss.xml?x=1).
            assert body in published and body not in {b""}, target
        else:
            # 401: the members' plain path, asking for credentials; 400: the HTTP parser.
            assert status in (400, 401, 404), (target, status)
    print(f"\n{len(spellings)} spellings: {dict(sorted(statuses.items()))}")
    assert statuses[404] > len(spellings) * 0.8


def test_planted_files_and_links_get_the_404_of_a_missing_file(served: Served) -> None:
    missing = raw_get(served.base, "/categories/nowhere/rss.xml")
    assert missing[0] == 404
    for target in (
        "/.feedsvc-leak.tmp", "/secret.txt", "/categories/asie/notes.xml",
        "/categories/lien/rss.xml", "/categories/dossier/rss.xml", "/../.feedsvc.lock",
        "/categories/asie/feed.json.lnk", "/members/index.html", "/m/", "/m/x/",
    ):  # fmt: skip
        assert raw_get(served.base, target) == missing, target
    # The members' plain address asks for credentials instead.
    assert raw_get(served.base, "/members/rss.xml")[0] == 401
