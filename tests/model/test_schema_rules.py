"""`feedsvc schema item` says what the validators enforce: generated values are judged alike."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from feedsvc.cli import main
from feedsvc.model import ITEM

BASE: dict[str, Any] = {
    "kind": "teaser",
    "title": "Une brève",
    "url": "https://www.example.com/2024/06/19/breve",
    "published": "2024-06-19T15:00:00+08:00",
    "categories": ["Asie"],
    "summary": "Le résumé.",
}


@pytest.fixture(scope="module")
def schema() -> jsonschema.Draft202012Validator:
    document = json.loads(CliRunner().invoke(main, ["schema", "item"]).output)
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document)


def _judged(schema: jsonschema.Draft202012Validator, **fields: Any) -> tuple[bool, bool]:
    item = {**BASE, **fields}
    try:
        ITEM.validate_python(item)
        valid = True
    except ValidationError:
        valid = False
    return valid, schema.is_valid(item)


# Text as editors type it: trimmed, NFC, single spaces; with the characters the rules are
# about (newlines, markup, control characters) mixed in.
WORDS = st.text(alphabet="aé Z\n<b>/&\x07-", max_size=260).map(
    lambda text: unicodedata.normalize("NFC", " ".join(text.split(" ")))
)
TYPED = WORDS.filter(lambda text: text == text.strip() and "  " not in text)


@settings(max_examples=300, deadline=None)
@given(title=TYPED, summary=TYPED)
def test_titles_and_summaries(
    schema: jsonschema.Draft202012Validator, title: str, summary: str
) -> None:
    for field, value in (("title", title), ("summary", summary)):
        valid, by_schema = _judged(schema, **{field: value})
        assert valid == by_schema, (field, value)


@settings(max_examples=200, deadline=None)
@given(categories=st.lists(st.sampled_from(["Asie", "Russie", "", "a<b", "x" * 101]), max_size=25))
def test_categories(schema: jsonschema.Draft202012Validator, categories: list[str]) -> None:
    distinct = len({name.casefold() for name in categories}) == len(categories)
    valid, by_schema = _judged(schema, categories=categories)
    if distinct:  # the check drops repeated names before it counts them
        assert valid == by_schema


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9998, 12, 30)),
    minutes=st.sampled_from([None, 0, 540, -300, 330]),
    form=st.sampled_from(["seconds", "minutes", "micro", "date", "space"]),
)
def test_dates(
    schema: jsonschema.Draft202012Validator, moment: datetime, minutes: int | None, form: str
) -> None:
    zone = None if minutes is None else timezone(timedelta(minutes=minutes))
    aware = moment.replace(tzinfo=zone)
    text = {
        "seconds": aware.replace(microsecond=0).isoformat(),
        "minutes": aware.isoformat(timespec="minutes"),
        "micro": aware.isoformat(timespec="microseconds"),
        "date": aware.date().isoformat(),
        "space": aware.replace(microsecond=0).isoformat(sep=" "),
    }[form]
    if zone == UTC and form == "seconds":
        text = text.replace("+00:00", "Z")
    valid, by_schema = _judged(schema, published=text)
    assert valid == by_schema, text


@pytest.mark.parametrize(
    "url",
    ["https://www.example.com/a", "http://x.org", "HTTPS://x.org/a?b#c", "ftp://x.org/a",
     "https:///a", "//x.org/a", "https://x.org/a b", "www.example.com/a", "https://"],
)  # fmt: skip
def test_addresses(schema: jsonschema.Draft202012Validator, url: str) -> None:
    valid, by_schema = _judged(schema, url=url)
    assert valid == by_schema, url
