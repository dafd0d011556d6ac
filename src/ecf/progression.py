"""The path through the stages as a state machine driven by the framework data.

This module is long because it holds every transition rule (the predicates validation calls
too) beside the transitions themselves: one place to read what may follow what.

``asye | ecf-1 -> ecf-2 -> expert`` (and ``ecdp -> expert`` from September 2027): which stage
may follow which is the framework's ``follows`` data, not code, and so are the start dates a
stage is open to (:func:`closed_to`), its status (:func:`superseded`) and what each outcome
does (its ``outcomes``): ``pass`` (and ``progressed`` from ``ecf-1``) opens the next stages,
``fail`` and ``withdrawn`` end the path, ``extended`` moves the end date, ``deferred`` keeps the
stage open.  Only a recorded decision ends a stage.
Every function here is pure: it takes a record and returns a new one, or raises
:class:`~ecf.errors.TransitionError` naming what is allowed instead.
"""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Literal

import attrs

from ecf.employment import closed_at, refuse_if_closed
from ecf.errors import FrameworkError, Problem, TransitionError
from ecf.framework import QUALIFICATION, Framework, FrameworkRegistry, Opening, StageDef
from ecf.items import kept
from ecf.records import (
    SCHEMA_VERSION,
    Decision,
    Employment,
    Enrolment,
    HistoryEntry,
    PatternChange,
    PriorStage,
    Record,
    decision_ref,
    digest,
)
from ecf.timeline import StagePlan, StageTimeline, planned_timeline

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable
    from fractions import Fraction

    from ecf.council import CouncilSettings
    from ecf.framework import Service

__all__ = [
    "STATES",
    "State",
    "advance",
    "allowed_next",
    "born_before_overlap_rule",
    "closed_to",
    "closes",
    "decide",
    "ended_on",
    "ends_path",
    "first_stages",
    "framework_for",
    "leave",
    "may_follow",
    "missing_prior",
    "needs_reason",
    "needs_until",
    "new_record",
    "open_to",
    "opens",
    "overturned",
    "passed",
    "pinned",
    "stage_plan",
    "stage_state",
    "stages_after",
    "starts_after",
    "superseded",
    "takes_until",
    "timeline_for",
]

State = Literal[
    "in-progress",
    "awaiting-decision",
    "passed",
    "progressed",
    "failed",
    "extended",
    "deferred",
    "withdrawn",
    "left",
]
STATES: tuple[State, ...] = typing.get_args(State)


# --- the transition rules, each once ------------------------------------------------------------
# The functions below that change a record refuse what these forbid, and ecf.validation checks a
# record read from a file against the same predicates (each in its own words).


def may_follow(fw: Framework, previous: str, stage: str) -> bool:
    """Whether the stage ``stage`` may follow ``previous`` (``qualification`` for a first stage).

    Which stage may follow which is the framework's ``follows`` data, not code
    (:meth:`~ecf.framework.Framework.next_stages`).
    """
    return stage in fw.next_stages(previous)


def open_to(stage: StageDef, service: str) -> bool:
    """Whether ``stage`` is open to a record's service (ECF years are children's services only)."""
    return service in stage.services


def _window(opening: Opening) -> str:
    first, last = opening.open_from, opening.open_until
    if first is not None and last is not None:
        return f"from {first} to {last}"
    if first is not None:
        return f"on or after {first}"
    return f"on or before {last}" if last is not None else "on any date"


def closed_to(stage: StageDef, service: str, start: dt.date) -> str | None:
    """Why ``stage`` takes no new enrolment of ``service`` starting on ``start``; None if it does.

    A stage's openings are framework data (the child and family ``asye`` takes stages starting
    on or before 2027-08-31; ``ecdp`` those starting on or after 2027-09-01).  The refusal names
    the stage that replaces a closed one.
    """
    if stage.takes(service, start):
        return None
    mine = stage.openings_for(service)
    windows = "; or ".join(_window(o) for o in mine)
    reason = f"'{stage.id}' for {service} is open to stages starting {windows}"
    after = [o.replaced_by for o in mine if o.replaced_by and o.open_until and start > o.open_until]
    return reason + (f": '{after[0]}' replaces it (use stage '{after[0]}')" if after else "")


def superseded(fw: Framework, stage_id: str) -> Problem | None:
    """A warning for a new enrolment in a superseded stage (never a refusal), or None.

    A superseded stage (``ecf-1``, ``expert``) stays open for records and local programmes.
    """
    stage = fw.stage(stage_id)
    if stage is None or stage.status != "superseded":
        return None
    return Problem(
        f"'{stage.id}' ({stage.title}) is superseded in {fw.version}: it stays open for records "
        "and local programmes, but is no longer a national stage",
        "stage",
        stage.id,
    )


