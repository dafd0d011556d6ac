"""A record file's text with entries appended, written without a tomlkit round trip (issue 14).

Most changes to a record only append: ``ecf add evidence`` appends an ``[[evidence]]`` entry and
a ``[[history]]`` entry.  The store's general patch (:func:`ecf.store.save`) parses the whole
file with tomlkit and renders it again, which costs more the longer the record (about 190 ms at
200 history entries).  :func:`appended` writes the same bytes for that one case by splicing the
new entries' text in after each array's last entry, and gives up (``None``: the store patches
with tomlkit, as before) whenever the file or the change is anything else:

* a change that is not only new entries at the end of arrays of tables that exist already;
* a file that is not plain LF text ending in a newline, or holds a multi-line string (a line
  inside one could look like a table header);
* a file whose table headers are not all plain ``[name]`` / ``[[name]]`` lines of the record's
  own keys (a dotted or quoted header, a comment after one, an indented line starting with
  ``[``), or whose entries of an array are not written as one run of ``[[name]]`` tables, one
  per entry;
* a value tomlkit would write otherwise than the few shapes below (a table in an entry, an
  array of tables, a time of day, a key that needs quotes).

Where tomlkit puts a new entry, and how it writes it, is what :func:`ecf.store._patch` asks of
it; ``tests/test_append.py`` compares the two over generated records, layouts and changes.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

__all__ = ["appended"]

#: A line that starts a table, or may: anything starting with ``[`` after optional blanks.
_BRACKETED = re.compile(r"^[ \t]*\[.*$", re.MULTILINE)

#: How tomlkit escapes a character in a basic string: control characters, ``"`` and ``\``
#: (a table for :meth:`str.translate`, which needs no pattern compiled at each start).
_ESCAPES = {c: f"\\u{c:04x}" for c in (*range(0x20), 0x7F)} | {
    ord(c): f"\\{e}" for c, e in zip('\b\t\n\f\r"\\', 'btnfr"\\', strict=True)
}


#: The characters of a bare key.
_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class _Unsupported(Exception):  # noqa: N818 - a private signal, never raised out of the module
    """A value tomlkit would write in a shape this module does not write."""


def appended(text: str, old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """``text`` (the file of ``old``) made to hold ``new``, as tomlkit's patch would write it.

    Args:
        text: The record file's text, as read.
        old: The record the text holds, as plain data (:func:`ecf.records.record_to_dict`).
        new: The record to write, as plain data.

    Returns:
        The new text, or ``None`` when the change or the file is not a plain append (see the
        module's summary): the caller patches the file with tomlkit then.
    """
    additions = _additions(old, new)
    if not additions or not _plain_text(text):
        return None
    spans = _spans(text, old)
    if spans is None or any(key not in spans for key in additions):
        return None
    try:
        inserts = [
            (spans[key], _entries(key, more, text[max(0, spans[key] - 2) : spans[key]]))
            for key, more in additions.items()
        ]
    except _Unsupported:
        return None
    for position, chunk in sorted(inserts, reverse=True):  # from the end: offsets stay true
        text = text[:position] + chunk + text[position:]
    return text


def _additions(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The entries ``new`` appends to each array of tables of ``old``; empty if that is not all."""
    if old.keys() != new.keys():
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    for key, after in new.items():
        before = old[key]
        if after == before:
            continue
        if not (
            isinstance(before, list)
            and isinstance(after, list)
            and 0 < len(before) < len(after)
            and after[: len(before)] == before
            and all(isinstance(entry, dict) for entry in after)
        ):
            return {}
        out[key] = after[len(before) :]
    return out


def _plain_text(text: str) -> bool:
    """LF text ending in a newline, without multi-line strings."""
    return text.endswith("\n") and "\r" not in text and '"""' not in text and "'''" not in text


def _spans(text: str, old: dict[str, Any]) -> dict[str, int] | None:
    """Where each array of tables of ``old`` ends in ``text`` (the offset after its last entry).

    ``None`` if a line that starts with ``[`` is not a plain header of one of the record's keys,
    or an array's entries are not one run of ``[[name]]`` headers, one per entry.
    """
    headers: list[tuple[str, bool, int]] = []  # (name, an array's entry, offset of the line)
    for line in _BRACKETED.finditer(text):
        found = line.group()
        entry = found.startswith("[[") and found.endswith("]]")
        name = found[2:-2] if entry else found[1:-1] if found.endswith("]") else ""
        if name not in old:  # the record's keys are bare: a quoted or dotted header is not one
            return None
        headers.append((name, entry, line.start()))
    ends: dict[str, int] = {}
    seen: set[str] = set()
    for index, (name, entry, _) in enumerate(headers):
        value = old[name]
        if entry != isinstance(value, list) or (name in seen and headers[index - 1][0] != name):
            return None  # [name] for an array, [[name]] for a table, or an array in two runs
        seen.add(name)
        if entry:
            ends[name] = headers[index + 1][2] if index + 1 < len(headers) else len(text)
    for name in ends:
        if sum(1 for header in headers if header[0] == name) != len(old[name]):
            return None
    return ends


def _entries(key: str, entries: list[dict[str, Any]], tail: str) -> str:
    """The text of new ``[[key]]`` entries, after an array whose text ends with ``tail``.

    As :func:`ecf.store._patch` has tomlkit write them: a blank line before each entry unless
    the array ends with one already, and a blank line after it.
    """
    chunk = ""
    for entry in entries:
        lines = "".join(f"{_key(name)} = {_value(value)}\n" for name, value in entry.items())
        blank = "" if (tail + chunk).endswith("\n\n") else "\n"
        chunk += f"{blank}[[{key}]]\n{lines}\n"
    return chunk


def _key(name: str) -> str:
    """A key as tomlkit writes it: bare when it may be, as all of a record's keys are."""
    if not name or not _BARE.issuperset(name):
        raise _Unsupported
    return name


def _value(value: object) -> str:  # noqa: PLR0911 - one return per type
    """A value as tomlkit writes it (scalars, arrays of them, inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return '"' + value.translate(_ESCAPES) + '"'
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        if any(isinstance(v, dict | list) for v in value):
            raise _Unsupported
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if any(isinstance(v, list) and any(isinstance(i, dict) for i in v) for v in value.values()):
            raise _Unsupported
        fields = (f"{_key(k)} = {_value(v)}" for k, v in value.items())
        return "{" + ", ".join(fields) + "}"
    raise _Unsupported
