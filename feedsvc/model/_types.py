"""Annotated field types: each carries its own check and a message that says what to write.

Every failure is raised as a ``PydanticCustomError`` of type ``feedsvc`` so the message reaches
the editor as written, without pydantic's generic "Value error," prefix.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from pydantic import AfterValidator, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from feedsvc.model import _plaintext as plaintext

TITLE_MAX = 200
SUMMARY_MAX = 1000
CAPTION_MAX = 1000
CATEGORY_MAX = 100
CATEGORIES_MAX = 20
LABEL_MAX = 40  # a few words before a headline
MIN_YEAR, MAX_YEAR = 1900, 9998  # 9998: an offset must not push the moment past 9999
BODY_MAX = 200_000  # characters: several times the longest long read


def fail(reason: str) -> PydanticCustomError:
    # The reason travels in the context: a literal "{" in it must not be read as a template.
    return PydanticCustomError("feedsvc", "{reason}", {"reason": reason})


def _clean(value: str) -> str:
    value = plaintext.nfc(value)
    problem = plaintext.forbidden_char_message(value)
    if problem is not None:
        raise fail(problem)
    return value


def _text(limit: int, *, fold: bool) -> Callable[[str], str]:
    """A one-line text check; `fold` joins a YAML block's lines, which mean nothing in a feed."""

    def check(value: str) -> str:
        value = _clean(value)
        if fold:
            value = plaintext.fold_spaces(value)
        else:
            value = value.strip()
            if "\n" in value or "\r" in value:
                raise fail("must fit on one line; join the lines with a space")
        if not value:
            raise fail("is empty; write the text")
        problem = plaintext.markup_message(value)
        if problem is not None:
            raise fail(problem)
        if len(value) > limit:
            raise fail(f"is {len(value)} characters long; shorten it to at most {limit}")
        return value

    return check


# An address urlsplit would accept as absolute http(s): checked first, because it is cheap.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:[/?#][!-~]*)?")


def _url(value: str) -> str:
    value = _clean(value).strip()
    if _PLAIN_URL.fullmatch(value):
        return value
    try:
        parts = urlsplit(value)
    except ValueError as error:  # urlsplit's own refusals: an unbalanced IPv6 bracket, ...
        if "IPv6" in str(error):
            raise fail(
                f"{value!r} has an unbalanced '[' or ']' in its host; brackets only enclose an "
                "IPv6 address, e.g. https://[2001:db8::1]/article"
            ) from None
        raise fail(f"{value!r} is not a usable web address ({error}); write it in full") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise fail(
            f"{value!r} is not an absolute web address; write it in full, "
            "e.g. https://www.example.com/2024/06/19/article"
        )
    space = _SPACE.search(value)
    if space is not None:
        raise fail(f"{value!r} {_space_message(space.group())}")
    return value


_SPACE = re.compile(r"\s")


def _space_message(char: str) -> str:
    if char in "\n\r":
        return "is split over several lines; write the address on one line"
    if char == " ":
        return "contains a space; encode it as %20"
    name = unicodedata.name(char, "a whitespace character").lower()
    return f"contains U+{ord(char):04X} ({name}); delete it, or encode a real space as %20"


def _folder_url(example: str) -> Callable[[str], str]:
    """An address other addresses are built under (`example` below it), so it names a folder.

    Without its final '/', urljoin would replace the last part rather than add below it:
    refused, not repaired, because the likeliest cause is a misunderstanding (the address of a
    feed given for the folder of feeds) that an added slash would hide.
    """

    def check(value: str) -> str:
        value = _url(value)
        if "?" in value or "#" in value:
            raise fail(
                f"{value!r} has a query or fragment ('?…' or '#…'), which every address built "
                "under it would drop; write the folder's address alone, e.g. "
                "https://www.example.com/feeds/"
            )
        parts = urlsplit(value)
        if not parts.path:  # https://host and https://host/ are one address (RFC 3986 6.2.3)
            return urlunsplit(parts._replace(path="/"))
        if not parts.path.endswith("/"):
            last = parts.path.rsplit("/", 1)[1]
            if "." in last:  # e.g. the address of a feed given for the folder of feeds
                raise fail(
                    f"{value!r} names a file ({last!r}), not a folder; write the address of "
                    f"its folder, {urljoin(value, '.')!r}"
                )
            raise fail(
                f"{value!r} does not end with '/', so the addresses built under it would lose "
                f"{last!r} ({example} would be {urljoin(value, example)}); "
                f"write {value + '/'!r}"
            )
        return value

    return check


