"""New item files: a valid starting point an editor fills in, kept out of feeds as a draft."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml

from feedsvc.model import slug, template, title_problem

Kind = Literal["lead", "teaser"]


def front_matter(kind: Kind, title: str, url: str, published: datetime) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "kind": kind,
        "title": title,
        "url": url,
        "published": published.replace(microsecond=0).isoformat(),
        "categories": [template.CATEGORY],
        "summary": template.SUMMARY,
        "photo": {
            "url": template.placeholder_photo_url(url),
            "caption": template.CAPTION,
        },
        "access": "public",
        "draft": True,  # stays out of every feed until the editor removes this line
    }
    if kind == "lead":
        fields["authors"] = ["La rédaction"]
    return fields


def render(kind: Kind, title: str, url: str, published: datetime) -> str:
    # The YAML emitter quotes what needs quoting: a title with ': ' or a leading '#' stays text.
    header = yaml.safe_dump(
        front_matter(kind, title, url, published),
        allow_unicode=True,
        sort_keys=False,
        width=100,
    )
    body = f"{template.BODY}\n" if kind == "lead" else ""
    return f"---\n{header}---\n{body}"


def create(items_dir: Path, kind: Kind, title: str, site_url: str, now: datetime) -> Path:
    """Write the new file and return its path; FileExistsError rather than overwrite, and
    ValueError for a title that `validate` would refuse."""
    problem = title_problem(title)
    if problem is not None:
        raise ValueError(f"the title {problem}")
    name = slug(title)
    if not name:
        raise ValueError(f"the title {title!r} has no letters or digits to name the file with")
    url = f"{site_url.rstrip('/')}/{now:%Y/%m/%d}/{name}"
    path = items_dir / f"{now:%Y-%m-%d}-{name}.md"
    with path.open("x", encoding="utf-8", newline="\n") as handle:
        handle.write(render(kind, title, url, now))
    return path
