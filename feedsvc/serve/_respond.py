"""One file version as an HTTP response: validators, 304s, HEAD and gzip."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from feedsvc.serve._conditional import accepts_gzip, not_modified
from feedsvc.serve._files import Version

__all__ = ["NOT_FOUND", "not_found", "respond"]

NOT_FOUND = "Not Found"


def not_found() -> Response:
    """The one 404: a missing file, a path outside the tree and an unknown token look alike."""
    return PlainTextResponse(NOT_FOUND, status_code=404)


def respond(request: Request, version: Version, cache_control: str) -> Response:
    identity = version.identity
    gzipped = version.gzipped() if accepts_gzip(request.headers.get("accept-encoding")) else None
    chosen = gzipped or identity
    headers = {
        "etag": chosen.etag,
        "last-modified": version.last_modified,
        "cache-control": cache_control,
        "vary": "Accept-Encoding",
    }
    # Repeated If-None-Match lines are one list (RFC 9110 5.3).
    if_none_match = ", ".join(request.headers.getlist("if-none-match")) or None
    if not_modified(
        if_none_match, request.headers.get("if-modified-since"), version.validators, version.mtime
    ):
        return Response(status_code=304, headers=headers)
    headers["content-type"] = version.media_type
    headers["content-length"] = str(len(chosen.body))
    if gzipped is not None:
        headers["content-encoding"] = "gzip"
    body = b"" if request.method == "HEAD" else chosen.body
    return Response(body, headers=headers)
