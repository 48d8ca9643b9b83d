"""An edited week's archives are patched from the files on disk, not rendered again: the
patched bytes are exactly a cold build's, whatever sequence of edits led there, members'
text never reaches a public archive, and any doubt about the file or its record (edited by
hand, truncated, deleted, a damaged record) gives a full render."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from feeds import build, cold_snapshot, snapshot
from helpers import SETTINGS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MONTHS = ("2024-03", "2024-04", "2024-05")
CATEGORIES = ("Asie", "Japon", "Corée")
NAMES = tuple("abcdefgh")


def _item(name: str, month: str, day: int, categories: tuple[str, ...], access: str,
          version: int, updated: bool, extras: tuple[bool, bool, bool] = (False, False, False),
          ) -> str:  # fmt: skip
    # extras: a photo (media: namespace), a byline (dc: in RSS), a teaser rather than a lead:
    # which namespaces a document declares depends on its entries.
    photo, byline, teaser = extras
    secret = f"SECRET-{name}-{version}" if access == "members" else f"public {name}"
    lines = [
        "---", f"kind: {'teaser' if teaser else 'lead'}", f"title: Article {name} v{version}",
        f"url: https://www.example.com/{name}",
        f"published: {month}-{day:02d}T10:00:00+09:00",
        *([f"updated: {month}-{day:02d}T20:00:00+02:00"] if updated else []),
        f"categories: [{', '.join(categories)}]", f"access: {access}",
        f"summary: Résumé {name} {version} {secret if teaser and access == 'public' else ''}",
        *([f"photo: {{url: https://img.example.com/p/{name}-photo.jpg, caption: Légende {name}}}"]
          if photo else []),
        *(["authors: [Jeanne Dupont]"] if byline and not teaser else []),
        "---",
    ]  # fmt: skip
    return "\n".join(lines) + ("\n" if teaser else f"\nTexte {secret}.\n")


ITEM = st.tuples(
    st.sampled_from(MONTHS),
    st.integers(1, 27),
    st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3, unique=True).map(tuple),
    st.sampled_from(("public", "members")),
    st.integers(0, 3),
    st.booleans(),
    st.tuples(st.booleans(), st.booleans(), st.booleans()),
)
OPERATION = st.one_of(
    st.tuples(st.just("put"), st.sampled_from(NAMES), ITEM),
    st.tuples(st.just("delete"), st.sampled_from(NAMES), st.none()),
)


class _Counted:
    """How many archives were patched and how many rendered in full."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from feedsvc.publish import _outputs

        self.counts: Counter[str] = Counter()
        self.full: list[str] = []
        patched = _outputs.patched

        def counted(*args: Any, **kwargs: Any) -> Any:
            done = patched(*args, **kwargs)
            self.counts["patched" if done else "full"] += 1
            if done is None:
                self.full.append(args[2])
            return done

        monkeypatch.setattr(_outputs, "patched", counted)


def _settings(items_dir: Path) -> None:
    (items_dir / "feed.yaml").write_text(SETTINGS + "limit: 2\narchives: true\n")


def _no_secret_in_public(out: Path) -> None:
    for path in (out / "public").rglob("*"):
        if path.is_file():
            assert b"SECRET-" not in path.read_bytes(), path


def test_patched_archives_equal_a_cold_build_through_any_edits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counted = _Counted(monkeypatch)
    initial = {
        name: ("2024-0" + str(3 + n % 3), 2 + 3 * n, ("Asie",), "public", 0, False,
               (n % 2 == 0, n % 3 == 0, n == 5))
        for n, name in enumerate(NAMES[:6])
    }  # fmt: skip

    examples = int(os.environ.get("FEEDSVC_PATCH_EXAMPLES", "15"))

    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(OPERATION, min_size=1, max_size=4))
    def run(operations: list[tuple[str, str, Any]]) -> None:
        with tempfile.TemporaryDirectory() as temporary:
            root = Path(temporary)
            items_dir, out = root / "items", root / "out"
            items_dir.mkdir()
            _settings(items_dir)
            for name, fields in initial.items():
                (items_dir / f"{name}.md").write_text(_item(name, *fields))
            assert build(items_dir, out).exit_code == 0
            for number, (kind, name, fields) in enumerate(operations):
                path = items_dir / f"{name}.md"
                if kind == "put":
                    path.write_text(_item(name, *fields))
                elif path.exists() and len(list(items_dir.glob("*.md"))) > 1:
                    path.unlink()
                result = build(items_dir, out)
                assert result.exit_code == 0, result.output
                cold = root / f"cold{number}"
                assert snapshot(out) == cold_snapshot(items_dir, cold), (number, operations)
                _no_secret_in_public(out)

    run()
    assert counted.counts["patched"] > 0, counted.counts


