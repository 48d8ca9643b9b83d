"""Property-based tests over item files.

Each generated file either builds feeds that lxml, feedparser and json read back with the
same text (after the README's normalisation), or is refused with `path:line: field: message`
problems and exit code 1: never a traceback, never a hang, and a refused build leaves out/
byte for byte as it was. Run `pytest tests/test_fuzz.py -s` to see how many examples ran.
"""

from __future__ import annotations

import html
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import feedparser
import pytest
from click.testing import CliRunner, Result
from feeds import NOW, snapshot
from helpers import SETTINGS, TEASER
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from lxml import etree

from feedsvc.cli import main
from feedsvc.items import _frontmatter as frontmatter
from feedsvc.publish.writers.namespaces import PREFIXES

# The teaser sorts first, so a problem between the two files (a category both spell
# differently) is reported on the generated file, which the assertions look for.
TEASER_FILE = "a-teaser.md"
ITEM_FILE = "zz-item.md"
ITEM_URL = "https://www.example.com/fuzz/article"
CATEGORY_SCHEME = "https://www.example.com/categories/"
NS = PREFIXES
PROBLEM_LINE = re.compile(r"^.+:\d+: [^:]+: .+")
SUMMARY_LINE = re.compile(r"^\d+ problems? found; nothing was written\.$")
# A build fsyncs every file it writes: in memory that costs nothing, so more examples fit.
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None

FUZZ = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

EXAMPLES: Counter[str] = Counter()
BUILT: Counter[str] = Counter()  # examples that built feeds: the rest were refused


@pytest.fixture(scope="module", autouse=True)
def _count_examples() -> Iterator[None]:
    started = time.monotonic()
    yield
    total = sum(EXAMPLES.values())
    detail = ", ".join(
        f"{name} {count}: {BUILT[name]} built" for name, count in sorted(EXAMPLES.items())
    )
    print(
        f"\ntest_fuzz: {total} generated examples in {time.monotonic() - started:.1f} s ({detail})"
    )


# Workspaces and builds.


@contextmanager
def workspace() -> Iterator[Path]:
    """A folder with items/ (the test settings and a known-good teaser) and room for out/."""
    with tempfile.TemporaryDirectory(prefix="feedsvc-fuzz-", dir=SCRATCH) as name:
        root = Path(name)
        items = root / "items"
        items.mkdir()
        (items / "feed.yaml").write_text(SETTINGS, encoding="utf-8")
        (items / TEASER_FILE).write_text(TEASER, encoding="utf-8")
        yield root


def build(root: Path) -> Result:
    args = ["build", "--items", str(root / "items"), "--out", str(root / "out")]
    return CliRunner().invoke(main, [*args, "--now", NOW, "--no-cache"])


def assert_clean_exit(result: Result, item: Path, tally: str = "") -> None:
    """Exit 0, or exit 1 with nothing but well-formed problems that name `item`."""
    if tally:
        EXAMPLES[tally] += 1
        BUILT[tally] += result.exit_code == 0
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert result.exc_info is not None
        raise AssertionError("".join(traceback.format_exception(*result.exc_info)))
    output = result.stdout + result.stderr
    assert result.exit_code in (0, 1), output
    assert "Traceback" not in output
    if result.exit_code == 0:
        return
    assert result.stdout == "", "a refused build reports nothing as written"
    # Split as a terminal does: str.splitlines() would also break at U+2028 and the like.
    lines = result.stderr.rstrip("\n").split("\n")
    assert len(lines) >= 2 and SUMMARY_LINE.match(lines[-1]), result.stderr
    for line in lines[:-1]:
        assert PROBLEM_LINE.match(line), f"not path:line: field: message: {line!r}"
        assert line.startswith(f"{item}:"), f"does not name {item}: {line!r}"


# A good build to start from: a refused build must leave its out/ as it was.

GOOD_LEAD = """\
---
kind: lead
title: "Corée : l'été 😀 à Pyongyang"
url: https://www.example.com/fuzz/article
published: 2024-06-19T14:30:00+09:00
categories: [Corée du Nord, Asie]
summary: >-
  Un résumé
  sur deux lignes.
photo:
  url: https://www.example.com/photo.jpg
  caption: Une légende, « entre guillemets ».
authors: [La rédaction]
---
Le premier paragraphe, avec des accents : é, è, ô.

Le second.
"""


@pytest.fixture(scope="module")
def prebuilt() -> Iterator[Path]:
    """A workspace whose out/ holds a good build of GOOD_LEAD; each example works on a copy."""
    with workspace() as root:
        write_item(root, GOOD_LEAD)
        assert build(root).exit_code == 0
        yield root


@contextmanager
def copy_of(prebuilt: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="feedsvc-fuzz-", dir=SCRATCH) as name:
        yield Path(shutil.copytree(prebuilt, Path(name) / "copy"))


