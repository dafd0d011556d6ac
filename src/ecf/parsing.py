"""Reading a date and an FTE from what people write: one parser of each, for every input.

Record files, the command line and HR exports all give dates and working patterns; each reads
them here, so a value one accepts the others accept, with the same exact result.  A bad value
raises :class:`ParseError`, which carries the message and the value as given, so that each
caller shows it in its own frame: after a field path (``hours[0].fte: ... (got '1.5')``), or
inline in a usage error (``invalid FTE '1.5', ...``).

An FTE is an exact :class:`~fractions.Fraction`: ``0.6`` is 3/5, not the float nearest to it.
"""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction
from typing import TypeVar

__all__ = [
    "DATE_FORMAT",
    "FIRST_DATE",
    "FTE_FORMAT",
    "FTE_RANGE",
    "LAST_DATE",
    "SHEET_DATE_FORMAT",
    "SHEET_FTE_FORMAT",
    "ParseError",
    "check_date_range",
    "parse_date",
    "parse_fte",
    "parse_sheet_date",
    "parse_sheet_fte",
]

#: What a date looks like, in every message about one.
DATE_FORMAT = "YYYY-MM-DD"
D = TypeVar("D", bound=dt.date)

#: The earliest and the latest date ecf reads, anywhere (a record, an option, an HR export):
#: far around any early career, yet so that date arithmetic (a stage of 36 months, a window
#: of 20 working days, a calendar 400 days ahead) can never leave the calendar Python has.
FIRST_DATE = dt.date(1950, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)
#: The message for a date outside them.
DATE_RANGE = f"a date from {FIRST_DATE} to {LAST_DATE} is expected"
#: What an FTE looks like, in every message about one.
FTE_FORMAT = "a number such as 0.6 or 3/5"
#: The message for an FTE outside (0, 1].
FTE_RANGE = "FTE must be more than 0 and at most 1"

#: What a date in a spreadsheet may look like, in every message about one.
SHEET_DATE_FORMAT = "YYYY-MM-DD or DD/MM/YYYY"
#: What an FTE in a spreadsheet may look like, in every message about one.
SHEET_FTE_FORMAT = "0.6, 3/5, 60% or 22.5 of 37 hours"

# The patterns below are compiled when first used (by ``re``'s own cache), never at import:
# one record's commands use none or one of them (issue 14).
#: A UK date as spreadsheets write it: day, month, year, with ``/``, ``-`` or ``.`` between.
_UK_DATE = r"(\d{1,2})([/.-])(\d{1,2})\2(\d+)"
#: A percentage: ``60%``, ``60 %``, ``62.5%``.
_PERCENT = r"(.+?)\s*%"
#: Hours of contract hours: ``22.5 of 37 hours``, ``22.5/37 hrs``, ``22.5 of 37`` (any case).
_HOURS = r"(.+?)\s*(?:of\s*(.+?)\s*(?:hours|hrs)?|/\s*(.+?)\s*(?:hours|hrs))"
#: The exponent of a number: one of 1000 or more would take minutes (and gigabytes) to make exact.
_EXPONENT = r"[eE]\s*[+-]?\s*([\d_]+)"
#: The most digits an exponent may have: ``1e999`` is made exact at once, ``1e9999`` is refused.
_EXPONENT_DIGITS = 3


