"""Files are written and fsynced by a few threads: a stop never leaves one writing."""

from __future__ import annotations

import os
import signal
import threading
import time
from types import FrameType

import pytest

from feedsvc.publish import _atomic


def test_a_stop_while_threads_write_returns_only_once_none_is_writing() -> None:
    # The caller closes the temporary files' descriptors as soon as the stop reaches it; a
    # thread still writing then could write a feed into whatever file reuses the number.
    release = threading.Event()
    started: list[int] = []
    finished: list[int] = []

    lock = threading.Lock()

    def write(job: int) -> None:
        with lock:
            started.append(job)
            everyone_writes = len(started) == _atomic.THREADS
        if everyone_writes:  # the stop comes while every thread writes, however slow the start
            os.kill(os.getpid(), signal.SIGALRM)
        release.wait()
        time.sleep(0.01)
        finished.append(job)

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Timer(0.2, release.set).start()  # the writes end a while after the stop
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, stop)
    try:
        with pytest.raises(KeyboardInterrupt):
            _atomic._in_threads(write, list(range(10 * _atomic.THREADS)))
    finally:
        signal.signal(signal.SIGALRM, previous)
        release.set()
    assert sorted(finished) == sorted(started)  # none was still writing
    assert len(started) == _atomic.THREADS  # and none took a job after the stop


def test_an_error_in_one_thread_is_raised_once_all_are_done() -> None:
    done: list[int] = []

    def write(job: int) -> None:
        if job == 3:
            raise OSError(28, "No space left on device")
        time.sleep(0.001)
        done.append(job)

    with pytest.raises(OSError, match="No space"):
        _atomic._in_threads(write, list(range(40)))
    assert len(done) < 39  # the others stopped taking jobs
