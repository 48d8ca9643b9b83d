"""The members database on a real PostgreSQL server: several hosts at once, an unreachable
or foreign database, a missing driver, and addresses whose password is never shown."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pg
import pytest
from click.testing import CliRunner
from helpers import BUNDLED_ITEMS
from served import Served, running, served_tree

from feedsvc.cli import main
from feedsvc.errors import MembersUnavailable
from feedsvc.serve import (
    Member,
    PostgresAddress,
    PostgresMembers,
    ServeConfig,
    SQLiteMembers,
    create_app,
    members_location,
)

PUBLIC_URL = "https://www.example.com/feeds/"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--items", str(BUNDLED_ITEMS)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def token_of(output: str) -> str:
    address = next(word for word in output.split() if word.endswith("/rss.xml"))
    return address.split("/m/")[1].split("/")[0]


@pytest.fixture
def database(postgres: pg.Server) -> str:
    return postgres.new_database()


@pytest.fixture
def two_hosts(tmp_path: Path, database: str) -> Iterator[tuple[Served, str]]:
    """Two servers, as on two hosts: their own out/ trees, one PostgreSQL members database."""
    with served_tree(tmp_path / "a", members_db=database) as first:
        config = ServeConfig(first.out, members_location(database), PUBLIC_URL)
        with running(config) as second:
            yield first, second


def test_two_hosts_share_members_and_record_every_poll(two_hosts: tuple[Served, str]) -> None:
    first, second = two_hosts
    db = ("--members-db", first.members_db)
    code, output = run("members", "add", "Alice", *db)
    assert code == 0, output
    token = token_of(output)
    # Both hosts at once, several clients each: every request answered, every poll counted.
    urls = [f"{base}m/{token}/rss.xml" for base in (first.base, second)] * 15
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda url: httpx.get(url).status_code, urls))
    assert statuses == [200] * len(urls)
    deadline = time.monotonic() + 10  # polls are recorded after each response is sent
    while True:
        row = next(line for line in run("members", "list", *db)[1].splitlines() if "Alice" in line)
        if row.split()[-2] == str(len(urls)) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert row.split()[-2] == str(len(urls)), row
    # A revocation on one host counts at the next request on every host, without a restart.
    assert run("members", "revoke", "Alice", *db)[0] == 0
    for base in (first.base, second):
        assert httpx.get(f"{base}m/{token}/rss.xml").status_code == 404


def test_polls_recorded_and_pruned_at_once_by_two_hosts_are_all_kept(database: str) -> None:
    # Every poll prunes, on both stores at once: no poll may be lost or fail.
    stores = [PostgresMembers(PostgresAddress(database), prune_every=1) for _ in range(2)]
    for store in stores:
        store.open()
    assert stores[0].add("Bruno") is not None
    now = time.time()
    old = now - 8 * 24 * 3600  # older than the week kept: what the pruning deletes
    start = threading.Barrier(8)

    def poll(worker: int) -> None:
        store = stores[worker % 2]
        start.wait()
        for i in range(25):
            store.record_poll("Bruno", f"client {worker}", old if i % 5 == 0 else now)

    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(poll, range(8)))
        stats = stores[1].stats(now + 1)
        assert [(s.name, s.polls_24h, s.clients_7d) for s in stats] == [("Bruno", 8 * 20, 8)]
    finally:
        for store in stores:
            store.close()


def test_workers_starting_at_once_on_a_new_database_create_its_tables_once(database: str) -> None:
    # uvicorn --workers 4 on several hosts, the first time: every one starts.
    stores = [PostgresMembers(PostgresAddress(database)) for _ in range(6)]
    start = threading.Barrier(len(stores))

    def open_at_once(store: PostgresMembers) -> None:
        start.wait()
        store.open()

    try:
        with ThreadPoolExecutor(len(stores)) as pool:
            list(pool.map(open_at_once, stores))
        assert stores[0].add("Gaëlle") is not None
        assert [s.name for s in stores[-1].stats(time.time())] == ["Gaëlle"]
    finally:
        for store in stores:
            store.close()


def test_a_server_restart_costs_no_request(
    postgres: pg.Server, database: str, tmp_path: Path
) -> None:
    # A failover or an upgrade cuts the pooled connections; the next lookup opens new ones.
    with served_tree(tmp_path, members_db=database) as served:
        output = run("members", "add", "Chloé", "--members-db", database)[1]
        token = token_of(output)
        url = f"{served.base}m/{token}/rss.xml"
        assert httpx.get(url).status_code == 200
        postgres.restart()
        assert [httpx.get(url).status_code for _ in range(3)] == [200] * 3


def test_a_members_database_that_is_down_gets_readers_a_503_not_a_500(
    postgres: pg.Server, database: str, tmp_path: Path
) -> None:
    # A 503 tells a feed reader to come back later; a 500 (the lookup's exception) reads as a
    # broken feed, and a 404 as an address that is gone for good.
    with served_tree(tmp_path, members_db=database) as served:
        token = token_of(run("members", "add", "Émile", "--members-db", database)[1])
        url = f"{served.base}m/{token}/rss.xml"
        assert httpx.get(url).status_code == 200
        postgres.stop()
        try:
            down = httpx.get(url, timeout=60)
            basic = httpx.get(f"{served.base}members/rss.xml", auth=("Émile", token), timeout=60)
            assert httpx.get(served.base + "rss.xml").status_code == 200  # the public feeds
        finally:
            postgres.start()
        assert (down.status_code, down.headers.get("retry-after")) == (503, "60")
        assert basic.status_code == 503
        # Back once the pool has a connection again: until then a 503 is the right answer.
        answers = [httpx.get(url, timeout=60).status_code]
        deadline = time.monotonic() + 30
        while answers[-1] == 503 and time.monotonic() < deadline:
            time.sleep(0.2)
            answers.append(httpx.get(url, timeout=60).status_code)
        assert set(answers[:-1]) <= {503} and answers[-1] == 200, answers
        assert [httpx.get(url).status_code for _ in range(2)] == [200] * 2


def test_feedsvc_beside_the_sites_own_tables_in_a_schema_of_its_own(
    postgres: pg.Server, database: str
) -> None:
    # The way out that the refusal of a foreign table gives.
    postgres.sql(database, "CREATE TABLE feedsvc_members (id int)")
    code, output = run("members", "add", "Denis", "--members-db", database)
    assert code == 1 and "?options=-csearch_path%3Dfeedsvc" in output, output
    postgres.sql(database, "CREATE SCHEMA feedsvc")
    own = f"{database}&options=-csearch_path%3Dfeedsvc"
    assert run("members", "add", "Denis", "--members-db", own)[0] == 0
    assert postgres.sql(database, "SELECT name FROM feedsvc.feedsvc_members") == [("Denis",)]
    assert postgres.sql(database, "SELECT * FROM public.feedsvc_members") == []


def test_a_lost_table_is_said_not_recreated(postgres: pg.Server, database: str) -> None:
    assert run("members", "add", "Emma", "--members-db", database)[0] == 0
    postgres.sql(database, "DROP TABLE feedsvc_polls")
    code, output = run("members", "list", "--members-db", database)
    assert code == 1 and "lost its table feedsvc_polls" in output, output
    assert postgres.sql(database, "SELECT to_regclass('feedsvc_polls')") == [(None,)]


def test_a_user_who_may_not_create_the_tables_is_told_so(
    postgres: pg.Server, database: str
) -> None:
    postgres.sql(database, "DROP ROLE IF EXISTS lecteur; CREATE ROLE lecteur LOGIN")
    address = database.replace(f"{pg.USER}:", "lecteur:", 1)
    code, output = run("members", "list", "--members-db", address)
    assert code == 1 and "cannot be used (permission denied for schema public)" in output, output
    assert pg.PASSWORD not in output


def test_an_unreachable_server_is_said_without_the_password(tmp_path: Path) -> None:
    nowhere = (
        f"postgresql://feedsvc:{pg.PASSWORD}@/postgres?host={tmp_path}&password=x{pg.PASSWORD}"
    )
    for command in (["members", "list"], ["members", "add", "Fred"], ["serve", "--port", "0"]):
        code, output = run(*command, "--members-db", nowhere)
        assert code == 1, output
        assert "cannot be reached" in output and "check that the PostgreSQL server runs" in output
        assert f"postgresql://feedsvc@/postgres?host={tmp_path}" in output
        assert pg.PASSWORD not in output
    config = ServeConfig(tmp_path / "out", members_location(nowhere), PUBLIC_URL)
    with pytest.raises(MembersUnavailable) as raised:
        create_app(config)  # the factory that uvicorn's workers call
    assert pg.PASSWORD not in str(raised.value)
    assert pg.PASSWORD not in repr(config) and pg.PASSWORD not in str(config.members_db)


def test_without_the_driver_it_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if it were not installed
    address = f"postgresql://feedsvc:{pg.PASSWORD}@db.example/members"
    code, output = run("members", "list", "--members-db", address)
    assert code == 1 and "pip install 'feedsvc[postgres]'" in output, output
    assert pg.PASSWORD not in output


def test_an_address_that_cannot_be_parsed_is_said_without_a_traceback() -> None:
    for address in (
        f"postgresql://u:{pg.PASSWORD}@[db/x",
        f"postgresql://u:{pg.PASSWORD}@h:99999/x",
    ):
        for command in (["members", "list"], ["serve", "--port", "0"]):
            code, output = run(*command, "--members-db", address)  # run: no exception escaped
            assert code == 1 and "is not a valid postgresql:// address" in output, output
            assert pg.PASSWORD not in output


def test_a_file_named_like_an_address_is_still_a_file(tmp_path: Path) -> None:
    # Only the scheme makes an address; everything else stays a path, as before.
    assert members_location(str(tmp_path / "postgresql.sqlite3")) == tmp_path / "postgresql.sqlite3"
    assert isinstance(members_location("POSTGRESQL://h/db"), PostgresAddress)
    assert isinstance(members_location("postgres://h/db"), PostgresAddress)


class Stalled(SQLiteMembers):
    """A members database that does not answer (a network partition, a locked table) until
    it is let go."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.asked, self.go = threading.Event(), threading.Event()

    def find(self, hashed: str) -> Member | None:
        self.asked.set()
        self.go.wait(60)
        return super().find(hashed)


def test_a_members_database_that_does_not_answer_never_holds_up_the_public_feeds(
    tmp_path: Path,
) -> None:
    with served_tree(tmp_path) as served:
        stalled = Stalled(tmp_path / "stalled.sqlite3")
        config = ServeConfig(served.out, stalled.path, PUBLIC_URL)
        with running(config, stalled) as base, ThreadPoolExecutor(1) as pool:
            member = pool.submit(httpx.get, f"{base}m/{'x' * 43}/rss.xml", timeout=60)
            assert stalled.asked.wait(30)
            try:
                # While the lookup waits, the public feeds are answered: it holds no event loop.
                assert httpx.get(base + "rss.xml", timeout=30).status_code == 200
                assert not member.done()
            finally:
                stalled.go.set()
            assert member.result().status_code == 404
