"""Issue 14, items 2 and 3: the engine's faster paths give what the plain ones give.

Never how fast (the benchmarks measure that): each fast path is compared with the plain
formulation it replaces, written out here or kept beside it in the module.

* the integer clock of the timeline (``timeline._Clock``) reaches the dates of the exact
  :class:`~fractions.Fraction` walk (``timeline._reach``), on any segments;
* a framework's remembered lookups answer as the linear searches over its data do, and the
  framework a council's settings make is the one :func:`attrs.evolve` makes;
* the as-of-independent plan of a stage (:func:`ecf.progression.stage_plan`) gives, as of any
  date, the timeline the extensions decided by then give (written out here);
* :func:`ecf.items.kept` keeps what :func:`ecf.items.in_force` keeps;
* :func:`ecf.status.status` gives each milestone the state :meth:`MilestoneStatus.of` gives,
  never overdue in a closed stage;
* a frequency rule finds each piece of evidence in the window that holds it by a binary
  search (``rules._holding``), as looking in every window does.

The outputs of whole commands are compared with those of the code before the speed work in
``tests/test_engine_golden.py``.
"""

from __future__ import annotations

import datetime as dt
import importlib
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from ecf import items, rules, timeline
from ecf.framework import Framework, FrameworkRegistry
from ecf.progression import stage_plan, timeline_for
from ecf.records import Evidence
from ecf.status import CLOSED, MilestoneStatus
from ecf.testing import records

if TYPE_CHECKING:
    from ecf.framework import ReviewCadence
    from ecf.records import Record
    from ecf.timeline import StageTimeline

status_module = importlib.import_module("ecf.status")  # the facade's ecf.status is a function

REGISTRY = FrameworkRegistry.default()
TODAY = dt.date(2026, 11, 30)
START = dt.date(2024, 1, 1)


@st.composite
def segments(draw: st.DrawFn) -> list[tuple[dt.date, Fraction]]:
    """Breakpoints from a start, each with a rate (0 for a pause); the last one accrues."""
    gaps = draw(st.lists(st.integers(1, 400), max_size=6))
    days = [START]
    for gap in gaps:
        days.append(days[-1] + dt.timedelta(days=gap))
    rate = st.one_of(st.just(Fraction(0)), st.fractions(0, 1, max_denominator=100))
    rates = [draw(rate) for _ in days[:-1]]
    rates.append(draw(st.fractions(Fraction(1, 100), 1, max_denominator=100)))
    return list(zip(days, rates, strict=True))


@given(segments(), st.integers(-5, 3000))
def test_the_integer_clock_reaches_the_dates_of_the_exact_walk(
    found: list[tuple[dt.date, Fraction]], days: int
) -> None:
    assert timeline._Clock(found).reach(days) == timeline._reach(found, Fraction(days))


@given(segments())
def test_a_full_time_clock_is_one_segment_at_the_full_rate(
    found: list[tuple[dt.date, Fraction]],
) -> None:
    assert timeline._Clock(found).full_time == (found[0][1] == 1 and len(found) == 1)


def _frameworks() -> list[Framework]:
    return [REGISTRY.get(v) for v in REGISTRY.versions()]


def test_remembered_lookups_answer_as_the_linear_searches_do() -> None:
    for fw in _frameworks():
        stage_names = [*(s.id for s in fw.stages), *(a for s in fw.stages for a in s.aliases)]
        for name in [*stage_names, "qualification", "nope"]:
            assert fw.next_stages(name) == tuple(s.id for s in fw.stages if name in s.follows)
            assert fw.outcomes_for(name) == tuple(
                o.id for o in fw.outcomes if not o.stages or name in o.stages
            )
        for outcome in [*(o.id for o in fw.outcomes), "nope"]:
            assert fw.outcome(outcome) == next((o for o in fw.outcomes if o.id == outcome), None)
            assert fw.reasons_for(outcome) == tuple(
                r.id for r in fw.reason_codes if outcome in r.outcomes
            )
        for kind in [*(k.id for k in fw.absence_kinds), "nope"]:
            assert fw.absence_kind(kind) == next(
                (k for k in fw.absence_kinds if k.id == kind), None
            )
        assert fw.absence_kind_ids() == frozenset(k.id for k in fw.absence_kinds)
        assert fw.evidence_kind_ids() == frozenset(k.id for k in fw.evidence_kinds)
        assert fw.standard_ids() == frozenset(
            f"{s.id}:{x.id}" for s in fw.standard_sets for x in s.standards
        )
        assert fw.stage_ids() == tuple(s.id for s in fw.stages)
        for service in ("children", "adults"):
            assert fw.standard_sets_for(service) == tuple(
                s for s in fw.standard_sets if service in s.services
            )
        for set_id in [*(s.id for s in fw.standard_sets), "nope"]:
            assert fw.standard_set(set_id) == next(
                (s for s in fw.standard_sets if s.id == set_id), None
            )
        for stage in fw.stages:
            dated = [m for m in stage.milestones if m.months is not None]
            assert stage.last_dated == max(dated, key=lambda m: m.months or 0)
            for ms in [*(m.id for m in stage.milestones), "nope"]:
                assert stage.milestone(ms) == next(
                    (m for m in stage.milestones if m.id == ms), None
                )
            for service in ("children", "adults"):
                assert stage.openings_for(service) == tuple(
                    o for o in stage.openings if service in o.services
                )


