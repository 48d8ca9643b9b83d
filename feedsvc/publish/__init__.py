"""Publishing: which feeds hold which items, every name under out/, rendering and atomic writes.

A build plans the files (plan, layout), renders the ones whose key changed (writers) and
brings out/ to exactly that, one whole file at a time (atomic writes), under a lock.
"""

from __future__ import annotations

from feedsvc.publish._build import FileReport, compare, publish
from feedsvc.publish._layout import (
    FORMATS,
    INDEX_FILE,
    SERVED_TREES,
    FeedKind,
    FileFormat,
    live_feed_address,
    public_address,
)
from feedsvc.publish._lock import exclusive
from feedsvc.publish._outputs import PlannedFile, planned_files
from feedsvc.publish._ping import HubReport, notify
from feedsvc.publish._plan import FeedPlan, plan

__all__ = [
    "FORMATS",
    "INDEX_FILE",
    "SERVED_TREES",
    "FeedKind",
    "FeedPlan",
    "FileFormat",
    "FileReport",
    "HubReport",
    "PlannedFile",
    "compare",
    "exclusive",
    "live_feed_address",
    "notify",
    "plan",
    "planned_files",
    "public_address",
    "publish",
]
