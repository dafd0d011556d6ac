"""A cache of parsed records, so that an unchanged file is not parsed again: data only.

This module is long because what it keeps (records, file identities, validation verdicts) is
trusted only after the same checks (ownership, checksum, strict reading back), which are
reviewed together: split, one kind of entry could skip a check the others make.

Records are cached by the sha256 of their bytes (content), with a fast path by file identity
(path, device, inode, size, modification and change times): when a file's identity is unchanged,
its digest is taken from the cache without reading it.  A cached record is the structured
:class:`~ecf.records.Record` (before the meaning checks, which always run again, as they depend
on today's date and the framework files).

What is stored is data, never code: the record's plain fields (:func:`ecf.records.record_to_dict`)
as MessagePack (``msgspec``), beside a sha256 of those bytes.  On load an entry is checked like
any input: its format version and checksum, then the strict converter that reads record files
(:func:`ecf.records.record_from_dict`), then the record id it was stored under.  An entry that
fails any check is ignored, and the record is parsed from its file and stored again; nothing
read from the cache is trusted before that.  (Measured on the synthetic records of
``benchmarks/synth.py``: parsing a file 1,180 us, this format 400 us, pickle 270 us; JSON through
orjson 560 us.  The time goes into the strict converter, which an unpickled object skipped.)

The fast path cannot be fooled by an edit within the file system's timestamp resolution: it is
used only when the file's modification and change times are at least :data:`SETTLE_NS` (2 s)
older than the moment its digest was taken, so that any later write must have moved them.

A scan asks the cache about a chunk of files at once (:meth:`RecordCache.remember`: the files'
identities, their records and their verdicts in three queries, not three a file; then, by
:meth:`RecordCache.remember_contents`, the records of the files it had to read, by their
contents, in one more); each row is then checked exactly as one asked for alone.  The
database commits without waiting for the disk (write-ahead log, ``synchronous=NORMAL``): a
crash may lose the last chunks stored, which are parsed again, never corrupt what is kept.

The cache holds personal data, so it lives in a folder only its owner can open (``0700``, its
files ``0600``): ``$ECF_CACHE_DIR``, else the platform's cache folder (``platformdirs``;
``~/.cache/ecf`` on Linux).  A folder or a cache file that is not the user's own, that others
may write to, or that is a symbolic link is not used.  It is a cache: deleting it loses
nothing (:func:`clear`), and :func:`forget` removes what it holds of one record.

Beside each record the cache remembers its validation verdict (valid, or its problems), so that
an unchanged record is not checked again on a warm run.  A verdict is keyed so that it cannot be
stale: by the record's content digest and a context (:func:`verdict_context`) made of everything
the check reads besides the record: the digest of every framework file in use
(:meth:`ecf.framework.FrameworkRegistry.digest`), the council file's, ecf's version and this
format, and today's date (the future-date checks depend on it).  Another framework file, another
day or another ecf is another key, so the check runs again.  A verdict is data too, checked on
the way out like a record (format, checksum, shape); one that fails is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from ecf._version import __version__
from ecf.errors import Problem
from ecf.records import Record, record_from_msgpack, record_to_msgpack

if TYPE_CHECKING:
    import datetime as dt
    import sqlite3
    from collections.abc import Iterable, Iterator, Sequence, Sized

T = TypeVar("T")

__all__ = [
    "CACHE_ENV",
    "FORMAT",
    "SETTLE_NS",
    "Entry",
    "Identity",
    "RecordCache",
    "Verdict",
    "clear",
    "decode",
    "decode_verdict",
    "default_cache_dir",
    "encode",
    "encode_verdict",
    "forget",
    "identity",
    "verdict_context",
    "verdict_key",
]

CACHE_ENV = "ECF_CACHE_DIR"
#: The version of what the cache stores: bump it when the stored shape changes.  An entry
#: written by another version (of this format or of ecf) is ignored.
FORMAT = 3
_FORMAT = f"{FORMAT}/{__version__}"
#: The cache's database; earlier formats used other names (:func:`clear` removes them too).
_FILE = f"records.{FORMAT}.sqlite3"
_OLD_FILES = ("records.sqlite3", "records.2.sqlite3")
_SUFFIXES = ("", "-wal", "-shm", "-journal")
#: How much older than the moment its digest was taken a file's times must be for its identity
#: alone to be trusted (2 s: FAT keeps modification times to 2 s, ext3 and HFS+ to 1 s).
SETTLE_NS = 2_000_000_000

#: A file's identity: device, inode, size, modification and change times in nanoseconds.
Identity = tuple[int, int, int, int, int]

_SCHEMA = """
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS records (
    digest TEXT PRIMARY KEY, format TEXT, record_id TEXT, checksum TEXT, data BLOB);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, dev INT, ino INT, size INT, mtime INT, ctime INT, digest TEXT,
    checked INT, record_id TEXT);
