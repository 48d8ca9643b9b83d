"""What each kind of run loads: a rebuild that renders nothing never imports the writers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from feeds import NOW
from helpers import BUNDLED_ITEMS

from feedsvc import _cli_build

# The costly imports behind the writers: feedgen and lxml (RSS, Atom, the index page), the
# Markdown renderer and the sanitiser (bodies).
WRITERS = ("feedgen", "lxml", "markdown_it", "nh3")

RUN = """
import json, sys
from feedsvc.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    print(json.dumps(sorted(m for m in {writers} if m in sys.modules)))
"""


def loaded(*args: str, modules: tuple[str, ...] = WRITERS) -> list[str]:
    """The `modules` (the writers') a fresh `feedsvc ARGS` process imported, in that process."""
    result = subprocess.run(
        [sys.executable, "-c", RUN.format(writers=modules), *args],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    found: list[str] = json.loads(result.stdout.splitlines()[-1])
    return found


def test_a_no_op_rebuild_never_imports_the_writers(tmp_path: Path) -> None:
    items = Path(shutil.copytree(BUNDLED_ITEMS, tmp_path / "items"))
    for number, path in enumerate(sorted(items.iterdir())):
        os.utime(path, ns=(10**18 + number, 10**18 + number))  # old enough to be trusted
    build = ("build", "--items", str(items), "--out", str(tmp_path / "out"), "--now", NOW)
    assert loaded(*build) == sorted(WRITERS)  # the first build renders everything
    assert loaded(*build) == []


def test_help_and_validate_never_import_the_writers(tmp_path: Path) -> None:
    assert loaded("--help") == []
    assert loaded("validate", "--items", str(BUNDLED_ITEMS), "--no-cache", "--now", NOW) == []


def test_a_small_cold_build_starts_no_process_and_loads_no_native_yaml(tmp_path: Path) -> None:
    # Worker processes, the scan's helper and yaml-rs pay for themselves on large folders only.
    large_only = ("multiprocessing", "yaml_rs")
    build = ("build", "--items", str(BUNDLED_ITEMS), "--out", str(tmp_path / "out"), "--no-cache")
    assert loaded(*build, "--now", NOW, modules=large_only) == []


# What help, completion and usage errors may load: click and the command's own modules. The
# rest (the wings, pydantic, YAML, SQLite, the server) waits for a command that needs it.
HEAVY = (
    "feedsvc.items", "feedsvc.model", "feedsvc.index", "feedsvc.publish", "feedsvc.serve",
    "feedsvc._report", "pydantic", "yaml", "sqlite3", "starlette", "uvicorn", "json",
    *WRITERS,
)  # fmt: skip


def _imported(args: list[str], env: dict[str, str]) -> set[str]:
    """The modules a fresh `python -X importtime -m feedsvc ARGS` imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "feedsvc", *args],
        capture_output=True, text=True, timeout=60, env={**os.environ, **env},
    )  # fmt: skip
    rows = [line.split("|")[-1] for line in result.stderr.splitlines() if "|" in line]
    return {row.strip() for row in rows}


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--help"], {}),
        (["build", "--help"], {}),
        (["build", "--no-such-option"], {}),
        (["validate", "--now", "yesterday"], {}),
        ([], {"_FEEDSVC_COMPLETE": "bash_source"}),
        ([], {"_FEEDSVC_COMPLETE": "bash_complete", "COMP_WORDS": "feedsvc bu",
              "COMP_CWORD": "1"}),
        ([], {"_FEEDSVC_COMPLETE": "bash_complete", "COMP_WORDS": "feedsvc build --",
              "COMP_CWORD": "2"}),
    ],
)  # fmt: skip
def test_help_completion_and_usage_errors_load_only_the_command(
    args: list[str], env: dict[str, str]
) -> None:
    imported = _imported(args, env)
    assert "feedsvc.cli" in imported and "click" in imported
    assert sorted(name for name in HEAVY if name in imported) == []


# What a build imports after its scan has begun: the models, the index, the rest of the wings.
MODELS = ("feedsvc.model", "feedsvc.index", "feedsvc.publish", "feedsvc._report", "pydantic",
          "yaml", "sqlite3", *WRITERS)  # fmt: skip
SCAN = """
import json, sys
from pathlib import Path
from feedsvc._cli_build import begin_scan
from feedsvc.items import _scan
scanning = begin_scan(Path(sys.argv[1]), Path(sys.argv[2]))
listing_here = scanning.lister is None or scanning.listed != []
heavy = sorted(m for m in {heavy} if m in sys.modules)
count = scanning.finish().count
share = sum(stop - start for _, start, stop in scanning.split.theirs)
print(json.dumps([listing_here, share, heavy, count]))
"""


def test_a_large_build_lists_and_stats_in_its_helper_while_the_models_are_imported(
    tmp_path: Path,
) -> None:
    from feedsvc.items._scan import SPLIT_AFTER

    items = tmp_path / "items"
    items.mkdir()
    for number in range(SPLIT_AFTER):
        (items / f"{number}.md").touch()
    index = tmp_path / "items.sqlite3"  # the last build's index: as large as many files make
    with index.open("wb") as file:
        file.truncate(_cli_build._MANY_INDEXED)
    result = subprocess.run(
        [sys.executable, "-c", SCAN.format(heavy=MODELS), str(items), str(index)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    listing_here, share, heavy, count = json.loads(result.stdout.splitlines()[-1])
    # The helper lists while this process imports, then stats more than half of the files.
    assert (listing_here, share, heavy, count) == (False, SPLIT_AFTER * 3 // 5, [], SPLIT_AFTER)


def test_only_a_build_that_indexed_many_files_lists_them_in_a_helper(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forking early, and importing multiprocessing for it, pays only when there are many
    files to list; with no index (a first build) or a small one, the command lists them."""
    from feedsvc.items import _stats

    monkeypatch.setattr(_stats, "workers", lambda: 2)
    monkeypatch.delitem(sys.modules, "feedsvc.model")  # as when the command starts
    items = shutil.copytree(BUNDLED_ITEMS, tmp_path / "items")
    index = tmp_path / "items.sqlite3"
    assert _cli_build.begin_scan(items, None).lister is None  # type: ignore[union-attr]
    assert _cli_build.begin_scan(items, index).lister is None  # type: ignore[union-attr]
    with index.open("wb") as file:
        file.truncate(_cli_build._MANY_INDEXED - 1)
    assert _cli_build.begin_scan(items, index).lister is None  # type: ignore[union-attr]
    with index.open("wb") as file:
        file.truncate(_cli_build._MANY_INDEXED)
    scanning = _cli_build.begin_scan(items, index)
    assert scanning is not None and scanning.lister is not None
    assert len(scanning.finish().files) == len(list(BUNDLED_ITEMS.glob("*.md")))
