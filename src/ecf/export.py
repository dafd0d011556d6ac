"""Exports: CSV safe to open in a spreadsheet, JSON, JSON Lines; pseudonymised on request.

* CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return) are written with a leading ``'`` (OWASP's advice on CSV injection),
  so an id or a note cannot run in Excel.
* ``pseudonymise`` replaces record ids with a keyed hash (HMAC-SHA256): the same id and key give
  the same pseudonym, so exports can be joined, but no one without the key can reverse it or
  check a guess.  Names are never exported pseudonymised: the practitioner's, and the
  assessor's (a colleague's name is personal data too; :data:`NAMES`).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
from typing import TYPE_CHECKING, Any

from ecf import limits
from ecf.errors import EcfError, Problem

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

__all__ = [
    "KEY_ENV",
    "NAMES",
    "csv_rows",
    "csv_text",
    "json_lines",
    "pseudonym",
    "pseudonymise",
    "read_key",
    "safe_cell",
]

#: Environment variable holding the pseudonymisation key (or use a key file).
KEY_ENV = "ECF_PSEUDONYM_KEY"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Fields that identify a person or a record, replaced when pseudonymising.
IDENTIFYING = ("id",)
#: Fields holding a person's name, dropped when pseudonymising.
NAMES = ("name", "assessor")


def safe_cell(value: object) -> str:
    """A value as a CSV cell a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_text(records: Iterable[Mapping[str, Any]], columns: list[str]) -> str:
    """Rows as CSV with a header, every cell made safe."""
    out = io.StringIO()
    # Rows end in CRLF (RFC 4180): the writer quotes a cell holding any character of the line
    # terminator, so with "\n" alone a bare "\r" inside a cell would start a new row there
    # (and that row's first cell could be a formula).
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in records:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return out.getvalue()


def csv_rows(records: Iterable[Mapping[str, Any]], columns: list[str]) -> Iterator[str]:
    """:func:`csv_text` a row at a time: the header's line, then each row's, lazily.

    Joined, the pieces are :func:`csv_text` byte for byte; a report of any size is written
    without holding it whole.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    yield out.getvalue()
    for row in records:
        out.seek(0)
        out.truncate()
        writer.writerow([safe_cell(row.get(c)) for c in columns])
        yield out.getvalue()


def json_lines(records: Iterable[Mapping[str, Any]]) -> Iterable[str]:
    """Rows as JSON Lines, one object per line."""
    for row in records:
        yield json.dumps(row, ensure_ascii=False, default=str)


def read_key(key_file: str | os.PathLike[str] | None = None) -> bytes:
    """The pseudonymisation key: from a file, else from ``ECF_PSEUDONYM_KEY``.

    Raises:
        EcfError: when there is no key, or it is shorter than 16 bytes.
    """
    if key_file is not None:
        try:
            key = limits.read_limited(key_file, EcfError, what="a key file").strip()
        except OSError as exc:
            raise EcfError(
                [Problem(f"cannot read the key file: {exc.strerror}", file=str(key_file))]
            ) from exc
    else:
        key = os.environ.get(KEY_ENV, "").encode()
    if len(key) < 16:  # noqa: PLR2004
        raise EcfError(
            [
                Problem(
                    f"pseudonymising needs a key of 16 bytes or more: --key-file FILE or ${KEY_ENV}"
                )
            ]
        )
    return key


def pseudonym(key: bytes, value: str) -> str:
    """A stable, keyed pseudonym for an id (``p-`` and 16 hex digits)."""
    return "p-" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:16]


def pseudonymise(row: Mapping[str, Any], key: bytes) -> dict[str, Any]:
    """A copy of an export row with its identifying fields replaced by pseudonyms, names dropped."""
    out = dict(row)
    for field in IDENTIFYING:
        if isinstance(out.get(field), str):
            out[field] = pseudonym(key, out[field])
    for field in NAMES:
        out.pop(field, None)
    return out