CREATE TABLE IF NOT EXISTS verdicts (
    key TEXT PRIMARY KEY, format TEXT, record_id TEXT, checksum TEXT, data BLOB);
"""
#: Per connection: a commit waits for no disk flush (``synchronous=NORMAL``, which the
#: write-ahead log keeps consistent: a crash may lose the last chunks stored, never corrupt the
#: file, and what is lost is parsed again).  A cache, not a record: what it holds is checked on
#: the way out anyway.  (Not ``mmap_size``: the pages a worker maps count in its resident
#: memory, which then grows with the cache: 1.70 for 5,000 / 500 files, warm.)
_TUNING = """
PRAGMA synchronous=NORMAL;
"""
#: How many values one ``IN (...)`` query of :meth:`RecordCache.remember` binds at most.
_BATCH = 500
#: The queries of :meth:`RecordCache.remember`, each to end with ``IN (?, ...)``: the key, then
#: the columns that :meth:`RecordCache.digest_for`, ``lookup`` and ``verdict`` query one by one.
_FILES_IN = "SELECT path, dev, ino, size, mtime, ctime, checked, digest FROM files WHERE path"
_RECORDS_IN = "SELECT digest, format, record_id, checksum, data FROM records WHERE digest"
_VERDICTS_IN = "SELECT key, format, record_id, checksum, data FROM verdicts WHERE key"


class Entry(NamedTuple):
    """What one read adds to the cache.

    Attributes:
        path: The file, as the scan named it.
        identity: Its identity when it was read.
        digest: The sha256 of its bytes.
        checked: When its identity was taken (``time.time_ns()``), before it was read.
        record_id: The id of the record it holds.
        data: The encoded record (:func:`encode`), or ``None`` when the cache holds it already.
    """

    path: str
    identity: Identity
    digest: str
    checked: int
    record_id: str
    data: bytes | None


class Verdict(NamedTuple):
    """A validation verdict to remember (:meth:`RecordCache.store`).

    Attributes:
        key: :func:`verdict_key` of the record's content digest and the check's context.
        record_id: The id of the record it is about (:meth:`RecordCache.forget` removes it).
        data: The encoded problems (:func:`encode_verdict`; an empty list: the record is valid).
    """

    key: str
    record_id: str
    data: bytes


def verdict_context(framework_digest: str, council_digest: str | None, today: dt.date) -> str:
    """What a verdict depends on besides the record, as one digest.

    Args:
        framework_digest: :meth:`ecf.framework.FrameworkRegistry.digest` of the frameworks.
        council_digest: The sha256 of the council file's bytes, ``None`` without one.
        today: The date the check took as today.
    """
    parts = (_FORMAT, framework_digest, council_digest or "-", today.isoformat())
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def verdict_key(digest: str, context: str) -> str:
    """The key of the verdict on the content with this digest, in this context."""
    return hashlib.sha256(f"{digest}\0{context}".encode()).hexdigest()


#: The types a remembered problem's value may have: those MessagePack gives back as they were.
_PLAIN = (str, int, float, bool)


def encode_verdict(problems: Iterable[Problem]) -> bytes | None:
    """Problems as data, or ``None`` when a value would not come back as it was (not kept)."""
    import msgspec  # noqa: PLC0415 - only the cache needs it

    plain: list[list[object]] = []
    for p in problems:
        if p.value is not None and type(p.value) not in _PLAIN:
            return None
        if p.file is not None and not isinstance(p.file, str):
            return None
        plain.append([p.message, p.path, p.value, p.file])
    try:
        return msgspec.msgpack.encode(plain)
    except (msgspec.EncodeError, OverflowError):  # an integer beyond 64 bits
        return None


def decode_verdict(data: bytes) -> tuple[Problem, ...] | None:
    """The problems in ``data``, or ``None`` if it is not what :func:`encode_verdict` wrote."""
    import msgspec  # noqa: PLC0415 - only the cache needs it

    try:
        plain = msgspec.msgpack.decode(data)
    except (msgspec.DecodeError, RecursionError, ValueError, TypeError):
        return None
    if not isinstance(plain, list):
        return None
    problems = [_problem(item) for item in plain]
    return None if None in problems else tuple(p for p in problems if p is not None)


def _problem(item: object) -> Problem | None:
    """One remembered problem, if ``item`` is one (``[message, path, value, file]``)."""
    if not (isinstance(item, list) and len(item) == 4):  # noqa: PLR2004 - the four fields
        return None
    message, path, value, file = item
    if not (isinstance(message, str) and isinstance(path, str)):
        return None
    if value is not None and type(value) not in _PLAIN:
        return None
    if file is not None and not isinstance(file, str):
        return None
    return Problem(message, path, value, file)


def default_cache_dir() -> Path:
    """``$ECF_CACHE_DIR``, else the platform's user cache folder for ecf (``platformdirs``)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    import platformdirs  # noqa: PLC0415 - only a cohort needs it

    return Path(platformdirs.user_cache_dir("ecf", appauthor=False))


