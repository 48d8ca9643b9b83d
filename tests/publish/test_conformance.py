"""Every XML feed a build writes, through the RSS 2.0 / RFC 4287 / W3C-rule checker.

The bar is zero errors and zero warnings, for the bundled items and for items that use every
optional field (credits, bylines with e-mail and URL, comments, updates, members-only leads).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from conformance import check_tree
from feeds import build
from helpers import BUNDLED_ITEMS, LEAD, TEASER, WriteItem

NOW = datetime(2030, 1, 1, tzinfo=UTC)

FULL_LEAD = LEAD.replace(
    "categories: [Asie]",
    "updated: 2024-06-20T08:00:00+02:00\n"
    "categories: [Asie, Corée du Nord]\n"
    "authors:\n  - Jeanne Martin\n"
    "  - {name: Paul Durand, email: paul@example.com, url: https://www.example.com/paul}\n"
    "comments: https://www.example.com/2024/06/19/article#commentaires",
).replace("  caption: Une légende.", "  caption: Une légende.\n  credit: AFP\n  type: image/jpeg")
MEMBERS_LEAD = (
    LEAD.replace("kind: lead", "kind: lead\naccess: members\nsummary: Résumé public.")
    .replace("/article", "/reserve")
    .replace("Un article complet", "Un article réservé")
)


def _check(out: Path) -> dict[str, list[str]]:
    return check_tree(out, NOW)


def test_bundled_feeds_have_no_errors_or_warnings(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(BUNDLED_ITEMS, out).exit_code == 0
    assert len(list(out.rglob("*.xml"))) == 22
    assert _check(out) == {}


@pytest.mark.parametrize("empty", [False, True], ids=["every-field", "no-live-item"])
def test_feeds_using_every_field_have_no_errors_or_warnings(
    write_item: WriteItem, tmp_path: Path, empty: bool
) -> None:
    write_item("full.md", FULL_LEAD)
    write_item("members.md", MEMBERS_LEAD)
    items_dir = write_item("teaser.md", TEASER).parent
    out = tmp_path / "out"
    now = "2000-01-01T00:00:00Z" if empty else "2030-01-01T00:00:00Z"
    assert build(items_dir, out, "--now", now).exit_code == 0
    assert _check(out) == {}
