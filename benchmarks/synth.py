"""A deterministic synthetic items folder, in the format editors write, for benchmarks.

    python benchmarks/synth.py DIR N [--seed S]

The files are written as text rather than through a YAML emitter so that 100,000 of them take
seconds. Every string that could need quoting goes through `json.dumps`: a JSON string is a
valid YAML double-quoted scalar, accents and apostrophes included.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

# Builds are given this moment, never the clock, so that what counts as scheduled (and hence
# every output byte) is the same on every run.
NOW = datetime(2030, 1, 1, tzinfo=UTC)
NOW_ARG = "2030-01-01T00:00:00+00:00"
SITE = "https://www.example.com/"
MARKER = ".synth.json"  # hidden, so feedsvc skips it like any editor's dotfile
# Raised whenever the generator's output changes, so that kept stores are made again.
FORMAT = 2

# Published moments cover the four years before NOW.
START = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_MINUTES = int((NOW - START).total_seconds()) // 60

LEAD_SHARE = 0.25
MEMBERS_SHARE = 0.10
PHOTO_SHARE = 0.85
DRAFT_SHARE = 0.01
SCHEDULED_SHARE = 0.002
UPDATED_SHARE = 0.10

CATEGORIES = (
    "Corée du Nord",
    "Corée du Sud",
    "Asie du Sud-Est",
    "Asie",
    "Économie",
    "Philippines",
    "Japon",
    "Chine",
    "Taïwan",
    "Viêt Nam",
    "Thaïlande",
    "Indonésie",
    "Malaisie",
    "Singapour",
    "Birmanie",
    "Cambodge",
    "Inde",
    "Pakistan",
    "Népal",
    "Bangladesh",
    "Mongolie",
    "Russie",
    "Diplomatie",
    "Politique",
    "Criminalité",
    "Technologie",
    "Santé",
    "Éducation",
    "Énergie",
    "Environnement",
    "Sécurité",
    "Défense",
    "Société",
    "Culture",
    "Sports",
    "Médias",
    "Élections",
    "Droits humains",
    "Climat",
    "Agriculture",
)

# Offsets as editors write them, "Z" included: the feeds must keep each one as written.
OFFSETS = ("+09:00", "+08:00", "+07:00", "+05:30", "+01:00", "+02:00", "Z", "-05:00")

AUTHORS = ("La rédaction", "Hélène Lefèvre", "Jérôme Nguyễn", "Chloé Park", "Benoît Saïd")
CREDITS = ("AFP", "Reuters", "AP", "Yonhap", "Kyodo", "La rédaction")

_WORD_LIST = """
    le la les un une des du de au aux et ou mais donc car avec sans pour contre selon
    après avant pendant depuis malgré entre chez sous sur vers dans
    président ministre gouvernement assemblée député sénateur armée frontière région
    capitale province ville village quartier marché entreprise usine société syndicat
    opposition majorité coalition élection scrutin campagne réforme budget impôt dette
    croissance inflation exportation importation récolte pêcheurs ouvriers étudiants
    médecins hôpital école université tribunal procès enquête témoin victime accusé
    police douane garde-côtes navire port aéroport réseau téléphone plateforme données
    sécurité défense diplomatie ambassade délégation sommet accord traité négociation
    sanction embargo pétrole charbon électricité barrage réservoir forêt rivière côte
    île montagne typhon séisme inondation sécheresse canicule mousson récolte riz thé
    café caoutchouc textile électronique semi-conducteurs batterie véhicule autoroute
    chemin de fer métro pont chantier logement loyer salaire retraite grève manifestation
    annoncé déclaré affirmé démenti confirmé révélé proposé adopté rejeté suspendu reporté
    signé ratifié condamné acquitté arrêté libéré élu nommé limogé démissionné accueilli
    critiqué salué dénoncé réclamé promis prévu lancé inauguré fermé ouvert relancé
    nouveau nouvelle ancien ancienne premier première dernier dernière grand grande petit
    petite important importante national nationale régional régionale international
    internationale économique politique militaire judiciaire financier financière
    sévère inattendu inattendue controversé controversée historique récent récente
    très plus moins déjà encore toujours jamais souvent hier aujourd'hui demain
    mercredi jeudi vendredi samedi dimanche lundi mardi janvier février mars avril
    mai juin juillet août septembre octobre novembre décembre semaine mois année
    l'État l'économie l'armée l'accord l'enquête l'opposition l'élection l'île
    d'après qu'il qu'elle c'est n'a s'est pays peuple habitants réfugiés familles
