"""Child processes (the parsing pool, the scan helper): how many, and how they take signals."""

from __future__ import annotations

import os
import signal

__all__ = ["start_child", "workers"]


def start_child() -> None:
    """In a forked worker or helper: leave Ctrl-C to the parent.

    A terminal sends SIGINT to the whole process group; each child would print a traceback
    of its own. The parent alone stops, and its pool and helper go with it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the parent


def workers() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
