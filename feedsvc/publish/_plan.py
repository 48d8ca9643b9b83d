"""Which feeds exist and which items each carries: the main feed, one per category, members'.

Like Pelican's feed settings, each kind can be switched off and has its own item limit. Items
are chosen by the index (newest first, equal moments by id), so a plan costs a few queries
whatever the size of the archive.
"""

from __future__ import annotations

from dataclasses import dataclass

from feedsvc.index import NO_WEEKS, ArchiveWeek, ArchiveWeeks, Chosen, Index
from feedsvc.model import FeedSettings
from feedsvc.publish._layout import MEMBERS_FOLDER, FeedKind, category_folder

__all__ = ["FeedPlan", "plan"]


@dataclass(frozen=True, slots=True)
class FeedPlan:
    kind: FeedKind
    folder: str  # below out/, from the layout: "", "members/", "categories/asie/"
    title: str
    subtitle: str
    chosen: tuple[Chosen, ...]
    # RFC 5005 archives, summed up; none when archives are off.
    history: ArchiveWeeks = NO_WEEKS
    slug: str | None = None  # the category's, for the index's week queries

    @property
    def archives(self) -> tuple[ArchiveWeek, ...]:
        """Its archives' weeks, oldest first: read from the index when first asked for."""
        return self.history.weeks

    @property
    def members(self) -> bool:
        """Whether this feed carries members-only text (and must be served behind a login)."""
        return self.kind == "members"


def plan(index: Index, settings: FeedSettings, now: int) -> list[FeedPlan]:
    """Every feed for the items live at `now` (UTC microseconds): main, categories, members."""
    weeks = index.archive_weeks(now) if settings.archives else {}
    plans = [
        FeedPlan(
            "main", "", settings.title, settings.description,
            tuple(index.newest(now, settings.limit)), weeks.get("", NO_WEEKS),
        )
    ]  # fmt: skip
    if settings.category_feeds:
        limit = settings.category_limit or settings.limit
        for slug, name in index.categories(now):
            if not slug:  # validation refuses such categories; never a folder named ""
                continue
            plans.append(
                FeedPlan(
                    "category", category_folder(slug),
                    f"{settings.title} : {name}",
                    f"{settings.description} Catégorie : {name}.",
                    tuple(index.newest(now, limit, slug)), weeks.get(slug, NO_WEEKS), slug,
                )
            )  # fmt: skip
    if settings.members_feed:
        plans.append(
            FeedPlan(
                "members", MEMBERS_FOLDER,
                f"{settings.title} (membres)",
                f"{settings.description} Texte intégral, réservé aux membres.",
                tuple(index.newest(now, settings.members_limit or settings.limit)),
                weeks.get("", NO_WEEKS),
            )
        )  # fmt: skip
    return plans
