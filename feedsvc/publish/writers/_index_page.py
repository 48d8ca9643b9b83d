"""out/index.html: the page a person sees when opening where the feeds are served.

One static page, in the feed's language, with no outside resource: a row per feed with its
formats, item count and addresses (wrapping at '/', whole at any width), the latest items, and
autodiscovery links so browsers and readers find the feeds from the page. A few lines of
script add a copy button to each address; without it the address is a plain link, copied as
any link is. Built with lxml's HTML builder, which escapes text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from lxml import html
from lxml.html import builder as E

from feedsvc.publish.writers._document import ArchiveList, EntryDoc, FeedDoc, FeedFile
from feedsvc.publish.writers._marker import Marker

__all__ = ["render"]

STYLE = """
body{font-family:system-ui,sans-serif;line-height:1.5;margin:0 auto;max-width:50rem;
padding:1rem;color:#1a1a1a;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
.feeds,.formats{list-style:none;margin:0;padding:0}
.feed{padding:.5rem 0;border-bottom:1px solid #eee}.feed h3{margin:0;font-size:1rem}
.count{color:#555;font-weight:normal;font-size:.9rem}
.formats li{display:flex;flex-wrap:wrap;align-items:baseline;gap:.1rem .5rem;margin:.15rem 0}
.fmt{flex:0 0 6.5rem;font-size:.85rem;color:#555}
.addr{flex:1 1 12rem;min-width:0;font-size:.9rem}
.copy{font:inherit;font-size:.8rem;padding:0 .5rem}
.categories{margin-top:.6rem}.categories summary{cursor:pointer;font-weight:600}
article{margin:1.2rem 0}article h3{margin:0;font-size:1.1rem}
.meta{color:#555;font-size:.9rem;margin:.2rem 0}.caption{color:#555;font-style:italic}
.badge{display:inline-block;background:#8a1c1c;color:#fff;border-radius:.3rem;
padding:0 .4rem;font-size:.8rem;margin-left:.4rem}
"""
# Shows the copy buttons and makes them copy; the page reads the same without it. In the
# head, so that the body holds only the page's content.
SCRIPT = """
document.addEventListener("DOMContentLoaded",()=>{
for(const b of document.querySelectorAll("button.copy")){b.hidden=false;
b.addEventListener("click",()=>{navigator.clipboard.writeText(b.dataset.url).then(
()=>{b.textContent="Copié"},()=>{getSelection().selectAllChildren(b.previousSibling)})})}})
"""


def _when(moment: datetime) -> str:
    # Numeric fields only: month and day names would follow the build machine's locale.
    offset = moment.strftime("%z")
    return f"{moment:%d/%m/%Y %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def _feed_name(file: FeedFile) -> str:
    if file.kind == "main":
        return "Tous les articles"
    if file.kind == "members":
        return "Texte intégral (membres, accès protégé)"
    return file.title.split(" : ", 1)[-1]


def _address(url: str) -> list[Any]:
    """The address as text that may wrap after each '/', and only there."""
    parts = url.split("/")
    pieces: list[Any] = []
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        pieces.append(part if last else part + "/")
        if not last and parts[position + 1]:  # never inside '//'
            pieces.append(E.E.wbr())
    return pieces


def _format_row(file: FeedFile) -> Any:
    return E.LI(
        E.SPAN(file.label, E.CLASS("fmt")),
        E.A(*_address(file.url), href=file.href, type=file.media_type, **{"class": "addr"}),
        E.BUTTON(
            "Copier", E.CLASS("copy"), type="button", hidden="hidden",
            **{"data-url": file.url, "aria-label": f"Copier l'adresse {file.label}"},
        ),
    )  # fmt: skip


def _feed_rows(files: Sequence[FeedFile]) -> list[Any]:
    """One row per feed, its formats in it."""
    feeds: dict[str, list[FeedFile]] = {}
    for file in files:
        feeds.setdefault(file.folder, []).append(file)
    rows = []
    for formats in feeds.values():
        first = formats[0]
        count = f"{first.items} article" + ("" if first.items == 1 else "s")
        rows.append(
            E.LI(
                E.H3(_feed_name(first), " ", E.SPAN(f"· {count}", E.CLASS("count"))),
                E.UL(*[_format_row(file) for file in formats], E.CLASS("formats")),
                E.CLASS("feed"),
            )
        )
    return rows


def _by_category(files: Sequence[FeedFile]) -> list[Any]:
    """The category feeds, folded: opened by who wants them, the latest items stay in view."""
    if not files:
        return []
    count = len({file.folder for file in files})
    return [
        E.E.details(
            E.E.summary(f"Par catégorie ({count} flux)"),
            E.UL(*_feed_rows(files), E.CLASS("feeds")),
            E.CLASS("categories"),
        )
    ]


def _archives(archives: Sequence[ArchiveList]) -> list[Any]:
    """Compact: every week of the main feed; of a category, its span and newest week, from
    which its chain of prev-archive links leads to the rest."""
    if not archives:
        return []
    lines: list[Any] = []
    for listed in archives:
        newest = listed.weeks[-1]
        if listed.kind == "main":
            links: list[Any] = []
            for week, href, items in reversed(listed.weeks):
                if links:
                    links.append(" · ")
                links.append(E.A(week, href=href, title=f"{items} articles"))
            lines.append(E.P(E.STRONG("Tous les articles : "), *links))
        else:
            name = listed.title.split(" : ", 1)[-1]
            span = f"{len(listed.weeks)} semaines, de {listed.weeks[0][0]} à "
            lines.append(E.LI(f"{name} : {span}", E.A(newest[0], href=newest[1])))
    main = [line for line in lines if line.tag == "p"]
    others = [line for line in lines if line.tag == "li"]
    return [
        E.E.section(
            E.H2("Archives"),
            E.P(
                "Chaque flux garde tous ses articles : un document Atom par semaine (RFC 5005), "
                "relié au précédent et au suivant. Les lecteurs qui le savent remontent "
                "l'historique depuis le flux lui-même."
            ),
            *main,
            *([E.UL(*others)] if others else []),
            id="archives",
        )
    ]


def _article(entry: EntryDoc, marker: Marker) -> Any:
    meta: list[Any] = [E.TIME(_when(entry.published), datetime=entry.published.isoformat())]
    if marker.marks(entry.access):
        meta.append(E.SPAN(marker.label, E.CLASS("badge")))
    parts: list[Any] = [
        E.H3(E.A(entry.title, href=entry.url)),
        E.P(*meta, E.CLASS("meta")),
        E.P(entry.summary),
    ]
    if entry.photo is not None:
        parts.append(E.P(f"Photo : {entry.photo.caption}", E.CLASS("caption")))
    return E.E.article(*parts)


def _head(title: str, files: Sequence[FeedFile]) -> Any:
    discovery = [
        E.LINK(rel="alternate", type=file.media_type, href=file.href, title=file.label)
        for file in files
        if file.kind == "main"
    ]
    return E.HEAD(
        E.META(charset="utf-8"),
        E.META(name="viewport", content="width=device-width, initial-scale=1"),
        E.TITLE(f"{title} : les flux"),
        *discovery,
        E.STYLE(STYLE),
        E.SCRIPT(SCRIPT),
    )


def _subscribe(files: Sequence[FeedFile]) -> Any:
    return E.E.section(
        E.H2("S'abonner"),
        E.P(
            "Un lecteur de flux (Feedly, Inoreader, NetNewsWire…) vous présente "
            "chaque nouvel article : copiez-y l'adresse d'un flux. Dans le doute, "
            "prenez RSS, que tous les lecteurs lisent ; Atom et JSON Feed disent "
            "la même chose."
        ),
        E.UL(*_feed_rows([f for f in files if f.kind != "category"]), E.CLASS("feeds")),
        *_by_category([f for f in files if f.kind == "category"]),
        id="flux",
    )


def _members_note(marker: Marker) -> Any:
    return E.E.section(
        E.H2(marker.label),
        E.P(
            "Les articles réservés aux membres figurent dans les flux publics avec "
            "leur titre, leur résumé, leur photo et leur lien, jamais leur texte. "
            f"Leur titre y commence par « {marker.title_prefix} » ; ils portent la "
            f"catégorie « {marker.term} » et l'élément "
            "dcterms:accessRights « "
            f"{marker.access_rights('members')} » : votre lecteur peut les filtrer."
        ),
        id=marker.anchor(),
    )


def render(main: FeedDoc, files: Sequence[FeedFile], archives: Sequence[ArchiveList] = ()) -> bytes:
    settings = main.settings
    page = E.HTML(
        _head(settings.title, files),
        E.BODY(
            E.E.header(
                E.H1(settings.title),
                E.P(settings.description),
                E.P(E.A("Le site", href=settings.site_url)),
            ),
            E.E.main(
                _subscribe(files),
                *_archives(archives),
                E.E.section(
                    E.H2("Derniers articles"),
                    *[_article(entry, main.marker) for entry in main.entries],
                    id="derniers",
                ),
                _members_note(main.marker),
            ),
        ),
        lang=settings.language,
    )
    written = bytes(html.tostring(page, doctype="<!DOCTYPE html>", encoding="utf-8"))
    # libxml2 knows HTML 4's void elements, not <wbr>: it would close it, which HTML forbids.
    return written.replace(b"<wbr></wbr>", b"<wbr>") + b"\n"
