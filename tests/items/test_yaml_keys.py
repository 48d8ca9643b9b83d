"""YAML that means less than it shows: repeated keys, keys that are not names, cut-off text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from feeds import build, parsed
from helpers import LEAD, SETTINGS, TEASER, WriteItem
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsvc.index import load_items
from feedsvc.items import _frontmatter as frontmatter
from feedsvc.items import _yaml, parse_item, read_settings

PUBLIC_THEN_MEMBERS = TEASER.replace("kind: teaser", "kind: teaser\naccess: members").replace(
    "access: members\n---", "access: public\n---"
)

# (name, file, field, line, message)
REPEATS = [
    ("access", PUBLIC_THEN_MEMBERS, "access", 9, "is given twice (lines 3 and 9); keep one"),
    (
        "nested",
        LEAD.replace("  caption: Une légende.", "  caption: Une légende.\n  url: https://x.fr/b"),
        "photo.url",
        10,
        "is given twice (lines 8 and 10); keep one",
    ),
    (
        "unindented-photo",
        LEAD.replace("  url: https://www.example.com/photo.jpg", "url: https://x.fr/p.jpg").replace(
            "  caption:", "caption:"
        ),
        "url",
        8,
        "is given twice (lines 4 and 8); keep one",
    ),
    (
        "flow",
        LEAD.replace("kind: lead", "kind: lead\nauthors: [{name: A, email: a@b.fr, name: B}]"),
        "authors[0].name",
        3,
        "is given twice (both on line 3); keep one",
    ),
    (
        "quoted-spelling",
        LEAD.replace("kind: lead", 'kind: lead\n"\\u0074itle": Autre'),
        "title",
        4,
        "is given twice (lines 3 and 4); keep one",
    ),
    (
        "alias",
        LEAD.replace("title: Un article complet", "&k title: Un\n*k : Autre"),
        "title",
        3,
        "is given twice (line 3, and again through an alias); keep one",
    ),
    (
        "two-merges",
        LEAD.replace("kind: lead", "d: &d {access: members}\nkind: lead\n<<: *d\n<<: {draft: no}"),
        '"<<"',
        5,
        "merge several with one '<<: [*a, *b]'",
    ),
    (
        "inside-a-merge",
        LEAD.replace("kind: lead", "kind: lead\n<<: {access: members, access: public}"),
        '"<<".access',
        3,
        "is given twice (both on line 3)",
    ),
]


@pytest.mark.parametrize(
    ("content", "field", "line", "message"),
    [case[1:] for case in REPEATS],
    ids=[case[0] for case in REPEATS],
)
def test_a_key_given_twice_is_refused_at_both_lines(
    write_item: WriteItem, content: str, field: str, line: int, message: str
) -> None:
    path = write_item("a.md", content)
    (problem,) = load_items(path.parent).problems
    assert (problem.field, problem.line) == (field, line), str(problem)
    assert message in problem.message, str(problem)


def test_members_first_then_public_publishes_nothing(write_item: WriteItem, tmp_path: Path) -> None:
    items_dir = write_item("a.md", PUBLIC_THEN_MEMBERS).parent
    result = build(items_dir, tmp_path / "out")
    assert result.exit_code == 1
    assert f"{items_dir / 'a.md'}:9: access: is given twice (lines 3 and 9); keep one" in (
        result.output
    )
    assert not (tmp_path / "out").exists()


def test_a_key_written_over_a_merged_one_is_the_one_used(write_item: WriteItem) -> None:
    # YAML: keys written in the mapping override those merged in with `<<`; not a repeat.
    content = TEASER.replace("kind: teaser", "kind: teaser\n<<: {access: public, draft: no}")
    (item,) = load_items(write_item("a.md", content).parent).entries
    assert item.item.access == "members"


def test_a_key_given_twice_in_feed_yaml_is_refused(items_dir: Path) -> None:
    (items_dir / "feed.yaml").write_text(SETTINGS + "members_feed: false\nmembers_feed: true\n")
    (problem,) = read_settings(items_dir)  # type: ignore[misc]
    assert str(problem).endswith(
        "feed.yaml:7: members_feed: is given twice (lines 6 and 7); keep one"
    )


@pytest.mark.parametrize(
    ("key", "reads_as"),
    [("~", "null"), ("null", "null"), ("yes", "true or false"), ("12", "a number")],
)
def test_a_key_that_is_not_a_name_says_what_yaml_made_of_it(
    write_item: WriteItem, key: str, reads_as: str
) -> None:
    path = write_item("a.md", TEASER.replace("kind: teaser", f"kind: teaser\n{key}: x"))
    (problem,) = load_items(path.parent).problems
    assert problem.line == 3
    assert f"is not a field name: YAML reads {key!r} as {reads_as}" in problem.message
    assert "Keys should be strings" not in str(problem)


# Odd keys, as an editor or a damaged file could write them; values are distinct numbers, so
# a key lost without a word shows as a missing number.
ODD_KEYS = [
    "title", "Title", "clé", "日本語", "a b", "-x", "'title'", '"title"', '"\\u0074itle"',
    '""', "''", "~", "null", "Null", "yes", "on", "true", "1", "0x1", "01", "1.0", ".nan",
    "k" * 300, "<<", "=", "&a title", "*a", "? [a]", "[a]", "{a: 1}", "!!str 1", "!!int 1",
    "!!bool yes", "!foo x", "'a: b'", "\"a\\nb\"",
]  # fmt: skip
SEEN: dict[str, int] = {}


@st.composite
def keyed(draw: st.DrawFn, depth: int = 0) -> tuple[list[str], set[int]]:
    """Block mapping lines, and the number written as each plain value."""
    lines: list[str] = []
    numbers: set[int] = set()
    names = st.sampled_from(ODD_KEYS) | st.sampled_from(["a", "b", "clé", "title", "photo"])
    for key in draw(st.lists(names, min_size=1, max_size=6)):
        if key == "<<":
            lines.append(f"<<: {{merged{depth}: -1}}")  # may rightly be overridden
        elif depth < 2 and draw(st.sampled_from([True, False, False])):
            inner, more = draw(keyed(depth + 1))
            lines.append(f"{key}:")
            lines.extend("  " + line for line in inner)
            numbers |= more
        else:
            number = draw(st.integers(min_value=0, max_value=10**6))
            lines.append(f"{key}: {number}")
            numbers.add(number)
    return lines, numbers


def _numbers(value: Any) -> set[int]:
    if isinstance(value, dict):
        return set().union(*map(_numbers, value.values()))
    if isinstance(value, list):
        return set().union(*map(_numbers, value))
    return {value} if isinstance(value, int) and not isinstance(value, bool) else set()


@settings(max_examples=300, deadline=None)
@given(keyed())
def test_no_key_is_lost_without_a_word(document: tuple[list[str], set[int]]) -> None:
    lines, written = document
    try:
        data = frontmatter.parse_yaml("\n".join(lines))
    except frontmatter.FrontMatterError as error:
        kind = error.message.split(" (")[0].split(":")[0]
        SEEN[kind] = SEEN.get(kind, 0) + 1
        assert error.line >= 1
        return
    SEEN["read"] = SEEN.get("read", 0) + 1
    assert {n for n in _numbers(data) if n >= 0} == written


def teardown_module() -> None:
    if SEEN:  # shown with `pytest -s`: what the generated documents came to
        print(f"\ntest_no_key_is_lost_without_a_word: {sum(SEEN.values())} documents: {SEEN}")


def test_compose_runs_once_per_file_however_many_problems(
    write_item: WriteItem, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = "".join(f"cle{i}: x\n" for i in range(2000))
    raw = TEASER.replace("kind: teaser\n", "kind: teaser\n" + keys).encode()
    calls: list[int] = []
    real = _yaml.Loader.get_single_node

    def counted(loader: Any) -> Any:
        calls.append(1)
        return real(loader)

    monkeypatch.setattr(_yaml.Loader, "get_single_node", counted)
    monkeypatch.setattr(yaml, "compose", None)  # no second parse, by any route
    problems = parse_item(Path("a.md"), raw)
    assert isinstance(problems, list) and len(problems) == 2000
    assert calls == [1]
    assert [(p.field, p.line) for p in problems[:2]] == [("cle0", 3), ("cle1", 4)]
    assert problems[-1].line == 2002


# 6. Text a comment cut short.
HIDDEN = [
    ("title", "title: Un article complet", "title: Duterte #candidat à la mairie", 3),
    ("category", "categories: [Asie]", "categories:\n  - Asie # Corée", 7),
    ("caption", "  caption: Une légende.", "  caption: Une légende #2", 9),
    ("summary", "kind: lead", "kind: lead\nsummary: Un\n  résumé # coupé", 4),
    ("author", "kind: lead", "kind: lead\nauthors:\n  - La rédaction # AFP", 4),
]


@pytest.mark.parametrize(
    ("old", "new", "line"), [c[1:] for c in HIDDEN], ids=[c[0] for c in HIDDEN]
)
def test_a_comment_that_cuts_a_text_value_short_is_refused(
    write_item: WriteItem, old: str, new: str, line: int
) -> None:
    path = write_item("a.md", LEAD.replace(old, new))
    (problem,) = load_items(path.parent).problems
    assert problem.line == line, str(problem)
    assert "for a comment and drops it; put the value in quotes because of its '#'" in (
        problem.message
    )


def test_the_fix_suggested_for_a_cut_title_reads_back_whole(write_item: WriteItem) -> None:
    path = write_item("a.md", LEAD.replace("Un article complet", "Duterte #candidat à la mairie"))
    (problem,) = load_items(path.parent).problems
    assert str(problem).startswith(f"{path}:3: title: reads as 'Duterte': ")
    quoted = problem.message.split("because of its '#': ")[1].split(" (or move")[0]
    write_item("a.md", LEAD.replace("Un article complet", quoted.replace("\\", "\\\\")))
    assert load_items(path.parent).entries[0].item.title == "Duterte #candidat à la mairie"


def test_ordinary_comments_stay_allowed(write_item: WriteItem, tmp_path: Path) -> None:
    content = (
        LEAD.replace("kind: lead", "# un commentaire\nkind: lead # article\ndraft: false # bientôt")
        .replace("/article", "/article # l'adresse")
        .replace("+09:00", "+09:00 # heure de Pyongyang")
        .replace("[Asie]", "[Asie] # région")
        .replace("Une légende.", "'Une légende.' # entre guillemets")
    )
    items_dir = write_item("a.md", content).parent
    (items_dir / "feed.yaml").write_text(SETTINGS + "limit: 5 # assez\n", encoding="utf-8")
    result = build(items_dir, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert parsed(tmp_path / "out" / "public" / "rss.xml").entries[0].title == "Un article complet"


def test_a_comment_that_cuts_the_feed_description_short_is_refused(items_dir: Path) -> None:
    (items_dir / "feed.yaml").write_text(
        SETTINGS.replace("Un flux pour les tests.", "Le flux #1 de la rédaction"), encoding="utf-8"
    )
    (problem,) = read_settings(items_dir)  # type: ignore[misc]
    assert (problem.field, problem.line) == ("description", 2)
    assert '"Le flux #1 de la rédaction"' in problem.message


# 16. Messages that spoke Python, or of what is not there.
@pytest.mark.parametrize(
    ("value", "expected", "not_expected"),
    [
        ("1" * 5000, "a number of 5000 digits is too long to read); put the value in quotes",
         ("set_int_max_str_digits", "'!!' tag")),
        ("!!bool maybe", "('maybe' is not true or false); remove the '!!' tag", ("KeyError",)),
    ],
)  # fmt: skip
def test_a_value_yaml_cannot_build_is_told_in_plain_words(
    write_item: WriteItem, value: str, expected: str, not_expected: tuple[str, ...]
) -> None:
    path = write_item("a.md", LEAD.replace("kind: lead", f"kind: lead\ndraft: {value}"))
    (problem,) = load_items(path.parent).problems
    assert (problem.field, problem.line) == ("file", 3)
    assert expected in problem.message
    for wrong in not_expected:
        assert wrong not in problem.message
