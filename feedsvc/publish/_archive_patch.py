"""An edited week's archive patched from the file on disk rather than rendered again.

Rendering a week's archive reads and renders its ~2,000 items, for an edit of one. The file
on disk already holds the other entries, made by the same code from the same item bytes: when
it is exactly the file this index recorded writing (same bytes, same frame: code, settings,
feed, week, format), only the entries whose item digest is new are made, and the others are
kept from it (writers/_patch.py). Anything else (no record, other bytes, a file that does not
parse, a damaged record) gives None, and the archive is rendered in full.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from feedsvc.index import Chosen, Index, Row, content_hash
from feedsvc.model import FormatName
from feedsvc.publish.writers import EntryDoc, FeedDoc, patch_feed

__all__ = ["patched"]


def _read(path: Path) -> bytes | None:
    # Never through a link at the last step; what is read is trusted only if its hash is the
    # one recorded, so whatever a link on the way led to is never published.
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        with os.fdopen(descriptor, "rb") as file:
            return file.read()
    except OSError:
        return None


def _last_changes(old_rows: Sequence[Row], taken: Sequence[int | None]) -> list[str | None]:
    return [None if position is None else old_rows[position][1] for position in taken]


def patched(
    index: Index,
    out_dir: Path,
    path: str,
    format_name: FormatName,
    frame: str,
    chosen: Sequence[Chosen],
    entry: Callable[[Chosen], EntryDoc],
    document: Callable[[tuple[EntryDoc, ...]], FeedDoc],
) -> tuple[bytes, list[Row]] | None:
    """out/<path> with `chosen` as its entries, and its rows; None when it must be rendered."""
    known = index.archived(path)
    if known is None or not chosen:
        return None
    record, old_rows = known
    if record.frame != frame:
        return None
    old = _read(out_dir / path)
    if old is None or content_hash(old) != record.sha:
        return None
    position = {digest: i for i, (digest, _) in enumerate(old_rows)}
    if len(position) != len(old_rows):
        return None
    taken = [position.get(item.digest) for item in chosen]
    made = {j: entry(item) for j, item in enumerate(chosen) if taken[j] is None}
    try:
        kept = {
            j: datetime.fromisoformat(old_rows[i][1]) for j, i in enumerate(taken) if i is not None
        }
    except ValueError:
        return None
    updated = [made[j].updated if j in made else kept[j] for j in range(len(chosen))]
    # The document's `updated` is its newest entry's (the first, among equal moments): that
    # entry is made too, so the writer sets it as a full render would.
    newest = max(range(len(chosen)), key=updated.__getitem__)
    if newest not in made:
        made[newest] = entry(chosen[newest])
    given = [None if j in made else i for j, i in enumerate(taken)]
    data = patch_feed(
        format_name, document(tuple(made[j] for j in sorted(made))), old, len(old_rows), given
    )
    if data is None:
        return None
    changes = _last_changes(old_rows, given)
    rows = [
        (item.digest, made[j].updated.isoformat() if changes[j] is None else str(changes[j]))
        for j, item in enumerate(chosen)
    ]
    return data, rows
