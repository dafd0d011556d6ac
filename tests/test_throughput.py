"""Issue 14, item 3: the faster paths of a cohort row from plain data give what the plain ones give.

Never how fast (``benchmarks/throughput.py`` measures that): each faster formulation is compared
with the plain one it replaces, written out here or kept beside it in the module.

* :func:`ecf.status.brief` answers as :func:`ecf.status.status` does (stage, state, overdue and
  next milestones, assessor), and :func:`ecf.cohort.row_for` makes the row it made from a
  :class:`~ecf.status.Status`;
* a framework's first stages without a prior stage are :func:`ecf.progression.first_stages`'s,
  and the held ids are checked as when every one was derived first (``validation._check_ids``);
* a framework's pausing kinds are those :meth:`~ecf.framework.Framework.absence_kind` finds
  pausing, and :func:`ecf.timeline.pauses` finds the spells it found by that lookup;
* third part: a record table is checked around the C path as every value in it is
  (``_convert._table_ok``); an FTE read once is read as ``parse_fte`` reads it; an FTE in range is
  found as the comparisons find it; a framework's and a stage's tables answer as a search of their
  lists does; a record's decisions in force are those found at every call; and a row read by
  ``cohort.stream`` with the evidence's and reviews' dates checked once is what ``read_row`` reads
  (the same record, or the same failure).

The outputs of whole commands are compared with those of older code in
``tests/test_engine_golden.py``.
"""

from __future__ import annotations

import collections
import datetime as dt
import importlib
import types
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import attrs
from hypothesis import example, given
from hypothesis import strategies as st

import plain_data
from ecf import _convert, cohort, items, timeline, validation
from ecf.council_settings import CouncilSettings
from ecf.errors import Problem
from ecf.framework import FrameworkRegistry
from ecf.parsing import ParseError, parse_fte
from ecf.progression import first_stages
from ecf.records import (
    Absence,
    Assignment,
    Enrolment,
    Evidence,
    Record,
    record_to_dict,
)
from ecf.sources import read_row
from ecf.testing import records

if TYPE_CHECKING:
    from ecf.framework import Framework
    from ecf.records import Decision

status_module = importlib.import_module("ecf.status")  # the facade's ecf.status is a function

REGISTRY = FrameworkRegistry.default()
TODAY = dt.date(2026, 11, 30)

settings = st.one_of(
    st.none(),
    st.builds(
        CouncilSettings,
        pause_threshold_days=st.sampled_from([None, 14, 42]),
        review_cadence=st.sampled_from([None, "pro-rata", "calendar"]),
    ),
)


@st.composite
def varied(draw: st.DrawFn) -> Record:
    """A valid record, perhaps begun mid-stage and with an assessor (what a row shows)."""
    record = draw(records(today=TODAY))
    if draw(st.booleans()):
        began = record.enrolments[0].start + dt.timedelta(days=draw(st.integers(0, 500)))
        record = attrs.evolve(record, began=began)
    if draw(st.booleans()):
        start = record.enrolments[0].start
        assessor = Assignment("assessor", "Sam Lee", start)
        record = attrs.evolve(record, assignments=(assessor,))
    return record


def _row_from_status(record: Record, as_of: dt.date, council_settings: object) -> cohort.CohortRow:
    """The row as row_for made it from the whole status (before :func:`ecf.status.brief`)."""
    st_ = status_module.status(record, REGISTRY, as_of, settings=council_settings)
    nxt = st_.next
    team = record.extra.get("team")
    return cohort.CohortRow(
        id=record.id,
        council=record.council,
        team=team if isinstance(team, str) else None,
        stage=st_.stage,
        stage_start=st_.stage_start,
        expected_end=st_.expected_end,
        state=st_.state,
        next_milestone=nxt.id if nxt else None,
        next_due=nxt.due if nxt else None,
        overdue=len(st_.overdue),
        overdue_milestones=tuple(m.id for m in st_.overdue),
        assessor=st_.assessor,
    )


