"""The items folder: finds the files, reads each into a model, and collects every problem.

Nothing stops at the first bad file: an editor fixing a batch wants the whole list at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from feedsvc import frontmatter
from feedsvc.models import ITEM, FeedSettings, Lead, Teaser
from feedsvc.problems import Problem, from_validation, known_fields
from feedsvc.slugs import slug

SETTINGS_FILE = "feed.yaml"
ITEM_SUFFIX = ".md"


@dataclass(frozen=True, slots=True)
class Entry:
    """A valid item and the file it came from."""

    path: Path
    item: Lead | Teaser
    id_line: int
    url_line: int
    categories_line: int


@dataclass(slots=True)
class Store:
    settings: FeedSettings | None = None
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.settings is not None and not self.problems


def item_paths(items_dir: Path) -> Iterator[Path]:
    """Item files below `items_dir`, in a stable order; hidden files and folders skipped."""
    for path in sorted(items_dir.rglob(f"*{ITEM_SUFFIX}")):
        relative = path.relative_to(items_dir)
        if any(part.startswith(".") for part in relative.parts):
            continue  # editors' swap files and VCS folders are not content
        if path.is_file():
            yield path


def _read(path: Path) -> bytes | Problem:
    try:
        return path.read_bytes()
    except OSError as error:
        return Problem(path, 1, "file", f"cannot be read ({error.strerror or error})")


def load_settings(items_dir: Path) -> FeedSettings | list[Problem]:
    path = items_dir / SETTINGS_FILE
    if not path.is_file():
        return [
            Problem(
                path,
                1,
                "file",
                "the feed settings file is missing; create it with title, description, "
                "site_url, public_url and publisher (see `feedsvc schema settings`)",
            )
        ]
    raw = _read(path)
    if isinstance(raw, Problem):
        return [raw]
    try:
        source = frontmatter.decode(raw)
        data = frontmatter.parse_yaml(source)
    except frontmatter.FrontMatterError as error:
        return [Problem(path, error.line, "file", error.message)]
    if not isinstance(data, dict):
        return [Problem(path, 1, "file", "must hold fields ('name: value'), one per line")]
    try:
        return FeedSettings.model_validate(data)
    except ValidationError as error:
        return from_validation(
            path,
            error,
            lambda loc: 1 + frontmatter.locate(source, loc),
            lambda loc: known_fields(FeedSettings, loc),
        )


def load_item(path: Path) -> Entry | list[Problem]:
    raw = _read(path)
    if isinstance(raw, Problem):
        return [raw]
    try:
        doc = frontmatter.split(raw)
    except frontmatter.FrontMatterError as error:
        return [Problem(path, error.line, "file", error.message)]
    if "body" in doc.data:
        line = doc.line_of(["body"])
        return [Problem(path, line, "body", "the body goes below the closing '---', not in it")]
    data: dict[str, Any] = dict(doc.data)
    if doc.body.strip():
        data["body"] = doc.body
    elif data.get("kind") == "lead":
        data["body"] = ""

    def line_of(loc: list[str | int]) -> int:
        return doc.body_line if loc[:1] == ["body"] else doc.line_of(loc)

    try:
        item = ITEM.validate_python(data)
    except ValidationError as error:
        model = Lead if data.get("kind") == "lead" else Teaser
        problems = from_validation(path, error, line_of, lambda loc: known_fields(model, loc))
        if "id" not in doc.data:  # the id was copied from the url: report the url alone
            problems = [problem for problem in problems if problem.field != "id"]
        return problems
    id_line = doc.line_of(["id"]) if "id" in doc.data else doc.line_of(["url"])
    return Entry(path, item, id_line, doc.line_of(["url"]), doc.line_of(["categories"]))


def _duplicates(entries: list[Entry]) -> list[Problem]:
    problems = []
    seen_ids: dict[str, Entry] = {}
    seen_urls: dict[str, Entry] = {}
    for entry in entries:
        first_url = seen_urls.setdefault(entry.item.url, entry)
        if first_url is not entry:
            problems.append(
                Problem(
                    entry.path,
                    entry.url_line,
                    "url",
                    f"{entry.item.url!r} is also the url of {first_url.path}:{first_url.url_line}; "
                    "each item links to its own story",
                )
            )
        first_id = seen_ids.setdefault(entry.item.id, entry)
        same_as_url = entry.item.id == entry.item.url and first_id.item.id == first_id.item.url
        if first_id is not entry and not (same_as_url and first_url is not entry):
            problems.append(
                Problem(
                    entry.path,
                    entry.id_line,
                    "id",
                    f"{entry.item.id!r} is also the id of {first_id.path}:{first_id.id_line}; "
                    "give each item its own id (readers would merge the two)",
                )
            )
    return problems


def _category_slugs(entries: list[Entry]) -> list[Problem]:
    """Each category names a feed folder: two spellings must not fight over one folder."""
    problems = []
    seen: dict[str, tuple[str, Entry]] = {}
    for entry in entries:
        for category in entry.item.categories:
            name = slug(category)
            where = (entry.path, entry.categories_line, "categories")
            if not name:
                problems.append(
                    Problem(
                        *where,
                        f"{category!r} has no letters or digits to name its feed folder; reword it",
                    )
                )
                continue
            first_name, first = seen.setdefault(name, (category, entry))
            if first_name != category:
                problems.append(
                    Problem(
                        *where,
                        f"{category!r} and {first_name!r} ({first.path}:{first.categories_line}) "
                        f"would share the feed folder categories/{name}/; spell them the same",
                    )
                )
    return problems


def load(items_dir: Path) -> Store:
    """Read the settings and every item of `items_dir`; problems are collected, not raised."""
    store = Store()
    settings = load_settings(items_dir)
    if isinstance(settings, FeedSettings):
        store.settings = settings
    else:
        store.problems.extend(settings)
    paths = list(item_paths(items_dir))
    if not paths:
        store.problems.append(
            Problem(
                items_dir,
                1,
                "folder",
                f'holds no item files (*{ITEM_SUFFIX}); add one with `feedsvc new lead "Titre"`',
            )
        )
    for path in paths:
        loaded = load_item(path)
        if isinstance(loaded, Entry):
            store.entries.append(loaded)
        else:
            store.problems.extend(loaded)
    store.problems.extend(_duplicates(store.entries))
    store.problems.extend(_category_slugs(store.entries))
    store.problems.sort()
    return store
