"""The timeline engine: when each milestone of a stage is due, as pure functions of values.

The arithmetic is BASELINE.md's, exactly:

1. A milestone ``k`` months into a stage starting on ``S`` has a full-time length ``L``: the days
   from ``S`` to ``S + k`` calendar months (clamped to the month's last day).
2. Each day ``d`` from ``S`` on accrues the working pattern in force that day (an exact fraction),
   or nothing if ``d`` lies in a pausing absence.
3. The milestone is due on the first date ``t`` for which the service accrued on the days
   ``S <= d < t`` is at least ``L``.

The engine works on segments of constant rate (pattern changes and pauses are the breakpoints),
not day by day, so a due date costs the number of changes, not the number of days.

This module is long because every date of a stage is computed here on the one clock: due dates,
agreed dates moved by pauses, and the windows of a frequency schedule with how BASELINE.md
judges a gap in them (:func:`judged_windows`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import itertools
import math
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

    from ecf.framework import Framework, StageDef
    from ecf.records import Absence, PatternChange

__all__ = [
    "MilestoneDue",
    "Pause",
    "Period",
    "StagePlan",
    "StageTimeline",
    "Window",
    "add_months",
    "agreed_due",
    "calendar_due",
    "clock_date",
    "due_date",
    "extended",
    "frequency_windows",
    "judged_windows",
    "pauses",
    "planned_timeline",
    "stage_timeline",
    "supervision_schedule",
]

ONE_DAY = dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, clamped to the last day of the target month.

    >>> add_months(dt.date(2025, 8, 31), 6)
    datetime.date(2026, 2, 28)
    """
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if day.day <= 28:  # noqa: PLR2004 - every month has 28 days: no clamping to look up
        return dt.date(year, month, day.day)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@attrs.frozen
class Pause:
    """A spell during which the clock stops: first to last day, inclusive."""

    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        """Its length in calendar days."""
        return (self.last - self.first).days + 1


def pauses(absences: Iterable[Absence], framework: Framework) -> tuple[Pause, ...]:
    """The pauses among ``absences``: spells of pausing kinds lasting the threshold or longer.

    Absences of pausing kinds that overlap or follow one another without a gap (two fit notes
    back to back) form one spell; a spell pauses the clock for its whole length when it lasts
    ``framework.pause_threshold_days`` consecutive days or more.  Annual leave and training
    never pause.
    """
    if not absences:
        return ()
    spells: list[list[dt.date]] = []
    kinds = framework.pausing_kind_ids()  # absence_kind(kind).pauses, looked up once
    pausing = [a for a in absences if a.kind in kinds]
    if not pausing:
        return ()
    pausing.sort(key=_absence_first)
    for absence in pausing:
        if spells and absence.first <= spells[-1][1] + ONE_DAY:
            spells[-1][1] = max(spells[-1][1], absence.last)
        else:
            spells.append([absence.first, absence.last])
    threshold = framework.pause_threshold_days
    return tuple(Pause(a, b) for a, b in spells if (b - a).days + 1 >= threshold)


def _first(pause: Pause) -> dt.date:
    return pause.first


def _absence_first(absence: Absence) -> dt.date:
    return absence.first


def _segments(
    start: dt.date, hours: Sequence[PatternChange], paused: Sequence[Pause]
) -> list[tuple[dt.date, Fraction]]:
    """Breakpoints from ``start`` on: each ``(day, rate)`` holds until the next breakpoint."""
    rate_at: dict[dt.date, Fraction] = {}
    fte = Fraction(1)
    for change in sorted(hours, key=lambda c: c.from_):
        if change.from_ <= start:
            fte = change.fte
        else:
            rate_at[change.from_] = change.fte
    points = {start, *rate_at}
    for p in paused:
        if p.last >= start:
            points.update((max(p.first, start), p.last + ONE_DAY))
    segments: list[tuple[dt.date, Fraction]] = []
    for day in sorted(points):
        fte = rate_at.get(day, fte)
        in_pause = any(p.first <= day <= p.last for p in paused)
        segments.append((day, Fraction(0) if in_pause else fte))
    return segments


