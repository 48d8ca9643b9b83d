"""Checks on attribute and text values: URLs, IRIs, integers, languages, addresses."""

from __future__ import annotations

import re
from email.utils import parseaddr
from urllib.parse import unquote

from lxml import etree

from .common import display_name, text_of
from .report import Report, location, quoted

# The W3C validator's own patterns, kept as it wrote them so both tools agree on edge cases.
MIME_RE = re.compile(
    r'[^\s()<>,;:\\"/[\]?=]+/[^\s()<>,;:\\"/[\]?=]+'
    r'(\s*;\s*[^\s()<>,;:\\"/[\]?=]+=("(\\"|[^"])*"|[^\s()<>,;:\\"/[\]?=]+))*$'
)
EMAIL_RE = re.compile(
    r"([A-Z0-9_\-+.']+)@(([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([A-Z0-9\-]+\.)+))"
    r"([A-Z0-9][-A-Z0-9]*)$",
    re.IGNORECASE,
)

LANGUAGE_RE = re.compile(r"^(?:[A-Za-z]{2,3}|[iIxX])(?:-[A-Za-z0-9]{1,8})*$")
SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
URI_CHAR_RE = re.compile(r"[0-9A-Za-z;/?:@&=+$.\-_!~*'()%,#\[\]]")
TAG_URI_RE = re.compile(
    r"^tag:([a-z0-9\-._]+?@)?[a-z0-9.\-]+?,\d{4}(-\d{2}(-\d{2})?)?:"
    r"[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,]*(#[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,]*)?$"
)
URN_RE = re.compile(
    r"^[Uu][Rr][Nn]:[a-zA-Z0-9][a-zA-Z0-9-]{1,31}:([a-zA-Z0-9()+,.:=@;$_!*'\-]|%[0-9A-Fa-f]{2})+$"
)
UUID_URN_RE = re.compile(r"^urn:uuid:[a-f0-9]{8}(-[a-f0-9]{4}){3}-[a-f0-9]{12}$", re.IGNORECASE)

DEFAULT_PORTS = {"http": "80", "https": "443", "ftp": "21"}


def url_problem(value: str, *, iri: bool) -> str | None:
    """Why value is not an absolute URL (or IRI), or None when it is one."""
    if not value:
        return "is empty"
    if any(character.isspace() for character in value):
        return "contains white space"
    match = SCHEME_RE.match(value)
    if match is None:
        return f"is not absolute: {value}"
    scheme = match.group(1).lower()
    if scheme in ("http", "https", "ftp") and not re.match(
        r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/]", value
    ):
        return f"has no host: {value}"
    for character in value:
        if ord(character) >= 128:
            if not iri:
                return (
                    f"contains the non-ASCII character {character!r}; "
                    "percent-encode it (W3C UriNotIri)"
                )
        elif not URI_CHAR_RE.match(character):
            return f"contains {character!r}, which is not allowed in a URI (W3C InvalidUriChar)"
    if scheme == "tag" and not TAG_URI_RE.match(value):
        return f"is not a valid tag URI: {value} (W3C InvalidTAG)"
    if scheme == "urn":
        if value.lower().startswith("urn:uuid:") and not UUID_URN_RE.match(value):
            return f"is not a valid UUID URN: {value} (W3C InvalidUUID)"
        if not URN_RE.match(value):
            return f"is not a valid URN: {value} (W3C InvalidURN)"
    return None


def check_url(
    element: etree._Element,
    what: str,
    value: str,
    report: Report,
    *,
    iri: bool,
    code: str = "InvalidFullLink",
) -> None:
    problem = url_problem(value, iri=iri)
    if problem is not None:
        report.error(location(element), f"{what} {problem}; it must be a full URL (W3C {code})")


def check_url_element(element: etree._Element, report: Report, *, iri: bool) -> None:
    # The validator trims white space around RSS element values before judging them.
    check_url(element, display_name(element), text_of(element).strip(), report, iri=iri)