def build_item(root: Path, content: str | bytes, tally: str) -> tuple[Path, Result]:
    """Replace the item in a copy of a good build and build again; a refusal must leave the
    previous out/ exactly as it was."""
    item = write_item(root, content)
    before = snapshot(root / "out")
    result = build(root)
    assert_clean_exit(result, item, tally)
    if result.exit_code == 1:
        assert snapshot(root / "out") == before, "a refused build changed out/"
    return item, result


# Reading the feeds back, the way readers do.


@dataclass(frozen=True, slots=True)
class Read:
    title: str | None
    summary: str | None
    categories: list[str] | None
    caption: str | None  # None: that reader does not expose it


def _feedparser(data: bytes, html_summary: bool) -> Read:
    feed = feedparser.parse(data)
    assert not feed.bozo, feed.get("bozo_exception")
    [entry] = [entry for entry in feed.entries if entry.get("link") == ITEM_URL]
    tags = [tag.term for tag in entry.get("tags", []) if tag.get("scheme") == CATEGORY_SCHEME]
    # feedparser hands RSS's <description> back as HTML: a reader shows it with character
    # references decoded. (Its summary_detail is no guide: a media:description overwrites it.)
    summary = html.unescape(entry.summary) if html_summary else entry.summary
    return Read(entry.title, summary, tags, None)


def read_back(out: Path) -> dict[str, Read]:
    """The generated item as each format and each reader sees it."""
    found: dict[str, Read] = {}
    rss_bytes = (out / "public" / "rss.xml").read_bytes()
    [item] = [i for i in etree.fromstring(rss_bytes).iter("item") if i.findtext("link") == ITEM_URL]
    found["rss/lxml"] = Read(
        item.findtext("title"),
        # RSS's <description> is HTML, the summary escaped for it: decoded, it is the text.
        html.unescape(item.findtext("description") or ""),
        [c.text or "" for c in item.iterfind("category") if c.get("domain") == CATEGORY_SCHEME],
        item.findtext("media:content/media:description", namespaces=NS),
    )
    found["rss/feedparser"] = _feedparser(rss_bytes, html_summary=True)

    atom_bytes = (out / "public" / "atom.xml").read_bytes()
    [entry] = [
        e
        for e in etree.fromstring(atom_bytes).iterfind("atom:entry", NS)
        if any(link.get("href") == ITEM_URL for link in e.iterfind("atom:link", NS))
    ]
    found["atom/lxml"] = Read(
        entry.findtext("atom:title", namespaces=NS),
        entry.findtext("atom:summary", namespaces=NS),
        [
            c.get("term") or ""
            for c in entry.iterfind("atom:category", NS)
            if c.get("scheme") == CATEGORY_SCHEME
        ],
        entry.findtext("media:content/media:description", namespaces=NS),
    )
    found["atom/feedparser"] = _feedparser(atom_bytes, html_summary=False)

    document = json.loads((out / "public" / "feed.json").read_bytes())
    [record] = [i for i in document["items"] if i["url"] == ITEM_URL]
    found["json"] = Read(
        record["title"],
        record["summary"],
        list(record["tags"]),
        record["_feedsvc"].get("image_caption"),
    )
    return found


def _as_feedparser_repairs(value: object) -> object:
    # feedparser takes any text that is valid UTF-8 once encoded as Latin-1 ('Â¡') for
    # mojibake and "repairs" it ('¡'): its quirk, not a change in the feed.
    if isinstance(value, list):
        return [_as_feedparser_repairs(item) for item in value]
    if isinstance(value, str):
        try:
            return value.encode("iso-8859-1").decode("utf-8")
        except UnicodeError:
            return value
    return value


def assert_reads(found: dict[str, Read], field: str, expected: object) -> None:
    wrong = {}
    for where, read in found.items():
        value = getattr(read, field)
        if value == expected:
            continue
        if "feedparser" in where and (
            value == _as_feedparser_repairs(expected) or (field == "caption" and value is None)
        ):
            continue
        wrong[where] = value
    assert not wrong, f"{field}: expected {expected!r}, read {wrong!r}"


# The README's normalisation, and what it promises to accept.


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def stripped(value: str) -> str:
    return nfc(value).strip()


def folded(value: str) -> str:
    return re.sub(r"\s+", " ", nfc(value)).strip()


def categories_of(values: list[str]) -> list[str]:
    kept: dict[str, str] = {}
    for value in values:
        kept.setdefault(folded(value).casefold(), folded(value))
    return list(kept.values())


def _no_control(value: str, allowed: str = "") -> bool:
    return not any(
        (unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed) or ch in "\ufffe\uffff"
        for ch in value
    )


def _plain(value: str) -> bool:
    # Conservative: without '<' and '&' nothing can read as a tag or a character reference.
    return "<" not in value and "&" not in value


def acceptable_title(value: object) -> bool:
    return (
        isinstance(value, str)
        and _no_control(value, "\t")
        and _plain(value)
        and 1 <= len(stripped(value)) <= 200
    )