_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def _uri(value: str) -> str:
    value = _clean(value).strip()
    if not _URI.match(value):
        raise fail(
            f"{value!r} is not a URI; an id is an address or a URN, "
            "e.g. https://www.example.com/article or urn:uuid:…"
        )
    return value


_EXAMPLE_DATE = "2024-06-19T14:30:00+09:00"
_DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _timestamp(value: Any) -> datetime:
    # YAML timestamps are read as text on purpose (see frontmatter.py), so anything that is not
    # text here was a number or a mapping, never a date.
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise fail(
                f"{value!r} is not an ISO 8601 date and time; write e.g. {_EXAMPLE_DATE}"
            ) from None
    else:
        raise fail(f"must be an ISO 8601 date and time, e.g. {_EXAMPLE_DATE}")
    offset = parsed.utcoffset()
    if offset is None and _DATE_ONLY.fullmatch(str(value).strip()):
        raise fail(
            f"{value!r} has a date but no time; write the time and the UTC offset of the "
            f"place it was published, e.g. {value.strip()}T14:30:00+09:00 (or Z for UTC)"
        )
    if offset is None:
        raise fail(
            f"{value!r} has no UTC offset, so the moment is ambiguous; add the offset "
            f"of the place it was published, e.g. {_EXAMPLE_DATE} (or Z for UTC)"
        )
    # RFC 822 dates (RSS) carry hours and minutes of offset and four-digit years: anything
    # finer or further would read as another moment there than in Atom.
    if offset.total_seconds() % 60:
        raise fail(f"{value!r} has seconds in its UTC offset; write hours and minutes, e.g. +09:00")
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise fail(f"{value!r} is not between the years {MIN_YEAR} and {MAX_YEAR}")
    return parsed


def _mime(value: str) -> str:
    value = value.strip().lower()
    if not re.fullmatch(r"image/[a-z0-9][a-z0-9.+-]*", value):
        raise fail(f"{value!r} is not an image MIME type; write e.g. image/jpeg")
    return value


def _email(value: str) -> str:
    value = _clean(value).strip()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise fail(f"{value!r} is not an e-mail address; write e.g. redaction@example.com")
    return value


def _language(value: str) -> str:
    value = value.strip()
    # BCP 47 in the shape feeds use: a primary language subtag, then region or script subtags.
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", value):
        raise fail(f"{value!r} is not a BCP 47 language tag; write e.g. fr or fr-FR")
    return value


def _categories(values: tuple[str, ...]) -> tuple[str, ...]:
    # Checked here rather than with min_length: an after-validator runs only when every entry
    # was valid, so a list of bad names is not also told it is empty.
    if not values:
        raise fail("needs at least one entry, e.g. [Asie]")
    kept: dict[str, str] = {}
    for value in values:
        kept.setdefault(value.casefold(), value)  # first spelling wins
    if len(kept) > CATEGORIES_MAX:
        raise fail(f"has {len(kept)} categories; keep at most {CATEGORIES_MAX}")
    return tuple(kept.values())


def _text_schema(limit: int, *, fold: bool) -> WithJsonSchema:
    """What JSON Schema can say of a text check, for editors' YAML plugins: its length, a
    line, not blank, no tag, no control character. (Lengths count the text as typed: the
    check counts it trimmed, in NFC and, for folded text, with single spaces.)"""
    return WithJsonSchema({
        "type": "string", "minLength": 1, "maxLength": limit,
        "pattern": r"\S" if fold else r"^\s*[^\r\n]*\S[^\r\n]*\s*$",
        "not": {"anyOf": [{"pattern": plaintext.MARKUP_START}, {"pattern": plaintext.FORBIDDEN}]},
    })  # fmt: skip