class ParseError(ValueError):
    """A value that is not a date or an FTE, or an FTE out of range.

    Attributes:
        message: What is wrong, to show after the field's name (``invalid date, expected ...``).
        value: The value as it was given.
    """

    def __init__(self, message: str, value: object, *, inline: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.value = value
        self._inline = inline

    def inline(self) -> str:
        """The message with the value in it, for one line with no field before it."""
        return self._inline or f"{self.message} (got {self.value!r})"


def _invalid(what: str, expected: str, value: object) -> ParseError:
    """``invalid date, expected YYYY-MM-DD``; inline ``invalid date 'x', expected YYYY-MM-DD``."""
    return ParseError(
        f"invalid {what}, expected {expected}",
        value,
        inline=f"invalid {what} {value!r}, expected {expected}",
    )


def parse_date(value: object) -> dt.date:
    """A date: a :class:`~datetime.date` as is, or an ISO string (``2026-01-05``).

    Raises:
        ParseError: a string that is not a real ISO date (``2025-02-30``), a date with a time,
            a date out of range (:data:`FIRST_DATE` to :data:`LAST_DATE`), or a value of
            another type.
    """
    if isinstance(value, dt.datetime):
        raise ParseError("expected a date without a time", value)
    if isinstance(value, dt.date):
        return check_date_range(value, value)
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise _invalid("date", DATE_FORMAT, value) from None
        return check_date_range(day, value)
    raise ParseError(f"expected a date ({DATE_FORMAT})", value)


def check_date_range(day: D, value: object) -> D:
    """``day`` if it lies from :data:`FIRST_DATE` to :data:`LAST_DATE` (a time's date too).

    Raises:
        ParseError: out of that range (``9999-12-31``), reported as ``value``.
    """
    date = day.date() if isinstance(day, dt.datetime) else day
    if not FIRST_DATE <= date <= LAST_DATE:
        inline = f"date {value!s} out of range: {DATE_RANGE}"
        raise ParseError(f"out of range: {DATE_RANGE}", value, inline=inline)
    return day


def parse_fte(value: object, *, in_range: bool = False) -> Fraction:
    """An FTE, exactly: a whole number, a float (by its shortest repr), ``"0.6"`` or ``"3/5"``.

    Args:
        value: The value as given.
        in_range: Also refuse an FTE that is not more than 0 and at most 1.  A record file
            leaves that to validation, which names the field it is in.

    Raises:
        ParseError: not a number or a fraction (a string with an exponent of four digits or
            more is refused at once: ``Fraction("1e999999999")`` computes 10**999999999), or,
            with ``in_range``, out of range.
    """
    if isinstance(value, bool):
        raise ParseError("expected a number", value)
    if isinstance(value, int | Fraction):
        fte = Fraction(value)
    elif isinstance(value, float | str):
        # A float by repr(), the shortest string that reads back as it: 0.6 -> 3/5 exactly.
        fte = _fraction(repr(value) if isinstance(value, float) else value, value)
    else:
        raise ParseError("expected a number", value)
    if in_range and not 0 < fte <= 1:
        raise ParseError(FTE_RANGE, value)
    return fte


def _fraction(text: str, value: object) -> Fraction:
    """The exact value of ``text``; a bad one (``nan``, ``1/0``) is reported as ``value``."""
    exponent = re.search(_EXPONENT, text)
    if exponent and len(exponent.group(1).replace("_", "").lstrip("0")) > _EXPONENT_DIGITS:
        raise _invalid("FTE", FTE_FORMAT, value)
    try:
        return Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise _invalid("FTE", FTE_FORMAT, value) from None


def parse_sheet_date(value: str, date_format: str | None = None) -> dt.date:
    """A date as an HR export writes it: ISO (``2026-01-05``) or UK (``05/01/2026``).

    A UK date is day first, always: ``05/01/2026`` is 5 January.  Its year has four digits, so
    that ``05/01/26`` (which century?) is refused as ambiguous rather than guessed; a day or
    month out of range (``31/02/2026``, or a US ``12/31/2026``) is refused as impossible.

    Args:
        value: The cell, as text.
        date_format: A :func:`~datetime.datetime.strptime` format for any other layout
            (``%d %b %Y``); when given, only it (and ISO) is read.

    Raises:
        ParseError: not a date in any accepted layout, ambiguous, or impossible.
    """
    text = value.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    if date_format is not None:
        try:
            return dt.datetime.strptime(text, date_format).date()  # noqa: DTZ007 - a date only
        except ValueError:
            raise _invalid("date", f"{date_format} or {DATE_FORMAT}", value) from None
    match = re.fullmatch(_UK_DATE, text)
    if match is None:
        raise _invalid("date", SHEET_DATE_FORMAT, value)
    day, _, month, year = match.groups()
    if len(year) != 4:  # noqa: PLR2004 - a four-digit year
        raise ParseError(
            f"ambiguous date: give the year in four digits ({SHEET_DATE_FORMAT})",
            value,
            inline=f"ambiguous date {value!r}: give the year in four digits",
        )
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ParseError(
            "impossible date: no such day, read as day/month/year",
            value,
            inline=f"impossible date {value!r}: read as day {day}, month {month}, year {year}",
        ) from None


def parse_sheet_fte(value: str) -> Fraction:
    """An FTE as an HR export writes it, exactly, in (0, 1].

    Accepted: what :func:`parse_fte` accepts (``0.6``, ``3/5``), a percentage (``60%``), and
    hours of contract hours (``22.5 of 37 hours``, ``22.5/37 hrs``: 45/74).

    Raises:
        ParseError: none of these, a contract of no hours, or out of range.
    """
    text = value.strip()
    percent = re.fullmatch(_PERCENT, text)
    try:
        if percent is not None:
            fte = _fraction(percent.group(1), value) / 100
        else:
            try:
                fte = _fraction(text, value)
            except ParseError:
                hours = re.fullmatch(_HOURS, text, re.IGNORECASE)
                if hours is None:
                    raise
                worked, contract = (_fraction(h, value) for h in hours.groups() if h)
                if contract <= 0:
                    raise ParseError("contract hours must be more than 0", value) from None
                fte = worked / contract
    except ParseError as exc:
        if exc.message.startswith("invalid FTE"):
            raise _invalid("FTE", SHEET_FTE_FORMAT, value) from None
        raise
    if not 0 < fte <= 1:
        raise ParseError(FTE_RANGE, value)
    return fte
