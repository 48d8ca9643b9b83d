"""Each check on an item file: the bad input, the field and line reported, and the fix offered."""

from __future__ import annotations

import re

import pytest
from helpers import LEAD, TEASER, WriteItem
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from feedsvc.index import load_items
from feedsvc.model import ITEM, Lead
from feedsvc.model import _types as fields

# (name, file content, field, line, fragment of the message)
CASES = [
    (
        "title-two-lines",
        LEAD.replace("title: Un article complet", 'title: "Un article\\ncomplet"'),
        "title",
        3,
        "must fit on one line",
    ),
    ("title-empty", LEAD.replace("title: Un article complet", 'title: ""'), "title", 3, "is empty"),
    ("title-long", LEAD.replace("Un article complet", "x" * 201), "title", 3, "at most 200"),
    (
        "title-html",
        LEAD.replace("Un article complet", "Un <b>article</b>"),
        "title",
        3,
        "HTML tag '<b>'",
    ),
    (
        "title-entity",
        LEAD.replace("Un article complet", "Un&nbsp;article"),
        "title",
        3,
        "type the character itself",
    ),
    (
        "title-number",
        LEAD.replace("Un article complet", "2024"),
        "title",
        3,
        "put the value in quotes",
    ),
    (
        "title-control-escape",
        LEAD.replace("title: Un article complet", 'title: "Un \\x07article"'),
        "title",
        3,
        "U+0007 at line 1, column 4",
    ),
    (
        "url-relative",
        LEAD.replace("https://www.example.com/2024/06/19/article", "/2024/article"),
        "url",
        4,
        "not an absolute web address",
    ),
    (
        "url-ftp",
        LEAD.replace("https://www.example.com/2024/06/19/article", "ftp://example.com/a"),
        "url",
        4,
        "not an absolute web address",
    ),
    (
        "date-naive",
        LEAD.replace("2024-06-19T14:30:00+09:00", "2024-06-19T14:30:00"),
        "published",
        5,
        "has no UTC offset",
    ),
    (
        "date-only",
        LEAD.replace("2024-06-19T14:30:00+09:00", "2024-06-19"),
        "published",
        5,
        "has a date but no time",
    ),
    (
        "date-garbage",
        LEAD.replace("2024-06-19T14:30:00+09:00", "19 juin 2024"),
        "published",
        5,
        "not an ISO 8601 date",
    ),
    (
        "date-number",
        LEAD.replace("2024-06-19T14:30:00+09:00", "1718775000"),
        "published",
        5,
        "must be an ISO 8601 date",
    ),
    (
        "updated-before-published",
        LEAD.replace("categories:", "updated: 2024-06-19T05:00:00+00:00\ncategories:"),
        "updated",
        6,
        "is before published",
    ),
    (
        "categories-missing",
        LEAD.replace("categories: [Asie]\n", ""),
        "categories",
        2,
        "is required",
    ),
    ("categories-empty", LEAD.replace("[Asie]", "[]"), "categories", 6, "at least one"),
    ("category-blank", LEAD.replace("[Asie]", '[Asie, "  "]'), "categories[1]", 6, "is empty"),
    (
        "categories-too-many",
        LEAD.replace("[Asie]", "[" + ", ".join(f"c{i}" for i in range(21)) + "]"),
        "categories",
        6,
        "at most 20",
    ),
    (
        "kind-missing",
        LEAD.replace("kind: lead\n", ""),
        "kind",
        2,
        "is required: write 'kind: lead'",
    ),
    (
        "kind-wrong",
        LEAD.replace("kind: lead", "kind: article"),
        "kind",
        2,
        "must be 'lead'",
    ),
    (
        "access-french",
        TEASER.replace("access: members", "access: Membres"),
        "access",
        8,
        "'public'",
    ),
    (
        "draft-not-bool",
        LEAD.replace("kind: lead", "kind: lead\ndraft: peut-être"),
        "draft",
        3,
        "true or false",
    ),
    (
        "unknown-field",
        LEAD.replace("kind: lead", "kind: lead\ntitel: x"),
        "titel",
        3,
        "did you mean 'title'?",
    ),
    (
        "photo-no-caption",
        LEAD.replace("  caption: Une légende.\n", ""),
        "photo.caption",
        7,
        "is required",
    ),
    (
        "photo-unknown-key",
        LEAD.replace("  caption: Une légende.", "  caption: Une légende.\n  legende: x"),
        "photo.legende",
        10,
        "known: caption, credit, type, url",
    ),
    (
        "photo-bad-type",
        LEAD.replace("  caption: Une légende.", "  caption: Une légende.\n  type: jpeg"),
        "photo.type",
        10,
        "image/jpeg",
    ),
    (
        "teaser-with-body",
        TEASER + "Un texte qui serait perdu.\n",
        "body",
        10,
        "a teaser has no body",
    ),
    (
        "teaser-no-summary",
        TEASER.replace("summary: Le résumé de la brève.\n", ""),
        "summary",
        2,
        "is required",
    ),
    (
        "summary-html",
        TEASER.replace("Le résumé de la brève.", "<script>alert(1)</script>"),
        "summary",
        7,
        "HTML tag",
    ),
    (
        "body-in-front-matter",
        LEAD.replace("kind: lead", "kind: lead\nbody: texte"),
        "body",
        3,
        "goes below",
    ),
    (
        "author-bad-email",
        LEAD.replace("kind: lead", "kind: lead\nauthors: [{name: A, email: pas-un-email}]"),
        "authors[0].email",
        3,
        "not an e-mail address",
    ),
]