# As the check reads it: http or https, a host, no space inside.
_URL_SCHEMA = {
    "type": "string", "format": "uri", "pattern": r"^\s*[Hh][Tt][Tt][Pp][Ss]?://[^/?#\s]\S*\s*$"
}  # fmt: skip
# The documented form, YYYY-MM-DDThh:mm[:ss[.f]] and its offset (Python reads a few rarer
# ISO 8601 forms too, such as 20240619T1430+0900).
_DATE_PATTERN = (
    r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?"
    r"(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)\s*$"
)

_title = _text(TITLE_MAX, fold=False)
Title = Annotated[str, AfterValidator(_title), _text_schema(TITLE_MAX, fold=False)]
Name = Annotated[str, AfterValidator(_text(200, fold=False)), _text_schema(200, fold=False)]
Label = Annotated[
    str, AfterValidator(_text(LABEL_MAX, fold=False)), _text_schema(LABEL_MAX, fold=False)
]
Summary = Annotated[
    str, AfterValidator(_text(SUMMARY_MAX, fold=True)), _text_schema(SUMMARY_MAX, fold=True)
]
Caption = Annotated[
    str, AfterValidator(_text(CAPTION_MAX, fold=True)), _text_schema(CAPTION_MAX, fold=True)
]
Category = Annotated[
    str, AfterValidator(_text(CATEGORY_MAX, fold=True)), _text_schema(CATEGORY_MAX, fold=True)
]
Categories = Annotated[
    tuple[Category, ...],
    AfterValidator(_categories),
    Field(json_schema_extra={"minItems": 1, "maxItems": CATEGORIES_MAX}),
]
Url = Annotated[str, AfterValidator(_url), WithJsonSchema(_URL_SCHEMA)]
SiteUrl = Annotated[str, AfterValidator(_folder_url("categories/")), WithJsonSchema(_URL_SCHEMA)]
FeedsUrl = Annotated[str, AfterValidator(_folder_url("rss.xml")), WithJsonSchema(_URL_SCHEMA)]
Uri = Annotated[str, AfterValidator(_uri), WithJsonSchema({"type": "string", "format": "uri"})]
Timestamp = Annotated[
    datetime,
    PlainValidator(_timestamp),
    WithJsonSchema({
        "type": "string", "format": "date-time", "pattern": _DATE_PATTERN,
        "examples": [_EXAMPLE_DATE],
    }),
]  # fmt: skip
ImageType = Annotated[str, AfterValidator(_mime)]
Email = Annotated[str, AfterValidator(_email)]
Language = Annotated[str, AfterValidator(_language)]


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NEVER = 2**62  # a draft's moment: later than any an item can be published at (year 9999)


def microseconds(moment: datetime) -> int:
    """A moment as an integer, so equal instants in different offsets compare equal."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def title_problem(value: str) -> str | None:
    """What is wrong with a title, by the rules of the Title field; None when nothing is."""
    try:
        _title(value)
    except PydanticCustomError as error:
        return error.message()
    return None


def due_moment(draft: Any, published: Any) -> int | None:
    """When an item goes live, as far as two raw values say: NEVER for a draft, its published
    moment, or None when that cannot be read."""
    if draft is True:
        return NEVER
    try:
        return microseconds(_timestamp(published))
    except PydanticCustomError:
        return None


def body_text(value: str) -> str:
    """A Markdown body: NFC, no forbidden characters, not blank."""
    value = _clean(value)
    if not value.strip():
        raise fail("is empty; a lead carries the full article below the front matter")
    if len(value) > BODY_MAX:
        raise fail(
            f"is {len(value)} characters long; a body holds at most {BODY_MAX}: "
            "split the story or move material to linked pages"
        )
    return value