def acceptable_text(value: object) -> bool:
    return (
        isinstance(value, str)
        and _no_control(value, "\t\n\r")
        and _plain(value)
        and 1 <= len(folded(value)) <= 1000
    )


SIMPLE_CATEGORY = re.compile(r"[A-Za-z0-9]+( [A-Za-z0-9]+)*")


def acceptable_categories(values: object) -> bool:
    """Categories whose feed folders cannot clash: ASCII words, short, not a respelt 'Asie'."""
    if not isinstance(values, list) or not values:
        return False
    if not all(isinstance(value, str) and _no_control(value) for value in values):
        return False
    names = categories_of(values)
    return len(names) <= 20 and all(
        SIMPLE_CATEGORY.fullmatch(name) and len(name) <= 60 and name.casefold() != "asie"
        for name in names
    )


# Strategies.

PIECES = [
    "]]>", "<![CDATA[", "&nbsp;", "&amp;", "&amp", "&#169", "&#x41;", "<script>", "</p>",
    "<b", "<!--", "-->", "<", ">", "&", '"', "'", "\\", "\\n", "\\u0041", "😀", "👩‍👩‍👧",
    "🇫🇷", "שלום", "مرحبا", "\u202e", "\u200f", "\u200b", "e\u0301", "\u0301", "\u1100\u1161",
    "\u212b", "Å", "\ufb01", "\u0344", "\x00", "\x01", "\x08", "\x1b", "\x7f", "\x85", "\x9f",
    "\ufeff", "\ufffe", "\uffff", "\ufdd0", "\U0001fffe", "\U0010ffff", "\t", "\n", "\r\n",
    "\r", " ", "  ", "\u00a0", "\u2028", "\u2029", "\u3000", "*", "!", "%", "@", "`", "|",
    "#", " #", "-", "?", ":", ": ", "{", "}", "[", "]", ",", "---", "...", "%YAML 1.1",
    "!!str", "yes", "no", "null", "~", "1e3", "0x1F", "2024-06-19", "Corée", "Asie", "a",
    "Z", "9",
]  # fmt: skip
YAML_LEADS = ["*", "&", "!", "%", "@", "`", "|", ">", "#", "-", "?", ":", "- ", "? ", ": "]

pieces_text = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=12).map("".join)
long_text = st.builds(
    lambda unit, count: unit * count,
    st.sampled_from(["a", "é", "e\u0301", "😀", "mot ", " ", "\u00a0", "&", "<b>"]),
    st.integers(min_value=150, max_value=20_000),
)
# Letters of every script, marks, digits, punctuation, symbols (emoji) and spaces: text an
# editor could type, mostly valid, so that enough examples get as far as the feeds.
typed_text = st.text(
    st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1, max_size=40
)
text_values = st.one_of(
    typed_text,
    typed_text,
    typed_text,
    st.text(max_size=30),
    pieces_text,
    st.builds("".join, st.tuples(st.sampled_from(YAML_LEADS), pieces_text)),
    long_text,
)

STYLES = ["json", "json", "json", "json_ascii", "plain", "single", "literal"]


def as_yaml(value: str, style: str) -> str:
    """`value` as a YAML scalar; every style but json may read back differently, or not at all."""
    if style == "plain":
        return value
    if style == "single":
        return "'" + value.replace("'", "''") + "'"
    if style == "literal":
        return "|-\n" + "\n".join("  " + line for line in value.split("\n"))
    return json.dumps(value, ensure_ascii=style == "json_ascii")


styled = st.tuples(text_values, st.sampled_from(STYLES))
# Each field hostile a third of the time, so that a fair share of items are valid as a whole.
mostly_typed = st.one_of(
    st.tuples(typed_text, st.just("json")), st.tuples(typed_text, st.just("json")), styled
)


def quote(value: str) -> str:
    return as_yaml(value, "json")


def valid_teaser() -> dict[str, str]:
    return {
        "kind": "teaser",
        "title": "Une brève",
        "url": ITEM_URL,
        "published": "2024-06-19T15:00:00+08:00",
        "categories": "[Asie]",
        "summary": "Le résumé.",
    }


def render(fields: list[tuple[str, str]], body: str = "") -> str:
    lines = ["---", *(f"{key}: {value}" for key, value in fields), "---"]
    return "\n".join(lines) + "\n" + body


def write_item(root: Path, content: str | bytes) -> Path:
    path = root / "items" / ITEM_FILE
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    path.write_bytes(data)
    return path


def front_matter_of(raw: bytes) -> frontmatter.Document | None:
    """What YAML read the generated file as: the reading of plain and block scalars is
    YAML's business; what feedsvc does with the values is what is under test."""
    try:
        return frontmatter.split(raw)
    except frontmatter.FrontMatterError:
        return None


# 1. Arbitrary text in every plain-text field.

PLAIN_BODY = "Un paragraphe.\n\nUn autre."
simple_category = st.tuples(
    st.from_regex(r"[A-Za-z0-9]{1,12}( [A-Za-z0-9]{1,12}){0,2}", fullmatch=True), st.just("json")
)