def test_remembered_answers_are_not_fields() -> None:
    fw = REGISTRY.get()
    fw.standard_ids()
    assert "_answers" not in {a.name for a in attrs.fields(Framework)}
    assert attrs.evolve(fw) == fw
    assert hash(attrs.evolve(fw)) == hash(fw)


@given(st.sampled_from([None, 14, 28, 42]), st.sampled_from([None, "pro-rata", "calendar"]))
def test_a_councils_framework_is_the_one_evolve_makes_and_made_once(
    threshold: int | None, cadence: ReviewCadence | None
) -> None:
    fw = REGISTRY.get()
    expected = fw
    if threshold is not None:
        expected = attrs.evolve(expected, pause_threshold_days=threshold)
    if cadence is not None:
        expected = attrs.evolve(expected, review_cadence=cadence)
    made = fw.with_settings(threshold, cadence)
    assert made == expected
    assert made.pause_threshold_days == expected.pause_threshold_days
    assert made.review_cadence == expected.review_cadence
    assert fw.with_settings(threshold, cadence) is made


def _extended_as_the_engine_did(
    tl: StageTimeline, last: str | None, record: Record, as_of: dt.date
) -> StageTimeline:
    """The extension as ``timeline_for`` applied it before the plan: the latest ``until``."""
    untils = [
        d.until
        for d in record.decisions_for(tl.stage)
        if d.outcome == "extended" and d.until and d.date <= as_of
    ]
    if not untils or last is None:
        return tl
    until = max(untils)
    milestones = tuple(
        attrs.evolve(m, due=max(m.due, until)) if m.id == last and m.due is not None else m
        for m in tl.milestones
    )
    dated = [m.due for m in milestones if m.due is not None]
    return attrs.evolve(tl, milestones=milestones, expected_end=max(dated))


@given(records(today=TODAY), st.integers(-400, 1500))
def test_a_stage_plan_gives_the_timeline_as_of_any_date(record: Record, offset: int) -> None:
    for enrolment in record.enrolments:
        as_of = enrolment.start + dt.timedelta(days=offset)
        plan = stage_plan(record, enrolment, REGISTRY)
        got = plan.as_of(as_of)
        assert got == timeline_for(record, enrolment, REGISTRY, as_of)
        assert got == _extended_as_the_engine_did(plan.timeline, plan.last, record, as_of)
        stage = REGISTRY.get(enrolment.framework).stage(enrolment.stage)
        assert stage is not None
        assert plan.last == (stage.last_dated.id if stage.last_dated else None)
        assert plan.as_of(None) == timeline_for(record, enrolment, REGISTRY)


@given(records(today=TODAY), st.data())
def test_kept_keeps_what_in_force_keeps(record: Record, data: st.DataObject) -> None:
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    changed: dict[str, Any] = {}
    for field in sorted(items.RETRACTABLE):
        got = getattr(record, field)
        marks = data.draw(st.lists(st.booleans(), min_size=len(got), max_size=len(got)))
        changed[field] = tuple(
            attrs.evolve(x, retracted=when) if m else x for x, m in zip(got, marks, strict=True)
        )
    record = attrs.evolve(record, **changed)
    counted = items.in_force(record)
    for field in items.RETRACTABLE:
        assert tuple(items.kept(getattr(record, field))) == getattr(counted, field)
        if all(x.retracted is None for x in getattr(record, field)):
            assert items.kept(getattr(record, field)) is getattr(record, field)


@given(records(today=TODAY), st.integers(-400, 1500))
def test_status_gives_each_milestone_the_state_milestone_status_gives(
    record: Record, offset: int
) -> None:
    as_of = record.enrolments[0].start + dt.timedelta(days=offset)
    got = status_module.status(record, REGISTRY, as_of)
    started = [e for e in record.enrolments if e.start <= as_of] or [record.enrolments[0]]
    tl = timeline_for(record, started[-1], REGISTRY, as_of)
    expected = tuple(MilestoneStatus.of(m, as_of, record.began) for m in tl.milestones)
    if got.state in CLOSED:
        expected = tuple(attrs.evolve(m, overdue=False) for m in expected)
    assert got.milestones == expected


@given(
    st.integers(0, 2000),
    st.integers(1, 1200),
    st.lists(st.tuples(st.integers(0, 1500), st.integers(0, 200)), max_size=3),
    st.lists(st.integers(-30, 1500), max_size=40),
)
def test_a_schedules_pieces_are_found_in_the_windows_that_hold_them(
    start_day: int, length: int, spells: list[tuple[int, int]], days: list[int]
) -> None:
    start = START + dt.timedelta(days=start_day)
    end = start + dt.timedelta(days=length)
    paused: list[timeline.Pause] = []
    for a, b in sorted(spells):  # pauses in date order, never overlapping
        pause = timeline.Pause(start + dt.timedelta(days=a), start + dt.timedelta(days=a + b))
        if not paused or pause.first > paused[-1].last:
            paused.append(pause)
    windows = timeline.judged_windows(start, end, timeline.SUPERVISION, paused)
    pieces = [
        Evidence(f"ev-{i}", "supervision", start + dt.timedelta(days=d), ())
        for i, d in enumerate(days)
    ]
    holding = rules._holding(windows, pieces)
    assert holding == [[e for e in pieces if w.first <= e.date <= w.last] for w in windows]
