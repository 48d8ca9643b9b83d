"""The XML details readers trip over, and each feedgen 1.0.0 trap the writers work around."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from feeds import NS, build, parsed, xml
from helpers import BUNDLED_ITEMS, LEAD, TEASER, WriteItem
from lxml import etree

from feedsvc.publish import _atomic as output
from feedsvc.publish._folders import OutTree

RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$"
)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    assert build(BUNDLED_ITEMS, out).exit_code == 0
    return out / "public"


@pytest.mark.parametrize("name", ["rss.xml", "atom.xml"])
def test_namespaces_declared_once_on_the_root_and_all_used(bundled: Path, name: str) -> None:
    data = (bundled / name).read_bytes()
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<")
    root = etree.fromstring(data)
    declared_on_root = set(root.nsmap.items())
    for element in root.iter():
        # A child whose nsmap differs from the root's declared something of its own.
        assert set(element.nsmap.items()) == declared_on_root, element.tag
    used = {etree.QName(el).namespace for el in root.iter()} | {
        etree.QName(attr).namespace for el in root.iter() for attr in el.attrib
    }
    assert {uri for _, uri in declared_on_root} <= used | {None}
    assert data.count(b"xmlns:") == len([p for p in root.nsmap if p])


def test_unused_namespaces_are_left_out(write_item: WriteItem, tmp_path: Path) -> None:
    # A teaser without photo: no content:encoded, byline or media, so no such namespace.
    items_dir = write_item("t.md", TEASER).parent
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    rss = xml(out / "public" / "rss.xml")
    assert set(rss.nsmap) == {"atom", "dcterms"}


def test_dates_have_the_forms_the_specs_require(bundled: Path) -> None:
    rss = xml(bundled / "rss.xml")
    dates = rss.xpath("//pubDate/text() | //lastBuildDate/text()")
    assert len(dates) == 4 and all(RFC822.match(d) for d in dates), dates
    atom = xml(bundled / "atom.xml")
    stamps = atom.xpath("//atom:updated/text() | //atom:published/text()", namespaces=NS)
    assert len(stamps) == 7 and all(RFC3339.match(s) for s in stamps), stamps


# feedgen traps, one test each.


def test_entries_keep_their_order(bundled: Path) -> None:
    # add_entry prepends by default, which would reverse the feed.
    rss_ids = xml(bundled / "rss.xml").xpath("//item/guid/text()")
    atom_ids = xml(bundled / "atom.xml").xpath("//atom:entry/atom:id/text()", namespaces=NS)
    assert rss_ids == atom_ids
    assert rss_ids[0].endswith("telegram-syndicats-criminels-asie-du-sud-est")
    assert rss_ids[-1].endswith("coree-du-nord-accueille-poutine")


def test_updated_comes_from_the_items_never_the_clock(
    write_item: WriteItem, tmp_path: Path
) -> None:
    write_item(
        "a.md", LEAD.replace("categories:", "updated: 2024-06-21T09:00:00+02:00\ncategories:")
    )
    items_dir = write_item("b.md", TEASER).parent
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    atom = xml(out / "public" / "atom.xml")
    assert atom.findtext("atom:updated", namespaces=NS) == "2024-06-21T09:00:00+02:00"
    entry_updates = atom.xpath("//atom:entry/atom:updated/text()", namespaces=NS)
    assert entry_updates == ["2024-06-19T15:00:00+08:00", "2024-06-21T09:00:00+02:00"]
    assert xml(out / "public" / "rss.xml").findtext("channel/lastBuildDate") == (
        "Fri, 21 Jun 2024 09:00:00 +0200"
    )


def test_rss_channel_link_is_the_site_and_self_link_the_feed(bundled: Path) -> None:
    channel = xml(bundled / "rss.xml").find("channel")
    assert channel.findtext("link") == "https://www.example.com/"
    self_link, related = channel.findall("atom:link", NS)
    assert self_link.attrib == {
        "href": "https://www.example.com/feeds/rss.xml",
        "rel": "self",
        "type": "application/rss+xml",
    }
    assert related.get("rel") == "related"
    assert related.get("href") == "https://www.example.com/feeds/index.html"
    atom = xml(bundled / "atom.xml")
    links = {(link.get("rel"), link.get("href")) for link in atom.findall("atom:link", NS)}
    assert links == {
        ("self", "https://www.example.com/feeds/atom.xml"),
        ("related", "https://www.example.com/feeds/index.html"),
        ("alternate", "https://www.example.com/"),
    }


def test_atom_content_survives_the_summary_and_has_a_valid_type(bundled: Path) -> None:
    # description() after content() would replace the content; CDATA would leak as a type.
    atom = xml(bundled / "atom.xml")
    (content,) = atom.xpath("//atom:content", namespaces=NS)
    assert content.get("type") == "html"
    assert content.text.startswith("<p>Dans un grand spectacle")
    types = atom.xpath("//atom:*[@type]/@type", namespaces=NS)
    assert set(types) <= {"text", "html", "text/html", "application/atom+xml"}
    assert b"CDATA" not in (bundled / "atom.xml").read_bytes()


def test_atom_entry_links_keep_rel_and_type(bundled: Path) -> None:
    atom = xml(bundled / "atom.xml")
    for entry in atom.findall("atom:entry", NS):
        alternates = entry.xpath("atom:link[@rel='alternate']", namespaces=NS)
        assert len(alternates) == 1
        assert alternates[0].get("type") == "text/html"
        assert alternates[0].get("href") == entry.findtext("atom:id", namespaces=NS)


def test_rss_categories_are_terms_with_their_domain(bundled: Path) -> None:
    rss = xml(bundled / "rss.xml")
    marker = rss.xpath("//category[@domain='https://www.example.com/acces']")
    assert [m.text for m in marker] == ["membres"]
    assert b"R\xc3\xa9serv\xc3\xa9 aux membres</category>" not in (bundled / "rss.xml").read_bytes()
    plain = rss.xpath("//item[last()]/category/text()")
    assert plain == ["Corée du Nord", "Russie", "Asie", "Diplomatie"]
    domains = set(rss.xpath("//item[last()]/category/@domain"))
    assert domains == {"https://www.example.com/categories/"}


def test_media_content_is_not_wrapped_in_a_group(bundled: Path) -> None:
    for name in ("rss.xml", "atom.xml"):
        root = xml(bundled / name)
        assert root.xpath("//media:group", namespaces=NS) == []
        assert len(root.xpath("/*/*/media:content | /*/*/*/media:content", namespaces=NS)) == 3


def test_control_character_is_refused_before_it_can_abort_a_feed(
    write_item: WriteItem, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    items_dir = write_item("ok.md", TEASER).parent
    assert build(items_dir, out).exit_code == 0
    before = (out / "public" / "rss.xml").read_bytes()
    write_item("bad.md", LEAD.replace("Une légende.", '"Une \\x0b légende."'))
    result = build(items_dir, out)
    assert result.exit_code == 1
    assert "photo.caption: contains the control character U+000B" in result.output
    assert (out / "public" / "rss.xml").read_bytes() == before


def test_html_in_content_is_sanitised_and_links_absolute(
    write_item: WriteItem, tmp_path: Path
) -> None:
    body = (
        '\n<script>alert("x")</script>\n\n<p onclick="steal()">Texte</p>\n\n'
        "[relatif](../autre) ![photo](img/a.jpg) [js](javascript:alert(1))\n"
    )
    items_dir = write_item("a.md", LEAD + body).parent
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    html = parsed(out / "public" / "atom.xml").entries[0].content[0].value
    assert "<script" not in html and "alert(" not in html.split("[js]")[0]
    assert "onclick" not in html and 'href="javascript' not in html
    assert 'href="https://www.example.com/2024/06/autre"' in html
    assert 'src="https://www.example.com/2024/06/19/img/a.jpg"' in html
    assert 'rel="noopener"' in html


# Writing files.


def _write(out: Path, rel: str, name: str, data: bytes) -> bool:
    with OutTree(out) as tree, output.writer(tree) as writer, tree.folder(rel, True) as folder:
        assert folder is not None
        return writer.write_if_changed(folder, name, rel + name, data)


def test_atomic_write_leaves_no_temporary_file_and_is_world_readable(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "feed.xml"
    assert _write(tmp_path, "sub/", "feed.xml", b"one") is True
    assert _write(tmp_path, "sub/", "feed.xml", b"one") is False
    assert _write(tmp_path, "sub/", "feed.xml", b"two") is True
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["feed.xml"]
    assert [p.name for p in tmp_path.iterdir()] == ["sub"]  # nor the temporary folder
    assert target.stat().st_mode & 0o044 == 0o044


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "feed.xml"
    target.write_bytes(b"old")

    def full_disk(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", full_disk)
    with pytest.raises(OSError):
        _write(tmp_path, "", "feed.xml", b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["feed.xml"]