def stages_after(fw: Framework, previous: str, service: str) -> tuple[str, ...]:
    """The stages of ``fw`` that may follow ``previous`` and are open to ``service``."""
    return tuple(s.id for s in fw.stages if may_follow(fw, previous, s.id) and open_to(s, service))


def pinned(record: Record, stage: str, registry: FrameworkRegistry) -> Framework:
    """The framework the record's enrolment in ``stage`` pins (the current one without it).

    Its ``outcomes`` say what a decision on that stage means.

    Raises:
        FrameworkError: when the pinned version is unknown.
    """
    enrolment = record.enrolment(stage)
    return registry.get(enrolment.framework if enrolment is not None else None)


def opens(fw: Framework, outcome: str) -> bool:
    """Whether a decision lets the next stage begin (``pass``; ``progressed`` from ``ecf-1``)."""
    found = fw.outcome(outcome)
    return found is not None and found.opens


def passed(fw: Framework, record: Record, stage: str) -> bool:
    """Whether the latest decision in force on ``stage`` lets the next stage begin.

    Only then may the next start: a pass, or another outcome the framework ``fw`` (the one the
    stage pins) marks ``opens`` (``progressed`` ends ``ecf-1`` and opens ``ecf-2``), and no
    appeal against it was upheld.
    """
    last = record.decision(stage)
    return last is not None and opens(fw, last.outcome) and not overturned(record, last)


def closes(fw: Framework, outcome: str) -> bool:
    """Whether a decision closes its stage: a closed stage takes no further decision."""
    found = fw.outcome(outcome)
    return found is not None and found.closes


def ends_path(fw: Framework, outcome: str) -> bool:
    """Whether a decision ends the whole path (``fail``, ``withdrawn``): no stage may follow."""
    found = fw.outcome(outcome)
    return found is not None and found.ends_path


def needs_until(fw: Framework, outcome: str) -> bool:
    """Whether a decision needs an end date: an extension names the new end of its stage."""
    found = fw.outcome(outcome)
    return found is not None and found.needs_until


def takes_until(fw: Framework, outcome: str) -> bool:
    """Whether a decision may have an end date: an extension, or a deferral until a date."""
    found = fw.outcome(outcome)
    return found is not None and found.takes_until


def needs_reason(fw: Framework, outcome: str) -> bool:
    """Whether a decision made now with ``outcome`` gives a reason code (``fail``...).

    Asked when a decision is made (:func:`decide`): a decision recorded before reasons were
    data has none, and stays valid; a reason given is always checked against the framework.
    """
    found = fw.outcome(outcome)
    return found is not None and found.reason_required


def overturned(record: Record, decision: Decision, as_of: dt.date | None = None) -> bool:
    """Whether an appeal against ``decision`` was upheld (on or before ``as_of``, when given).

    An upheld appeal sets the decision aside: it stays recorded, but no longer closes its stage
    or ends the path, and the stage awaits a new decision (made as any other, with
    ``ecf decide``).
    """
    if not record.appeals:
        return False
    ref = next((decision_ref(i) for i, d in enumerate(record.decisions) if d is decision), None)
    return any(
        a.decision == ref
        and a.outcome == "upheld"
        and (as_of is None or (a.date is not None and a.date <= as_of))
        for a in record.appeals
    )


def _state_of(fw: Framework, outcome: str) -> State:
    found = fw.outcome(outcome)
    state = found.state if found is not None else ""
    return state if state in STATES else "awaiting-decision"


#: The schema from which a stage starts only after the previous one was passed.
OVERLAP_RULE = 3


def ended_on(fw: Framework, record: Record, previous: Enrolment) -> dt.date:
    """The last day of ``previous`` for what follows it: its pass's date, else its start.

    ``fw`` is the framework ``previous`` pins: a decision it marks ``opens`` counts as a pass.
    """
    last = record.decision(previous.stage)
    return last.date if last is not None and opens(fw, last.outcome) else previous.start


def starts_after(fw: Framework, record: Record, previous: Enrolment, start: dt.date) -> bool:
    """Whether a stage starting on ``start`` may follow ``previous``: stages never overlap.

    It starts after the day ``previous`` was passed (:func:`ended_on`), so the same evidence
    never counts for both.  A record written before schema 3 (migrated since) was held to the
    rule of its time, a start after the previous stage's start: it stays valid as it was.
    """
    if born_before_overlap_rule(record):
        return start > previous.start
    return start > ended_on(fw, record, previous)


