"""Hostile input and the things that must never leak: XSS, members' text, machine paths."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from feeds import NOW, build, decoded, parsed, snapshot
from helpers import LEAD, TEASER, WriteItem

from feedsvc.items import MAX_FILE_BYTES
from feedsvc.publish import exclusive
from feedsvc.publish._layout import LOCK_FILE

# Known vectors from XSS filter-evasion lists, as an editor might paste them into a body.
XSS = [
    "<script>alert('xss-1')</script>",
    "<SCRIPT SRC=//xss.example/xss-2.js></SCRIPT>",
    '<img src="x" onerror="alert(\'xss-3\')">',
    "<a href=\"javascript:alert('xss-4')\">lien</a>",
    "<a href=\"JaVaScRiPt:alert('xss-5')\">lien</a>",
    "<a href=\"&#106;avascript:alert('xss-6')\">lien</a>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgneHNzLTcnKTwvc2NyaXB0Pg==">lien</a>',
    '<iframe src="https://xss.example/xss-8"></iframe>',
    "<style>body{background:url('javascript:alert(\"xss-9\")')}</style>",
    "<div style=\"background-image: url(javascript:alert('xss-10'))\">x</div>",
    "<svg onload=\"alert('xss-11')\"></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=\"alert('xss-12')\">",
    "<object data=\"javascript:alert('xss-13')\"></object>",
    "<embed src=\"javascript:alert('xss-14')\">",
    '<form action="javascript:alert(\'xss-15\')"><input type="submit"></form>',
    "<body onload=\"alert('xss-16')\">",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'xss-17\')">',
    "<base href=\"javascript:alert('xss-18')//\">",
    "<details open ontoggle=\"alert('xss-19')\">",
    "[markdown](javascript:alert('xss-20'))",
    "![image](javascript:alert('xss-21'))",
    "<a href=\"vbscript:msgbox('xss-22')\">lien</a>",
    "<img src=`javascript:alert('xss-23')`>",
    "<p onmouseover=\"alert('xss-24')\">survol</p>",
    "<!--<script>alert('xss-25')</script>-->",
]
DANGER = re.compile(
    r"<\s*(script|style|iframe|object|embed|form|input|svg|math|meta|base|body|details)\b"
    r"|\son[a-z]+\s*="
    r"|(href|src|action|data)\s*=\s*[\"'`]?\s*(javascript|vbscript|data):",
    re.IGNORECASE,
)


def test_no_xss_vector_survives_into_any_output(write_item: WriteItem, tmp_path: Path) -> None:
    body = "\n\n".join(XSS)
    items_dir = write_item("a.md", LEAD + "\n" + body + "\n").parent
    write_item("b.md", LEAD.replace("/article", "/membres").replace("kind: lead", "kind: lead\n"
               "access: members\nsummary: Résumé public.") + "\n" + body + "\n")  # fmt: skip
    out = tmp_path / "out"
    result = build(items_dir, out)
    assert result.exit_code == 0, result.output
    files = snapshot(out)
    assert len(files) > 5
    for name, data in files.items():
        if name == "public/index.html":  # the page's own head (meta, style, script) and
            # folded category list are not content
            data = data.split(b"<body", 1)[1].replace(b'<details class="categories">', b"", 1)
        for match in DANGER.finditer(decoded(data)):
            pytest.fail(f"{name}: {match.group()!r} survived")
    # The harmless part of the body is still there.
    content = parsed(out / "public" / "atom.xml").entries
    assert any("Le premier paragraphe" in e.content[0].value for e in content if "content" in e)


def test_members_body_hidden_even_after_decoding(write_item: WriteItem, tmp_path: Path) -> None:
    secret = "Le-secret&amp;des-membres"
    write_item("a.md", TEASER)
    items_dir = write_item(
        "b.md",
        LEAD.replace("kind: lead", "kind: lead\naccess: members\nsummary: Résumé public.")
        + f"\nTexte {secret} ici.\n",
    ).parent
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    files = snapshot(out)
    for name, data in files.items():
        seen = "Le-secret&des-membres" in decoded(data) or b"Le-secret" in data
        assert seen == name.startswith("members/"), name
    assert len(files) == 10  # main, category Asie and members in 3 formats, index


def test_no_output_names_a_path_of_the_building_machine(
    write_item: WriteItem, tmp_path: Path
) -> None:
    items_dir = write_item("a.md", LEAD).parent
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    markers = {str(tmp_path), str(Path.home()), os.getcwd(), sys.prefix, "/tmp/", "/root"}
    for name, data in snapshot(out).items():
        text = data.decode("utf-8")
        for marker in markers:
            assert marker not in text, (name, marker)


def test_symlink_to_outside_the_items_folder_is_refused(
    write_item: WriteItem, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text(LEAD, encoding="utf-8")
    items_dir = write_item("ok.md", TEASER).parent
    (items_dir / "link.md").symlink_to(outside)
    (items_dir / "folder").symlink_to(tmp_path, target_is_directory=True)
    inside = items_dir / "inside.md"
    inside.symlink_to(items_dir / "ok.md")
    result = build(items_dir, tmp_path / "out")
    assert result.exit_code == 1
    assert f"{items_dir / 'link.md'}:1: file: is a link to outside the items folder" in (
        result.output
    )
    assert f"{items_dir / 'folder'}:1: file: is a link to outside" in result.output
    # A link that stays inside is an ordinary file: here a duplicate url of ok.md.
    assert "inside.md" in result.output and "is also the url" in result.output


def test_oversized_file_and_body_are_refused(write_item: WriteItem, tmp_path: Path) -> None:
    write_item("big.md", LEAD + "x" * MAX_FILE_BYTES)
    items_dir = write_item("long.md", LEAD.replace("/article", "/long") + "y " * 150_000).parent
    result = build(items_dir, tmp_path / "out")
    assert result.exit_code == 1
    assert f"{items_dir / 'big.md'}:1: file: is 1025 KiB; an item file holds at most" in (
        result.output
    )
    assert f"{items_dir / 'long.md'}:11: body: is 300" in result.output


def test_alias_bomb_is_refused_quickly(write_item: WriteItem, tmp_path: Path) -> None:
    levels = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        refs = ",".join([f"*a{level - 1}"] * 10)
        levels.append(f"a{level}: &a{level} [{refs}]")
    bomb = "---\n" + "\n".join(levels) + "\nkind: teaser\ncategories: *a9\n---\n"
    items_dir = write_item("bomb.md", bomb).parent
    write_item("ok.md", TEASER)
    result = subprocess.run(
        [sys.executable, "-m", "feedsvc", "build", "--items", str(items_dir),
         "--out", str(tmp_path / "out"), "--now", NOW, "--no-cache"],
        capture_output=True, text=True, timeout=20, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{items_dir / 'bomb.md'}:" in result.stderr


def test_lock_from_a_live_build_makes_the_next_one_wait_then_fail(
    bundled_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with exclusive(out, wait=0):
        result = build(bundled_copy, out, "--wait", "0.2")
    assert result.exit_code == 1
    assert "another feedsvc build is writing" in result.output
    assert LOCK_FILE in result.output
    assert build(bundled_copy, out).exit_code == 0
