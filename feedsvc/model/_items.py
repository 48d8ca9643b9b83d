"""What an item and the feed settings are: typed, frozen, and checked on the way in.

The models know nothing of files, YAML or XML: the items wing turns files into mappings, these
models decide whether a mapping is a valid item, and the writers read the models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from feedsvc.model import _markdown as markdown
from feedsvc.model import _plaintext as plaintext
from feedsvc.model._markdown import first_paragraph
from feedsvc.model._template import refuse_placeholder
from feedsvc.model._types import (
    Caption,
    Categories,
    Email,
    FeedsUrl,
    ImageType,
    Label,
    Language,
    Name,
    SiteUrl,
    Summary,
    Timestamp,
    Title,
    Uri,
    Url,
    body_text,
    fail,
)

# A summary derived from the body is cut shorter than an editor may write one: it stands in
# for a standfirst, and readers show a few lines at most.
DERIVED_SUMMARY_MAX = 300

# Who may read an item's text: the site's Publique and Membres labels. The one spelling of
# access everywhere; how feeds show it is the writers' marker.
Access = Literal["public", "members"]
FormatName = Literal["rss", "atom", "json"]


def _optional_in_schema(*names: str) -> Any:
    """Fields a before-validator fills in are required by the model but optional in the file."""

    def edit(schema: dict[str, Any]) -> None:
        required = [name for name in schema.get("required", []) if name not in names]
        if required:
            schema["required"] = required
        else:
            schema.pop("required", None)

    return edit


class _Model(BaseModel):
    # Validators are built on first use: a rebuild that parses no item never pays for them.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


def _person_from_text(value: Any) -> Any:
    # A byline is usually just a name: accept `- Jeanne Martin` as well as a mapping.
    return {"name": value} if isinstance(value, str) else value


class Person(_Model):
    """An author or publisher, as a byline."""

    name: Name
    email: Email | None = None
    url: Url | None = None


PersonEntry = Annotated[Person, BeforeValidator(_person_from_text)]


def _list_from_text(value: Any) -> Any:
    # One hub is usually given alone: accept `hub: https://…` as well as a list.
    return [value] if isinstance(value, str) else value


Hubs = Annotated[
    tuple[Url, ...],
    BeforeValidator(_list_from_text),
    Field(json_schema_extra={"uniqueItems": True}),
]


class Photo(_Model):
    """The item's picture and the caption the site prints under it."""

    url: Url
    caption: Caption
    credit: Name | None = None
    type: ImageType | None = Field(default=None, description="MIME type, e.g. image/jpeg")