@given(varied(), st.integers(-400, 1500), settings)
def test_brief_answers_as_status_does(
    record: Record, offset: int, council_settings: CouncilSettings | None
) -> None:
    as_of = record.enrolments[0].start + dt.timedelta(days=offset)
    full = status_module.status(record, REGISTRY, as_of, settings=council_settings)
    got = status_module.brief(record, REGISTRY, as_of, settings=council_settings)
    assert got.timeline.stage == full.stage
    assert got.timeline.start == full.stage_start
    assert got.timeline.expected_end == full.expected_end
    assert got.state == full.state
    assert got.overdue == tuple(m.id for m in full.overdue)
    assert got.next == ((full.next.id, full.next.due) if full.next else None)
    assert got.assessor == full.assessor
    row = cohort.row_for(record, REGISTRY, as_of)
    assert row == _row_from_status(record, as_of, None)


def _frameworks() -> list[Framework]:
    return [REGISTRY.get(v) for v in REGISTRY.versions()]


def test_pausing_kinds_are_those_the_lookup_finds_pausing() -> None:
    for fw in _frameworks():
        for threshold in (None, 14):
            made = fw.with_settings(threshold)
            found = {
                k.id for k in made.absence_kinds if (a := made.absence_kind(k.id)) and a.pauses
            }
            assert made.pausing_kind_ids() == frozenset(found)


def _pauses_by_lookup(absences: list[Absence], fw: Framework) -> tuple[timeline.Pause, ...]:
    """:func:`ecf.timeline.pauses` as it was: each absence's kind looked up in the framework."""
    spells: list[list[dt.date]] = []
    pausing = sorted(
        (a for a in absences if (k := fw.absence_kind(a.kind)) is not None and k.pauses),
        key=lambda a: a.first,
    )
    for absence in pausing:
        if spells and absence.first <= spells[-1][1] + dt.timedelta(days=1):
            spells[-1][1] = max(spells[-1][1], absence.last)
        else:
            spells.append([absence.first, absence.last])
    threshold = fw.pause_threshold_days
    return tuple(timeline.Pause(a, b) for a, b in spells if (b - a).days + 1 >= threshold)


kinds = st.sampled_from(["sickness", "parental", "annual-leave", "training", "unpaid", "nope"])


@st.composite
def absence_lists(draw: st.DrawFn) -> list[Absence]:
    out = []
    for _ in range(draw(st.integers(0, 6))):
        first = dt.date(2025, 1, 1) + dt.timedelta(days=draw(st.integers(0, 400)))
        last = first + dt.timedelta(days=draw(st.integers(0, 90)))
        out.append(Absence(draw(kinds), first, last))
    return out


@given(absence_lists(), st.sampled_from([None, 7, 28, 60]))
def test_pauses_are_the_spells_the_kind_lookup_finds(
    absences: list[Absence], threshold: int | None
) -> None:
    for fw in _frameworks():
        made = fw.with_settings(threshold)
        got = timeline.pauses(absences, made)
        assert got == _pauses_by_lookup(absences, made)
        assert list(got) == sorted(got, key=lambda p: p.first)  # what planned_timeline relies on


def test_first_stage_ids_are_the_first_stages_without_a_prior_stage() -> None:
    for fw in _frameworks():
        for service in ("children", "adults", "nope"):
            assert fw.first_stage_ids(service) == first_stages(fw, (), service)


def _ids_as_checked_before(record: Record) -> list[Problem]:
    """``validation._check_ids`` as it was: every id derived unless none is stored."""
    out: list[Problem] = []
    for field, prefix in items.PREFIXES.items():
        if field == "evidence":
            continue
        got = getattr(record, field)
        if all(getattr(x, items.id_attr(field), None) is None for x in got):
            continue
        seen: set[str] = set()
        for i, item_id in enumerate(items.item_ids(got, prefix, items.id_attr(field))):
            if item_id in seen:
                out.append(
                    Problem("the id is held twice", f"{field}[{i}].{items.id_attr(field)}", item_id)
                )
            seen.add(item_id)
    return out


