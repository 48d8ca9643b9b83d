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


# Every setting, each with what it does; the optional ones commented out at their default.
SETTINGS = """\
# The feed's settings (feedsvc schema settings prints their JSON Schema).
# Replace the example.com addresses with the site's own before publishing.

# The feed's name and what it holds, as readers show them.
title: Mon site
description: Les derniers articles de la rédaction.
# The site's home page, ending with '/': category and marker addresses are built under it.
site_url: https://www.example.com/
# Where out/public/ is served, ending with '/': the feeds' self links are built under it.
public_url: https://www.example.com/feeds/
# Who publishes: a name, or a name with an e-mail address and a web address:
#   publisher: {name: La rédaction, email: redaction@example.com, url: https://www.example.com/}
publisher: La rédaction

# Optional settings, at their default; remove the '#' before a setting to change it.
# The items' language, as a BCP 47 tag.
# language: fr
# A copyright line.
# rights: © La rédaction
# The site's small and large images.
# icon: https://www.example.com/favicon.png
# logo: https://www.example.com/logo.png
# Items per feed (1 to 10000), per category feed, and in the members' feed.
# limit: 50
# category_limit: 50
# members_limit: 50
# Which feed formats to write.
# formats: [rss, atom, json]
# A feed per category; the members' full-text feed in out/members/.
# category_feeds: true
# members_feed: true
# Put before a members-only headline in the public feeds.
# members_title_prefix: "Membres ·"
# WebSub: hubs announced in the public feeds, and told of every public feed a build changes.
# hub: https://pubsubhubbub.appspot.com/
# ping: false
# ping_timeout: 10
# Keep every item reachable: a document per feed and ISO week, in UTC (RFC 5005).
# archives: false
"""

GITIGNORE = """\
# feedsvc's index of parsed items: only a cache, rebuilt when missing.
.cache/
"""

EXAMPLES: tuple[tuple[Kind, str], ...] = (
    ("lead", "Exemple d'article à la une"),
    ("teaser", "Exemple de brève"),
)


class InsideItemsFolder(FileExistsError):
    """`folder` is itself a site's items folder: a new site there would nest items/items/."""


def init_site(folder: Path, now: datetime) -> list[Path]:
    """A new site in `folder`: settings, an example lead and teaser as drafts, a .gitignore.
    FileExistsError, before anything is written, when any of them is there already."""
    if (folder / "feed.yaml").exists():
        raise InsideItemsFolder(17, "is an items folder", str(folder))
    items_dir = folder / "items"
    site_url = "https://www.example.com/"
    examples = {
        items_dir / f"exemple-{kind}.md": render(
            kind, title, f"{site_url}{now:%Y/%m/%d}/{slug(title)}", now
        )
        for kind, title in EXAMPLES
    }
    files = {items_dir / "feed.yaml": SETTINGS, **examples}
    gitignore = folder / ".gitignore"
    for path in files:
        if path.exists() or path.is_symlink():
            raise FileExistsError(17, "exists", str(path))
    items_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path, text in files.items():
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        written.append(path)
    if not gitignore.exists():  # an existing one is the site's own: leave it as it is
        gitignore.write_text(GITIGNORE, encoding="utf-8", newline="\n")
        written.append(gitignore)
    return written
