"""Upgrading a record file to the current schema (``ecf migrate``), keeping a backup.

The upgrade itself is pure (:func:`ecf.history.upgrade`); this is the workflow around it, under
the record's lock, as one recoverable step:

1. the file's bytes as read are written to ``FILE.schemaN.bak``: a temporary file created
   exclusively (``O_EXCL``, never through a link), fsynced, then linked to its name (which
   fails when anything holds it, a planted symbolic link included) and the folder fsynced;
2. the upgraded record is written atomically over the file (:func:`ecf.store.save`).

A failed second write (a full disk) removes the backup again: nothing on disk changed.  A kill
between the two leaves the backup and the old file, byte for byte the same: run ``ecf
migrate`` again and it finishes (the backup is kept), as every other command asks.  A kill in
the middle of either write leaves only a temporary file, which the next writer of the record
removes under its lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from ecf import _arguments as arguments
from ecf import signing, store
from ecf.editor import local_today, naming, registry_or_default, stamp, utc_now
from ecf.errors import ConflictError, EcfError, Problem, RecordError
from ecf.history import sign, upgrade
from ecf.records import SCHEMA_VERSION, HistoryEntry
from ecf.validation import ensure_valid

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from ecf.framework import FrameworkRegistry
    from ecf.store import RecordFile

__all__ = ["Migration", "migrate"]


@attrs.frozen
class Migration:
    """What :func:`migrate` did to one record file.

    Attributes:
        path: The record file.
        old_schema: The schema it was written with.
        new_schema: The schema it has now (or would have, after a dry run).
        backup: ``FILE.schemaN.bak``, the file as it was; ``None`` when it was already current.
        written: Whether the file was upgraded (not for a dry run, or a file already current).
    """

    path: Path
    old_schema: int
    new_schema: int
    backup: Path | None
    written: bool

    @property
    def needed(self) -> bool:
        """Whether the file was of an older schema."""
        return self.old_schema < self.new_schema


def migrate(
    path: str | os.PathLike[str],
    *,
    by: str,
    dry_run: bool = False,
    registry: FrameworkRegistry | None = None,
    today: dt.date | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> Migration:
    """Upgrade a record file to the current schema (``ecf migrate``), keeping a backup.

    Under the record's lock, the file's bytes as read are copied to ``FILE.schemaN.bak`` (N:
    its schema) beside it, then the upgraded record is written: its history chained and its
    decisions sealed by one ``migrate`` entry (:func:`ecf.history.upgrade`).  An existing
    backup is never replaced; a file already current is left alone.

    Args:
        path: The record file.
        by: Who migrates it, for the history.
        dry_run: Check what would be done; write nothing.
        registry: The frameworks (default: :meth:`FrameworkRegistry.default`).
        today: The date the checks take as today (default: the local date).
        clock: Gives the time of the history entry (default: :func:`utc_now`).

    Returns:
        The schemas before and after, the backup, and whether the file was written.

    Raises:
        ConflictError: a backup exists already, or the file changed on disk meanwhile.
        RecordError: the file is missing, malformed, or invalid once upgraded; nothing is
            written.
    """
    file = arguments.file_name(path)
    with naming(file):
        author = arguments.by(by)
    frameworks = registry_or_default(registry)
    day = local_today() if today is None else today
    with store.locked(file):
        opened = store.open_record(file)
        old = opened.record.schema_version
        if old >= SCHEMA_VERSION:
            return Migration(file, old, old, None, written=False)
        with naming(file):
            entry = HistoryEntry(
                stamp(clock or utc_now), author, "migrate", f"schema {old} to {SCHEMA_VERSION}"
            )
        upgraded = ensure_valid(upgrade(opened.record, entry), frameworks, day, file=str(file))
        with naming(file):
            upgraded = sign(upgraded, len(upgraded.history) - 1, signing.current_key())
        backup = file.with_name(f"{file.name}.schema{old}.bak")
        if dry_run:
            return Migration(file, old, SCHEMA_VERSION, backup, written=False)
        made = _write_backup(opened, backup)
        try:
            store.save(opened, upgraded)
        except EcfError:
            if made:
                backup.unlink(missing_ok=True)  # ours, just made: nothing on disk changes
            raise
        return Migration(file, old, SCHEMA_VERSION, backup, written=True)


def _conflict(file: Path, message: str) -> ConflictError:
    return ConflictError([Problem(message, file=str(file))])


def _read_nofollow(path: Path) -> bytes | None:
    """The bytes of an existing backup, never through a link; None when there is none.

    Raises:
        ConflictError: the name is a link, or not a regular file (a FIFO, a folder...).
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if path.is_symlink():  # a dangling link: open() said no such file
            raise _conflict(path, "is a link, not a backup; not followed nor replaced") from None
        return None
    except OSError as exc:
        raise _conflict(path, "is a link, not a backup; not followed nor replaced") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _conflict(path, "is not a regular file; not replaced")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _write_backup(opened: RecordFile, backup: Path) -> bool:
    """Write the bytes ``opened`` was read from to a new ``backup``, or find them there.

    The backup is written as the record is: a temporary file (created exclusively, never
    through a link), fsynced, then linked to its name, which fails if anything holds the name
    (a planted link included), and the folder fsynced.  A backup holding exactly these bytes
    is what a migration interrupted after its first write left: it is kept, and the migration
    finishes.

    Returns:
        Whether the backup was made now (False: an interrupted migration's was found).

    Raises:
        ConflictError: another backup holds the name (or a link, or not a regular file), or
            the record changed on disk since it was read.
        RecordError: the record cannot be read again, or the backup cannot be written.
    """
    file = opened.path
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise RecordError([Problem(f"cannot read: {exc.strerror}", file=str(file))]) from exc
    if hashlib.sha256(data).hexdigest() != opened.digest:
        raise _conflict(
            file, "changed on disk since it was read; not written, run the command again"
        )
    found = _read_nofollow(backup)
    if found is not None:
        if found == data:
            return False  # an interrupted migration's backup: finish it
        raise _conflict(file, f"a backup {backup.name} exists already; not replaced")
    folder = file.parent if str(file.parent) else Path()
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise RecordError(
            [Problem(f"cannot write the backup: {exc.strerror}", file=str(file))]
        ) from exc
    tmp = Path(tmp_name)
    try:
        try:
            st = file.stat()
            os.fchmod(fd, st.st_mode & 0o7777)  # as a copy keeps them: the file's mode and times
            os.write(fd, data)
            os.fsync(fd)
            os.utime(fd, ns=(st.st_atime_ns, st.st_mtime_ns))
        finally:
            os.close(fd)
        try:
            os.link(tmp, backup)  # never follows, never replaces: fails if the name is taken
        except FileExistsError:
            raise _conflict(file, f"a backup {backup.name} exists already; not replaced") from None
        _fsync_folder(folder)
    except OSError as exc:
        raise RecordError(
            [Problem(f"cannot write the backup: {exc.strerror}", file=str(file))]
        ) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return True


def _fsync_folder(folder: Path) -> None:
    """Make the backup's new name durable (as :func:`ecf.store.atomic_write` does its own)."""
    with contextlib.suppress(OSError):  # not every platform can open a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
