"""Serving out/: the public tree with cheap conditional GETs, and members' private addresses.

An ASGI application (Starlette) that `feedsvc serve` runs on uvicorn, and that production runs
under any ASGI server as `uvicorn --factory feedsvc.serve:create_app --workers 4`.
"""

from __future__ import annotations

from feedsvc.serve._app import create_app
from feedsvc.serve._config import ServeConfig, default_members_db, public_url_of
from feedsvc.serve._files import missing_public_tree
from feedsvc.serve._members import Members, MemberStats, SQLiteMembers, valid_name
from feedsvc.serve._personal import member_address

__all__ = [
    "MemberStats",
    "Members",
    "SQLiteMembers",
    "ServeConfig",
    "create_app",
    "default_members_db",
    "member_address",
    "missing_public_tree",
    "public_url_of",
    "valid_name",
]