@settings(FUZZ, max_examples=300)
@given(
    kind=st.sampled_from(["lead", "teaser"]),
    title=mostly_typed,
    summary=st.one_of(mostly_typed, mostly_typed, mostly_typed, mostly_typed, st.none()),
    caption=st.none() | mostly_typed,
    categories=st.lists(
        st.one_of(simple_category, simple_category, styled), min_size=1, max_size=4
    ),
    data=st.data(),
)
def test_text_reads_back_as_written_or_is_refused(
    prebuilt: Path,
    kind: str,
    title: tuple[str, str],
    summary: tuple[str, str] | None,
    caption: tuple[str, str] | None,
    categories: list[tuple[str, str]],
    data: st.DataObject,
) -> None:
    usual_body = "" if kind == "teaser" else PLAIN_BODY
    body = data.draw(st.one_of(st.just(usual_body), st.just(usual_body), text_values), "body")
    fields = [("kind", kind), ("title", as_yaml(*title)), ("url", ITEM_URL)]
    fields.append(("published", "2024-06-19T14:30:00+09:00"))
    fields.append(("categories", "[" + ", ".join(as_yaml(c[0], "json") for c in categories) + "]"))
    if any(style != "json" for _, style in categories):
        listed = "\n".join("  - " + as_yaml(*c).replace("\n", "\n    ") for c in categories)
        fields[-1] = ("categories", "\n" + listed)
    if summary is not None:
        fields.append(("summary", as_yaml(*summary)))
    if caption is not None:
        indented = as_yaml(*caption).replace("\n", "\n  ")
        photo = f"\n  url: https://www.example.com/photo.jpg\n  caption: {indented}"
        fields.append(("photo", photo))
    content = render(fields, body)
    note(content)

    with copy_of(prebuilt) as root:
        item, result = build_item(root, content, "text")
        doc = front_matter_of(item.read_bytes())
        if doc is None:
            assert result.exit_code == 1
            return
        fields_read = doc.data
        photo_data = fields_read.get("photo")
        written_caption = photo_data.get("caption") if isinstance(photo_data, dict) else None
        has_body = bool(doc.body.strip())
        acceptable = (
            # A line break in a literal value can make YAML read a key of its own.
            set(fields_read)
            <= {"kind", "title", "url", "published", "categories"} | {"summary", "photo"}
            and fields_read.get("url") == ITEM_URL
            and "published" in fields_read
            and acceptable_title(fields_read.get("title"))
            and acceptable_categories(fields_read.get("categories"))
            and (caption is None or acceptable_text(written_caption))
            # Which Markdown yields a first paragraph is CommonMark's business: only a plain
            # two-paragraph body is sure to give a summary.
            and (
                acceptable_text(fields_read.get("summary"))
                if summary is not None
                else body == PLAIN_BODY
            )
            and has_body == (kind == "lead")
            and (kind == "teaser" or _no_control(doc.body, "\t\n"))
        )
        if acceptable:
            assert result.exit_code == 0, result.stderr
        if result.exit_code != 0:
            return

        found = read_back(root / "out")
        assert_reads(found, "title", stripped(fields_read["title"]))
        assert_reads(found, "categories", categories_of(fields_read["categories"]))
        if isinstance(photo_data, dict):
            assert_reads(found, "caption", folded(written_caption or ""))
        elif caption is not None:  # a quote left open before it swallowed the photo's lines
            assert_reads(found, "caption", None)
        if isinstance(fields_read.get("summary"), str):
            expected_summary = folded(fields_read["summary"])
        else:  # derived from the body: the same everywhere, NFC, folded, cut to 300
            expected_summary = found["json"].summary or ""
            assert expected_summary == folded(expected_summary)
            assert len(expected_summary) <= 300
        assert_reads(found, "summary", expected_summary)


# 2. Lone surrogates: bytes that are not UTF-8 at all.


@settings(FUZZ, max_examples=30)
@given(
    field=st.sampled_from(["title", "summary", "categories", "caption", "body"]),
    before=st.text(max_size=8),
    after=st.text(max_size=8),
    surrogate=st.integers(min_value=0xD800, max_value=0xDFFF).map(chr),
)
def test_lone_surrogates_are_refused_as_not_utf8(
    prebuilt: Path, field: str, before: str, after: str, surrogate: str
) -> None:
    value = before + surrogate + after
    quoted = json.dumps(value, ensure_ascii=False)
    fields = list(valid_teaser().items())
    body = ""
    if field == "body":
        fields[0] = ("kind", "lead")
        body = value + "\n"
    elif field == "caption":
        fields.append(("photo", f"{{url: 'https://www.example.com/p.jpg', caption: {quoted}}}"))
    elif field == "categories":
        fields = [(k, f"[{quoted}]" if k == field else v) for k, v in fields]
    else:
        fields = [(k, quoted if k == field else v) for k, v in fields]
    content = render(fields, body)
    raw = content.encode("utf-8", "surrogatepass")
    line = raw[: raw.index(surrogate.encode("utf-8", "surrogatepass"))].count(b"\n") + 1

    with copy_of(prebuilt) as root:
        item, result = build_item(root, raw, "surrogates")
        assert result.exit_code == 1
        assert f"{item}:{line}: file: is not UTF-8" in result.stderr, result.stderr


