"""Ctrl-C: one line and exit 130, not a traceback from every process of the build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from feeds import NOW

from feedsvc import index, publish
from feedsvc.cli import main
from feedsvc.index import _pool as records

INTERRUPTED = 130  # as documented; not imported, so that the test pins the contract


def test_ctrl_c_while_workers_parse_stops_the_parent_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    parent = os.getpid()
    # Python's own Ctrl-C handler, whatever this run inherited: a shell that starts a job in
    # the background (`&`, as CI scripts may) starts it with SIGINT ignored.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)

    def interrupted(
        cls: type[records.Record],
        items_dir: Path,
        relpath: str,
        mtime_ns: int,
        size: int,
        raw: object,
    ) -> tuple[records.Record, None]:
        if relpath == "0300.md":
            # What a terminal does on Ctrl-C: SIGINT to every process of the group.
            os.kill(parent, signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)  # a worker that did not ignore it would have raised by now
        return records.Record(relpath, mtime_ns, size, "digest"), None

    monkeypatch.setattr(records.Record, "parse", classmethod(interrupted))
    monkeypatch.setattr(records, "read_item_bytes", lambda path: b"")  # no file to read
    todo = [(f"{number:04d}.md", 1, 1) for number in range(2 * records.POOL_THRESHOLD)]
    try:
        with pytest.raises(KeyboardInterrupt):
            for _ in records.records(tmp_path, todo, processes=2):
                pass
    finally:
        signal.signal(signal.SIGINT, previous)
    assert "Traceback" not in capfd.readouterr().err


def test_an_interrupted_build_exits_130_with_one_line(
    bundled_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = bundled_copy.parent / "out"

    def interrupted(*args: object) -> list[publish.FileReport]:
        raise KeyboardInterrupt

    monkeypatch.setattr(publish, "publish", interrupted)
    result = CliRunner().invoke(
        main, ["build", "--items", str(bundled_copy), "--out", str(out), "--now", NOW]
    )
    assert result.exit_code == INTERRUPTED
    assert result.output.splitlines() == [
        "feedsvc: interrupted; each file in out/ is whole, the old one or the new one."
    ]


def test_an_interrupted_validate_makes_no_claim_about_out(
    bundled_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(index, "check_items", interrupted)
    result = CliRunner().invoke(main, ["validate", str(bundled_copy), "--now", NOW])
    assert result.exit_code == INTERRUPTED
    assert result.output.splitlines() == ["feedsvc: interrupted."]


SWALLOWING_COMMAND = """
import os, signal, sys, weakref
import feedsvc.cli
from feedsvc import __main__

def command():
    # A SIGTERM whose handler runs inside a weakref callback, as the import system's module
    # locks have: Python cannot let an exception out of there, and prints it as ignored.
    class Held:
        pass
    held = Held()
    ref = weakref.ref(held, lambda _: os.kill(os.getpid(), signal.SIGTERM))
    del held
    sys.exit(0)

feedsvc.cli.main = command
__main__.main()
"""


def test_a_stop_raised_where_python_ignores_exceptions_still_ends_as_a_stop() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SWALLOWING_COMMAND], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


WRAPPING = """
import os, signal, sys, time, weakref
import feedsvc.cli
from feedsvc import __main__

def wrapping() -> None:
    # A library that makes its own error of whatever its callback raised, as pydantic-core
    # does while it builds a validator: the stop arrives as that error.
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    except BaseException as error:
        raise RuntimeError("Error building validator") from error

def swallowing() -> None:
    # Raised in a weakref callback (see SWALLOWING_COMMAND), then the command goes on.
    class Held:
        pass
    held = Held()
    ref = weakref.ref(held, lambda _: os.kill(os.getpid(), signal.SIGTERM))
    del held

if sys.argv[1] == "command line":  # the command line itself
    feedsvc.cli.main = wrapping
else:  # as the build command, which the CLI runs
    del feedsvc.cli.main.commands["build"]
    feedsvc.cli.main.command("build")(wrapping if sys.argv[1] == "build" else swallowing)
    sys.argv = ["feedsvc", "build"]
__main__.main()
"""
BUILD_STOPPED = (
    "feedsvc: stopped by SIGTERM; each file in out/ is whole, the old one or the new one.\n"
)


@pytest.mark.parametrize(
    ("where", "line"),
    [
        ("command line", "feedsvc: stopped by SIGTERM.\n"),
        ("build", BUILD_STOPPED),  # a library's error made of the stop
        ("swallowed in build", BUILD_STOPPED),  # and the build went on to its end
    ],
)
def test_a_stop_that_does_not_reach_the_command_still_ends_it_as_a_stop(
    where: str, line: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WRAPPING, where], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    assert result.stderr == line
