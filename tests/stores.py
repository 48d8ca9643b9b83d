"""Generated stores of items and build commands, for the tests that run real processes."""

from __future__ import annotations

import json
import os
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

from feeds import NOW
from helpers import SETTINGS
from lxml import etree

from feedsvc.publish._layout import TEMP_PREFIX, TEMP_SUFFIX

__all__ = ["ARCHIVE_NS", "command", "generate", "is_temp", "malformed"]

CATEGORIES = (
    "Corée du Nord", "Corée du Sud", "Japon", "Chine", "Taïwan", "Viêt Nam", "Thaïlande",
    "Indonésie", "Malaisie", "Singapour", "Birmanie", "Cambodge", "Philippines", "Inde",
    "Pakistan", "Népal", "Mongolie", "Russie", "Diplomatie", "Politique", "Économie",
    "Énergie", "Santé", "Éducation", "Criminalité", "Technologie", "Environnement", "Défense",
    "Société", "Culture",
)  # fmt: skip
WORDS = (
    "le", "président", "a", "annoncé", "une", "réforme", "du", "budget", "après", "les",
    "élections", "dans", "la", "capitale", "où", "l'opposition", "dénonce", "un", "accord",
    "signé", "avec", "délégation", "étrangère", "pendant", "sommet", "régional", "malgré",
    "grève", "des", "ouvriers", "port", "et", "colère", "étudiants", "Séoul", "Pyongyang",
)  # fmt: skip
OFFSETS = ("+09:00", "+08:00", "+07:00", "+05:30", "Z", "-05:00")
# Past mtimes: a file changed within the last two seconds is distrusted and reread by every
# build, which would make "warm" cache builds cold.
ARCHIVE_NS = 1_700_000_000 * 10**9


def _text(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def generate(folder: Path, count: int, seed: int) -> Path:
    """Items shaped like helpers' LEAD and TEASER, a quarter of them leads with a body."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    (folder / "feed.yaml").write_text(SETTINGS, encoding="utf-8")
    start = datetime(2024, 1, 1)
    for number in range(count):
        moment = start + timedelta(minutes=rng.randrange(365 * 24 * 60))
        names = ", ".join(rng.sample(CATEGORIES, rng.randint(1, 3)))
        head = (
            f"title: {_text(rng, 5, 12)[:-1]} n°{number}\n"
            f"url: https://www.example.com/2024/{number:04d}/article\n"
            f"published: {moment:%Y-%m-%dT%H:%M:%S}{rng.choice(OFFSETS)}\n"
            f"categories: [{names}]\n"
        )
        photo = (
            f"photo:\n  url: https://www.example.com/photos/{number}.jpg\n"
            f"  caption: {_text(rng, 6, 20)}\n"
        )
        if rng.random() < 0.25:
            body = "\n\n".join(_text(rng, 30, 80) for _ in range(rng.randint(2, 6)))
            text = f"---\nkind: lead\n{head}{photo}---\n{body}\n"
        else:
            access = "members" if rng.random() < 0.2 else "public"
            extra = photo if rng.random() < 0.5 else ""
            summary = _text(rng, 10, 40)
            text = f"---\nkind: teaser\n{head}{extra}summary: {summary}\naccess: {access}\n---\n"
        path = folder / f"{moment:%Y-%m-%d}-{number:04d}.md"
        path.write_text(text, encoding="utf-8")
        os.utime(path, ns=(ARCHIVE_NS, ARCHIVE_NS))
    return folder


def command(items: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "feedsvc", "build",
        "--items", str(items), "--out", str(out), "--now", NOW, *extra,
    ]  # fmt: skip


def is_temp(path: str) -> bool:
    name = Path(path).name
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


def malformed(path: str, data: bytes) -> str | None:
    """Why `data` is not a whole document of its kind, or None when it is."""
    try:
        if path.endswith(".xml"):
            etree.fromstring(data)
        elif path.endswith(".json"):
            json.loads(data)
        elif not data.endswith(b"</html>\n"):
            return f"{path}: {len(data)} bytes not ending with </html>: {data[-40:]!r}"
    except (etree.XMLSyntaxError, ValueError) as error:
        return f"{path}: {len(data)} bytes: {error}"
    return None
