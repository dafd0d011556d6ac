"""Where a record stands as of a date, and its whole history as a timeline of events.

:func:`status` answers the questions people ask of one record: which stage, since when, what
state, when it is expected to end, which milestones are done, due, overdue, and what is next.
``ecf status --json`` prints :func:`ecf.to_json` of a :class:`Status`: its fields, ``next``
(the next milestone's id) and ``overdue`` (the overdue milestones' ids), and the open ``appeal``
and the ``appeal_until`` date after a fail.

This module is long because the status, its brief form for a cohort row (:func:`brief`, the
same answers without a value per milestone) and the timeline of events read the same
milestones and dates, and are checked against one another.
"""

from __future__ import annotations

import itertools
import operator
from typing import TYPE_CHECKING, NamedTuple

import attrs

from ecf._convert import register_json
from ecf.agreements import assessor_on
from ecf.appeals import appeal_until, open_appeal
from ecf.items import PREFIXES, id_attr, item_ids, items_of
from ecf.progression import State, stage_state, timeline_for

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from ecf.council import CouncilSettings
    from ecf.framework import FrameworkRegistry
    from ecf.records import Appeal, Enrolment, Record
    from ecf.timeline import MilestoneDue, StageTimeline

__all__ = ["CLOSED", "Brief", "Event", "MilestoneStatus", "Status", "brief", "events", "status"]

#: States in which a stage is over: nothing is next, nothing is overdue.
CLOSED = frozenset({"passed", "progressed", "failed", "withdrawn", "left"})


@attrs.frozen
class MilestoneStatus:
    """A milestone as of a date.

    Attributes:
        due: The date it is due: the agreed date (moved by pauses) if people agreed one, else
            the computed one.
        before_record: Due before the record began (an existing member of staff onboarded
            mid-stage): never overdue, and never next.
        computed: The date the framework's formula gives.
        agreed: The date people agreed, if any (before pauses moved it).
    """

    id: str
    title: str
    due: dt.date | None
    held: dt.date | None
    overdue: bool
    optional: bool
    before_record: bool = False
    computed: dt.date | None = None
    agreed: dt.date | None = None

    @classmethod
    def of(cls, ms: MilestoneDue, as_of: dt.date, began: dt.date | None = None) -> MilestoneStatus:
        """The milestone as it stands on ``as_of`` (a milestone held later is not held yet).

        A milestone due before ``began``, the day the record began, is never overdue.
        """
        held, before, late = _standing(ms, as_of, began)
        return cls(ms.id, ms.title, ms.due, held, late, ms.optional, before, ms.computed, ms.agreed)


def _standing(
    ms: MilestoneDue, as_of: dt.date, began: dt.date | None
) -> tuple[dt.date | None, bool, bool]:
    """Where a milestone stands on ``as_of``: the one rule of :class:`MilestoneStatus`.

    Returns:
        The date it was held, if held by ``as_of``; whether it was due before ``began``, the day
        the record began (an existing member of staff onboarded mid-stage: never overdue, never
        next); and whether it is late: not held, not optional, due before ``as_of`` and not
        before the record (overdue, unless its stage is closed).
    """
    held = ms.held if ms.held is not None and ms.held <= as_of else None
    due = ms.due
    before = began is not None and due is not None and due < began
    late = held is None and not ms.optional and due is not None and due < as_of and not before
    return held, before, late


@attrs.frozen
class Status:
    """One record as of a date: its current stage and milestones.

    Attributes:
        assessor: The practitioner's assessor on the date (:func:`ecf.agreements.assessor_on`).
        appeal: The appeal lodged and not yet decided as of the date, if any.
        appeal_until: After a fail with no appeal lodged, the last day to lodge one (the
            framework's window, :func:`ecf.appeals.window_end`); ``None`` otherwise.
    """

    id: str
    stage: str
    stage_title: str
    stage_start: dt.date
    framework: str
    expected_end: dt.date
    state: State
    as_of: dt.date
    milestones: tuple[MilestoneStatus, ...]
    assessor: str | None = None
    appeal: Appeal | None = None
    appeal_until: dt.date | None = None

    @property
    def overdue(self) -> tuple[MilestoneStatus, ...]:
        """Milestones overdue as of the date."""
        return tuple(m for m in self.milestones if m.overdue)

    @property
    def done(self) -> tuple[MilestoneStatus, ...]:
        """Milestones held by the date."""
        return tuple(m for m in self.milestones if m.held is not None)

    @property
    def next(self) -> MilestoneStatus | None:
        """The first milestone neither held nor overdue, by due date (if the stage is open)."""
        if self.state in CLOSED:
            return None
        waiting = [
            m
            for m in self.milestones
            if m.held is None
            and not m.overdue
            and not m.before_record
            and not (m.optional and m.due and m.due < self.as_of)
        ]
        dated = sorted((m for m in waiting if m.due is not None), key=lambda m: m.due or self.as_of)
        return dated[0] if dated else (waiting[0] if waiting else None)


