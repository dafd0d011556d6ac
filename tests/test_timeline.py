"""The timeline engine against BASELINE.md: its examples verbatim, and properties checked
against a naive day-by-day reference implementation of the due-date rule written here."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from fractions import Fraction
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecf.framework import FrameworkRegistry
from ecf.records import Absence, PatternChange
from ecf.testing import absences, dates, ftes, pattern_changes
from ecf.timeline import (
    Pause,
    add_months,
    clock_date,
    due_date,
    pauses,
    stage_timeline,
    supervision_schedule,
)

if TYPE_CHECKING:
    import random

FW = FrameworkRegistry.default().get("baseline-2026")
D = dt.date
DAY = dt.timedelta(days=1)

# BASELINE.md 5, written out here rather than read from the framework data under test.
PAUSING = (
    "sickness",
    "parental",
    "bereavement",
    "unpaid",
    "career-break",
    "other",
    "support-gap",
)
NOT_PAUSING = ("annual-leave", "training")
THRESHOLD = 28

#: Milestone offsets the baseline uses, and a few others.
MONTHS = st.sampled_from((1, 3, 6, 9, 12, 24, 36)) | st.integers(1, 40)
STARTS = dates(D(2000, 1, 1), D(2040, 12, 31))


# --- the reference: BASELINE.md rules 1-5, one day at a time ------------------------------


def ref_add_months(day: dt.date, months: int) -> dt.date:
    """Step month by month, then step the day back until the date exists."""
    year, month = day.year, day.month
    for _ in range(months):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    for dom in range(day.day, 0, -1):
        try:
            return D(year, month, dom)
        except ValueError:
            continue
    raise AssertionError  # pragma: no cover


def ref_paused_days(spells: list[Absence] | tuple[Absence, ...]) -> set[dt.date]:
    """Days in a run of consecutive days of pausing absences that lasts 28 days or more."""
    days = {a.first + n * DAY for a in spells if a.kind in PAUSING for n in range(a.days)}
    paused: set[dt.date] = set()
    for day in days:
        if day - DAY in days:
            continue  # not the first day of a run
        run = list(
            itertools.takewhile(days.__contains__, (day + n * DAY for n in itertools.count()))
        )
        if len(run) >= THRESHOLD:
            paused.update(run)
    return paused


def ref_fte(hours: tuple[PatternChange, ...], day: dt.date) -> Fraction:
    in_force = [c for c in hours if c.from_ <= day]
    return max(in_force, key=lambda c: c.from_).fte if in_force else Fraction(1)


def ref_due(
    start: dt.date,
    months: int,
    hours: tuple[PatternChange, ...] = (),
    absent: tuple[Absence, ...] = (),
) -> dt.date:
    """The first t with the service accrued on the days start <= d < t at least L."""
    length = (ref_add_months(start, months) - start).days
    paused = ref_paused_days(absent)
    accrued, t = Fraction(0), start
    while accrued < length:
        if t not in paused:
            accrued += ref_fte(hours, t)
        t += DAY
    return t


def ref_clock(start: dt.date, offsets: list[int], paused: set[dt.date]) -> dict[int, dt.date]:
    """For each offset n: the first day t with n unpaused days in start <= d < t."""
    first_at: dict[int, dt.date] = {0: start}
    count, t = 0, start
    while count < max(offsets):
        if t not in paused:
            count += 1
            first_at.setdefault(count, t + DAY)
        t += DAY
    return {n: first_at[n] for n in offsets}


def ref_supervision(
    start: dt.date, end: dt.date, paused: set[dt.date]
) -> list[tuple[dt.date, dt.date]]:
    """Weekly to day 42, fortnightly to 6 months, monthly after; shifted by paused days."""
    six = (ref_add_months(start, 6) - start).days
    bounds = [*range(0, 43, 7), *range(56, six + 1, 14)]
    if bounds[-1] < six:
        bounds.append(six)
    months = 7
    while True:  # enough month boundaries to pass the end, however long the pauses
        bounds.append((ref_add_months(start, months) - start).days)
        if bounds[-1] > (end - start).days + len(paused):
            break
        months += 1
    clock = ref_clock(start, bounds, paused)
    windows = []
    for a, b in itertools.pairwise(bounds):
        if clock[a] >= end:
            break
        windows.append((clock[a], min(clock[b] - DAY, end)))
    return windows


def lowered(
    hours: tuple[PatternChange, ...], first: dt.date, until: dt.date, factor: Fraction
) -> tuple[PatternChange, ...]:
    """The pattern scaled by ``factor`` on the days first <= d < until, unchanged elsewhere."""
    changes = {c.from_: c.fte for c in hours if not first <= c.from_ < until}
    changes.update({c.from_: c.fte * factor for c in hours if first <= c.from_ < until})
    changes[first] = ref_fte(hours, first) * factor
    changes.setdefault(until, ref_fte(hours, until))
    return tuple(PatternChange(d, f) for d, f in sorted(changes.items()))


def due(
    start: dt.date,
    months: int,
    hours: tuple[PatternChange, ...] = (),
    absent: tuple[Absence, ...] = (),
) -> dt.date:
    """The library's due date for the same inputs as :func:`ref_due`."""
    return due_date(start, months, hours, pauses(absent, FW))


