"""RFC 5005 archives: every item stays reachable, a week per document, walked as an aggregator
walks them; a closed week keeps its bytes; the members' chain stays in its own tree."""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from archived import ITEMS, lead, setup
from conformance import check_atom, check_atom_schema, check_rss
from feeds import NS, build, cold_snapshot, snapshot, xml
from helpers import SETTINGS, WriteItem

PUBLIC = "https://www.example.com/feeds/"
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _local(out: Path, address: str) -> Path:
    assert address.startswith(PUBLIC), address
    return out / "public" / address.removeprefix(PUBLIC)


def _walk_atom(out: Path, start: str) -> list[tuple[str, list[str]]]:
    """(document, entry ids) from the live feed back along prev-archive, as feedparser reads
    each document."""
    walked = []
    address: str | None = start
    while address is not None:
        assert address not in [seen for seen, _ in walked], "a loop in the chain"
        feed = feedparser.parse(_local(out, address).read_bytes())
        assert not feed.bozo, feed.get("bozo_exception")
        walked.append((address, [entry.id for entry in feed.entries]))
        links = {link.rel: link.href for link in feed.feed.links}
        if walked[1:]:  # an archive document: RFC 5005 section 4
            assert links["current"] == start
            assert links["self"] == address
        address = links.get("prev-archive")
    return walked


def _expected(access: tuple[str, ...] = ("public", "members")) -> list[str]:
    chosen = [item for item in ITEMS if item[3] in access]
    ordered = sorted(chosen, key=lambda item: datetime.fromisoformat(item[1]), reverse=True)
    return [f"https://www.example.com/{item[0]}" for item in ordered]


