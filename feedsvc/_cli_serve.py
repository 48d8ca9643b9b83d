"""The `feedsvc serve` and `feedsvc members` commands: the HTTP server and members' addresses.

Kept apart from cli.py, which adds them to the command group; the serve wing, uvicorn and
Starlette are imported inside the commands, so help answers without loading them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from feedsvc._cli_params import ITEMS_DIR

if TYPE_CHECKING:
    from types import FrameType

    from starlette.types import ASGIApp

    from feedsvc.serve import Members, MembersLocation

__all__ = ["members", "serve"]


def _members_db(items_dir: Path, members_db: str | None) -> MembersLocation:
    from feedsvc.errors import ServeConfigError
    from feedsvc.serve import default_members_db, members_location

    try:
        return members_location(members_db) if members_db else default_members_db(items_dir)
    except ServeConfigError as error:
        raise click.ClickException(str(error)) from None


MEMBERS_DB_OPTION = click.option(
    "--members-db", envvar="FEEDSVC_MEMBERS_DB", metavar="FILE|URL",
    help="The members database: a SQLite file (default: .cache/feedsvc/members.sqlite3 beside "
    "the items folder; never inside a served folder), or a postgresql://user:password@host/db "
    "address for several hosts (pip install 'feedsvc[postgres]'). Also FEEDSVC_MEMBERS_DB.",
)  # fmt: skip
ITEMS_OPTION = click.option(
    "--items", "items_dir", type=ITEMS_DIR, default="items", show_default=True, metavar="DIR",
    help="The items folder: its feed.yaml gives public_url.",
)  # fmt: skip


@click.command()
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default="out",
    show_default=True, metavar="DIR", help="The folder the build writes.",
)  # fmt: skip
@ITEMS_OPTION
@MEMBERS_DB_OPTION
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--max-age", type=click.IntRange(min=0), default=300, show_default=True,
    help="Seconds a poller or cache may reuse a feed without asking (Cache-Control).",
)  # fmt: skip
@click.option(
    "--watch", is_flag=True,
    help="Also build the feeds from the items folder, and again after each change in it.",
)  # fmt: skip
def serve(
    out_dir: Path,
    items_dir: Path,
    members_db: str | None,
    host: str,
    port: int,
    max_age: int,
    watch: bool,
) -> None:
    """Serve the public feeds, and each member's private feed address, over HTTP.

    Listens on the loopback address unless --host says otherwise; put the site's reverse
    proxy in front. For several workers, run `uvicorn --factory feedsvc.serve:create_app`
    (see the README's Serving section).

    \b
    Example:
      feedsvc serve --port 8000
      feedsvc serve --watch       # while editing: build, rebuild on save, and serve
    """
    app = _app(out_dir, items_dir, members_db, max_age, watch)

    def run() -> None:
        _run_server(app, host, port)

    if not watch:
        run()
        return
    import threading

    from feedsvc._cli_build import watched_build

    # The builds run beside the server, in a thread of their own: the server reads each file
    # whole per version, so it serves the old file or the new one while a build writes.
    stop = threading.Event()
    builder = threading.Thread(target=watched_build(items_dir, out_dir), args=(stop,), daemon=True)
    builder.start()
    try:
        run()
    finally:
        stop.set()
        builder.join(timeout=5)


def _run_server(app: ASGIApp, host: str, port: int) -> None:
    """Serve until a stop signal, then end as the command does on one (one line, 128 + N).

    uvicorn stops gracefully on SIGINT and SIGTERM, then raises the signal again for the
    command to end by. SIGHUP (the terminal closed) it leaves to the command's own handler,
    which would raise inside the event loop: the loop logs the stop and serves on, deaf to
    any later signal. It gets the same graceful stop here.
    """
    import signal

    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    )
    hung_up: list[int] = []

    def hang_up(signum: int, frame: FrameType | None) -> None:
        hung_up.append(signum)
        server.should_exit = True

    previous = signal.signal(signal.SIGHUP, hang_up)
    try:
        server.run()
    finally:
        signal.signal(signal.SIGHUP, previous)
    if hung_up:
        signal.raise_signal(signal.SIGHUP)  # the command's handler: one line, 129


def _app(
    out_dir: Path, items_dir: Path, members_db: str | None, max_age: int, watch: bool
) -> ASGIApp:
    """The application, once what it would serve has been checked: said at start rather than
    met as a 404 on every request, or at the first member's."""
    from feedsvc.errors import MembersUnavailable, ServeConfigError
    from feedsvc.serve import ServeConfig, create_app, missing_public_tree, public_url_of

    try:
        config = ServeConfig(
            out_dir, _members_db(items_dir, members_db), public_url_of(items_dir), max_age
        )
    except ServeConfigError as error:
        raise click.ClickException(str(error)) from None
    missing = missing_public_tree(out_dir)
    if missing is not None and not watch:
        raise click.ClickException(
            f"{missing} does not exist, so there is nothing to serve: build the feeds first "
            f"(feedsvc build --items {items_dir} --out {out_dir}), give the folder the build "
            "writes with --out DIR, or add --watch to build and serve"
        )
    if missing is not None:
        click.echo(f"note: {missing} does not exist yet; --watch builds it now", err=True)
    try:
        return create_app(config)
    except MembersUnavailable as error:
        raise click.ClickException(str(error)) from None


@click.group()
def members() -> None:
    """Members' private feed addresses: add, list, revoke, rotate.

    Each member gets a secret address per format, <public_url>m/<token>/rss.xml and the
    like, that serves the members' feed with its full text. Only a hash of the token is
    stored. Changes count at once, without restarting the server.
    """


def _store(items_dir: Path, members_db: str | None) -> Members:
    from feedsvc.errors import MembersUnavailable
    from feedsvc.serve import members_store

    store = members_store(_members_db(items_dir, members_db))
    click.get_current_context().call_on_close(store.close)
    try:
        store.open()
    except MembersUnavailable as error:
        # Not a cache: it holds every member's address, so it is never rebuilt behind their back.
        raise click.ClickException(str(error)) from None
    return store


def _public_url(items_dir: Path) -> str:
    """Read before the database changes: a token that could not be printed would be lost."""
    from feedsvc.errors import ServeConfigError
    from feedsvc.serve import public_url_of

    try:
        return public_url_of(items_dir)
    except ServeConfigError as error:
        raise click.ClickException(f"{error}\n(give the items folder with --items DIR)") from None


def _print_addresses(public_url: str, name: str, token: str) -> None:
    from feedsvc.publish import FORMATS
    from feedsvc.serve import member_address

    click.echo(f"Addresses of {name} (secret: give them to {name} alone):")
    for file_format in FORMATS.values():
        click.echo(f"  {member_address(public_url, token, file_format.name)}")
    click.echo(f"  HTTP Basic: user {name!r}, password {token}")


@members.command("add")
@click.argument("name")
@ITEMS_OPTION
@MEMBERS_DB_OPTION
def members_add(name: str, items_dir: Path, members_db: str | None) -> None:
    """Give NAME a private address; prints it for each format."""
    from feedsvc.serve import valid_name

    if not valid_name(name):
        raise click.BadParameter("one line, 1-200 characters, no ':'", param_hint="NAME")
    public_url = _public_url(items_dir)
    token = _store(items_dir, members_db).add(name)
    if token is None:
        raise click.ClickException(
            f"{name} is already a member; `feedsvc members rotate {name}` gives a new address"
        )
    _print_addresses(public_url, name, token)


@members.command("rotate")
@click.argument("name")
@ITEMS_OPTION
@MEMBERS_DB_OPTION
def members_rotate(name: str, items_dir: Path, members_db: str | None) -> None:
    """Give NAME a new address; the old one stops working at once (a revoked member is
    given access again)."""
    public_url = _public_url(items_dir)
    token = _store(items_dir, members_db).rotate(name)
    if token is None:
        raise click.ClickException(
            f"{name} is not a member; `feedsvc members add {name}` adds them"
        )
    _print_addresses(public_url, name, token)


@members.command("revoke")
@click.argument("name")
@ITEMS_OPTION
@MEMBERS_DB_OPTION
def members_revoke(name: str, items_dir: Path, members_db: str | None) -> None:
    """Stop NAME's address at once; their next poll gets 404."""
    if not _store(items_dir, members_db).revoke(name):
        raise click.ClickException(f"{name} is not an active member")
    click.echo(f"{name}: revoked.")


@members.command("list")
@ITEMS_OPTION
@MEMBERS_DB_OPTION
def members_list(items_dir: Path, members_db: str | None) -> None:
    """Each member with the last poll, polls in the last 24 hours and distinct clients in the
    last 7 days: an address polled by many clients has probably been shared."""
    import time

    rows = _store(items_dir, members_db).stats(time.time())
    click.echo(
        f"{'member':<24} {'state':<8} {'last poll (UTC)':<20} {'polls 24h':>9} {'clients 7d':>10}"
    )
    for row in rows:
        last = (
            datetime.fromtimestamp(row.last_poll, UTC).strftime("%Y-%m-%d %H:%M:%S")
            if row.last_poll is not None
            else "never"
        )
        state = "active" if row.active else "revoked"
        click.echo(f"{row.name:<24} {state:<8} {last:<20} {row.polls_24h:>9} {row.clients_7d:>10}")
