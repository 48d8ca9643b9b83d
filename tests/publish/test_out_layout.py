"""out/ as a web server sees it: links inside it are never written through, the public tree
holds nothing of the members', and --out cannot be a place the feeds should not go."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from feeds import build, parsed, snapshot
from helpers import BUNDLED_ITEMS, LEAD, TEASER, WriteItem

from feedsvc.publish import _atomic
from feedsvc.publish._layout import LOCK_FILE, OWNED_NAMES, TEMP_FOLDER, TEMP_PREFIX

SENTINEL = "SENTINELLE-TEXTE-MEMBRES-5d1c"
MEMBERS_LEAD = (
    LEAD.replace("kind: lead", "kind: lead\naccess: members\nsummary: Résumé public.")
    .replace("/article", "/reserve")
    .replace("Un article complet", "Un article réservé")
    + f"\n{SENTINEL}\n"
)


def state(folder: Path) -> dict[str, Any]:
    """Everything under `folder` as it is, links never followed: bytes and mtime of files,
    targets of links, folders."""
    found: dict[str, Any] = {}
    for top, folders, files in os.walk(folder, followlinks=False):
        for name in folders + files:
            path = Path(top) / name
            key = str(path.relative_to(folder))
            if path.is_symlink():
                found[key] = ("link", os.readlink(path))
            elif path.is_dir():
                found[key] = ("folder",)
            else:
                found[key] = (path.read_bytes(), path.stat().st_mtime_ns)
    return found


class Scene:
    """Items with a members-only lead, out/ built from them, and the items then edited so
    that the next build rewrites every file: the build a link would divert."""

    def __init__(self, items: Path, tmp_path: Path) -> None:
        self.items = items
        self.out = tmp_path / "out"
        assert build(items, self.out).exit_code == 0
        settings = items / "feed.yaml"
        settings.write_text(
            settings.read_text(encoding="utf-8").replace("Flux de test", "Flux modifié"),
            encoding="utf-8",
        )
        self.elsewhere = tmp_path / "elsewhere"
        self.elsewhere.mkdir()
        (self.elsewhere / "rss.xml").write_text("not feedsvc's", encoding="utf-8")
        (self.elsewhere / "file.txt").write_text("a file", encoding="utf-8")

    def link(self, rel: str, target: str | Path) -> None:
        where = self.out / rel
        if where.is_dir() and not where.is_symlink():
            shutil.rmtree(where)
        elif where.exists() or where.is_symlink():
            where.unlink()
        where.parent.mkdir(parents=True, exist_ok=True)
        where.symlink_to(target)


@pytest.fixture
def scene(write_item: WriteItem, tmp_path: Path) -> Scene:
    write_item("public.md", LEAD)
    write_item("teaser.md", TEASER)
    return Scene(write_item("members.md", MEMBERS_LEAD).parent, tmp_path)


# (link below out/, its target relative to the scene's folder or absolute, a folder?)
REFUSED = {
    "category folder, relative": ("public/categories/asie", "../../../elsewhere", True),
    "category folder, absolute": ("public/categories/asie", "ELSEWHERE", True),
    "category folder, dangling": ("public/categories/asie", "../../../nowhere", True),
    "category folder, to itself": ("public/categories/asie", "asie", True),
    "category folder, to a file": ("public/categories/asie", "ELSEWHERE/file.txt", True),
    "categories/": ("public/categories", "../../elsewhere", True),
    "public tree root": ("public", "../elsewhere", True),
    "members/ into the public tree": ("members", "public", True),
    "members/ elsewhere": ("members", "../elsewhere", True),
    "temporary folder": (TEMP_FOLDER.rstrip("/"), "../elsewhere", True),
    "lock file, dangling": (LOCK_FILE, "../elsewhere/lock", False),
    "lock file, to a file": (LOCK_FILE, "../elsewhere/file.txt", False),
    "feed file": ("public/rss.xml", "../../elsewhere/rss.xml", False),
    "category feed file": ("public/categories/asie/atom.xml", "ELSEWHERE/rss.xml", False),
    "members' feed file": ("members/feed.json", "../../elsewhere/rss.xml", False),
    "index page": ("public/index.html", "ELSEWHERE/rss.xml", False),
}


@pytest.mark.parametrize("trick", REFUSED)
def test_a_link_in_out_is_refused_and_nothing_moves(scene: Scene, trick: str) -> None:
    rel, target, _ = REFUSED[trick]
    scene.link(rel, target.replace("ELSEWHERE", str(scene.elsewhere)))
    out_before, elsewhere_before = state(scene.out), state(scene.elsewhere)
    result = build(scene.items, scene.out)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"{scene.out / rel} is a link (to " in result.output
    assert "never through a link" in result.output and "nothing was written" in result.output
    assert state(scene.out) == out_before
    assert state(scene.elsewhere) == elsewhere_before
    assert not (scene.out.parent / "nowhere").exists()


@pytest.mark.parametrize(
    "trick", [t for t in REFUSED if REFUSED[t][0] not in (LOCK_FILE, TEMP_FOLDER.rstrip("/"))]
)
def test_check_names_the_link_too(scene: Scene, trick: str) -> None:
    rel, target, _ = REFUSED[trick]
    scene.link(rel, target.replace("ELSEWHERE", str(scene.elsewhere)))
    result = build(scene.items, scene.out, "--check")
    assert result.exit_code == 1
    assert f"{scene.out / rel} is a link (to " in result.output
    assert "Traceback" not in result.output


def test_out_itself_may_be_a_link(scene: Scene, tmp_path: Path) -> None:
    """The operator chose out/'s path, as they chose every folder above it."""
    real = tmp_path / "srv-feeds"
    scene.out.rename(real)
    scene.out.symlink_to(real)
    result = build(scene.items, scene.out)
    assert result.exit_code == 0, result.output
    assert parsed(real / "public" / "atom.xml").feed.title == "Flux modifié"
    assert scene.out.is_symlink()


