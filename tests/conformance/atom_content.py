"""Atom text constructs and content elements: types, markup, Base64 payloads."""

from __future__ import annotations

import base64
import binascii
import re

from lxml import etree

from .common import XHTML, display_name, elements, local_name, text_of
from .markup import check_escaped_html, check_html_tree, check_no_html
from .report import Report, location, quoted
from .values import MIME_RE, check_iri_reference


def check_text_construct(element: etree._Element, report: Report) -> None:
    where = location(element)
    text_type = element.get("type", "text")
    if text_type not in ("text", "html", "xhtml"):
        report.error(
            where,
            f'type attribute must be "text", "html", or "xhtml", not {quoted(text_type)} '
            "(W3C InvalidTextType, RFC 4287 3.1.1)",
        )
        return
    children = list(elements(element))
    if text_type in ("text", "html") and children:
        report.error(
            where,
            f'type="{text_type}" must not contain child elements ({display_name(children[0])}); '
            "escape the markup (RFC 4287 3.1.1)",
        )
    if text_type == "xhtml":
        _check_xhtml_div(element, report)
    elif text_type == "html":
        check_escaped_html(element, report, relative_refs=False)
    else:
        check_no_html(element, report, code="ContainsUndeclaredHTML")
    if (
        local_name(element) == "title"
        and not "".join(str(part) for part in element.itertext()).strip()
    ):
        report.warning(where, "title should not be blank (W3C NotBlank)")


def _check_xhtml_div(element: etree._Element, report: Report) -> None:
    children = list(elements(element))
    stray_text = (element.text or "").strip() or any(
        (child.tail or "").strip() for child in children
    )
    if len(children) != 1 or children[0].tag != f"{{{XHTML}}}div" or stray_text:
        report.error(
            location(element),
            'type="xhtml" content must be exactly one XHTML div element (W3C MissingXhtmlDiv, '
            "RFC 4287 3.1.1.3)",
        )
        return
    check_html_tree(element, children[0], report, relative_refs=False)


def check_content(content: etree._Element, report: Report) -> None:
    where = location(content)
    src = content.get("src")
    content_type = content.get("type")
    children = list(elements(content))
    if src is not None:
        check_iri_reference(content, "src attribute", src, report)
        if content_type is None:
            report.warning(
                where, "content with src should have a type attribute (W3C MissingTypeAttr)"
            )
        elif content_type in ("text", "html", "xhtml"):
            report.error(
                where,
                f'content with src must have a MIME media type, not "{content_type}" '
                "(RFC 4287 4.1.3.2)",
            )
        if children or text_of(content).strip():
            report.error(where, "content with src must be empty (RFC 4287 4.1.3.2)")
        return
    content_type = content_type or "text"
    if content_type in ("text", "html"):
        if children:
            report.error(
                where,
                f'type="{content_type}" must not contain child elements '
                f"({display_name(children[0])}); escape the markup (RFC 4287 4.1.3.3)",
            )
        if content_type == "html":
            check_escaped_html(content, report, relative_refs=False)
        else:
            check_no_html(content, report, code="ContainsUndeclaredHTML")
        return
    if content_type == "xhtml":
        _check_xhtml_div(content, report)
        return
    lowered = content_type.lower()
    if not MIME_RE.match(content_type):
        report.error(
            where,
            f'content type must be "text", "html", "xhtml" or a MIME media type, '
            f"not {quoted(content_type)} (RFC 4287 4.1.3.1)",
        )
    elif lowered.startswith(("multipart/", "message/")):
        report.error(
            where, f"content type must not be a composite type: {content_type} (RFC 4287 4.1.3.1)"
        )
    elif lowered.endswith(("/xml", "+xml")):
        return
    elif lowered.startswith("text/"):
        if children:
            report.error(
                where, f"type={content_type} must not contain child elements (RFC 4287 4.1.3.3)"
            )
    else:
        encoded = re.sub(r"\s+", "", text_of(content))
        try:
            base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            report.error(
                where,
                f"{content_type} content must be Base64 encoded (W3C NotBase64, RFC 4287 4.1.3.3)",
            )


def is_base64_type(media_type: str) -> bool:
    lowered = media_type.lower()
    return (
        "/" in lowered
        and not lowered.startswith("text/")
        and not lowered.endswith(("/xml", "+xml"))
    )
