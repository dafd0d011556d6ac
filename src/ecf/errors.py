"""The exception hierarchy: one root, :class:`EcfError`, and a problem list for bad input.

Every error the library raises on purpose is an :class:`EcfError`.  Each carries the process
exit code the CLI uses for it, and a list of :class:`Problem` values, one per thing that is
wrong, each naming the file, the field path and the offending value, so that a person can fix
all of them in one go.

Exit codes (documented in the README):

* ``0``: success.
* ``1``: the command ran, but some of its inputs failed (used by commands over many files).
* ``2``: bad input: a malformed or invalid file, a refused change, a usage error.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs

from ecf.fields import shown_in_errors

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = [
    "ConflictError",
    "EcfError",
    "FrameworkError",
    "Problem",
    "RecordError",
    "TransitionError",
]

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_BAD_INPUT = 2


@attrs.frozen
class Problem:
    """One thing wrong with an input.

    Attributes:
        message: What is wrong, in words a practitioner or a council developer understands.
        path: The field path inside the file (``evidence[3].date``), or ``""`` for the whole file.
        value: The offending value as it was read, or ``None`` when there is none to show; the
            value of a personal field (:mod:`ecf.privacy`) is never shown.
        file: The file the value came from, when it came from a file.
    """

    message: str
    path: str = ""
    value: object = None
    file: str | None = None

    def with_file(self, file: str | Path | None) -> Problem:
        """Return this problem attributed to ``file`` (unless it already names one)."""
        if self.file is not None or file is None:
            return self
        return attrs.evolve(self, file=str(file))

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.path) if part)
        shown = "" if self.value is None else f" ({_got(self.path, self.value)})"
        return f"{where}: {self.message}{shown}" if where else f"{self.message}{shown}"


def _got(path: str, value: object) -> str:
    """The offending value as shown, unless it is personal data (errors name a record by id).

    A table or an array is named by its kind, never shown: it may hold anything.
    """
    if not shown_in_errors(path, value):
        return f"got {kind_of(value)}, not shown: personal data"
    if isinstance(value, dict | list | tuple | set | frozenset):
        return "got a table" if isinstance(value, dict) else "got an array"
    return f"got {_shown(value)}"


@functools.cache
def _rendered() -> tuple[tuple[re.Pattern[str], str], ...]:
    """How a value the converter rendered already (``repr``) looks, by kind.

    Compiled when an error first needs it, never at import: a valid record needs none (issue 14).
    """
    return (
        (re.compile(r"^['\"]"), "a text"),
        (re.compile(r"^(?:True|False)$"), "true or false"),
        (re.compile(r"^\d{4}-\d\d-\d\d(?:$|[T ])"), "a date"),
        (re.compile(r"^[-+]?(?:[\d_.]+(?:[eE][-+]?\d+)?|nan|inf)$"), "a number"),
        (re.compile(r"^(?:a table|an array)$"), ""),
    )


def kind_of(value: object) -> str:  # noqa: PLR0911 - one return per kind
    """What kind of value this is, for an error that may not show it: ``a text``, ``a date``..."""
    if getattr(value, "rendered", False):  # the converter's repr() of the value
        text = str(value)
        for pattern, kind in _rendered():
            if pattern.search(text):
                return kind or text
        return "a value"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, int | float | Fraction):
        return "a number"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple | set | frozenset):
        return "an array"
    return "a value"


def _shown(value: object) -> str:
    """A value as a person wrote it: a date as ``2026-01-05``, not ``datetime.date(2026, 1, 5)``."""
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    return repr(value)


class EcfError(Exception):
    """The root of every error ``ecf`` raises on purpose.

    Attributes:
        problems: One entry per thing that is wrong; never empty.
        exit_code: The exit code the CLI uses when this error stops a command.
    """

    exit_code: int = EXIT_BAD_INPUT

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        self.problems: tuple[Problem, ...] = (
            (Problem(problems),) if isinstance(problems, str) else tuple(problems)
        )
        if not self.problems:
            msg = "an EcfError needs at least one problem"
            raise ValueError(msg)
        super().__init__("\n".join(str(p) for p in self.problems))

    def with_file(self, file: str | Path | None) -> EcfError:
        """Return the same kind of error with every problem attributed to ``file``."""
        clone = type(self).__new__(type(self))
        EcfError.__init__(clone, (p.with_file(file) for p in self.problems))
        return clone

    def lines(self) -> list[str]:
        """One line per problem, as the CLI prints them."""
        return [str(p) for p in self.problems]


class RecordError(EcfError, ValueError):
    """A practitioner record is malformed or invalid."""


class FrameworkError(EcfError, ValueError):
    """A framework data file (stages, milestones, standards) is malformed or invalid."""


class TransitionError(EcfError, ValueError):
    """A change the progression rules do not allow: a decision on a closed stage, a bad advance."""


class ConflictError(EcfError, RuntimeError):
    """A record file changed on disk between the moment it was read and the moment of writing."""
