"""The path through the stages: a state machine of record histories, and the refusals people see.

The machine drives the library's pure functions with valid and invalid arguments and predicts,
from BASELINE.md written out here, whether each change is accepted; a refused change raises
TransitionError (progression) or RecordError (validation) and leaves the record as it was.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ecf.errors import RecordError, TransitionError
from ecf.framework import FrameworkRegistry
from ecf.progression import advance, allowed_next, decide, leave, new_record, timeline_for
from ecf.records import (
    OUTCOMES,
    Absence,
    Decision,
    Enrolment,
    Evidence,
    HeldMilestone,
    HistoryEntry,
    Outcome,
    PatternChange,
    Record,
    record_to_dict,
)
from ecf.testing import ftes, records
from ecf.validation import MAX_ABSENCE_DAYS, check_record, ensure_valid

if TYPE_CHECKING:
    from collections.abc import Callable

    from ecf.framework import Service

REGISTRY = FrameworkRegistry.default()
REGISTRY.current = "baseline-2026"
TODAY = dt.date(2026, 11, 24)
D = dt.date
DAY = dt.timedelta(days=1)

# BASELINE.md, written out here rather than read from the framework data under test.
# BASELINE.md's path: expert follows ecf-2 or asye passed (and ecdp, in ecdp-2027).
NEXT = {"qualification": ("asye", "ecf-1"), "asye": ("ecf-2", "expert"), "ecf-1": ("ecf-2",)}
NEXT |= {"ecf-2": ("expert",), "expert": ()}
CHILDREN_ONLY = frozenset({"ecf-1", "ecf-2", "expert"})
ALIASES = {"ASYE": "asye", "ECF year 2": "ecf-2", "expert practitioner": "expert"}
MILESTONES = {
    "asye": ("agreement", "review-3m", "review-6m", "review-9m", "final-review", "moderation"),
    "ecf-1": (
        "agreement",
        "review-3m",
        "review-6m",
        "review-9m",
        "year-1-assessment",
        "moderation",
    ),
    "ecf-2": ("review-3m", "review-6m", "review-9m", "final-assessment", "moderation"),
    "expert": ("annual-review-1", "annual-review-2", "expert-assessment"),
}
EVIDENCE_KINDS = (
    "direct-observation",
    "feedback-person",
    "feedback-professional",
    "written-report",
    "critical-reflection",
    "supervision",
    "self-assessment",
    "pdp",
    "review",
    "cpd",
    "training",
)
ABSENCE_KINDS = (
    "sickness",
    "parental",
    "bereavement",
    "unpaid",
    "career-break",
    "other",
    "annual-leave",
    "training",
)
CLOSING = frozenset({"pass", "progressed", "fail", "withdrawn"})
#: BASELINE.md 3: a reason code from the framework's list for anything but a pass (the
#: baseline's codes, by outcome); ``progressed`` only ends ``ecf-1``.
REASONS = {
    "fail": {"standards-not-met", "capability"},
    "extended": {"standards-not-met", "insufficient-evidence", "absence", "support-not-provided"},
    "deferred": {"insufficient-evidence", "absence", "support-not-provided", "personal"},
    "withdrawn": {"capability", "left-programme", "personal"},
}
ENDING = frozenset({"fail", "withdrawn"})
GOOD_STANDARDS = ("kss-cf:1", "kss-adults:11", "pcf:9", "swe:6")
BAD_STANDARDS = ("kss-cf:11", "pcf:10", "swe:0", "kss-cf")

#: Where a date falls, in thousandths of the way from a given day to today (a little either side).
WHERE = st.integers(-50, 1050)


def between(low: dt.date, where: int) -> dt.date:
    return low + ((TODAY - low).days * where // 1000) * DAY


ENTRY = HistoryEntry(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "tester", "test")


def expected_end(record: Record) -> dt.date:
    assert record.current is not None
    return timeline_for(record, record.current, REGISTRY).expected_end


#: What a change should meet: acceptance (None), or the error that refuses it.
Expect = type[TransitionError] | type[RecordError] | None


def deciding(record: Record, decision: Decision) -> Expect:
    """BASELINE.md: one open stage at a time; a decision is never overwritten."""
    current = record.current
    assert current is not None
    earlier = record.decisions_for(current.stage)
    if (
        record.left is not None
        or decision.stage != current.stage
        or any(d.outcome in CLOSING for d in earlier)
        or (decision.outcome == "progressed" and current.stage != "ecf-1")
        or (decision.outcome in REASONS and decision.reason is None)
        or (
            decision.reason is not None
            and decision.reason not in REASONS.get(decision.outcome, set())
        )
        or decision.date < current.start
        or any(d.date > decision.date for d in earlier)
        or (
            decision.outcome == "extended"
            and (decision.until is None or decision.until <= expected_end(record))
        )
        or (decision.outcome not in ("extended", "deferred") and decision.until is not None)
    ):
        return TransitionError  # the progression rules refuse it
    if (
        decision.date > TODAY
        or not decision.by.strip()
        or (decision.until is not None and decision.until <= decision.date)
        or (
            decision.until is not None
            and (decision.until - decision.date).days > MAX_ABSENCE_DAYS  # "within 10 years"
        )
    ):
        return RecordError  # the record it would make is not valid
    return None


def advancing(record: Record, stage: str, start: dt.date) -> Expect:
    current = record.current
    assert current is not None
    last = record.decision(current.stage)
    target = ALIASES.get(stage, stage)
    if (
        record.left is not None
        or last is None
        or last.outcome not in ("pass", "progressed")
        or target not in NEXT[current.stage]
        or (record.service != "children" and target in CHILDREN_ONLY)
        or start <= last.date  # stages never overlap: after the pass, which is after the start
    ):
        return TransitionError
    return None


def leaving(record: Record, day: dt.date, reason: str) -> Expect:
    current = record.current
    assert current is not None
    if record.left is not None or day < current.start:
        return TransitionError
    if day > TODAY or any(d.date > day for d in record.decisions) or not reason.strip():
        return RecordError
    return None


def valid_if(condition: bool) -> Expect:
    return None if condition else RecordError


@st.composite
def fresh_record(draw: st.DrawFn) -> Record:
    """A record just made by ``new_record``: adults start in the ASYE, children in either."""
    service: Service = draw(st.sampled_from(("children", "adults")))
    qualified = draw(st.dates(D(2018, 1, 1), TODAY))
    return new_record(
        id="m-1",
        name="Machine",
        qualified=qualified,
        service=service,
        stage=draw(st.sampled_from(("asye", "ecf-1") if service == "children" else ("asye",))),
        start=qualified + draw(st.integers(0, 200)) * DAY,
        registry=REGISTRY,
        entry=ENTRY,
        fte=draw(st.none() | ftes()),
    )


class RecordHistories(RuleBasedStateMachine):
    """A record changed only through the library, checked after every step."""

    record: Record

    def __init__(self) -> None:
        super().__init__()
        self.seen: Record | None = None

    @initialize(record=records(REGISTRY, TODAY, max_evidence=10) | fresh_record())
    def start(self, record: Record) -> None:
        assert check_record(record, REGISTRY, TODAY) == []
        self.record = record

    # -- helpers --

    def entry(self, action: str) -> HistoryEntry:
        last = self.record.history[-1].at if self.record.history else ENTRY.at
        return HistoryEntry(last + dt.timedelta(minutes=1), "machine", action)

    def apply(self, change: Callable[[], Record], expect: Expect, what: str) -> Record | None:
        """Make a change through the library: accepted, or refused with the expected error."""
        before = self.record
        snapshot = record_to_dict(before)
        try:
            after = ensure_valid(change(), REGISTRY, TODAY)
        except (TransitionError, RecordError) as exc:
            event(f"{what}: {type(exc).__name__}")
            refusal: Exception = exc
        else:
            event(f"{what}: accepted")
            assert expect is None, f"{what} was accepted; expected {expect.__name__}"
            assert record_to_dict(before) == snapshot, f"{what} changed the record it was given"
            assert after.history[:-1] == before.history
            self.record = after
            return after
        assert expect is not None, f"{what} was refused: {refusal}"
        assert type(refusal) is expect, f"{what}: expected {expect.__name__}, got {refusal!r}"
        assert self.record is before
        assert record_to_dict(before) == snapshot, f"refused {what} changed the record"
        return None

    @property
    def current(self) -> Enrolment:
        assert self.record.current is not None
        return self.record.current

    # -- decisions and stages --

    @rule(
        outcome=st.sampled_from((*OUTCOMES, "pass")),
        stage=st.sampled_from(("", "", "", "asye", "ecf-2", "ASYE", "nope")),
        where=WHERE,
        until=st.none() | st.integers(-30, 400),
        by=st.sampled_from(("P. Ahmed", "Panel chair", " ")),
        reason=st.sampled_from(
            ("standards-not-met", "absence", "personal", "capability", None, "nope")
        ),
    )
    def decide(
        self,
        outcome: Outcome,
        stage: str,
        where: int,
        until: int | None,
        by: str,
        reason: str | None,
    ) -> None:
        earlier = self.record.decisions_for(self.current.stage)
        day = between(max([self.current.start, *(d.date for d in earlier)]), where)
        anchor = expected_end(self.record) if outcome == "extended" else day
        decision = Decision(
            stage=stage or self.current.stage,
            outcome=outcome,
            date=day,
            by=by,
            panel="Moderation panel" if where % 2 else None,
            until=None if until is None else anchor + until * DAY,
            reason=reason,
        )
        record = self.record
        after = self.apply(
            lambda: decide(record, decision, REGISTRY, self.entry("decide")),
            deciding(record, decision),
            "decide",
        )
        if after is not None:
            assert after.decisions == (*record.decisions, decision)
            assert after.enrolments == record.enrolments

    @rule(
        stage=st.sampled_from(
            ("next", "next", "ecf-2", "expert", "asye", "ECF year 2", "expert practitioner", "x")
        ),
        offset=st.integers(-5, 900),
    )
    def advance(self, stage: str, offset: int) -> None:
        record = self.record
        if stage == "next":  # what follows the current stage, if anything does
            stage = (*NEXT[self.current.stage], "ecf-1")[0]
        start = self.current.start + offset * DAY
        after = self.apply(
            lambda: advance(record, stage, start, REGISTRY, self.entry("advance")),
            advancing(record, stage, start),
            f"advance to {stage}",
        )
        if after is not None:
            # A new enrolment pins the version in force on its start (ecdp-2027 from 2027-09-01).
            new = Enrolment(ALIASES.get(stage, stage), start, REGISTRY.for_start(start).version)
            assert after.enrolments == (*record.enrolments, new)
            assert allowed_next(after, REGISTRY) == ()  # nothing follows until it is passed

    @rule(
        where=WHERE,
        reason=st.sampled_from(("resigned", "moved council", " ")),
        now=st.integers(0, 5),
    )
    def leave(self, where: int, reason: str, now: int) -> None:
        if now:  # leaving closes the record: try it in one step of six
            return
        record = self.record
        day = between(max([self.current.start, *(d.date for d in record.decisions)]), where)
        self.apply(
            lambda: leave(record, day, reason, self.entry("leave")),
            leaving(record, day, reason),
            "leave",
        )

    @rule(where=WHERE, wait=st.integers(-5, 60), outcome=st.sampled_from(("pass", "progressed")))
    def pass_then_start_the_next_stage(self, where: int, wait: int, outcome: Outcome) -> None:
        # ``progressed`` ends ecf-1 and lets ecf-2 begin as a pass does (refused elsewhere).
        self.decide(outcome, "", where, None, "Moderation panel", None)
        last = self.record.decision(self.current.stage)
        after = (last.date - self.current.start).days if last else 0
        self.advance("next", after + wait)

    # -- what people add along the way --

    @rule(
        kind=st.sampled_from((*EVIDENCE_KINDS, "gossip")),
        offset=st.integers(-900, 60),
        standards=st.lists(st.sampled_from(GOOD_STANDARDS + BAD_STANDARDS), max_size=2),
        reuse=st.booleans(),
    )
    def add_evidence(self, kind: str, offset: int, standards: list[str], reuse: bool) -> None:
        record = self.record
        used = [e.id for e in record.evidence]
        evidence = Evidence(
            id=used[0] if reuse and used else record.next_evidence_id(),
            kind=kind,
            date=TODAY + offset * DAY,
            standards=tuple(standards),
        )
        expect = valid_if(
            kind in EVIDENCE_KINDS
            and record.qualified <= evidence.date <= TODAY
            and all(s in GOOD_STANDARDS for s in standards)
            and evidence.id not in used
        )
        self.apply(
            lambda: record.changed(
                self.entry("add-evidence"), evidence=(*record.evidence, evidence)
            ),
            expect,
            "add evidence",
        )

    @rule(
        kind=st.sampled_from((*ABSENCE_KINDS, "holiday")),
        offset=st.integers(-900, 900),
        length=st.integers(-1, 120),
    )
    def add_absence(self, kind: str, offset: int, length: int) -> None:
        record = self.record
        first = self.current.start + offset * DAY
        absence = Absence(kind, first, first + (length - 1) * DAY)
        expect = valid_if(
            kind in ABSENCE_KINDS
            and length >= 1
            and first >= record.qualified
            and not any(
                a.first <= absence.last and absence.first <= a.last for a in record.absences
            )
        )
        self.apply(
            lambda: record.changed(self.entry("add-absence"), absences=(*record.absences, absence)),
            expect,
            "add absence",
        )

    @rule(
        offset=st.integers(-900, 900),
        fte=ftes() | st.sampled_from((Fraction(0), Fraction(3, 2), Fraction(-1, 2))),
    )
    def add_hours(self, offset: int, fte: Fraction) -> None:
        record = self.record
        change = PatternChange(self.current.start + offset * DAY, fte)
        expect = valid_if(
            0 < fte <= 1
            and change.from_ >= record.qualified
            and all(h.from_ < change.from_ for h in record.hours)
        )
        self.apply(
            lambda: record.changed(self.entry("add-hours"), hours=(*record.hours, change)),
            expect,
            "add hours",
        )

    @rule(
        stage=st.sampled_from(tuple(MILESTONES)),
        milestone=st.sampled_from(
            ("review-3m", "final-review", "year-1-assessment", "moderation", "annual-review-1")
        ),
        where=WHERE,
    )
    def hold_milestone(self, stage: str, milestone: str, where: int) -> None:
        record = self.record
        enrolment = record.enrolment(stage)
        held = HeldMilestone(stage, milestone, between((enrolment or self.current).start, where))
        expect = valid_if(
            enrolment is not None
            and milestone in MILESTONES[stage]
            and milestone not in record.held(stage)
            and enrolment.start <= held.date <= TODAY
        )
        self.apply(
            lambda: record.changed(self.entry("add-review"), milestones=(*record.milestones, held)),
            expect,
            "hold a milestone",
        )

    # -- after every step --

    @invariant()
    def valid(self) -> None:
        assert check_record(self.record, REGISTRY, TODAY) == []

    @invariant()
    def append_only(self) -> None:
        record, seen = self.record, self.seen
        if seen is not None:
            assert record.history[: len(seen.history)] == seen.history
            assert record.decisions[: len(seen.decisions)] == seen.decisions
            assert record.enrolments[: len(seen.enrolments)] == seen.enrolments
            assert seen.left is None or record.left == seen.left
        self.seen = record

    @invariant()
    def the_path_holds(self) -> None:
        record = self.record
        stages = [e.stage for e in record.enrolments]
        assert len(set(stages)) == len(stages)
        for before, after in zip(["qualification", *stages], stages, strict=False):
            assert after in NEXT[before]
        for stage in stages:
            outcomes = [d.outcome for d in record.decisions_for(stage)]
            assert sum(o in CLOSING for o in outcomes) <= 1
            assert not outcomes or all(o not in CLOSING for o in outcomes[:-1])
            if any(o in ENDING for o in outcomes):
                assert stages[-1] == stage, "no stage after fail or withdrawn"
            if stage != stages[-1]:  # a pass, or a progression from ECF year 1
                assert outcomes[-1:] == ["pass"] or (stage, outcomes[-1:]) == (
                    "ecf-1",
                    ["progressed"],
                )


TestRecordHistories = RecordHistories.TestCase
TestRecordHistories.settings = settings(
    stateful_step_count=30, suppress_health_check=[HealthCheck.too_slow]
)


# --- every generated record is reachable through the library ------------------------------


@given(records(REGISTRY, TODAY, max_evidence=5))
def test_every_generated_record_can_be_rebuilt_with_decide_advance_and_leave(
    record: Record,
) -> None:
    rebuilt = attrs.evolve(
        record, enrolments=record.enrolments[:1], decisions=(), left=None, history=()
    )
    for i, enrolment in enumerate(record.enrolments):
        if i:
            rebuilt = advance(rebuilt, enrolment.stage, enrolment.start, REGISTRY, ENTRY)
        for decision in record.decisions_for(enrolment.stage):
            rebuilt = decide(rebuilt, decision, REGISTRY, ENTRY)
    if record.left is not None:
        rebuilt = leave(rebuilt, record.left.date, record.left.reason, ENTRY)
    assert attrs.evolve(rebuilt, history=record.history) == record


# --- the transition rules live once: what progression refuses, validation finds -----------------
# Each rule (which stage may follow which, a next stage only after a pass, fail and withdrawn end
# the path, a closed stage takes no further decision, each stage starts after the one before) is
# a predicate of ecf.progression that ecf.validation calls too.  A change the library refuses
# makes, written into a file by hand, a record that validation refuses, and the other way round.
# To see these fail, make one module apply a rule of its own again: in ecf.validation, replace
# ``not starts_after(record.enrolments[i - 1], enrolment.start)`` with
# ``enrolment.start < record.enrolments[i - 1].start``.

STAGE_IDS = ("asye", "ecf-1", "ecf-2", "expert")


def _passed_if_open(record: Record) -> Record:
    """The record with its open current stage passed (a stage that may follow, more often)."""
    current = record.current
    assert current is not None
    last = record.decision(current.stage)
    if current.start > TODAY or (last and last.outcome in CLOSING):
        return record
    since = last.date if last else current.start
    passing = Decision(current.stage, "pass", min(since + 300 * DAY, TODAY), "P. Ahmed")
    return attrs.evolve(decide(record, passing, REGISTRY, ENTRY), history=())


@given(
    records(REGISTRY, TODAY, max_evidence=3) | fresh_record(),
    st.booleans(),
    st.sampled_from((*STAGE_IDS, "next", "next", "next", "next")),
    st.sampled_from((0, 1, -1)) | st.integers(-30, 400),  # a start on the day before, on, after
)
def test_advance_refuses_exactly_what_validation_refuses_in_a_file(
    record: Record, pass_first: bool, stage: str, days: int
) -> None:
    # Neither the history's order nor leaving (which closes a record) is a transition rule.
    record = attrs.evolve(record, history=(), left=None)
    if pass_first or stage == "next":  # a pass lets a next stage start, more often than by chance
        record = _passed_if_open(record)
    if stage == "next":
        stage = next(iter(allowed_next(record, REGISTRY)), "expert")
    current = record.current
    assert current is not None
    start = min(current.start + days * DAY, TODAY)
    by_hand = attrs.evolve(
        record, enrolments=(*record.enrolments, Enrolment(stage, start, "baseline-2026"))
    )
    try:
        advanced = advance(record, stage, start, REGISTRY, ENTRY)
    except TransitionError as exc:
        refused: object = exc.lines()
    else:
        refused = None
        assert attrs.evolve(advanced, history=()) == by_hand
    problems = [str(p) for p in check_record(by_hand, REGISTRY, TODAY)]
    event("refused" if refused else "accepted")
    assert bool(refused) == bool(problems), (refused, problems)


@given(
    records(REGISTRY, TODAY, max_evidence=3),
    st.sampled_from(("pass", "fail", "withdrawn", "deferred")),
    WHERE,
)
def test_decide_refuses_exactly_what_validation_refuses_in_a_file(
    record: Record, outcome: Outcome, where: int
) -> None:
    record = attrs.evolve(record, history=(), left=None)
    current = record.current
    assert current is not None
    day = min(between(current.start, where), TODAY)
    reason = min(REASONS[outcome]) if outcome in REASONS and where % 3 else None
    decision = Decision(current.stage, outcome, day, "P. Ahmed", reason=reason)
    by_hand = attrs.evolve(record, decisions=(*record.decisions, decision))
    try:
        decide(record, decision, REGISTRY, ENTRY)
    except TransitionError as exc:
        refused: object = exc.lines()
    else:
        refused = None
    problems = [str(p) for p in check_record(by_hand, REGISTRY, TODAY)]
    event("refused" if refused else "accepted")
    assert bool(refused) == bool(problems), (refused, problems)


# --- what people see ----------------------------------------------------------------------------


def started(stage: str = "asye", service: Service = "children") -> Record:
    return new_record(
        id="sam-01",
        name="Sam Patel",
        qualified=D(2025, 6, 30),
        service=service,
        stage=stage,
        start=D(2025, 9, 1),
        registry=REGISTRY,
        entry=ENTRY,
    )


def decided(record: Record, outcome: Outcome, day: dt.date, until: dt.date | None = None) -> Record:
    assert record.current is not None
    reason = min(REASONS[outcome]) if outcome in REASONS else None
    decision = Decision(
        record.current.stage, outcome, day, "P. Ahmed", None, until, None, reason=reason
    )
    return decide(record, decision, REGISTRY, ENTRY)


def test_a_second_decision_on_a_closed_stage_names_the_first() -> None:
    passed = decided(started(), "pass", D(2026, 9, 10))
    for outcome in OUTCOMES:
        with pytest.raises(TransitionError) as info:
            decided(
                passed, outcome, D(2026, 9, 11), D(2027, 1, 1) if outcome == "extended" else None
            )
        message = str(info.value)
        assert "'pass' on 2026-09-10;" in message
        assert "P. Ahmed" not in message  # errors name no one: who decided is personal data
        assert "never overwritten" in message
    assert passed.decisions_for("asye")[-1].outcome == "pass"


def test_advancing_without_a_pass_is_refused_saying_what_allows_it() -> None:
    record = started()
    with pytest.raises(TransitionError, match="'asye' has no decision yet; only a pass lets"):
        advance(record, "ecf-2", D(2026, 9, 1), REGISTRY, ENTRY)
    deferred = decided(record, "deferred", D(2026, 9, 1))
    with pytest.raises(TransitionError, match="'asye' has 'deferred' on 2026-09-01; only a pass"):
        advance(deferred, "ecf-2", D(2026, 10, 1), REGISTRY, ENTRY)
    assert allowed_next(deferred, REGISTRY) == ()
    assert allowed_next(decided(deferred, "pass", D(2026, 10, 1)), REGISTRY) == ("ecf-2", "expert")


def test_an_extension_must_move_the_end_later_and_then_moves_it() -> None:
    record = started()
    assert expected_end(record) == D(2026, 9, 1)
    for until in (D(2026, 8, 1), D(2026, 9, 1)):
        with pytest.raises(TransitionError, match=r"after the current expected end \(2026-09-01\)"):
            decided(record, "extended", D(2026, 7, 1), until)
    with pytest.raises(TransitionError, match="needs its new end date"):
        decided(record, "extended", D(2026, 7, 1))
    extended = decided(record, "extended", D(2026, 7, 1), D(2026, 12, 1))
    assert extended.current is not None
    assert timeline_for(extended, extended.current, REGISTRY).expected_end == D(2026, 12, 1)
    # As of a day before the decision, the extension was not yet made.
    before = timeline_for(extended, extended.current, REGISTRY, D(2026, 6, 30))
    assert before.expected_end == D(2026, 9, 1)
    # A second extension must move the new end later again.
    with pytest.raises(TransitionError, match=r"\(2026-12-01\)"):
        decided(extended, "extended", D(2026, 11, 1), D(2026, 11, 30))
    again = decided(extended, "extended", D(2026, 11, 1), D(2027, 3, 1))
    assert expected_end(again) == D(2027, 3, 1)


def test_a_legacy_asye_pass_leads_to_ecf_2() -> None:
    passed = decided(started("asye"), "pass", D(2026, 9, 10))
    assert allowed_next(passed, REGISTRY) == ("ecf-2", "expert")
    moved = advance(passed, "ecf-2", D(2026, 10, 1), REGISTRY, ENTRY)
    assert moved.current == Enrolment("ecf-2", D(2026, 10, 1), "baseline-2026")
    assert check_record(moved, REGISTRY, TODAY) == []


def test_asye_passed_leads_to_expert_and_an_unknown_stage_is_refused_listing_what_is_allowed() -> (
    None
):
    # BASELINE.md: expert follows ecf-2, ecdp or asye passed.
    passed = decided(started("asye"), "pass", D(2026, 9, 10))
    moved = advance(passed, "expert", D(2026, 10, 1), REGISTRY, ENTRY)
    assert check_record(moved, REGISTRY, TODAY) == []
    with pytest.raises(TransitionError, match=r"unknown stage \(allowed: ecf-2, expert\)"):
        advance(passed, "ecf-3", D(2026, 10, 1), REGISTRY, ENTRY)


def test_an_adult_asye_pass_cannot_lead_to_the_childrens_ecf_2() -> None:
    passed = decided(started("asye", "adults"), "pass", D(2026, 9, 10))
    assert allowed_next(passed, REGISTRY) == ()
    with pytest.raises(TransitionError, match=r"not allowed here \(allowed: none\)"):
        advance(passed, "ecf-2", D(2026, 10, 1), REGISTRY, ENTRY)


def test_no_stage_follows_a_fail_or_a_withdrawal() -> None:
    ending: tuple[Outcome, ...] = ("fail", "withdrawn")
    for outcome in ending:
        ended = decided(started(), outcome, D(2026, 9, 10))
        assert allowed_next(ended, REGISTRY) == ()
        with pytest.raises(TransitionError, match=f"'asye' has '{outcome}' on 2026-09-10"):
            advance(ended, "ecf-2", D(2026, 10, 1), REGISTRY, ENTRY)


def test_nothing_is_decided_or_started_after_leaving() -> None:
    left = leave(started(), D(2026, 3, 1), "moved council", ENTRY)
    with pytest.raises(TransitionError, match="left on 2026-03-01; the record is closed"):
        decided(left, "pass", D(2026, 3, 2))
    with pytest.raises(TransitionError, match="the record is closed"):
        leave(left, D(2026, 4, 1), "again", ENTRY)


def test_adults_cannot_start_in_ecf_1() -> None:
    with pytest.raises(RecordError, match="not open to the 'adults' service"):
        ensure_valid(started("ecf-1", "adults"), REGISTRY, TODAY)