def identity(st: os.stat_result) -> Identity:
    """A file's identity: device, inode, size, modification and change times (ns)."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def encode(record: Record) -> bytes:
    """A record as data: its plain fields as MessagePack (no object, no code)."""
    return record_to_msgpack(record)


def decode(data: bytes, record_id: str | None = None) -> Record | None:
    """The record in ``data``, checked as a record file is, or ``None`` if it is not one.

    Args:
        data: What :func:`encode` wrote, or anything else.
        record_id: The id the entry was stored under: a record with another id is refused.
    """
    record = record_from_msgpack(data)
    if record is None or (record_id is not None and record.id != record_id):
        return None
    return record


def _checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _uid() -> int | None:
    return os.geteuid() if hasattr(os, "geteuid") else None


def _ours(st: os.stat_result, kind: int) -> bool:
    """Of ``kind`` (a folder or a file), ours, and no one else may write to it."""
    uid = _uid()
    return (
        stat.S_IFMT(st.st_mode) == kind
        and (uid is None or st.st_uid == uid)
        and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def _private(folder: Path) -> bool:
    """The folder exists (not through a link), belongs to us, and no one else can write to it."""
    try:
        st = folder.lstat()
    except OSError:
        return False
    return _ours(st, stat.S_IFDIR)


def _private_file(path: Path) -> bool:
    """A cache file that is absent, or ours, not a link, and open to no one else at all."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return _ours(st, stat.S_IFREG) and not st.st_mode & 0o077


def _create_private(path: Path) -> bool:
    """Create the cache file owner-only (never through a link) and check it."""
    flags = os.O_CREAT | os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError:
        return False
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    return _ours(st, stat.S_IFREG) and not st.st_mode & 0o077


#: A row of ``files``, ``records`` or ``verdicts`` (the columns of :data:`_FILES_IN`... after
#: the key), as SQLite gives it: checked by the method that uses it.
_Row = tuple[object, ...]


class _Remembered:
    """The rows :meth:`RecordCache.remember` read for one chunk, by key (``None``: absent)."""

    __slots__ = ("files", "records", "verdicts")

    def __init__(self) -> None:
        self.files: dict[str, _Row | None] = {}
        self.records: dict[str, _Row | None] = {}
        self.verdicts: dict[str, _Row | None] = {}


def _batches(values: list[T]) -> Iterator[list[T]]:
    """``values`` in lists of at most :data:`_BATCH` (the values one query binds)."""
    for start in range(0, len(values), _BATCH):
        yield values[start : start + _BATCH]


def _marks(values: Sized) -> str:
    """``?, ?, ?``: one placeholder a value."""
    return ", ".join("?" * len(values))


