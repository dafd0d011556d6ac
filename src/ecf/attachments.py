"""Attachments: the files a record's evidence refers to, kept inside the record's folder.

An attachment is a path relative to the record's folder, or an ``https://`` or ``http://`` URL,
which ecf never fetches; either way with the sha256 of what it names, so that a later change to
the file is seen.  Three uses, one set of rules:

* :func:`attach`: the attachment a new piece of evidence keeps (``ecf add evidence --attach``);
* :func:`check_attachments`: every attached file still there and unchanged (``ecf validate
  --attachments``);
* :func:`attachment_file`: where a reference leads, refused when it leads out of the folder.

A file is read without blocking (a pipe never waits for a writer) and must be a regular file.
Errors do not show an attached file's name: it may name the person.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING

from ecf import _arguments as arguments
from ecf import limits
from ecf.errors import Problem, RecordError
from ecf.records import Attachment

if TYPE_CHECKING:
    from ecf.records import Record

__all__ = [
    "URL_PREFIXES",
    "Unreadable",
    "attach",
    "attachment_file",
    "check_attachments",
    "is_url",
    "sha256_regular",
]

#: What an attachment may name instead of a file in the record's folder (never fetched).
URL_PREFIXES = ("https://", "http://")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(ref: str) -> bool:
    """Whether an attachment reference is a URL (``https://`` or ``http://``)."""
    return ref[:8].lower().startswith(URL_PREFIXES)


def attachment_file(ref: str, folder: Path) -> Path | None:
    """The file an attachment reference names, resolved, which must be inside ``folder``.

    A reference is a path relative to the record's folder, or a URL (``None`` is returned: a
    URL is never fetched).  It is refused when it is absolute, or leads out of the folder by
    ``..`` or by a symbolic link (the path is resolved, links followed, before the check).
    The file need not exist.

    Raises:
        RecordError: naming the reference and what is wrong with it.
    """
    if is_url(ref):
        return None
    if not ref.strip():
        raise RecordError([Problem("an attachment needs a file or a URL", "", ref)])
    if "\x00" in ref:
        raise RecordError([Problem("a file name has no NUL character", "", ref)])
    if _SCHEME.match(ref):
        raise RecordError([Problem("only https:// and http:// URLs are allowed", "", ref)])
    if ref.startswith(("/", "\\")) or PureWindowsPath(ref).drive:
        raise RecordError(
            [
                Problem(
                    "must be a path relative to the record's folder, not an absolute one", "", ref
                )
            ]
        )
    try:
        root = folder.resolve()
        target = (root / ref).resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop (Python 3.11)
        raise RecordError([Problem(f"cannot resolve: {exc}", "", ref)]) from None
    if not target.is_relative_to(root):
        raise RecordError(
            [Problem("is outside the record's folder (by '..' or a symbolic link)", "", ref)]
        )
    return target


class Unreadable(Exception):  # noqa: N818 - a reason, reported as a problem by each caller
    """A file that cannot be hashed: missing, a folder, not a regular file, or unreadable."""

    def __init__(self, message: str, in_folder: str) -> None:
        super().__init__(message)
        self.message = message
        self.in_folder = in_folder


def sha256_regular(target: Path) -> str:
    """The sha256 (hex) of a regular file, opened by :func:`ecf.limits.open_regular`.

    Opened without blocking and checked to be a regular file before it is read (a pipe is
    refused, never waited on); an attachment may be of any size (it is hashed, not parsed).

    Raises:
        Unreadable: no such file, a folder or another kind of file, or unreadable.
    """
    try:
        fd = limits.open_regular(target, RecordError, limit=sys.maxsize)
    except FileNotFoundError:
        raise Unreadable("no such file", "no such file in the record's folder") from None
    except RecordError as exc:  # not a regular file: its kind is said
        raise Unreadable(
            exc.problems[0].message, "not a regular file in the record's folder"
        ) from None
    except OSError as exc:
        raise Unreadable(f"cannot read: {exc.strerror}", f"cannot read: {exc.strerror}") from None
    import hashlib  # noqa: PLC0415 - only an attachment checked needs it (issue 14: OpenSSL)

    try:
        with open(fd, "rb", closefd=False) as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError as exc:
        raise Unreadable(f"cannot read: {exc.strerror}", f"cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)


def attach(record_file: Path, given: object) -> Attachment:
    """The attachment of a file inside the record's folder: its path from there, its sha256.

    Args:
        record_file: The record file; its folder holds the attachments.
        given: The file to attach: a path, absolute or relative to the working folder.

    Raises:
        RecordError: (field ``attach``) not a file name, outside the record's folder, missing,
            or not a regular file.
    """
    target_name = arguments.file_name(given, "attach")
    folder = record_file.resolve().parent
    try:
        target = target_name.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop (3.11)
        why = getattr(exc, "strerror", None) or "a symbolic link loop"
        raise arguments.refuse(f"cannot resolve: {why}", "attach") from None
    if not target.is_relative_to(folder):  # also when a symbolic link leads out
        raise arguments.refuse(f"is outside the record's folder {folder}", "attach")
    ref = target.relative_to(folder).as_posix()
    try:
        attachment_file(ref, folder)  # the rule `ecf validate --attachments` applies
    except RecordError as exc:
        raise RecordError(Problem(p.message, "attach") for p in exc.problems) from None
    try:
        return Attachment(ref, sha256_regular(target))
    except Unreadable as exc:
        raise arguments.refuse(exc.message, "attach") from None


def check_attachments(record: Record, folder: Path) -> list[Problem]:
    """Every problem with the files the record's evidence attaches (this reads them).

    Each attachment must name a file inside ``folder`` (the record's folder: no absolute path,
    no ``..`` or symbolic link leading out of it) that exists and still has the sha256 the
    record holds.  A URL (``https://``, ``http://``) is never fetched, so it is not checked.

    Returns:
        One :class:`~ecf.errors.Problem` per bad attachment, with its field path; empty when
        every local attachment is present and unchanged.
    """
    out: list[Problem] = []
    for i, ev in enumerate(record.evidence):
        if ev.attachment is None:
            continue
        path = f"evidence[{i}].attachment"
        ref = ev.attachment.ref
        try:
            target = attachment_file(ref, folder)
        except RecordError as exc:
            out.extend(Problem(p.message, f"{path}.ref", ref) for p in exc.problems)
            continue
        if target is None:  # a URL
            continue
        try:
            actual = sha256_regular(target)
        except Unreadable as exc:
            out.append(Problem(exc.in_folder, f"{path}.ref", ref))
            continue
        if actual != ev.attachment.sha256:
            out.append(
                Problem(
                    f"the file changed since it was attached: its sha256 is now {actual}",
                    f"{path}.sha256",
                    ev.attachment.sha256,
                )
            )
    return out
