"""What a benchmark measures: phases, runs of a command, and the command's wall time and memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

MIB = 1024 * 1024


@dataclass(slots=True)
class Phase:
    name: str
    seconds: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    written: list[int] = field(default_factory=list)
    floor: Phase | None = None  # the phase this one's target ratio is taken against
    paired: list[float] = field(default_factory=list)  # that floor's seconds, run by run
    target: str = ""
    limit: float | None = None  # highest ratio that meets the target
    seconds_limit: float | None = None
    disturbed: bool = False  # feedsvc's source changed while this phase ran
    peer: Phase | None = None  # the same phase by another tool, run in the same rounds
    peer_limit: float | None = None  # highest ratio to the peer that meets the target

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def ratio(self) -> float:
        """The median over runs of each run against the floor measured just before it.

        This machine's speed drifts by a third within minutes; a run and its own floor see
        the same speed, where medians taken minutes apart need not.
        """
        pairs = zip(self.seconds, self.paired, strict=True)
        return statistics.median(mine / floor for mine, floor in pairs)

    @property
    def peer_ratio(self) -> float:
        """The median over rounds of this run against the peer's run of the same round."""
        assert self.peer is not None
        pairs = zip(self.seconds, self.peer.seconds, strict=True)
        return statistics.median(mine / theirs for mine, theirs in pairs)


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    rss_mib: float
    written: int
    disturbed: bool = False


def run_child(command: list[str]) -> tuple[Run, int, str]:
    """Wall time, peak RSS and `written` lines of one command; also its exit code and stderr.

    Peak RSS comes from wait4: for a build that starts workers it is the largest single process
    (Linux keeps the maximum, not the sum), which is what decides whether one process fits.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        lines = out.read().decode("utf-8", "replace").splitlines()
        stderr = err.read().decode("utf-8", "replace")
    written = sum(line.startswith("written") for line in lines)
    return Run(seconds, usage.ru_maxrss * 1024 / MIB, written), child.returncode, stderr
