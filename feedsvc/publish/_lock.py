"""One build at a time per out/ folder.

An advisory lock (flock) on out/'s lock file: the kernel releases it when the holder exits, even
by SIGKILL, so a killed build never leaves a stale lock behind. A second build waits for
the first, up to a bound, then gives up with a clear message. The lock file sits at the top of
out/, outside every served tree, and is never opened through a link (which would create or
lock the link's target).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from feedsvc.errors import Busy
from feedsvc.publish._folders import refuse_link
from feedsvc.publish._layout import LOCK_FILE

__all__ = ["exclusive"]

_held: set[int] = set()  # descriptors this process holds a build lock through


def _forget_in_child() -> None:
    """In any forked child: close the inherited copies of the lock's descriptor.

    flock belongs to the open file, which a fork shares: a worker still running after its
    build was killed would otherwise keep the lock. Closing a copy does not unlock it.
    """
    for descriptor in _held:
        os.close(descriptor)
    _held.clear()


# Every fork, whoever makes it: the parsing pool, the scan helper, a library's subprocess.
os.register_at_fork(after_in_child=_forget_in_child)


def _open(out_dir: Path) -> int:
    top = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        return os.open(LOCK_FILE, flags, 0o644, dir_fd=top)
    except OSError as error:
        try:
            target = os.readlink(LOCK_FILE, dir_fd=top)
        except OSError:
            raise error from None  # not a link: the open's own error
        refuse_link(out_dir / LOCK_FILE, target, folder=False, written=False)
    finally:
        os.close(top)


@contextmanager
def exclusive(
    out_dir: Path, wait: float, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    descriptor = _open(out_dir)
    try:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy(
                        f"another feedsvc build is writing {out_dir} (it holds "
                        f"{out_dir / LOCK_FILE}); waited {wait:g} s"
                    ) from None
                if not told and on_wait is not None:
                    on_wait()
                    told = True
                time.sleep(0.05)
        _held.add(descriptor)
        yield
    finally:
        _held.discard(descriptor)
        if created and [path.name for path in out_dir.iterdir()] == [LOCK_FILE]:
            # A build that wrote nothing (invalid items) leaves no out/ it did not find.
            (out_dir / LOCK_FILE).unlink()
            out_dir.rmdir()
        os.close(descriptor)  # closing the descriptor releases the lock