def born_before_overlap_rule(record: Record) -> bool:
    """Whether the record was written before schema 3, when stages could overlap."""
    return record.schema_version < OVERLAP_RULE or any(
        h.action == "migrate" for h in record.history
    )


def first_stages(
    fw: Framework, prior: Iterable[PriorStage], service: str | None = None
) -> tuple[str, ...]:
    """The stages a record may begin in: after qualification, or after a stage passed before.

    With ``service``, only those open to it.
    """
    after = [QUALIFICATION, *(p.stage for p in prior)]
    found = (s for a in after for s in fw.next_stages(a))
    return tuple(
        dict.fromkeys(
            s
            for s in found
            if service is None or ((d := fw.stage(s)) is not None and open_to(d, service))
        )
    )


def missing_prior(fw: Framework, stage: str) -> str:
    """What to give for ``stage`` to begin a record: a stage it follows, passed before."""
    found = fw.stage(stage)
    follows = [s for s in (found.follows if found else ()) if s != QUALIFICATION]
    example = follows[-1] if follows else "STAGE"
    return (
        f"'{stage}' follows a pass of {' or '.join(follows) or 'another stage'}: give the stage "
        f"it follows as a prior stage, passed before the record began ({example}:DATE)"
    )


def _stage(fw: Framework, stage_id: str, allowed: tuple[str, ...], path: str = "stage") -> StageDef:
    stage = fw.stage(stage_id)
    if stage is None or stage.id not in allowed:
        what = "unknown stage" if stage is None else "not allowed here"
        raise TransitionError(
            [Problem(f"{what} (allowed: {', '.join(allowed) or 'none'})", path, stage_id)]
        )
    return stage


def framework_for(
    enrolment: Enrolment, registry: FrameworkRegistry, settings: CouncilSettings | None = None
) -> Framework:
    """The framework an enrolment is counted under: the version it pins, as a council sets it.

    The one place a council's settings change the framework, so that status, timelines,
    calendars, cohort rows and assessments count the same days: ``pause_threshold_days``
    replaces the framework's threshold for a pausing absence, ``review_cadence`` its cadence.

    Raises:
        FrameworkError: when the pinned version is unknown.
    """
    fw = registry.get(enrolment.framework)
    if settings is None:
        return fw
    return fw.with_settings(settings.pause_threshold_days, settings.review_cadence)


def timeline_for(
    record: Record,
    enrolment: Enrolment,
    registry: FrameworkRegistry,
    as_of: dt.date | None = None,
    *,
    settings: CouncilSettings | None = None,
    framework: Framework | None = None,
) -> StageTimeline:
    """The timeline of one enrolment under the framework version it pins.

    An extension counts from its decision's date: as of an earlier date, it was not yet decided.

    Args:
        record: The record.
        enrolment: One of its enrolments.
        registry: The frameworks.
        as_of: Decisions after this date are not known yet (default: every decision counts).
        settings: A council's settings, applied by :func:`framework_for`.
        framework: The framework to count under, made already by :func:`framework_for` (it
            replaces ``settings``).

    Raises:
        FrameworkError: when the pinned version or its stage is unknown.
    """
    plan = stage_plan(record, enrolment, registry, settings=settings, framework=framework)
    return plan.as_of(as_of)


def stage_plan(
    record: Record,
    enrolment: Enrolment,
    registry: FrameworkRegistry,
    *,
    settings: CouncilSettings | None = None,
    framework: Framework | None = None,
) -> StagePlan:
    """What :func:`timeline_for` gives as of any date, before the date is known.

    The due dates depend on the record and the framework only; the date decides which
    extensions count (:meth:`~ecf.timeline.StagePlan.as_of`).  The plan is a small frozen value:
    it may be kept with the record and reused as of every date.

    Raises:
        FrameworkError: when the pinned version or its stage is unknown.
    """
    fw = framework or framework_for(enrolment, registry, settings)
    stage = fw.stage(enrolment.stage)
    if stage is None:
        known = ", ".join(fw.stage_ids())
        raise FrameworkError(
            [
                Problem(
                    f"unknown stage (known in {fw.version}: {known})",
                    "enrolments.stage",
                    enrolment.stage,
                )
            ]
        )
    # A retracted absence, pattern or review counts for nothing (:func:`ecf.items.in_force`).
    timeline = planned_timeline(
        stage,
        enrolment.start,
        fw,
        hours=kept(record.hours),
        absences=kept(record.absences),
        held={m.id: m.date for m in kept(record.milestones) if m.stage == enrolment.stage},
        gaps=record.gaps() if len(record.employment) > 1 else (),  # a gap is between two
        agreed={a.milestone: a.due for a in record.agreed if a.stage == enrolment.stage}
        if record.agreed
        else None,
    )
    last = stage.last_dated
    decided = record.decisions_for(enrolment.stage)
    return StagePlan(
        timeline,
        last.id if last is not None else None,
        tuple((d.date, d.until) for d in decided if d.outcome == "extended" and d.until)
        if decided
        else (),
    )


