"""`feedsvc build`: what RSS and Atom readers see in the feeds written from the items."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from feeds import NS, build, parsed, snapshot, xml
from helpers import BUNDLED_ITEMS, LEAD, TEASER, WriteItem

SENTINEL = "SENTINELLE-MEMBRES-7f3a"
OUTPUTS = {"rss.xml", "atom.xml", "feed.json", "index.html"}

MEMBERS_LEAD = (
    LEAD.replace("kind: lead", "kind: lead\naccess: members")
    .replace("2024/06/19/article", "2024/06/19/article-membres")
    .replace("Un article complet", "Un article pour les membres")
    .replace("categories: [Asie]", "categories: [Asie]\nsummary: Résumé public.")
    + f"\nLe secret : {SENTINEL}.\n"
)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


@pytest.fixture
def bundled_out(out: Path) -> Path:
    result = build(BUNDLED_ITEMS, out)
    assert result.exit_code == 0, result.output
    return out


def test_build_prints_one_summary_line_and_verbose_a_line_per_file(out: Path) -> None:
    result = build(BUNDLED_ITEMS, out, "--verbose")
    lines = result.output.splitlines()
    assert lines[0].startswith(f"written   {out / 'public/rss.xml'} (3 items, ")
    assert lines[1].startswith(f"written   {out / 'public/atom.xml'} (3 items, ")
    size = (out / "public" / "rss.xml").stat().st_size
    assert lines[0].endswith(f"{size} bytes)")
    assert lines[-1].startswith(f"{out}: 34 files, 34 written, 0 unchanged; 3 items valid: ")
    again = build(BUNDLED_ITEMS, out)
    (line,) = again.output.splitlines()  # a cron job's no-op mails nobody a page of lines
    assert line.startswith(
        f"{out}: nothing changed (34 files current); 3 items valid: 3 live, 0 drafts, 0 scheduled; "
    )
    assert line.endswith(" s.")
    assert build(BUNDLED_ITEMS, out, "--quiet").output == ""


def test_rss_as_a_reader_sees_it(bundled_out: Path) -> None:
    feed = parsed(bundled_out / "public" / "rss.xml")
    assert feed.version == "rss20"
    assert feed.feed.title == "Actualités Asie"
    assert feed.feed.link == "https://www.example.com/"
    assert feed.feed.language == "fr"
    titles = [entry.title for entry in feed.entries]
    assert ["Telegram" in titles[0], "Duterte" in titles[1], "Poutine" in titles[2]] == [True] * 3
    lead = feed.entries[2]
    assert lead.link == "https://www.example.com/2024/06/19/coree-du-nord-accueille-poutine"
    assert lead.id == lead.link
    assert lead.published == "Wed, 19 Jun 2024 14:30:00 +0900"
    assert [tag.term for tag in lead.tags] == ["Corée du Nord", "Russie", "Asie", "Diplomatie"]
    assert lead.summary.startswith("Des milliers de Nord-Coréens")
    assert lead.author == "La rédaction"
    assert lead.comments.endswith("#commentaires")
    assert "Kim Il Sung Square" in lead.content[0].value
    assert lead.media_content[0]["url"].endswith("poutine-kim-pyongyang.jpg")


def test_atom_as_a_reader_sees_it(bundled_out: Path) -> None:
    feed = parsed(bundled_out / "public" / "atom.xml")
    assert feed.version == "atom10"
    assert feed.feed.id == "https://www.example.com/feeds/atom.xml"
    assert feed.feed.updated == "2024-06-19T15:10:00+07:00"
    assert feed.feed.author_detail.name == "La rédaction"
    assert feed.feed.author_detail.email == "redaction@example.com"
    assert feed.feed.rights.startswith("©")
    lead = feed.entries[2]
    assert lead.published == "2024-06-19T14:30:00+09:00"
    assert lead.updated == "2024-06-19T14:30:00+09:00"
    assert lead.summary_detail.type == "text/plain"
    assert lead.content[0].type == "text/html"
    assert "<p>Dans un grand spectacle" in lead.content[0].value
    assert [(link.rel, link.type) for link in lead.links] == [
        ("alternate", "text/html"),
        ("replies", "text/html"),
    ]


def test_only_public_leads_carry_content(bundled_out: Path) -> None:
    rss = xml(bundled_out / "public" / "rss.xml")
    encoded = rss.xpath("//item[content:encoded]/title/text()", namespaces=NS)
    assert len(encoded) == 1 and "Poutine" in encoded[0]
    atom = xml(bundled_out / "public" / "atom.xml")
    with_content = atom.xpath("//atom:entry[atom:content]/atom:title/text()", namespaces=NS)
    assert with_content == encoded
    assert atom.xpath("//atom:content/@type", namespaces=NS) == ["html"]


def test_members_marker_in_rss_and_atom(bundled_out: Path) -> None:
    rss = xml(bundled_out / "public" / "rss.xml")
    (item,) = rss.xpath("//item[category='membres']", namespaces=NS)
    assert "Telegram" in item.findtext("title")
    (marker,) = item.xpath("category[.='membres']")
    assert marker.get("domain") == "https://www.example.com/acces"
    assert item.findtext("dcterms:accessRights", namespaces=NS) == "membres"
    public = rss.xpath("//item[not(category='membres')]", namespaces=NS)
    assert len(public) == 2
    assert [i.findtext("dcterms:accessRights", namespaces=NS) for i in public] == ["public"] * 2

    atom = xml(bundled_out / "public" / "atom.xml")
    (category,) = atom.xpath("//atom:category[@term='membres']", namespaces=NS)
    assert category.get("scheme") == "https://www.example.com/acces"
    assert category.get("label") == "Réservé aux membres"
    entry = category.getparent()
    assert entry.findtext("dcterms:accessRights", namespaces=NS) == "membres"
    assert entry.find("atom:content", NS) is None
    assert entry.findtext("atom:summary", namespaces=NS).startswith("Les syndicats")
    reader_view = parsed(bundled_out / "public" / "atom.xml").entries[0]
    assert {
        "term": "membres",
        "scheme": category.get("scheme"),
        "label": category.get("label"),
    } in [dict(tag) for tag in reader_view.tags]


def test_photo_caption_and_credit_as_media_rss(write_item: WriteItem, out: Path) -> None:
    write_item(
        "a.md", LEAD.replace("  caption: Une légende.", "  caption: Une légende.\n  credit: AFP")
    )
    assert build(write_item("b.md", TEASER).parent, out).exit_code == 0
    for name in ("rss.xml", "atom.xml"):
        root = xml(out / "public" / name)
        assert root.xpath("//media:group", namespaces=NS) == []
        (content,) = root.xpath("//media:content[media:credit]", namespaces=NS)
        assert content.get("url") == "https://www.example.com/photo.jpg"
        assert content.get("medium") == "image"
        assert content.findtext("media:description", namespaces=NS) == "Une légende."
        assert content.findtext("media:credit", namespaces=NS) == "AFP"
        assert len(root.xpath("//media:thumbnail", namespaces=NS)) == 1


def test_members_body_never_reaches_a_public_file(write_item: WriteItem, out: Path) -> None:
    write_item("public.md", LEAD)
    write_item("teaser.md", TEASER)
    items_dir = write_item("secret.md", MEMBERS_LEAD).parent
    assert build(items_dir, out).exit_code == 0
    files = snapshot(out)
    assert set(files) >= {f"public/{name}" for name in OUTPUTS}
    public = {name: data for name, data in files.items() if not name.startswith("members/")}
    assert len(public) > len(files) // 2
    for name, data in public.items():
        assert SENTINEL.encode() not in data, name
    # Only the members' feed, served behind the site's login, carries the text.
    for name in ("members/rss.xml", "members/atom.xml", "members/feed.json"):
        assert SENTINEL.encode() in files[name], name
    # The members' lead is still announced: title, summary, link and marker.
    # Its headline says it is for members, in readers that show nothing else.
    title = "Membres · Un article pour les membres"
    assert title in [entry.title for entry in parsed(out / "public" / "atom.xml").entries]
    rss = parsed(out / "public" / "rss.xml")
    (secret,) = [entry for entry in rss.entries if entry.title == title]
    assert secret.summary == "Résumé public."
    assert all(SENTINEL not in content.value for content in secret.get("content", []))
    assert (
        xml(out / "public" / "rss.xml").xpath(
            f"//item[title='{title}']/content:encoded", namespaces=NS
        )
        == []
    )


def test_order_newest_first_ties_by_id_and_limit(items_dir: Path, write_item: WriteItem) -> None:
    for index, stamp in enumerate(
        ["2024-06-19T10:00:00+00:00", "2024-06-19T19:00:00+09:00", "2024-06-20T00:00:00+00:00"]
    ):
        for suffix in ("b", "a"):
            write_item(
                f"{index}{suffix}.md",
                TEASER.replace("2024-06-19T15:00:00+08:00", stamp).replace(
                    "/breve", f"/breve-{index}{suffix}"
                ),
            )
    out = items_dir.parent / "out"
    assert build(items_dir, out).exit_code == 0
    ids = [entry.id.rsplit("-", 1)[1] for entry in parsed(out / "public" / "atom.xml").entries]
    # 19:00+09:00 is 10:00 UTC: pairs 0 and 1 are one moment, so their ids decide.
    assert ids == ["2a", "2b", "0a", "0b", "1a", "1b"]

    (items_dir / "feed.yaml").write_text(
        (items_dir / "feed.yaml").read_text(encoding="utf-8") + "limit: 4\n", encoding="utf-8"
    )
    assert build(items_dir, out).exit_code == 0
    assert len(parsed(out / "public" / "rss.xml").entries) == 4
    assert len(parsed(out / "public" / "atom.xml").entries) == 4


def test_drafts_and_scheduled_items_stay_out(write_item: WriteItem, out: Path) -> None:
    write_item("draft.md", LEAD.replace("kind: lead", "kind: lead\ndraft: true"))
    items_dir = write_item("later.md", TEASER.replace("2024-06-19", "2031-01-01")).parent
    assert build(items_dir, out).exit_code == 0  # --now is 2030
    for name in ("rss.xml", "atom.xml"):
        assert parsed(out / "public" / name).entries == []
    result = build(items_dir, out, "--now", "2031-01-02T00:00:00Z")
    assert result.exit_code == 0
    assert [e.link for e in parsed(out / "public" / "rss.xml").entries] == [
        "https://www.example.com/2024/06/19/breve"
    ]


def test_invalid_item_leaves_out_untouched(bundled_copy: Path, out: Path) -> None:
    assert build(bundled_copy, out).exit_code == 0
    before = snapshot(out)
    mtimes = {path: path.stat().st_mtime_ns for path in out.iterdir()}
    lead = next(bundled_copy.glob("*poutine.md"))
    lead.write_text(lead.read_text(encoding="utf-8").replace("Poutine", "Putin"), encoding="utf-8")
    (bundled_copy / "broken.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    result = build(bundled_copy, out)
    assert result.exit_code == 1
    assert f"{bundled_copy / 'broken.md'}:3: file: is not valid YAML" in result.output
    assert "Traceback" not in result.output
    assert snapshot(out) == before
    assert {path: path.stat().st_mtime_ns for path in out.iterdir()} == mtimes


def test_second_build_rewrites_nothing(bundled_out: Path) -> None:
    def stats() -> dict[str, tuple[int, int]]:
        files = [p for p in bundled_out.rglob("*") if p.is_file() and p.name in OUTPUTS]
        return {str(p): (p.stat().st_ino, p.stat().st_mtime_ns) for p in files}

    before = stats()
    result = build(BUNDLED_ITEMS, bundled_out, "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["counts"]["written"] == 0
    assert report["counts"]["unchanged"] == len(before)
    assert {file["status"] for file in report["files"]} == {"unchanged"}
    assert stats() == before


def test_check_reports_stale_files_and_writes_nothing(bundled_out: Path) -> None:
    assert build(BUNDLED_ITEMS, bundled_out, "--check").exit_code == 0
    (bundled_out / "public" / "atom.xml").write_bytes(b"old")
    (bundled_out / "public" / "rss.xml").unlink()
    result = build(BUNDLED_ITEMS, bundled_out, "--check")
    assert result.exit_code == 1
    assert f"differs   {bundled_out / 'public/atom.xml'}" in result.output
    assert f"missing   {bundled_out / 'public/rss.xml'}" in result.output
    assert (bundled_out / "public" / "atom.xml").read_bytes() == b"old"
    assert not (bundled_out / "public" / "rss.xml").exists()


def test_same_bytes_whatever_the_time_zone_and_locale(tmp_path: Path) -> None:
    outputs = []
    for zone, locale in [("UTC", "C.UTF-8"), ("Pacific/Kiritimati", "fr_FR.UTF-8")]:
        out = tmp_path / zone.replace("/", "-")
        env = {**os.environ, "TZ": zone, "LC_ALL": locale, "LANG": locale}
        subprocess.run(
            [sys.executable, "-m", "feedsvc", "build", "--items", str(BUNDLED_ITEMS),
             "--out", str(out)],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        outputs.append(snapshot(out))
    assert outputs[0] == outputs[1]
    assert outputs[0]["public/rss.xml"].startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


def test_committed_out_is_current() -> None:
    out = BUNDLED_ITEMS.parent / "out"
    result = build(BUNDLED_ITEMS, out, "--check")
    assert result.exit_code == 0, result.output
