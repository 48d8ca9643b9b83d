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


def test_ascii_text_skips_normalisation_and_other_text_is_composed() -> None:
    text = "".join(map(chr, range(128)))
    assert plaintext.nfc(text) is text
    assert plaintext.nfc("Cre\u0301e\u0301e") == "Créée" == unicodedata.normalize("NFC", "Créée")