# --- BASELINE.md's examples, verbatim ------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2025, 8, 31), 6, D(2026, 2, 28)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2025, 9, 1), 3, D(2025, 12, 1)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2025, 12, 31), 2, D(2026, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_last_day_of_the_month(
    day: dt.date, months: int, expected: dt.date
) -> None:
    assert add_months(day, months) == expected
    assert ref_add_months(day, months) == expected


S = D(2025, 9, 1)
HALF = (PatternChange(S, Fraction(1, 2)),)


def test_full_time_review_3m_and_final_review() -> None:
    assert due_date(S, 3) == D(2025, 12, 1)
    assert due_date(S, 12) == D(2026, 9, 1)


def test_half_time_review_3m_takes_182_days_and_final_review_two_years() -> None:
    assert due_date(S, 3, HALF) == D(2026, 3, 2)
    assert (D(2026, 3, 2) - S).days == 182
    assert due_date(S, 12, HALF) == D(2027, 9, 1)


def test_six_weeks_of_sickness_moves_review_3m_to_12_january() -> None:
    sick = (Absence("sickness", D(2025, 10, 1), D(2025, 11, 11)),)
    assert sick[0].days == 42
    assert due(S, 3, absent=sick) == D(2026, 1, 12)


def test_asye_timeline_with_six_weeks_of_sickness() -> None:
    stage = FW.stage("asye")
    assert stage is not None
    sick = (Absence("sickness", D(2025, 10, 1), D(2025, 11, 11)),)
    tl = stage_timeline(stage, S, FW, absences=sick)
    got = {m.id: m.due for m in tl.milestones}
    assert got["review-3m"] == D(2026, 1, 12)
    assert got["final-review"] == D(2026, 10, 13)
    assert got["moderation"] is None
    assert tl.expected_end == D(2026, 10, 13)
    assert tl.pauses == (Pause(D(2025, 10, 1), D(2025, 11, 11)),)


@pytest.mark.parametrize("kind", NOT_PAUSING)
def test_annual_leave_and_training_never_pause(kind: str) -> None:
    away = (Absence(kind, D(2025, 10, 1), D(2025, 12, 31)),)
    assert pauses(away, FW) == ()
    assert due(S, 3, absent=away) == D(2025, 12, 1)


def test_a_27_day_sickness_does_not_pause() -> None:
    sick = (Absence("sickness", D(2025, 10, 1), D(2025, 10, 27)),)
    assert sick[0].days == 27
    assert pauses(sick, FW) == ()
    assert due(S, 3, absent=sick) == D(2025, 12, 1)


