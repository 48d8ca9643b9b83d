"""What stands where a file should: links, folders, pipes, odd names and sizes, each reported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from feeds import NOW, build, parsed
from helpers import LEAD, SETTINGS, TEASER, WriteItem

from feedsvc.cli import main
from feedsvc.index import load_items
from feedsvc.items import MAX_FILE_BYTES, read_settings


def test_a_feed_yaml_linking_out_of_the_items_folder_is_refused(
    items_dir: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(SETTINGS.replace("Flux de test", "SECRET-TITLE"), encoding="utf-8")
    (items_dir / "feed.yaml").unlink()
    (items_dir / "feed.yaml").symlink_to(elsewhere)
    (problem,) = read_settings(items_dir)  # type: ignore[misc]
    assert problem.message.startswith("is a link to outside the items folder")
    result = build(items_dir, tmp_path / "out")
    assert result.exit_code == 1 and "SECRET-TITLE" not in result.output


def test_a_feed_yaml_linking_inside_is_followed(items_dir: Path) -> None:
    (items_dir / "settings").mkdir()
    (items_dir / "feed.yaml").rename(items_dir / "settings" / "feed.yaml")
    (items_dir / "feed.yaml").symlink_to(Path("settings") / "feed.yaml")
    assert not isinstance(read_settings(items_dir), list)


def test_a_feed_yaml_that_is_a_folder_or_a_pipe_is_called_what_it_is(
    items_dir: Path, write_item: WriteItem
) -> None:
    write_item("a.md", TEASER)
    (items_dir / "feed.yaml").unlink()
    (items_dir / "feed.yaml").mkdir()
    (problem,) = read_settings(items_dir)  # type: ignore[misc]
    assert problem.message.startswith("is a folder, not a file")
    (items_dir / "feed.yaml").rmdir()
    os.mkfifo(items_dir / "feed.yaml")
    # In a child with a time limit: a read that waits for a writer would never end.
    result = subprocess.run(
        [sys.executable, "-m", "feedsvc", "validate", str(items_dir), "--now", NOW],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "feed.yaml:1: file: is a named pipe (FIFO), not a file" in result.stderr


def test_sizes_are_rounded_up_and_files_called_what_they_are(
    items_dir: Path, write_item: WriteItem
) -> None:
    path = write_item("big.md", "")
    path.write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    (items_dir / "feed.yaml").write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    problems = {p.path.name: p.message for p in load_items(items_dir).problems}
    assert problems["big.md"].startswith("is 1025 KiB; an item file holds at most 1024 KiB")
    assert problems["feed.yaml"].startswith(
        "is 1025 KiB; the feed settings file holds at most 1024 KiB"
    )


def test_a_link_to_nothing_and_a_pipe_with_an_item_name_are_reported(
    items_dir: Path, write_item: WriteItem
) -> None:
    write_item("a.md", TEASER)
    (items_dir / "perdu.md").symlink_to("ailleurs.md")
    os.mkfifo(items_dir / "tube.md")
    problems = {p.path.name: p.message for p in load_items(items_dir).problems}
    assert problems == {
        "perdu.md": "is a link to a file that does not exist; fix or remove the link",
        "tube.md": "is a named pipe, device or socket, not a file; an item must be an "
        "ordinary file",
    }


def test_an_item_with_an_upper_case_suffix_is_an_item(
    write_item: WriteItem, tmp_path: Path
) -> None:
    items_dir = write_item("a.md", TEASER).parent
    write_item("B.MD", LEAD)
    result = build(items_dir, tmp_path / "out")
    assert result.exit_code == 0, result.output
    # The members' feed: every item, headlines without the public feeds' marker.
    titles = {entry.title for entry in parsed(tmp_path / "out" / "members" / "rss.xml").entries}
    assert titles == {"Une brève", "Un article complet"}


def test_a_newline_in_a_file_name_keeps_one_problem_per_line(items_dir: Path) -> None:
    folder = items_dir / "deux\nlignes"
    folder.mkdir()
    (folder / "a\rb.md").write_text(TEASER.replace("kind: teaser\n", ""), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(items_dir)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == (
        f"{items_dir}/deux\\nlignes/a\\rb.md:2: kind: is required: write 'kind: lead' (a full "
        "article) or 'kind: teaser' (a headline)"
    )
    assert lines[1:] == ["1 problem found."]
