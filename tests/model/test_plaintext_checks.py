"""The shortcuts of the plain-text checks decide as the full checks do, for every character."""

from __future__ import annotations

import sys
import unicodedata

from feedsvc.model import _plaintext as plaintext


def test_every_forbidden_character_is_found_past_the_printable_shortcut() -> None:
    # str.isprintable() lets a value skip the regex: it must refuse every character the
    # regex finds, whichever character sits beside it.
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        expected = None if plaintext._FORBIDDEN.search(char) is None else (1, 2, f"U+{code:04X}")
        assert plaintext.forbidden_char(f"é{char}") == expected, hex(code)


def test_the_search_of_a_files_bytes_finds_what_the_search_of_its_text_does() -> None:
    # An item file is searched as UTF-8 bytes, and its text only when they hold something:
    # every character of the Basic Multilingual Plane (surrogates aside: UTF-8 cannot carry
    # them), alone and beside others; above it, by blocks, as none is refused there.
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        expected = plaintext._FORBIDDEN.search(char) is not None
        for text in (char, f"é\n{char}x", f"{char}\u00a0»"):
            assert plaintext.utf8_holds_forbidden(text.encode()) == expected, hex(code)
    for start in range(0x10000, sys.maxunicode + 1, 0x1000):
        block = "".join(map(chr, range(start, start + 0x1000)))
        assert plaintext._FORBIDDEN.search(block) is None
        assert not plaintext.utf8_holds_forbidden(block.encode()), hex(start)


def test_ascii_text_skips_normalisation_and_other_text_is_composed() -> None:
    text = "".join(map(chr, range(128)))
    assert plaintext.nfc(text) is text
    assert plaintext.nfc("Cre\u0301e\u0301e") == "Créée" == unicodedata.normalize("NFC", "Créée")
