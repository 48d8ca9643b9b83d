"""The front door in a real browser: headless Chromium loads out/index.html as a visitor would."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from feeds import build
from helpers import BUNDLED_ITEMS
from lxml import html

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
]  # fmt: skip


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install chromium (see .ci/run)")
        pytest.skip("chromium is not installed")
    return found


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    assert build(BUNDLED_ITEMS, out).exit_code == 0
    return out / "public" / "index.html"


def _run(page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [_chromium(), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run([*command, page.as_uri()], capture_output=True, timeout=90, check=True)


def test_chromium_shows_the_feeds_and_latest_items(page: Path, tmp_path: Path) -> None:
    dom = html.fromstring(_run(page, tmp_path, "--dump-dom").stdout)
    text = " ".join(dom.body.text_content().split())
    assert "Actualités Asie" in text
    assert "S'abonner" in text
    assert "https://www.example.com/feeds/rss.xml" in text
    assert "https://www.example.com/feeds/categories/coree-du-nord/atom.xml" in text
    assert "La Corée du Nord accueille chaleureusement M. Poutine" in text
    assert "Réservé aux membres" in text
    assert "Photo : Rodrigo Duterte" in text
    feeds = {link.get("type"): link.get("href") for link in dom.xpath("//link[@rel='alternate']")}
    assert feeds == {
        "application/rss+xml": "rss.xml",
        "application/atom+xml": "atom.xml",
        "application/feed+json": "feed.json",
    }


def test_chromium_renders_it_at_phone_width(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "phone.png"
    _run(page, tmp_path, f"--screenshot={shot}", "--window-size=390,844")
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert (width, height) == (390, 844)
    assert shot.stat().st_size > 20_000  # a blank page compresses to almost nothing