register_json(
    Status,
    computed=lambda s: {
        "next": s.next.id if s.next else None,
        "overdue": [m.id for m in s.overdue],
    },
)


def status(
    record: Record,
    registry: FrameworkRegistry,
    as_of: dt.date,
    *,
    settings: CouncilSettings | None = None,
) -> Status:
    """The record's current stage as of ``as_of``.

    The current stage is the latest enrolment that started on or before ``as_of`` (or the first
    one, if none had started yet).  A council's ``settings`` apply to its dates as they do to
    an assessment's (:func:`ecf.progression.framework_for`).

    Raises:
        FrameworkError: when an enrolment pins an unknown framework version.
    """
    enrolment, tl, state = _current(record, registry, as_of, settings)
    window = appeal_until(record, registry, as_of) if enrolment is record.current else None
    open_ = state not in CLOSED  # in a closed stage nothing is overdue
    began = record.began
    milestones = []
    for m in tl.milestones:  # MilestoneStatus.of, with the stage's state
        held, before, late = _standing(m, as_of, began)
        milestones.append(
            MilestoneStatus(
                m.id, m.title, m.due, held, open_ and late, m.optional, before, m.computed, m.agreed
            )
        )
    return Status(
        id=record.id,
        stage=tl.stage,
        stage_title=tl.title,
        stage_start=tl.start,
        framework=tl.framework,
        expected_end=tl.expected_end,
        state=state,
        as_of=as_of,
        milestones=tuple(milestones),
        assessor=assessor_on(record, as_of),
        appeal=open_appeal(record, as_of),
        appeal_until=window[1] if window else None,
    )


def _current(
    record: Record, registry: FrameworkRegistry, as_of: dt.date, settings: CouncilSettings | None
) -> tuple[Enrolment, StageTimeline, State]:
    """The current enrolment on ``as_of`` (see :func:`status`), its timeline and its state."""
    last = record.enrolments[-1] if record.enrolments else None
    if last is not None and last.start <= as_of:
        enrolment = last  # (the latest started: the common case, without a list of them)
    else:
        started = [e for e in record.enrolments if e.start <= as_of] or list(record.enrolments[:1])
        enrolment = started[-1]
    tl = timeline_for(record, enrolment, registry, as_of, settings=settings)
    return enrolment, tl, stage_state(record, tl, as_of, registry.get(enrolment.framework))


_DUE = operator.attrgetter("due")


class Brief(NamedTuple):
    """What a cohort row shows of a :class:`Status`, made without it (:func:`brief`).

    Attributes:
        timeline: The current stage's timeline as of the date.
        state: :attr:`Status.state`.
        overdue: The ids of :attr:`Status.overdue`.
        next: The id and due date of :attr:`Status.next` (None: nothing is next).
        assessor: :attr:`Status.assessor`.
    """

    timeline: StageTimeline
    state: State
    overdue: tuple[str, ...]
    next: tuple[str, dt.date | None] | None
    assessor: str | None


def brief(
    record: Record,
    registry: FrameworkRegistry,
    as_of: dt.date,
    *,
    settings: CouncilSettings | None = None,
) -> Brief:
    """:func:`status`'s stage, state, overdue and next milestones and assessor, in brief.

    The same answers as :func:`status` (``tests/test_throughput.py`` compares them), without a
    :class:`MilestoneStatus` made for every milestone of every record of a cohort.

    Raises:
        FrameworkError: when an enrolment pins an unknown framework version.
    """
    enrolment, tl, state = _current(record, registry, as_of, settings)
    if enrolment is record.current:
        appeal_until(record, registry, as_of)  # (as status does: it may refuse a framework)
    began = record.began
    overdue: list[str] = []
    waiting: list[MilestoneDue] = []
    closed = state in CLOSED  # in a closed stage nothing is overdue, nothing next
    for m in tl.milestones:  # MilestoneStatus.of and Status.next, in one step
        # _standing(m, as_of, began), written out: it is asked of every milestone of a cohort
        due = m.due
        if m.held is not None and m.held <= as_of:
            continue  # held: neither overdue nor next
        if began is not None and due is not None and due < began:
            continue  # before the record: never overdue, never next
        if not m.optional and due is not None and due < as_of:  # late
            if not closed:
                overdue.append(m.id)
        elif due is None or due >= as_of:
            waiting.append(m)  # neither held, overdue, before the record, nor optional and past
    nxt = None
    if not closed and waiting:
        dated = [m for m in waiting if m.due is not None]
        first = min(dated, key=_DUE) if dated else waiting[0]  # min: the first of equal dates
        nxt = (first.id, first.due)
    return Brief(tl, state, tuple(overdue), nxt, assessor_on(record, as_of))