def test_a_28_day_sickness_pauses() -> None:
    sick = (Absence("sickness", D(2025, 10, 1), D(2025, 10, 28)),)
    assert due(S, 3, absent=sick) == D(2025, 12, 29)


def test_back_to_back_pausing_absences_forming_28_days_pause() -> None:
    # Two fit notes of 14 days, different kinds, with no gap: one spell of 28 days.
    spell = (
        Absence("sickness", D(2025, 10, 1), D(2025, 10, 14)),
        Absence("bereavement", D(2025, 10, 15), D(2025, 10, 28)),
    )
    assert pauses(spell, FW) == (Pause(D(2025, 10, 1), D(2025, 10, 28)),)
    assert due(S, 3, absent=spell) == D(2025, 12, 29)


def test_pausing_absences_with_a_day_between_them_do_not_join() -> None:
    apart = (
        Absence("sickness", D(2025, 10, 1), D(2025, 10, 14)),
        Absence("sickness", D(2025, 10, 16), D(2025, 10, 29)),
    )
    assert pauses(apart, FW) == ()
    assert due(S, 3, absent=apart) == D(2025, 12, 1)


def test_annual_leave_between_sick_spells_does_not_join_them() -> None:
    mixed = (
        Absence("sickness", D(2025, 10, 1), D(2025, 10, 14)),
        Absence("annual-leave", D(2025, 10, 15), D(2025, 10, 20)),
        Absence("sickness", D(2025, 10, 21), D(2025, 11, 3)),
    )
    assert due(S, 3, absent=mixed) == D(2025, 12, 1)


def test_a_stage_that_starts_during_a_pause_counts_from_its_start() -> None:
    # Sick from before the start until 30 September: the clock runs from 1 October.
    sick = pauses([Absence("sickness", D(2025, 8, 1), D(2025, 9, 30))], FW)
    assert clock_date(S, 0, sick) == S
    assert clock_date(S, 1, sick) == D(2025, 10, 2)
    assert due_date(S, 3, (), sick) == D(2025, 12, 31)
    windows = supervision_schedule(S, D(2026, 9, 1), sick)
    assert windows[:2] == ((S, D(2025, 10, 7)), (D(2025, 10, 8), D(2025, 10, 14)))


def test_supervision_is_weekly_then_fortnightly_then_monthly() -> None:
    windows = supervision_schedule(S, D(2026, 9, 1))
    assert windows[:2] == ((D(2025, 9, 1), D(2025, 9, 7)), (D(2025, 9, 8), D(2025, 9, 14)))
    assert windows[6] == (D(2025, 10, 13), D(2025, 10, 26))  # day 42: fortnightly
    assert (D(2026, 3, 1), D(2026, 3, 31)) in windows  # from 6 months: monthly
    assert windows[-1] == (D(2026, 8, 1), D(2026, 8, 31))  # the end day closes the stage


# --- properties -------------------------------------------------------------------------


@given(start=STARTS, months=MONTHS, fte=ftes(), before=st.integers(0, 400))
def test_at_constant_fte_due_is_ceil_of_length_over_fte(
    start: dt.date, months: int, fte: Fraction, before: int
) -> None:
    length = (add_months(start, months) - start).days
    hours = (PatternChange(start - before * DAY, fte),)
    assert due_date(start, months, hours) == start + math.ceil(length / fte) * DAY


@given(start=STARTS, months=MONTHS, ones=st.lists(st.integers(-400, 1200), max_size=3))
def test_full_time_without_pauses_is_due_after_k_calendar_months(
    start: dt.date, months: int, ones: list[int]
) -> None:
    hours = tuple(PatternChange(start + n * DAY, Fraction(1)) for n in sorted(set(ones)))
    assert due_date(start, months, hours) == add_months(start, months)
    assert due_date(start, months, hours) == ref_add_months(start, months)


@given(day=STARTS, months=st.integers(0, 600))
def test_add_months_matches_the_month_by_month_reference(day: dt.date, months: int) -> None:
    assert add_months(day, months) == ref_add_months(day, months)