@given(records(today=TODAY), st.data())
def test_held_ids_are_checked_as_before(record: Record, data: st.DataObject) -> None:
    changed: dict[str, Any] = {}
    for field, prefix in items.PREFIXES.items():
        got = getattr(record, field)
        if field == "evidence" or not got:
            continue
        attr = items.id_attr(field)
        ids = st.one_of(st.none(), st.sampled_from([f"{prefix}-1", f"{prefix}-2", f"{prefix}-9"]))
        changed[field] = tuple(attrs.evolve(x, **{attr: data.draw(ids)}) for x in got)
    record = attrs.evolve(record, **changed)
    found: list[Problem] = []
    validation._check_ids(record, found)
    assert found == _ids_as_checked_before(record)


# --- The checks around the C path (_convert._table_ok, the FTEs remembered) -----------------------

#: Values put in place of one value of a record's data: sets and mappings that are not dicts
#: (msgspec takes them where the current path refuses them), and plain ones.
ODD: list[Any] = [
    None,
    "x",
    1,
    [],
    ["x"],
    ("x",),
    {"x"},
    frozenset({"x"}),
    [{}],
    [None],
    [{"x": 1}, None],
    {},
    {"x": 1},
    types.MappingProxyType({"x": 1}),
    [types.MappingProxyType({})],
    collections.OrderedDict(x=1),
]


@given(records(today=TODAY, max_evidence=5), st.data())
def test_a_record_table_is_checked_as_every_value_in_it_is(
    record: Record, data: st.DataObject
) -> None:
    plain = record_to_dict(record)
    path = data.draw(st.sampled_from(plain_data.paths(plain)[1:]), label="path")
    how = data.draw(st.sampled_from(["replace", "drop", "add"]), label="how")
    changed = plain_data.changed(plain, path, data.draw(st.sampled_from(ODD)), how)
    checks = _convert._c_plan(type(record)).checks  # type: ignore[union-attr]
    assert _convert._table_ok(changed, checks) == _convert._shapes_ok([changed], checks)


@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(["0.6", "3/5", " 0.5 ", "1", "1e9999", "nan", "1/0", "x", "60%", ""]),
        st.text(max_size=6),
    )
)
def test_an_fte_remembered_is_read_as_parse_fte_reads_it(value: float | str) -> None:
    def read() -> object:
        try:
            return _convert._fraction(value, Fraction)
        except ParseError as exc:
            return (exc.message, exc.value)

    try:
        expected: object = parse_fte(value)
    except ParseError:
        expected = (_convert._FTE_IN_A_FILE, value)
    for _ in range(2):  # read, then found remembered
        got = read()
        assert got == expected or (got != got and expected != expected)  # noqa: PLR0124 - nan
        assert type(got) is type(expected)


@given(
    st.one_of(
        st.fractions(min_value=-2, max_value=2, max_denominator=1000),
        st.floats(-2, 2),
        st.integers(-2, 2),
    )
)
@example(Fraction(1, 100))  # the edges: MIN_FTE and 1 are in range, just past them is not
@example(Fraction(99, 10000))
@example(Fraction(1))
@example(Fraction(101, 100))
@example(Fraction(0))
def test_an_fte_in_range_is_found_as_the_comparisons_find_it(fte: Any) -> None:
    compared = 0 < fte <= 1 and not fte < validation.MIN_FTE
    assert validation._fte_ok(fte) == (compared and type(fte) is Fraction)


# --- What a framework and a record remember -------------------------------------------------------


def test_a_framework_answers_its_lookups_as_a_search_of_its_lists_does() -> None:
    for fw in _frameworks():
        for made in (fw, fw.with_settings(14, "calendar")):
            ids = [o.id for o in made.outcomes] + ["nope", "pass"]
            for outcome_id in ids:
                found = next((o for o in made.outcomes if o.id == outcome_id), None)
                assert made.outcome(outcome_id) is found
            assert made.evidence_kind_ids() == frozenset(k.id for k in made.evidence_kinds)
            assert made.absence_kind_ids() == frozenset(k.id for k in made.absence_kinds)
            every = frozenset(i for s in made.standard_sets for i in s.ids())
            assert made.standard_ids() == every
            for stage in made.stages:
                assert stage.milestone_ids == frozenset(m.id for m in stage.milestones)
                for milestone_id in [*stage.milestone_ids, "nope"]:
                    known = stage.milestone(milestone_id) is not None
                    assert known == (milestone_id in stage.milestone_ids)


