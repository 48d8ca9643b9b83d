"""Slugs for file and folder names: 'Corée du Nord' -> 'coree-du-nord'."""

from __future__ import annotations

import re
from functools import lru_cache

_SAFE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@lru_cache(maxsize=4096)  # an archive repeats a few dozen categories thousands of times
def slug(text: str, max_length: int = 80) -> str:
    """Accents folded, lower case, hyphens; '' when the text has no letters or digits."""
    from slugify import slugify  # imported on first use: a no-op rebuild never needs it

    value = slugify(text, max_length=max_length, word_boundary=True)
    # python-slugify only emits [a-z0-9-]; checked anyway, because a slug becomes a folder
    # name under out/ and must never be able to climb out of it.
    return value if _SAFE.match(value) else ""
