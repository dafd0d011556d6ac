"""Employment: the periods a practitioner worked for a council, and moves between councils.

Service accrues only while the practitioner is employed (BASELINE.md 5).  A record holds its
employment periods (council, from, to); a record of schema 1 or 2 holds none and is read as one
period from its first stage's start until leaving (:meth:`ecf.records.Record.periods`).

* :func:`transfer`: the period at the old council closes on the day they left, one at the new
  council opens on the day they joined; the days served carry over, the gap stops the clock,
  and due dates continue at the new council.
* :func:`rejoin`: a practitioner who left comes back; the record opens again.
* :func:`closed_at`: the periods as they stand once the practitioner leaves (``ecf leave``).
* :func:`check_employment`: what makes the periods of a record valid.

Every function is pure: it takes a record and returns a new one, or problems.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ecf.errors import Problem, TransitionError
from ecf.records import Employment, HistoryEntry, Record

if TYPE_CHECKING:
    import datetime as dt

__all__ = ["check_employment", "closed_at", "refuse_if_closed", "rejoin", "transfer"]


def refuse_if_closed(record: Record) -> None:
    """Refuse a change to a record whose practitioner left (only ``rejoin`` reopens it).

    Raises:
        TransitionError: naming the day they left and how to reopen the record.
    """
    if record.left is not None:
        raise TransitionError(
            [
                Problem(
                    f"the practitioner left on {record.left.date}; the record is closed "
                    "(`ecf rejoin` reopens it)",
                    "left",
                )
            ]
        )


def closed_at(record: Record, last_day: dt.date) -> tuple[Employment, ...]:
    """The record's periods with the open one closed on ``last_day`` (the day they left)."""
    periods = record.periods()
    if not periods or periods[-1].to is not None:
        return periods
    return (*periods[:-1], attrs.evolve(periods[-1], to=last_day))


def transfer(
    record: Record, to: str, left: dt.date, joined: dt.date, entry: HistoryEntry
) -> Record:
    """The practitioner moved from their council to council ``to``.

    Args:
        record: An open record.
        to: The new council's code.
        left: The last day at the old council.
        joined: The first day at the new one (after ``left``; the days between stop the clock).
        entry: The history entry (who, when).

    Raises:
        TransitionError: the record is closed, has no open period, or the dates overlap the
            current period or go back in time.
    """
    refuse_if_closed(record)
    periods = record.periods()
    if not periods or periods[-1].to is not None:
        raise TransitionError([Problem("no open employment period to move from", "employment")])
    current = periods[-1]
    if not to.strip():
        raise TransitionError([Problem("name the new council's code", "to", to)])
    if left < current.from_:
        raise TransitionError(
            [Problem(f"is before the current employment began ({current.from_})", "left", left)]
        )
    if joined <= left:
        raise TransitionError(
            [Problem(f"must be after the last day at the old council ({left})", "joined", joined)]
        )
    moved = (*periods[:-1], attrs.evolve(current, to=left), Employment(joined, to))
    return record.changed(entry, employment=moved, council=to)


def rejoin(record: Record, council: str, date: dt.date, entry: HistoryEntry) -> Record:
    """A practitioner who left comes back (to any council): the record opens again.

    Raises:
        TransitionError: the record is not closed, or ``date`` is not after they left.
    """
    if record.left is None:
        raise TransitionError(
            [Problem("the practitioner has not left: nothing to rejoin", "date", date)]
        )
    if date <= record.left.date:
        raise TransitionError(
            [Problem(f"must be after the day they left ({record.left.date})", "date", date)]
        )
    if not council.strip():
        raise TransitionError([Problem("name the council's code", "council", council)])
    periods = (*closed_at(record, record.left.date), Employment(date, council))
    return record.changed(entry, employment=periods, council=council, left=None)


def check_employment(record: Record) -> list[Problem]:
    """Every problem with the record's employment periods (none when it holds none).

    Periods are in date order, do not overlap, start on or after qualification and end on or
    after they start; only the last may be open, and it is closed exactly when the practitioner
    left (on the day they left); the record's ``council`` is the last period's.
    """
    out: list[Problem] = []
    periods = record.employment
    for i, period in enumerate(periods):
        path = f"employment[{i}]"
        if period.from_ < record.qualified:
            out.append(
                Problem(
                    f"is before qualification ({record.qualified})", f"{path}.from", period.from_
                )
            )
        if period.to is not None and period.to < period.from_:
            out.append(Problem(f"ends before it starts ({period.from_})", f"{path}.to", period.to))
        before = periods[i - 1].to if i else None
        if i and (before is None or period.from_ <= before):
            out.append(
                Problem("must start after the previous period ended", f"{path}.from", period.from_)
            )
        if period.to is None and i + 1 < len(periods):
            out.append(Problem("only the last period may be open", f"{path}.to"))
    if periods:
        last = periods[-1]
        if record.left is None and last.to is not None:
            out.append(
                Problem(
                    "the last period is closed, but the practitioner has not left (record the "
                    "leaving, or a transfer)",
                    f"employment[{len(periods) - 1}].to",
                    last.to,
                )
            )
        if record.left is not None and last.to != record.left.date:
            out.append(
                Problem(
                    f"the last period must end on the day the practitioner left "
                    f"({record.left.date})",
                    f"employment[{len(periods) - 1}].to",
                    last.to,
                )
            )
        if record.council != last.council:
            out.append(
                Problem(
                    f"must be the current employer's code ({last.council})",
                    "council",
                    record.council,
                )
            )
    return out
