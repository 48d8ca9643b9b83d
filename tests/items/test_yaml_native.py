"""The native YAML fast path: the same values as PyYAML, or it leaves the file to PyYAML."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import LEAD, SETTINGS, TEASER, WriteItem
from hypothesis import given, settings
from hypothesis import strategies as st
from test_yaml_keys import ODD_KEYS, REPEATS

from feedsvc.index import load_items
from feedsvc.index._pool import NATIVE_YAML_THRESHOLD
from feedsvc.items import _frontmatter as frontmatter
from feedsvc.items import _yaml, parse_item

COUNTS = {"native": 0, "left to PyYAML": 0, "both refuse": 0}


@pytest.fixture
def native() -> Iterator[None]:
    assert _yaml.use_native(), "yaml-rs is a dependency: it must import here"
    yield
    _yaml._native = None  # other tests read small folders, as PyYAML alone does


def _read(text: str, *, fast: bool) -> tuple[str, Any]:
    """('value', data) or ('refused', (line, message)), with or without the fast path."""
    kept = _yaml._native
    if not fast:
        _yaml._native = None
    try:
        return "value", frontmatter.parse_yaml(text)
    except frontmatter.FrontMatterError as error:
        return "refused", (error.line, error.message)
    finally:
        _yaml._native = kept


def _exact(value: Any) -> Any:
    """`value` with every type spelt out: 1 == 1.0 == True, and key order, must not hide."""
    if isinstance(value, dict):
        return ["dict", [(_exact(k), _exact(v)) for k, v in value.items()]]
    if isinstance(value, list):
        return ["list", [_exact(item) for item in value]]
    return [type(value).__name__, repr(value)]


def _agree(text: str) -> None:
    fast, reference = _read(text, fast=True), _read(text, fast=False)
    if fast[0] == "refused":
        COUNTS["both refuse"] += 1
    elif _yaml.load_native(text) is not None:
        COUNTS["native"] += 1
    else:
        COUNTS["left to PyYAML"] += 1
    assert fast[0] == reference[0], text
    assert _exact(fast[1]) == _exact(reference[1]), text


# YAML 1.1's traps, and what YAML 1.2 (which yaml-rs reads) changed.
TOKENS = [
    "yes", "no", "on", "off", "y", "n", "Y", "Yes", "NO", "On", "OFF", "True", "TRUE", "false",
    "~", "null", "Null", "NULL", "nULL", "", "0o17", "017", "08", "0x1F", "0b11", "1_000",
    "+12", "-0", "1:30", "190:20:30.5", "1e3", "1.0e+3", "685.230_15e+03", ".5", "1.", ".inf",
    "-.Inf", ".NAN", ".nan", "2024-06-19", "2024-06-19T14:30:00+09:00", "2024-06-19 14:30:00",
    "2024-06-19t14:30:00z", "2024-6-9 1:2:3", "2024-06-19   14:30:00Z", "2024-13-45",
    "<<", "=", "&a x", "*a", "!!str 5", "!!int 1", "!!bool yes", "!!set {a}", "!!binary aGk=",
    "!foo x", "!<tag:yaml.org,2002:str> 5", "@x", "`x", "|", ">", "- x", "[a]", "{a: 1}",
    "[a, b]", "{a: 1, a: 2}", "?", ":x", "a:b", "a: b", "a #b", "b#c", "x\ty", "é😀",
    "a\u200db", "\u00a0x\u00a0", "x\u2028y", "x\u2029y", "\ufeffx", "%x", "'q'", '"dq"',
    '"\\N\\_\\L\\x41"', '"\\/"', '"\\e\\0"', '"\\x01"', "1,000", "0", "-0.0", "9" * 30,
    "Corée du Nord", "https://www.example.com/a?b=c#d", "image/jpeg", "L'armée « dit »",
    "Où ? Là !", "50 %", "Q&A", "C'est*bien", "x - y", "a, b", "teaser", "members",
]  # fmt: skip
PLAIN_KEYS = ["kind", "title", "url", "summary", "photo", "caption", "a b", "clé"]


def _scalar(token: str, style: int) -> str:
    if style == 1:
        return json.dumps(token, ensure_ascii=False)
    if style == 2:
        return "'" + token.replace("'", "''") + "'"
    return token


@st.composite
def documents(draw: st.DrawFn, depth: int = 0) -> list[str]:
    lines: list[str] = []
    keys = st.sampled_from(PLAIN_KEYS) | st.sampled_from(ODD_KEYS)
    scalars = st.builds(_scalar, st.sampled_from(TOKENS), st.sampled_from([0, 0, 1, 2]))
    for key in draw(st.lists(keys, min_size=1, max_size=6)):
        shape = draw(st.sampled_from(["scalar"] * 4 + ["flow", "block list", "mapping"]))
        if shape == "mapping" and depth < 2:
            lines.append(f"{key}:")
            lines.extend("  " + line for line in draw(documents(depth + 1)))
        elif shape == "block list":
            lines.append(f"{key}:")
            lines.extend(f"  - {value}" for value in draw(st.lists(scalars, max_size=3)))
        elif shape == "flow":
            lines.append(f"{key}: [{', '.join(draw(st.lists(scalars, max_size=3)))}]")
        else:
            lines.append(f"{key}: {draw(scalars)}")
    return lines


@pytest.mark.usefixtures("native")
@settings(max_examples=600, deadline=None)
@given(documents())
def test_the_fast_path_reads_what_pyyaml_reads_or_leaves_it(lines: list[str]) -> None:
    _agree("\n".join(lines))


@pytest.mark.usefixtures("native")
@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("style", [0, 1, 2])
def test_each_trap_alone(token: str, style: int) -> None:
    _agree(f"a: {_scalar(token, style)}")
    _agree(f"{_scalar(token, style)}: a")
    _agree(f"a:\n  - {_scalar(token, style)}")


@pytest.mark.usefixtures("native")
@pytest.mark.parametrize(
    "text",
    [
        "", "# nothing", "just text", "- a\n- b", "a: 1\n---\nb: 2", "%YAML 1.2\n---\na: yes",
        'a: "abc', "a: 1\n b: 2", "a:\n\tb: 1", "a:\tb", "a: [1,\t2]", "a: |\n  x\n  y\n",
        "a: >-\n  x\n  y\n", "a: |+\n  x\n\n", "a: x\n  y", "? a\n: 1", "[1, 2]: x",
        "a: &r [*r]", "base: &b {x: 1}\nm:\n  <<: *b\n  x: 2", "a: b   ", "a: [|]", "a: [?]",
    ],
)  # fmt: skip
def test_odd_documents(text: str) -> None:
    _agree(text)


@pytest.mark.usefixtures("native")
def test_an_ordinary_front_matter_is_read_natively() -> None:
    # Else the guard could leave every file to PyYAML, and the tests above prove nothing.
    for text in (LEAD, TEASER):
        front_matter = text.split("---\n")[1]
        assert _yaml.load_native(front_matter) is not None
        _agree(front_matter)
    assert _yaml.load_native(SETTINGS) is not None


@pytest.mark.usefixtures("native")
@pytest.mark.parametrize(
    ("content", "field", "line", "message"),
    [case[1:] for case in REPEATS],
    ids=[case[0] for case in REPEATS],
)
def test_a_key_given_twice_is_refused_the_same(
    tmp_path: Path, content: str, field: str, line: int, message: str
) -> None:
    path = tmp_path / "a.md"
    path.write_text(content, encoding="utf-8")
    problems = parse_item(path, path.read_bytes())
    assert isinstance(problems, list)
    (problem,) = problems
    assert (problem.field, problem.line) == (field, line), str(problem)
    assert message in problem.message


@pytest.mark.usefixtures("native")
def test_a_problem_in_a_natively_read_file_is_at_its_line(tmp_path: Path) -> None:
    # No nodes were built: locating the problem parses the front matter again with PyYAML.
    path = tmp_path / "a.md"
    path.write_text(TEASER.replace("access: members", "access: membres"), encoding="utf-8")
    assert _yaml.load_native(path.read_text().split("---\n")[1]) is not None
    (problem,) = parse_item(path, path.read_bytes())  # type: ignore[misc]
    line = TEASER.splitlines().index("access: members") + 1
    assert (problem.field, problem.line) == ("access", line)


def test_feedsvc_works_without_yaml_rs(
    write_item: WriteItem, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_yaml, "_native", None)
    monkeypatch.setitem(sys.modules, "yaml_rs", None)  # `import yaml_rs` raises ImportError
    for n in range(NATIVE_YAML_THRESHOLD):
        write_item(f"t{n}.md", TEASER.replace("/breve", f"/breve-{n}"))
    checked = load_items(write_item("t.md", TEASER).parent)
    assert checked.ok, checked.problems
    assert len(checked.entries) == NATIVE_YAML_THRESHOLD + 1
    assert _yaml._native is None


def teardown_module() -> None:
    print(f"\ntest_yaml_native: {COUNTS}")  # shown with `pytest -s`


def test_the_native_paths_patterns_are_compiled_with_it_not_at_import() -> None:
    """A small build reads with PyYAML alone: importing the reader compiles none of the
    thirty patterns that only the native path needs."""
    script = (
        "from feedsvc.items import _yaml\n"
        "assert _yaml._RESOLVE == {}, 'compiled at import'\n"
        "assert _yaml.use_native() and len(_yaml._RESOLVE) > 10\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.usefixtures("native")
@pytest.mark.parametrize("source", ["\tkind: lead\n", "kind: lead\n\ttitle: Un titre\n"])
def test_a_tab_as_indentation_is_refused_with_its_line_not_a_traceback(source: str) -> None:
    """yaml-rs reads a tab as indentation, PyYAML refuses it: PyYAML reads such a file."""
    problems = parse_item(Path("x.md"), f"---\n{source}---\n".encode())
    assert isinstance(problems, list) and problems
    assert all(problem.line >= 1 for problem in problems)


@pytest.mark.usefixtures("native")
def test_a_json_surrogate_pair_escape_is_read_by_pyyaml() -> None:
    """yaml-rs joins "\\ud83d\\ude00" into one character; PyYAML refuses the escape, with
    its line, and the file is refused rather than read two ways."""
    source = '---\nkind: lead\ntitle: "A \\ud83d\\ude00"\n---\nUn paragraphe.\n'
    problems = parse_item(Path("x.md"), source.encode())
    assert isinstance(problems, list) and [problem.line for problem in problems] == [3]