@st.composite
def situations(
    draw: st.DrawFn,
) -> tuple[dt.date, int, tuple[PatternChange, ...], tuple[Absence, ...]]:
    start = draw(STARTS)
    months = draw(MONTHS)
    hours = draw(pattern_changes(start - 400 * DAY, start + 800 * DAY))
    absent = draw(absences(FW, start - 100 * DAY, start + 1200 * DAY))
    return start, months, hours, absent


@given(situations())
def test_due_date_matches_the_day_by_day_reference(
    situation: tuple[dt.date, int, tuple[PatternChange, ...], tuple[Absence, ...]],
) -> None:
    start, months, hours, absent = situation
    assert due(start, months, hours, absent) == ref_due(start, months, hours, absent)


@given(situations(), st.randoms(use_true_random=False))
def test_due_date_does_not_depend_on_the_order_of_changes(
    situation: tuple[dt.date, int, tuple[PatternChange, ...], tuple[Absence, ...]],
    rnd: random.Random,
) -> None:
    start, months, hours, absent = situation
    shuffled_hours, shuffled_absent = list(hours), list(absent)
    rnd.shuffle(shuffled_hours)
    rnd.shuffle(shuffled_absent)
    assert due(start, months, tuple(shuffled_hours), tuple(shuffled_absent)) == due(
        start, months, hours, absent
    )


@given(
    start=STARTS,
    stage_id=st.sampled_from(FW.stage_ids()),
    data=st.data(),
)
def test_stage_timeline_matches_the_reference_for_every_milestone(
    start: dt.date, stage_id: str, data: st.DataObject
) -> None:
    stage = FW.stage(stage_id)
    assert stage is not None
    hours = data.draw(pattern_changes(start - 100 * DAY, start + 800 * DAY))
    absent = data.draw(absences(FW, start - 100 * DAY, start + 1200 * DAY))
    tl = stage_timeline(stage, start, FW, hours=hours, absences=absent)
    for ms, got in zip(stage.milestones, tl.milestones, strict=True):
        assert got.id == ms.id
        expected = None if ms.months is None else ref_due(start, ms.months, hours, absent)
        assert got.due == expected, ms.id
    assert tl.expected_end == max(m.due for m in tl.milestones if m.due is not None)


@given(
    situation=situations(),
    kind=st.sampled_from(PAUSING + NOT_PAUSING),
    first=st.integers(-100, 1200),
    length=st.integers(1, 200),
)
def test_adding_an_absence_never_brings_a_due_date_forward(
    situation: tuple[dt.date, int, tuple[PatternChange, ...], tuple[Absence, ...]],
    kind: str,
    first: int,
    length: int,
) -> None:
    start, months, hours, absent = situation
    extra = Absence(kind, start + first * DAY, start + (first + length - 1) * DAY)
    assert due(start, months, hours, (*absent, extra)) >= due(start, months, hours, absent)


@given(
    situation=situations(),
    first=st.integers(-100, 1200),
    length=st.integers(1, 1200),
    factor=ftes(),
)
def test_lowering_the_fte_over_any_period_never_brings_a_due_date_forward(
    situation: tuple[dt.date, int, tuple[PatternChange, ...], tuple[Absence, ...]],
    first: int,
    length: int,
    factor: Fraction,
) -> None:
    start, months, hours, absent = situation
    lower = lowered(hours, start + first * DAY, start + (first + length) * DAY, factor)
    for n in range(first - 1, first + length + 1):
        assert ref_fte(lower, start + n * DAY) <= ref_fte(hours, start + n * DAY)
    assert due(start, months, lower, absent) >= due(start, months, hours, absent)


@given(
    start=STARTS,
    months=MONTHS,
    kind=st.sampled_from(PAUSING),
    where=st.floats(0, 1, exclude_max=True),
    length=st.integers(THRESHOLD, 400),
)
def test_a_long_pause_before_the_due_date_moves_it_by_exactly_its_length(
    start: dt.date, months: int, kind: str, where: float, length: int
) -> None:
    original = add_months(start, months)
    first = start + int(where * (original - start).days) * DAY
    assert start <= first < original
    sick = (Absence(kind, first, first + (length - 1) * DAY),)
    assert due(start, months, absent=sick) == original + length * DAY


