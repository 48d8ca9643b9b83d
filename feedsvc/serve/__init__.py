"""Serving out/: the public tree with cheap conditional GETs, and members' private addresses.

An ASGI application (Starlette) that `feedsvc serve` runs on uvicorn, and that production runs
under any ASGI server as `uvicorn --factory feedsvc.serve:create_app --workers 4`.
"""

from __future__ import annotations

from feedsvc.serve._app import create_app
from feedsvc.serve._config import (
    MembersLocation,
    ServeConfig,
    default_members_db,
    members_location,
    public_url_of,
)
from feedsvc.serve._files import missing_public_tree
from feedsvc.serve._members import (
    Member,
    Members,
    MemberStats,
    SQLiteMembers,
    members_store,
    valid_name,
)
from feedsvc.serve._members_pg import PostgresAddress, PostgresMembers
from feedsvc.serve._personal import member_address

__all__ = [
    "Member",
    "MemberStats",
    "Members",
    "MembersLocation",
    "PostgresAddress",
    "PostgresMembers",
    "SQLiteMembers",
    "ServeConfig",
    "create_app",
    "default_members_db",
    "member_address",
    "members_location",
    "members_store",
    "missing_public_tree",
    "public_url_of",
    "valid_name",
]
