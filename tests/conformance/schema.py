"""The RELAX NG grammar of RFC 4287 Appendix B, applied as a complementary check."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from lxml import etree

from .document import xml_parser

ATOM_SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "atom.rng"


def check_atom_schema(data: bytes) -> list[str]:
    """Problems found by the RELAX NG grammar of RFC 4287 Appendix B.

    The grammar is informative and looser than the prose, so this complements check_atom
    rather than replacing it: its Schematron rules (feed or entry author, alternate link or
    content) are annotations that RELAX NG ignores; xsd:dateTime lets a date go without a
    time zone; IRIs are unconstrained text; and any element outside the Atom namespace is
    accepted as an extension, so a misspelt extension element passes.
    """
    try:
        document = etree.fromstring(data, xml_parser())
    except etree.XMLSyntaxError as exc:
        return [f"error: document: not well-formed XML: {exc}"]
    schema = _atom_schema()
    if schema.validate(document):
        return []
    return [
        f"error: line {entry.line}: {entry.message} (RFC 4287 Appendix B)"
        for entry in schema.error_log
    ]


@functools.cache
def _atom_schema() -> Any:
    return etree.RelaxNG(etree.parse(str(ATOM_SCHEMA_PATH)))
