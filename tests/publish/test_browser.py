"""The front door in a real browser: headless Chromium loads out/index.html as a visitor would."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import html5lib
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


# Headless Chromium lays a window out at least 500 px wide: the page is measured in a frame of
# the width under test, by a script beside it that opens the folded feeds first.
MEASURE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="index.html" style="border:0;width:WIDTHpx;height:900px"></iframe>
<script>
const frame = document.getElementById("f");
frame.addEventListener("load", () => {
  const doc = frame.contentDocument, root = doc.documentElement;
  for (const d of doc.querySelectorAll("details")) d.open = true;
  const found = [...doc.querySelectorAll("a.addr")].map(a => {
    const box = a.getBoundingClientRect();
    return {text: a.textContent, href: a.href, left: box.left, right: box.right,
            lines: a.getClientRects().length};
  });
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({width: root.clientWidth, scroll: root.scrollWidth,
    buttons: [...doc.querySelectorAll("button.copy")].filter(b => !b.hidden).length,
    addresses: found});
  document.body.append(out);
});
</script></body></html>"""


@pytest.mark.parametrize("width", [390, 1280])
def test_every_address_is_whole_and_nothing_scrolls_sideways(
    page: Path, tmp_path: Path, width: int
) -> None:
    shutil.copy(page, tmp_path / "index.html")
    frame = tmp_path / "measure.html"
    frame.write_text(MEASURE.replace("WIDTH", str(width)), encoding="utf-8")
    flags = ("--dump-dom", "--allow-file-access-from-files", "--window-size=1400,1000")
    dom = html.fromstring(_run(frame, tmp_path, *flags).stdout)
    found = json.loads(dom.get_element_by_id("measured").text)
    assert found["width"] == width
    assert found["scroll"] <= width  # no horizontal scrolling
    addresses = found["addresses"]
    assert len(addresses) == 3 * (1 + 9 + 1) == found["buttons"]  # the script shows them
    for address in addresses:
        assert address["text"] == address["href"].replace(
            (tmp_path / "index.html").parent.as_uri() + "/", "https://www.example.com/feeds/"
        ) or address["text"].startswith("https://www.example.com/feeds/members/")
        assert 0 <= address["left"] < address["right"] <= width, address
    if width == 1280:
        assert all(address["lines"] == 1 for address in addresses)


def test_addresses_break_only_after_a_slash(page: Path) -> None:
    # html5lib parses as browsers do: <wbr> is empty (libxml2 would nest the rest in it).
    dom = html5lib.parse(page.read_bytes(), treebuilder="lxml", namespaceHTMLElements=False)
    anchors = dom.xpath("//a[@class='addr']")
    assert anchors
    for anchor in anchors:
        marked = (anchor.text or "") + "".join("|" + (wbr.tail or "") for wbr in anchor)
        assert marked.replace("|", "") == "".join(anchor.itertext())
        assert all(piece.endswith("/") for piece in marked.split("|")[:-1]), marked
        assert marked.startswith("https://|")  # never between the two slashes