def test_walking_prev_archive_from_the_live_feed_finds_every_item_once_in_order(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    setup(items_dir, write_item)
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    walked = _walk_atom(out, f"{PUBLIC}atom.xml")
    live, archives = walked[0], walked[1:]
    weeks = [address.split("/")[-2] for address, _ in archives]
    assert weeks == ["2024-W13", "2024-W12", "2024-W10"]  # c is week 12 in UTC: week 11 has none
    assert archives[0][0] == f"{PUBLIC}archive/2024-W13/atom.xml"
    in_archives = [item for _, ids in archives for item in ids]
    assert in_archives == _expected()  # each item once, newest first, members' ones marked
    assert set(live[1]) <= set(in_archives)
    # Each archive is marked and linked both ways.
    for position, (address, _) in enumerate(archives):
        root = xml(_local(out, address))
        assert root.find("fh:archive", NS) is not None
        after = root.xpath("atom:link[@rel='next-archive']/@href", namespaces=NS)
        assert after == ([archives[position - 1][0]] if position else [])
        # An archive is a document of the live feed: it carries that feed's id.
        assert root.findtext("atom:id", namespaces=NS) == f"{PUBLIC}atom.xml"
    # The category's chain holds its items only.
    japon = _walk_atom(out, f"{PUBLIC}categories/japon/atom.xml")[1:]
    assert [i for _, ids in japon for i in ids] == [
        "https://www.example.com/f",
        "https://www.example.com/c",
        "https://www.example.com/b",
    ]


def test_rss_and_json_feed_carry_the_same_chain(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    setup(items_dir, write_item)
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    seen, address = [], f"{PUBLIC}rss.xml"
    while True:
        channel = xml(_local(out, address)).find("channel")
        if seen:
            assert channel.find("fh:archive", NS) is not None
        seen.append([guid.text for guid in channel.iterfind("item/guid")])
        older = channel.xpath("atom:link[@rel='prev-archive']/@href", namespaces=NS)
        if not older:
            break
        address = older[0]
    assert [i for ids in seen[1:] for i in ids] == _expected()
    pages, address = [], f"{PUBLIC}feed.json"
    while address:
        page = json.loads(_local(out, address).read_text())
        assert page["feed_url"] == f"{PUBLIC}feed.json"
        pages.append([item["id"] for item in page["items"]])
        address = page.get("next_url")
    assert [i for ids in pages[1:] for i in ids] == _expected()


def test_archives_pass_the_conformance_checker(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    setup(items_dir, write_item)
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    problems = {}
    files = sorted(out.rglob("archive/*/*.xml"))
    assert len(files) == 2 * (3 + 3 + 2 + 3)  # main, Asie, Japon, members' weeks
    for path in files:
        data = path.read_bytes()
        found = (
            check_rss(data, now=NOW)
            if path.name == "rss.xml"
            else check_atom(data, now=NOW) + check_atom_schema(data)
        )
        if found:
            problems[str(path)] = found
    assert problems == {}


def test_members_chain_stays_in_the_members_tree(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    setup(items_dir, write_item)
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    public = [p for p in (out / "public").rglob("*") if p.is_file()]
    for path in public:
        data = path.read_bytes()
        assert b"members/archive" not in data, path
        for name in ("b", "e"):
            assert f"Texte intégral de {name}".encode() not in data, path
    members = feedparser.parse((out / "members/archive/2024-W12/atom.xml").read_bytes())
    assert [entry.id for entry in members.entries] == [
        "https://www.example.com/f",  # Sunday 24 March in UTC
        "https://www.example.com/e",
        "https://www.example.com/d",
        "https://www.example.com/c",
    ]
    assert "Texte intégral de e" in members.entries[1].content[0].value
    links = {link.rel: link.href for link in members.feed.links}
    assert links["current"] == f"{PUBLIC}members/atom.xml"
    assert links["prev-archive"] == f"{PUBLIC}members/archive/2024-W10/atom.xml"


def _mtimes(out: Path) -> dict[str, int]:
    return {
        str(p.relative_to(out)): p.stat().st_mtime_ns
        for p in out.rglob("*")
        if p.is_file() and "lock" not in p.name
    }


def test_no_op_writes_nothing_and_an_edit_rewrites_its_week_only(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    setup(items_dir, write_item)
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    before = _mtimes(out)
    again = build(items_dir, out, "--verbose")
    assert "written" not in again.output and "unchanged" in again.output
    assert _mtimes(out) == before
    # An edit of an item of week 10: that week's archives change (main, its categories, members);
    # no live feed holds it, no other week changes.
    write_item("a.md", lead(*ITEMS[0]).replace("Résumé a.", "Résumé a, corrigé."))
    edited = build(items_dir, out, "--verbose")
    written = sorted(
        line.split()[1].removeprefix(str(out) + "/")
        for line in edited.output.splitlines()
        if line.startswith("written")
    )
    assert written == sorted(
        f"{tree}archive/2024-W10/{name}"
        for tree in ("public/", "public/categories/asie/", "members/")
        for name in ("rss.xml", "atom.xml", "feed.json")
    )


def test_a_closed_week_keeps_its_bytes_as_new_items_arrive(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    setup(items_dir, write_item)
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    first = (out / "public/archive/2024-W10/atom.xml").read_bytes()
    third = (out / "public/archive/2024-W12/atom.xml").read_bytes()
    write_item("h.md", lead("h", "2024-03-28T08:00:00+09:00", "[Asie]", "public"))
    write_item("i.md", lead("i", "2024-04-02T08:00:00+09:00", "[Asie]", "public"))
    assert build(items_dir, out).exit_code == 0
    assert (out / "public/archive/2024-W10/atom.xml").read_bytes() == first
    assert (out / "public/archive/2024-W12/atom.xml").read_bytes() == third
    walked = _walk_atom(out, f"{PUBLIC}atom.xml")
    weeks = [a.split("/")[-2] for a, _ in walked[1:]]
    assert weeks == ["2024-W14", "2024-W13", "2024-W12", "2024-W10"]


def test_scheduled_items_join_their_archive_at_their_moment(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    setup(items_dir, write_item)
    write_item("z.md", lead("z", "2031-02-01T00:00:00Z", "[Asie]", "public"))
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0  # at 2030-01-01: z is scheduled
    assert not (out / "public/archive/2031-W05").exists()
    later = build(items_dir, out, "--now", "2031-03-01T00:00:00+00:00")
    assert later.exit_code == 0, later.output
    feed = feedparser.parse((out / "public/archive/2031-W05/atom.xml").read_bytes())
    assert [entry.id for entry in feed.entries] == ["https://www.example.com/z"]


def test_the_week_of_the_build_holds_the_items_live_at_its_moment(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    # Week 12 of 2024 (18 to 24 March, UTC) seen from inside it: c and d are live on the
    # 19th, e (members only, in Asie) from the 20th, 23:00 UTC. Each build, moving through
    # the week, must write what a cold build at that moment writes.
    setup(items_dir, write_item)
    out = tmp_path / "out"
    moments = [
        "2024-03-18T12:00:00+00:00",  # c only
        "2024-03-19T12:00:00+00:00",  # c, d
        "2024-03-20T22:59:59+00:00",  # still c, d
        "2024-03-20T23:00:00+00:00",  # e at its very moment
        "2024-03-19T12:00:00+00:00",  # back again
    ]
    for number, moment in enumerate(moments):
        result = build(items_dir, out, "--now", moment)
        assert result.exit_code == 0, result.output
        cold = tmp_path / f"cold{number}"
        assert build(items_dir, cold, "--no-cache", "--now", moment).exit_code == 0
        assert snapshot(out) == snapshot(cold), moment
    week = feedparser.parse((out / "members/archive/2024-W12/atom.xml").read_bytes())
    assert [entry.title for entry in week.entries] == ["Article d", "Article c"]


def test_turning_archives_off_removes_them(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    setup(items_dir, write_item)
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    (out / "public/archive/notes.txt").write_text("mine")  # not ours: stays
    (items_dir / "feed.yaml").write_text(SETTINGS + "limit: 2\n")
    result = build(items_dir, out)
    assert result.exit_code == 0
    assert not [p for p in out.rglob("*") if p.is_dir() and p.parent.name == "archive"]
    assert (out / "public/archive/notes.txt").read_text() == "mine"
    assert not (out / "members/archive").exists()
    assert b"prev-archive" not in (out / "public/atom.xml").read_bytes()


def test_the_monthly_archives_of_builds_before_weeks_are_removed(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    setup(items_dir, write_item)
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    old = ["public/archive/2024-03/", "public/categories/asie/archive/2024-03/"]
    old.append("members/archive/2024-05/")
    for folder in old:
        (out / folder).mkdir(parents=True)
        for name in ("atom.xml", "rss.xml", "feed.json"):
            (out / folder / name).write_bytes(b"<feed/>")
    (out / "public/archive/2024-04/").mkdir()
    (out / "public/archive/2024-04/notes.txt").write_text("mine")  # not ours: stays
    result = build(items_dir, out, "--verbose")
    assert result.exit_code == 0, result.output
    assert not [folder for folder in old if (out / folder).exists()]
    assert (out / "public/archive/2024-04/notes.txt").read_text() == "mine"
    assert "9 removed" in result.output


def test_incremental_archives_equal_a_cold_build_through_edits(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    from feeds import snapshot

    setup(items_dir, write_item)
    out = tmp_path / "out"
    edits = [
        lambda: write_item("d.md", lead("d", "2024-04-02T08:00:00+09:00", "[Asie]", "public")),
        lambda: (items_dir / "a.md").unlink(),  # week 10 keeps b only
        lambda: (items_dir / "b.md").unlink(),  # week 10 is gone
        lambda: write_item("c.md", lead("c", "2024-03-17T23:30:00-05:00", "[Corée]", "public")),
        lambda: write_item("n.md", lead("n", "2023-12-31T23:59:59-01:00", "[Japon]", "members")),
        lambda: write_item("f.md", lead("f", "2024-03-25T08:00:00+09:00", "[Asie]", "public")),
    ]
    assert build(items_dir, out).exit_code == 0
    for number, edit in enumerate(edits):
        edit()
        assert build(items_dir, out).exit_code == 0
        cold = tmp_path / f"cold{number}"
        assert snapshot(out) == cold_snapshot(items_dir, cold), number
    assert not (out / "public/archive/2024-03").exists()
    assert (out / "public/archive/2024-W01/atom.xml").exists()  # n is Monday 1 January 2024 in UTC


def test_the_server_serves_archive_names_and_nothing_near_them() -> None:
    from feedsvc.serve._files import member_name, public_name

    for name in (
        "archive/2024-W13/atom.xml",
        "categories/asie/archive/2024-W13/rss.xml",
        "archive/2024-W13/feed.json",
    ):
        assert public_name(name) == name
    for name in (
        "archive/2024-W6/atom.xml",
        "archive/2024-06/atom.xml",  # the calendar months of builds before weeks
        "archive/../members/atom.xml",
        "archive/2024-W13/",
        "members/archive/2024-W13/atom.xml",
        "archive/2024-W13/index.html",
    ):
        assert public_name(name) is None
    assert member_name("archive/2024-W13/atom.xml") == "archive/2024-W13/atom.xml"
    assert member_name("archive/2024-W13/../../public/atom.xml") is None


def test_an_edit_reaches_the_live_feed_first_and_a_new_week_exists_before_its_link(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    setup(items_dir, write_item)
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0

    def mtime(rel: str) -> int:
        return (out / "public" / rel).stat().st_mtime_ns

    write_item("g.md", lead(*ITEMS[6]).replace("Résumé g.", "Résumé g, corrigé."))
    assert build(items_dir, out).exit_code == 0
    assert mtime("atom.xml") <= mtime("archive/2024-W13/atom.xml")  # the live feed first
    write_item("j.md", lead("j", "2024-04-02T08:00:00+09:00", "[Asie]", "public"))
    assert build(items_dir, out).exit_code == 0
    assert mtime("archive/2024-W14/atom.xml") <= mtime("atom.xml")  # what it links to first


def test_archives_turned_on_over_a_kept_cache_equal_a_cold_build(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    # The months table is filled only once archives are asked for: a cache kept by builds
    # without them must give the same archives as a build that reads everything.
    setup(items_dir, write_item)
    settings = items_dir / "feed.yaml"
    with_archives = settings.read_text(encoding="utf-8")
    settings.write_text(with_archives.replace("archives: true\n", ""), encoding="utf-8")
    out, cold = tmp_path / "out", tmp_path / "cold"
    assert build(items_dir, out).exit_code == 0
    assert not list(out.rglob("archive"))
    write_item("late.md", lead("late", "2024-04-02T10:00:00+00:00", "[Asie]", "public"))
    assert build(items_dir, out).exit_code == 0  # an edit while the months are not kept
    settings.write_text(with_archives, encoding="utf-8")
    assert build(items_dir, out).exit_code == 0
    write_item("later.md", lead("later", "2024-03-03T10:00:00+00:00", "[Asie]", "public"))
    assert build(items_dir, out).exit_code == 0  # and once they are
    assert snapshot(out) == cold_snapshot(items_dir, cold)
    assert any(out.rglob("archive"))


def test_a_damaged_months_table_is_noticed_and_gives_a_cold_builds_bytes(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    # The months table decides which archives exist and when one is rendered again: a row
    # lost, or edited, must not drop a week from the chains or keep an edited week as it was.
    setup(items_dir, write_item)
    cache, out, cold = tmp_path / "cache", tmp_path / "out", tmp_path / "cold"

    def age() -> None:  # files written just now are read again by every build until old
        for path in items_dir.glob("*.md"):
            os.utime(path, (path.stat().st_mtime - 3600,) * 2)

    age()
    assert build(items_dir, out, "--cache", str(cache)).exit_code == 0
    assert build(items_dir, cold, "--no-cache").exit_code == 0
    (database,) = cache.glob("*.sqlite3")
    damages = [
        "DELETE FROM months WHERE feed = '' AND month = '2024-W12'",
        "UPDATE months SET items = items + 1 WHERE feed = 'japon'",
        "UPDATE months SET digest = 'x' || digest WHERE month = '2024-W10'",
    ]
    for damage in damages:
        with sqlite3.connect(database) as db:
            db.execute(damage)
        if "digest" in damage:  # then an edit that the damaged row must not hide
            write_item("d.md", lead("d", "2024-03-19T08:00:00+09:00", "[Asie]", "members"))
            age()
            assert build(items_dir, cold, "--no-cache").exit_code == 0
        result = build(items_dir, out, "--cache", str(cache))
        assert result.exit_code == 0, result.output
        assert "was damaged" in result.output, damage
        assert snapshot(out) == snapshot(cold), damage


def test_each_item_is_read_and_its_body_rendered_once_per_document_set(
    items_dir: Path, write_item: WriteItem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A week's archives (main, members', each category's) share one reading of each item,
    # and a public lead's entry, the same in public and members' feeds, is made once: an edit
    # renders a week of hundreds of items again.
    from feedsvc.publish import _outputs
    from feedsvc.publish.writers import _document

    setup(items_dir, write_item)
    reads: Counter[str] = Counter()
    bodies: Counter[str] = Counter()
    read, to_html = _outputs._Documents._read, _document.to_html

    def counted_read(self: _outputs._Documents, path: str, digest: str) -> object:
        reads[path] += 1  # from the file, or as this build's sync just parsed it
        return read(self, path, digest)

    def counted_html(body: str, url: str) -> str:
        bodies[url] += 1
        return to_html(body, url)

    monkeypatch.setattr(_outputs._Documents, "_read", counted_read)
    monkeypatch.setattr(_document, "to_html", counted_html)
    assert build(items_dir, tmp_path / "out").exit_code == 0
    # Once for the live feeds (the newest two of each: f and g, and c in Japon), once for
    # the item's week.
    assert reads == {f"{item[0]}.md": 2 if item[0] in "cfg" else 1 for item in ITEMS}
    assert bodies == {
        f"https://www.example.com/{item[0]}": reads[f"{item[0]}.md"] for item in ITEMS
    }


def test_the_week_of_a_moment_is_its_iso_week_in_utc() -> None:
    from feedsvc.index._months import WeekRange, week_of

    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    hour = 3_600_000_000
    # Every hour across the turns of 2020 (53 weeks), 2024 and 1969, and a step of 5 h 7 min
    # through forty years: each moment is in the week isocalendar() gives, and in its range.
    moments = [
        (datetime(year, 12, 24, tzinfo=UTC) - epoch) // timedelta(microseconds=1) + h * hour
        for year in (1969, 2019, 2020, 2023, 2024)
        for h in range(24 * 16)
    ]
    moments += range(-hour * 24 * 365, hour * 24 * 365 * 40, 307 * 60_000_000 * 1009)
    for micro in moments:
        moment = epoch + timedelta(microseconds=micro)
        year, week, _ = moment.isocalendar()
        assert week_of(micro) == f"{year:04d}-W{week:02d}", moment
        span = WeekRange.of(week_of(micro))
        assert span.start <= micro < span.end


def test_a_build_without_the_cyclic_collector_leaves_at_most_a_week_of_cycles(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    # One-shot builds run without the cyclic collector; each week's documents leave cycles
    # that would otherwise pile up until the process ends (5 GB at 100,000 items).
    import gc

    (items_dir / "feed.yaml").write_text(SETTINGS + "limit: 2\narchives: true\n")

    def garbage(weeks: int) -> int:
        for week in range(weeks):
            day = datetime(2024, 1, 1, 9, tzinfo=UTC) + timedelta(weeks=week)
            write_item(f"w{week}.md", lead(f"w{week}", day.isoformat(), "[Asie]", "public"))
        out = tmp_path / f"out{weeks}"
        gc.collect()
        gc.disable()
        try:
            assert build(items_dir, out, "--no-cache").exit_code == 0
            return gc.collect()
        finally:
            gc.enable()

    two, twelve = garbage(2), garbage(12)
    # Ten more weeks: a few dozen cycles more (of the last week being larger), where every
    # week's kept would add hundreds.
    assert twelve - two < two / 2, (two, twelve)