@pytest.mark.parametrize(
    ("content", "field", "line", "fragment"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_item_is_reported_at_its_field_and_line(
    write_item: WriteItem, content: str, field: str, line: int, fragment: str
) -> None:
    path = write_item("item.md", content)
    store = load_items(path.parent)
    assert len(store.problems) == 1, store.problems
    (problem,) = store.problems
    assert problem.path == path
    assert (problem.field, problem.line) == (field, line), str(problem)
    assert fragment in problem.message


FILE_CASES = [
    ("no-front-matter", b"Just text\n", 1, "has no front matter"),
    ("unclosed", b"---\nkind: lead\n", 1, "not closed"),
    ("bad-yaml", b"---\nkind: lead\ntitle: [unclosed\nurl: x\n---\n", 4, "not valid YAML"),
    ("not-a-mapping", b"---\n- a\n- b\n---\n", 2, "must be fields"),
    ("latin-1", "---\nkind: lead\ntitle: Cor\u00e9e\n---\n".encode("latin-1"), 3, "not UTF-8"),
    (
        "control-in-yaml",
        b"---\nkind: lead\ntitle: a\x01b\n---\n",
        3,
        "column 9: the control character U+0001",
    ),
    ("control-in-body", LEAD.encode() + b"x\x0cy\n", 14, "column 2: the control character U+000C"),
    ("python-tag", b"---\nkind: !!python/object:os.system x\n---\n", 2, "not valid YAML"),
]


@pytest.mark.parametrize(
    ("content", "line", "fragment"), [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES]
)
def test_unreadable_file_is_one_problem_at_its_line(
    write_item: WriteItem, content: bytes, line: int, fragment: str
) -> None:
    path = write_item("item.md", "")
    path.write_bytes(content)
    (problem,) = load_items(path.parent).problems
    assert (problem.field, problem.line) == ("file", line), str(problem)
    assert fragment in problem.message


def test_members_lead_needs_its_own_summary(write_item: WriteItem) -> None:
    # Its first paragraph is members' text: it must never become the public summary.
    path = write_item("item.md", LEAD.replace("kind: lead", "kind: lead\naccess: members"))
    (problem,) = load_items(path.parent).problems
    assert problem.field == "summary"
    assert "a members-only lead may not" in problem.message


def test_lead_with_empty_body_is_told_to_write_one(write_item: WriteItem) -> None:
    path = write_item("item.md", LEAD.split("---\n")[1].join(["---\n", "---\n\n"]))
    problems = {p.field: p for p in load_items(path.parent).problems}
    assert problems["body"].line == 11
    assert "is empty; a lead carries the full article" in problems["body"].message
    assert "leave it out when its body opens with a paragraph" in problems["summary"].message


def _lead(**changes: object) -> Lead:
    data: dict[str, object] = {
        "kind": "lead",
        "title": "T",
        "url": "https://www.example.com/a",
        "published": "2024-06-19T14:30:00+09:00",
        "categories": ["Asie"],
        "body": "Texte.",
    }
    data.update(changes)
    item = ITEM.validate_python(data)
    assert isinstance(item, Lead)
    return item


def test_categories_are_trimmed_folded_and_deduplicated_keeping_first_spelling() -> None:
    item = _lead(categories=["  Corée   du Nord ", "corée du nord", "Asie", "ASIE", "Russie"])
    assert item.categories == ("Corée du Nord", "Asie", "Russie")


def test_text_is_normalised_to_nfc() -> None:
    decomposed = "Core\u0301e"  # 'e' + combining acute
    item = _lead(title=decomposed, categories=[decomposed, "Cor\u00e9e"])
    assert item.title == "Cor\u00e9e"
    assert item.categories == ("Cor\u00e9e",)


def test_id_defaults_to_url_and_stays_when_given() -> None:
    assert _lead().id == "https://www.example.com/a"
    assert _lead(id="urn:uuid:1234").id == "urn:uuid:1234"


def test_summary_is_derived_from_first_paragraph_at_a_word_boundary() -> None:
    words = " ".join(["mot"] * 200)
    item = _lead(body=f"# Titre\n\nUn *premier* [lien](https://x.example) {words}\n\nSuite.")
    assert item.summary.startswith("Un premier lien mot")
    assert item.summary.endswith("mot…")
    assert len(item.summary) <= 300
    assert _lead(body="Court.", summary="Écrit à la main.").summary == "Écrit à la main."


def test_offsets_are_kept_as_written() -> None:
    item = _lead(published="2024-06-19T14:30:00+09:00", updated="2024-06-19T06:00:00Z")
    assert item.published.utcoffset() is not None
    assert item.published.isoformat() == "2024-06-19T14:30:00+09:00"
    assert item.last_modified.isoformat() == "2024-06-19T06:00:00+00:00"


def test_yaml_timestamps_are_not_guessed(write_item: WriteItem) -> None:
    # YAML 1.1 would read this as a naive datetime and a date; both must be refused.
    path = write_item("item.md", LEAD.replace("2024-06-19T14:30:00+09:00", "2024-06-19 14:30:00"))
    (problem,) = load_items(path.parent).problems
    assert "has no UTC offset" in problem.message


URLISH = st.text(alphabet="hts:/pw.exam-ple0123456789?#[]@%: é\t", max_size=30).map(
    lambda tail: "https://" + tail
) | st.text(alphabet="htps:/w.e-x0?#[]é ", max_size=24)


@settings(max_examples=300, deadline=None)
@given(URLISH)
def test_the_quick_url_check_agrees_with_urlsplit(value: str) -> None:
    def outcome() -> str:
        try:
            return fields._url(value)
        except (PydanticCustomError, ValueError) as error:
            return f"refused: {error}"

    quick = outcome()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fields, "_PLAIN_URL", re.compile(r"(?!)"))  # never matches
        assert outcome() == quick
