"""A disk that fills up, or turns read-only, under a build: a clear message, no torn file.

Real file systems, not mocks: a tiny tmpfs is mounted for each test, which needs root (as CI
runs); elsewhere the tests are skipped.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from feeds import build, snapshot
from helpers import BUNDLED_ITEMS
from lxml import etree

SMALL = "formats: [rss]\ncategory_feeds: false\nmembers_feed: false\n"


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _items(tmp_path: Path, extra: str) -> Path:
    items = Path(shutil.copytree(BUNDLED_ITEMS, tmp_path / "items"))
    settings = items / "feed.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return items


def test_a_full_disk_stops_the_build_with_no_torn_file(tiny: Path, tmp_path: Path) -> None:
    items = _items(tmp_path, SMALL)
    out = tiny / "out"
    assert build(items, out).exit_code == 0
    before = snapshot(out)
    # Every format and feed: about 200 KB, more than the 64 KiB the disk holds.
    (items / "feed.yaml").write_text(
        (items / "feed.yaml").read_text(encoding="utf-8").replace(SMALL, ""), encoding="utf-8"
    )
    result = build(items, out)
    assert result.exit_code == 1
    assert f"cannot write to {out}: No space left on device" in result.output
    assert "Traceback" not in result.output
    after = snapshot(out)
    assert not [name for name in after if name.endswith(".tmp")]
    for name, data in after.items():
        if name in before and data != before[name]:
            assert name.endswith((".xml", ".html", ".json"))
        if name.endswith(".xml"):
            etree.fromstring(data)  # whole documents only


def test_a_read_only_out_keeps_every_file(tiny: Path, tmp_path: Path) -> None:
    items = _items(tmp_path, SMALL)
    out = tiny / "out"
    assert build(items, out).exit_code == 0
    before = snapshot(out)
    settings = items / "feed.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("Actualités Asie", "Asie"), encoding="utf-8"
    )
    subprocess.run(["mount", "-o", "remount,ro", str(tiny)], check=True)
    result = build(items, out)
    assert result.exit_code == 1
    assert f"cannot write to {out}: Read-only file system" in result.output
    assert snapshot(out) == before


def test_a_file_where_a_folder_belongs_is_named(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(BUNDLED_ITEMS, out, "--no-cache").exit_code == 0
    folder = out / "public" / "categories" / "asie"
    shutil.rmtree(folder)
    folder.write_text("x")
    result = build(BUNDLED_ITEMS, out, "--no-cache")
    assert result.exit_code == 1
    assert f"cannot write to {folder}: Not a directory" in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
