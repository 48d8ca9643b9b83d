"""Media RSS checks, the rules of its specification that the W3C validator enforces."""

from __future__ import annotations

from lxml import etree

from .common import MEDIA, display_name
from .markup import check_escaped_html, check_no_html
from .report import Report, location, quoted
from .values import MIME_RE, check_integer, check_url

MEDIA_MEDIUMS = frozenset(["image", "audio", "video", "document", "executable"])
MEDIA_EXPRESSIONS = frozenset(["sample", "full", "nonstop"])


def check_media(root: etree._Element, report: Report) -> None:
    """Media RSS, wherever it appears: the rules of its spec the W3C validator enforces."""
    for content in root.iter(f"{{{MEDIA}}}content"):
        where = location(content)
        _check_image_like_media(content, report, required=False)
        media_type = content.get("type")
        if media_type is not None and not MIME_RE.match(media_type):
            report.error(
                where,
                f"type attribute of media:content must be a MIME type, not {quoted(media_type)}",
            )
        medium = content.get("medium")
        if medium is not None and medium not in MEDIA_MEDIUMS:
            report.error(
                where, f"invalid content medium: {quoted(medium)} (W3C InvalidMediaMedium)"
            )
        expression = content.get("expression")
        if expression is not None and expression not in MEDIA_EXPRESSIONS:
            report.error(
                where,
                f"invalid content expression: {quoted(expression)} (W3C InvalidMediaExpression)",
            )
        for attribute in ("fileSize", "width", "height"):
            value = content.get(attribute)
            if value is not None:
                check_integer(content, value, f"{attribute} attribute", report, minimum=1)
    for thumbnail in root.iter(f"{{{MEDIA}}}thumbnail"):
        _check_image_like_media(thumbnail, report, required=True)
    for player in root.iter(f"{{{MEDIA}}}player"):
        _check_image_like_media(player, report, required=True)
    for tag in ("title", "description", "text"):
        for element in root.iter(f"{{{MEDIA}}}{tag}"):
            text_type = element.get("type", "plain")
            if text_type not in ("plain", "html"):
                report.error(
                    location(element),
                    f'type attribute must be "plain" or "html", not {quoted(text_type)} '
                    "(W3C InvalidMediaTextType)",
                )
            elif text_type == "html":
                check_escaped_html(element, report, relative_refs=False)
            else:
                check_no_html(element, report, code="ContainsUndeclaredHTML")
    for group in root.iter(f"{{{MEDIA}}}group"):
        if len(group.findall(f"{{{MEDIA}}}content")) < 2:
            report.error(
                location(group),
                "media:group must have multiple media:content children "
                "(W3C MediaGroupWithoutAlternatives)",
            )


def _check_image_like_media(element: etree._Element, report: Report, *, required: bool) -> None:
    url = element.get("url")
    if url is None:
        if required:
            report.error(
                location(element),
                f"missing {display_name(element)} attribute: url (W3C MissingAttribute)",
            )
        return
    check_url(element, "url attribute", url, report, iri=False)
