"""Every address a build derives from site_url and public_url, and the forms of them refused."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from feeds import NS, build, on_disk, parsed, xml
from helpers import LEAD, SETTINGS, TEASER, WriteItem
from lxml import html

from feedsvc.index import load_items

SITE = "https://news.example.org/journal/"
PUBLIC = "https://cdn.example.net/a/b/feeds/"
FOLDERS = ("", "categories/asie/", "members/")
FILES = ("rss.xml", "atom.xml", "feed.json")
ADDRESS = re.compile(r"https?://[^\s\"'<>]+")


def _settings(site: str, public: str) -> str:
    return SETTINGS.replace("https://www.example.com/feeds/", public).replace(
        "site_url: https://www.example.com/", f"site_url: {site}"
    )


@pytest.fixture
def out(write_item: WriteItem, tmp_path: Path) -> Path:
    write_item("lead.md", LEAD)
    items_dir = write_item("teaser.md", TEASER).parent  # members-only: the marker's scheme
    (items_dir / "feed.yaml").write_text(_settings(SITE, PUBLIC), encoding="utf-8")
    out = tmp_path / "out"
    result = build(items_dir, out)
    assert result.exit_code == 0, result.output
    return out


def test_every_address_on_the_settings_hosts_is_one_the_build_meant(out: Path) -> None:
    found: set[str] = set()
    for path in out.rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            found |= set(ADDRESS.findall(path.read_text(encoding="utf-8")))
    derived = {a for a in found if a.startswith(("https://news.example.org", "https://cdn."))}
    assert derived == {
        SITE, SITE + "categories/", SITE + "acces",
        PUBLIC + "index.html", PUBLIC + "index.html#membres",
        *(PUBLIC + folder + name for folder in FOLDERS for name in FILES),
    }  # fmt: skip


@pytest.mark.parametrize("folder", FOLDERS)
def test_self_related_and_scheme_addresses_of_each_feed_kind(out: Path, folder: str) -> None:
    rss = xml(on_disk(out, folder + "rss.xml"))
    links = {link.get("rel"): link.get("href") for link in rss.iterfind("channel/atom:link", NS)}
    assert links == {"self": PUBLIC + folder + "rss.xml", "related": PUBLIC + "index.html"}
    assert rss.findtext("channel/link") == SITE
    domains = {c.get("domain") for c in rss.iterfind("channel/item/category")}
    assert domains == {SITE + "categories/", SITE + "acces"}

    atom = xml(on_disk(out, folder + "atom.xml"))
    assert atom.findtext("atom:id", namespaces=NS) == PUBLIC + folder + "atom.xml"
    links = {link.get("rel"): link.get("href") for link in atom.iterfind("atom:link", NS)}
    assert links == {
        "self": PUBLIC + folder + "atom.xml", "related": PUBLIC + "index.html", "alternate": SITE
    }  # fmt: skip
    schemes = {c.get("scheme") for c in atom.iterfind("atom:entry/atom:category", NS)}
    assert schemes == {SITE + "categories/", SITE + "acces"}
    assert (
        parsed(on_disk(out, folder + "atom.xml")).feed.links[0].href == PUBLIC + folder + "atom.xml"
    )

    feed = json.loads((on_disk(out, folder + "feed.json")).read_text(encoding="utf-8"))
    assert (feed["feed_url"], feed["home_page_url"]) == (PUBLIC + folder + "feed.json", SITE)
    assert {item["_feedsvc"]["about"] for item in feed["items"]} == {PUBLIC + "index.html#membres"}


def test_index_page_links_and_autodiscovery_resolve_under_public_url(out: Path) -> None:
    page = html.fromstring(on_disk(out, "index.html").read_bytes())
    base = PUBLIC + "index.html"
    discovered = {urljoin(base, link.get("href")) for link in page.iterfind(".//link")}
    assert discovered == {PUBLIC + name for name in FILES}
    rows = page.xpath("//a[@class='addr']")
    assert len(rows) == len(FOLDERS) * len(FILES)
    for anchor in rows:  # the address shown is the one the link leads to, and a written file
        shown = anchor.text_content()
        assert urljoin(base, anchor.get("href")) == shown == anchor.getnext().get("data-url")
        assert on_disk(out, shown.removeprefix(PUBLIC)).is_file()
    assert page.xpath("//header//a/@href") == [SITE]


# (setting, value, fragment of the message)
REFUSED = [
    ("public_url", "https://www.example.com/feeds", "write 'https://www.example.com/feeds/'"),
    ("public_url", "https://www.example.com/feeds/rss.xml", "names a file ('rss.xml')"),
    ("public_url", "https://www.example.com/feeds/?v=2", "has a query or fragment"),
    ("public_url", "https://www.example.com#flux", "has a query or fragment"),
    ("site_url", "https://www.example.com/journal", "would lose 'journal'"),
    ("site_url", "https://www.example.com/index.html", "names a file ('index.html')"),
]


@pytest.mark.parametrize(("name", "value", "fragment"), REFUSED)
def test_an_address_other_addresses_cannot_be_built_under_is_refused(
    write_item: WriteItem, name: str, value: str, fragment: str
) -> None:
    items_dir = write_item("lead.md", LEAD).parent
    settings = (items_dir / "feed.yaml").read_text(encoding="utf-8")
    settings = re.sub(rf"(?m)^{name}: .*$", f"{name}: '{value}'", settings)
    (items_dir / "feed.yaml").write_text(settings, encoding="utf-8")
    (problem,) = load_items(items_dir).problems
    assert (problem.field, problem.line) == (name, 3 if name == "site_url" else 4), str(problem)
    assert fragment in problem.message


def test_a_bare_host_is_its_root_folder(write_item: WriteItem, tmp_path: Path) -> None:
    items_dir = write_item("lead.md", LEAD).parent
    settings = _settings("https://news.example.org", "https://cdn.example.net")
    (items_dir / "feed.yaml").write_text(settings, encoding="utf-8")
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    rss = xml(on_disk(out, "rss.xml"))
    assert rss.findtext("channel/link") == "https://news.example.org/"
    assert rss.find("channel/atom:link[@rel='self']", NS).get("href") == (
        "https://cdn.example.net/rss.xml"
    )