"""
WORDS = tuple(_WORD_LIST.split())

PARAGRAPH = "\n\n"

# Generated files get this fixed, past modification time (November 2023), as an archive's would
# have. Fresh ones would sit inside the window in which mtime-based caches distrust what they
# see (a write in the same tick leaves mtime and size unchanged), so the first build after
# generation would reread them all and measure the generator rather than the cache.
ARCHIVE_MTIME_NS = 1_700_000_000 * 10**9


@dataclass(frozen=True, slots=True)
class Generated:
    files: int
    bytes: int

    @property
    def average(self) -> float:
        return self.bytes / self.files if self.files else 0.0


class Writer:
    """French-looking text from a seeded generator, drawn from a pool for speed."""

    def __init__(self, rng: random.Random, pool_size: int = 4000) -> None:
        self.rng = rng
        self.pool = [self._sentence() for _ in range(pool_size)]

    def _words(self, low: int, high: int) -> list[str]:
        return self.rng.choices(WORDS, k=self.rng.randint(low, high))

    def _sentence(self) -> str:
        words = self._words(8, 22)
        if len(words) > 10 and self.rng.random() < 0.4:
            words[self.rng.randint(3, len(words) - 4)] += ","
        if self.rng.random() < 0.1:
            start = self.rng.randint(1, len(words) - 3)
            words[start] = "« " + words[start]
            words[start + 2] += " »"
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def sentence(self) -> str:
        return self.rng.choice(self.pool)

    def title(self) -> str:
        text = " ".join(self._words(6, 14))
        return _cut(text[0].upper() + text[1:], 180, "")

    def prose(self, low: int, high: int) -> str:
        """Whole sentences, between `low` and `high` characters."""
        target = self.rng.randint(low, high)
        parts: list[str] = []
        size = 0
        while size < target:
            sentence = self.sentence()
            parts.append(sentence)
            size += len(sentence) + 1
        return _cut(" ".join(parts), high, "…")

    def body(self, low: int, high: int) -> str:
        target = self.rng.randint(low, high)
        blocks: list[str] = []
        size = 0
        while size < target:
            roll = self.rng.random()
            if blocks and roll < 0.1:
                block = "## " + self.title()
            elif blocks and roll < 0.15:
                block = "\n".join("- " + self.sentence() for _ in range(self.rng.randint(2, 4)))
            else:
                sentences = [self.sentence() for _ in range(self.rng.randint(3, 6))]
                if roll > 0.9:
                    sentences[0] = f"**{sentences[0]}**"
                elif roll > 0.8:
                    link = f"{SITE}archives/{self.rng.randrange(10**6)}"
                    sentences[-1] = f"[{sentences[-1].rstrip('.')}]({link})."
                block = " ".join(sentences)
            blocks.append(block)
            size += len(block) + 2
        return PARAGRAPH.join(blocks)


def _cut(text: str, limit: int, ellipsis: str) -> str:
    if len(text) <= limit:
        return text
    return text[: text.rfind(" ", 0, limit - len(ellipsis))] + ellipsis


def _slug(text: str, words: int = 6) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    kept = ["".join(ch for ch in word if ch.isalnum()) for word in folded.split()]
    return "-".join(word for word in kept if word)[:60].strip("-") or "article"


def offset(label: str) -> timezone:
    if label == "Z":
        return UTC
    sign = -1 if label[0] == "-" else 1
    hours, minutes = label[1:].split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def _stamp(moment: datetime, label: str) -> str:
    """`moment` written in the offset `label`, as the place of publication would."""
    text = moment.astimezone(offset(label)).isoformat()
    return text.replace("+00:00", "Z") if label == "Z" else text


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _item_text(
    writer: Writer, kind: str, name: str, published: datetime, *, scheduled: bool = False
) -> tuple[str, str]:
    """One item file's relative path and text."""
    rng = writer.rng
    label = rng.choice(OFFSETS)
    local = published.astimezone(offset(label))
    title = writer.title()
    stem = f"{_slug(title)}-{name}"
    url = f"{SITE}{local:%Y/%m/%d}/{stem}"
    categories = rng.sample(CATEGORIES, rng.randint(1, 4))
    lines = [
        "---",
        f"kind: {kind}",
        f"title: {_q(title)}",
        f"url: {url}",
        f"published: {_stamp(published, label)}",
    ]
    if not scheduled and rng.random() < UPDATED_SHARE:
        updated = min(published + timedelta(minutes=rng.randint(5, 2880)), NOW)
        lines.append(f"updated: {_stamp(updated, label)}")
    lines.append("categories: [" + ", ".join(_q(category) for category in categories) + "]")
    members = rng.random() < MEMBERS_SHARE
    if kind == "teaser":
        lines.append(f"summary: {_q(writer.prose(300, 600))}")
    elif members or rng.random() < 0.5:  # a members-only lead must write its own summary
        lines.append(f"summary: {_q(writer.prose(150, 300))}")
    if rng.random() < PHOTO_SHARE:
        lines += [
            "photo:",
            f"  url: {SITE}images/{local:%Y/%m/%d}/{stem}.jpg",
            "  type: image/jpeg",
            f"  caption: {_q(writer.prose(60, 250))}",
        ]
        if rng.random() < 0.5:
            lines.append(f"  credit: {_q(rng.choice(CREDITS))}")
    if kind == "lead":
        authors = rng.sample(AUTHORS, rng.randint(1, 2))
        lines.append("authors: [" + ", ".join(_q(name) for name in authors) + "]")
        lines.append(f"comments: {url}#commentaires")
    if members:
        lines.append("access: members")
    if rng.random() < DRAFT_SHARE:
        lines.append("draft: true")
    lines.append("---")
    if kind == "lead":
        lines.append(writer.body(3500, 4500))
    path = f"{local:%Y/%m}/{local:%Y-%m-%d}-{stem}.md"
    return path, "\n".join(lines) + "\n"