def test_links_where_this_build_does_not_write_are_left_alone(scene: Scene) -> None:
    """Builds before out/public/ wrote into categories/ at the top of out/; a link there (or
    a members/ link with the members' feed off) is skipped, never followed, never removed."""
    (scene.elsewhere / "asie").mkdir()
    (scene.elsewhere / "asie" / "rss.xml").write_text("theirs", encoding="utf-8")
    scene.link("categories", scene.elsewhere)
    settings = scene.items / "feed.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text + "members_feed: false\n", encoding="utf-8")
    shutil.rmtree(scene.out / "members")
    scene.link("members", scene.elsewhere)
    before = state(scene.elsewhere)
    result = build(scene.items, scene.out)
    assert result.exit_code == 0, result.output
    assert state(scene.elsewhere) == before
    assert (scene.out / "categories").is_symlink() and (scene.out / "members").is_symlink()


def test_a_link_swapped_in_during_the_build_is_not_followed(
    scene: Scene, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the check of every folder and the writes, a category folder becomes a link:
    the build stops there with the message, and writes nothing through it. Files are staged
    before any is renamed, so none was replaced yet."""
    write = _atomic.Writer.write_if_changed
    stash = tmp_path / "stash"

    def swap_then_write(self: _atomic.Writer, *args: Any) -> bool:
        asie = scene.out / "public" / "categories" / "asie"
        if not asie.is_symlink():
            asie.rename(stash)
            asie.symlink_to(scene.elsewhere)
        return write(self, *args)

    monkeypatch.setattr(_atomic.Writer, "write_if_changed", swap_then_write)
    before = state(scene.elsewhere)
    result = build(scene.items, scene.out)
    assert result.exit_code == 1
    assert f"{scene.out / 'public/categories/asie'} is a link" in result.output
    assert "nothing was written" in result.output
    assert state(scene.elsewhere) == before
    assert sorted(p.name for p in stash.iterdir()) == sorted(OWNED_NAMES - {"index.html"})
    assert not list(scene.out.glob(f"**/{TEMP_PREFIX}*"))


def test_a_link_swapped_in_between_staging_and_renaming_is_not_followed(
    scene: Scene, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staged files are renamed into the very folders they were checked in, held open: a
    category folder swapped for a link meanwhile is not followed, and the build says so."""
    commit = _atomic.Writer.commit
    stash = tmp_path / "stash"

    def swap_then_commit(self: _atomic.Writer) -> None:
        asie = scene.out / "public" / "categories" / "asie"
        if self._staged and not asie.is_symlink():
            asie.rename(stash)
            asie.symlink_to(scene.elsewhere)
        commit(self)

    old = {p.name: p.read_bytes() for p in (scene.out / "public/categories/asie").iterdir()}
    monkeypatch.setattr(_atomic.Writer, "commit", swap_then_commit)
    before = state(scene.elsewhere)
    result = build(scene.items, scene.out)
    assert result.exit_code == 1
    assert f"{scene.out / 'public/categories/asie'} is a link" in result.output
    assert "every file in out/ is whole, the old one or the new one" in result.output
    assert state(scene.elsewhere) == before
    new = {p.name: p.read_bytes() for p in stash.iterdir()}
    assert sorted(new) == sorted(OWNED_NAMES - {"index.html"})
    assert all(new[name] != old[name] for name in new)  # replaced, in the folder checked


def test_a_feed_swapped_for_a_link_before_its_rename_is_replaced_not_followed(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    write = _atomic.Writer.write
    victim = scene.elsewhere / "rss.xml"

    def swap_then_write(self: _atomic.Writer, folder: int, name: str, data: bytes) -> None:
        os.unlink(name, dir_fd=folder)
        os.symlink(victim, name, dir_fd=folder)
        write(self, folder, name, data)

    monkeypatch.setattr(_atomic.Writer, "write", swap_then_write)
    result = build(scene.items, scene.out)
    assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "not feedsvc's"
    files = [p for p in scene.out.rglob("*") if p.name in OWNED_NAMES]
    assert len(files) == 10 and not [p for p in files if p.is_symlink()]


def test_a_temporary_name_taken_by_a_link_is_skipped(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = iter(["0" * 16, "0" * 16, *(f"{n:016x}" for n in range(1, 1000))])
    planted: list[Path] = []

    def token_hex(_: int) -> str:
        token = next(names)
        temp = scene.out / TEMP_FOLDER
        if not planted and temp.is_dir():
            for name in OWNED_NAMES:
                planted.append(temp / f"{TEMP_PREFIX}{name}.{token}.tmp")
                planted[-1].symlink_to(scene.elsewhere / f"victim-{name}")
        return token

    monkeypatch.setattr(_atomic.secrets, "token_hex", token_hex)
    result = build(scene.items, scene.out)
    assert result.exit_code == 0, result.output
    assert planted and all(path.is_symlink() for path in planted)
    assert sorted(p.name for p in scene.elsewhere.iterdir()) == ["file.txt", "rss.xml"]


# The safe layout by default.


def _served(out: Path) -> dict[str, bytes]:
    """What a plain static server of out/public/ hands to anyone."""
    return {
        str(Path(top, name).relative_to(out / "public")): Path(top, name).read_bytes()
        for top, _, files in os.walk(out / "public")
        for name in files
    }


def test_serving_the_public_tree_as_static_files_exposes_no_members_file(scene: Scene) -> None:
    assert build(scene.items, scene.out).exit_code == 0
    served = _served(scene.out)
    members = {path.name: path.read_bytes() for path in (scene.out / "members").iterdir()}
    assert sorted(members) == ["atom.xml", "feed.json", "rss.xml"]
    assert all(SENTINEL.encode() in data for data in members.values())
    assert len(served) == 7  # main and category Asie in 3 formats, the index
    for name, data in served.items():
        assert SENTINEL.encode() not in data, name
        assert data not in members.values(), name
        assert Path(name).name in OWNED_NAMES, name  # no lock, no temporary file
    # The members' feed says where it is served: beside the public tree, behind the login.
    feed = parsed(scene.out / "members" / "atom.xml").feed
    assert feed.links[0].href == "https://www.example.com/feeds/members/atom.xml"
    assert sorted(os.listdir(scene.out)) == [LOCK_FILE, "members", "public"]


def test_no_temporary_file_is_ever_inside_a_served_tree(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    create = _atomic.Writer._create
    seen: list[str] = []

    def watched(self: _atomic.Writer, name: str) -> tuple[str, int]:
        temp_name, handle = create(self, name)
        seen.append(os.readlink(f"/proc/self/fd/{self.temp}"))
        for tree in ("public", "members"):
            for top, _, files in os.walk(scene.out / tree):
                assert set(files) <= OWNED_NAMES, (top, files)
        return temp_name, handle

    monkeypatch.setattr(_atomic.Writer, "_create", watched)
    assert build(scene.items, scene.out).exit_code == 0
    assert len(seen) == 10 and set(seen) == {str((scene.out / TEMP_FOLDER).resolve())}
    assert not (scene.out / TEMP_FOLDER).exists()


def _old_layout(out: Path) -> None:
    """out/ as builds before out/public/ left it: the public files at its top."""
    for path in sorted((out / "public").iterdir()):
        path.rename(out / path.name)
    (out / "public").rmdir()


def test_a_build_moves_the_old_layout_and_touches_nothing_else(
    bundled_copy: Path, tmp_path: Path
) -> None:
    clean = tmp_path / "clean"
    assert build(bundled_copy, clean).exit_code == 0
    out = tmp_path / "out"
    shutil.copytree(clean, out)
    _old_layout(out)
    old_files = sorted(path for path in snapshot(out) if not path.startswith("members/"))
    theirs = {
        "robots.txt": b"an editor's file at the top of out/",
        "categories/asie/notes.txt": b"an editor's notes in an old feed folder",
        "categories/x/y/atom.xml": b"deeper than any feed folder",
        "podcast/rss.xml": b"a feed name, but not a feed folder",
    }
    for name, data in theirs.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    (out / ".feedsvc-rss.xml.x1y2.tmp").write_bytes(b"<rss><chan")  # an old build's leftover

    check = build(bundled_copy, out, "--check", "--verbose")
    assert check.exit_code == 1
    assert check.output.count("stale     ") == len(old_files) == 31

    result = build(bundled_copy, out, "--verbose")
    assert result.exit_code == 0, result.output
    for path in old_files:
        assert f"moved     {out / path} -> {out / 'public' / path}" in result.output
    assert result.output.count("written   ") == 31  # into out/public/, before any removal
    assert result.output.count("unchanged ") == 3  # members/ has not moved
    assert "note: the public feeds are now in" in result.output
    expected = {**snapshot(clean), **theirs}
    assert snapshot(out) == expected
    assert sorted(p.name for p in (out / "categories").iterdir()) == ["asie", "x"]
    again = build(bundled_copy, out)
    assert "moved" not in again.output and "note:" not in again.output
    assert build(bundled_copy, out, "--check").exit_code == 0


# --out that cannot hold the feeds, or that would publish the items.

Setup = Callable[[Path], tuple[str, str]]  # tmp_path -> (--items, --out)


def _items_at(tmp_path: Path, rel: str) -> Path:
    return Path(shutil.copytree(BUNDLED_ITEMS, tmp_path / rel))


def _file(tmp_path: Path) -> str:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    return str(tmp_path / "a-file")


def _dangling(tmp_path: Path) -> str:
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    return str(tmp_path / "dangling")


USAGE: dict[str, tuple[Setup, str]] = {
    "out is the items folder": (
        lambda t: (str(_items_at(t, "items")), str(t / "items")),
        "is the items folder",
    ),
    "out inside the items folder": (
        lambda t: (str(_items_at(t, "items")), str(t / "items" / "out")),
        "is inside the items folder",
    ),
    "out is the items folder by another path": (
        lambda t: (str(_items_at(t, "items")), str(t / "items" / "sub" / "..")),
        "is the items folder",
    ),
    "out is /dev/null": (lambda t: (str(BUNDLED_ITEMS), "/dev/null"), "is not a folder"),
    "out is a file": (lambda t: (str(BUNDLED_ITEMS), _file(t)), "is a file"),  # click's own
    "out below a file": (lambda t: (str(BUNDLED_ITEMS), _file(t) + "/out"), "is not a folder"),
    "out is a dangling link": (lambda t: (str(BUNDLED_ITEMS), _dangling(t)), "is not a folder"),
    "items inside out/public": (
        lambda t: (str(_items_at(t, "out/public/items")), str(t / "out")),
        "which is served",
    ),
    "items are out/public": (
        lambda t: (str(_items_at(t, "public")), str(t)),
        "which is served",
    ),
    "items inside out/members": (
        lambda t: (str(_items_at(t, "out/members/items")), str(t / "out")),
        "which is served",
    ),
}


@pytest.mark.parametrize("check", [False, True], ids=["build", "check"])
@pytest.mark.parametrize("case", USAGE)
def test_an_out_folder_that_cannot_be_is_a_usage_error(
    tmp_path: Path, case: str, check: bool
) -> None:
    setup, message = USAGE[case]
    items, out = setup(tmp_path)
    before = state(tmp_path)
    result = build(Path(items), Path(out), *(["--check"] if check else []))
    assert result.exit_code == 2, result.output
    assert message in result.output and "'--out'" in result.output
    assert "Traceback" not in result.output
    assert state(tmp_path) == before


def test_out_may_hold_the_items_outside_its_served_trees(tmp_path: Path) -> None:
    items = _items_at(tmp_path, "site/items")
    result = build(items, tmp_path / "site")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "site" / "public" / "rss.xml").is_file()
