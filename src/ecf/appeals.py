"""Appeals against decisions, and the window in which one may be lodged.

A decision is addressed as ``dec-N``, its 1-based place in the record's decisions
(:func:`ecf.records.decision_by_ref`).  An appeal is lodged against one decision in force, within
the framework's window (``appeal_window``: 20 working days after the decision's date, bank
holidays in England not counted), then upheld or dismissed.  An upheld appeal sets the decision
aside (:func:`ecf.progression.overturned`): after an upheld appeal against a fail the stage is
open again, ``awaiting-decision``, and people record a new decision on it with ``ecf decide``.

Every function here is pure; the holiday calendar comes from the ``holidays`` package, imported
only when a window is counted.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING

import attrs

from ecf.employment import refuse_if_closed
from ecf.errors import Problem, TransitionError
from ecf.framework import HOLIDAY_CALENDARS
from ecf.progression import pinned
from ecf.records import Appeal, AppealOutcome, Record, decision_by_ref, decision_ref, digest

if TYPE_CHECKING:
    from ecf.framework import AppealWindow, FrameworkRegistry
    from ecf.records import Decision, HistoryEntry

__all__ = [
    "appeal_until",
    "close_appeal",
    "lodge_appeal",
    "open_appeal",
    "window_end",
]


@functools.cache
def _bank_holidays(calendar: str, year: int) -> frozenset[dt.date]:
    import holidays  # noqa: PLC0415 - lazy: only a window's count needs the calendars

    country, subdiv = HOLIDAY_CALENDARS[calendar]
    return frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year))


def window_end(window: AppealWindow, decided: dt.date) -> dt.date:
    """The last day to lodge an appeal against a decision made on ``decided``.

    It is the ``working_days``-th working day after ``decided`` (the decision's own day not
    counted): Saturdays, Sundays and the calendar's bank holidays are not working days.

    >>> from ecf.framework import AppealWindow
    >>> window_end(AppealWindow(20, "england"), dt.date(2026, 12, 21))
    datetime.date(2027, 1, 21)
    """
    day = decided
    left = window.working_days
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in _bank_holidays(window.holidays, day.year):  # noqa: PLR2004 - Saturday is 5
            left -= 1
    return day


def open_appeal(record: Record, as_of: dt.date | None = None) -> Appeal | None:
    """The appeal lodged (on or before ``as_of``) and not yet decided then, as it stood then.

    Its outcome, date and who decided are left out: they were not known yet.
    """
    found = next(
        (
            a
            for a in reversed(record.appeals)
            if (as_of is None or a.lodged <= as_of)
            and (a.outcome is None or (as_of is not None and a.date is not None and a.date > as_of))
        ),
        None,
    )
    return None if found is None else Appeal(found.decision, found.lodged)


def appeal_until(
    record: Record, registry: FrameworkRegistry, as_of: dt.date
) -> tuple[str, dt.date] | None:
    """After a fail with no appeal lodged: the decision's ref and the window's last day.

    ``None`` when the current stage's latest decision (as of ``as_of``) is not a fail, an
    appeal against it was lodged, or the window has passed.
    """
    current = record.current
    if current is None:
        return None
    for i in range(len(record.decisions) - 1, -1, -1):
        decision = record.decisions[i]
        if decision.stage != current.stage or decision.date > as_of:
            continue
        if decision not in record.decisions_for(current.stage) or decision.outcome != "fail":
            return None
        ref = decision_ref(i)
        if any(a.decision == ref and a.lodged <= as_of for a in record.appeals):
            return None
        fw = pinned(record, current.stage, registry)
        last = window_end(fw.appeal_window, decision.date)
        return (ref, last) if as_of <= last else None
    return None


def _decision(record: Record, ref: str) -> tuple[int, Decision]:
    found = decision_by_ref(record, ref)
    if found is None:
        known = ", ".join(decision_ref(i) for i in range(len(record.decisions))) or "none"
        raise TransitionError(
            [Problem(f"unknown decision (known: {known})", "decision", ref.strip()[:20])]
        )
    return found


def lodge_appeal(
    record: Record, ref: str, lodged: dt.date, registry: FrameworkRegistry, entry: HistoryEntry
) -> Record:
    """Record an appeal lodged against the decision ``ref`` (``dec-N``).

    Raises:
        TransitionError: an unknown decision, one corrected since, one already appealed, or a
            lodging date before the decision or after the window's last day.
    """
    refuse_if_closed(record)
    index, decision = _decision(record, ref)
    ref = decision_ref(index)
    if any(d.corrects == index for d in record.decisions):
        raise TransitionError(
            [Problem("was corrected: appeal the decision that corrects it", "decision", ref)]
        )
    if any(a.decision == ref for a in record.appeals):
        raise TransitionError(
            [Problem("already appealed (one appeal per decision)", "decision", ref)]
        )
    if lodged < decision.date:
        raise TransitionError(
            [Problem(f"is before the decision ({decision.date})", "lodged", lodged)]
        )
    last = window_end(pinned(record, decision.stage, registry).appeal_window, decision.date)
    if lodged > last:
        raise TransitionError(
            [Problem(f"is after the appeal window's last day ({last})", "lodged", lodged)]
        )
    appeal = Appeal(ref, lodged)
    return record.changed(
        attrs.evolve(entry, item=digest(appeal)), appeals=(*record.appeals, appeal)
    )


def close_appeal(
    record: Record,
    ref: str,
    outcome: AppealOutcome,
    date: dt.date,
    by: str,
    entry: HistoryEntry,
) -> Record:
    """Record the outcome of the open appeal against the decision ``ref``.

    Raises:
        TransitionError: an unknown decision, no appeal lodged against it, one already
            decided, or a date before the lodging.
    """
    refuse_if_closed(record)
    index, _ = _decision(record, ref)
    ref = decision_ref(index)
    at = next((i for i, a in enumerate(record.appeals) if a.decision == ref), None)
    if at is None:
        raise TransitionError(
            [Problem("no appeal was lodged against it (--lodged DATE first)", "decision", ref)]
        )
    appeal = record.appeals[at]
    if appeal.outcome is not None:
        raise TransitionError(
            [Problem(f"the appeal was already {appeal.outcome} on {appeal.date}", "decision", ref)]
        )
    if date < appeal.lodged:
        raise TransitionError(
            [Problem(f"is before the appeal was lodged ({appeal.lodged})", "date", date)]
        )
    done = attrs.evolve(appeal, outcome=outcome, date=date, by=by)
    appeals = (*record.appeals[:at], done, *record.appeals[at + 1 :])
    return record.changed(attrs.evolve(entry, item=digest(done)), appeals=appeals)