FEED_YAML = """\
# Synthetic settings in the shape of the bundled items/feed.yaml.
title: Actualités Asie (synthétique)
description: >-
  L'article à la une et les dernières brèves de la rédaction : Corée du Nord, Asie du
  Sud-Est, Philippines.
site_url: https://www.example.com/
public_url: https://www.example.com/feeds/
language: fr
publisher:
  name: La rédaction
  email: redaction@example.com
  url: https://www.example.com/
rights: © 2024 La rédaction. Tous droits réservés.
icon: https://www.example.com/favicon.png
logo: https://www.example.com/logo.png
limit: 50
"""


def _write(
    folder: Path, relative: str, text: str, made: set[str], mtime_ns: int | None = None
) -> int:
    parent, _, _ = relative.rpartition("/")
    if parent not in made:
        (folder / parent).mkdir(parents=True, exist_ok=True)
        made.add(parent)
    data = text.encode("utf-8")
    with open(folder / relative, "xb") as file:  # "x": a name clash must not hide an item
        file.write(data)
        if mtime_ns is not None:
            file.flush()
            os.utime(file.fileno(), ns=(mtime_ns, mtime_ns))
    return len(data)


def generate_counted(folder: Path, n: int, seed: int = 0) -> Generated:
    """`generate`, also saying how many item bytes were written."""
    rng = random.Random(seed)
    writer = Writer(rng)
    folder.mkdir(parents=True, exist_ok=True)
    settings = folder / "feed.yaml"
    settings.write_text(FEED_YAML, encoding="utf-8")
    os.utime(settings, ns=(ARCHIVE_MTIME_NS, ARCHIVE_MTIME_NS))
    made: set[str] = set()
    total = 0
    for index in range(n):
        scheduled = rng.random() < SCHEDULED_SHARE
        if scheduled:
            published = NOW + timedelta(minutes=rng.randint(60, 180 * 24 * 60))
        else:
            published = START + timedelta(minutes=rng.randrange(SPAN_MINUTES))
        kind = "lead" if rng.random() < LEAD_SHARE else "teaser"
        relative, text = _item_text(writer, kind, f"{index:06d}", published, scheduled=scheduled)
        total += _write(folder, relative, text, made, ARCHIVE_MTIME_NS)
    (folder / MARKER).write_text(json.dumps(_marker(n, seed)) + "\n", encoding="utf-8")
    return Generated(n, total)


