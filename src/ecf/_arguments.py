"""Checks of the arguments a Python caller passes to the library's workflows (``ecf.edit``...).

A caller of :func:`ecf.edit` or :func:`ecf.create` passes Python values, not text: each is
checked here for its type (a date, not a datetime; a text; a list of texts; an FTE read by
:func:`ecf.parsing.parse_fte`) and refused with a :class:`~ecf.errors.RecordError` naming
the argument, never showing a long or personal value.  What a value may hold (a known kind, a
date after qualification) is for the record's own checks (:mod:`ecf.validation`) to say.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ecf.errors import Problem, RecordError
from ecf.parsing import ParseError, parse_fte

if TYPE_CHECKING:
    from fractions import Fraction

__all__ = [
    "by",
    "date",
    "file_name",
    "fte",
    "optional_date",
    "optional_text",
    "refuse",
    "shown",
    "text",
    "texts",
]


def refuse(message: str, path: str = "", value: object = None) -> RecordError:
    return RecordError([Problem(message, path, value)])


def file_name(path: object, field: str = "") -> Path:
    """``path`` as a :class:`~pathlib.Path`, refused if no file can have that name.

    Raises:
        RecordError: not a path, or a name that holds a NUL character or text that is not
            Unicode.
    """
    if not isinstance(path, str | os.PathLike):
        raise refuse(f"expected a path, not {type(path).__name__}", field)
    try:
        name = os.fsencode(path)
    except UnicodeEncodeError:
        raise refuse("not a file name: it holds text that is not Unicode", field) from None
    if b"\x00" in name:
        raise refuse("not a file name: it holds a NUL character", field)
    return Path(os.fsdecode(name))


def date(value: object, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise refuse("expected a date without a time", field, value)
    if not isinstance(value, dt.date):
        raise refuse(f"expected a date (datetime.date), not {type(value).__name__}", field)
    return value


def optional_date(value: object, field: str) -> dt.date | None:
    return None if value is None else date(value, field)


def text(value: object, field: str) -> str:
    """A text (what it may hold is for the record's checks to say)."""
    if not isinstance(value, str):
        raise refuse(f"expected a text, not {type(value).__name__}", field)
    return value


def optional_text(value: object, field: str) -> str | None:
    return None if value is None else text(value, field)


def texts(values: object, field: str) -> tuple[str, ...]:
    """Texts, from a list or any iterable of them (not one text alone)."""
    wrong = refuse("expected a list of texts (such as ['kss-cf:1', 'pcf:7'])", field)
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise wrong
    items = tuple(values)
    if not all(isinstance(v, str) for v in items):
        raise wrong
    return items


def fte(value: object) -> Fraction:
    """An FTE in (0, 1]: a :class:`~fractions.Fraction`, a number, or a text (``"3/5"``)."""
    try:
        exact = parse_fte(value)
    except ParseError:
        raise refuse(
            "expected a number or a fraction, such as 0.6 or 3/5", "fte", shown(value)
        ) from None
    if not 0 < exact <= 1:
        raise refuse("must be more than 0 and at most 1", "fte", shown(value))
    return exact


#: The longest value an error about an argument shows.
_SHOWN = 40


def shown(value: object) -> object:
    """A value as it can be shown: a number or a short text, else nothing."""
    return value if isinstance(value, int | float | str) and len(str(value)) <= _SHOWN else None


def by(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise refuse("say who makes the change (a user name, for the history)", "by")
    return value
