"""Loading an items folder: the bundled front page, and every kind of broken file."""

from __future__ import annotations

from pathlib import Path

from helpers import BUNDLED_ITEMS, LEAD, TEASER, WriteItem

from feedsvc.index import load_items
from feedsvc.model import Lead, Teaser


def test_bundled_front_page_loads() -> None:
    store = load_items(BUNDLED_ITEMS)
    assert store.problems == []
    assert store.settings is not None
    assert store.settings.language == "fr"
    assert "example.com" in store.settings.site_url
    items = {entry.item.kind: [] for entry in store.entries}
    for entry in store.entries:
        items[entry.item.kind].append(entry.item)
    (lead,) = items["lead"]
    assert isinstance(lead, Lead)
    assert "Poutine" in lead.title
    assert lead.published.isoformat() == "2024-06-19T14:30:00+09:00"
    assert lead.photo is not None and "Kim Jong-un" in lead.photo.caption
    assert lead.body.startswith("Dans un grand spectacle")
    assert "Aller au contenu" not in lead.body and "Lire aussi" not in lead.body
    teasers = items["teaser"]
    assert len(teasers) == 2
    assert {t.access for t in teasers} == {"public", "members"}
    assert any("Telegram" in t.title for t in teasers)
    assert any("Duterte" in t.title for t in teasers)
    assert all(isinstance(t, Teaser) and t.summary and t.photo for t in teasers)


def test_items_in_subfolders_are_found_and_hidden_files_skipped(write_item: WriteItem) -> None:
    write_item("a.md", LEAD)
    (write_item("a.md", LEAD).parent / "2024").mkdir()
    write_item("2024/b.md", TEASER)
    write_item(".swap.md", "not an item")
    store = load_items(write_item("c.md", TEASER.replace("breve", "autre")).parent)
    assert store.problems == []
    assert sorted(e.path.name for e in store.entries) == ["a.md", "b.md", "c.md"]


def test_missing_settings_and_empty_folder_are_problems(tmp_path: Path) -> None:
    store = load_items(tmp_path)
    messages = [str(p) for p in store.problems]
    assert any("feed.yaml:1: file: the feed settings file is missing" in m for m in messages)
    assert any("holds no item files" in m for m in messages)
    assert not store.ok


def test_duplicate_url_names_both_files(write_item: WriteItem) -> None:
    write_item("a.md", LEAD)
    write_item("b.md", LEAD)
    store = load_items(write_item("a.md", LEAD).parent)
    (problem,) = store.problems
    assert problem.path.name == "b.md"
    assert problem.field == "url"
    assert problem.line == 4
    assert "a.md:4" in problem.message


def test_duplicate_id_names_both_files(write_item: WriteItem) -> None:
    write_item("a.md", LEAD.replace("kind: lead", "kind: lead\nid: urn:x:1"))
    other = TEASER.replace("kind: teaser", "kind: teaser\nid: urn:x:1")
    store = load_items(write_item("b.md", other).parent)
    (problem,) = store.problems
    assert (problem.path.name, problem.field, problem.line) == ("b.md", "id", 3)
    assert "a.md:3" in problem.message


def test_every_file_is_reported_not_just_the_first(write_item: WriteItem) -> None:
    write_item("a.md", LEAD.replace("2024-06-19T14:30:00+09:00", "2024-06-19T14:30:00"))
    write_item("b.md", TEASER.replace("title: Une brève\n", ""))
    store = load_items(write_item("c.md", "no front matter").parent)
    assert [p.path.name for p in store.problems] == ["a.md", "b.md", "c.md"]
