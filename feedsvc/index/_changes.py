"""Which item files may have changed since the index last looked, found folder by folder.

The index keeps, for each folder, the stats of its files as it stored them and a digest of
those stats in the order the scan lists them, and one digest over all the folders. A no-op
rebuild compares that one digest; a change loads the stats of the folders whose digest
differs. Neither reads a row per file of the whole archive.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable
from itertools import chain, islice

from feedsvc.items import Scan

__all__ = ["Stats", "by_folder", "combine", "digest"]

# relpath -> (mtime_ns, size, ctime_ns, inode), as git's index compares them: a copy that keeps
# the modification time (cp -p, touch -r, tar -x) still moves the change time, which no
# ordinary tool sets back, or gives a new inode.
Stats = dict[str, tuple[int, int, int, int]]


def by_folder(scan: Scan) -> dict[str, Stats]:
    """The scan's files grouped by folder ('' for the top), in the order they were listed."""
    listed = iter(scan.files.items())
    return {prefix: dict(islice(listed, count)) for prefix, count in scan.folders}


def digest(stats: Stats) -> str:
    """Paths and stats, in order, as plain bytes.

    Not marshal or pickle: their output can depend on how objects are shared in memory.
    """
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update(len(stats).to_bytes(8, "little"))  # where the paths end and the stats begin
    hasher.update("\0".join(stats).encode())
    hasher.update(array("q", chain.from_iterable(stats.values())).tobytes())
    return hasher.hexdigest()


def combine(digests: Iterable[tuple[str, str]]) -> str:
    """One digest over (folder, digest) pairs."""
    hasher = hashlib.blake2b(digest_size=16)
    for prefix, value in digests:
        hasher.update(f"{prefix}\0{value}\0".encode())
    return hasher.hexdigest()
