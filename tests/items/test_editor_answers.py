"""Common mistakes get the answer an editor can act on: drafts do not block, `new` checks its
title, skipped files are named, and each message says exactly what to write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from feeds import NOW, build, parsed
from helpers import LEAD, TEASER, WriteItem

from feedsvc.cli import main

BAD_TITLE = TEASER.replace("title: Une brève", "title: ''")


def _json(args: list[str]) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(main, [*args, "--json"])
    report: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, report


def _severities(report: dict[str, Any]) -> dict[str, str]:
    return {Path(p["file"]).name: p["severity"] for p in report["problems"]}


def test_an_invalid_draft_warns_and_the_others_are_published(
    write_item: WriteItem, tmp_path: Path
) -> None:
    items_dir = write_item("live.md", LEAD).parent
    write_item("draft.md", BAD_TITLE.replace("kind: teaser", "kind: teaser\ndraft: true"))
    out = tmp_path / "out"
    result = build(items_dir, out)
    assert result.exit_code == 0, result.output
    assert f"{items_dir / 'draft.md'}:4: title: is empty; write the text [warning: a draft" in (
        result.stderr
    )
    assert "; 1 warning;" in result.stdout  # the summary says so
    assert [e.title for e in parsed(out / "public" / "rss.xml").entries] == ["Un article complet"]
    code, report = _json(["validate", str(items_dir), "--now", NOW])
    assert code == 0 and _severities(report) == {"draft.md": "warning"}


def test_an_invalid_scheduled_item_warns_until_its_moment(write_item: WriteItem) -> None:
    items_dir = write_item("live.md", LEAD).parent
    write_item("later.md", BAD_TITLE)  # published 2024-06-19T15:00:00+08:00
    before = ["validate", str(items_dir), "--now", "2024-06-19T06:00:00+00:00"]
    code, report = _json(before)
    assert code == 0 and _severities(report) == {"later.md": "warning"}
    code, report = _json(["validate", str(items_dir), "--now", NOW])
    assert code == 1 and _severities(report) == {"later.md": "error"}


def test_a_drafts_problems_never_hide_a_live_items(write_item: WriteItem, tmp_path: Path) -> None:
    items_dir = write_item("live.md", BAD_TITLE.replace("breve", "live")).parent
    write_item("draft.md", BAD_TITLE.replace("kind: teaser", "kind: teaser\ndraft: true"))
    # A draft sharing a live item's url is the draft's to fix; two live ones block.
    write_item("copy.md", LEAD.replace("kind: lead", "kind: lead\ndraft: true"))
    write_item("lead.md", LEAD)
    result = build(items_dir, tmp_path / "out")
    assert result.exit_code == 1
    assert f"{items_dir / 'live.md'}:3: title: is empty; write the text\n" in result.stderr
    assert result.stderr.endswith("1 problem found (and 2 warnings); nothing was written.\n")
    assert not (tmp_path / "out" / "public").exists()
    code, report = _json(["validate", str(items_dir), "--now", NOW])
    assert code == 1
    assert _severities(report) == {"live.md": "error", "draft.md": "warning", "lead.md": "warning"}


def test_a_draft_that_cannot_say_it_is_one_still_blocks(write_item: WriteItem) -> None:
    items_dir = write_item("draft.md", "---\ndraft: true\ntitle: [\n---\n").parent
    code, report = _json(["validate", str(items_dir), "--now", NOW])
    assert code == 1 and _severities(report) == {"draft.md": "error"}


@pytest.mark.parametrize(
    ("title", "why"),
    [
        ("a" * 201, "is 201 characters long; shorten it to at most 200"),
        ("<b>Gras</b>", "contains the HTML tag '<b>'"),
        ("Deux\nlignes", "must fit on one line"),
        ("  ", "is empty; write the text"),
    ],
)
def test_new_refuses_a_title_validate_would_refuse(items_dir: Path, title: str, why: str) -> None:
    result = CliRunner().invoke(main, ["new", "teaser", title, "--items", str(items_dir)])
    assert result.exit_code == 2
    assert "Invalid value for TITLE: the title " in result.stderr and why in result.stderr
    assert sorted(p.name for p in items_dir.iterdir()) == ["feed.yaml"]


def test_new_accepts_what_validate_accepts(items_dir: Path) -> None:
    title = "AT&T : " + "é" * 193  # 200 characters, and a colon YAML must quote
    result = CliRunner().invoke(main, ["new", "teaser", title, "--items", str(items_dir)])
    assert result.exit_code == 0, result.output
    checked = CliRunner().invoke(main, ["validate", str(items_dir)])
    assert checked.exit_code == 0, checked.output
    assert "1 draft" in checked.output


def test_files_that_look_like_items_are_named(write_item: WriteItem) -> None:
    items_dir = write_item("a.md", LEAD).parent
    for name in ("b.markdown", "c.txt", "d.md~", "e.md.bak", "F.MARKDOWN"):
        write_item(name, TEASER)
    (items_dir / "g.md").mkdir()
    (items_dir / "notes.yaml").write_text("x: 1\n", encoding="utf-8")  # not an item's name
    result = CliRunner().invoke(main, ["validate", str(items_dir)])
    assert result.exit_code == 0
    for name, fix in [("b.markdown", "b.md"), ("c.txt", "c.md"), ("d.md~", "d.md"),
                      ("e.md.bak", "e.md"), ("F.MARKDOWN", "F.md")]:  # fmt: skip
        assert (
            f"{items_dir / name}:1: file: is not read: only .md files are items; "
            f"rename it to {fix} to publish it"
        ) in result.stderr
    assert f"{items_dir / 'g.md'}:1: file: is a folder, though its name ends in .md" in (
        result.stderr
    )
    assert "notes.yaml" not in result.output
    assert "1 item valid: 1 live, 0 drafts, 0 scheduled; 6 warnings." in result.stdout


def _problems(write_item: WriteItem, text: str) -> list[str]:
    items_dir = write_item("x.md", text).parent
    result = CliRunner().invoke(main, ["validate", str(items_dir), "--now", NOW])
    assert result.exit_code == 1
    prefix = f"{items_dir / 'x.md'}:"
    return [line.removeprefix(prefix) for line in result.stderr.splitlines()[:-1]]


WORDING = {
    "a misspelt field": (
        TEASER.replace("categories:", "categorie:"),
        ["6: categorie: is not a known field; did you mean 'categories'?"],
    ),
    "a teaser without summary": (
        TEASER.replace("summary: Le résumé de la brève.\n", ""),
        ["2: summary: is required; add a line 'summary: …', the text readers see under the title"],
    ),
    "an empty title": (
        TEASER.replace("title: Une brève", 'title: ""'),
        ["3: title: is empty; write the text"],
    ),
    "a title left blank": (
        TEASER.replace("title: Une brève", "title:"),
        ["3: title: is empty; write the text"],
    ),
    "a null category": (
        TEASER.replace("[Asie]", "[null]"),
        ["6: categories[0]: is empty; write the text"],
    ),
    "a date without time": (
        TEASER.replace("2024-06-19T15:00:00+08:00", "2024-06-19"),
        [
            "5: published: '2024-06-19' has a date but no time; write the time and the UTC offset "
            "of the place it was published, e.g. 2024-06-19T14:30:00+09:00 (or Z for UTC)"
        ],
    ),
    "a French colon in a title": (
        TEASER.replace("Une brève", "Corée du Nord : Poutine à Pyongyang"),
        [
            "3: title: holds a colon followed by a space, which YAML reads as the start of another "
            "field; because of that colon, put the whole value in quotes: "
            'title: "Corée du Nord : Poutine à Pyongyang"'
        ],
    ),
    "a bad indent": (
        TEASER.replace("access: members", "access: members\n  x: y"),
        [
            "9: file: is not valid YAML at column 4 (mapping values are not allowed in this "
            "context); check the indentation (spaces, the same for fields at one level), and put "
            "in quotes a value that holds ': ' or ' #' or starts with [ { ' \" * & ! | > % @"
        ],
    ),
}


@pytest.mark.parametrize("case", WORDING)
def test_each_mistake_gets_one_exact_answer(write_item: WriteItem, case: str) -> None:
    text, expected = WORDING[case]
    assert _problems(write_item, text) == expected


def test_the_quoted_title_suggested_is_valid(write_item: WriteItem) -> None:
    title = 'Corée : le "Nord" \\ Poutine'
    (line,) = _problems(write_item, TEASER.replace("Une brève", title))
    suggested = line.split("in quotes: ", 1)[1]
    assert yaml.safe_load(suggested) == {"title": title}


def test_plurals_and_the_missing_items_folder(write_item: WriteItem, tmp_path: Path) -> None:
    items_dir = write_item("x.md", TEASER).parent
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["validate", str(items_dir), "--now", NOW])
    assert result.output == "1 item valid: 1 live, 0 drafts, 0 scheduled.\n"
    build(items_dir, out)
    (out / "public" / "rss.xml").write_bytes(b"old")
    check = build(items_dir, out, "--check")
    assert check.stderr == f"1 file in {out} is not current; run `feedsvc build`.\n"
    for command in ("validate", "build"):
        missing = CliRunner().invoke(main, [command, str(tmp_path / "nope")])
        assert missing.exit_code == 2
        assert f"{tmp_path / 'nope'} does not exist; give the folder that holds feed.yaml" in (
            missing.stderr
        )
        assert "ITEMS_DIR" not in missing.stderr.splitlines()[-1]
