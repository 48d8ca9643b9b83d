"""Conditional GET and content coding, as RFC 9110 sections 12.5.3 and 13.1-13.2 say."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

__all__ = ["accepts_gzip", "not_modified"]


def _opaque(tag: str) -> str:
    # Weak comparison (13.1.2): W/"x" and "x" match.
    return tag.strip().removeprefix("W/")


def not_modified(
    if_none_match: str | None, if_modified_since: str | None, etags: tuple[str, ...], mtime: float
) -> bool:
    """Whether a GET or HEAD is answered 304. If-None-Match, when present, decides alone
    (13.1.3: If-Modified-Since is then ignored), compared weakly against the validators of
    every representation of this version."""
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        wanted = {_opaque(tag) for tag in if_none_match.split(",")}
        return any(tag in wanted for tag in etags)
    if if_modified_since is None:
        return False
    try:
        moment = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False  # not an HTTP-date: ignored, as 13.1.3 says
    if moment.tzinfo is None:
        return False
    # HTTP-dates have whole seconds; the file's mtime is finer.
    return int(mtime) <= moment.timestamp()


def accepts_gzip(header: str | None) -> bool:
    """Whether Accept-Encoding allows gzip (a q of 0 refuses it; `*` stands for it)."""
    if not header:
        return False
    star: bool | None = None
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        coding = coding.strip().lower()
        if coding in ("gzip", "x-gzip"):
            return q > 0
        if coding == "*":
            star = q > 0
    return bool(star)