def _changes(record: Record, named: Callable[[str, int, object], str]) -> list[Event]:
    """The retracted reviews (counting for nothing), and every correction and retraction."""
    out = [
        Event(m.date, "milestone", m.stage, f"Review {m.id} held ({named('milestones', i, m)})")
        for i, m in enumerate(record.milestones)
        if m.retracted is not None
    ]
    for entry in record.history:
        if entry.ref and entry.action in _CHANGES:
            said = entry.detail or f"{entry.ref} {_CHANGES[entry.action]}"
            out.append(Event(entry.at.date(), "correction", None, f"{said} (by {entry.by})"))
    return out


#: The history actions that correct or retract an item, and what they did.
_CHANGES = {"correct": "corrected", "retract": "retracted"}


@attrs.frozen
class Event:
    """One dated line of a record's timeline."""

    date: dt.date
    kind: str
    stage: str | None
    text: str
    done: bool = True


def _before_stages(record: Record) -> list[Event]:
    """Qualification, registration, prior stages and the day the record began."""
    out = [Event(record.qualified, "qualified", None, "Qualified")]
    if record.registered is not None:
        out.append(
            Event(record.registered, "registered", None, "Registered with Social Work England")
        )
    out.extend(
        Event(p.passed, "prior", p.stage, f"Passed {p.stage} before the record began")
        for p in record.prior
    )
    if record.began is not None:
        out.append(Event(record.began, "began", None, "The record began in ecf"))
    return out


def _appeal_events(record: Record) -> list[Event]:
    """Each appeal lodged, and decided."""
    out = []
    for appeal in record.appeals:
        against = f"Appeal against {appeal.decision}"
        out.append(Event(appeal.lodged, "appeal", None, f"{against} lodged"))
        if appeal.outcome is not None and appeal.date is not None:
            out.append(Event(appeal.date, "appeal", None, f"{against} {appeal.outcome}"))
    return out