class RecordCache:
    """Parsed records by content digest, and file identities by path.

    Several processes may use it at once: each worker of a cohort scan reads it
    (:meth:`digest_for`, :meth:`lookup`) and writes what it parsed (:meth:`store`, one
    transaction a chunk; SQLite's write-ahead log lets readers go on meanwhile, and a writer
    waits for another's transaction).  ``readonly`` opens an existing cache without creating or
    changing anything.  Every method fails soft: a cache that cannot be opened, read or written
    behaves as an empty one.
    """

    def __init__(self, folder: Path, *, readonly: bool = False) -> None:
        import sqlite3  # noqa: PLC0415 - one record's commands never open the cache (issue 14)

        self.folder = folder
        self.db: sqlite3.Connection | None = None
        self._remembered = _Remembered()
        try:
            if not readonly:
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not _private(folder):
                return
            path = folder / _FILE
            if not all(_private_file(Path(f"{path}{s}")) for s in _SUFFIXES):
                return
            if readonly:
                if not path.exists():
                    return
                self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            else:
                _remove(folder, _OLD_FILES)  # an older format's (pickles): unusable, personal
                if not _create_private(path):
                    return
                self.db = sqlite3.connect(path)
                self.db.executescript(_SCHEMA)
                self.db.executescript(_TUNING)
        except (OSError, sqlite3.Error):
            self.close()

    def close(self) -> None:
        """Close the database (safe to call twice)."""
        import sqlite3  # noqa: PLC0415 - one record's commands never open the cache (issue 14)

        if self.db is not None:
            with contextlib.suppress(sqlite3.Error):
                self.db.close()
        self.db = None

    def digest_for(self, path: str, st: os.stat_result, now: int | None = None) -> str | None:
        """The digest recorded for a file whose identity is unchanged and settled, else None.

        Settled: the file's modification and change times are :data:`SETTLE_NS` older than the
        moment its digest was taken, and than ``now`` (default: the clock).
        """
        import sqlite3  # noqa: PLC0415 - one record's commands never open the cache (issue 14)

        if self.db is None:
            return None
        files = self._remembered.files
        if path in files:
            row = files[path]
        else:
            try:
                row = self.db.execute(
                    "SELECT dev, ino, size, mtime, ctime, checked, digest FROM files "
                    "WHERE path = ?",
                    (path,),
                ).fetchone()
            except sqlite3.Error:
                return None
        if row is None or tuple(row[:5]) != identity(st) or not isinstance(row[5], int):
            return None
        now = time.time_ns() if now is None else now
        newest = max(st.st_mtime_ns, st.st_ctime_ns)
        if newest > min(row[5], now) - SETTLE_NS:
            return None
        return str(row[6])

    def lookup(self, digest: str) -> Record | None:
        """The record parsed from content with this digest, if cached by this version and sound."""
        import sqlite3  # noqa: PLC0415 - one record's commands never open the cache (issue 14)

        if self.db is None:
            return None
        records = self._remembered.records
        if digest in records:
            row = records[digest]
        else:
            try:
                row = self.db.execute(
                    "SELECT format, record_id, checksum, data FROM records WHERE digest = ?",
                    (digest,),
                ).fetchone()
            except sqlite3.Error:
                return None
        if row is None or row[0] != _FORMAT:
            return None
        record_id, checksum, data = row[1], row[2], row[3]
        if not isinstance(data, bytes) or not isinstance(record_id, str):
            return None
        if checksum != _checksum(data):
            return None
        return decode(data, record_id)

    def verdict(self, key: str, record_id: str) -> tuple[Problem, ...] | None:
        """The remembered verdict under ``key`` (empty: valid), if sound; else ``None``."""
        import sqlite3  # noqa: PLC0415 - one record's commands never open the cache (issue 14)

        if self.db is None:
            return None
        verdicts = self._remembered.verdicts
        if key in verdicts:
            row = verdicts[key]
        else:
            try:
                row = self.db.execute(
                    "SELECT format, record_id, checksum, data FROM verdicts WHERE key = ?",
                    (key,),
                ).fetchone()
            except sqlite3.Error:
                return None
        if row is None or row[0] != _FORMAT or row[1] != record_id:
            return None
        checksum, data = row[2], row[3]
        if not isinstance(data, bytes) or checksum != _checksum(data):
            return None
        return decode_verdict(data)

    def remember(self, paths: Sequence[str], context: str | None = None) -> None:
        """Read what the cache holds for these files in a few queries, instead of three a file.

        A scan calls it once a chunk (:func:`ecf.sources.read_files`): the identities of the
        files, the records of the digests found, and with ``context`` (:func:`verdict_context`)
        their verdicts, each in one query per :data:`_BATCH` values.  :meth:`digest_for`,
        :meth:`lookup` and :meth:`verdict` then take a row from memory when it was read here
        (absent here: absent), and check it exactly as one they query.  What was remembered
        for the chunk before is let go.
        """
        import sqlite3  # noqa: PLC0415 - one record's commands never open the cache (issue 14)

        self._remembered = _Remembered()
        if self.db is None:
            return
        found = _Remembered()
        try:
            found.files = dict.fromkeys(paths)
            for path, *row in self._select_in(_FILES_IN, list(found.files)):
                found.files[path] = tuple(row)
            digests = [
                r[6] for r in found.files.values() if r is not None and isinstance(r[6], str)
            ]
            found.records = dict.fromkeys(digests)
            for digest, *row in self._select_in(_RECORDS_IN, list(found.records)):
                found.records[digest] = tuple(row)
            if context is not None:
                found.verdicts = dict.fromkeys(verdict_key(d, context) for d in found.records)
                for key, *row in self._select_in(_VERDICTS_IN, list(found.verdicts)):
                    found.verdicts[key] = tuple(row)
        except sqlite3.Error:
            return
        self._remembered = found

    def holds(self, digest: str) -> bool:
        """Whether :meth:`remember` found a record under this digest (not yet checked)."""
        return self._remembered.records.get(digest) is not None

    def remember_contents(self, digests: Sequence[str]) -> None:
        """Read the records of these digests too, in one query per :data:`_BATCH` values.

        A scan calls it after :meth:`remember`, with the digests of the files it read because
        their identity was not known (:func:`ecf.sources.read_files`): :meth:`lookup` then
        takes their rows from memory (absent here: absent), checked as ever.
        """
        import sqlite3  # noqa: PLC0415 - one record's commands never open the cache (issue 14)

        if self.db is None:
            return
        records = self._remembered.records
        wanted = [d for d in dict.fromkeys(digests) if d not in records]
        found: dict[str, _Row | None] = dict.fromkeys(wanted)
        try:
            for digest, *row in self._select_in(_RECORDS_IN, wanted):
                found[digest] = tuple(row)
        except sqlite3.Error:
            return
        records.update(found)

    def _select_in(self, query: str, values: list[str]) -> Iterator[tuple[Any, ...]]:
        """The rows of ``query`` ending ``IN (?, ...)`` for ``values``, a batch at a time."""
        if self.db is None:
            return
        for part in _batches(values):
            # Only placeholders are formatted in; every value is bound.
            yield from self.db.execute(f"{query} IN ({_marks(part)})", part)

    def store(self, entries: Iterable[Entry], verdicts: Iterable[Verdict] = ()) -> None:
        """Write the entries and the verdicts in one transaction.

        What :meth:`remember` read is let go: after a write, the database answers.
        """
        import sqlite3  # noqa: PLC0415 - one record's commands never open the cache (issue 14)

        self._remembered = _Remembered()
        if self.db is None:
            return
        entries = list(entries)
        try:
            with self.db:
                self.db.executemany(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(e.path, *e.identity, e.digest, e.checked, e.record_id) for e in entries],
                )
                self.db.executemany(
                    "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?)",
                    [
                        (e.digest, _FORMAT, e.record_id, _checksum(e.data), e.data)
                        for e in entries
                        if e.data is not None
                    ],
                )
                self.db.executemany(
                    "INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?, ?)",
                    [(v.key, _FORMAT, v.record_id, _checksum(v.data), v.data) for v in verdicts],
                )
        except sqlite3.Error:
            return

    def forget(self, record_id: str) -> int:
        """Remove every entry of one record, leaving no trace of it in the file; how many."""
        import sqlite3  # noqa: PLC0415 - one record's commands never open the cache (issue 14)

        if self.db is None:
            return 0
        try:
            self.db.execute("PRAGMA secure_delete = ON")
            with self.db:
                removed = self.db.execute(
                    "DELETE FROM records WHERE record_id = ?", (record_id,)
                ).rowcount
                self.db.execute("DELETE FROM files WHERE record_id = ?", (record_id,))
                self.db.execute("DELETE FROM verdicts WHERE record_id = ?", (record_id,))
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.db.execute("VACUUM")
        except sqlite3.Error:
            return 0
        return max(removed, 0)