def check_iri_reference(element: etree._Element, what: str, value: str, report: Report) -> None:
    # Atom allows relative references here (resolved against xml:base), so only the
    # characters are checked.
    if value != value.strip() or any(character.isspace() for character in value):
        report.error(
            location(element), f"{what} contains white space, which no IRI may (RFC 4287 3)"
        )
        return
    for character in value:
        if ord(character) < 128 and not URI_CHAR_RE.match(character):
            report.error(
                location(element),
                f"{what} contains {character!r}, which is not allowed in a URI "
                "(W3C InvalidUriChar)",
            )
            return


def canonical_form(value: str) -> str | None:
    """The W3C validator's canonical form of a hierarchical URL, or None for other URIs.

    A subset of RFC 3986 section 6 normalisation: case of scheme and host, default ports,
    an empty path, and the case of percent-escapes, with escaped unreserved characters
    decoded.
    """
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*)://([^/?#]*)([^?#]*)(.*)$", value)
    if match is None:
        return None
    scheme, authority, path, rest = match.groups()
    scheme = scheme.lower()
    userinfo, _, host = authority.rpartition("@")
    host = host.lower()
    port = DEFAULT_PORTS.get(scheme)
    if port is not None and host.endswith(f":{port}"):
        host = host[: -len(port) - 1]
    authority = f"{userinfo}@{host}" if userinfo else host
    path = path or "/"

    def normalise_escape(escape: re.Match[str]) -> str:
        character = chr(int(escape.group(1), 16))
        if re.match(r"[A-Za-z0-9\-._~]", character):
            return character
        return escape.group(0).upper()

    path = re.sub(r"%([0-9A-Fa-f]{2})", normalise_escape, path)
    return f"{scheme}://{authority}{path}{rest}"


def check_integer(
    element: etree._Element,
    value: str,
    what: str,
    report: Report,
    minimum: int,
    maximum: int | None = None,
) -> None:
    stripped = value.strip()
    if not re.fullmatch(r"\d+", stripped) or int(stripped) < minimum:
        kind = "a positive integer" if minimum > 0 else "a non-negative integer"
        report.error(location(element), f"{what} must be {kind}, not {quoted(value)}")
    elif maximum is not None and int(stripped) > maximum:
        report.error(location(element), f"{what} must be at most {maximum}, not {stripped}")


def check_not_blank(element: etree._Element, report: Report) -> None:
    if not text_of(element).strip():
        report.warning(
            location(element), f"{display_name(element)} should not be blank (W3C NotBlank)"
        )


def check_language(element: etree._Element, value: str, report: Report) -> None:
    if not LANGUAGE_RE.match(value):
        report.error(
            location(element),
            f"{quoted(value)} is not a language tag; use an ISO 639 code with optional "
            'subtags, e.g. "fr" or "fr-FR" (W3C InvalidLanguage)',
        )


def check_rss_email(element: etree._Element, report: Report) -> None:
    """RSS address elements, which the W3C validator wants as "addr@example.com (Name)"."""
    where = location(element)
    name = display_name(element)
    value = text_of(element).strip()
    if value.startswith("mailto:"):
        value = unquote(value[len("mailto:") :])
    if "@" not in value[1:]:
        report.error(
            where, f"{name} must be an email address, not {quoted(value)} (W3C InvalidContact)"
        )
        return
    if not value.endswith(")"):
        if " " in value:
            report.warning(
                where,
                f'{name} is not in the recommended format "address (Real Name)" (W3C EmailFormat)',
            )
        else:
            report.warning(
                where, f"{name} is missing the real name: {value} (Real Name) (W3C MissingRealName)"
            )
        return
    address = parseaddr(value)[1]
    if not EMAIL_RE.match(address):
        report.error(
            where, f"{name} has an invalid email address: {quoted(value)} (W3C InvalidContact)"
        )
