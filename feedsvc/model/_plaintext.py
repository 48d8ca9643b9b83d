"""Plain-text rules shared by every field an editor writes.

Feed readers show titles, summaries and captions as plain text, and XML 1.0 refuses some
characters outright, so these checks run before anything reaches a writer.
"""

from __future__ import annotations

import html
import re
import unicodedata

# XML 1.0 (section 2.2) allows tab, LF, CR and everything from U+0020 except surrogates and
# U+FFFE/U+FFFF. C1 controls (U+007F-U+009F) are legal but "discouraged", and in practice they
# are always mojibake, so they are refused too.
# Patterns as text, written with escapes: the JSON Schemas carry them too.
FORBIDDEN = r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ud800-\udfff\ufffe\uffff]"
_FORBIDDEN = re.compile(FORBIDDEN)
# The same characters in UTF-8, for files not yet decoded: C0 controls and DEL are single
# bytes, C1 controls and U+FFFE/U+FFFF fixed sequences; surrogates cannot be decoded at all.
_C0_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
_NONCHAR_UTF8 = re.compile(rb"\xef\xbf[\xbe\xbf]")
_TAG = re.compile(r"</?[A-Za-z!][^<>]*>")
# What an HTML parser starts markup with: readers treat RSS text as HTML, so plain text must
# not contain it. References are found the way HTML finds them, semicolon or not.
MARKUP_START = r"<[A-Za-z/!?>]"
_MARKUP_START = re.compile(MARKUP_START)
_ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);?")


def forbidden_char(text: str) -> tuple[int, int, str] | None:
    """Where the first character XML 1.0 cannot carry is: (line, column, U+XXXX), 1-based."""
    # Each of them is a control, a surrogate or a noncharacter, which str.isprintable (a C
    # loop, several times the regex's speed) refuses; most one-line values pass it.
    if text.isprintable():
        return None
    match = _FORBIDDEN.search(text)
    if match is None:
        return None
    start = match.start()
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return line, column, f"U+{ord(match.group()):04X}"


def utf8_holds_forbidden(raw: bytes) -> bool:
    """Whether UTF-8 `raw` holds a character XML 1.0 cannot carry (as forbidden_char finds).

    A third of the cost of searching the decoded text, whose search tests every character
    against the class: so a file is searched once as bytes, and its text only to say where.
    """
    if len(raw.translate(None, _C0_BYTES)) != len(raw):
        return True
    if _C1_UTF8.search(raw) is not None:
        return True
    return b"\xef\xbf" in raw and _NONCHAR_UTF8.search(raw) is not None


def forbidden_char_message(text: str) -> str | None:
    found = forbidden_char(text)
    if found is None:
        return None
    line, column, codepoint = found
    return (
        f"contains the control character {codepoint} at line {line}, column {column} "
        "of the value; XML feeds cannot carry it: delete it"
    )


def nfc(text: str) -> str:
    """Compose accents the one way, so 'é' typed two ways compares and slugs alike."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def fold_spaces(text: str) -> str:
    # str.split() and the regex class \s both use Python's own whitespace test, so this is
    # re.sub(r"\s+", " ", text).strip(), at a fraction of the cost.
    return " ".join(text.split())


def markup_message(text: str) -> str | None:
    """Why a plain-text value looks like HTML, or None when it does not."""
    if "<" not in text and "&" not in text:  # most text: no markup can start without them
        return None
    tag = _TAG.search(text)
    if tag is not None:
        return (
            f"is plain text but contains the HTML tag {tag.group()!r}; "
            "remove the markup (readers would show it literally)"
        )
    start = _MARKUP_START.search(text)
    if start is not None:
        return (
            f"is plain text but contains {start.group()!r}, which feed readers take for the "
            "start of HTML markup; put a space after '<'"
        )
    for entity in _ENTITY.finditer(text):
        if html.unescape(entity.group()) != entity.group():
            return (
                f"is plain text but contains the character reference {entity.group()!r}; "
                "type the character itself instead (or put a space after '&')"
            )
    return None


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut text to at most `limit` characters at a word boundary, marking the cut."""
    text = fold_spaces(text)
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    cut = text.rfind(" ", 0, room + 1)
    if cut <= 0:  # one giant word: cut inside it rather than return nothing
        cut = room
    return text[:cut].rstrip(" ,;:.-\u2013\u2014") + ellipsis
