"""Files under out/: written whole or not at all, and only when their bytes change.

A reader polling during a build must see the old file or the new one, never a torn one, so each
file is written to a temporary file in the same folder, flushed, fsynced and renamed over the
old one. A file whose bytes would not change is left alone: its mtime, and so a web server's
Last-Modified and ETag, stay, and pollers keep getting 304s.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from feedsvc.publish._layout import TEMP_PREFIX, TEMP_SUFFIX

__all__ = ["current", "remove_leftovers", "write_atomic", "write_if_changed"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def current(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def remove_leftovers(out_dir: Path) -> None:
    """Delete temporary files a killed build left behind; only ever files named as ours."""
    if out_dir.is_dir():
        for path in out_dir.rglob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
            if path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(
        dir=path.parent, prefix=TEMP_PREFIX + path.name + ".", suffix=TEMP_SUFFIX
    )
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        # mkstemp makes the file private; a feed is for the web server to read.
        os.chmod(temp_name, 0o666 & ~_umask())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` to `path` unless it already holds exactly that; True when written."""
    if current(path) == data:
        return False
    write_atomic(path, data)
    return True
