"""The rule language: each kind on hand-built records, the shipped baseline, and rule file errors.

Dates follow BASELINE.md: an ASYE starting 2025-09-01 full time has its 3-month review due
2025-12-01, its 6-month review 2026-03-01 and its final review 2026-09-01.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import pytest

from ecf._convert import to_json
from ecf.assessors import context_for
from ecf.framework import FrameworkRegistry
from ecf.records import Absence, Decision, Enrolment, Evidence, PatternChange, Record
from ecf.rules import (
    AnyOfRule,
    Context,
    Finding,
    GroupRule,
    RuleError,
    RuleSet,
    evaluate,
    load_rules,
    load_rules_data,
    recommend,
)
from ecf.timeline import Pause, add_months, supervision_schedule

D = dt.date
REGISTRY = FrameworkRegistry.default()
FW = REGISTRY.get("baseline-2026")
START = D(2025, 9, 1)
REVIEW_3M = D(2025, 12, 1)
REVIEW_6M = D(2026, 3, 1)
FINAL = D(2026, 9, 1)
BASELINE_FILE = (
    Path(__file__).resolve().parent.parent / "src" / "ecf" / "data" / "rules" / "baseline-2026.toml"
)
COUNT_KINDS = ("direct-observation", "feedback-person", "feedback-professional", "written-report")
KSS_CF = tuple(f"kss-cf:{n}" for n in range(1, 11))


def ev(eid: str, kind: str, date: dt.date, *standards: str, by: str | None = None) -> Evidence:
    return Evidence(eid, kind, date, standards, by)


def record(
    *evidence: Evidence,
    stage: str = "asye",
    service: str = "children",
    start: dt.date = START,
    absences: tuple[Absence, ...] = (),
    hours: tuple[PatternChange, ...] = (),
    decisions: tuple[Decision, ...] = (),
    enrolments: tuple[Enrolment, ...] | None = None,
) -> Record:
    assert service in ("children", "adults")
    return Record(
        schema_version=1,
        id="r1",
        name="Alex Example",
        qualified=D(2025, 6, 1),
        service=service,  # type: ignore[arg-type]
        enrolments=enrolments or (Enrolment(stage, start, "baseline-2026"),),
        hours=hours,
        absences=absences,
        evidence=evidence,
        decisions=decisions,
    )


def rules(*tables: dict[str, Any]) -> RuleSet:
    data = {"version": "test-1", "framework": "baseline-2026", "rules": list(tables)}
    return load_rules_data(data, FW, file="test.toml")


def judge(rs: RuleSet, rec: Record, as_of: dt.date) -> dict[str, Finding]:
    return {f.rule: f for f in evaluate(rs, context_for(rec, REGISTRY, as_of), "tester")}


def one(table: dict[str, Any], rec: Record, as_of: dt.date) -> Finding:
    return judge(rules(table), rec, as_of)[table["id"]]


def complete(
    stage: str = "asye", service: str = "children", start: dt.date = START
) -> tuple[Evidence, ...]:
    """Everything BASELINE.md asks of a stage starting on ``start`` (full time, no pauses).

    Shared with ``test_assessors`` and ``test_cli_assess``: 3 of each counted kind (observed by
    two people), critical reflections on the 6-month and final reviews, 3 self-assessments, one
    supervision at the start of every window, and every PQS statement cited at least twice.
    """
    end = add_months(start, 12)
    standards = KSS_CF if service == "children" else tuple(f"kss-adults:{n}" for n in range(1, 12))
    items: list[tuple[str, dt.date, tuple[str, ...], str]] = []
    k = 0
    for i, kind in enumerate(COUNT_KINDS):
        for months, by in ((2, "M. Reid"), (5, "S. Khan"), (8, "M. Reid")):
            day = add_months(start, months) + dt.timedelta(days=i)
            items.append((kind, day, (standards[k % len(standards)], "pcf:1"), by))
            k += 1
    if stage in ("asye", "ecf-1"):
        items += [
            ("critical-reflection", add_months(start, 6), ("pcf:6",), "A. Example"),
            ("critical-reflection", end, ("pcf:6",), "A. Example"),
            ("self-assessment", start + dt.timedelta(days=3), (), "A. Example"),
            ("self-assessment", add_months(start, 6) + dt.timedelta(days=2), (), "A. Example"),
            ("self-assessment", add_months(start, 11) + dt.timedelta(days=10), (), "A. Example"),
        ]
        items += [  # each statement cited twice over, so that one piece less leaves it covered
            ("supervision", first, (standards[n % len(standards)],), "S. Khan")
            for n, (first, _) in enumerate(supervision_schedule(start, end))
        ]
    items.sort(key=lambda item: item[1])
    return tuple(
        ev(f"ev-{n:03d}", kind, day, *stds, by=by)
        for n, (kind, day, stds, by) in enumerate(items, 1)
    )


DO3 = {"id": "do", "kind": "count", "evidence": ["direct-observation"], "min": 3}


# --- context -------------------------------------------------------------------------------


def test_context_due_dates_and_evidence_window() -> None:
    rec = record(
        ev("ev-001", "direct-observation", D(2025, 8, 20)),  # before the stage start
        ev("ev-002", "direct-observation", START),
        ev("ev-003", "supervision", D(2025, 10, 1)),
        ev("ev-004", "direct-observation", D(2025, 10, 2)),  # after the as-of date
    )
    ctx = context_for(rec, REGISTRY, D(2025, 10, 1))
    assert isinstance(ctx, Context)
    assert ctx.stage.id == "asye"
    assert ctx.due("review-3m") == REVIEW_3M
    assert ctx.due("end") == FINAL
    assert ctx.due("moderation") is None
    assert ctx.due("no-such") is None
    assert [e.id for e in ctx.evidence()] == ["ev-002", "ev-003"]
    assert [e.id for e in ctx.evidence(["direct-observation"])] == ["ev-002"]


# --- count ---------------------------------------------------------------------------------


def test_count_message_names_what_is_missing_and_the_deadline() -> None:
    rec = record(
        ev("ev-001", "direct-observation", D(2025, 10, 1), "kss-cf:1", "pcf:7"),
        ev("ev-002", "direct-observation", D(2025, 11, 3), "kss-cf:6"),
        ev("ev-003", "feedback-person", D(2025, 11, 4), "kss-cf:2"),
    )
    f = one(DO3, rec, D(2026, 1, 1))
    assert f.status == "pending"
    assert f.message == "2 of 3 direct observations by the final review (due 2026-09-01); missing 1"
    assert f.evidence == ("ev-001", "ev-002")
    assert f.standards == ("kss-cf:1", "kss-cf:6", "pcf:7")
    assert f.deadline == FINAL
    assert f.assessor == "tester"
    assert f.version == "test-1"


def test_count_pending_until_the_deadline_then_missed() -> None:
    rec = record(
        ev("ev-001", "direct-observation", D(2025, 10, 1)),
        ev("ev-002", "direct-observation", D(2025, 11, 3)),
    )
    assert one(DO3, rec, FINAL).status == "pending"
    missed = one(DO3, rec, FINAL + dt.timedelta(days=1))
    assert missed.status == "missed"
    assert missed.message.endswith("; missing 1")


def test_count_met_once_the_last_piece_is_dated_and_as_of_reaches_it() -> None:
    rec = record(
        ev("ev-001", "direct-observation", D(2025, 10, 1)),
        ev("ev-002", "direct-observation", D(2025, 11, 3)),
        ev("ev-003", "direct-observation", D(2026, 5, 4)),
    )
    assert one(DO3, rec, D(2026, 5, 3)).status == "pending"
    met = one(DO3, rec, D(2026, 5, 4))
    assert met.status == "met"
    assert met.message == "3 of 3 direct observations by the final review (due 2026-09-01)"
    assert met.evidence == ("ev-001", "ev-002", "ev-003")
    # Met stays met after the deadline.
    assert one(DO3, rec, D(2027, 1, 1)).status == "met"


def test_count_ignores_evidence_before_the_stage_start_and_after_the_deadline() -> None:
    rec = record(
        ev("ev-001", "direct-observation", D(2025, 8, 31)),  # the day before the start
        ev("ev-002", "direct-observation", START),
        ev("ev-003", "direct-observation", REVIEW_3M),  # on the deadline: counts
        ev("ev-004", "direct-observation", REVIEW_3M + dt.timedelta(days=1)),  # too late
    )
    rule = {**DO3, "min": 2, "by": "review-3m"}
    f = one(rule, rec, D(2026, 1, 1))
    assert f.status == "met"
    assert f.evidence == ("ev-002", "ev-003")
    assert f.message == "2 of 2 direct observations by the 3-month review (due 2025-12-01)"
    f3 = one({**rule, "min": 3}, rec, D(2026, 1, 1))
    assert f3.status == "missed"
    assert f3.evidence == ("ev-002", "ev-003")


def test_count_with_standard_after_and_author_filters() -> None:
    rec = record(
        ev("ev-001", "direct-observation", D(2025, 10, 1), "kss-cf:6", by="M. Reid"),
        ev("ev-002", "direct-observation", D(2026, 3, 5), "kss-cf:6", by="S. Khan"),
        ev("ev-003", "direct-observation", D(2026, 4, 5), "kss-cf:1", by="M. Reid"),
        ev("ev-004", "feedback-person", D(2026, 4, 6), "kss-cf:6", by="M. Reid"),
    )
    as_of = D(2026, 5, 1)
    by_standard = one({**DO3, "standard": "kss-cf:6"}, rec, as_of)
    assert by_standard.evidence == ("ev-001", "ev-002")
    assert by_standard.message == (
        "2 of 3 direct observations citing kss-cf:6 by the final review (due 2026-09-01); missing 1"
    )
    after = one({**DO3, "after": "review-6m"}, rec, as_of)
    assert after.evidence == ("ev-002", "ev-003")
    author = one({**DO3, "author": "M. Reid"}, rec, as_of)
    assert author.evidence == ("ev-001", "ev-003")
    several = one(
        {**DO3, "evidence": ["direct-observation", "feedback-person"], "min": 4}, rec, as_of
    )
    assert several.status == "met"
    assert "direct observations or pieces of feedback from people who use services" in (
        several.message
    )


def test_count_rule_standards_are_reported_with_those_cited() -> None:
    rec = record(ev("ev-001", "cpd", D(2025, 10, 1), "pcf:5"))
    f = one(
        {"id": "cpd", "kind": "count", "evidence": ["cpd"], "min": 1, "standards": ["swe:4"]},
        rec,
        D(2025, 10, 2),
    )
    assert f.status == "met"
    assert f.standards == ("pcf:5", "swe:4")


def test_count_deadline_moves_with_a_pausing_absence_and_part_time_hours() -> None:
    rule = {**DO3, "by": "review-3m", "min": 1}
    paused = record(absences=(Absence("sickness", D(2025, 10, 1), D(2025, 11, 11)),))
    assert one(rule, paused, D(2026, 1, 12)).deadline == D(2026, 1, 12)
    assert one(rule, paused, D(2026, 1, 12)).status == "pending"
    assert one(rule, paused, D(2026, 1, 13)).status == "missed"
    part_time = record(hours=(PatternChange(START, Fraction(1, 2)),))
    f = one(rule, part_time, D(2026, 1, 1))
    assert f.deadline == D(2026, 3, 2)
    assert f.message.endswith("by the 3-month review (due 2026-03-02); missing 1")


def test_count_behind_pace() -> None:
    halfway = D(2026, 3, 3)  # just past half of 2025-09-01 .. 2026-09-01
    none = one(DO3, record(), halfway)
    assert (none.status, none.behind) == ("pending", True)
    early = one(DO3, record(), D(2025, 10, 1))  # a month in: no piece is due yet
    assert (early.status, early.behind) == ("pending", False)
    one_piece = record(ev("ev-001", "direct-observation", D(2025, 10, 1)))
    assert one(DO3, one_piece, halfway).behind is False  # 1 of 3 at half time is on pace
    assert one(DO3, one_piece, D(2026, 6, 1)).behind is True  # 1 of 3 at three quarters
    # A missed rule is not "behind": it is missed.
    assert one(DO3, one_piece, D(2026, 9, 2)).behind is False


def test_stages_and_services_limit_where_a_rule_applies() -> None:
    rec = record(ev("ev-001", "direct-observation", D(2025, 10, 1)))
    expert_only = one({**DO3, "stages": ["expert"]}, rec, D(2025, 10, 1))
    assert expert_only.status == "not-applicable"
    assert expert_only.message == "not applicable to asye"
    assert expert_only.assessor == "tester"
    adults_only = one({**DO3, "services": ["adults"]}, rec, D(2025, 10, 1))
    assert adults_only.status == "not-applicable"
    both = one({**DO3, "stages": ["asye"], "services": ["children"]}, rec, D(2025, 10, 1))
    assert both.status == "pending"
    # A stage may be named by an alias, wherever a stage id is accepted.
    alias = one({**DO3, "stages": ["ASYE"]}, rec, D(2025, 10, 1))
    assert alias.status == "pending"


# --- coverage ------------------------------------------------------------------------------


COVER = {"id": "cover", "kind": "coverage", "sets": ["kss-cf", "kss-adults"]}


def test_coverage_every_kss_cf_statement_for_a_children_record() -> None:
    items = [
        ev(f"ev-{n:03d}", "direct-observation", D(2025, 10, n), f"kss-cf:{n}", "pcf:1")
        for n in range(1, 10)
    ]
    items.append(ev("ev-010", "written-report", D(2025, 10, 20), "kss-adults:10", "pcf:2"))
    rec = record(*items)
    f = one(COVER, rec, D(2026, 1, 1))
    assert f.status == "pending"
    assert f.message == (
        "9 of 10 standards of kss-cf evidenced at least 1 time by the final review "
        "(due 2026-09-01); not yet: kss-cf:10"
    )
    # Only the standards found, in natural order (issue 10 item 8): kss-cf:9 before kss-cf:10.
    assert f.standards == KSS_CF[:9]
    assert f.evidence == tuple(f"ev-{n:03d}" for n in range(1, 10))  # not ev-010: not kss-cf
    assert f.deadline == FINAL
    assert one(COVER, rec, FINAL + dt.timedelta(days=1)).status == "missed"
    done = record(*items, ev("ev-011", "supervision", D(2026, 2, 1), "kss-cf:10"))
    met = one(COVER, done, D(2026, 2, 1))
    assert met.status == "met"
    assert "10 of 10 standards" in met.message
    assert "not yet" not in met.message


def test_coverage_uses_kss_adults_for_an_adults_record() -> None:
    items = [
        ev(f"ev-{n:03d}", "direct-observation", D(2025, 10, n), f"kss-adults:{n}", f"kss-cf:{n}")
        for n in range(1, 12)
    ]
    f = one(COVER, record(*items, service="adults"), D(2026, 1, 1))
    assert f.status == "met"
    assert f.message.startswith("11 of 11 standards")
    assert f.standards == tuple(f"kss-adults:{n}" for n in range(1, 12))
    partial = one(COVER, record(*items[:5], service="adults"), D(2026, 1, 1))
    assert partial.message.endswith(
        "not yet: kss-adults:6, kss-adults:7, kss-adults:8, kss-adults:9, kss-adults:10, "
        "kss-adults:11"
    )


def test_coverage_min_and_not_applicable() -> None:
    once_each = [
        ev(f"ev-{n:03d}", "direct-observation", D(2025, 10, n), f"kss-cf:{n}") for n in range(1, 11)
    ]
    twice = one({**COVER, "min": 2}, record(*once_each), D(2025, 11, 1))
    assert twice.status == "pending"
    assert "0 of 10 standards of kss-cf evidenced at least 2 times" in twice.message
    # No standard set of the rule applies to the record's service.
    adults_only = one({**COVER, "sets": ["kss-adults"]}, record(*once_each), D(2025, 11, 1))
    assert adults_only.status == "not-applicable"


# --- frequency -----------------------------------------------------------------------------


FREQ = {
    "id": "sup",
    "kind": "frequency",
    "evidence": ["supervision"],
    "periods": [{"every": 7, "until": 42}, {"every": 14, "until_months": 6}, {"every_months": 1}],
}


def supervised(
    windows: tuple[tuple[dt.date, dt.date], ...], skip: tuple[int, ...] = ()
) -> tuple[Evidence, ...]:
    return tuple(
        ev(f"ev-{i + 1:03d}", "supervision", first, by="S. Khan")
        for i, (first, _) in enumerate(windows)
        if i not in skip
    )


def test_supervision_windows_weekly_fortnightly_monthly() -> None:
    windows = supervision_schedule(START, FINAL)
    weekly = [w for w in windows if w[1] <= D(2025, 10, 12)]  # day 42 is 2025-10-13
    assert [(b - a).days + 1 for a, b in weekly] == [7] * 6
    assert windows[6] == (D(2025, 10, 13), D(2025, 10, 26))
    fortnightly = [w for w in windows if D(2025, 10, 13) <= w[0] < REVIEW_6M]
    assert all((b - a).days + 1 <= 14 for a, b in fortnightly)
    assert fortnightly[-1] == (D(2026, 2, 16), D(2026, 2, 28))  # cut at 6 months
    assert windows[-6:] == (
        (D(2026, 3, 1), D(2026, 3, 31)),
        (D(2026, 4, 1), D(2026, 4, 30)),
        (D(2026, 5, 1), D(2026, 5, 31)),
        (D(2026, 6, 1), D(2026, 6, 30)),
        (D(2026, 7, 1), D(2026, 7, 31)),
        (D(2026, 8, 1), D(2026, 8, 31)),
    )
    assert len(windows) == 22


def test_frequency_met_when_every_window_has_a_session() -> None:
    windows = supervision_schedule(START, FINAL)
    rec = record(*supervised(windows))
    f = one(FREQ, rec, FINAL)
    assert f.status == "met"
    assert f.message == (
        "supervision sessions in 22 of 22 periods by the final review (due 2026-09-01), "
        "none missed so far"
    )
    assert len(f.evidence) == 22
    assert f.deadline == FINAL


def test_frequency_pending_while_windows_remain_then_missed_for_an_empty_one() -> None:
    windows = supervision_schedule(START, FINAL)
    rec = record(*supervised(windows, skip=(2,)))  # nothing from 2025-09-15 to 2025-09-21
    early = one(FREQ, rec, D(2025, 9, 15))
    assert early.status == "pending"
    assert early.message == (
        "supervision sessions in 2 of 22 periods by the final review (due 2026-09-01), "
        "none missed so far"
    )
    # The window is open until its last day is over.
    assert one(FREQ, rec, D(2025, 9, 21)).status == "pending"
    missed = one(FREQ, rec, D(2025, 9, 22))
    assert missed.status == "missed"
    assert missed.message == (
        "supervision sessions in 2 of 3 periods so far; none from 2025-09-15 to 2025-09-21"
    )
    later = one(FREQ, record(*supervised(windows, skip=(2, 7))), FINAL)
    assert later.message == (
        "supervision sessions in 20 of 22 periods so far; none from 2025-09-15 to 2025-09-21 "
        "and in 1 more period"
    )


def test_frequency_windows_shift_with_a_pause() -> None:
    sickness = Absence("sickness", D(2025, 10, 1), D(2025, 11, 11))  # 42 days: pauses
    sessions = (
        ev("ev-001", "supervision", D(2025, 9, 1)),
        ev("ev-002", "supervision", D(2025, 9, 8)),
        ev("ev-003", "supervision", D(2025, 9, 15)),
        ev("ev-004", "supervision", D(2025, 9, 22)),
        ev("ev-005", "supervision", D(2025, 9, 29)),
        ev("ev-006", "supervision", D(2025, 11, 17)),
    )
    as_of = D(2025, 11, 20)
    paused = one(FREQ, record(*sessions, absences=(sickness,)), as_of)
    assert paused.status == "pending"
    assert paused.message == (
        "supervision sessions in 6 of 22 periods by the final review (due 2026-10-13), "
        "none missed so far"
    )
    assert paused.deadline == D(2026, 10, 13)
    # The same sessions with a short absence, which does not pause: the windows she was away
    # for most of are exempt (BASELINE.md), the first one after her return is not.
    short = Absence("sickness", D(2025, 10, 1), D(2025, 10, 20))
    not_paused = one(FREQ, record(*sessions, absences=(short,)), as_of)
    assert not_paused.status == "missed"
    assert "none from 2025-10-27 to 2025-11-09" in not_paused.message
    assert "2 periods exempt (away most of it)" in not_paused.message
    # The whole paused year: one session at the start of every shifted window.
    windows = supervision_schedule(
        START, D(2026, 10, 13), (Pause(D(2025, 10, 1), D(2025, 11, 11)),)
    )
    assert windows[4] == (D(2025, 9, 29), D(2025, 11, 16))
    full = one(FREQ, record(*supervised(windows), absences=(sickness,)), D(2026, 10, 13))
    assert full.status == "met"


# --- presence ------------------------------------------------------------------------------


CRL = {
    "id": "crl",
    "kind": "presence",
    "evidence": ["critical-reflection"],
    "at": ["review-6m", "end"],
    "before_days": 14,
    "grace_days": 28,
}


def test_presence_met_at_both_milestones() -> None:
    rec = record(
        ev("ev-001", "critical-reflection", REVIEW_6M, "pcf:6"),
        ev("ev-002", "critical-reflection", FINAL, "kss-cf:9"),
    )
    f = one(CRL, rec, FINAL)
    assert f.status == "met"
    assert f.message == "critical reflections at or after 2 of 2 milestones"
    assert f.evidence == ("ev-001", "ev-002")
    assert f.standards == ("kss-cf:9", "pcf:6")
    assert f.deadline == FINAL + dt.timedelta(days=28)


def test_presence_before_days_and_grace_days() -> None:
    just_before = record(ev("ev-001", "critical-reflection", D(2026, 2, 15)))  # 14 days before
    f = one(CRL, just_before, D(2026, 3, 2))
    assert f.status == "pending"
    assert f.evidence == ("ev-001",)
    assert f.message == (
        "critical reflections at or after 1 of 2 milestones; "
        "still needed at: the final review (due 2026-09-01)"
    )
    too_early = record(ev("ev-001", "critical-reflection", D(2026, 2, 14)))  # 15 days before
    pending = one(CRL, too_early, D(2026, 3, 29))  # the last day of the grace period
    assert pending.status == "pending"
    assert pending.evidence == ()
    assert pending.message == (
        "critical reflections at or after 0 of 2 milestones; still needed at: "
        "the 6-month review (due 2026-03-01), the final review (due 2026-09-01)"
    )
    assert one(CRL, too_early, D(2026, 3, 30)).status == "missed"
    in_grace = record(ev("ev-001", "critical-reflection", D(2026, 3, 29)))
    assert one(CRL, in_grace, D(2026, 3, 30)).status == "pending"


def test_presence_end_missed_after_its_grace_and_one_piece_serves_one_milestone() -> None:
    rec = record(ev("ev-001", "critical-reflection", REVIEW_6M))
    assert one(CRL, rec, FINAL + dt.timedelta(days=28)).status == "pending"
    missed = one(CRL, rec, FINAL + dt.timedelta(days=29))
    assert missed.status == "missed"
    assert missed.evidence == ("ev-001",)
    assert missed.message.endswith("still needed at: the final review (due 2026-09-01)")


def test_presence_a_late_reflection_does_not_undo_a_miss() -> None:
    # Only a reflection within its window counts: once missed, a milestone stays missed.
    late = record(ev("ev-001", "critical-reflection", D(2026, 5, 1)))  # 61 days after review-6m
    f = one(CRL, late, D(2026, 5, 2))
    assert f.status == "missed"
    assert f.evidence == ()


def test_frequency_met_on_the_deadline_day_itself() -> None:
    windows = supervision_schedule(START, FINAL)
    rec = record(*supervised(windows))
    assert one(FREQ, rec, FINAL).status == "met"
    assert one(FREQ, rec, windows[-1][0]).status == "met"  # the last window is open, but held


# --- distinct authors ----------------------------------------------------------------------


def test_distinct_authors() -> None:
    rule = {
        "id": "people",
        "kind": "distinct-authors",
        "evidence": ["direct-observation"],
        "min": 3,
    }
    items = (
        ev("ev-001", "direct-observation", D(2025, 10, 1), by="A. Jones"),
        ev("ev-002", "direct-observation", D(2025, 11, 1), by="A. Jones"),
        ev("ev-003", "direct-observation", D(2025, 12, 1), by="B. Singh"),
        ev("ev-004", "direct-observation", D(2025, 12, 2)),  # nobody named: not counted
    )
    f = one(rule, record(*items), D(2026, 1, 1))
    assert f.status == "pending"
    assert f.message == (
        "direct observations by 2 of 3 different people by the final review (due 2026-09-01)"
    )
    assert f.evidence == ("ev-001", "ev-002", "ev-003")
    assert one(rule, record(*items), FINAL + dt.timedelta(days=1)).status == "missed"
    third = ev("ev-005", "direct-observation", D(2026, 2, 1), by="C. Okafor")
    assert one(rule, record(*items, third), D(2026, 2, 1)).status == "met"


# --- groups --------------------------------------------------------------------------------


GROUPED = (
    {"id": "done", "kind": "count", "evidence": ["direct-observation"], "min": 1},
    {"id": "late", "kind": "count", "evidence": ["written-report"], "min": 1},
    {"id": "early", "kind": "count", "evidence": ["feedback-person"], "min": 1, "by": "review-3m"},
    {"id": "expert", "kind": "count", "evidence": ["cpd"], "min": 1, "stages": ["expert"]},
)


@pytest.mark.parametrize(
    ("kind", "members", "status"),
    [
        ("all-of", ["done"], "met"),
        ("all-of", ["done", "late"], "pending"),
        ("all-of", ["done", "late", "early"], "missed"),
        ("all-of", ["done", "expert"], "met"),  # a rule that does not apply is left out
        ("all-of", ["expert"], "not-applicable"),
        ("any-of", ["early", "late"], "pending"),
        ("any-of", ["early", "done"], "met"),
        ("any-of", ["early"], "missed"),
        ("any-of", ["expert"], "not-applicable"),
    ],
)
def test_groups_combine_statuses(kind: str, members: list[str], status: str) -> None:
    rec = record(ev("ev-001", "direct-observation", D(2025, 10, 1), "kss-cf:1"))
    as_of = D(2026, 1, 1)  # the 3-month review (2025-12-01) has passed, the final one has not
    found = judge(rules(*GROUPED, {"id": "g", "kind": kind, "rules": members}), rec, as_of)
    assert found["done"].status == "met"
    assert found["late"].status == "pending"
    assert found["early"].status == "missed"
    assert found["g"].status == status


def test_group_message_evidence_and_deadline() -> None:
    rec = record(ev("ev-001", "direct-observation", D(2025, 10, 1), "kss-cf:1"))
    group = {
        "id": "g",
        "kind": "all-of",
        "rules": ["done", "late", "early"],
        "standards": ["swe:1"],
    }
    # A group may come before its members in the file: it is judged after them.
    found = judge(rules(group, *GROUPED), rec, D(2026, 1, 1))
    assert list(found)[-1] == "expert"
    g = found["g"]
    assert g.message == "1 of 3 rules met (all of: done, late, early)"
    assert g.evidence == ("ev-001",)
    assert g.standards == ("kss-cf:1", "swe:1")
    assert g.deadline == FINAL
    any_of = judge(rules(*GROUPED, {**group, "kind": "any-of"}), rec, D(2026, 1, 1))["g"]
    assert any_of.message == "1 of 3 rules met (any of: done, late, early)"


def test_group_with_a_member_in_error() -> None:
    assert GroupRule("g", ("a", "b")).combine(["met", "error"]) == "error"
    assert GroupRule("g", ("a", "b")).combine(["missed", "error"]) == "error"
    assert AnyOfRule("g", ("a", "b")).combine(["met", "error"]) == "met"
    assert AnyOfRule("g", ("a", "b")).combine(["pending", "error"]) == "error"


# --- recommend -----------------------------------------------------------------------------


def finding(status: str, *, behind: bool = False) -> Finding:
    return Finding("r", "a", "1", status, "m", behind=behind)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["met", "met", "not-applicable"], "ready"),
        (["met", "missed", "pending"], "not-met"),
        (["met", "missed", "error"], "not-met"),
        (["met", "pending"], "on-track"),
        (["met", "pending-behind"], "at-risk"),
        (["met", "error"], "at-risk"),
        (["not-applicable"], "on-track"),
        ([], "on-track"),
    ],
)
def test_recommend(statuses: list[str], expected: str) -> None:
    findings = [
        finding("pending", behind=True) if s == "pending-behind" else finding(s) for s in statuses
    ]
    assert recommend(findings) == expected


def test_finding_to_json() -> None:
    f = Finding(
        "do", "baseline", "v1", "pending", "m", ("ev-001",), ("kss-cf:1",), FINAL, behind=True
    )
    assert to_json(f) == {
        "rule": "do",
        "assessor": "baseline",
        "version": "v1",
        "status": "pending",
        "message": "m",
        "evidence": ["ev-001"],
        "standards": ["kss-cf:1"],
        "deadline": "2026-09-01",
        "behind": True,
        "category": "practitioner",
        "override": None,
    }
    assert to_json(attrs.evolve(f, deadline=None))["deadline"] is None


# --- the shipped baseline ------------------------------------------------------------------


def baseline() -> RuleSet:
    return load_rules(BASELINE_FILE, FW)


def test_the_shipped_baseline_file_loads() -> None:
    rs = baseline()
    assert rs.version == "baseline-2026.2"
    assert rs.framework == "baseline-2026"
    assert rs.file == str(BASELINE_FILE)
    assert [r.id for r in rs.rules] == [
        "direct-observations",
        "feedback-people",
        "feedback-professionals",
        "written-reports",
        "critical-reflections",
        "self-assessments",
        "supervision",
        "pqs-coverage",
        "annual-reviews",
        "cpd-records",
    ]


def test_baseline_complete_asye_is_ready_as_of_the_final_review() -> None:
    rec = record(*complete())
    findings = evaluate(baseline(), context_for(rec, REGISTRY, FINAL))
    statuses = {f.rule: f.status for f in findings}
    assert statuses == {
        "direct-observations": "met",
        "feedback-people": "met",
        "feedback-professionals": "met",
        "written-reports": "met",
        "critical-reflections": "met",
        "self-assessments": "met",
        "supervision": "met",
        "pqs-coverage": "met",
        "annual-reviews": "not-applicable",
        "cpd-records": "not-applicable",
    }
    assert all(f.assessor == "baseline" and f.version == "baseline-2026.2" for f in findings)
    assert recommend(findings) == "ready"


def test_baseline_one_observation_short() -> None:
    items = complete()
    last_do = [e for e in items if e.kind == "direct-observation"][-1]
    rec = record(*(e for e in items if e is not last_do))
    bs = baseline()

    def at(day: dt.date) -> tuple[dict[str, Finding], str]:
        found = evaluate(bs, context_for(rec, REGISTRY, day))
        return {f.rule: f for f in found}, recommend(found)

    found, rec_after = at(FINAL + dt.timedelta(days=1))
    assert rec_after == "not-met"
    assert found["direct-observations"].status == "missed"
    assert found["direct-observations"].message == (
        "2 of 3 direct observations by the final review (due 2026-09-01); missing 1"
    )
    assert [f for f, v in found.items() if v.status == "missed"] == ["direct-observations"]
    found, rec_final = at(FINAL)
    assert rec_final == "at-risk"  # the deadline is today: 2 of 3 is behind pace
    assert found["direct-observations"].behind is True
    found, rec_early = at(D(2026, 6, 1))
    assert rec_early == "on-track"
    assert found["direct-observations"].status == "pending"
    assert found["direct-observations"].behind is False


def test_baseline_ecf1_uses_its_own_last_review() -> None:
    rec = record(*complete("ecf-1"), stage="ecf-1")
    found = {f.rule: f for f in evaluate(baseline(), context_for(rec, REGISTRY, FINAL))}
    assert recommend(found.values()) == "ready"
    assert found["written-reports"].message == (
        "3 of 3 assessed written reports by the year 1 assessment (due 2026-09-01)"
    )


def test_baseline_ecf2_uses_the_same_counts() -> None:
    asye = Enrolment("asye", D(2024, 9, 2), "baseline-2026")
    ecf2 = Enrolment("ecf-2", START, "baseline-2026")
    passed = (Decision("asye", "pass", D(2025, 8, 20), "P. Manager"),)
    items = complete("ecf-2")
    rec = record(*items, enrolments=(asye, ecf2), decisions=passed)
    found = {f.rule: f for f in evaluate(baseline(), context_for(rec, REGISTRY, FINAL))}
    assert {r for r, f in found.items() if f.status != "not-applicable"} == {
        "direct-observations",
        "feedback-people",
        "feedback-professionals",
        "written-reports",
    }
    assert found["feedback-people"].message == (
        "3 of 3 pieces of feedback from people who use services by the final assessment "
        "(end of year 2) (due 2026-09-01)"
    )
    assert recommend(found.values()) == "ready"
    short = record(*items[1:], enrolments=(asye, ecf2), decisions=passed)
    after = evaluate(baseline(), context_for(short, REGISTRY, FINAL + dt.timedelta(days=1)))
    assert recommend(after) == "not-met"


def test_baseline_adults_no_self_assessment_and_kss_adults_coverage() -> None:
    items = tuple(e for e in complete(service="adults") if e.kind != "self-assessment")
    rec = record(*items, service="adults")
    found = {f.rule: f for f in evaluate(baseline(), context_for(rec, REGISTRY, FINAL))}
    assert found["self-assessments"].status == "not-applicable"
    assert found["pqs-coverage"].status == "met"
    assert found["pqs-coverage"].message.startswith("11 of 11 standards")
    assert all(s.startswith("kss-adults:") for s in found["pqs-coverage"].standards)
    assert recommend(found.values()) == "ready"
    # The same evidence on a children's record lacks both the self-assessments and kss-cf.
    as_children = {
        f.rule: f for f in evaluate(baseline(), context_for(record(*items), REGISTRY, FINAL))
    }
    assert as_children["self-assessments"].status == "pending"
    assert as_children["pqs-coverage"].message.startswith("0 of 10 standards")


def test_baseline_critical_reflection_missing_at_six_months() -> None:
    items = complete()
    rec = record(*(e for e in items if not (e.kind == "critical-reflection" and e.date < FINAL)))
    found = {
        f.rule: f
        for f in evaluate(baseline(), context_for(rec, REGISTRY, REVIEW_6M + dt.timedelta(29)))
    }
    assert found["critical-reflections"].status == "missed"
    assert "the 6-month review (due 2026-03-01)" in found["critical-reflections"].message


# --- rule file errors ----------------------------------------------------------------------


HEAD = 'version = "t-1"\nframework = "baseline-2026"\n'
DO_RULE = '[[rules]]\nid = "do"\nkind = "count"\nevidence = ["direct-observation"]\nmin = 3\n'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '[[rules]]\nid = "x"\nkind = "tally"\n',
            (
                "rules[0].kind: rule 'x': unknown kind (known: all-of, any-of, count, coverage, "
                "distinct-authors, frequency, per-registration-year, presence) (got 'tally')"
            ),
        ),
        (
            '[[rules]]\nid = "x"\nkind = ["count"]\n',
            "rules[0].kind: rule 'x': unknown kind",
        ),
        (
            '[[rules]]\nid = "x"\nkind = "count"\nevidence = ["direct-observation"]\n',
            "rules[0].min: rule 'x': required field missing",
        ),
        (
            '[[rules]]\nid = "x"\nkind = "count"\nevidence = ["direct-observation"]\nmin = "3"\n',
            "rules[0].min: rule 'x': expected a whole number (got '3')",
        ),
        (
            '[[rules]]\nid = "x"\nkind = "count"\nevidence = "direct-observation"\nmin = 3\n',
            "rules[0].evidence: rule 'x': expected a list (got 'direct-observation')",
        ),
        (
            '[[rules]]\nid = "x"\nkind = "count"\nevidence = ["selfie"]\nmin = 3\n',
            "rules[0].evidence[0]: rule 'x': unknown evidence kind (got 'selfie')",
        ),
        (
            DO_RULE.replace('"do"', '"x"') + 'standard = "kss-cf:11"\n',
            "rules[0].standard: rule 'x': unknown standard (got 'kss-cf:11')",
        ),
        (
            DO_RULE.replace('"do"', '"x"') + 'standards = ["pcf:1", "pcf:99"]\n',
            "rules[0].standards[1]: rule 'x': unknown standard (got 'pcf:99')",
        ),
        (
            '[[rules]]\nid = "x"\nkind = "coverage"\nsets = ["kss-cf", "kss-elders"]\n',
            "rules[0].sets[1]: rule 'x': unknown standard set (got 'kss-elders')",
        ),
        (
            DO_RULE.replace('"do"', '"x"') + 'by = "review-5m"\n',
            "rules[0].by: rule 'x': unknown milestone (got 'review-5m')",
        ),
        (
            DO_RULE.replace('"do"', '"x"') + 'after = "review-5m"\n',
            "rules[0].after: rule 'x': unknown milestone (got 'review-5m')",
        ),
        (
            DO_RULE.replace('"do"', '"x"') + 'stages = ["asye"]\nby = "final-assessment"\n',
            "rules[0].by: rule 'x': unknown milestone (got 'final-assessment')",
        ),
        (
            (
                '[[rules]]\nid = "x"\nkind = "presence"\nevidence = ["critical-reflection"]\n'
                'at = ["review-6m", "review-7m"]\n'
            ),
            "rules[0].at[1]: rule 'x': unknown milestone (got 'review-7m')",
        ),
        (
            DO_RULE.replace('"do"', '"x"') + 'stages = ["asye", "ecf-3"]\n',
            "rules[0].stages[1]: rule 'x': unknown stage (got 'ecf-3')",
        ),
        (
            DO_RULE.replace('"do"', '"x"') + 'services = ["child"]\n',
            (
                "rules[0].services[0]: rule 'x': unknown service (known: children, adults) "
                "(got 'child')"
            ),
        ),
        (
            DO_RULE + '[[rules]]\nid = "x"\nkind = "all-of"\nrules = ["do", "dx"]\n',
            "rules[1].rules[1]: rule 'x': unknown rule in group (got 'dx')",
        ),
        (
            (
                '[[rules]]\nid = "x"\nkind = "all-of"\nrules = ["b"]\n'
                '[[rules]]\nid = "b"\nkind = "any-of"\nrules = ["x"]\n'
            ),
            "rules[0].rules: rule 'x': circular group: x -> b -> x",
        ),
        (
            DO_RULE + DO_RULE,
            "rules[1].id: duplicate rule id (got 'do')",
        ),
        (
            DO_RULE.replace('"do"', '"x"') + "maximum = 4\n",
            "rules[0]: rule 'x': unknown keys: maximum",
        ),
        (
            DO_RULE.replace('"do"', '"x"').replace("min = 3", "min = 0"),
            "rules[0].min: rule 'x': must be at least 1 (got 0)",
        ),
    ],
)
def test_rule_file_errors_name_file_rule_and_field(
    tmp_path: Path, body: str, expected: str
) -> None:
    path = tmp_path / "council-rules.toml"
    path.write_text(HEAD + body, encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_rules(path, FW)
    lines = caught.value.lines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}: {expected}")
    assert caught.value.exit_code == 2


def test_rule_file_top_level_errors(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(HEAD + "strict = true\n" + DO_RULE, encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_rules(path, FW)
    assert caught.value.lines() == [f"{path}: unknown keys: strict"]
    path.write_text('title = "no version"\n', encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_rules(path, FW)
    assert caught.value.lines() == [
        f"{path}: version: required, a string",
        f"{path}: framework: required, a string",
    ]
    path.write_text(HEAD + 'rules = "none"\n', encoding="utf-8")
    with pytest.raises(RuleError, match=r"rules: expected \[\[rules\]\] tables"):
        load_rules(path, FW)


def test_rule_file_malformed_or_missing(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + "[[rules]\n", encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_rules(path, FW)
    assert caught.value.lines()[0].startswith(f"{path}: not valid TOML")
    with pytest.raises(RuleError) as caught:
        load_rules(tmp_path / "missing.toml", FW)
    assert caught.value.lines()[0].startswith(f"{tmp_path / 'missing.toml'}: cannot read")


def test_rule_file_reports_every_problem_at_once(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(
        HEAD
        + '[[rules]]\nid = "a"\nkind = "count"\nevidence = ["selfie"]\nmin = 3\nby = "later"\n'
        + '[[rules]]\nid = "b"\nkind = "coverage"\nsets = ["nope"]\n',
        encoding="utf-8",
    )
    with pytest.raises(RuleError) as caught:
        load_rules(path, FW)
    assert [p.path for p in caught.value.problems] == [
        "rules[0].evidence[0]",
        "rules[0].by",
        "rules[1].sets[0]",
    ]
    assert all(p.file == str(path) for p in caught.value.problems)
