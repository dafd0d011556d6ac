"""Anonymising a record file completely (``ecf anonymise``): the record, and every trace of it.

:func:`ecf.privacy.anonymise` strips the personal data from a record (pure); the
:class:`~ecf.editor.Editor` writes it in place.  What remains of the person around the file is
this workflow's:

1. a symbolic link or a file with other hard links is refused: anonymising through a link
   would leave the file it names (or the other names of it) holding the personal data;
2. the folder's tombstone gets the digests of the old id and registration number
   (:mod:`ecf.tombstones`), so that an HR import does not create the person again;
3. the record is anonymised and written in place, atomically, under its lock;
4. a file named after the person (its old id, registration number or a part of the name) is
   renamed to ``<new id>.toml``;
5. its backups (``FILE.schemaN.bak``, written by ``ecf migrate``: whole copies with the
   personal data) and the lock files named after it are removed;
6. the record cache (``$ECF_CACHE_DIR``) forgets every version of it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from ecf import _arguments as arguments
from ecf import store, tombstones
from ecf.cache import default_cache_dir, forget
from ecf.editor import edit
from ecf.errors import Problem, RecordError

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from ecf.framework import FrameworkRegistry
    from ecf.records import Record

__all__ = ["Anonymised", "anonymise_file"]

_WORD = re.compile(r"[^\W_]{3,}")


@attrs.frozen
class Anonymised:
    """What :func:`anonymise_file` did.

    Attributes:
        path: The record file now (renamed when its name named the person).
        was: The record file as given.
        id: The record's new, random id.
        removed: The backups and lock files removed.
        cached: How many cached versions of the record the cache forgot.
    """

    path: Path
    was: Path
    id: str
    removed: tuple[Path, ...]
    cached: int


def _refuse_links(file: Path) -> None:
    try:
        st = file.lstat()
    except OSError:
        return  # the edit says what is wrong with it
    if file.is_symlink():
        raise RecordError(
            [
                Problem(
                    "is a symbolic link: anonymise the file it names (a link would leave the "
                    "personal data under another name)",
                    file=str(file),
                )
            ]
        )
    if st.st_nlink > 1:
        raise RecordError(
            [
                Problem(
                    f"has {st.st_nlink} hard links: the other names would keep the personal "
                    "data; remove them first",
                    file=str(file),
                )
            ]
        )


def names_the_person(file_name: str, record: Record) -> bool:
    """Whether a file name holds the record's id, registration number or a part of the name."""
    stem = file_name.casefold()
    values = [record.id, record.swe or "", *_WORD.findall(record.name)]
    return any(v and v.casefold() in stem for v in values)


def _rename(old: Path, new: Path) -> None:
    """Give the file a new name (never replacing a file there), durably."""
    try:
        os.link(old, new)
        old.unlink()
    except OSError as exc:
        raise RecordError(
            [Problem(f"anonymised, but not renamed to {new.name}: {exc.strerror}", file=str(old))]
        ) from exc
    with contextlib.suppress(OSError):
        fd = os.open(old.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def anonymise_file(
    path: str | os.PathLike[str],
    *,
    reason: str,
    by: str,
    registry: FrameworkRegistry | None = None,
    today: dt.date | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Anonymised:
    """Anonymise a record file and remove every trace of the person around it.

    See the module's docstring for the steps.

    Args:
        path: The record file (not a link to it).
        reason: Why the personal data is removed (kept in the history; do not name the person).
        by: Who anonymises it, for the history.
        registry: The frameworks (default: :meth:`FrameworkRegistry.default`).
        today: The date the checks take as today (default: the local date).
        clock: Gives the time of the history entry (default: now, in UTC).
        cache_dir: The record cache to purge (default: :func:`ecf.cache.default_cache_dir`;
            a cache folder that does not exist is left so).

    Returns:
        Where the record is now, its new id, what was removed.

    Raises:
        RecordError: a link, a file with other hard links, no reason, or any refusal of
            :meth:`ecf.editor.Editor.anonymise`; nothing is changed.
    """
    file = arguments.file_name(path)
    _refuse_links(file)
    with edit(file, by=by, registry=registry, today=today, clock=clock) as editor:
        old = editor.record
        editor.anonymise(reason)
        # Before the write: a crash after it must not leave a person HR would create again.
        tombstones.add(file.parent, tombstones.marks(old.id, old.swe))
    new = editor.record
    target = file
    removed: list[Path] = []
    if names_the_person(file.name, old):
        target = file.with_name(f"{new.id}.toml")
        _rename(file, target)
        removed.append(store.lock_path(file))
    removed.append(store.legacy_lock_path(file))
    removed.extend(file.parent.glob(f"{glob.escape(file.name)}.schema*.bak"))
    gone = []
    for extra in removed:
        with contextlib.suppress(FileNotFoundError):
            extra.unlink()
            gone.append(extra)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cached = forget(old.id, folder) if folder.is_dir() else 0
    return Anonymised(target, file, new.id, tuple(gone), cached)