def generate(folder: Path, n: int, seed: int = 0) -> None:
    """Write `feed.yaml` and `n` valid item files into `folder`, the same ones for a seed."""
    generate_counted(folder, n, seed)


def flatten(nested: Path, flat: Path) -> None:
    """The items of a generated `nested` store, copied into the one folder `flat`.

    Many sites keep every item in one folder (Jekyll's `_posts/`, many Hugo sites' `content/`)
    rather than in year/month subfolders, and a scan or an index can be quick in one layout and
    slow in the other. Names stay unique: each ends with the item's number. Modification times
    are kept, so the flat store is the same archive as far as any cache can tell.
    """
    marker = json.loads((nested / MARKER).read_text(encoding="utf-8"))
    flat.mkdir(parents=True, exist_ok=True)
    shutil.copy2(nested / "feed.yaml", flat / "feed.yaml")
    copied = 0
    for entry in walk(nested):
        with open(entry.path, "rb") as source, open(flat / entry.name, "xb") as target:
            shutil.copyfileobj(source, target)
        shutil.copystat(entry.path, flat / entry.name)
        copied += 1
    if copied != marker["n"]:
        raise RuntimeError(f"{nested} holds {copied} items, its marker says {marker['n']}")
    (flat / MARKER).write_text(json.dumps(marker | {"layout": "flat"}) + "\n", encoding="utf-8")


def _marker(n: int, seed: int, flat: bool = False) -> dict[str, int | str]:
    marker: dict[str, int | str] = {"format": FORMAT, "n": n, "seed": seed}
    return marker | {"layout": "flat"} if flat else marker


def is_complete(folder: Path, n: int, seed: int = 0, *, flat: bool = False) -> bool:
    """Whether `folder` holds a finished `generate(folder, n, seed)`, or its `flatten`."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(marker == _marker(n, seed, flat))


def walk(folder: Path | str) -> Iterator[os.DirEntry[str]]:
    """Every item file below `folder`, skipping hidden names as feedsvc does."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                yield from walk(entry.path)
            elif entry.name.endswith(".md"):
                yield entry


def item_files(folder: Path) -> list[Path]:
    return sorted(Path(entry.path) for entry in walk(folder))


def average_size(folder: Path) -> float:
    sizes = [entry.stat().st_size for entry in walk(folder)]
    return sum(sizes) / len(sizes) if sizes else 0.0


def pick_item(folder: Path, seed: int) -> Path:
    """The file `edit_one` and `delete_one` would change for this seed, left untouched."""
    return random.Random(seed).choice(item_files(folder))


def edit_one(folder: Path, seed: int) -> Path:
    """Give one existing item a new title; returns its path."""
    path = pick_item(folder, seed)
    writer = Writer(random.Random(seed), pool_size=1)
    title = _q(f"{writer.title()} (mise à jour {seed})")
    lines = path.read_text(encoding="utf-8").split("\n")
    # The title is always written on a single line by `_item_text` and by this function.
    index = next(i for i, line in enumerate(lines) if line.startswith("title: "))
    lines[index] = f"title: {title}"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def add_one(folder: Path, seed: int) -> Path:
    """Write one new public teaser, newer than every generated item; returns its path.

    It is dated just before NOW so that it lands at the top of the feeds, as news does, and
    the build has feeds to rewrite rather than only an archive entry to absorb.
    """
    writer = Writer(random.Random(seed), pool_size=50)
    published = NOW - timedelta(minutes=1 + seed % 1000)
    relative, text = _item_text(writer, "teaser", f"ajout-{seed:06d}", published)
    text = text.replace("access: members\n", "").replace("draft: true\n", "")
    _write(folder, relative, text, set())
    return folder / relative


def delete_one(folder: Path, seed: int) -> Path:
    """Remove one item file; returns the path it had."""
    path = pick_item(folder, seed)
    path.unlink()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    done = generate_counted(args.folder, args.n, args.seed)
    print(f"{done.files} items in {args.folder}, average {done.average / 1024:.2f} KiB per file")


if __name__ == "__main__":
    main()
