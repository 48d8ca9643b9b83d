"""What validate and build print: a summary line, every file, only problems, JSON, progress."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from feeds import NOW, build
from helpers import BUNDLED_ITEMS, LEAD, TEASER, WriteItem

from feedsvc._progress import LONG
from feedsvc.cli import main


@pytest.fixture(scope="module")
def report_schema() -> dict[str, Any]:
    result = CliRunner().invoke(main, ["schema", "report"])
    assert result.exit_code == 0
    schema: dict[str, Any] = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _report(schema: dict[str, Any], args: list[str], code: int) -> dict[str, Any]:
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == code, result.output
    report: dict[str, Any] = json.loads(result.stdout)  # JSON, and nothing else, on stdout
    jsonschema.validate(report, schema, format_checker=jsonschema.FormatChecker())
    assert report["exit_code"] == code and report["ok"] is (code == 0)
    return report


def test_json_reports_of_every_outcome_follow_the_schema(
    report_schema: dict[str, Any], write_item: WriteItem, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    items_dir = write_item("a.md", LEAD).parent
    build_args = ["build", str(items_dir), "--out", str(out), "--now", NOW]

    report = _report(report_schema, ["validate", str(items_dir), "--now", NOW], 0)
    assert report["counts"]["items"] == report["counts"]["live"] == 1 and report["files"] == []

    report = _report(report_schema, build_args, 0)
    assert report["counts"]["written"] == len(report["files"]) > 0
    assert {f["status"] for f in report["files"]} == {"written"}
    assert str(out / "public" / "rss.xml") in {f["path"] for f in report["files"]}

    (out / "public" / "rss.xml").write_bytes(b"old")
    report = _report(report_schema, [*build_args, "--check"], 1)
    assert [f["path"] for f in report["files"] if f["status"] == "differs"] == [
        str(out / "public" / "rss.xml")
    ]

    write_item("b.md", TEASER.replace("title: Une brève", "title: ''"))
    report = _report(report_schema, build_args, 1)
    (problem,) = report["problems"]
    assert problem["file"] == str(items_dir / "b.md")
    assert (problem["line"], problem["field"], problem["severity"]) == (3, "title", "error")
    assert report["counts"]["errors"] == 1 and report["files"] == []

    (items_dir / "b.md").unlink()
    (out / "public").rename(tmp_path / "elsewhere")
    (out / "public").symlink_to(tmp_path / "elsewhere")
    report = _report(report_schema, build_args, 1)
    assert "is a link" in report["error"] and report["problems"] == []


def test_quiet_prints_only_problems(write_item: WriteItem, tmp_path: Path) -> None:
    items_dir = write_item("a.md", LEAD).parent
    out = tmp_path / "out"
    assert build(items_dir, out, "--quiet").output == ""
    assert CliRunner().invoke(main, ["validate", "-q", str(items_dir)]).output == ""
    write_item("b.md", TEASER.replace("categories: [Asie]", "categories: []"))
    result = build(items_dir, out, "--quiet")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{items_dir / 'b.md'}:6: categories: needs at least one entry, e.g. [Asie]",
        "1 problem found; nothing was written.",
    ]
    both = CliRunner().invoke(main, ["build", "-q", "-v", str(items_dir)])
    assert both.exit_code == 2


def _many_items(folder: Path, count: int) -> Path:
    folder.mkdir()
    (folder / "feed.yaml").write_bytes((BUNDLED_ITEMS / "feed.yaml").read_bytes())
    for number in range(count):
        text = TEASER.replace("breve", f"breve-{number}").replace("access: members\n", "")
        (folder / f"b{number}.md").write_text(text, encoding="utf-8")
    return folder


def _on_a_terminal(command: list[str]) -> tuple[int, str, str]:
    """Run `command` with stderr on a pseudo-terminal; its exit code, stdout and terminal."""
    leader, follower = pty.openpty()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=follower) as process:
        os.close(follower)
        seen = b""
        while True:  # read as it comes: a full terminal buffer would stop the child
            ready, _, _ = select.select([leader], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            seen += chunk
        stdout = process.stdout.read() if process.stdout else b""
    os.close(leader)
    return process.returncode, stdout.decode(), seen.decode(errors="replace")


def test_a_long_build_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    items = _many_items(tmp_path / "items", LONG)
    command = [sys.executable, "-m", "feedsvc", "build", str(items), "--out",
               str(tmp_path / "out"), "--now", NOW, "--no-cache"]  # fmt: skip
    code, stdout, terminal = _on_a_terminal(command)
    assert code == 0, terminal
    assert f"scan    {LONG} item files" in terminal
    assert "parse   [" in terminal and f"{LONG}/{LONG}" in terminal
    assert "render  [" in terminal and "write   [" in terminal
    assert stdout.count("\n") == 1 and "files, " in stdout  # the summary alone, on stdout

    piped = subprocess.run(
        [*command[:-1], "--no-cache"], capture_output=True, text=True, check=True, timeout=120
    )
    assert piped.stderr == ""  # cron's mail and CI logs: no bars, no control characters
    assert piped.stdout.count("\n") == 1


def test_the_summary_says_how_long_the_build_took(tmp_path: Path) -> None:
    items_dir = _many_items(tmp_path / "items", 50)
    result = build(items_dir, tmp_path / "out")
    assert result.exit_code == 0, result.output
    summary = result.output.splitlines()[-1]
    seconds = float(summary.rsplit("; ", 1)[1].removesuffix(" s."))
    assert seconds > 0, summary  # it said 0.00 s whatever the build took
