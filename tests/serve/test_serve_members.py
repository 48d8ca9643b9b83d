"""Members' private addresses: the command, a real server, feedparser and HTTP Basic."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest
from click.testing import CliRunner
from helpers import BUNDLED_ITEMS
from lxml import etree
from served import (
    SECRET_SENTENCE,
    Served,
    members_tables,
    publish_tree,
    run_sql,
    served_tree,
    stored_text,
)

from feedsvc.cli import main
from feedsvc.publish.writers.namespaces import ATOM

PUBLIC_URL = "https://www.example.com/feeds/"
ADDRESS = re.compile(re.escape(PUBLIC_URL) + r"m/([A-Za-z0-9_-]+)/rss\.xml")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """The server with its members in a SQLite file, then on the session's PostgreSQL server."""
    members_db = None
    if request.param == "postgresql":
        members_db = request.getfixturevalue("postgres").new_database()
    with served_tree(tmp_path_factory.mktemp("members"), members_db=members_db) as served:
        yield served


def members(served: Served, *args: str) -> tuple[int, str]:
    db = ("--items", str(served.items), "--members-db", served.members_db)
    result = CliRunner().invoke(main, ["members", *args, *db])
    return result.exit_code, result.output


def add(served: Served, name: str, command: str = "add") -> str:
    """The token `feedsvc members add|rotate NAME` printed in the member's addresses."""
    code, output = members(served, command, name)
    assert code == 0, output
    found = ADDRESS.search(output)
    assert found is not None, output
    token = found.group(1)
    for file in ("rss.xml", "atom.xml", "feed.json"):
        assert f"{PUBLIC_URL}m/{token}/{file}" in output
    return token


def local(served: Served, token: str, file: str = "rss.xml") -> str:
    return f"{served.base}m/{token}/{file}"


def test_a_member_gets_the_full_text_with_their_own_self_links(served: Served) -> None:
    token = add(served, "Alice")
    assert len(token) >= 22 and len(token.encode()) * 6 // 8 >= 16  # at least 128 bits
    assert token not in stored_text(served.members_db)  # only its hash
    rss = feedparser.parse(local(served, token))
    assert rss.status == 200
    selfs = [link.href for link in rss.feed.links if link.rel == "self"]
    assert selfs == [f"{PUBLIC_URL}m/{token}/rss.xml"]
    assert any(
        SECRET_SENTENCE in entry.content[0].value for entry in rss.entries if "content" in entry
    )
    atom = etree.fromstring(httpx.get(local(served, token, "atom.xml")).content)
    assert atom.xpath("./a:link[@rel='self']/@href", namespaces={"a": ATOM}) == [
        f"{PUBLIC_URL}m/{token}/atom.xml"
    ]
    feed = json.loads(httpx.get(local(served, token, "feed.json")).content)
    assert feed["feed_url"] == f"{PUBLIC_URL}m/{token}/feed.json"
    assert any(SECRET_SENTENCE in item.get("content_html", "") for item in feed["items"])
    # The public tree never carries it.
    for path in (served.out / "public").rglob("*"):
        assert not path.is_file() or SECRET_SENTENCE.encode() not in path.read_bytes()


def test_conditional_get_per_member_and_file_version(served: Served) -> None:
    alice, bob = add(served, "Alice C"), add(served, "Bob C")
    first = feedparser.parse(local(served, alice))
    assert feedparser.parse(local(served, alice), etag=first.etag).status == 304
    assert feedparser.parse(local(served, alice), modified=first.modified).status == 304
    other = httpx.get(local(served, bob))
    assert other.headers["etag"] != first.etag  # each member's bytes, each member's tag
    assert other.headers["cache-control"].startswith("private")
    assert httpx.get(local(served, bob), headers={"if-none-match": first.etag}).status_code == 200
    lead = served.items / "2024-06-20-enquete.md"
    lead.write_text(lead.read_text(encoding="utf-8") + "\nUn ajout.\n", encoding="utf-8")
    publish_tree(served.items, served.out)
    after = feedparser.parse(local(served, alice), etag=first.etag)
    assert after.status == 200 and after.etag != first.etag
    assert feedparser.parse(local(served, alice), etag=after.etag).status == 304


def test_revoke_and_rotate_count_at_once(served: Served) -> None:
    token = add(served, "Carole")
    assert httpx.get(local(served, token)).status_code == 200
    assert members(served, "revoke", "Carole")[0] == 0
    missing = httpx.get(served.base + "categories/nowhere/rss.xml")
    revoked = httpx.get(local(served, token))
    assert (revoked.status_code, revoked.content) == (404, missing.content)
    new = add(served, "Carole", command="rotate")  # a revoked member is given access again
    assert httpx.get(local(served, token)).status_code == 404
    assert httpx.get(local(served, new)).status_code == 200
    newer = add(served, "Carole", command="rotate")
    assert httpx.get(local(served, new)).status_code == 404
    assert httpx.get(local(served, newer)).status_code == 200
    assert members(served, "rotate", "Nobody")[0] == 1
    assert members(served, "revoke", "Nobody")[0] == 1
    code, output = members(served, "add", "Carole")
    assert code == 1 and "rotate" in output


