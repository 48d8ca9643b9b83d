"""A build stopped by a signal ends in one line with 128 + N, every file in out/ old or new.

Real builds (`python -m feedsvc build`) of a store big enough for the parsing pool get SIGINT,
SIGTERM or SIGHUP, at the parent alone or at its whole process group, at random moments of
each phase, watched from outside through /proc and out/. stderr is one pipe shared by the
whole group, so a worker's traceback would show in it, and it reaches its end only once
every process of the build has exited. `FEEDSVC_SIGNALS=200` delivers 200 signals instead of
8, and `FEEDSVC_SIGNAL_ITEMS=6000` makes the store big enough for the scan helper too; `-s`
prints where they landed.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from feeds import snapshot
from helpers import SETTINGS
from stores import command, generate, is_temp, malformed

from feedsvc import _procs
from feedsvc._procs import beside, parallel
from feedsvc.index import _pool
from feedsvc.items import _scan
from feedsvc.publish import exclusive
from feedsvc.publish._layout import LOCK_FILE, TEMP_FOLDER

SIGNALS = int(os.environ.get("FEEDSVC_SIGNALS", "8"))
ITEMS = int(os.environ.get("FEEDSVC_SIGNAL_ITEMS", str(_pool.POOL_THRESHOLD + 20)))
PHASES = ("startup", "imports", "scan", "pool", "render", "write", "exited")
# How long after a phase is first seen a delivery aimed at it may wait: about its length.
SPREAD = {"imports": 0.35, "scan": 0.1, "pool": 0.5, "render": 0.3, "write": 0.05}
AIMS = ("imports", "pool", "render", "write") + (("scan",) if ITEMS > _scan.SPLIT_AFTER else ())
STOPPED = {signal.SIGINT: "interrupted", signal.SIGTERM: "stopped by SIGTERM",
           signal.SIGHUP: "stopped by SIGHUP"}  # fmt: skip
WHOLE = "; each file in out/ is whole, the old one or the new one"


@dataclass(frozen=True)
class Store:
    items: Path
    old_out: Path  # built from the items before their settings' title changed
    old: dict[str, bytes]
    new: dict[str, bytes]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("signals")
    items = generate(root / "items", ITEMS, seed=9)
    old_out, new_out = root / "old-out", root / "new-out"
    built = subprocess.run(command(items, old_out, "--no-cache"), capture_output=True)
    assert built.returncode == 0, built.stderr.decode()
    (items / "feed.yaml").write_text(SETTINGS.replace("Flux de test", "Flux neuf"))
    built = subprocess.run(command(items, new_out, "--no-cache"), capture_output=True)
    assert built.returncode == 0, built.stderr.decode()
    old, new = snapshot(old_out), snapshot(new_out)
    assert old.keys() == new.keys() and all(old[path] != new[path] for path in old)
    return Store(items, old_out, old, new)


def children(pid: int) -> list[int]:
    try:
        return [
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]
    except OSError:
        return []


def group(pgid: int) -> list[int]:
    """The live processes of a process group, read from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _holds(pid: int, path: str) -> bool:
    """Whether process `pid` has `path` open (for the build lock: once feedsvc has imported
    its wings). OSError once the process is gone."""
    for entry in os.scandir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(entry.path) == path:
                return True
        except FileNotFoundError:
            continue  # closed since it was listed
    return False


