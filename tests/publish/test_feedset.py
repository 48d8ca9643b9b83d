"""The feed set: category feeds, the members' feed, JSON Feed, the front door, settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from feeds import build, parsed, snapshot
from helpers import BUNDLED_ITEMS, LEAD, TEASER, WriteItem
from jsonfeedcheck import check_json_feed
from lxml import html

from feedsvc.index import load_items
from feedsvc.model import slug

SENTINEL = "SENTINELLE-CORPS-MEMBRES"


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    assert build(BUNDLED_ITEMS, out).exit_code == 0
    return out


def test_category_feeds_hold_exactly_their_items(bundled: Path) -> None:
    items = [entry.item for entry in load_items(BUNDLED_ITEMS).entries]
    folders = sorted(p.name for p in (bundled / "public" / "categories").iterdir())
    assert folders == [
        "asie", "asie-du-sud-est", "coree-du-nord", "criminalite", "diplomatie",
        "philippines", "politique", "russie", "technologie",
    ]  # fmt: skip
    for folder in folders:
        for name in ("rss.xml", "atom.xml"):
            feed = parsed(bundled / "public" / "categories" / folder / name)
            ids = {entry.id for entry in feed.entries}
            expected = {item.id for item in items if folder in map(slug, item.categories)}
            assert ids == expected, (folder, name)
        data = json.loads((bundled / "public" / "categories" / folder / "feed.json").read_bytes())
        assert {item["id"] for item in data["items"]} == ids
    asie = parsed(bundled / "public" / "categories" / "asie" / "atom.xml")
    assert asie.feed.title == "Actualités Asie : Asie"
    assert asie.feed.links[0].href == "https://www.example.com/feeds/categories/asie/atom.xml"


def test_category_feeds_keep_the_public_rules(bundled: Path) -> None:
    folder = bundled / "public" / "categories" / "asie-du-sud-est"
    (entry,) = parsed(folder / "rss.xml").entries
    assert "Telegram" in entry.title
    assert "membres" in [tag.term for tag in entry.tags]
    assert b"content:encoded" not in (folder / "rss.xml").read_bytes()


def test_slugs_that_collide_are_an_error_naming_both(write_item: WriteItem) -> None:
    write_item("a.md", LEAD.replace("[Asie]", "[Corée du Nord]"))
    items_dir = write_item("b.md", TEASER.replace("[Asie]", "[Coree du nord]")).parent
    (problem,) = load_items(items_dir).problems
    assert problem.path.name == "b.md" and problem.field == "categories"
    assert "'Coree du nord' and 'Corée du Nord'" in problem.message
    assert "a.md:6" in problem.message and "categories/coree-du-nord/" in problem.message


def test_category_without_letters_is_refused(write_item: WriteItem) -> None:
    items_dir = write_item("a.md", LEAD.replace("[Asie]", '[Asie, "!!!"]')).parent
    (problem,) = load_items(items_dir).problems
    assert "no letters or digits" in problem.message


def test_renaming_a_category_moves_items_and_removes_the_old_folder(
    write_item: WriteItem, tmp_path: Path
) -> None:
    path = write_item("a.md", LEAD)
    out = tmp_path / "out"
    assert build(path.parent, out).exit_code == 0
    assert (out / "public" / "categories" / "asie" / "rss.xml").exists()
    (out / "public" / "robots.txt").write_text("mine", encoding="utf-8")
    (out / "public" / "categories" / "asie" / "notes.txt").write_text("mine", encoding="utf-8")
    outside = tmp_path / "rss.xml"
    outside.write_text("not ours", encoding="utf-8")

    write_item("a.md", LEAD.replace("[Asie]", "[Extrême-Orient]"))
    result = build(path.parent, out, "--verbose")
    assert result.exit_code == 0
    assert f"removed   {out / 'public/categories/asie/rss.xml'}" in result.output
    assert not (out / "public" / "categories" / "asie" / "rss.xml").exists()
    assert not (out / "public" / "categories" / "asie" / "feed.json").exists()
    (entry,) = parsed(out / "public" / "categories" / "extreme-orient" / "atom.xml").entries
    assert entry.title == "Un article complet"
    # Files feedsvc did not write stay, and so does their folder; nothing outside out/ moves.
    assert (out / "public" / "robots.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "public" / "categories" / "asie" / "notes.txt").exists()
    assert outside.read_text(encoding="utf-8") == "not ours"

    (out / "public" / "categories" / "asie" / "notes.txt").unlink()
    assert build(path.parent, out).exit_code == 0
    assert not (out / "public" / "categories" / "asie").exists()


def test_members_feed_has_the_bodies_public_feeds_lack(
    write_item: WriteItem, tmp_path: Path
) -> None:
    secret = (
        LEAD.replace("kind: lead", "kind: lead\naccess: members")
        .replace("/article", "/secret")
        .replace("[Asie]", "[Asie]\nsummary: Résumé.")
        + f"\n{SENTINEL}\n"
    )
    write_item("public.md", LEAD)
    items_dir = write_item("secret.md", secret).parent
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    members = parsed(out / "members" / "atom.xml")
    assert members.feed.title == "Flux de test (membres)"
    by_id = {entry.id: entry for entry in members.entries}
    secret_entry = by_id["https://www.example.com/2024/06/19/secret"]
    assert SENTINEL in secret_entry.content[0].value
    assert "membres" in [tag.term for tag in secret_entry.tags]
    member_json = json.loads((out / "members" / "feed.json").read_bytes())
    assert any(SENTINEL in item.get("content_html", "") for item in member_json["items"])
    for name, data in snapshot(out).items():
        if not name.startswith("members/"):
            assert SENTINEL.encode() not in data, name


def test_json_feed_follows_the_spec(bundled: Path) -> None:
    for path in sorted(bundled.rglob("feed.json")):
        assert check_json_feed(path.read_bytes()) == [], path
    feed = json.loads((bundled / "public" / "feed.json").read_bytes())
    assert feed["feed_url"] == "https://www.example.com/feeds/feed.json"
    assert feed["language"] == "fr"
    telegram, duterte, lead = feed["items"]
    assert telegram["_feedsvc"]["access"] == "members"
    assert "membres" in telegram["tags"]
    assert "content_html" not in telegram and telegram["content_text"] == telegram["summary"]
    assert duterte["_feedsvc"]["access"] == "public" and "membres" not in duterte["tags"]
    assert lead["content_html"].startswith("<p>Dans un grand spectacle")
    assert lead["date_published"] == "2024-06-19T14:30:00+09:00"
    assert lead["image"].endswith("poutine-kim-pyongyang.jpg")
    assert lead["_feedsvc"]["image_caption"].startswith("Le président russe")
    assert lead["authors"] == [{"name": "La rédaction"}]


def test_json_checks_catch_what_the_spec_forbids() -> None:
    bad = {
        "version": "https://jsonfeed.org/version/1",
        "title": "t",
        "feed_url": "/relative",
        "items": [{"id": "1", "date_published": "19/06/2024"}, {"id": "1", "content_text": ""}],
        "extra": 1,
    }
    problems = check_json_feed(json.dumps(bad).encode())
    assert "version must be https://jsonfeed.org/version/1.1" in problems
    assert "feed_url must be an absolute URL" in problems
    assert "items[0] needs content_html or content_text" in problems
    assert "items[0].date_published must be RFC 3339" in problems
    assert "items[1].id '1' is not unique" in problems
    assert any("unknown key 'extra'" in p for p in problems)


def test_front_door_lists_feeds_items_and_autodiscovery(bundled: Path) -> None:
    page = html.fromstring((bundled / "public" / "index.html").read_bytes())
    assert page.get("lang") == "fr"
    discovery = {
        (link.get("type"), link.get("href")) for link in page.xpath("//head/link[@rel='alternate']")
    }
    assert discovery == {
        ("application/rss+xml", "rss.xml"),
        ("application/atom+xml", "atom.xml"),
        ("application/feed+json", "feed.json"),
    }
    feeds = page.xpath("//section[@id='flux']//li[@class='feed']")
    assert len(feeds) == 1 + 9 + 1  # one row per feed, its formats in it
    assert feeds[0].findtext("h3").strip() == "Tous les articles"
    assert feeds[0].xpath("string(h3/span)") == "· 3 articles"
    formats = feeds[0].xpath("ul/li")
    assert [(f.findtext("span"), f.find("a").text_content()) for f in formats] == [
        ("RSS 2.0", "https://www.example.com/feeds/rss.xml"),
        ("Atom 1.0", "https://www.example.com/feeds/atom.xml"),
        ("JSON Feed 1.1", "https://www.example.com/feeds/feed.json"),
    ]
    assert len(page.xpath("//section[@id='flux']/details//li[@class='feed']")) == 9
    hrefs = page.xpath("//section[@id='flux']//a/@href")
    for href in hrefs:
        # Served as the README's nginx example does: members/ from out/members/, behind the
        # login; everything else from out/public/.
        member = href.startswith("members/")
        served = bundled / href if member else bundled / "public" / href
        assert served.is_file(), href
    assert sum(href.startswith("members/") for href in hrefs) == 3
    articles = page.xpath("//section[@id='derniers']/article")
    assert [a.findtext("h3/a")[:8] for a in articles] == ["Telegram", "L'ancien", "La Corée"]
    assert [a.xpath(".//span[@class='badge']/text()") for a in articles] == [
        ["Réservé aux membres"],
        [],
        [],
    ]
    assert "Photo : Le président russe" in articles[2].text_content()
    assert "19/06/2024 14:30 (UTC+09:00)" in articles[2].text_content()
    # One inline script, which only shows and wires the copy buttons: without it they stay
    # hidden, and each address is a plain link.
    (script,) = page.xpath("//script")
    assert script.get("src") is None and "clipboard" in script.text
    buttons = page.xpath("//button[@class='copy']")
    assert len(buttons) == 33 and all(b.get("hidden") is not None for b in buttons)
    assert not page.xpath("//@src | //link[@rel='stylesheet']")  # nothing fetched from outside


def _set(items_dir: Path, extra: str) -> None:
    # Replaces a setting already there: a key given twice is refused, not last-one-wins.
    settings = items_dir / "feed.yaml"
    keys = tuple(line.split(":")[0] + ":" for line in extra.splitlines())
    kept = [line for line in settings.read_text(encoding="utf-8").splitlines(True)
            if not line.startswith(keys)]  # fmt: skip
    settings.write_text("".join(kept) + extra, encoding="utf-8")


def test_settings_choose_formats_and_feed_kinds(bundled_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(bundled_copy, out).exit_code == 0
    _set(bundled_copy, "formats: [atom]\ncategory_feeds: false\nmembers_feed: false\n")
    result = build(bundled_copy, out)
    assert result.exit_code == 0
    assert sorted(snapshot(out)) == ["public/atom.xml", "public/index.html"]
    assert "removed" in result.output
    page = html.fromstring((out / "public" / "index.html").read_bytes())
    assert len(page.xpath("//section[@id='flux']//a[@class='addr']")) == 1


def test_limits_per_feed_kind(bundled_copy: Path, tmp_path: Path) -> None:
    _set(bundled_copy, "limit: 2\ncategory_limit: 1\nmembers_limit: 3\n")
    out = tmp_path / "out"
    assert build(bundled_copy, out).exit_code == 0
    assert len(parsed(out / "public" / "rss.xml").entries) == 2
    assert len(parsed(out / "public" / "categories" / "asie" / "rss.xml").entries) == 1
    assert len(parsed(out / "members" / "rss.xml").entries) == 3


def test_bad_format_setting_is_a_clear_problem(bundled_copy: Path, tmp_path: Path) -> None:
    _set(bundled_copy, "formats: [rss, rdf]\n")
    result = build(bundled_copy, tmp_path / "out")
    assert result.exit_code == 1
    assert "feed.yaml:" in result.output and "formats[1]: must be 'rss', 'atom' or 'json'" in (
        result.output
    )


def test_check_names_stale_files(bundled: Path, tmp_path: Path) -> None:
    stray = bundled / "public" / "categories" / "ancienne" / "rss.xml"
    stray.parent.mkdir()
    stray.write_bytes(b"old")
    try:
        result = build(BUNDLED_ITEMS, bundled, "--check")
        assert result.exit_code == 1
        assert f"stale     {stray}" in result.output
        assert stray.exists()
    finally:
        stray.unlink()
        stray.parent.rmdir()


def test_drafts_and_scheduled_items_appear_in_no_output(
    write_item: WriteItem, tmp_path: Path
) -> None:
    write_item("live.md", TEASER)
    write_item("draft.md", LEAD.replace("kind: lead", "kind: lead\ndraft: true"))
    later = TEASER.replace("2024-06-19", "2031-06-19").replace("/breve", "/plus-tard")
    items_dir = write_item("later.md", later.replace("Une brève", "Brève programmée")).parent
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0  # now: 2030
    for name, data in snapshot(out).items():
        assert b"Un article complet" not in data, name
        assert "Brève programmée".encode() not in data and b"plus-tard" not in data, name
