"""The public tree's GET and HEAD as bare ASGI: header lists made once per file version.

Pollers mostly ask for a published feed with its current ETag. That answer is served here
without a framework: no routing, request or response objects, no header parsing when the
ETag is sent back exactly as given. Everything else (members, 404s, 405s, lifespan) goes to
the Starlette application behind it, which also answers the same names under the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from feedsvc.serve._conditional import accepts_gzip, not_modified
from feedsvc.serve._files import FileStore, Version, public_name

__all__ = ["PublicFastPath"]

Headers = tuple[tuple[bytes, bytes], ...]
# Distinct Accept-Encoding values are few (one per client family): each is parsed once.
_MAX_CODINGS = 256


@dataclass(frozen=True, slots=True)
class _Coding:
    """One representation of one version, with its answers ready to send."""

    etag: bytes
    body: bytes
    ok: Headers  # the 200's, with Content-Type and Content-Length
    not_modified: Headers  # the 304's

    @classmethod
    def of(cls, version: Version, etag: str, body: bytes, common: Headers, gzip: bool) -> _Coding:
        shared = ((b"etag", etag.encode()), *common)
        ok = (
            *shared,
            (b"content-type", version.media_type.encode()),
            (b"content-length", str(len(body)).encode()),
            *([(b"content-encoding", b"gzip")] if gzip else []),
        )
        return cls(etag.encode(), body, ok, shared)


@dataclass(frozen=True, slots=True)
class _Prepared:
    version: Version
    identity: _Coding
    gzip: _Coding  # the identity again when gzip would not be smaller

    @classmethod
    def of(cls, version: Version, cache_control: str) -> _Prepared:
        # The same headers, in the same order, as the Starlette path's respond().
        common = (
            (b"last-modified", version.last_modified.encode()),
            (b"cache-control", cache_control.encode()),
            (b"vary", b"Accept-Encoding"),
        )
        identity = version.identity
        plain = _Coding.of(version, identity.etag, identity.body, common, gzip=False)
        packed = version.gzipped()
        gzip = (
            plain if packed is None else _Coding.of(version, packed.etag, packed.body, common, True)
        )
        return cls(version, plain, gzip)


class PublicFastPath:
    """GET and HEAD of a published public file; anything else is `fallback`'s."""

    def __init__(self, files: FileStore, cache_control: str, fallback: ASGIApp) -> None:
        self.files = files
        self.cache_control = cache_control
        self.fallback = fallback
        self._prepared: dict[str, _Prepared] = {}
        self._gzip: dict[bytes, bool] = {}

    def _version(self, scope: Scope) -> _Prepared | None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return None
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):  # as Starlette's routing sees it
            path = path[len(root) :]
        name = public_name(path)
        if name is None:
            return None
        version = self.files.get(name)
        if version is None:
            return None
        prepared = self._prepared.get(name)
        if prepared is None or prepared.version is not version:
            prepared = self._prepared[name] = _Prepared.of(version, self.cache_control)
        return prepared

    def _accepts_gzip(self, header: bytes) -> bool:
        known = self._gzip.get(header)
        if known is None:
            if len(self._gzip) >= _MAX_CODINGS:
                self._gzip.clear()
            known = self._gzip[header] = accepts_gzip(header.decode("latin-1"))
        return known

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        prepared = self._version(scope)
        if prepared is None:
            await self.fallback(scope, receive, send)
            return
        if_none_match = if_modified_since = accept_encoding = None
        for key, value in scope["headers"]:
            if key == b"if-none-match":
                # Repeated lines are one list (RFC 9110 5.3).
                if_none_match = value if if_none_match is None else if_none_match + b"," + value
            elif key == b"if-modified-since" and if_modified_since is None:
                if_modified_since = value
            elif key == b"accept-encoding" and accept_encoding is None:
                accept_encoding = value
        gzip = accept_encoding is not None and self._accepts_gzip(accept_encoding)
        coding = prepared.gzip if gzip else prepared.identity
        if if_none_match is not None and (
            if_none_match == coding.etag
            or if_none_match == prepared.identity.etag
            or if_none_match == prepared.gzip.etag
        ):
            unchanged = True  # the common case: the tag sent back as it was given
        elif if_none_match is not None or if_modified_since is not None:
            unchanged = not_modified(
                None if if_none_match is None else if_none_match.decode("latin-1"),
                None if if_modified_since is None else if_modified_since.decode("latin-1"),
                prepared.version.validators,
                prepared.version.mtime,
            )
        else:
            unchanged = False
        # Fresh messages each time: a server may keep or change what it is handed.
        if unchanged:
            await send(
                {"type": "http.response.start", "status": 304, "headers": coding.not_modified}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": coding.ok})
        body = b"" if scope["method"] == "HEAD" else coding.body
        await send({"type": "http.response.body", "body": body})