def events(
    record: Record, registry: FrameworkRegistry, *, settings: CouncilSettings | None = None
) -> tuple[Event, ...]:
    """Everything dated in a record, in date order.

    Stages, milestones due and held, dates agreed, assignments of people (assessor,
    supervisor, coordinator), decisions, working-pattern changes, absences, evidence (by id
    and kind, without notes) and employment, each item with its stable id (``ev-001``,
    ``ab-1``, ...; :mod:`ecf.items`), marked when it was corrected or retracted; and each
    correction or retraction on the day it was made, with what changed and why.  Due dates
    count what is in force (a retracted absence no longer moves them), and pauses count under
    a council's ``settings`` when given.

    Raises:
        FrameworkError: when an enrolment pins an unknown framework version.
    """
    out = _before_stages(record)
    ids = {f: item_ids(items_of(record, f), p, id_attr(f)) for f, p in PREFIXES.items()}
    changed = {e.ref: e.action for e in record.history if e.ref and e.action in _CHANGES}

    def named(field: str, index: int, item: object) -> str:
        """The item's id, and whether it was corrected or retracted."""
        item_id = ids[field][index]
        if getattr(item, "retracted", None) is not None:
            return f"{item_id}, retracted"
        return f"{item_id}, corrected" if item_id in changed else item_id

    periods = record.periods()
    if periods:
        first = periods[0]
        text = f"Employed at {first.council or 'a council'} ({named('employment', 0, first)})"
        out.append(Event(first.from_, "employment", None, text))
    for i, (before, after) in enumerate(itertools.pairwise(periods)):
        text = f"Joined {after.council or 'a council'} ({named('employment', i + 1, after)})"
        out.append(Event(after.from_, "employment", None, text))
        if before.to is not None:
            ended = f"Employment at {before.council or 'the council'} ended"
            out.append(Event(before.to, "employment", None, ended))
    for enrolment in record.enrolments:
        tl = timeline_for(record, enrolment, registry, settings=settings)
        out.append(
            Event(enrolment.start, "stage", tl.stage, f"Started {tl.title} ({tl.framework})")
        )
        held = {
            (m.stage, m.id): named("milestones", i, m)
            for i, m in enumerate(record.milestones)
            if m.retracted is None
        }
        for ms in tl.milestones:
            if ms.held is not None:
                ref = held.get((tl.stage, ms.id))
                text = f"{ms.title} held" + (f" ({ref})" if ref else "")
                out.append(Event(ms.held, "milestone", tl.stage, text))
            elif (
                ms.due is not None
                and not (record.left and ms.due > record.left.date)
                and not (record.began and ms.due < record.began)  # unknown: before the record
            ):
                optional = " (optional)" if ms.optional else ""
                optional += " (agreed date)" if ms.agreed is not None else ""
                out.append(Event(ms.due, "due", tl.stage, f"{ms.title} due{optional}", done=False))
        for pause in tl.pauses:
            if pause.last >= tl.start:
                out.append(
                    Event(
                        pause.first,
                        "pause",
                        tl.stage,
                        f"Clock paused for {pause.days} days, to {pause.last}",
                    )
                )
    out.extend(_people_events(record, registry, settings))
    for i, d in enumerate(record.decisions):
        until = f", until {d.until}" if d.until else ""
        panel = f" ({d.panel})" if d.panel else ""
        reason = f" [{d.reason}]" if d.reason else ""
        fixes = f", correcting dec-{d.corrects + 1}" if d.corrects is not None else ""
        text = (
            f"Decision {ids['decisions'][i]}: {d.outcome}{reason}{until}, by {d.by}{panel}{fixes}"
        )
        out.append(Event(d.date, "decision", d.stage, text))
    out.extend(_appeal_events(record))
    for i, h in enumerate(record.hours):
        text = f"Working pattern {float(h.fte):g} FTE ({named('hours', i, h)})"
        out.append(Event(h.from_, "hours", None, text))
    if record.left is not None:
        out.append(Event(record.left.date, "left", None, f"Left employment: {record.left.reason}"))
    for i, a in enumerate(record.absences):
        text = f"Absence: {a.kind}, {a.days} days to {a.last} ({named('absences', i, a)})"
        out.append(Event(a.first, "absence", None, text))
    for i, ev in enumerate(record.evidence):
        mark = named("evidence", i, ev).removeprefix(ev.id)
        out.append(Event(ev.date, "evidence", None, f"Evidence {ev.id}: {ev.kind}{mark}"))
    out.extend(_changes(record, named))
    order = {
        "qualified": 0,
        "registered": 0,
        "prior": 0,
        "employment": 1,
        "began": 1,
        "stage": 1,
        "hours": 2,
        "assignment": 2,
        "absence": 3,
        "pause": 4,
        "evidence": 5,
        "milestone": 6,
        "agreed": 7,
        "due": 7,
        "decision": 8,
        "appeal": 8,
        "left": 9,
        "correction": 10,
    }
    return tuple(sorted(out, key=lambda e: (e.date, order[e.kind])))


def _people_events(
    record: Record, registry: FrameworkRegistry, settings: CouncilSettings | None
) -> list[Event]:
    """Agreed dates (on the date agreed) and assignments (on their first and last days)."""
    out: list[Event] = []
    ids = item_ids(record.assignments, "as")
    for i, assignment in enumerate(record.assignments):
        role = assignment.role.capitalize()
        text = f"{role}: {assignment.name} ({ids[i]})"
        out.append(Event(assignment.from_, "assignment", None, text))
        if assignment.to is not None:
            text = f"{role} {assignment.name}: last day"
            out.append(Event(assignment.to, "assignment", None, text))
    for enrolment in record.enrolments:
        agreed = [a for a in record.agreed if a.stage == enrolment.stage]
        if not agreed:
            continue
        tl = timeline_for(record, enrolment, registry, settings=settings)
        by_id = {m.id: m for m in tl.milestones}
        for a in agreed:
            ms = by_id.get(a.milestone)
            if ms is None:  # pragma: no cover - a valid record agrees only known milestones
                continue
            computed = f"computed {ms.computed}" if ms.computed else "no computed date"
            moved = f"; moved to {ms.due} by pauses" if ms.due != a.due else ""
            text = f"{ms.title}: date agreed ({computed}{moved})"
            out.append(Event(a.due, "agreed", tl.stage, text))
    return out