@dataclass
class Watch:
    """Which phase a running build is in, seen from outside."""

    build: subprocess.Popen[bytes]
    out: Path
    inodes: dict[str, int]  # of out/'s files before the build
    helper: int | None = None  # the scan helper, when the store is big enough for one
    pooled: bool = False
    reached: int = 0  # phases only move on (the handlers go once the command is over)

    def phase(self) -> str:
        self.reached = max(self.reached, PHASES.index(self._now()))
        return PHASES[self.reached]

    def _now(self) -> str:
        pid = self.build.pid
        try:
            caught = next(
                line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                if line.startswith("SigCgt:")
            )  # fmt: skip
            locked = _holds(pid, str(self.out / LOCK_FILE))
        except (OSError, StopIteration):
            return "exited"
        if self.build.poll() is not None:
            return "exited"
        if not locked:
            if int(caught.split()[1], 16) >> (signal.SIGTERM - 1) & 1:
                return "imports"
            return "startup"  # Python itself starting: feedsvc has not taken signals yet
        kids = children(pid)
        if kids and self.helper is None and not self.pooled and ITEMS > _scan.SPLIT_AFTER:
            self.helper = kids[0]
        if any(kid != self.helper for kid in kids):
            self.pooled = True
            return "pool"
        if kids:
            return "scan"
        if any(self._replaced(path, inode) for path, inode in self.inodes.items()):
            return "write"
        return "render" if self.pooled else "scan"

    def _replaced(self, path: str, inode: int) -> bool:
        try:
            return (self.out / path).stat().st_ino != inode
        except FileNotFoundError:
            return True