# 3. Arbitrary front-matter shapes.

SCALAR_TEXT = [
    "0", "1", "-0", "1.5", "1e400", "-.inf", ".nan", "0x1F", "0o17", "1_000", "+12",
    "true", "false", "yes", "no", "on", "off", "y", "~", "null", "''", '""',
    "2024-06-19", "2024-06-19 14:30:00", "2024-06-19T14:30:00", "2024-06-19T14:30:00+09:00",
    "12:30:00", "=", "<<", "https://www.example.com/", "teaser", "lead", "public", "members",
]  # fmt: skip
TAGGED = [
    "!!binary aGVsbG8=", "!!binary /w==", "!!binary ???", "!!set {a, b, c}",
    "!!set {Asie, Corée}", "!!python/object:os.system ls", "!!python/object/apply:os.system [ls]",
    "!!python/name:os.system", "!!python/tuple [a, b]", "!!omap [a: 1, b: 2]", "!!pairs [a: 1]",
    "!!timestamp 2024-06-19T14:30:00+09:00", "!!timestamp 2024-06-19", "!!int 1:30",
    "!!float 1e999", "!!bool yes", "!!null x", "!!str 12", "!!str", "!!map [a]", "!!seq {a: 1}",
    "!unknown x", "!<tag:example.com,2024:thing> x", "!!merge x", "!!value x", "!", "!!",
]  # fmt: skip
KNOWN_KEYS = [
    "kind", "title", "url", "id", "published", "updated", "categories", "summary", "photo",
    "access", "draft", "authors", "comments", "body",
]  # fmt: skip

# Unknown keys are echoed into the problem line as written: a colon or a line break there
# is test_unknown_key_is_reported_on_one_well_formed_line, kept out of the shapes below.
key_text = st.text(
    st.characters(exclude_characters=":\n\r\x85\u2028\u2029", exclude_categories=["Cc", "Cs"]),
    min_size=1,
    max_size=12,
)
leaf_values = st.one_of(
    st.sampled_from(SCALAR_TEXT),
    st.sampled_from(TAGGED),
    text_values.map(quote),
    key_text.filter(lambda k: k.strip() == k and k[0].isalnum()),
)


def flow(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(values, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(key_text.map(quote), values), max_size=4).map(
            lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
        ),
    )


yaml_values = st.recursive(leaf_values, flow, max_leaves=10)


def bounded_bomb(levels: int, fanout: int) -> tuple[str, str]:
    """An alias bomb small enough to expand (fanout**levels leaves): anchors, then the alias."""
    anchors = "x0: &x0 [" + ", ".join(['"lol"'] * fanout) + "]"
    for level in range(1, levels):
        anchors += f"\nx{level}: &x{level} [" + ", ".join([f"*x{level - 1}"] * fanout) + "]"
    return anchors, f"*x{levels - 1}"


# Other spellings of a valid value, and valid optional fields: an item may still build.
RESPELT = [
    ("title", "'Une brève'"), ("title", ">-\n  Une\n  brève"), ("title", "!!str Une brève"),
    ("draft", "false # relu"), ("title", "&t Une brève"),
    ("url", "'https://www.example.com/fuzz/article'"),
    ("published", "'2024-06-19T15:00:00+08:00'"), ("published", "2024-06-19 15:00:00+08:00"),
    ("published", "!!timestamp 2024-06-19T15:00:00+08:00"), ("published", "2024-06-19T07:00:00Z"),
    ("categories", "\n  - Asie\n  - Corée"), ("categories", "[Asie, asie, ' ASIE ']"),
    ("categories", "!!set {Asie}"), ("categories", "[Asie, Corée du Nord]"),
    ("summary", "|\n  Un résumé\n  sur deux lignes."), ("summary", ">\n  Un résumé."),
    ("summary", "!!binary TGUgcsOpc3Vtw6ku"), ("draft", "false"), ("draft", "true"),
    ("access", "members"), ("id", "urn:uuid:6f1c0e5a-2b4d-4e8f-9a7c-3d5e1f2a4b6c"),
    ("updated", "2024-06-20T00:00:00+00:00"), ("updated", "2024-06-01T00:00:00+00:00"),
    ("photo", "{url: 'https://www.example.com/p.jpg', caption: Une légende}"),
    ("photo", "\n  url: https://www.example.com/p.jpg\n  caption: >\n    Sur\n    deux lignes"),
]  # fmt: skip
ODD_FILES = [
    "---\n%YAML 1.1\n---\n", "---\n--- x\nkind: teaser\n---\n", "---\n\tkind: lead\n---\n",
    "--- \nkind: teaser\n--- \n", "---\r\nkind: lead\r\n---\r\nx\r\n",
    "---\nkind: teaser\ntitle: [unclosed\n---\n", "---\n? [a, b]\n: c\n---\n",
    "---\n{a: 1}: b\n---\n", "---\n&a a: *a\n---\n", "---\n*a\n---\n",
    "---\n<<: {kind: teaser}\n---\n", "---\n<<: [1, 2]\n---\n",
]  # fmt: skip