@given(
    start=STARTS,
    months=MONTHS,
    kinds=st.lists(st.sampled_from(PAUSING), min_size=2, max_size=4),
    cuts=st.lists(st.integers(1, 399), min_size=3, max_size=3, unique=True),
    length=st.integers(THRESHOLD, 400),
    offset=st.integers(0, 30),
)
def test_a_long_spell_split_into_back_to_back_absences_pauses_as_one(
    start: dt.date, months: int, kinds: list[str], cuts: list[int], length: int, offset: int
) -> None:
    first = start + offset * DAY
    points = [0, *sorted(c for c in cuts if c < length)[: len(kinds) - 1], length]
    parts = tuple(
        Absence(kind, first + a * DAY, first + (b - 1) * DAY)
        for kind, (a, b) in zip(kinds, itertools.pairwise(points), strict=False)
    )
    assert sum(p.days for p in parts) == length
    assert pauses(parts, FW) == (Pause(first, first + (length - 1) * DAY),)
    whole = (Absence(kinds[0], first, first + (length - 1) * DAY),)
    assert due(start, months, absent=parts) == due(start, months, absent=whole)


@given(
    start=STARTS,
    months=MONTHS,
    kind_length=st.one_of(
        st.tuples(st.sampled_from(PAUSING), st.integers(1, THRESHOLD - 1)),
        st.tuples(st.sampled_from(NOT_PAUSING), st.integers(1, 400)),
    ),
    first=st.integers(-60, 400),
)
def test_short_or_non_pausing_absences_never_move_a_due_date(
    start: dt.date, months: int, kind_length: tuple[str, int], first: int
) -> None:
    kind, length = kind_length
    away = (Absence(kind, start + first * DAY, start + (first + length - 1) * DAY),)
    assert due(start, months, absent=away) == add_months(start, months)


@given(
    start=STARTS,
    length=st.integers(1, 1500),
    absent=st.data(),
)
def test_supervision_windows_tile_the_stage_and_match_the_reference(
    start: dt.date, length: int, absent: st.DataObject
) -> None:
    end = start + length * DAY
    away = absent.draw(absences(FW, start - 60 * DAY, end))
    paused = pauses(away, FW)
    windows = supervision_schedule(start, end, paused)
    assert windows, "a stage that lasts a day has a window"
    assert windows[0][0] == start
    for first, last in windows:
        assert first <= last <= end
    for (_, last), (first, _) in itertools.pairwise(windows):
        assert first == last + DAY  # contiguous, no overlap
    assert windows[-1][1] in (end - DAY, end)
    assert list(windows) == ref_supervision(start, end, ref_paused_days(away))


@given(start=STARTS, length=st.integers(42, 1500))
def test_without_pauses_supervision_is_weekly_for_the_first_42_days(
    start: dt.date, length: int
) -> None:
    windows = supervision_schedule(start, start + length * DAY)
    weekly = [w for w in windows if w[0] < start + 42 * DAY]
    assert weekly == [(start + n * DAY, start + (n + 6) * DAY) for n in range(0, 42, 7)]
    if length > 42:
        assert windows[6][0] == start + 42 * DAY
        assert (windows[6][1] - windows[6][0]).days + 1 == min(14, length - 41)


@given(start=STARTS, days=st.integers(0, 2000), data=st.data())
def test_clock_date_skips_exactly_the_paused_days(
    start: dt.date, days: int, data: st.DataObject
) -> None:
    away = data.draw(absences(FW, start - 60 * DAY, start + 2000 * DAY))
    got = clock_date(start, days, pauses(away, FW))
    assert got == ref_clock(start, [days], ref_paused_days(away))[days]