def start(store: Store, out: Path, extra: list[str]) -> Watch:
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(store.old_out, out)
    inodes = {path: (out / path).stat().st_ino for path in store.old}
    build = subprocess.Popen(
        command(store.items, out, *extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal gives a command
    )
    return Watch(build, out, inodes)


def wait_for(watch: Watch, aim: str, rng: random.Random) -> str:
    """Poll until `aim` is reached, then for a random part of its length; the phase then."""
    phase = watch.phase()
    while PHASES.index(phase) < PHASES.index(aim):
        phase = watch.phase()
    deadline = time.monotonic() + rng.uniform(0, SPREAD[aim])
    while time.monotonic() < deadline and phase != "exited":
        phase = watch.phase()
    return phase


def ended(watch: Watch) -> str:
    """stderr of the whole group, once every process of it has exited."""
    _, stderr = watch.build.communicate(timeout=60)
    # The pipe's end comes once every process has closed it, which an exiting process does
    # just before it is gone.
    deadline = time.monotonic() + 10
    while group(watch.build.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert group(watch.build.pid) == []
    return stderr.decode()


def old_or_new(out: Path, store: Store) -> int:
    """How many of out/'s files are new; fails on one that is neither old nor new."""
    files = {path: data for path, data in snapshot(out).items() if not is_temp(path)}
    assert files.keys() == store.old.keys()
    problems = [malformed(path, data) for path, data in files.items()]
    assert not [problem for problem in problems if problem], problems
    assert all(data in (store.old[path], store.new[path]) for path, data in files.items())
    return sum(data == store.new[path] for path, data in files.items())


@dataclass
class Tally:
    landed: Counter[str] = field(default_factory=Counter)  # phase -> deliveries
    seen: Counter[str] = field(default_factory=Counter)  # what the build did
    leftovers: int = 0  # temporary files, which the next build removes

    def __str__(self) -> str:
        return f"landed {dict(self.landed)}; seen {dict(self.seen)}; leftovers {self.leftovers}"


def deliver(store: Store, out: Path, extra: list[str], aim: str, rng: random.Random) -> Tally:
    signum = rng.choice(list(STOPPED))
    # A terminal sends Ctrl-C and a hang-up to the whole group; kill(1) and supervisors
    # send SIGTERM to the one process or to the group.
    whole = signum != signal.SIGTERM or rng.random() < 0.5
    watch = start(store, out, extra)
    phase = wait_for(watch, aim, rng)
    if phase != "exited":  # else reaped: its pid may be another process's already
        # The build is frozen while its phase is read again and the signal sent, so that the
        # phase is the one the signal lands in, not one the build left while this test was
        # waiting for a core (a build that finished meanwhile rightly exits 0).
        os.killpg(watch.build.pid, signal.SIGSTOP)
        try:
            phase = watch.phase()
            if phase != "exited":
                (os.killpg if whole else os.kill)(watch.build.pid, signum)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(watch.build.pid, signal.SIGCONT)
    stderr = ended(watch)
    tally = Tally()
    tally.landed[phase] += 1
    code = watch.build.returncode
    if code == 0 and phase in ("write", "exited"):
        assert stderr == ""  # done before the signal came, or exiting with its own status
        tally.seen["finished first"] += 1
    else:
        suffix = WHOLE if PHASES.index(phase) >= PHASES.index("scan") else f"(?:{WHOLE})?"
        line = f"feedsvc: {STOPPED[signum]}{suffix}\\.\n"
        assert code == 128 + signum, (phase, signum, code, stderr)
        assert re.fullmatch(line, stderr), (phase, signum, stderr)
        tally.seen[f"one line, {code}"] += 1
    new = old_or_new(out, store)
    tally.seen[f"{'some' if 0 < new < len(store.new) else new or 'no'} files new"] += 1
    tally.leftovers += sum(1 for path in snapshot(out) if is_temp(path))
    return tally


def test_a_signal_at_any_moment_ends_in_one_line(store: Store, tmp_path: Path) -> None:
    rng = random.Random(12)
    cache = tmp_path / "cache"
    total = Tally()
    for number in range(SIGNALS):
        # Every other build with a cache, started cold (so that it parses in the pool):
        # a stopped build must leave one that the next build can trust.
        extra = ["--no-cache"] if number % 2 else ["--cache", str(cache)]
        shutil.rmtree(cache, ignore_errors=True)
        tally = deliver(store, tmp_path / "out", extra, AIMS[number % len(AIMS)], rng)
        total.landed.update(tally.landed)
        total.seen.update(tally.seen)
        total.leftovers += tally.leftovers
    print(f"\n{SIGNALS} signals: {total}")
    assert total.seen[f"one line, {128 + signal.SIGTERM}"] + total.seen["one line, 130"] > 0
    out = tmp_path / "out"
    result = subprocess.run(command(store.items, out, "--cache", str(cache)), capture_output=True)
    assert result.returncode == 0, result.stderr.decode()
    assert snapshot(out) == store.new


def caught(watch: Watch, aim: str) -> bool:
    """Poll until a child is inside its work in phase `aim`; False once the build is past it."""
    ticks = 3 if aim == "pool" else 0  # a pool worker with CPU time is inside a chunk
    while watch.phase() != aim or not any(
        cpu_ticks(kid) >= ticks for kid in children(watch.build.pid)
    ):
        if PHASES.index(watch.phase()) > PHASES.index(aim):
            return False
    return True


@pytest.mark.parametrize("aim", ["pool", "scan"] if ITEMS > _scan.SPLIT_AFTER else ["pool"])
def test_children_of_a_killed_parent_exit_silently(store: Store, tmp_path: Path, aim: str) -> None:
    out = tmp_path / "out"
    for _ in range(5):  # the scan helper lives for a few milliseconds: polling may miss it
        watch = start(store, out, ["--no-cache"])
        if caught(watch, aim):
            break
        watch.build.kill()
        ended(watch)
    else:
        raise AssertionError(f"no build was ever caught with its children in {aim}")
    watch.build.kill()
    assert ended(watch) == ""  # all gone, without a word to the terminal they shared
    assert watch.build.returncode == -signal.SIGKILL
    old_or_new(out, store)
    with exclusive(out, 0):  # and no orphan holds the lock
        pass


PARENT = os.getpid()  # what the forked workers of the next test inherit


def _square_or_die(number: int) -> int:
    if number % 7 == 3 and os.getpid() != PARENT:
        os.kill(os.getpid(), signal.SIGTERM)  # as a supervisor's SIGTERM to the whole group
    return number * number


def test_a_worker_that_dies_has_its_job_done_by_the_parent(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # multiprocessing.Pool loses such a job and waits for it forever; and a worker that dies
    # holding its queue's lock hangs the pool's terminate.
    assert sorted(parallel(_square_or_die, list(range(40)), processes=3)) == [
        number * number for number in range(40)
    ]
    assert capfd.readouterr().err == ""


def test_a_worker_whose_parent_dies_mid_job_exits_silently(
    capfd: pytest.CaptureFixture[str],
) -> None:
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    worker = context.Process(target=_procs._serve, args=(_square_or_die, theirs, [ours]))
    worker.start()
    theirs.close()
    # What a parent killed while sending a job leaves: the start of a message, then nothing.
    os.write(ours.fileno(), struct.pack("!i", 100) + b"\x80\x05")
    ours.close()
    worker.join(timeout=30)
    assert worker.exitcode == 0
    assert capfd.readouterr().err == ""


def rendering(watch: Watch) -> bool:
    """Poll until the child that renders a share of the feeds is at work (the one that comes
    once the pool's workers are gone); False once the build is over without one."""
    between = False
    while watch.phase() != "exited":
        kids = children(watch.build.pid)
        if watch.pooled and not kids:
            between = True
        elif between and any(cpu_ticks(kid) > 0 for kid in kids):
            return True
    return False


def start_rendering(store: Store, out: Path) -> Watch:
    for _ in range(5):  # the child lives for a fraction of a second: polling may miss it
        watch = start(store, out, ["--no-cache"])
        if rendering(watch):
            return watch
        ended(watch)
    raise AssertionError("no build was ever caught with a child rendering")


@pytest.mark.parametrize("whole", [False, True], ids=["parent", "group"])
def test_a_sigterm_while_two_processes_render_leaves_out_whole(
    store: Store, tmp_path: Path, whole: bool
) -> None:
    out = tmp_path / "out"
    for _ in range(5):  # a build may finish between the poll that saw its child and the signal
        watch = start_rendering(store, out)
        (os.killpg if whole else os.kill)(watch.build.pid, signal.SIGTERM)
        stderr = ended(watch)
        if watch.build.returncode != 0:
            break
    assert watch.build.returncode == 128 + signal.SIGTERM, stderr
    assert stderr == f"feedsvc: stopped by SIGTERM{WHOLE}.\n"
    old_or_new(out, store)
    assert not any(is_temp(path) for path in snapshot(out))
    assert not (out / TEMP_FOLDER).exists()


def test_the_rendering_child_of_a_killed_parent_exits_silently(
    store: Store, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    watch = start_rendering(store, out)
    watch.build.kill()
    assert ended(watch) == ""  # the child is gone too, without a word
    assert snapshot(out) == store.old
    with exclusive(out, 0):
        pass


def _fails_in_a_child(number: int) -> int:
    if os.getpid() != PARENT:
        if number == 1:
            os.kill(os.getpid(), signal.SIGTERM)
        raise ValueError(f"bad number {number}")
    if number == 2:
        raise ValueError(f"bad number {number}")
    return number * number


@pytest.mark.parametrize("number", [1, 3])
def test_a_child_beside_that_dies_or_fails_has_its_job_done_by_the_parent(
    capfd: pytest.CaptureFixture[str], number: int
) -> None:
    with beside(_fails_in_a_child, number) as result:
        assert result() == number * number
    assert capfd.readouterr().err == ""


def test_an_error_in_a_child_beside_is_raised_by_the_parent_alone(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(ValueError, match="bad number 2"), beside(_fails_in_a_child, 2) as result:
        result()
    assert capfd.readouterr().err == ""  # no traceback from the child


def test_a_child_beside_that_cannot_start_leaves_its_job_to_the_parent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")  # fork's EAGAIN

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refuse)
    with beside(_fails_in_a_child, 3) as result:
        assert result() == 9


@pytest.mark.parametrize("started", [0, 1])
def test_workers_that_cannot_start_leave_their_jobs_to_the_others(
    monkeypatch: pytest.MonkeyPatch, started: int
) -> None:
    real = multiprocessing.process.BaseProcess.start
    calls = []

    def start_some(process: multiprocessing.process.BaseProcess) -> None:
        calls.append(process)
        if len(calls) > started:
            raise OSError(11, "Resource temporarily unavailable")  # fork's EAGAIN
        real(process)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", start_some)
    assert sorted(parallel(_square_or_die, list(range(20)), 3)) == [n * n for n in range(20)]