def stage_state(record: Record, timeline: StageTimeline, as_of: dt.date, fw: Framework) -> State:
    """The state of a stage as of a date.

    A stage that was open when the practitioner left employment is ``left``.  A decided stage
    is in the state of its latest decision (as of the date), except that an
    extension or a deferral whose end date has come is ``awaiting-decision``; an undecided one is
    ``awaiting-decision`` once every required dated milestone is held or its expected end has
    come, and ``in-progress`` before.  A decision whose appeal was upheld (as of the date) no
    longer holds: the stage is ``awaiting-decision`` until people decide again.  ``fw`` is the
    framework the stage pins: what each outcome means is its data.
    """
    decisions = [d for d in record.decisions_for(timeline.stage) if d.date <= as_of]
    if (
        record.left is not None
        and record.left.date <= as_of
        and not (decisions and closes(fw, decisions[-1].outcome))
    ):
        return "left"
    if decisions:
        last = decisions[-1]
        if overturned(record, last, as_of):
            return "awaiting-decision"
        # An extension or a deferral lasts until its end date; then people decide again.
        if takes_until(fw, last.outcome) and as_of >= max(
            last.until or as_of, timeline.expected_end
        ):
            return "awaiting-decision"
        return _state_of(fw, last.outcome)
    required = [m for m in timeline.milestones if m.due is not None and not m.optional]
    if as_of >= timeline.expected_end or all(
        m.held is not None and m.held <= as_of for m in required
    ):
        return "awaiting-decision"
    return "in-progress"


def allowed_next(
    record: Record, registry: FrameworkRegistry, start: dt.date | None = None
) -> tuple[str, ...]:
    """The stages that may start now, open to the record's service.

    First stages before any enrolment; after a pass of the current stage, its successors;
    nothing otherwise (and nothing after the practitioner left).  With ``start``, under the
    framework a stage starting then pins (:meth:`~ecf.framework.FrameworkRegistry.for_start`).
    """
    fw = registry.get() if start is None else registry.for_start(start)
    current = record.current
    if record.left is not None:
        return ()
    if current is None:
        return first_stages(fw, record.prior, record.service)
    if not passed(pinned(record, current.stage, registry), record, current.stage):
        return ()
    return stages_after(fw, current.stage, record.service)


def new_record(
    *,
    id: str,  # noqa: A002 - the record's field is called id
    name: str,
    qualified: dt.date,
    service: Service,
    stage: str,
    start: dt.date,
    registry: FrameworkRegistry,
    entry: HistoryEntry,
    fte: Fraction | None = None,
    council: str | None = None,
    swe: str | None = None,
    registered: dt.date | None = None,
    began: dt.date | None = None,
    employed_from: dt.date | None = None,
    prior: tuple[PriorStage, ...] = (),
) -> Record:
    """A new record enrolled in its first stage under the framework in force on ``start``.

    The enrolment pins :meth:`~ecf.framework.FrameworkRegistry.for_start`'s version (``ecdp-2027``
    for a stage starting on or after 2027-09-01, unless a framework file was added by path).

    The practitioner is employed at ``council`` from ``employed_from`` (default: the stage's
    start).  ``prior`` holds the stages passed before the record began, which a later first
    stage needs (``expert`` after a pass of ``asye``).  ``began`` is the day the record begins in
    ecf: nothing due before it is overdue.  By default it is the stage's start, except for an
    existing member of staff onboarded with prior stages: then the day the record is made (the
    entry's date), if that is later than the start.

    Raises:
        TransitionError: when the stage cannot begin a record with these prior stages (the
            refusal says which prior stage is missing), is closed to the service on ``start``
            (the refusal names the stage that replaces it), or starts before qualification or
            before the last prior stage was passed.
    """
    fw = registry.for_start(start)
    allowed = first_stages(fw, prior)  # (whether it is open to the service: validation says)
    known = fw.stage(stage)
    if known is not None and known.id not in allowed:
        raise TransitionError([Problem(missing_prior(fw, known.id), "stage", stage)])
    if known is None:
        _refuse_unknown_yet(registry, stage, start)
    stage_def = _stage(fw, stage, allowed)
    closed = closed_to(stage_def, service, start)
    if closed is not None:
        raise TransitionError([Problem(closed, "stage", stage)])
    if start < qualified:
        raise TransitionError([Problem(f"is before qualification ({qualified})", "start", start)])
    last_prior = max((p.passed for p in prior), default=None)
    if last_prior is not None and start <= last_prior:
        raise TransitionError(
            [Problem(f"must be after the last prior stage's pass ({last_prior})", "start", start)]
        )
    record = Record(
        schema_version=SCHEMA_VERSION,
        id=id,
        name=name,
        qualified=qualified,
        service=service,
        swe=swe,
        council=council,
        registered=registered,
        began=began if began is not None or not prior else _made_after(start, entry),
        prior=tuple(sorted(prior, key=lambda p: p.passed)),
        enrolments=(Enrolment(stage_def.id, start, fw.version),),
        employment=(Employment(employed_from or start, council),),
        hours=(PatternChange(start, fte),) if fte is not None else (),
    )
    return record.changed(entry)


