"""XML-level checks for both formats: declaration, encoding, namespace declarations."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any

from lxml import etree

from .common import (
    ATOM,
    ATOM_TEXT_CONSTRUCTS,
    KNOWN_NAMESPACES,
    MEDIA,
    RESERVED_PREFIXES,
    XHTML,
    elements,
    local_name,
    namespace_of,
)
from .report import Report, location

XML_DECLARATION_RE = re.compile(
    rb"""<\?xml\s+version\s*=\s*(["'])1\.\d+\1"""
    rb"""(?:\s+encoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._\-]*)\2)?"""
    rb"""(?:\s+standalone\s*=\s*(["'])(?:yes|no)\4)?\s*\?>"""
)


def xml_parser() -> etree.XMLParser:
    # Feeds never need a DTD; refusing entities and the network keeps a hostile fixture inert.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def load(data: bytes, report: Report, *, atom: bool) -> etree._Element | None:
    _check_declaration(data, report)
    declarations: list[tuple[etree._Element, str, str]] = []
    pending: list[tuple[str, str]] = []
    root: etree._Element | None = None
    events: Iterable[tuple[str, Any]] = etree.iterparse(
        io.BytesIO(data),
        events=("start-ns", "start"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    )
    try:
        # start-ns events arrive just before the start of the element that declares them,
        # which is the only way to see where each declaration sits: nsmap shows the result,
        # not the declarations, and hides a redundant redeclaration entirely.
        for event, item in events:
            if event == "start-ns":
                prefix, uri = item
                pending.append((prefix or "", uri))
                continue
            element: etree._Element = item
            if root is None:
                root = element
            declarations.extend((element, prefix, uri) for prefix, uri in pending)
            pending = []
    except etree.XMLSyntaxError as exc:
        report.error("document", f"not well-formed XML: {exc}")
        return None
    if root is None:
        report.error("document", "no root element")
        return None
    _check_namespaces(root, declarations, report, atom=atom)
    return root


def _check_declaration(data: bytes, report: Report) -> None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        report.error("document", "document is UTF-16 encoded; publish UTF-8")
        return
    body = data.removeprefix(b"\xef\xbb\xbf")
    match = XML_DECLARATION_RE.match(body)
    if match is None:
        report.error(
            "document",
            'missing XML declaration; start with <?xml version="1.0" encoding="UTF-8"?>',
        )
    elif match.group(3) is None:
        report.error("document", "XML declaration names no encoding; declare UTF-8")
    elif match.group(3).decode("ascii").lower() != "utf-8":
        encoding = match.group(3).decode("ascii")
        report.error("document", f"XML declaration encoding is {encoding}; expected UTF-8")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        report.error("document", f"document is not valid UTF-8 ({exc.reason} at {exc.start})")


def _check_namespaces(
    root: etree._Element,
    declarations: list[tuple[etree._Element, str, str]],
    report: Report,
    *,
    atom: bool,
) -> None:
    used = _used_namespaces(root)
    first_prefix: dict[str, str] = {}
    for element, prefix, uri in declarations:
        label = f"xmlns:{prefix}" if prefix else "xmlns"
        if element is not root:
            if atom and _is_xhtml_div_declaration(element, prefix, uri):
                continue
            report.error(
                location(element),
                f'{label}="{uri}" is declared below the root element; '
                "declare every namespace once, on the root",
            )
            continue
        if uri in first_prefix:
            other = f"xmlns:{first_prefix[uri]}" if first_prefix[uri] else "xmlns"
            report.error(location(root), f"namespace {uri} is declared twice ({other} and {label})")
        else:
            first_prefix[uri] = prefix
        if uri not in used:
            report.error(location(root), f'{label}="{uri}" is declared but never used')
        _check_prefix(root, prefix, uri, report, atom=atom)


def _check_prefix(
    root: etree._Element, prefix: str, uri: str, report: Report, *, atom: bool
) -> None:
    where = location(root)
    if uri.rstrip("/") == MEDIA.rstrip("/") and uri != MEDIA:
        report.error(
            where, f"the Media RSS namespace must end with a slash: {MEDIA} (W3C MediaRssNamespace)"
        )
        return
    if prefix in RESERVED_PREFIXES and RESERVED_PREFIXES[prefix] != uri:
        report.warning(
            where,
            f'the prefix "{prefix}" is bound to {uri} but generally denotes '
            f"{RESERVED_PREFIXES[prefix]} (W3C ReservedPrefix)",
        )
    elif uri not in KNOWN_NAMESPACES and not (atom and uri == ATOM and not prefix):
        report.warning(where, f"use of unknown namespace: {uri} (W3C UnknownNamespace)")
    if atom and prefix and uri in (ATOM, XHTML):
        report.warning(
            where,
            f'avoid the namespace prefix "{prefix}" in an Atom feed; '
            "use a default namespace (W3C AvoidNamespacePrefix)",
        )


def _is_xhtml_div_declaration(element: etree._Element, prefix: str, uri: str) -> bool:
    # RFC 4287 3.1.1.3 and 4.1.3.4 show the XHTML namespace declared as the default on the
    # div itself, and the W3C validator warns when a prefix is used instead, so this is the
    # one declaration that belongs below the root.
    parent = element.getparent()
    return (
        not prefix
        and uri == XHTML
        and element.tag == f"{{{XHTML}}}div"
        and parent is not None
        and local_name(parent) in ATOM_TEXT_CONSTRUCTS | {"content"}
        and namespace_of(parent) == ATOM
    )


def _used_namespaces(root: etree._Element) -> set[str]:
    used: set[str] = set()
    for element in elements(root.iter()):
        used.add(namespace_of(element))
        for name in element.attrib:
            if isinstance(name, str) and name.startswith("{"):
                used.add(name[1:].split("}", 1)[0])
    return used
