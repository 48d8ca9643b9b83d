"""The ASGI application: the public tree, members' private addresses, HTTP Basic for members."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from feedsvc.errors import MembersUnavailable
from feedsvc.publish._layout import MEMBERS_TREE, PUBLIC_TREE
from feedsvc.serve._config import ServeConfig
from feedsvc.serve._fast import PublicFastPath
from feedsvc.serve._files import (
    FileStore,
    Version,
    member_name,
    missing_public_tree,
    public_name,
)
from feedsvc.serve._members import Member, Members, members_store, token_hash
from feedsvc.serve._personal import MEMBER_PREFIX, Personaliser
from feedsvc.serve._respond import not_found, respond

__all__ = ["create_app"]

REALM = 'Basic realm="Membres", charset="UTF-8"'


def _client(request: Request) -> str:
    """A short hash of the client's address and user agent: enough to count distinct
    clients, without keeping either."""
    host = request.client.host if request.client else ""
    agent = request.headers.get("user-agent", "")
    return hashlib.sha256(f"{host}\0{agent}".encode("utf-8", "replace")).hexdigest()[:16]


def _basic(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, colon, token = decoded.partition(":")
    return (name, token) if colon else None


_log = logging.getLogger("feedsvc.serve")


class _Unavailable(Exception):
    """The members database did not answer: the member is told to come back, not 404."""


def _unavailable(request: Request, error: Exception) -> Response:
    # Readers retry a 503 later; a 404 would tell them the address is gone for good.
    return PlainTextResponse("Service Unavailable", status_code=503, headers={"retry-after": "60"})


class _Endpoints:
    """The members' lookups run in worker threads: a database on the network that answers
    slowly, or not at all, must never hold up the event loop, and the public feeds with it."""

    def __init__(self, config: ServeConfig, members: Members) -> None:
        self.public = FileStore(config.out_dir / PUBLIC_TREE)
        self.members_files = FileStore(config.out_dir / MEMBERS_TREE)
        self.members = members
        self.personaliser = Personaliser(config.public_url)
        self.public_cache = f"public, max-age={config.max_age}"
        # Personal bytes: a shared cache must never hand them to someone else.
        self.private_cache = f"private, max-age={config.max_age}"

    async def public_file(self, request: Request) -> Response:
        name = public_name(request.path_params["path"])
        version = self.public.get(name) if name is not None else None
        if version is None:
            return not_found()
        return respond(request, version, self.public_cache)

    def _member_version(self, name: str) -> Version | None:
        file = member_name(name)
        return self.members_files.get(file) if file is not None else None

    def _polled(self, request: Request, response: Response, member: Member) -> Response:
        response.background = BackgroundTask(
            self._record, member.name, _client(request), time.time()
        )
        return response

    def _record(self, name: str, client: str, now: float) -> None:
        try:
            self.members.record_poll(name, client, now)
        except MembersUnavailable as error:  # statistics only: the member has the feed
            _log.warning("a poll was not counted: %s", error)

    async def _find(self, token: str) -> Member | None:
        """The token's member; raises _Unavailable when the database cannot say."""
        try:
            return await run_in_threadpool(self.members.find, token_hash(token))
        except MembersUnavailable as error:
            _log.error("%s; members' feeds answer 503 until it answers", error)
            raise _Unavailable from None

    async def by_token(self, request: Request) -> Response:
        token: str = request.path_params["token"]
        # Both lookups always run: a bad token and a missing file cost and answer the same.
        version = self._member_version(request.path_params["name"])
        member = await self._find(token)
        if version is None or member is None:
            return not_found()
        personal = self.personaliser.get(token, version)
        return self._polled(request, respond(request, personal, self.private_cache), member)

    async def by_basic(self, request: Request) -> Response:
        version = self._member_version(request.path_params["name"])
        if version is None:
            return not_found()
        credentials = _basic(request)
        member = None
        if credentials is not None:
            member = await self._find(credentials[1])
        if (
            credentials is None
            or member is None
            or not hmac.compare_digest(member.name.encode(), credentials[0].encode())
        ):
            return PlainTextResponse(
                "Unauthorized", status_code=401, headers={"www-authenticate": REALM}
            )
        # The stored bytes: their self link is this plain address already.
        return self._polled(request, respond(request, version, self.private_cache), member)


def _closing(members: Members) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """Closes the store the application opened (a pool's connections) when the server stops."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            members.close()

    return lifespan


def create_app(config: ServeConfig | None = None, members: Members | None = None) -> PublicFastPath:
    """The application; with no argument, configured from FEEDSVC_* variables, as
    `uvicorn --factory feedsvc.serve:create_app` calls it in each worker."""
    from_env = config is None
    config = config if config is not None else ServeConfig.from_env()
    lifespan = None
    if members is None:
        members = members_store(config.members_db)
        if from_env:
            _said_at_start(config, members)
        else:
            members.open()  # an unreachable or foreign database stops the start, saying why
        lifespan = _closing(members)
    endpoints = _Endpoints(config, members)
    # Pollers' requests for public files skip Starlette; it still answers every other one.
    return PublicFastPath(endpoints.public, endpoints.public_cache, _routes(endpoints, lifespan))


def _said_at_start(config: ServeConfig, members: Members) -> None:
    """Under an ASGI server, what `feedsvc serve` refuses is said when a worker starts, rather
    than met at the first request; whether a worker that fails is restarted is the server's
    choice, so these are logged and the worker serves what it can."""
    missing = missing_public_tree(config.out_dir)
    if missing is not None:
        _log.warning(
            "%s does not exist: every public request gets 404 until a build writes it", missing
        )
    try:
        members.open()
    except MembersUnavailable as error:
        _log.error("%s; members' addresses fail until then", error)


def _routes(
    endpoints: _Endpoints,
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None,
) -> Starlette:
    return Starlette(
        lifespan=lifespan,
        exception_handlers={_Unavailable: _unavailable},
        routes=[
            Route(f"/{MEMBER_PREFIX}{{token}}/{{name:path}}", endpoints.by_token, methods=["GET"]),
            Route(f"/{MEMBERS_TREE}{{name:path}}", endpoints.by_basic, methods=["GET"]),
            Route("/{path:path}", endpoints.public_file, methods=["GET"]),
        ],
    )