def _decisions_for(record: Record, stage: str) -> tuple[Decision, ...]:
    """:meth:`ecf.records.Record.decisions_for` as it was, worked out at every call."""
    corrected = {d.corrects for d in record.decisions if d.corrects is not None}
    return tuple(
        d for i, d in enumerate(record.decisions) if d.stage == stage and i not in corrected
    )


@given(records(today=TODAY), st.data())
def test_the_decisions_in_force_are_those_found_at_every_call(
    record: Record, data: st.DataObject
) -> None:
    if record.decisions:  # some of them corrected by later ones, perhaps twice
        changed = []
        for i, d in enumerate(record.decisions):
            corrects = data.draw(st.one_of(st.none(), st.integers(0, len(record.decisions))))
            changed.append(attrs.evolve(d, corrects=corrects if i else None))
        record = attrs.evolve(record, decisions=tuple(changed))
    for stage in {*(e.stage for e in record.enrolments), "nope"}:
        assert record.decisions_for(stage) == _decisions_for(record, stage)
        assert record.decisions_for(stage) == _decisions_for(record, stage)


# --- A row read with the bounded dates checked once (cohort._read) --------------------------------


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


DATES: list[Any] = [
    dt.date(1900, 1, 1),
    dt.date(1949, 12, 31),
    dt.date(2100, 12, 31),
    dt.date(2101, 1, 1),
    dt.date(2150, 6, 1),
    "2150-06-01",
    dt.date(2025, 3, 1),
]


@given(
    records(today=TODAY, max_evidence=5),
    st.data(),
    st.sampled_from([TODAY, dt.date(2100, 12, 31), dt.date(2101, 1, 1), dt.date(2200, 1, 1)]),
)
@example(  # a piece of evidence after 2100 is valid as of 2200, but no date is read past 2100
    record=Record(
        schema_version=3,
        id="x",
        name="X",
        qualified=dt.date(2020, 1, 1),
        service="adults",
        enrolments=(Enrolment("asye", dt.date(2025, 1, 6), "baseline-2026"),),
        evidence=(Evidence("ev-001", "cpd", dt.date(2150, 6, 1)),),
    ),
    data=None,
    today=dt.date(2200, 1, 1),
)
@example(  # a stage may start after today, but none is read past 2100
    record=Record(
        schema_version=3,
        id="x",
        name="X",
        qualified=dt.date(2020, 1, 1),
        service="adults",
        enrolments=(Enrolment("asye", dt.date(2101, 1, 3), "baseline-2026"),),
    ),
    data=None,
    today=TODAY,
)
def test_a_row_is_read_as_read_row_reads_it(
    record: Record, data: st.DataObject | None, today: dt.date
) -> None:
    plain = record_to_dict(record)
    if data is not None and data.draw(st.booleans(), label="changed"):
        paths = plain_data.paths(plain)[1:]
        dated = [p for p in paths if isinstance(_at(plain, p), dt.date)]
        a_date = data.draw(st.booleans(), label="date")
        if dated and a_date:  # a date, out of range perhaps
            path = data.draw(st.sampled_from(dated), label="path")
            plain = plain_data.changed(plain, path, data.draw(st.sampled_from(DATES)), "replace")
        else:
            path = data.draw(st.sampled_from(paths), label="path")
            how = data.draw(st.sampled_from(["replace", "drop", "add"]), label="how")
            new = data.draw(st.sampled_from(DATES + ODD), label="new")
            plain = plain_data.changed(plain, path, new, how)
    number = cohort._READ_NATIVE_FROM  # the C path, whether msgspec is imported or not
    assert cohort._read(number, plain, REGISTRY, today) == read_row(number, plain, REGISTRY, today)
