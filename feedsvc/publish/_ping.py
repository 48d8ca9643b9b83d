"""WebSub publish notifications: each hub is told which public feeds changed, after the build.

WebSub leaves the publisher-to-hub call to the hub; every public hub (Google's, WebSubHub,
Superfeedr) accepts PubSubHubbub's form-encoded POST of `hub.mode=publish` and `hub.url`, one
topic per request here since not every hub reads a repeated `hub.url`. A hub that fails or
does not answer costs the build its timeout and two retries, never its files (they are
written first); what could not be delivered is kept in a small file beside the index and
sent at the next build.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from feedsvc import __version__

__all__ = ["HubReport", "load_pending", "notify"]

TRIES = 3
# Seconds before the second try (or the timeout, when shorter), doubled before each later one.
BACKOFF = 0.5
USER_AGENT = f"feedsvc/{__version__} (WebSub publisher)"
Pending = dict[str, list[str]]  # hub -> topics still to notify


@dataclass(frozen=True, slots=True)
class HubReport:
    hub: str
    sent: int
    kept: int  # topics remembered for the next build
    problem: str = ""  # why the rest were not delivered

    @property
    def ok(self) -> bool:
        return not self.problem

    def line(self) -> str:
        if self.ok:
            return f"pinged    {self.hub} ({self.sent} feeds)"
        what = f"{self.kept} feeds kept for the next build" if self.kept else "not kept"
        return f"ping failed {self.hub}: {self.problem}; {self.sent} feeds notified, {what}"


class _Refused(Exception):
    """The hub answered that it will not take this notification: retrying cannot help."""


def _post(hub: str, topic: str, timeout: float) -> None:
    # Imported here: every build loads this module, few of them ping.
    import urllib.error
    import urllib.request

    data = urlencode({"hub.mode": "publish", "hub.url": topic}).encode()
    request = urllib.request.Request(
        hub,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": USER_AGENT,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as error:
        # 408 and 429 ask to come back later; any other 4xx refuses this notification.
        if 400 <= error.code < 500 and error.code not in (408, 429):
            raise _Refused(f"HTTP {error.code} {error.reason}") from None
        raise OSError(f"HTTP {error.code} {error.reason}") from None
    except TimeoutError:
        raise OSError(f"no answer within {timeout:g} s") from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TimeoutError):
            raise OSError(f"no answer within {timeout:g} s") from None
        raise OSError(str(getattr(reason, "strerror", None) or reason)) from None


def _send(
    hub: str, topics: Sequence[str], timeout: float, sleep: Callable[[float], None]
) -> tuple[HubReport, list[str]]:
    """Notify one hub of each topic; returns its report and the topics to keep."""
    sent = 0
    refused: list[str] = []
    for position, topic in enumerate(topics):
        for attempt in range(TRIES):
            try:
                _post(hub, topic, timeout)
            except _Refused as error:
                refused.append(f"{topic}: {error}")
                break
            except OSError as error:
                if attempt + 1 < TRIES:
                    sleep(min(BACKOFF, timeout) * 2**attempt)
                    continue
                # A hub that failed three times in a row is down: the rest wait for the
                # next build rather than cost three timeouts each.
                rest = list(topics[position:])
                problem = f"{error} ({TRIES} tries)"
                return HubReport(hub, sent, len(rest), problem), rest
            else:
                sent += 1
                break
    if refused:
        return HubReport(hub, sent, 0, "refused " + "; ".join(refused)), []
    return HubReport(hub, sent, 0), []


def load_pending(path: Path) -> Pending:
    """Notifications a build could not deliver; a damaged file counts as none."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {
        str(hub): [str(topic) for topic in topics]
        for hub, topics in found.items()
        if isinstance(topics, list)
    }


def _save_pending(path: Path, pending: Pending) -> None:
    if not pending:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".pings-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            json.dump(pending, stream, indent=1, sort_keys=True)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def notify(
    hubs: Sequence[str],
    topics: Iterable[str],
    pending_file: Path,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
) -> list[HubReport]:
    """Tell each hub of `topics` and of what earlier builds could not deliver to it; hubs
    no longer in the settings are forgotten. One report per hub that had anything to send."""
    pending = load_pending(pending_file)
    fresh = list(dict.fromkeys(topics))
    todo: dict[str, list[str]] = {}
    for hub in hubs:
        todo[hub] = list(dict.fromkeys([*pending.get(hub, []), *fresh]))
    work = [(hub, hub_topics) for hub, hub_topics in todo.items() if hub_topics]
    if not work:
        if pending:
            _save_pending(pending_file, {})
        return []
    from concurrent.futures import ThreadPoolExecutor

    # Hubs in parallel: one that never answers does not hold up the others.
    with ThreadPoolExecutor(max_workers=min(8, len(work))) as pool:
        results = list(pool.map(lambda job: _send(job[0], job[1], timeout, sleep), work))
    kept = {hub: topics for (hub, _), (_, topics) in zip(work, results, strict=True) if topics}
    _save_pending(pending_file, kept)
    return [report for report, _ in results]
