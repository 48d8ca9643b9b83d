"""Which item files may have changed since the index last looked, found folder by folder.

The index keeps, for each folder, the stats of its files as it stored them and a digest of
those stats in the order the scan lists them, and one digest over all the folders. A no-op
rebuild compares that one digest; a change loads the stats of the folders whose digest
differs. Neither reads a row per file of the whole archive. A large folder's stats are kept in
runs of about RUN files, each with its digest, so that an edit in a folder of 100,000 files
loads and rewrites one run, not the whole folder's.
"""

from __future__ import annotations

import hashlib
import zlib
from array import array
from collections.abc import Iterable
from itertools import chain

from feedsvc.items import Folder, Scan

__all__ = [
    "RUN",
    "Stats",
    "by_folder",
    "combine",
    "digest",
    "folder_digest",
    "run_count",
    "run_of",
    "split",
]

# relpath -> (mtime_ns, size, ctime_ns, inode), as git's index compares them: a copy that keeps
# the modification time (cp -p, touch -r, tar -x) still moves the change time, which no
# ordinary tool sets back, or gives a new inode.
Stats = dict[str, tuple[int, int, int, int]]


def by_folder(scan: Scan) -> dict[str, Folder]:
    """The scan's folders by prefix ('' for the top)."""
    return {folder.prefix: folder for folder in scan.folders}


def _digest(count: int, paths: Iterable[str], stats: bytes) -> str:
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update(count.to_bytes(8, "little"))  # where the paths end and the stats begin
    hasher.update("\0".join(paths).encode("utf-8", "surrogateescape"))
    hasher.update(stats)
    return hasher.hexdigest()


def digest(stats: Stats) -> str:
    """Paths and stats, in order, as plain bytes.

    Not marshal or pickle: their output can depend on how objects are shared in memory.
    """
    # From a list: array() takes one at twice the speed of an iterator.
    values = array("q", list(chain.from_iterable(stats.values())))
    return _digest(len(stats), stats, values.tobytes())


def folder_digest(folder: Folder) -> str:
    """The folder's names and stats, in order, from the scan's arrays: no tuple per file is
    made, and the names' own digest is often taken already (by the scan's helper). Not
    digest()'s, whose paths include the folder: combine() names the folder."""
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update(len(folder.names).to_bytes(8, "little"))
    hasher.update(folder.names_digest())
    hasher.update(folder.stats)
    return hasher.hexdigest()


def combine(digests: Iterable[tuple[str, str]]) -> str:
    """One digest over (folder, digest) pairs."""
    hasher = hashlib.blake2b(digest_size=16)
    for prefix, value in digests:
        hasher.update(f"{prefix}\0{value}\0".encode())
    return hasher.hexdigest()


RUN = 1024  # files per run of a large folder's stats, about


def run_count(files: int) -> int:
    """How many runs a folder of `files` files keeps: a power of two, so that a folder that
    grows re-splits its runs rarely."""
    count = 1
    while files > count * RUN:
        count *= 2
    return count


def run_of(path: str, runs: int) -> int:
    """The run a file belongs to, by a hash of its path: an added file moves no other."""
    return zlib.crc32(path.encode("utf-8", "surrogateescape")) % runs if runs > 1 else 0


def _encoded(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


def split(stats: Stats, runs: int) -> dict[int, Stats]:
    """A folder's stats by run (see run_of), each in the folder's order."""
    if runs == 1:
        return {0: stats}
    # The check sums of 100,000 paths taken by map(), in C, rather than a call of run_of each:
    # an edit in one flat folder splits the whole folder.
    parts: list[Stats] = [{} for _ in range(runs)]
    crcs = map(zlib.crc32, map(_encoded, stats))
    for (path, stat), crc in zip(stats.items(), crcs, strict=True):
        parts[crc % runs][path] = stat
    return {run: part for run, part in enumerate(parts) if part}