@st.composite
def front_matters(draw: st.DrawFn) -> str:
    """Whole files: mostly a valid item with fields replaced, dropped, repeated or added."""
    shape = draw(st.sampled_from(["fields"] * 8 + ["list", "scalar", "empty", "odd"]))
    if shape == "list":
        return (
            "---\n- " + "\n- ".join(draw(st.lists(yaml_values, min_size=1, max_size=3))) + "\n---\n"
        )
    if shape == "scalar":
        return "---\n" + draw(yaml_values) + "\n---\n"
    if shape == "empty":
        return draw(st.sampled_from(["", "---", "---\n", "---\n---\n", "---\n...\n", "\ufeff"]))
    if shape == "odd":
        return draw(st.sampled_from(ODD_FILES))

    kind = draw(st.sampled_from(["teaser", "lead"]))
    fields = list({**valid_teaser(), "kind": kind}.items())
    body = "Un paragraphe.\n" if kind == "lead" else ""
    prelude: list[str] = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        action = draw(
            st.sampled_from(
                ["respell"] * 4 + ["replace", "drop", "repeat", "add", "bomb", "huge", "anchor"]
            )
        )
        if not fields:
            break
        index = draw(st.integers(min_value=0, max_value=len(fields) - 1))
        key = draw(st.sampled_from(KNOWN_KEYS) | key_text.map(quote))
        if action == "respell":
            name, value = draw(st.sampled_from(RESPELT))
            fields = [(k, v) for k, v in fields if k != name] + [(name, value)]
        elif action == "replace":
            fields[index] = (fields[index][0], draw(yaml_values))
        elif action == "drop":
            del fields[index]
        elif action == "repeat":
            fields.append((fields[index][0], draw(yaml_values)))
        elif action == "add":
            fields.append((key, draw(yaml_values)))
        elif action == "bomb":
            anchors, alias = bounded_bomb(
                draw(st.integers(min_value=1, max_value=4)),
                draw(st.integers(min_value=1, max_value=8)),
            )
            prelude.append(anchors)
            fields.append((key, alias))
        elif action == "huge":
            count = draw(st.integers(min_value=21, max_value=5000))
            distinct = draw(st.integers(min_value=1, max_value=count))
            names = ", ".join(f"c{n % distinct}" for n in range(count))
            fields.append((draw(st.sampled_from(["categories", "authors", key])), f"[{names}]"))
        else:  # anchor a value, then alias it under another key
            fields[index] = (fields[index][0], "&shared " + fields[index][1])
            fields.append((key, "*shared"))
    body = draw(st.sampled_from([body] * 4 + ["", "Du texte.\n", "---\n", "\x00"]))
    lines = ["---", *prelude, *(f"{k}: {v}" for k, v in fields), "---"]
    return "\n".join(lines) + "\n" + body


@settings(FUZZ, max_examples=300)
@given(content=front_matters())
def test_any_front_matter_builds_or_is_refused(prebuilt: Path, content: str) -> None:
    note(content)
    with copy_of(prebuilt) as root:
        item, result = build_item(root, content, "shapes")
        if result.exit_code != 0:
            return
        out = root / "out"
        assert json.loads((out / "public" / "feed.json").read_bytes())["items"]
        for name in ("rss.xml", "atom.xml"):
            etree.fromstring((out / "public" / name).read_bytes())
            feed = feedparser.parse((out / "public" / name).read_bytes())
            assert not feed.bozo, feed.get("bozo_exception")
        doc = front_matter_of(item.read_bytes())
        assert doc is not None
        data = doc.data
        document = json.loads((out / "public" / "feed.json").read_bytes())
        mine = [entry for entry in document["items"] if entry["url"] == data.get("url")]
        if mine and isinstance(data.get("title"), str):
            # A members-only headline carries the marker's prefix in the public feeds.
            prefix = "Membres · " if mine[0]["_feedsvc"]["access"] == "members" else ""
            assert mine[0]["title"] == prefix + stripped(data["title"])
        if mine and isinstance(data.get("summary"), str):
            assert mine[0]["summary"] == folded(data["summary"])


# 4. Damaged files, over an out/ that a good build wrote: a refusal must not touch it.

Damage = Callable[[bytes], bytes]


def _cut(at: int) -> Damage:
    return lambda raw: raw[: at % (len(raw) + 1)]


def _insert(at: int, data: bytes) -> Damage:
    return lambda raw: raw[: at % (len(raw) + 1)] + data + raw[at % (len(raw) + 1) :]


