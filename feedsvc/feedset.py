"""Which feeds exist: the main feed, one per category, and the members' feed.

Like Pelican's feed settings, each kind can be switched off and has its own item limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from feedsvc.documents import EntryDoc, FeedDoc, members_entry, public_entry
from feedsvc.models import FeedSettings, Lead, Teaser
from feedsvc.slugs import slug

Item = Lead | Teaser
MEMBERS_PATH = "members/"
CATEGORIES_PATH = "categories/"


def live(items: Iterable[Item], now: datetime) -> list[Item]:
    return [item for item in items if item.is_live(now)]


def newest_first(items: Iterable[Item], limit: int) -> list[Item]:
    """Newest published first; equal moments ordered by id, so the order never wobbles."""
    ordered = sorted(items, key=lambda item: item.id)
    ordered.sort(key=lambda item: item.published, reverse=True)
    return ordered[:limit]


def _doc(
    settings: FeedSettings,
    items: Iterable[Item],
    limit: int,
    entry: Callable[[Item, FeedSettings], EntryDoc],
    *,
    title: str,
    subtitle: str,
    path: str,
    kind: str,
) -> FeedDoc:
    entries = tuple(entry(item, settings) for item in newest_first(items, limit))
    return FeedDoc(settings, title, subtitle, path, entries, kind)


def categories(items: Iterable[Item]) -> dict[str, tuple[str, list[Item]]]:
    """slug -> (category as first spelt, its items), for every category in use."""
    found: dict[str, tuple[str, list[Item]]] = {}
    for item in items:
        for category in item.categories:
            found.setdefault(slug(category), (category, []))[1].append(item)
    return dict(sorted(found.items()))


def plan(items: Sequence[Item], settings: FeedSettings) -> list[FeedDoc]:
    """Every feed document for the published `items`: main first, then categories, members."""
    docs = [
        _doc(
            settings, items, settings.limit, public_entry,
            title=settings.title, subtitle=settings.description, path="", kind="main",
        )
    ]  # fmt: skip
    if settings.category_feeds:
        limit = settings.category_limit or settings.limit
        for name, (category, members) in categories(items).items():
            if not name:  # validation refuses such categories; never a folder named ""
                continue
            docs.append(
                _doc(
                    settings, members, limit, public_entry,
                    title=f"{settings.title} : {category}",
                    subtitle=f"{settings.description} Catégorie : {category}.",
                    path=f"{CATEGORIES_PATH}{name}/", kind="category",
                )
            )  # fmt: skip
    if settings.members_feed:
        docs.append(
            _doc(
                settings, items, settings.members_limit or settings.limit, members_entry,
                title=f"{settings.title} (membres)",
                subtitle=f"{settings.description} Texte intégral, réservé aux membres.",
                path=MEMBERS_PATH, kind="members",
            )
        )  # fmt: skip
    return docs