def test_bad_tokens_get_the_404_of_a_missing_file(served: Served) -> None:
    token = add(served, "Denis")
    missing = httpx.get(served.base + "categories/nowhere/rss.xml")
    bad = [
        secrets.token_urlsafe(32), token[:-1], token[:22], token + "A", token.upper(),
        token.swapcase(), "", "%2e%2e", token + "%00", "x" * 5000,
    ]  # fmt: skip
    for wrong in bad:
        response = httpx.get(f"{served.base}m/{wrong}/rss.xml")
        assert (response.status_code, response.content) == (404, missing.content), wrong
    # A valid token on a file the members' tree does not have: the same 404.
    for file in ("index.html", "../rss.xml", "categories/asie/rss.xml"):
        assert httpx.get(f"{served.base}m/{token}/{file}").status_code == 404


def test_http_basic_with_name_and_token(served: Served) -> None:
    emma, fred = add(served, "Emma"), add(served, "Fred")
    url = served.base + "members/rss.xml"
    challenge = httpx.get(url)
    assert challenge.status_code == 401
    assert challenge.headers["www-authenticate"].startswith("Basic ")
    good = httpx.get(url, auth=("Emma", emma))
    assert good.status_code == 200 and SECRET_SENTENCE.encode() in good.content
    assert (
        httpx.get(
            url, auth=("Emma", emma), headers={"if-none-match": good.headers["etag"]}
        ).status_code
        == 304
    )
    for name, token in (("Emma", fred), ("Fred", emma), ("Emma", emma[:-2]), ("emma", emma)):
        assert httpx.get(url, auth=(name, token)).status_code == 401
    assert httpx.get(url, headers={"authorization": "Basic !!!"}).status_code == 401
    assert httpx.get(url, headers={"authorization": f"Bearer {emma}"}).status_code == 401


def test_list_shows_polls_and_distinct_clients(served: Served) -> None:
    token = add(served, "Gilles")
    for agent in ("Reader A", "Reader A", "Reader B", "Reader C"):
        assert httpx.get(local(served, token), headers={"user-agent": agent}).status_code == 200
    # Polls are recorded after each response is sent, so the last may land a moment later.
    deadline = time.monotonic() + 10
    while True:
        code, output = members(served, "list")
        assert code == 0
        row = next(line for line in output.splitlines() if line.startswith("Gilles "))
        if row.split()[-2:] == ["4", "3"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert row.split()[1] == "active" and row.split()[-2:] == ["4", "3"], row
    add(served, "Hélène")
    code, output = members(served, "list")
    assert "never" in next(line for line in output.splitlines() if line.startswith("Hélène "))
    members(served, "revoke", "Gilles")
    code, output = members(served, "list")
    assert "revoked" in next(line for line in output.splitlines() if line.startswith("Gilles "))


@pytest.mark.parametrize("name", ["", "a:b", "two\nlines", " padded"])
def test_bad_member_names_are_refused(tmp_path: Path, name: str) -> None:
    result = CliRunner().invoke(
        main, ["members", "add", name, "--members-db", str(tmp_path / "m.sqlite3")]
    )
    assert result.exit_code == 2 and "NAME" in result.output


def test_add_without_readable_settings_adds_nobody(tmp_path: Path, members_db: str) -> None:
    # A token that cannot be printed with its address would be lost: nothing is stored.
    (tmp_path / "feed.yaml").write_text("title: Sans adresse publique\n", encoding="utf-8")
    db = ("--items", str(tmp_path), "--members-db", members_db)
    added = CliRunner().invoke(main, ["members", "add", "Jean", *db])
    assert added.exit_code == 1 and "feed.yaml" in added.output
    listed = CliRunner().invoke(main, ["members", "list", *db])
    assert "Jean" not in listed.output


@pytest.mark.parametrize("command", [["list"], ["add", "Iris"], ["revoke", "Iris"]])
def test_a_members_database_that_is_not_one_is_refused_and_kept(
    tmp_path: Path, command: list[str]
) -> None:
    # It holds every member's address: never a traceback, never rebuilt behind their back.
    damaged = tmp_path / "members.sqlite3"
    damaged.write_bytes(b"not a database, but somebody's file" * 100)
    before = damaged.read_bytes()
    args = ["members", *command, "--items", str(BUNDLED_ITEMS), "--members-db", str(damaged)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "cannot be used (file is not a database); restore it" in result.output
    assert damaged.read_bytes() == before


@pytest.mark.parametrize("command", [["list"], ["add", "Iris"], ["revoke", "Iris"]])
def test_a_table_that_is_not_feedsvcs_is_refused_and_left_alone(
    members_db: str, command: list[str]
) -> None:
    # The site's own `members` table, in the file or database given: never written into.
    members, polls = members_tables(members_db)
    run_sql(members_db, f"CREATE TABLE {members} (id integer)")
    run_sql(members_db, f"INSERT INTO {members} VALUES (7)")
    args = ["members", *command, "--items", str(BUNDLED_ITEMS), "--members-db", members_db]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"has a table {members} that feedsvc did not create" in result.output
    assert run_sql(members_db, f"SELECT * FROM {members}") == [(7,)]
    with pytest.raises(Exception, match=polls):  # nothing of feedsvc's was added beside it
        run_sql(members_db, f"SELECT * FROM {polls}")
