"""A mapping file: how a council's HR export names ecf's import columns and values.

Real exports call the id ``Employee ID`` and the stage ``Programme``, and write ``Newly
Qualified`` where ecf says ``asye``.  A mapping file (TOML, given to ``ecf import --mapping``)
says so once, and is checked before any row is read::

    date_format = "%d %b %Y"        # optional: dates in another layout (ISO and dd/mm/yyyy are
                                    # always read)

    [columns]                       # HR column -> ecf import column
    "Employee ID" = "id"
    "Full Name" = "name"
    "Programme" = "stage"

    [values.stage]                  # HR value -> ecf value, for stage (and prior), service,
    "Newly Qualified" = "asye"      # council and leaving_reason
    [values.service]
    "Children's Services" = "children"

Column names and values are matched ignoring case and outer spaces.  The checks: an unknown
key, a column mapped to an unknown field or two columns to the same field, a value map for a
field that has none, a value mapped to an unknown stage or service or to a malformed council
code.  Each problem names the mapping file, the key path and the value.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ecf.errors import EcfError, Problem
from ecf.filters import stage_named, stage_names
from ecf.framework import SERVICES

if TYPE_CHECKING:
    import os

    from ecf.framework import FrameworkRegistry

__all__ = ["VALUE_MAPS", "Mapping", "load_mapping"]

#: The fields whose values a mapping may translate.
VALUE_MAPS = ("stage", "service", "council", "leaving_reason")
#: A council code as the record holds it: ONS (``E09000030``) or any short code without spaces.
_COUNCIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")


def _key(text: str) -> str:
    return text.strip().casefold()


@attrs.frozen
class Mapping:
    """A checked mapping file.

    Attributes:
        source: The file, as given.
        columns: Each HR column (as written in the file) and the ecf column it fills.
        values: For each field with a value map, each HR value (folded: trimmed, any case) and
            the ecf value it stands for.
        date_format: A :func:`~datetime.datetime.strptime` layout for dates, or None.
    """

    source: str
    columns: dict[str, str]
    values: dict[str, dict[str, str]] = attrs.Factory(dict)
    date_format: str | None = None

    def column_for(self, field: str) -> str | None:
        """The HR column mapped to an ecf field, or None."""
        return next((c for c, f in self.columns.items() if f == field), None)

    def field_of(self, column: str) -> str | None:
        """The ecf field an HR column fills (its name matched ignoring case), or None."""
        folded = _key(column)
        return next((f for c, f in self.columns.items() if _key(c) == folded), None)

    def value(self, field: str, text: str) -> str:
        """The ecf value for an HR value of a field: mapped when the map has it, else as given."""
        return self.values.get(field, {}).get(_key(text), text)


def load_mapping(
    path: str | os.PathLike[str], registry: FrameworkRegistry, fields: tuple[str, ...]
) -> Mapping:
    """Read and check a mapping file.

    Args:
        path: The TOML file.
        registry: The frameworks: a stage value must name one of the current version's stages.
        fields: The ecf import columns a column may be mapped to.

    Returns:
        The mapping.

    Raises:
        EcfError: the file cannot be read or is not TOML, or one problem per thing wrong in it.
    """
    source = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise EcfError([Problem(f"cannot read: {exc.strerror}", file=source)]) from exc
    except UnicodeDecodeError as exc:
        raise EcfError([Problem(f"not UTF-8 text (byte {exc.start})", file=source)]) from None
    except tomllib.TOMLDecodeError as exc:
        raise EcfError([Problem(f"not valid TOML: {exc}", file=source)]) from None
    problems: list[Problem] = []
    for key in data:
        if key not in ("columns", "values", "date_format"):
            problems.append(
                Problem("unknown key (known: columns, values, date_format)", key, None, source)
            )
    columns = _columns(data.get("columns", {}), fields, source, problems)
    values = _values(data.get("values", {}), registry, source, problems)
    date_format = data.get("date_format")
    if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
        problems.append(
            Problem(
                "expected a strptime layout such as '%d %b %Y'", "date_format", date_format, source
            )
        )
    if problems:
        raise EcfError(problems)
    return Mapping(source, columns, values, date_format)


def _columns(
    table: Any, fields: tuple[str, ...], source: str, problems: list[Problem]
) -> dict[str, str]:
    if not isinstance(table, dict):
        problems.append(
            Problem("expected a table of HR column = ecf column", "columns", None, source)
        )
        return {}
    columns: dict[str, str] = {}
    taken: dict[str, str] = {}
    folded: set[str] = set()
    for column, field in table.items():
        where = f"columns.{column!r}" if not column.isidentifier() else f"columns.{column}"
        if not isinstance(field, str) or field not in fields:
            problems.append(
                Problem(f"unknown field (known: {', '.join(fields)})", where, field, source)
            )
            continue
        if field in taken:
            problems.append(
                Problem(f"'{taken[field]}' is mapped to this field too", where, field, source)
            )
            continue
        if _key(column) in folded:
            problems.append(
                Problem("this column is mapped twice (ignoring case)", where, None, source)
            )
            continue
        taken[field] = column
        folded.add(_key(column))
        columns[column] = field
    return columns


def _values(
    table: Any, registry: FrameworkRegistry, source: str, problems: list[Problem]
) -> dict[str, dict[str, str]]:
    if not isinstance(table, dict):
        problems.append(Problem("expected tables of HR value = ecf value", "values", None, source))
        return {}
    fw = registry.get()
    values: dict[str, dict[str, str]] = {}
    for field, pairs in table.items():
        if field not in VALUE_MAPS:
            problems.append(
                Problem(
                    f"no value map for this field (fields with one: {', '.join(VALUE_MAPS)})",
                    f"values.{field}",
                    None,
                    source,
                )
            )
            continue
        if not isinstance(pairs, dict):
            problems.append(
                Problem("expected a table of HR value = ecf value", f"values.{field}", None, source)
            )
            continue
        mapped: dict[str, str] = {}
        for hr_value, target in pairs.items():
            where = f"values.{field}.{hr_value!r}"
            problem = _target_problem(field, target, fw)
            if problem is not None:
                problems.append(Problem(problem, where, target, source))
                continue
            text = str(target)
            if field == "stage":
                found = stage_named(fw, text)
                text = found.id if found is not None else text
            mapped[_key(hr_value)] = text
        values[field] = mapped
    return values


def _target_problem(field: str, target: object, fw: Any) -> str | None:
    """Why ``target`` cannot be a value of ``field``, or None."""
    if not isinstance(target, str) or not target.strip():
        return "expected a text"
    if field == "stage" and stage_named(fw, target) is None:
        return f"unknown stage (known: {stage_names(fw)})"
    if field == "service" and target not in SERVICES:
        return f"unknown service (known: {', '.join(SERVICES)})"
    if field == "council" and not _COUNCIL.fullmatch(target):
        return "a council code is letters and digits, such as E09000030"
    return None
