"""What a build does once: each item file read, each body rendered, whatever the feeds; and
the JSON Feed written natively, with the bytes it had."""

from __future__ import annotations

import copy
import gc
import json
import json.encoder
import sqlite3
from collections import Counter
from pathlib import Path

import nh3
import pytest
from click.testing import CliRunner
from feedgen.entry import FeedEntry
from feeds import build, cold_snapshot, parsed, snapshot
from helpers import LEAD, TEASER, WriteItem
from hypothesis import given
from hypothesis import strategies as st
from stores import generate

from feedsvc.cli import main
from feedsvc.items import _itemfile
from feedsvc.publish.writers._jsonfeed import encoded

MEMBERS_LEAD = (
    LEAD.replace("kind: lead", "kind: lead\naccess: members")
    .replace("2024/06/19/article", "2024/06/19/article-membres")
    .replace("categories: [Asie]", "categories: [Asie]\nsummary: Résumé public.")
)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each file was read, by name."""
    counted: Counter[str] = Counter()
    read = _itemfile._read_regular

    def counting(path: Path) -> bytes | str:
        counted[path.name] += 1
        return read(path)

    monkeypatch.setattr(_itemfile, "_read_regular", counting)
    return counted


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each Markdown body was rendered to HTML, by its first line."""
    counted: Counter[str] = Counter()
    clean = nh3.clean

    def counting(html: str, **options: object) -> str:
        counted[html.partition("\n")[0]] += 1
        return clean(html, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(nh3, "clean", counting)
    return counted


def _items(write_item: WriteItem) -> Path:
    write_item("lead.md", LEAD)
    write_item("members.md", MEMBERS_LEAD.replace("Le premier", "Le secret"))
    return write_item("teaser.md", TEASER).parent


def test_a_cold_build_reads_each_item_file_once(
    write_item: WriteItem, tmp_path: Path, reads: Counter[str]
) -> None:
    """The items the build's own check just parsed, from the bytes the index recorded, are
    rendered as parsed: not read and validated a second time."""
    items_dir = _items(write_item)
    result = build(items_dir, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert {name: count for name, count in reads.items() if name.endswith(".md")} == {
        "lead.md": 1,
        "members.md": 1,
        "teaser.md": 1,
    }
    # In every feed, the main, the category's and the members'.
    assert len(parsed(tmp_path / "out/members/atom.xml").entries) == 3
    reads.clear()
    (items_dir / "lead.md").write_text(LEAD.replace("Un article", "Un autre article"), "utf-8")
    result = build(items_dir, tmp_path / "out")  # a rebuild reads the unchanged ones again
    assert result.exit_code == 0, result.output
    assert reads["lead.md"] == 1
    assert reads["members.md"] == reads["teaser.md"] == 1
    assert "Un autre article" in (tmp_path / "out/public/atom.xml").read_text("utf-8")


def test_a_build_renders_each_body_once(
    write_item: WriteItem, tmp_path: Path, rendered: Counter[str]
) -> None:
    """A public lead is in the public feeds and the members' one: its body is rendered once."""
    result = build(_items(write_item), tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert rendered == {
        "<p>Le premier paragraphe de l'article.</p>": 1,
        "<p>Le secret paragraphe de l'article.</p>": 1,
    }


def test_the_json_feed_is_written_without_the_pure_python_encoder(
    write_item: WriteItem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """json.dumps with an indent runs the json module's Python encoder, a tenth of a small
    cold build; the writer gets the same bytes natively."""

    def refused(*args: object, **kwargs: object) -> object:
        raise AssertionError("the pure-Python JSON encoder ran")

    monkeypatch.setattr(json.encoder, "_make_iterencode", refused)
    result = build(_items(write_item), tmp_path / "out")
    assert result.exit_code == 0, result.output
    feed = json.loads((tmp_path / "out/members/feed.json").read_bytes())
    assert len(feed["items"]) == 3


JSON_TEXT = st.text(st.characters(codec="utf-8"))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | JSON_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(JSON_TEXT, inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(JSON_TEXT, JSON_VALUES, max_size=6))
def test_json_feed_bytes_are_those_of_the_json_module(document: dict[str, object]) -> None:
    """Escapes, odd Unicode, empty lists and objects, nesting: byte for byte what json.dumps
    writes with an indent of 2, so feeds keep their bytes across the change of encoder."""
    expected = (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    assert encoded(document) == expected


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return generate(tmp_path / "items", 150, seed=16)


def test_a_chosen_file_unlike_its_indexed_digest_is_read_again_not_taken_as_parsed(
    store: Path, tmp_path: Path
) -> None:
    """Only the bytes this build's sync parsed, by digest, are taken as parsed: a file the
    index holds with another digest is read again, and the build goes on."""
    cache = tmp_path / "cache"
    assert build(store, tmp_path / "warm", "--cache", str(cache)).exit_code == 0
    (database,) = cache.glob("*.sqlite3")
    gc.collect()
    with sqlite3.connect(database) as db:  # as if a file had changed behind its stats
        # The newest item: in the main feed, its categories' and the members'.
        db.execute("UPDATE files SET digest = 'aa' WHERE path = (SELECT MAX(path) FROM files)")
    db.close()
    result = build(store, tmp_path / "warm", "--cache", str(cache))
    assert result.exit_code == 0, result.output
    assert "changed during the build" not in result.output
    assert snapshot(tmp_path / "warm") == cold_snapshot(store, tmp_path / "cold")


def test_an_entry_in_several_feeds_is_made_once_per_format(
    write_item: WriteItem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each public item is in the main feed and its category's: feedgen makes its entry once
    per format, and each feed takes its elements over from the feed written before."""
    made: list[str] = []
    init = FeedEntry.__init__

    def noting(self: FeedEntry) -> None:
        made.append(type(self).__name__)
        init(self)

    monkeypatch.setattr(FeedEntry, "__init__", noting)
    result = build(_items(write_item), tmp_path / "out")
    assert result.exit_code == 0, result.output
    for folder in ("public/", "public/categories/asie/", "members/"):
        for name in ("rss.xml", "atom.xml"):
            assert len(parsed(tmp_path / "out" / folder / name).entries) == 3
    # Three items, public and members' variants, two formats; not once per feed (18).
    assert len(made) == 3 * 2 * 2


def test_an_entry_in_several_feeds_is_never_copied(
    write_item: WriteItem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each feed is bytes before the next is built, so the next takes the entry's elements
    over (an element appended to another tree moves there) instead of a deep copy of them;
    every feed still holds every entry, element for element."""
    from feedsvc.publish.writers import _xml

    copies: list[object] = []
    deepcopy = copy.deepcopy

    def noting(value: object, memo: dict[int, object] | None = None) -> object:
        copies.append(value)
        return deepcopy(value, memo)

    monkeypatch.setattr(copy, "deepcopy", noting)
    monkeypatch.setattr(_xml, "deepcopy", noting, raising=False)
    result = build(_items(write_item), tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert copies == []
    out = tmp_path / "out"
    for name in ("rss.xml", "atom.xml"):
        main, category = (
            {entry.id: entry for entry in parsed(out / folder / name).entries}
            for folder in ("public/", "public/categories/asie/")
        )
        assert len(main) == 3
        assert main == category


@pytest.mark.parametrize("command", ["build", "validate"])
def test_a_one_shot_build_or_validation_runs_no_cycle_collection(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nearly everything a build allocates lives until it ends, so a generational collector
    would only scan survivors again and again; the collector is back on once it is done."""
    collecting: list[bool] = []
    read = _itemfile._read_regular

    def noting(path: Path) -> bytes | str:
        collecting.append(gc.isenabled())
        return read(path)

    monkeypatch.setattr(_itemfile, "_read_regular", noting)
    items = generate(tmp_path / "store", 150, seed=16)
    if command == "build":
        result = build(items, tmp_path / "out", "--cache", str(tmp_path / "cache"))
    else:
        result = CliRunner().invoke(main, ["validate", "--items", str(items), "--no-cache"])
    assert result.exit_code == 0, result.output
    assert len(collecting) > 150  # the items and feed.yaml
    assert not any(collecting)
    assert gc.isenabled()


def test_a_build_leaves_no_reference_cycle_to_its_entries(tmp_path: Path) -> None:
    """A build runs without the cycle collector, so an entry in a reference cycle lives until
    the build ends: with archives, every month's entries and the last tree each was in (a
    10,000-item cold build peaked at 259 MB instead of 142). Its feedgen entries must be
    freed by reference counting alone, as each month is done."""
    from feedsvc.publish.writers import _xml

    items = generate(tmp_path / "store", 60, seed=3)
    with (items / "feed.yaml").open("a", encoding="utf-8") as settings:
        settings.write("archives: true\n")
    gc.collect()
    gc.disable()
    try:
        result = build(items, tmp_path / "out", "--cache", str(tmp_path / "cache"))
        assert result.exit_code == 0, result.output
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        kept = Counter(type(thing).__name__ for thing in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert list((tmp_path / "out" / "public" / "archive").iterdir())
    assert kept[_xml._Entry.__name__] == 0, kept.most_common(5)
