"""Shipped TOML data (frameworks, rules) read from a compiled, data-only form keyed by content.

Parsing the shipped framework and rule files with the limits checks costs one record's command
a few milliseconds at every start (issue 14: one record in a blink).  The parsed data of each
shipped file is therefore shipped too, as JSON, under ``ecf/data/compiled/SHA256.json``, where
``SHA256`` is the digest of the TOML file's bytes: a file is read, hashed, and its compiled form
used only when one exists for exactly those bytes.  Any other file (a council's own, or a
shipped file edited after installation) has no compiled form and is parsed as before, so the
result never depends on the compiled form being up to date.  A compiled form that cannot be
read or decoded is ignored, and the TOML parsed.

The compiled form is data only: JSON, read with :func:`json.loads` (no object, no code, no
pickle).  TOML's dates and times, which JSON lacks, are tagged objects (``{"$date":
"2027-09-01"}``); data holding a table shaped like a tag is not compiled (it is parsed).  The
files are written by ``python -m ecf._compiled`` (from the shipped TOML files), and
``tests/test_compiled.py`` fails when one is missing, stale or not equal to the parse.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ecf._hashing import sha256_hex
from ecf.errors import EcfError, Problem
from ecf.limits import parse_toml, read_limited

__all__ = [
    "COMPILED",
    "SHIPPED",
    "compile_data",
    "compiled_path",
    "exact",
    "load_toml",
    "write_all",
]

_DATA = Path(__file__).parent / "data"
#: Where the compiled forms live: one JSON file per shipped TOML file, named by its digest.
COMPILED = _DATA / "compiled"
#: The shipped folders whose TOML files are compiled.
SHIPPED = ("frameworks", "rules")
#: The version of the compiled form: a change of it leaves every older file unused.
FORMAT = 1

_TAGS: dict[str, type[dt.date | dt.datetime | dt.time]] = {
    "$date": dt.date,
    "$datetime": dt.datetime,
    "$time": dt.time,
}


class _NotCompilableError(ValueError):
    """Data holding a value the compiled form cannot carry exactly."""


def compiled_path(content: bytes) -> Path:
    """Where the compiled form of a TOML file with these bytes is, if there is one."""
    return COMPILED / f"{sha256_hex(content)}.json"


def _revive(obj: dict[str, Any]) -> Any:
    """A tagged date, date-time or time back to its value; any other table as it is."""
    if len(obj) == 1:
        ((key, value),) = obj.items()
        kind = _TAGS.get(key)
        if kind is not None and isinstance(value, str):
            return kind.fromisoformat(value)
    return obj


def _tagged(value: Any) -> Any:
    """``value`` with every date, date-time and time tagged for JSON (exactly as parsed)."""
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in _TAGS:
            msg = "a table shaped like a tag"
            raise _NotCompilableError(msg)
        return {k: _tagged(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tagged(v) for v in value]
    if isinstance(value, dt.datetime):  # before date: a datetime is a date
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    return value


def compile_data(data: dict[str, Any]) -> str | None:
    """The compiled form of parsed TOML data, or ``None`` when it cannot carry it exactly."""
    try:
        body = _tagged(data)
    except _NotCompilableError:
        return None
    text = json.dumps({"format": FORMAT, "data": body}, ensure_ascii=False, indent=0)
    back = _decode(text)
    return text if back is not None and exact(back) == exact(data) else None


def exact(value: Any) -> Any:
    """``value`` with each scalar as its type and ``repr``, for a comparison that misses nothing.

    ``==`` alone would hide a swap of ``1``, ``1.0`` and ``True``, of ``0.0`` and ``-0.0``, or a
    date-time's ``fold`` or time zone given another way for the same instant.
    """
    if isinstance(value, dict):
        return {k: exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [exact(v) for v in value]
    return (type(value).__name__, repr(value))


def _decode(text: str) -> dict[str, Any] | None:
    try:
        top = json.loads(text, object_hook=_revive)
    except ValueError:
        return None
    if not isinstance(top, dict) or top.get("format") != FORMAT:
        return None
    data = top.get("data")
    return data if isinstance(data, dict) else None


def _compiled(content: bytes) -> dict[str, Any] | None:
    """The compiled form of a TOML file with these bytes, or ``None`` (none, or unusable).

    Read as every file ecf reads (:func:`ecf.limits.read_limited`: never blocking, a regular
    file only, within the size limit).
    """
    try:
        text = read_limited(compiled_path(content), EcfError, what="compiled data").decode()
    except (OSError, EcfError, UnicodeDecodeError):
        return None
    return _decode(text)


def load_toml(path: Path, error: type[EcfError]) -> dict[str, Any]:
    """Read a TOML file as :func:`ecf.limits.load_toml` does, from its compiled form if shipped.

    The file is read within the limits whatever happens (a FIFO or an oversized file is
    refused as before); its bytes are then looked up by digest.

    Raises:
        EcfError: of type ``error``: the file cannot be read, is over a limit, is not UTF-8 or
            is not valid TOML.
    """
    try:
        content = read_limited(path, error)
    except OSError as exc:
        raise error([Problem(f"cannot read: {exc.strerror}", file=str(path))]) from exc
    data = _compiled(content)
    if data is not None:
        return data
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error([Problem(f"not valid TOML: {exc}", file=str(path))]) from None
    return parse_toml(text, path, error)


def write_all() -> list[Path]:
    """Write the compiled form of every shipped TOML file, and remove any other compiled file.

    Returns:
        The compiled files now shipped.
    """
    COMPILED.mkdir(exist_ok=True)
    kept: list[Path] = []
    for folder in SHIPPED:
        for source in sorted((_DATA / folder).glob("*.toml")):
            content = source.read_bytes()
            text = compile_data(parse_toml(content.decode("utf-8"), source, EcfError))
            if text is None:
                continue
            target = compiled_path(content)
            target.write_text(text + "\n", encoding="utf-8")
            kept.append(target)
    for stale in COMPILED.glob("*.json"):
        if stale not in kept:
            stale.unlink()
    return kept


if __name__ == "__main__":
    for written in write_all():
        print(written.relative_to(_DATA.parent.parent))  # noqa: T201 - the tool's output
