"""Reading an item file asks for about its size, not for the 1 MiB limit each time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from feedsvc.items import MAX_FILE_BYTES, _itemfile, read_item_bytes


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    asked: list[int] = []
    real = os.read

    def read(fd: int, size: int) -> bytes:
        asked.append(size)
        return real(fd, size)

    monkeypatch.setattr(_itemfile.os, "read", read)
    return asked


def test_a_small_file_is_read_without_asking_for_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"x" * 2000)
    asked = _reads(monkeypatch)
    assert read_item_bytes(path) == b"x" * 2000
    assert asked[0] == 2001 and max(asked) <= 1 << 16, asked


@pytest.mark.parametrize("size", [0, 70_000, MAX_FILE_BYTES, MAX_FILE_BYTES + 5])
def test_files_of_any_size_read_whole_up_to_one_byte_past_the_limit(
    tmp_path: Path, size: int
) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"y" * size)
    read = read_item_bytes(path)
    if size > MAX_FILE_BYTES:
        assert not isinstance(read, bytes) and "KiB" in read.message
    else:
        assert read == b"y" * size


def test_a_file_that_grew_since_its_size_was_taken_is_read_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"z" * 200_000)
    real = os.fstat

    def earlier(fd: int) -> os.stat_result:
        found = real(fd)
        return os.stat_result((*found[:6], 100, *found[7:]))  # st_size as it was: 100 bytes

    monkeypatch.setattr(_itemfile.os, "fstat", earlier)
    assert read_item_bytes(path) == b"z" * 200_000
