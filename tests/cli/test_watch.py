"""`feedsvc build --watch`: a real watcher on a temporary folder, driven by real edits."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from feeds import NOW, parsed
from helpers import BUNDLED_ITEMS, LEAD, SETTINGS

DEADLINE = 60  # seconds: generous for a loaded machine; no test depends on speed


def _until(what: Callable[[], bool], log: Path) -> None:
    end = time.monotonic() + DEADLINE
    while not what():
        if time.monotonic() > end:
            pytest.fail(f"never happened; the watcher said:\n{log.read_text()}")
        time.sleep(0.05)


def _lead(slug: str, title: str) -> str:
    return LEAD.replace("/article", f"/{slug}").replace("Un article complet", title)


@pytest.fixture
def watcher(tmp_path: Path) -> Iterator[tuple[Path, Path, Path, subprocess.Popen[bytes]]]:
    items = tmp_path / "items"
    items.mkdir()
    (items / "feed.yaml").write_text(SETTINGS)
    (items / "a.md").write_text(_lead("a", "Premier titre"))
    out = tmp_path / "out"
    log = tmp_path / "watch.log"
    with log.open("wb") as stream:
        process = subprocess.Popen(
            [sys.executable, "-m", "feedsvc", "build", "--watch", "--items", str(items),
             "--out", str(out), "--now", NOW],
            stdout=stream, stderr=subprocess.STDOUT, cwd=tmp_path,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            # A terminal's Ctrl-C reaches a process whose SIGINT is not ignored.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )  # fmt: skip
    try:
        _until(lambda: "Watching" in log.read_text(), log)
        yield items, out, log, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _titles(out: Path) -> list[str]:
    path = out / "public" / "atom.xml"
    if not path.exists():
        return []
    return sorted(entry.title for entry in parsed(path).entries)


def test_watch_rebuilds_after_each_change_and_stops_on_ctrl_c(
    watcher: tuple[Path, Path, Path, subprocess.Popen[bytes]],
) -> None:
    items, out, log, process = watcher
    assert _titles(out) == ["Premier titre"]

    (items / "a.md").write_text(_lead("a", "Titre corrigé"))  # an edit
    _until(lambda: _titles(out) == ["Titre corrigé"], log)

    (items / "b.md").write_text(_lead("b", "Un ajout"))  # an add
    _until(lambda: _titles(out) == ["Titre corrigé", "Un ajout"], log)

    (items / "b.md").unlink()  # a delete
    _until(lambda: _titles(out) == ["Titre corrigé"], log)

    (items / "c.txt").write_text(_lead("c", "Renommé"))  # not an item until renamed
    (items / "c.txt").rename(items / "c.md")  # a rename
    _until(lambda: _titles(out) == ["Renommé", "Titre corrigé"], log)

    good = (out / "public" / "atom.xml").read_bytes()
    broken = _lead("a", "Cassé").replace("+09:00", "")  # a moment without its offset
    (items / "a.md").write_text(broken)
    _until(lambda: "a.md:5: published:" in log.read_text(), log)
    assert (out / "public" / "atom.xml").read_bytes() == good  # the last good out/ stays
    assert process.poll() is None  # still watching

    (items / "a.md").write_text(_lead("a", "Réparé"))  # the fix
    _until(lambda: _titles(out) == ["Renommé", "Réparé"], log)

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=DEADLINE) == 130
    last = log.read_text().splitlines()[-1]
    assert last == "feedsvc: interrupted; each file in out/ is whole, the old one or the new one."
    assert "Traceback" not in log.read_text()


def test_a_save_during_the_first_build_makes_a_build_of_its_own(tmp_path: Path) -> None:
    """The watcher is on before the first build: a save while that build runs (seconds, on a
    large site) is built at once, not at the next idle minute."""
    import threading

    from feedsvc._cli_watch import watch_items

    items = tmp_path / "items"
    items.mkdir()
    stop = threading.Event()
    builds: list[bool] = []

    def build(quiet: bool) -> None:
        builds.append(quiet)
        if len(builds) == 1:
            (items / "a.md").write_text(_lead("a", "Enregistré pendant la construction"))
            time.sleep(0.3)  # the rest of a first build
        else:
            stop.set()

    watching = threading.Thread(target=watch_items, args=(items, build), kwargs={"stop": stop})
    watching.start()
    watching.join(timeout=20)  # well short of the idle minute's build
    stop.set()
    watching.join()
    assert builds == [False, False]  # the first build, then one for the save


def test_watch_and_check_are_refused_together(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from feedsvc.cli import main

    items = tmp_path / "items"
    items.mkdir()
    result = CliRunner().invoke(main, ["build", "--items", str(items), "--watch", "--check"])
    assert result.exit_code == 2
    assert "give one" in result.output


def test_serve_watch_builds_and_serves_each_change_in_one_process(tmp_path: Path) -> None:
    import httpx
    from served import free_port

    items = tmp_path / "items"
    items.mkdir()
    (items / "feed.yaml").write_text(SETTINGS)
    (items / "a.md").write_text(_lead("a", "Premier titre"))
    port = free_port()
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}/"

    def served() -> list[str]:
        try:
            response = httpx.get(base + "atom.xml")
        except httpx.TransportError:
            return []
        if response.status_code != 200:
            return []
        import feedparser

        return sorted(entry.title for entry in feedparser.parse(response.content).entries)

    with log.open("wb") as stream:
        process = subprocess.Popen(
            [sys.executable, "-m", "feedsvc", "serve", "--watch", "--items", str(items),
             "--out", str(tmp_path / "out"), "--port", str(port)],
            stdout=stream, stderr=subprocess.STDOUT, cwd=tmp_path,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )  # fmt: skip
    try:
        _until(lambda: served() == ["Premier titre"], log)
        _until(lambda: "Watching" in log.read_text(), log)
        (items / "a.md").write_text(_lead("a", "Titre corrigé"))
        _until(lambda: served() == ["Titre corrigé"], log)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=DEADLINE)
        assert "Traceback" not in log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_idle_rebuild_prints_nothing_when_all_is_well(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The watch builds once a minute with nothing changed (scheduled items): silent then.
    from feedsvc._cli_build import Build

    items = Path(shutil.copytree(BUNDLED_ITEMS, tmp_path / "items"))
    job = Build(items, tmp_path / "out", None, None, tmp_path / "pings.json", 60, None)
    job.watching = True
    with click.Context(click.Command("build")):
        job.run()
        assert "3 items valid" in capsys.readouterr().out
        job.run(quiet=True)
        assert capsys.readouterr().out == ""
        job.run()  # a build after a change still says what it did
        assert "nothing changed" in capsys.readouterr().out
