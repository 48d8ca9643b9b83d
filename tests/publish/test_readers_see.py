"""What readers show: the members-only headline, plain text with '&' and '<', and a members-only
lead's byline and comments, as feedparser, lxml and the conformance checker read them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conformance import check_tree
from feeds import NS, build, decoded, on_disk, parsed, snapshot, xml
from helpers import LEAD, SETTINGS, TEASER, WriteItem
from lxml import html

PUBLIC_FOLDERS = ("", "categories/asie/")
PREFIX = "Membres ·"
MEMBERS_LEAD = (
    LEAD.replace("kind: lead", "kind: lead\naccess: members\nsummary: Résumé public.")
    .replace("/article", "/reserve")
    .replace("Un article complet", "Un article réservé")
    .replace(
        "categories: [Asie]",
        "categories: [Asie]\nauthors:\n  - {name: Plume-Secrète, url: https://www.example.com/plume}"
        "\ncomments: https://www.example.com/reserve#commentaires-secrets",
    )
)
PUBLIC_LEAD = LEAD.replace(
    "categories: [Asie]",
    "categories: [Asie]\nauthors: [Jeanne Martin]\n"
    "comments: https://www.example.com/2024/06/19/article#commentaires",
)


def _titles(out: Path, folder: str) -> dict[str, dict[str, str]]:
    """Each format's titles by link, as feedparser and json read them."""
    titles = {
        name: {e.link: e.title for e in parsed(on_disk(out, folder + name)).entries}
        for name in ("rss.xml", "atom.xml")
    }
    feed = json.loads((on_disk(out, folder + "feed.json")).read_text(encoding="utf-8"))
    titles["feed.json"] = {item["url"]: item["title"] for item in feed["items"]}
    return titles


@pytest.fixture
def out(write_item: WriteItem, tmp_path: Path) -> Path:
    write_item("public.md", PUBLIC_LEAD)
    write_item("members.md", MEMBERS_LEAD)
    items_dir = write_item("teaser.md", TEASER).parent
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    return out


TEASER_URL = "https://www.example.com/2024/06/19/breve"
MEMBERS_URL = "https://www.example.com/2024/06/19/reserve"
PUBLIC_URL = "https://www.example.com/2024/06/19/article"


def test_members_only_headlines_carry_the_marker_in_public_feeds_only(out: Path) -> None:
    expected = {
        TEASER_URL: f"{PREFIX} Une brève",
        MEMBERS_URL: f"{PREFIX} Un article réservé",
        PUBLIC_URL: "Un article complet",
    }
    for folder in PUBLIC_FOLDERS:
        for name, titles in _titles(out, folder).items():
            assert titles == expected, (folder, name)
    clean = {
        TEASER_URL: "Une brève",
        MEMBERS_URL: "Un article réservé",
        PUBLIC_URL: expected[PUBLIC_URL],
    }
    for name, titles in _titles(out, "members/").items():
        assert titles == clean, name


@pytest.mark.parametrize("folder", [*PUBLIC_FOLDERS, "members/"])
def test_category_and_access_rights_stay_beside_the_headline(out: Path, folder: str) -> None:
    for name in ("rss.xml", "atom.xml"):
        for entry in parsed(on_disk(out, folder + name)).entries:
            members = entry.link != PUBLIC_URL
            terms = {(tag.term, tag.scheme) for tag in entry.tags}
            assert (("membres", "https://www.example.com/acces") in terms) == members
            assert entry.dcterms_accessrights == ("membres" if members else "public")


def test_the_index_page_keeps_clean_headlines_with_its_badge(out: Path) -> None:
    page = html.fromstring(on_disk(out, "index.html").read_bytes())
    headlines = [a.text for a in page.iterfind(".//article/h3/a")]
    assert sorted(headlines) == ["Un article complet", "Un article réservé", "Une brève"]
    assert len(page.find_class("badge")) == 2
    assert f"commence par « {PREFIX} »" in page.get_element_by_id("membres").text_content()


def test_the_prefix_is_a_setting_and_is_checked(write_item: WriteItem, tmp_path: Path) -> None:
    items_dir = write_item("teaser.md", TEASER).parent
    settings = items_dir / "feed.yaml"
    settings.write_text(SETTINGS + "members_title_prefix: '[Abonnés] '\n", encoding="utf-8")
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    assert _titles(out, "")["rss.xml"] == {TEASER_URL: "[Abonnés] Une brève"}
    for bad, fragment in [
        ("''", "is empty"),
        ("'<b>M</b>'", "HTML tag"),
        ("'" + "M" * 41 + "'", "at most 40"),
        ("[Membres]", "must be text"),
    ]:
        settings.write_text(SETTINGS + f"members_title_prefix: {bad}\n", encoding="utf-8")
        result = build(items_dir, tmp_path / "bad")
        assert result.exit_code == 1, bad
        assert f"{settings}:6: members_title_prefix: " in result.output, result.output
        assert fragment in result.output


