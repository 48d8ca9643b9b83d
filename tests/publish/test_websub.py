"""WebSub: hubs announced beside rel="self", and notified of exactly the feeds a build changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from feeds import NS, build, parsed, xml
from helpers import SETTINGS, WriteItem
from hub import running_hub, silent_hub

from feedsvc.cli import main

PUBLIC = "https://www.example.com/feeds/"
LEAD_ASIE = """\
---
kind: lead
title: Un article d'Asie
url: https://www.example.com/2024/06/19/asie
published: 2024-06-19T14:30:00+09:00
categories: [Asie]
---
Le texte.
"""
TEASER_JAPON = """\
---
kind: teaser
title: Une brève du Japon
url: https://www.example.com/2024/06/19/japon
published: 2024-06-19T15:00:00+09:00
categories: [Japon]
summary: Le résumé.
---
"""


def _settings(items_dir: Path, *lines: str) -> None:
    (items_dir / "feed.yaml").write_text(SETTINGS + "".join(f"{line}\n" for line in lines))


def _feeds(*folders: str) -> list[str]:
    return sorted(
        f"{PUBLIC}{folder}{name}"
        for folder in folders
        for name in ("rss.xml", "atom.xml", "feed.json")
    )


def test_hubs_sit_beside_self_in_public_feeds_only(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    _settings(items_dir, "hub: [https://hub.example.org/, https://websub.example.net/hub]")
    write_item("a.md", LEAD_ASIE)
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    hubs = ["https://hub.example.org/", "https://websub.example.net/hub"]
    for folder in (out / "public", out / "public/categories/asie"):
        rss = xml(folder / "rss.xml")
        assert rss.xpath("channel/atom:link[@rel='hub']/@href", namespaces=NS) == hubs
        assert rss.xpath("channel/atom:link[@rel='self']", namespaces=NS)
        atom = parsed(folder / "atom.xml")
        assert [link.href for link in atom.feed.links if link.rel == "hub"] == hubs
        feed = json.loads((folder / "feed.json").read_text())
        assert feed["hubs"] == [{"type": "WebSub", "url": hub} for hub in hubs]
    # A hub hands what it fetches to anyone who subscribes: never the members' feed.
    for name in ("rss.xml", "atom.xml", "feed.json"):
        assert b"hub.example.org" not in (out / "members" / name).read_bytes()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("hub: hub.example.org", "not an absolute web address"),
        ("hub: [https://h.example/, https://h.example/]", "twice"),
        ("ping_timeout: 0", "greater than 0"),
    ],
)
def test_bad_hub_settings_are_refused(
    items_dir: Path, write_item: WriteItem, tmp_path: Path, value: str, message: str
) -> None:
    _settings(items_dir, value)
    write_item("a.md", LEAD_ASIE)
    result = build(items_dir, tmp_path / "out")
    assert result.exit_code == 1
    assert "feed.yaml" in result.output and message in result.output


def test_pings_exactly_the_feeds_that_changed(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with running_hub() as hub:
        _settings(items_dir, f"hub: {hub.url}", "ping: true")
        write_item("a.md", LEAD_ASIE)
        first = build(items_dir, out)
        assert first.exit_code == 0, first.output
        assert hub.topics() == _feeds("", "categories/asie/")
        assert set(hub.content_types) == {"application/x-www-form-urlencoded"}
        assert f"pinged    {hub.url} (6 feeds)" in first.output

        hub.received.clear()
        assert build(items_dir, out).exit_code == 0
        assert hub.received == []  # a no-op build sends nothing

        write_item("j.md", TEASER_JAPON)  # the main feed and a new category change
        assert build(items_dir, out).exit_code == 0
        assert hub.topics() == _feeds("", "categories/japon/")

        hub.received.clear()
        write_item("j.md", TEASER_JAPON.replace("Le résumé.", "Un autre résumé."))
        assert build(items_dir, out, "--no-ping").exit_code == 0
        assert hub.received == []  # --no-ping wins over the setting


def test_ping_is_opt_in(items_dir: Path, write_item: WriteItem, tmp_path: Path) -> None:
    with running_hub() as hub:
        _settings(items_dir, f"hub: {hub.url}")
        write_item("a.md", LEAD_ASIE)
        assert build(items_dir, tmp_path / "out").exit_code == 0
        assert hub.received == []
        write_item("j.md", TEASER_JAPON)
        assert build(items_dir, tmp_path / "out", "--ping").exit_code == 0
        assert hub.topics() == _feeds("", "categories/japon/")


def test_a_failing_hub_is_reported_and_retried_at_the_next_build(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with running_hub(status=500) as broken, running_hub() as good:
        _settings(items_dir, f"hub: [{broken.url}, {good.url}]", "ping: true")
        write_item("a.md", LEAD_ASIE)
        result = build(items_dir, out)
        assert result.exit_code == 0  # a hub's failure is not the build's
        assert (out / "public/rss.xml").is_file()
        assert f"ping failed {broken.url}: HTTP 500" in result.output
        assert "6 feeds kept for the next build" in result.output
        assert len(broken.received) == 3  # three tries of the first feed, then it waits
        assert good.topics() == _feeds("", "categories/asie/")

        broken.status = 202
        broken.received.clear()
        good.received.clear()
        again = build(items_dir, out)  # nothing changed: only what was kept is sent
        assert again.exit_code == 0
        assert broken.topics() == _feeds("", "categories/asie/")
        assert good.received == []
        broken.received.clear()
        assert build(items_dir, out).exit_code == 0
        assert broken.received == []  # delivered once, then forgotten


def test_a_hub_that_never_answers_is_reported_and_retried(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with silent_hub() as url:
        _settings(items_dir, f"hub: {url}", "ping: true", "ping_timeout: 0.2")
        write_item("a.md", LEAD_ASIE)
        result = build(items_dir, out)
        assert result.exit_code == 0, result.output
        assert f"ping failed {url}: no answer within 0.2 s (3 tries)" in result.output
    with running_hub() as hub:
        # The same hub address, answering now: a hub is known by its address.
        _settings(items_dir, f"hub: {hub.url}", "ping: true")
        pending = next((tmp_path / ".cache" / "feedsvc").glob("*.pings.json"))
        kept = json.loads(pending.read_text())
        pending.write_text(json.dumps({hub.url: kept[url]}))
        assert build(items_dir, out).exit_code == 0
        assert hub.topics() == _feeds("", "categories/asie/")
        assert not pending.exists()


def test_pending_pings_live_outside_the_served_trees(
    items_dir: Path, write_item: WriteItem, tmp_path: Path
) -> None:
    with silent_hub() as url:
        _settings(items_dir, f"hub: {url}", "ping: true", "ping_timeout: 0.1")
        write_item("a.md", LEAD_ASIE)
        out = tmp_path / "out"
        assert build(items_dir, out, "--no-cache").exit_code == 0
    assert not [p for p in out.rglob("*") if "ping" in p.name]
    assert list((tmp_path / ".cache" / "feedsvc").glob("*.pings.json"))


def test_check_never_pings(items_dir: Path, write_item: WriteItem, tmp_path: Path) -> None:
    with running_hub() as hub:
        _settings(items_dir, f"hub: {hub.url}", "ping: true")
        write_item("a.md", LEAD_ASIE)
        build(items_dir, tmp_path / "out", "--check")
        assert hub.received == []


def test_help_mentions_ping() -> None:
    from click.testing import CliRunner

    assert "--ping" in CliRunner().invoke(main, ["build", "--help"]).output