def _refuse_unknown_yet(registry: FrameworkRegistry, stage: str, start: dt.date) -> None:
    """Refuse a stage that a later shipped version opens, saying from when (``ecdp``)."""
    for version in registry.versions():
        later = registry.get(version)
        found = later.stage(stage)
        if found is not None and later.in_force_from is not None and start < later.in_force_from:
            raise TransitionError(
                [
                    Problem(
                        f"'{found.id}' starts with {later.version}, for stages starting on or "
                        f"after {later.in_force_from}",
                        "stage",
                        stage,
                    )
                ]
            )


def _made_after(start: dt.date, entry: HistoryEntry) -> dt.date | None:
    """The day a record is made, when that is after its stage started (an onboarding)."""
    made = entry.at.date()
    return made if made > start else None


def decide(
    record: Record, decision: Decision, registry: FrameworkRegistry, entry: HistoryEntry
) -> Record:
    """Record a people's decision on the current stage.

    A decision that ``corrects`` the latest one in force replaces it (both stay recorded);
    otherwise a closed stage takes no further decision.  The history entry carries the
    decision's digest, so ``ecf verify`` can tell if it is ever edited by hand.

    Raises:
        TransitionError: a decision on a stage that is not the current one, a second decision on
            a closed stage, a correction of anything but the latest decision in force, an
            extension that does not move the end date later, or a decision dated before the
            stage started or before its previous decision.
    """
    refuse_if_closed(record)
    current = record.current
    if current is None or decision.stage != current.stage:
        stage = current.stage if current else "none"
        raise TransitionError(
            [Problem(f"only the current stage ({stage}) can be decided", "stage", decision.stage)]
        )
    fw = pinned(record, current.stage, registry)
    previous = record.decisions_for(current.stage)
    latest = next(
        (i for i, d in enumerate(record.decisions) if previous and d is previous[-1]), None
    )
    if decision.corrects is not None:
        if decision.corrects != latest:
            allowed = f"dec-{latest + 1}" if latest is not None else "none"
            raise TransitionError(
                [
                    Problem(
                        f"only the latest decision in force on '{current.stage}' can be "
                        f"corrected (allowed: {allowed})",
                        "corrects",
                        decision.corrects,
                    )
                ]
            )
    elif previous and closes(fw, previous[-1].outcome) and not overturned(record, previous[-1]):
        last = previous[-1]
        raise TransitionError(
            [
                Problem(
                    f"stage '{current.stage}' is closed: '{last.outcome}' on {last.date}; "
                    "a decision is never overwritten (to correct it, record "
                    f"a new decision that names it: --corrects dec-{(latest or 0) + 1})",
                    "outcome",
                    decision.outcome,
                )
            ]
        )
    if decision.date < current.start:
        raise TransitionError(
            [Problem(f"is before the stage started ({current.start})", "date", decision.date)]
        )
    if previous and decision.date < previous[-1].date:
        raise TransitionError(
            [
                Problem(
                    f"is before the stage's previous decision ({previous[-1].date})",
                    "date",
                    decision.date,
                )
            ]
        )
    if needs_until(fw, decision.outcome):
        if decision.until is None:
            raise TransitionError(
                [Problem("an extension needs its new end date (--until)", "until")]
            )
        end = timeline_for(record, current, registry).expected_end
        if decision.corrects is None and decision.until <= end:
            raise TransitionError(
                [
                    Problem(
                        f"must be after the current expected end ({end})", "until", decision.until
                    )
                ]
            )
    elif decision.until is not None and not takes_until(fw, decision.outcome):
        raise TransitionError(
            [
                Problem(
                    "only 'extended' or 'deferred' take an end date (--until)",
                    "until",
                    decision.until,
                )
            ]
        )
    _check_outcome_and_reason(fw, decision)
    return record.changed(
        attrs.evolve(entry, item=digest(decision)), decisions=(*record.decisions, decision)
    )