def _reach(segments: list[tuple[dt.date, Fraction]], needed: Fraction) -> dt.date:
    """The first date by which the segments' rates, summed day by day, reach ``needed``."""
    if needed <= 0:  # nothing to accrue: the start itself, even when a pause begins there
        return segments[0][0]
    for index, (day, rate) in enumerate(segments):
        end = segments[index + 1][0] if index + 1 < len(segments) else None
        if rate > 0:
            reached = day + dt.timedelta(days=int(-(-needed // rate)))  # ceil(needed / rate)
            if end is None or reached <= end:
                return reached
        if end is not None:
            needed -= rate * (end - day).days
    # The last segment always has a rate: every pause ends, and every FTE is positive.
    msg = "unreachable: the last segment of a timeline accrues nothing"
    raise AssertionError(msg)


class _Clock:
    """:func:`_segments` in whole numbers, made once for every date counted on one clock.

    Each breakpoint is a day's ordinal, each rate a whole number of ``1/scale`` FTE (``scale``:
    the least common multiple of the rates' denominators), so :meth:`reach` is :func:`_reach`
    in exact integer arithmetic: the same dates, without a :class:`~fractions.Fraction` made
    per step.
    """

    __slots__ = ("days", "full_time", "rates", "scale")

    def __init__(self, segments: list[tuple[dt.date, Fraction]]) -> None:
        scale = 1
        for _, rate in segments:
            scale = math.lcm(scale, rate.denominator)
        self.scale = scale
        self.days = [day.toordinal() for day, _ in segments]
        self.rates = [rate.numerator * (scale // rate.denominator) for _, rate in segments]
        #: Full time from the start on, never paused: ``reach(n)`` is the start plus ``n`` days.
        self.full_time = self.rates == [scale]

    def reach(self, days: int) -> dt.date:
        """The first date by which the service accrued reaches ``days`` full-time days."""
        starts = self.days
        if days <= 0:  # nothing to accrue: the start itself, even when a pause begins there
            return dt.date.fromordinal(starts[0])
        needed = days * self.scale
        last = len(starts) - 1
        for index, rate in enumerate(self.rates):
            day = starts[index]
            if rate > 0:
                reached = day - (-needed // rate)  # ceil(needed / rate)
                if index == last or reached <= starts[index + 1]:
                    return dt.date.fromordinal(reached)
            if index < last:
                needed -= rate * (starts[index + 1] - day)
        # The last segment always has a rate: every pause ends, and every FTE is positive.
        msg = "unreachable: the last segment of a timeline accrues nothing"
        raise AssertionError(msg)


def due_date(
    start: dt.date,
    months: int,
    hours: Sequence[PatternChange] = (),
    paused: Sequence[Pause] = (),
) -> dt.date:
    """The first day on which service accrued since ``start`` reaches ``months`` full-time months.

    Args:
        start: The stage's first day.
        months: The milestone's full-time offset.
        hours: Working-pattern changes (any order); full time before the first.
        paused: Spells during which the clock stops (see :func:`pauses`).

    Returns:
        The due date.  Full-time with no pauses, ``add_months(start, months)``.
    """
    return _Clock(_segments(start, hours, paused)).reach((add_months(start, months) - start).days)


def clock_date(start: dt.date, days: int, paused: Sequence[Pause] = ()) -> dt.date:
    """The date ``days`` calendar days after ``start``, not counting paused days.

    Calendar time shifted by pauses, whatever the working pattern: supervision frequency runs on
    this clock (BASELINE.md 6).
    """
    return _Clock(_segments(start, (), paused)).reach(days)


def agreed_due(start: dt.date, agreed: dt.date, paused: Sequence[Pause] = ()) -> dt.date:
    """An agreed due date moved later by the paused days of the pauses that start before it.

    The agreed date stands for ``agreed - start`` calendar days of the stage's clock, and that
    clock stops during a pause (BASELINE.md: "a pausing absence that starts before it moves it
    by the paused days"): each pause that starts before the date, as already moved by the
    pauses before it, moves it by its days from the stage's start on.  A pause that starts on
    the agreed date or later does not move it, nor does a short absence (not a pause).  The
    working pattern does not: people agreed the date knowing it.

    Example: a stage from 2025-09-01, ``review-3m`` agreed for 2025-12-05, sickness
    2025-10-01..2025-11-11 (42 days, a pause): due 2026-01-16.
    """
    return clock_date(start, (agreed - start).days, paused)


@attrs.frozen
class Period:
    """Part of a frequency schedule: one window every ``every`` days until day ``until``.

    With ``until`` unset, or for months (``every_months``), the period runs to the end.
    """

    every: int | None = None
    every_months: int | None = None
    until: int | None = None
    until_months: int | None = None


def frequency_windows(
    start: dt.date, end: dt.date, periods: Sequence[Period], paused: Sequence[Pause] = ()
) -> tuple[tuple[dt.date, dt.date], ...]:
    """The windows of a schedule from ``start`` to ``end``, by calendar time shifted by pauses."""
    return tuple(_frequency(start, end, periods, paused)[0])


def _frequency(
    start: dt.date, end: dt.date, periods: Sequence[Period], paused: Sequence[Pause]
) -> tuple[list[tuple[dt.date, dt.date]], dt.date | None]:
    """:func:`frequency_windows`, and the day after the last window's uncut end (None: none).

    The schedule's offsets do not depend on ``end`` but for where they stop, so the last
    window's uncut end is the day before the next offset's date, found here already.
    """
    # clock_date, on a clock made once; each offset's date is asked for twice or three times
    clock = functools.cache(_Clock(_segments(start, (), paused)).reach)
    offsets: list[int] = [0]
    for period in periods:
        limit = period.until
        if period.until_months is not None:
            limit = (add_months(start, period.until_months) - start).days
        if period.every_months:
            month = 0
            while clock(offsets[-1]) <= end:
                month += period.every_months
                nxt = (add_months(start, month) - start).days
                if nxt <= offsets[-1]:
                    continue
                if limit is not None and nxt > limit:
                    break
                offsets.append(nxt)
        elif period.every:
            while clock(offsets[-1]) <= end:
                nxt = offsets[-1] + period.every
                if limit is not None and nxt > limit:
                    if offsets[-1] < limit:
                        offsets.append(limit)
                    break
                offsets.append(nxt)
    windows = []
    after = None
    for first, nxt in itertools.pairwise(offsets):
        first_day = clock(first)
        if first_day >= end:  # a window opens only before the end: the end day closes the stage
            break
        after = clock(nxt)
        windows.append((first_day, min(after - ONE_DAY, end)))
    return windows, after


@attrs.frozen
class Window:
    """One window of a frequency schedule, first to last day inclusive.

    Attributes:
        away: Its days on which the practitioner was away (any absence, or a pause).
        exempt: At work for less than half its days: an empty window is no gap (BASELINE.md).
        joined: A short last window (under half its period) joined to this one.
    """

    first: dt.date
    last: dt.date
    away: int = 0
    exempt: bool = False
    joined: bool = False

    @property
    def days(self) -> int:
        """Its length in calendar days."""
        return (self.last - self.first).days + 1


def _ordinals(away: Iterable[tuple[dt.date, dt.date]]) -> Iterator[tuple[int, int]]:
    """Each spell ``(first, last)`` as day numbers."""
    for a, b in away:
        yield a.toordinal(), b.toordinal()


def _days_within(first: int, last: int, spans: Sequence[tuple[int, int]]) -> int:
    """The days of ``first..last`` inside any of the ``spans`` (sorted; they may overlap).

    Counted span by span, each from the day after the last one counted (issue 14: this was a
    set of every day away, for every window of the supervision rule).
    """
    total = 0
    counted = first - 1  # every day up to this one is counted already
    for a, b in spans:
        if a > last:
            break
        low, high = max(a, counted + 1), min(b, last)
        if high >= low:
            total += high - low + 1
            counted = high
    return total


def judged_windows(
    start: dt.date,
    end: dt.date,
    periods: Sequence[Period],
    paused: Sequence[Pause] = (),
    away: Sequence[tuple[dt.date, dt.date]] = (),
) -> tuple[Window, ...]:
    """The windows of a schedule as BASELINE.md judges a support gap in them.

    As :func:`frequency_windows`, and: a last window shorter than half its full period joins
    the one before (a part-timer's two-day stub at the end of the stage is no window of its
    own); a window in which the practitioner was at work for less than half its days
    (``away``: absences of any kind, annual leave and training included, and ``paused``) is
    exempt.
    """
    raw, after = _frequency(start, end, periods, paused)
    if len(raw) >= 2 and after is not None:  # noqa: PLR2004 - a stub joins only a window before it
        first, last = raw[-1]
        # Its uncut length (issue 14: found with the schedule, not by making it again).
        full = min((after - first).days, _LONGEST)
        if ((last - first).days + 1) * 2 < full:
            raw[-2:] = [(raw[-2][0], last)]
            joined = True
        else:
            joined = False
    else:
        joined = False
    spells = sorted(_ordinals([*away, *((p.first, p.last) for p in paused)]))
    out = []
    for index, (first, last) in enumerate(raw):
        days_away = _days_within(first.toordinal(), last.toordinal(), spells)
        length = (last - first).days + 1
        out.append(
            Window(
                first,
                last,
                days_away,
                exempt=(length - days_away) * 2 < length,
                joined=joined and index == len(raw) - 1,
            )
        )
    return tuple(out)


#: The longest uncut window :func:`judged_windows` tells (the longest period a rule may have):
#: a longer one counts as this long.
_LONGEST = 4000


#: Supervision minimum (FACTS.md 1): weekly to day 42, fortnightly to 6 months, then monthly.
SUPERVISION = (Period(every=7, until=42), Period(every=14, until_months=6), Period(every_months=1))


def supervision_schedule(
    start: dt.date, end: dt.date, paused: Sequence[Pause] = ()
) -> tuple[tuple[dt.date, dt.date], ...]:
    """The supervision windows of a stage: weekly to day 42, fortnightly to 6 months, then monthly.

    By calendar time from the stage start, shifted by pauses (BASELINE.md 6).  Each window
    ``(first, last)``, both inclusive, should hold at least one supervision; windows stop at
    ``end`` (the last one is cut short there).
    """
    return frequency_windows(start, end, SUPERVISION, paused)


@attrs.frozen
class MilestoneDue:
    """A milestone of a stage with its due date and, if held, the day it was held.

    Attributes:
        due: ``None`` for a milestone with no due date of its own (moderation).  The agreed
            date moved by pauses when people agreed one, else the computed date.
        optional: An optional milestone is never overdue.
        computed: The date the framework's formula gives (``None``: no due date of its own).
        agreed: The date people agreed (:class:`ecf.records.AgreedDate`), before any pause
            moved it; ``None`` when none was agreed.
    """

    id: str
    title: str
    months: int | None
    optional: bool
    due: dt.date | None
    held: dt.date | None
    computed: dt.date | None = None
    agreed: dt.date | None = None

    def overdue(self, as_of: dt.date) -> bool:
        """Not held, not optional, and due before ``as_of``."""
        return self.held is None and not self.optional and self.due is not None and self.due < as_of


@attrs.frozen
class StageTimeline:
    """The milestones of one enrolment and its expected end."""

    stage: str
    title: str
    start: dt.date
    framework: str
    milestones: tuple[MilestoneDue, ...]
    expected_end: dt.date
    pauses: tuple[Pause, ...]


def calendar_due(start: dt.date, months: int, paused: Sequence[Pause] = ()) -> dt.date:
    """A review due by calendar months from ``start``, shifted by pauses (``calendar`` cadence).

    The working pattern does not move it: a part-timer's 3-month review is due 3 calendar
    months after the start, later only by the days paused.  Full-time with no pauses, it is
    :func:`due_date`'s date.

    >>> calendar_due(dt.date(2025, 9, 1), 3)
    datetime.date(2025, 12, 1)
    """
    return clock_date(start, (add_months(start, months) - start).days, paused)


def stage_timeline(
    stage: StageDef,
    start: dt.date,
    framework: Framework,
    *,
    hours: Sequence[PatternChange] = (),
    absences: Sequence[Absence] = (),
    held: dict[str, dt.date] | None = None,
    extended_until: dt.date | None = None,
    gaps: Sequence[tuple[dt.date, dt.date]] = (),
    agreed: Mapping[str, dt.date] | None = None,
) -> StageTimeline:
    """Every milestone of a stage with its due date, and the stage's expected end.

    The expected end is the due date of the last dated milestone; an extension moves it (and
    that milestone's due date) to ``extended_until`` when that is later.  ``gaps`` are spells
    between two employments (first and last day): they stop the clock whatever their length.
    ``agreed`` maps a milestone id to the date people agreed for it: that milestone is due on
    the agreed date moved by the pauses that start before it (:func:`agreed_due`), not on the
    computed one (both are kept); a milestone with no due date of its own may have one too.
    Under the framework's ``review_cadence = "calendar"`` the reviews are computed by calendar
    months shifted by pauses, the last dated milestone still pro rata (:func:`calendar_due`).
    """
    timeline = planned_timeline(
        stage,
        start,
        framework,
        hours=hours,
        absences=absences,
        held=held,
        gaps=gaps,
        agreed=agreed,
    )
    last = stage.last_dated
    if extended_until is None or last is None:
        return timeline
    return extended(timeline, last.id, extended_until)


def planned_timeline(
    stage: StageDef,
    start: dt.date,
    framework: Framework,
    *,
    hours: Sequence[PatternChange] = (),
    absences: Sequence[Absence] = (),
    held: Mapping[str, dt.date] | None = None,
    gaps: Sequence[tuple[dt.date, dt.date]] = (),
    agreed: Mapping[str, dt.date] | None = None,
) -> StageTimeline:
    """:func:`stage_timeline` before any extension: the part that depends on no date.

    Everything here follows from the record and the framework alone (the start, the working
    pattern, the pauses, the gaps, the dates held and agreed), so the result may be kept with
    the record and reused as of any date; an extension decided by then is applied to it with
    :func:`extended`.  The dates are :func:`due_date`'s, :func:`calendar_due`'s and
    :func:`agreed_due`'s, each counted on a clock made once for the whole stage.
    """
    held = held or {}
    agreed = agreed or {}
    paused = pauses(absences, framework)  # in order of their first days already
    if gaps:
        paused = tuple(sorted((*paused, *(Pause(a, b) for a, b in gaps)), key=_first))
    last = stage.last_dated
    last_id = last.id if last is not None else None
    by_calendar = framework.review_cadence == "calendar"
    service: _Clock | None = None  # the pro-rata clock: the working pattern and the pauses
    plain: _Clock | None = None  # calendar days shifted by pauses
    milestones = []
    dated: list[dt.date] = []
    # Full time from the start and never paused, a milestone is due on its calendar date: no
    # clock to make (the most common record).
    plain_full = not paused
    service_full = plain_full and not hours
    held_on = held.get
    for ms in stage.milestones:
        computed = None
        if ms.months is not None:
            target = add_months(start, ms.months)
            if not by_calendar and service_full:  # the most common case, first
                computed = target
            elif by_calendar and ms.id != last_id:
                if plain_full:
                    computed = target
                else:
                    plain = plain or _Clock(_segments(start, (), paused))
                    computed = target if plain.full_time else plain.reach((target - start).days)
            elif service_full:
                computed = target
            else:
                service = service or _Clock(_segments(start, hours, paused))
                computed = target if service.full_time else service.reach((target - start).days)
        on = agreed.get(ms.id) if agreed else None
        if on is None:
            due = computed
        else:
            plain = plain or _Clock(_segments(start, (), paused))
            due = plain.reach((on - start).days)
        if due is not None:
            dated.append(due)
        milestones.append(
            MilestoneDue(ms.id, ms.title, ms.months, ms.optional, due, held_on(ms.id), computed, on)
        )
    return StageTimeline(
        stage=stage.id,
        title=stage.title,
        start=start,
        framework=framework.version,
        milestones=tuple(milestones),
        expected_end=max(dated),
        pauses=paused,
    )


@attrs.frozen
class StagePlan:
    """The as-of-independent part of a stage's timeline, and what a date adds to it.

    Everything but an extension follows from the record and the framework alone, so a plan
    may be kept with the record (say, in a cache keyed by the record's and the framework's
    digests) and give the timeline as of any date with :meth:`as_of`.

    Attributes:
        timeline: The timeline before any extension (:func:`planned_timeline`).
        last: The stage's last dated milestone, which an extension moves (None: none dated).
        extensions: Each extension in force on the stage: the day it was decided and the new
            end date it gave, oldest first.
    """

    timeline: StageTimeline
    last: str | None = None
    extensions: tuple[tuple[dt.date, dt.date], ...] = ()

    def as_of(self, as_of: dt.date | None = None) -> StageTimeline:
        """The timeline as of a date: with the latest end the extensions decided by then give.

        Args:
            as_of: Extensions decided after it are not known yet (None: every one counts).
        """
        if not self.extensions:
            return self.timeline
        untils = [u for decided, u in self.extensions if as_of is None or decided <= as_of]
        if not untils or self.last is None:
            return self.timeline
        return extended(self.timeline, self.last, max(untils))


def extended(timeline: StageTimeline, last: str, until: dt.date) -> StageTimeline:
    """A timeline with an extension to ``until``: its milestone ``last`` due no earlier.

    ``last`` is the stage's last dated milestone (:attr:`ecf.framework.StageDef.last_dated`),
    whose due date is the expected end: both move to ``until`` when that is later.
    """
    milestones = tuple(
        attrs.evolve(m, due=max(m.due, until)) if m.id == last and m.due is not None else m
        for m in timeline.milestones
    )
    return attrs.evolve(
        timeline,
        milestones=milestones,
        expected_end=max(m.due for m in milestones if m.due is not None),
    )
