"""The anonymised people of a records folder, so that an HR import does not bring them back.

``ecf anonymise`` gives a record a new random id; the council's HR system still knows the
person by the old one, and its next export would create the person again.  So the folder keeps
a tombstone: the hidden file ``.ecf-anonymised`` beside the records, one line per anonymised
identifier, each a sha256 digest (``id:`` or ``swe:`` and the value, hashed): no name, no id,
no registration number in clear, only what lets ``ecf import`` recognise a row of a person who
was anonymised (it then skips the row, unless ``--include-anonymised``).

The file is only ever appended to, owner-only (``0600``), never through a link.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ecf import limits
from ecf.errors import EcfError, Problem

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["TOMBSTONE", "add", "anonymised", "marks"]

#: The tombstone's name, in the records folder.
TOMBSTONE = ".ecf-anonymised"
_HEADER = b"# ecf: digests of the ids of anonymised people (ecf anonymise); not personal data\n"


def marks(record_id: str | None, swe: str | None = None) -> tuple[str, ...]:
    """The digests that stand for a person's id and registration number in a tombstone."""
    out = []
    for kind, value in (("id", record_id), ("swe", swe)):
        if value and value.strip():
            text = f"{kind}:{value.strip()}".encode("utf-8", "surrogateescape")
            out.append("sha256:" + hashlib.sha256(text).hexdigest())
    return tuple(out)


def _read(folder: Path) -> frozenset[str]:
    path = folder / TOMBSTONE
    if path.is_symlink() or not path.is_file():
        return frozenset()
    try:
        data = limits.read_limited(path, EcfError)
    except OSError:
        return frozenset()
    lines = data.decode("utf-8", "replace").splitlines()
    return frozenset(line.strip() for line in lines if line.startswith("sha256:"))


def anonymised(folder: str | os.PathLike[str], record_id: str, swe: str | None = None) -> bool:
    """Whether the folder's tombstone holds the person with this id (or registration number)."""
    held = _read(Path(folder))
    return any(mark in held for mark in marks(record_id, swe))


def add(folder: str | os.PathLike[str], new_marks: Iterable[str]) -> None:
    """Append digests to the folder's tombstone (made owner-only if new).

    Raises:
        EcfError: the tombstone is a link or cannot be written.
    """
    path = Path(folder) / TOMBSTONE
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise EcfError(
            [
                Problem(
                    f"cannot write the tombstone of anonymised ids: {exc.strerror}", file=str(path)
                )
            ]
        ) from exc
    try:
        lines = b"".join(f"{m}\n".encode() for m in new_marks)
        os.write(fd, (_HEADER if os.fstat(fd).st_size == 0 else b"") + lines)
        os.fsync(fd)
    finally:
        os.close(fd)