def _check_outcome_and_reason(fw: Framework, decision: Decision) -> None:
    """Refuse an outcome the stage does not take, and a missing or unknown reason code."""
    allowed = fw.outcomes_for(decision.stage)
    if decision.outcome not in allowed:
        raise TransitionError(
            [
                Problem(
                    f"not an outcome of '{decision.stage}' (allowed: {', '.join(allowed)})",
                    "outcome",
                    decision.outcome,
                )
            ]
        )
    codes = fw.reasons_for(decision.outcome)
    listed = ", ".join(codes) or "none"
    if decision.reason is None:
        if needs_reason(fw, decision.outcome):
            raise TransitionError(
                [
                    Problem(
                        f"a '{decision.outcome}' decision gives a reason code (--reason; "
                        f"for '{decision.outcome}': {listed})",
                        "reason",
                    )
                ]
            )
    elif decision.reason not in codes:
        raise TransitionError(
            [
                Problem(
                    f"not a reason code for '{decision.outcome}' (allowed: {listed})",
                    "reason",
                    decision.reason,
                )
            ]
        )


def advance(
    record: Record, stage: str, start: dt.date, registry: FrameworkRegistry, entry: HistoryEntry
) -> Record:
    """Start the next stage after a pass, under the framework in force on ``start``.

    Raises:
        TransitionError: when the current stage has no pass, or ``stage`` does not follow it, is
            closed to the record's service on ``start``, or ``start`` is not after the current
            stage's start.
    """
    refuse_if_closed(record)
    current = record.current
    fw = registry.for_start(start)
    if current is None:
        raise TransitionError(
            [Problem("the record has no stage yet to follow on from", "stage", stage)]
        )
    before = pinned(record, current.stage, registry)
    if not passed(before, record, current.stage):
        last = record.decision(current.stage)
        got = f"'{last.outcome}' on {last.date}" if last else "no decision yet"
        opening = " or ".join(
            o for o in before.outcomes_for(current.stage) if opens(before, o)
        ).replace("pass", "a pass", 1)
        raise TransitionError(
            [
                Problem(
                    f"'{current.stage}' has {got}; only {opening} lets the next stage start "
                    "(allowed now: none)",
                    "stage",
                    stage,
                )
            ]
        )
    if fw.stage(stage) is None:
        _refuse_unknown_yet(registry, stage, start)
    stage_def = _stage(fw, stage, allowed_next(record, registry, start))
    closed = closed_to(stage_def, record.service, start)
    if closed is not None:
        raise TransitionError([Problem(closed, "stage", stage)])
    if start <= ended_on(before, record, current):  # never overlapping, whatever the schema
        raise TransitionError(
            [
                Problem(
                    f"must be after '{current.stage}' was passed "
                    f"({ended_on(before, record, current)}): "
                    "stages never overlap",
                    "start",
                    start,
                )
            ]
        )
    return record.changed(
        entry, enrolments=(*record.enrolments, Enrolment(stage_def.id, start, fw.version))
    )


def leave(record: Record, date: dt.date, reason: str, entry: HistoryEntry) -> Record:
    """Record that the practitioner left employment; the record is closed after.

    The open employment period closes on ``date``.

    Raises:
        TransitionError: when they already left, or the date is before the current stage's start.
    """
    from ecf.records import Leaving  # noqa: PLC0415 - keeps the import list of the module short

    refuse_if_closed(record)
    current = record.current
    if current is not None and date < current.start:
        raise TransitionError(
            [Problem(f"is before the current stage started ({current.start})", "date", date)]
        )
    periods = closed_at(record, date) if record.employment else ()
    return record.changed(entry, left=Leaving(date, reason), employment=periods)
