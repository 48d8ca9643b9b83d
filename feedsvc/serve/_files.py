"""Published files, read whole and kept in memory per version, so a rebuild never tears one."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

from feedsvc.publish._layout import (
    ARCHIVE_FOLDER,
    CATEGORIES_FOLDER,
    FORMATS,
    INDEX_FILE,
    PUBLIC_TREE,
    WEEK,
)

__all__ = [
    "FileStore",
    "Representation",
    "Version",
    "member_name",
    "missing_public_tree",
    "public_name",
]

_MEDIA_TYPES = {f.name: f"{f.media_type}; charset=utf-8" for f in FORMATS.values()}
_MEDIA_TYPES[INDEX_FILE] = "text/html; charset=utf-8"
_FEED_NAMES = "|".join(re.escape(f.name) for f in FORMATS.values())
# Only what a build writes, spelt as it writes it: a whitelist rather than a path cleaner, so
# `..`, encoded dots, NUL, backslashes, dot files, temporary files and the lock cannot match.
# Category slugs are python-slugify's: lower-case ASCII letters, digits and hyphens.
# Archives are a feed's week folders: archive/2024-W23/atom.xml.
_ARCHIVE = rf"(?:{re.escape(ARCHIVE_FOLDER)}{WEEK}/)?"
_PUBLIC = re.compile(
    rf"(?:{re.escape(INDEX_FILE)}|(?:{re.escape(CATEGORIES_FOLDER)}[a-z0-9]+(?:-[a-z0-9]+)*/)?"
    rf"{_ARCHIVE}(?:{_FEED_NAMES}))"
)
_MEMBER = re.compile(rf"{_ARCHIVE}(?:{_FEED_NAMES})")
# Compressing tiny files gains nothing a poller would notice.
_MIN_GZIP = 256


def missing_public_tree(out_dir: Path) -> Path | None:
    """The public tree of `out_dir` when it is not a folder: a server started there would
    answer every request 404."""
    public = out_dir / PUBLIC_TREE
    return None if public.is_dir() else public


def public_name(path: str) -> str | None:
    """The published name a request path asks for in the public tree, or None."""
    name = path.removeprefix("/") or INDEX_FILE
    return name if _PUBLIC.fullmatch(name) else None


def member_name(name: str) -> str | None:
    """The members' feed file a request names, or None."""
    return name if _MEMBER.fullmatch(name) else None


@dataclass(frozen=True, slots=True)
class Representation:
    body: bytes
    etag: str  # quoted, strong


@dataclass(slots=True)
class Version:
    """One version of one file: its bytes, validators, and a gzip made at most once."""

    name: str
    identity: Representation
    mtime: float
    last_modified: str  # as an HTTP-date, made once
    _gzip: Representation | None = field(default=None, repr=False)
    _gzip_tried: bool = field(default=False, repr=False)

    @classmethod
    def of(cls, name: str, body: bytes, mtime: float) -> Version:
        return cls(name, Representation(body, etag_of(body)), mtime, formatdate(mtime, usegmt=True))

    @property
    def validators(self) -> tuple[str, str]:
        """The tags of both codings of this version: a cache that stored either gets its 304."""
        return self.identity.etag, _gzip_etag(self.identity.etag)

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self.name.rsplit("/", 1)[-1]]

    def gzipped(self) -> Representation | None:
        """The gzip representation, or None when it would not be smaller."""
        if not self._gzip_tried:
            self._gzip_tried = True
            body = self.identity.body
            if len(body) >= _MIN_GZIP:
                # mtime=0: the same bytes compress to the same bytes, on every worker and host.
                packed = gzip.compress(body, compresslevel=9, mtime=0)
                if len(packed) < len(body):
                    self._gzip = Representation(packed, _gzip_etag(self.identity.etag))
        return self._gzip


def _gzip_etag(etag: str) -> str:
    return f'{etag[:-1]}-gz"'


def etag_of(body: bytes) -> str:
    """A strong validator from the bytes alone: a rebuild that writes the same bytes keeps it,
    and every worker and host computes the same one (an inode or mtime would not)."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


class FileStore:
    """The files of one served tree, each read whole once per version.

    A version is known by (size, mtime_ns, inode): the build renames a new file over the old
    one, so a new version has a new inode, and the bytes read through one open file are one
    version, never half of each.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root = os.path.join(str(root), "")
        self._versions: dict[str, tuple[tuple[int, int, int], Version]] = {}

    def get(self, name: str) -> Version | None:
        """The current version of `name` (already vetted by a pattern), or None if it is not a
        regular file reached without links.

        One lstat when the version is known: a key that matches was read through folders
        checked then, and that inode's bytes are what memory holds, so the folders need not
        be checked again. A new key checks them and reads the file."""
        try:
            info = os.lstat(self._root + name)
        except (OSError, ValueError):  # missing, a file where a folder is, too long, NUL
            return None
        known = self._versions.get(name)
        if known is not None and known[0] == (info.st_size, info.st_mtime_ns, info.st_ino):
            return known[1]
        if not stat.S_ISREG(info.st_mode):
            return None
        path = self._checked_path(name)
        return self._read(name, path) if path is not None else None

    def _checked_path(self, name: str) -> str | None:
        # Folders on the way must be real folders: a link planted in the tree leads nowhere.
        folder = str(self.root)
        for part in name.split("/")[:-1]:
            folder = os.path.join(folder, part)
            try:
                if not stat.S_ISDIR(os.stat(folder, follow_symlinks=False).st_mode):
                    return None
            except (FileNotFoundError, NotADirectoryError):
                return None
        return os.path.join(str(self.root), name)

    def _read(self, name: str, path: str) -> Version | None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except OSError:  # ELOOP: a link put in place since the stat
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return None
            with open(fd, "rb", closefd=False) as stream:
                body = stream.read()
        finally:
            os.close(fd)
        version = Version.of(name, body, info.st_mtime)
        self._versions[name] = ((info.st_size, info.st_mtime_ns, info.st_ino), version)
        return version
