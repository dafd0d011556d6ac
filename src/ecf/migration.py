"""Upgrading a record file to the current schema (``ecf migrate``), keeping a backup.

The upgrade itself is pure (:func:`ecf.history.upgrade`); this is the workflow around it, under
the record's lock: the file's bytes as read are copied to ``FILE.schemaN.bak``, then the
upgraded record is written atomically, and the backup is removed again if that write fails.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
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
    import os
    from collections.abc import Callable
    from pathlib import Path

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
        _write_backup(opened, backup)
        try:
            store.save(opened, upgraded)
        except EcfError:
            backup.unlink(missing_ok=True)  # ours, just made: nothing on disk changes
            raise
        return Migration(file, old, SCHEMA_VERSION, backup, written=True)


def _write_backup(opened: RecordFile, backup: Path) -> None:
    """Write the bytes ``opened`` was read from to a new ``backup`` (never replaced).

    Raises:
        ConflictError: the backup exists, or the record changed on disk since it was read.
        RecordError: the record cannot be read again, or the backup cannot be written.
    """
    file = opened.path
    exists = ConflictError(
        [Problem(f"a backup {backup.name} exists already; not replaced", file=str(file))]
    )
    if backup.exists() or backup.is_symlink():
        raise exists
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise RecordError([Problem(f"cannot read: {exc.strerror}", file=str(file))]) from exc
    if hashlib.sha256(data).hexdigest() != opened.digest:
        raise ConflictError(
            [
                Problem(
                    "changed on disk since it was read; not written, run the command again",
                    file=str(file),
                )
            ]
        )
    try:
        store.atomic_write(backup, data, expect_digest=None)  # refuses to replace a file
    except ConflictError:
        raise exists from None
    with contextlib.suppress(OSError):  # as a copy keeps them: the mode and times of the file
        shutil.copystat(file, backup)
