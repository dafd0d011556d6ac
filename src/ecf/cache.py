"""A cache of parsed records, so that an unchanged file is not parsed again.

Records are cached by the sha256 of their bytes (content), with a fast path by file identity
(path, inode, size, modification time): when a file's identity is unchanged, its digest is taken
from the cache without reading it.  A cached record is the structured :class:`~ecf.records.Record`
(before the meaning checks, which always run again, as they depend on today's date and the
framework files).

The cache holds personal data, so it lives in a folder only its owner can open (``0700``, file
``0600``), ``$ECF_CACHE_DIR`` or ``$XDG_CACHE_HOME/ecf`` (``~/.cache/ecf``); a cache folder that
someone else owns or can write to is not used.  It is a cache: deleting it loses nothing, and
an entry written by another version of ecf is ignored.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sqlite3
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from ecf._version import __version__
from ecf.records import Record

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["CACHE_ENV", "Identity", "RecordCache", "default_cache_dir"]

CACHE_ENV = "ECF_CACHE_DIR"
_FILE = "records.sqlite3"
#: Bump when the pickled shape of a record changes in a way ``__version__`` would not show.
_FORMAT = f"{__version__}/1"

Identity = tuple[int, int, int]

_SCHEMA = """
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS records (digest TEXT PRIMARY KEY, format TEXT, data BLOB);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, ino INT, size INT, mtime INT, digest TEXT);
"""


def default_cache_dir() -> Path:
    """``$ECF_CACHE_DIR``, else ``$XDG_CACHE_HOME/ecf``, else ``~/.cache/ecf``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ecf"


def identity(st: os.stat_result) -> Identity:
    """A file's identity: inode, size and modification time in nanoseconds."""
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _private(folder: Path) -> bool:
    """The folder exists, belongs to us, and no one else can write to it."""
    try:
        st = folder.stat()
    except OSError:
        return False
    owner_ok = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return stat.S_ISDIR(st.st_mode) and owner_ok and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


class RecordCache:
    """Parsed records by content digest, and file identities by path.

    Open it read-only in worker processes (:meth:`lookup`), and write new entries from one
    process (:meth:`store`).  Every method fails soft: a cache that cannot be opened, read or
    written behaves as an empty one.
    """

    def __init__(self, folder: Path, *, readonly: bool = False) -> None:
        self.folder = folder
        self.db: sqlite3.Connection | None = None
        try:
            if not readonly:
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not _private(folder):
                return
            path = folder / _FILE
            if readonly:
                if not path.exists():
                    return
                self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            else:
                fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
                os.close(fd)
                self.db = sqlite3.connect(path)
                self.db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error):
            self.close()

    def close(self) -> None:
        """Close the database (safe to call twice)."""
        if self.db is not None:
            with contextlib.suppress(sqlite3.Error):
                self.db.close()
        self.db = None

    def digest_for(self, path: str, ident: Identity) -> str | None:
        """The digest recorded for a file whose identity is unchanged, else None."""
        if self.db is None:
            return None
        try:
            row = self.db.execute(
                "SELECT ino, size, mtime, digest FROM files WHERE path = ?", (path,)
            ).fetchone()
        except sqlite3.Error:
            return None
        if row is None or tuple(row[:3]) != ident:
            return None
        return str(row[3])

    def lookup(self, digest: str) -> Record | None:
        """The record parsed from content with this digest, if cached by this version."""
        if self.db is None:
            return None
        try:
            row = self.db.execute(
                "SELECT format, data FROM records WHERE digest = ?", (digest,)
            ).fetchone()
            if row is None or row[0] != _FORMAT:
                return None
            record = pickle.loads(row[1])  # noqa: S301 - our own private, owner-only cache
        except Exception:  # noqa: BLE001 - sqlite, or a damaged entry (unpickling raises anything)
            return None
        return record if isinstance(record, Record) else None

    def forget(self, record_id: str) -> int:
        """Remove every cached version of the record with this id (``ecf anonymise``).

        Entries that cannot be read back (another version's, or damaged) go too: they may hold
        it.  Deleted pages are overwritten (``secure_delete``) and the write-ahead log emptied,
        so the personal data does not linger in the cache's files.

        Returns:
            How many cached versions of the record were removed.
        """
        if self.db is None:
            return 0
        try:
            digests = [str(row[0]) for row in self.db.execute("SELECT digest FROM records")]
            gone = [
                d for d in digests if (found := self.lookup(d)) is None or found.id == record_id
            ]
            self.db.execute("PRAGMA secure_delete = ON")
            with self.db:
                for d in gone:
                    self.db.execute("DELETE FROM records WHERE digest = ?", (d,))
                    self.db.execute("DELETE FROM files WHERE digest = ?", (d,))
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            return 0
        return len(gone)

    def store(self, entries: Iterable[tuple[str, Identity, str, bytes | None]]) -> None:
        """Write ``(path, identity, digest, pickled record or None)`` in one transaction."""
        if self.db is None:
            return
        try:
            with self.db:
                for path, ident, digest, data in entries:
                    self.db.execute(
                        "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                        (path, *ident, digest),
                    )
                    if data is not None:
                        self.db.execute(
                            "INSERT OR REPLACE INTO records VALUES (?, ?, ?)",
                            (digest, _FORMAT, data),
                        )
        except sqlite3.Error:
            return
