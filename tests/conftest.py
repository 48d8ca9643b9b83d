"""Shared fixtures: throwaway items folders built from small, valid item files (helpers.py)."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pg
import pytest
from helpers import BUNDLED_ITEMS, SETTINGS, WriteItem
from hypothesis import settings

# In CI the property tests draw the same examples every run, so a gate never turns red on a
# new draw; on a developer's machine they draw afresh each time, which is where they find
# things (and keep what they found in .hypothesis/).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def items_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "items"
    folder.mkdir()
    (folder / "feed.yaml").write_text(SETTINGS, encoding="utf-8")
    return folder


@pytest.fixture
def write_item(items_dir: Path) -> WriteItem:
    def write(name: str, content: str) -> Path:
        path = items_dir / name
        path.write_text(textwrap.dedent(content), encoding="utf-8")
        return path

    return write


@pytest.fixture
def bundled_copy(tmp_path: Path) -> Path:
    """A copy of the bundled items that a test may edit freely."""
    return Path(shutil.copytree(BUNDLED_ITEMS, tmp_path / "items"))


@pytest.fixture(scope="session")
def postgres() -> Iterator[pg.Server]:
    """One real PostgreSQL server for the session; skipped where none is installed, except in
    CI, which installs one and must not pass by skipping the tests that need it."""
    reason = pg.missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the members tests on PostgreSQL too, but {reason}")
        pytest.skip(reason)
    with pg.server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def members_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A members database as --members-db takes it: a new SQLite file, or a new database on
    the session's PostgreSQL server; a test that takes it runs on both."""
    if request.param == "sqlite":
        return str(tmp_path / "db" / "members.sqlite3")  # its folder made as it is opened
    server: pg.Server = request.getfixturevalue("postgres")
    return server.new_database()