class _Item(_Model):
    # First, so that the checks of the fields after it know whether the item is live.
    draft: bool = False
    id: Uri = Field(description="Stable id readers key read/unread on; defaults to the url")
    title: Title
    url: Url
    published: Timestamp
    updated: Timestamp | None = None
    categories: Categories
    photo: Photo | None = None
    access: Access = Field(
        default="public", description="public (the site's Publique) or members (Membres)"
    )

    @model_validator(mode="before")
    @classmethod
    def _id_defaults_to_url(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("id") is None and "url" in data:
            data = {**data, "id": data["url"]}
        return data

    @field_validator("updated")
    @classmethod
    def _updated_after_published(
        cls, updated: datetime | None, info: ValidationInfo
    ) -> datetime | None:
        published = info.data.get("published")  # absent when published itself was refused
        if updated is not None and published is not None and updated < published:
            raise fail(
                f"{updated.isoformat()} is before published ({published.isoformat()}); set "
                "updated to the last edit, or remove it"
            )
        return updated

    @field_validator("categories", "photo", "summary", "body", check_fields=False)
    @classmethod
    def _not_the_template(cls, value: Any, info: ValidationInfo) -> Any:
        # A draft may hold the template's text; a live item would publish it. When draft
        # itself was refused it is absent here, and its own message is enough.
        if info.data.get("draft", True) is False:
            assert info.field_name is not None
            refuse_placeholder(info.field_name, value, info.data.get("url"))
        return value

    @property
    def last_modified(self) -> datetime:
        return self.updated or self.published


class Lead(_Item):
    """The full article the front page opens with."""

    model_config = ConfigDict(json_schema_extra=_optional_in_schema("id", "summary"))

    kind: Literal["lead"]
    summary: Summary = Field(
        description="Optional: derived from the body's first paragraph when absent"
    )
    authors: tuple[PersonEntry, ...] = ()
    comments: Url | None = None
    body: Annotated[str, AfterValidator(body_text)] = Field(
        description="The Markdown below the front matter"
    )

    @model_validator(mode="before")
    @classmethod
    def _summary_from_body(cls, data: Any) -> Any:
        # Never for members-only leads: their first paragraph is members' text, and the
        # summary goes to the public feeds.
        if (
            isinstance(data, dict)
            and data.get("summary") is None
            and (data.get("access") != "members")
        ):
            body = data.get("body")
            if isinstance(body, str):
                derived = plaintext.shorten(
                    first_paragraph(plaintext.nfc(body)), DERIVED_SUMMARY_MAX
                )
                if derived:
                    data = {**data, "summary": derived}
        return data


class Teaser(_Item):
    """A headline pointing at a story: no body of its own."""

    model_config = ConfigDict(json_schema_extra=_optional_in_schema("id"))

    kind: Literal["teaser"]
    summary: Summary


Item = Annotated[Lead | Teaser, Field(discriminator="kind")]
ITEM = TypeAdapter[Lead | Teaser](Item, config=ConfigDict(defer_build=True))


def build_parsers() -> None:
    """Build now what reading items builds on first use: the item validator and the Markdown
    parsers. For a process that will fork workers to read items: each would build its own
    (30-70 ms), on the clock of the phase that waits for them."""
    ITEM.rebuild()
    markdown.build_now()


class FeedSettings(_Model):
    """The feed's own settings, from items/feed.yaml."""

    title: Title
    description: Summary
    site_url: SiteUrl = Field(description="The site's home page, ending with '/'")
    public_url: FeedsUrl = Field(description="Where out/ is served, ending with '/'")
    language: Language = "fr"
    publisher: PersonEntry
    rights: Name | None = None
    icon: Url | None = None
    logo: Url | None = None
    # Strict: YAML's true is a bool, and a lax int would read it as 1.
    limit: StrictInt = Field(default=50, ge=1, le=10_000, description="Items per feed")
    formats: tuple[FormatName, ...] = Field(
        default=("rss", "atom", "json"),
        description="Feed formats to write, each once",
        json_schema_extra={"minItems": 1, "uniqueItems": True},
    )
    category_feeds: bool = Field(default=True, description="A feed per category")
    members_feed: bool = Field(default=True, description="out/members/: full text for members")
    category_limit: StrictInt | None = Field(
        default=None, ge=1, le=10_000, description="Items per category feed (default: limit)"
    )
    members_limit: StrictInt | None = Field(
        default=None, ge=1, le=10_000, description="Items in the members' feed (default: limit)"
    )

    hub: Hubs = Field(
        default=(),
        description="WebSub hub address (or a list of them) announced in the public feeds",
    )
    ping: bool = Field(
        default=False, description="Notify the hubs of changed feeds after each build"
    )
    ping_timeout: float = Field(
        default=10, gt=0, le=120, description="Seconds to wait for a hub's answer"
    )

    # Off by default: a cold build renders every item of the history once per feed it is in.
    archives: bool = Field(
        default=False,
        description="Write RFC 5005 archives: every item, one document per ISO week (UTC)",
    )

    members_title_prefix: Label | None = Field(
        default=None,
        description="Put before the headline of a members-only item in the public feeds, "
        "for readers that show only headlines (default: from the site's own label)",
    )

    @field_validator("formats")
    @classmethod
    def _each_format_once(cls, formats: tuple[FormatName, ...]) -> tuple[FormatName, ...]:
        # Refused rather than de-duplicated: [rss, rss] is likelier a slip for another format
        # than a wish for one. Checked here, not with min_length, so that a misspelt format is
        # not also told the list is empty.
        if not formats:
            raise fail("lists no format; write e.g. [rss, atom, json]")
        for position, name in enumerate(formats):
            if name in formats[:position]:
                raise fail(f"lists {name!r} twice; write each format once, e.g. [rss, atom]")
        return formats

    @field_validator("hub")
    @classmethod
    def _each_hub_once(cls, hubs: tuple[str, ...]) -> tuple[str, ...]:
        for position, hub in enumerate(hubs):
            if hub in hubs[:position]:
                raise fail(f"lists {hub!r} twice; write each hub once")
        return hubs