def _week_of_items(items_dir: Path, count: int) -> None:
    _settings(items_dir)
    for number in range(count):
        access = "members" if number % 3 == 0 else "public"
        categories = ("Asie", "Japon") if number % 2 else ("Asie",)
        fields = ("2024-03", 4 + number % 7, categories, access, 0, number % 4 == 0)
        (items_dir / f"i{number:02d}.md").write_text(_item(f"i{number:02d}", *fields))
    # The live feeds hold the newest two, in May: an edit in week 10 changes no live feed.
    for name in ("y", "z"):
        (items_dir / f"{name}.md").write_text(
            _item(name, "2024-05", 20, ("Asie",), "public", 0, False)
        )


def test_an_edit_of_a_closed_week_reads_only_the_edited_item(
    items_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from feedsvc.publish import _outputs

    _week_of_items(items_dir, 30)
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    counted = _Counted(monkeypatch)
    reads: Counter[str] = Counter()
    read = _outputs._Documents._read

    def counted_read(self: _outputs._Documents, path: str, digest: str) -> object:
        reads[path] += 1
        return read(self, path, digest)

    monkeypatch.setattr(_outputs._Documents, "_read", counted_read)
    # Besides the edited item, each feed's newest entry of the week (whose last change is
    # the document's `updated`) is made: one per feed here (main, Asie, Japon).
    (items_dir / "i05.md").write_text(
        _item("i05", "2024-03", 9, ("Asie", "Japon"), "members", 1, False)
    )
    assert build(items_dir, out).exit_code == 0
    assert counted.counts["full"] == 0 and counted.counts["patched"] == 12, counted.counts
    assert reads == {"i05.md": 1, "i20.md": 1, "i13.md": 1}, reads
    assert snapshot(out) == cold_snapshot(items_dir, tmp_path / "cold")
    _no_secret_in_public(out)


ARCHIVE = "public/archive/2024-W10/"  # every i: 4 to 10 March


def _edit_by_hand(path: Path) -> None:
    data = path.read_bytes()
    stat = path.stat()
    path.write_bytes(data.replace(b"Article i07 v0", b"Article i07 v9", 1))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _sql(statement: str) -> Callable[[Path, Path], None]:
    def damage(out: Path, cache: Path) -> None:
        with sqlite3.connect(cache) as db:
            db.execute(statement)
        db.close()

    return damage


DAMAGES: dict[str, Callable[[Path, Path], None]] = {
    "edited by hand, size and time kept": lambda out, cache: (
        [_edit_by_hand(out / ARCHIVE / name) for name in ("rss.xml", "atom.xml", "feed.json")]
        and None
    ),
    "truncated": lambda out, cache: (
        [
            (out / ARCHIVE / name).write_bytes((out / ARCHIVE / name).read_bytes()[:500])
            for name in ("rss.xml", "atom.xml", "feed.json")
        ]
        and None
    ),
    "deleted": lambda out, cache: (
        [(out / ARCHIVE / name).unlink() for name in ("rss.xml", "atom.xml", "feed.json")] and None
    ),
    "emptied": lambda out, cache: (
        [(out / ARCHIVE / name).write_bytes(b"") for name in ("rss.xml", "atom.xml", "feed.json")]
        and None
    ),
    "rows' blob damaged": _sql(
        "UPDATE archived_rows SET rows = substr(rows, 1, 5) || x'00' || substr(rows, 7)"
    ),
    "rows' hash damaged": _sql("UPDATE archived_rows SET sha = 'x' || substr(sha, 2)"),
    "rows lost": _sql("DELETE FROM archived_rows"),
    "file hash damaged": _sql("UPDATE archived SET sha = 'x' || substr(sha, 2)"),
    "frame damaged": _sql("UPDATE archived SET frame = 'x'"),
    "records of another week": _sql(
        "UPDATE archived SET content ="
        " (SELECT content FROM archived WHERE path LIKE '%2024-W21%' LIMIT 1)"
    ),
    "months table damaged": _sql("UPDATE months SET digest = 'x', items = items + 1"),
    "archived table dropped": _sql("DROP TABLE archived"),
}


@pytest.mark.parametrize("damage", DAMAGES, ids=list(DAMAGES))
def test_a_damaged_archive_or_record_is_rendered_in_full(
    damage: str, items_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _week_of_items(items_dir, 12)
    out = tmp_path / "out"
    assert build(items_dir, out).exit_code == 0
    cache = next((items_dir.parent / ".cache").rglob("*.sqlite3"))
    DAMAGES[damage](out, cache)
    _Counted(monkeypatch)
    (items_dir / "i05.md").write_text(_item("i05", "2024-03", 9, ("Asie",), "public", 2, False))
    result = build(items_dir, out)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert snapshot(out) == cold_snapshot(items_dir, tmp_path / "cold")
    _no_secret_in_public(out)