def test_a_members_only_lead_shows_no_byline_or_comments_in_public_feeds(out: Path) -> None:
    files = snapshot(out)
    for name, data in files.items():
        members = name.startswith("members/")
        seen = [word in decoded(data) for word in ("Plume-Secrète", "commentaires-secrets")]
        # JSON Feed has no field for a comments link.
        assert seen == [members, members and not name.endswith(".json")], name
    for folder in PUBLIC_FOLDERS:
        rss = xml(on_disk(out, folder + "rss.xml"))
        (item,) = rss.xpath(f"//item[link='{MEMBERS_URL}']")
        assert item.find("comments") is None and item.find("dc:creator", NS) is None
        atom = parsed(on_disk(out, folder + "atom.xml"))
        (entry,) = [e for e in atom.entries if e.link == MEMBERS_URL]
        assert "author" not in entry and [link.rel for link in entry.links] == ["alternate"]
        feed = json.loads((on_disk(out, folder + "feed.json")).read_text(encoding="utf-8"))
        (item,) = [i for i in feed["items"] if i["url"] == MEMBERS_URL]
        assert "authors" not in item
    # Public leads keep theirs, and members get every byline and comments link.
    for folder, url, who in [
        ("", PUBLIC_URL, "Jeanne Martin"),
        ("members/", MEMBERS_URL, "Plume-Secrète"),
    ]:
        (entry,) = [e for e in parsed(on_disk(out, folder + "atom.xml")).entries if e.link == url]
        assert entry.author == who
        assert "replies" in [link.rel for link in entry.links]
        (entry,) = [e for e in parsed(on_disk(out, folder + "rss.xml")).entries if e.link == url]
        assert "#commentaires" in entry.comments


# Plain text the model accepts ('<' before a letter and character references are refused) that
# HTML would read otherwise: each one a title, a summary and a caption.
PLAIN = [
    "AT&T et Ben & Jerry",
    "a < b et b > c",
    "R&D: 5 < 6 & 7 > 3",
    "&",
    "< 3",
    "Q&A",
    "x &y z",
    "M&Ms & co",
    "fin &",
    "1 << 2 >> 3",
    "&&",
    "a&b&c",
    "'<' et '&' entre guillemets",
    '"AT&T" < "Verizon"',
    "100 % < 200 %",
    "& amp; pas une référence",
    "tom&jerry;",
    "<-- flèche",
    "<= 3 et >= 2",
    "C&A · « Membres » & co",
]


def _plain_items(write_item: WriteItem, access: str) -> Path:
    for number, text in enumerate(PLAIN):
        quoted = json.dumps(text, ensure_ascii=False)
        write_item(
            f"{access}-{number}.md",
            TEASER.replace("title: Une brève", f"title: {quoted}")
            .replace("summary: Le résumé de la brève.", f"summary: {quoted}\nphoto:\n"
                     f"  url: https://www.example.com/p{number}.jpg\n  caption: {quoted}")
            .replace("/breve", f"/{access}-{number}")
            .replace("T15:00:00", f"T15:{number:02d}:00")
            .replace("access: members", f"access: {access}"),
        )  # fmt: skip
    return write_item("lead.md", LEAD).parent


def _warnings(out: Path) -> dict[str, list[str]]:
    return check_tree(out, datetime(2030, 1, 1, tzinfo=UTC))


def _text_of_html(markup: str) -> str:
    return str(html.fragment_fromstring(markup, create_parent="div").text_content())


@pytest.mark.parametrize("access", ["public", "members"])
def test_plain_text_with_ampersands_and_angles_reads_back_as_written(
    write_item: WriteItem, tmp_path: Path, access: str
) -> None:
    items_dir = _plain_items(write_item, access)
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    assert _warnings(out) == {}
    prefix = f"{PREFIX} " if access == "members" else ""
    folders = ("", "categories/asie/", "members/")
    for folder in folders:
        title_prefix = "" if folder == "members/" else prefix
        entries: dict[str, Any] = {
            name: {e.link: e for e in parsed(on_disk(out, folder + name)).entries}
            for name in ("rss.xml", "atom.xml")
        }
        feed = json.loads((on_disk(out, folder + "feed.json")).read_text(encoding="utf-8"))
        items = {item["url"]: item for item in feed["items"]}
        for number, text in enumerate(PLAIN):
            url = f"https://www.example.com/2024/06/19/{access}-{number}"
            rss, atom, item = entries["rss.xml"][url], entries["atom.xml"][url], items[url]
            # RSS <description> is HTML: what an HTML renderer shows is the text as written.
            assert _text_of_html(rss.summary) == text, (folder, number)
            assert atom.summary == text and atom.summary_detail.type == "text/plain"
            assert rss.title == atom.title == item["title"] == title_prefix + text
            assert item["summary"] == item["content_text"] == text
            assert rss.media_content[0]["url"].endswith(f"/p{number}.jpg")
    # In the XML itself: the description carries the text once escaped for HTML, the title as is.
    rss = xml(on_disk(out, "rss.xml"))
    (item,) = rss.xpath("//item[link=$url]", url=f"https://www.example.com/2024/06/19/{access}-0")
    assert item.findtext("description") == "AT&amp;T et Ben &amp; Jerry"
    assert item.findtext("title") == prefix + "AT&T et Ben & Jerry"