def forget(record_id: str, folder: Path | None = None) -> int:
    """Remove what the cache holds of one record (``ecf anonymise`` calls it).

    Args:
        record_id: The record's id.
        folder: The cache folder (default: :func:`default_cache_dir`).

    Returns:
        How many cached records were removed (a record's older versions count too).
    """
    folder = default_cache_dir() if folder is None else folder
    _remove(folder, _OLD_FILES)  # an older format's file may hold the record too
    if not (folder / _FILE).exists():
        return 0
    cache = RecordCache(folder)
    try:
        return cache.forget(record_id)
    finally:
        cache.close()


def clear(folder: Path | None = None) -> list[Path]:
    """Remove the cache's files (of every format) from its folder; return those removed.

    Only the cache's own files are removed, never the folder or anything else in it.
    """
    folder = default_cache_dir() if folder is None else folder
    return _remove(folder, (_FILE, *_OLD_FILES))


def _remove(folder: Path, names: Iterable[str]) -> list[Path]:
    """Remove these cache files (with their journals) from ``folder``; those removed."""
    removed: list[Path] = []
    for name in names:
        for suffix in _SUFFIXES:
            path = folder / f"{name}{suffix}"
            try:
                path.unlink()
            except OSError:  # absent, or not ours to remove
                continue
            removed.append(path)
    return removed
