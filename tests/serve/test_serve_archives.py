"""Members' archives at their private address: every link of the chain stays theirs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import httpx
import pytest
from click.testing import CliRunner
from helpers import BUNDLED_ITEMS
from lxml import etree
from served import MEMBERS_LEAD, SECRET_SENTENCE, Served, served_tree

from feedsvc.cli import main
from feedsvc.publish.writers.namespaces import ATOM

PUBLIC_URL = "https://www.example.com/feeds/"
# A second week, so the chain has a prev-archive and a next-archive.
MAY_LEAD = MEMBERS_LEAD.replace("2024-06-20T09:00", "2024-05-10T09:00").replace(
    "/enquete", "/enquete-mai"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("archives")
    items = shutil.copytree(BUNDLED_ITEMS, root / "items")
    with (items / "feed.yaml").open("a", encoding="utf-8") as settings:
        settings.write("archives: true\n")
    (items / "2024-05-10-enquete.md").write_text(MAY_LEAD, encoding="utf-8")
    with served_tree(root) as served:
        yield served


def token_of(served: Served, name: str) -> str:
    db = ["--items", str(served.items), "--members-db", str(served.members_db)]
    result = CliRunner().invoke(main, ["members", "add", name, *db])
    assert result.exit_code == 0, result.output
    return result.output.split(f"{PUBLIC_URL}m/")[1].split("/")[0]


def fetch(served: Served, address: str) -> bytes:
    assert address.startswith(PUBLIC_URL), address
    response = httpx.get(served.base + address.removeprefix(PUBLIC_URL))
    assert response.status_code == 200, address
    return response.content


def xml_links(body: bytes) -> dict[str, str]:
    root = etree.fromstring(body)
    where = "." if root.tag == f"{{{ATOM}}}feed" else "./channel"
    return {link.get("rel"): link.get("href") for link in root.iterfind(f"{where}/{{{ATOM}}}link")}


@pytest.mark.parametrize("file", ["atom.xml", "rss.xml"])
def test_a_member_walks_the_xml_archive_chain_at_their_own_address(
    served: Served, file: str
) -> None:
    token = token_of(served, f"Archiviste {file}")
    mine = f"{PUBLIC_URL}m/{token}/"
    live = mine + file
    links = xml_links(fetch(served, live))
    assert links["self"] == live
    walked, texts, address = [], "", links.get("prev-archive")
    newer = live
    while address is not None:
        body = fetch(served, address)
        texts += body.decode()
        links = xml_links(body)
        walked.append(address)
        assert links["self"] == address and links["current"] == live
        if newer != live:  # RFC 5005: an older week links forward to the newer one
            assert links["next-archive"] == newer
        chain = ("self", "current", "prev-archive", "next-archive")
        assert all(href.startswith(mine) for rel, href in links.items() if rel in chain), links
        newer, address = address, links.get("prev-archive")
    assert walked == [f"{mine}archive/2024-W25/{file}", f"{mine}archive/2024-W19/{file}"]
    assert SECRET_SENTENCE in texts  # the full text, as in the live feed


def test_a_member_walks_the_json_feed_pages_at_their_own_address(served: Served) -> None:
    token = token_of(served, "Archiviste JSON")
    live = f"{PUBLIC_URL}m/{token}/feed.json"
    feed = json.loads(fetch(served, live))
    pages = []
    while "next_url" in feed:
        pages.append(feed["next_url"])
        feed = json.loads(fetch(served, feed["next_url"]))
        assert feed["feed_url"] == live  # every page keeps the live feed's, the member's
        if any(SECRET_SENTENCE in item.get("content_html", "") for item in feed["items"]):
            pages.append("full text")
    mine = f"{PUBLIC_URL}m/{token}/archive/"
    assert pages[0] == f"{mine}2024-W25/feed.json" and f"{mine}2024-W19/feed.json" in pages
    assert "full text" in pages


def test_archives_at_a_wrong_token_get_the_404_of_a_missing_file(served: Served) -> None:
    token = token_of(served, "Archiviste 404")
    missing = httpx.get(served.base + "categories/nowhere/rss.xml")
    for address in (
        f"m/{token[:-1]}/archive/2024-W25/rss.xml", f"m/{token}/archive/2024-W26/rss.xml",
        f"m/{token}/archive/2024-W25/index.html", f"m/{token}/archive/../../rss.xml",
    ):  # fmt: skip
        response = httpx.get(served.base + address)
        assert (response.status_code, response.content) == (404, missing.content), address
