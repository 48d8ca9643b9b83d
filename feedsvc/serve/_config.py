"""What the server needs to know, from options or from FEEDSVC_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from feedsvc.errors import ServeConfigError
from feedsvc.serve._members_pg import SCHEMES, PostgresAddress

__all__ = [
    "MembersLocation",
    "ServeConfig",
    "default_members_db",
    "members_location",
    "public_url_of",
]

# A SQLite file (one host), or a PostgreSQL server's address (several hosts).
MembersLocation = Path | PostgresAddress

DEFAULT_MAX_AGE = 300
# Beside the items folder, with the build's index: never inside a tree that is served.
MEMBERS_DB = Path(".cache") / "feedsvc" / "members.sqlite3"


def default_members_db(items_dir: Path) -> Path:
    return items_dir.resolve().parent / MEMBERS_DB


def members_location(text: str) -> MembersLocation:
    """--members-db or FEEDSVC_MEMBERS_DB: a `postgresql://` address, or else a file."""
    if text.lower().startswith(SCHEMES):
        return PostgresAddress(text)
    return Path(text)


def public_url_of(items_dir: Path) -> str:
    """public_url from the items' feed.yaml: the base of every member's address."""
    from feedsvc.items import read_settings

    settings = read_settings(items_dir)
    if isinstance(settings, list):
        lines = "\n".join(str(problem) for problem in settings)
        raise ServeConfigError(f"cannot read the feed settings:\n{lines}")
    return settings.public_url


@dataclass(frozen=True, slots=True)
class ServeConfig:
    out_dir: Path
    members_db: MembersLocation
    public_url: str
    max_age: int = DEFAULT_MAX_AGE

    def __post_init__(self) -> None:
        out = self.out_dir.resolve()
        if isinstance(self.members_db, Path) and self.members_db.resolve().is_relative_to(out):
            raise ServeConfigError(
                f"the members database {self.members_db} is inside {self.out_dir}, which is "
                f"served; keep it elsewhere (default: {MEMBERS_DB} beside the items folder)"
            )
        if self.max_age < 0:
            raise ServeConfigError(f"max-age must be 0 or more seconds, not {self.max_age}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ServeConfig:
        """FEEDSVC_OUT (default out), FEEDSVC_ITEMS (default items: its feed.yaml gives
        public_url), FEEDSVC_MEMBERS_DB (a file, default .cache/feedsvc/members.sqlite3
        beside the items folder, or a postgresql:// address), FEEDSVC_MAX_AGE (seconds,
        default 300)."""
        items = Path(environ.get("FEEDSVC_ITEMS", "items"))
        members_db = environ.get("FEEDSVC_MEMBERS_DB")
        max_age = environ.get("FEEDSVC_MAX_AGE", str(DEFAULT_MAX_AGE))
        if not max_age.isdigit():
            raise ServeConfigError(f"FEEDSVC_MAX_AGE must be a number of seconds, not {max_age!r}")
        return cls(
            out_dir=Path(environ.get("FEEDSVC_OUT", "out")),
            members_db=members_location(members_db) if members_db else default_members_db(items),
            public_url=public_url_of(items),
            max_age=int(max_age),
        )
