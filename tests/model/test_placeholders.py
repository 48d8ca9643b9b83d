"""A file from `feedsvc new` publishes nothing of the template's once its draft line is gone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from feeds import build

from feedsvc.cli import main
from feedsvc.index import load_items
from feedsvc.model import template


def _new(items_dir: Path, kind: str) -> Path:
    result = CliRunner().invoke(main, ["new", kind, "Un essai", "--items", str(items_dir)])
    assert result.exit_code == 0, result.output
    return items_dir / result.output.strip().rsplit("/", 1)[-1]


def _problems(items_dir: Path) -> dict[str, str]:
    return {p.field: p.message for p in load_items(items_dir).problems}


PLACEHOLDER_FIELDS = {
    "lead": {"categories", "summary", "photo", "body"},
    "teaser": {"categories", "summary", "photo"},
}


@pytest.mark.parametrize("kind", ["lead", "teaser"])
def test_a_live_item_holding_the_template_is_refused_field_by_field(
    items_dir: Path, tmp_path: Path, kind: str
) -> None:
    path = _new(items_dir, kind)
    assert _problems(items_dir) == {}  # a draft may hold them
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("draft: true\n", ""), encoding="utf-8")
    problems = _problems(items_dir)
    assert set(problems) == PLACEHOLDER_FIELDS[kind]
    for message in problems.values():
        assert "template" in message and "draft: true" in message
    result = build(items_dir, tmp_path / "out")
    assert result.exit_code == 1 and not (tmp_path / "out").exists()
    assert f"{path}:8: summary: is still the template's" in result.output


# Each placeholder replaced in turn: the others are still named, the replaced one no longer.
REPLACEMENTS = {
    "categories": (template.CATEGORY, "Asie"),
    "summary": (template.SUMMARY, "Un vrai résumé."),
    "body": (template.BODY, "Le vrai texte."),
    "caption": (template.CAPTION, "Une vraie légende."),
}


@pytest.mark.parametrize("replaced", sorted(REPLACEMENTS))
def test_each_placeholder_is_found_on_its_own(items_dir: Path, replaced: str) -> None:
    path = _new(items_dir, "lead")
    text = path.read_text(encoding="utf-8").replace("draft: true\n", "")
    path.write_text(text.replace(*REPLACEMENTS[replaced]), encoding="utf-8")
    left = PLACEHOLDER_FIELDS["lead"] - {"photo" if replaced == "caption" else replaced}
    problems = _problems(items_dir)
    if replaced == "caption":  # the photo's address is still the template's too
        assert "url is still the template's" in problems.pop("photo")
    assert set(problems) == left


def test_an_item_with_every_placeholder_replaced_is_live(items_dir: Path, tmp_path: Path) -> None:
    path = _new(items_dir, "lead")
    text = path.read_text(encoding="utf-8").replace("draft: true\n", "")
    for old, new in REPLACEMENTS.values():
        text = text.replace(old, new)
    text = re.sub(r"(?m)^  url: .*\.jpg$", "  url: https://www.example.com/img/essai.jpg", text)
    path.write_text(text, encoding="utf-8")
    assert _problems(items_dir) == {}
    # Folding case does not hide the placeholder category.
    path.write_text(text.replace("- Asie", "- à CLASSER"), encoding="utf-8")
    assert set(_problems(items_dir)) == {"categories"}


def test_the_template_writes_the_shared_placeholders(items_dir: Path) -> None:
    text = _new(items_dir, "lead").read_text(encoding="utf-8")
    fields = yaml.safe_load(text.split("---\n")[1])
    assert fields["categories"] == [template.CATEGORY]
    assert (fields["summary"], fields["photo"]["caption"]) == (template.SUMMARY, template.CAPTION)
    assert fields["photo"]["url"] == template.placeholder_photo_url(fields["url"])
    assert text.split("---\n")[2].strip() == template.BODY