def _drop_line(at: int) -> Damage:
    def damage(raw: bytes) -> bytes:
        lines = raw.split(b"\n")
        del lines[at % len(lines)]
        return b"\n".join(lines)

    return damage


damages = st.one_of(
    st.builds(_cut, st.integers(min_value=0, max_value=2000)),
    st.builds(
        _insert,
        st.integers(min_value=0, max_value=2000),
        st.binary(min_size=1, max_size=4) | st.sampled_from([b"\x00", b"\xff", b"\t", b"\r"]),
    ),
    st.builds(_drop_line, st.integers(min_value=0, max_value=40)),
)


@settings(FUZZ, max_examples=120)
@given(damage=st.lists(damages, min_size=1, max_size=3))
def test_damaged_file_is_refused_and_out_is_untouched(prebuilt: Path, damage: list[Damage]) -> None:
    raw = GOOD_LEAD.encode()
    for step in damage:
        raw = step(raw)
    note(repr(raw))
    with copy_of(prebuilt) as root:
        _, result = build_item(root, raw, "damaged")
        if result.exit_code == 0:
            for feed in ("rss.xml", "atom.xml"):
                assert not feedparser.parse((root / "out" / "public" / feed).read_bytes()).bozo


# 5. Dates: RSS and Atom must carry the same moment the editor wrote.


def _moment(parsed: Any) -> datetime:
    return datetime(*parsed[:6], tzinfo=UTC)


@settings(FUZZ, max_examples=40)
@given(
    moment=st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2029, 12, 30)),
    minutes=st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59),
)
def test_published_reads_back_as_the_same_moment(moment: datetime, minutes: int) -> None:
    written = moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=minutes)))
    fields = list({**valid_teaser(), "published": json.dumps(written.isoformat())}.items())
    with workspace() as root:
        write_item(root, render(fields))
        result = build(root)
        EXAMPLES["dates"] += 1
        assert result.exit_code == 0, result.output
        BUILT["dates"] += 1
        for name in ("rss.xml", "atom.xml"):
            feed = feedparser.parse((root / "out" / "public" / name).read_bytes())
            [entry] = [e for e in feed.entries if e.get("link") == ITEM_URL]
            assert _moment(entry.published_parsed) == written.astimezone(UTC), name


# 6. Alias bombs, in a separate process so that a hang fails instead of blocking the run.

BOMB_LEVELS = 9
BOMB_FANOUT = 10


def alias_bomb() -> tuple[str, str]:
    """The billion laughs: 9 levels of 10 aliases each, 10**9 strings once expanded."""
    anchors = "a0: &a0 [" + ", ".join(['"lol"'] * BOMB_FANOUT) + "]"
    for level in range(1, BOMB_LEVELS):
        anchors += f"\na{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * BOMB_FANOUT) + "]"
    return anchors, f"*a{BOMB_LEVELS - 1}"


def bomb_file(where: str) -> str:
    anchors, alias = alias_bomb()
    fields = list({**valid_teaser(), "kind": "lead"}.items())
    if where.startswith("photo."):
        fields.append(("photo", f"{{url: https://www.example.com/p.jpg, caption: {alias}}}"))
    else:
        fields = [(key, value) for key, value in fields if key != where] + [(where, alias)]
    return "---\n" + anchors + "\n" + render(fields, "Un paragraphe.\n").removeprefix("---\n")


def _limit_memory() -> None:
    # An expanded bomb must fail fast and visibly rather than swap the machine.
    limit = 2 * 1024**3
    with suppress(ValueError, OSError):  # not every platform lets a process lower it
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def build_in_subprocess(
    root: Path, timeout: float, out: str = "out", hash_seed: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = hash_seed
    return subprocess.run(
        [sys.executable, "-m", "feedsvc", "build", "--items", str(root / "items"),
         "--out", str(root / out), "--now", NOW, "--no-cache"],
        capture_output=True, text=True, timeout=timeout, check=False, env=env,
        preexec_fn=_limit_memory,
    )  # fmt: skip


BOMBED_FIELDS = [
    "title", "url", "id", "published", "updated", "categories", "summary", "photo",
    "photo.caption", "access", "draft", "authors", "comments", "unknown",
]  # fmt: skip


def test_alias_bombs_in_any_field_are_refused_within_seconds() -> None:
    with workspace() as root:
        items = root / "items"
        for where in BOMBED_FIELDS:
            (items / f"bomb-{where}.md").write_text(bomb_file(where), encoding="utf-8")
        started = time.monotonic()
        result = build_in_subprocess(root, timeout=20)
        elapsed = time.monotonic() - started
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        for where in BOMBED_FIELDS:
            assert f"{items / f'bomb-{where}.md'}:" in result.stderr, where
        assert elapsed < 10, f"{elapsed:.1f} s"


def test_alias_bomb_in_kind_is_refused_within_seconds() -> None:
    with workspace() as root:
        anchors, alias = alias_bomb()
        item = write_item(root, f"---\n{anchors}\nkind: {alias}\n---\n")
        result = build_in_subprocess(root, timeout=3)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert f"{item}:" in result.stderr


# 7. Bugs found by the properties above, each as the smallest file that showed it.

# Kept out of TAGGED above: each one is test_explicit_tag_with_a_wrong_value_is_refused.
UNCONVERTIBLE_TAGS = ["!!int abc", "!!int", "!!float x", "!!bool maybe", "!!timestamp x"]


@pytest.mark.parametrize("tagged", UNCONVERTIBLE_TAGS)
def test_explicit_tag_with_a_wrong_value_is_refused(tagged: str) -> None:
    with workspace() as root:
        item = write_item(root, f"---\ntitle: {tagged}\n---\n")
        assert_clean_exit(build(root), item)


@pytest.mark.parametrize("key", ["a:b", "a\nb", "a\x07b"])
def test_unknown_key_is_reported_on_one_well_formed_line(key: str) -> None:
    with workspace() as root:
        fields = [*valid_teaser().items(), (json.dumps(key), "1")]
        item = write_item(root, render(fields))
        result = build(root)
        assert_clean_exit(result, item)
        assert result.exit_code == 1
        assert _no_control(result.stderr, "\n"), repr(result.stderr)


@pytest.mark.parametrize(
    "summary", ["Avant <!-- après", "a <> b", "a </ x> b", "a <![ b", "AT&amp T", "&#169 2024"]
)
def test_summary_reads_back_in_rss_as_written(summary: str) -> None:
    with workspace() as root:
        write_item(root, render(list({**valid_teaser(), "summary": json.dumps(summary)}.items())))
        result = build(root)
        if result.exit_code == 1:  # refused as markup, at the summary: a fine answer too
            assert ":7: summary: is plain text but contains" in result.stderr, result.stderr
            return
        assert result.exit_code == 0, result.stderr
        rss = (root / "out" / "public" / "rss.xml").read_bytes()
        assert _feedparser(rss, html_summary=True).summary == summary


@pytest.mark.parametrize("paragraph", ["Le code `<div>` structure la page.", "Écrivez &amp;amp;."])
def test_lead_summary_derived_from_body_with_markup_as_text(paragraph: str) -> None:
    with workspace() as root:
        fields = [(k, v) for k, v in valid_teaser().items() if k != "summary"]
        fields[0] = ("kind", "lead")
        item = write_item(root, render(fields, paragraph + "\n"))
        result = build(root)
        # Refused where the editor can act: at the body, asking for a summary line.
        assert result.exit_code == 1
        assert f"{item}:" in result.stderr and ": body: its first paragraph" in result.stderr
        assert "write a 'summary:' line" in result.stderr


@pytest.mark.parametrize(
    ("published", "refusal"),
    [
        ("2024-06-19T14:30:00+09:00:30", "has seconds in its UTC offset"),
        ("0001-01-01T12:00:00+00:00", "is not between the years 1900 and 9998"),
    ],
)
def test_published_with_an_unwritable_moment(published: str, refusal: str) -> None:
    # RSS dates carry a four-digit year and an offset in minutes: such a moment would read as
    # another one there than in Atom, so it is refused at its line, never written.
    with workspace() as root:
        fields = list({**valid_teaser(), "published": json.dumps(published)}.items())
        item = write_item(root, render(fields))
        result = build(root)
        assert_clean_exit(result, item)
        assert result.exit_code == 1
        assert f"{item}:5: published: {published!r} {refusal}" in result.stderr, result.stderr
        assert not (root / "out").exists()


def test_same_items_give_the_same_bytes_in_every_process() -> None:
    # Everything whose order a set or the hash seed could decide: items published at the same
    # moment (ordered by id), categories spelt twice in one item (the first spelling kept),
    # many categories shared across items (one feed each, listed on the index page).
    names = ["Asie", "Corée du Nord", "Russie", "Diplomatie", "Économie", "Japon", "Chine"]
    with workspace() as root:
        for number in range(8):
            chosen = [names[(number + step) % len(names)] for step in range(4)]
            chosen.append(chosen[0].upper())
            fields = {
                **valid_teaser(),
                "url": f"https://www.example.com/fuzz/{number}",
                "id": f"urn:fuzz:{(number * 5) % 8}",
                "published": "2024-06-19T14:30:00+09:00",
                "categories": json.dumps(chosen, ensure_ascii=False),
            }
            (root / "items" / f"same-{number}.md").write_text(
                render(list(fields.items())), encoding="utf-8"
            )
        outputs = []
        for seed in ("1", "2", "3"):
            result = build_in_subprocess(root, timeout=20, out=f"out-{seed}", hash_seed=seed)
            assert result.returncode == 0, result.stderr
            outputs.append(snapshot(root / f"out-{seed}"))
        assert len(outputs[0]) > 20  # the main, members' and category feeds, and the page
        assert outputs[0] == outputs[1] == outputs[2]
