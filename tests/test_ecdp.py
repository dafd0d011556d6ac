"""The 2027 programme and dated standards (issue 10 items 5, 6 and the standards parts of 8).

Every case comes from a published fact (FACTS.md 6) or BASELINE.md: the ECDP replaces the child
and family ASYE for stages starting from September 2027 and lasts two years, assessed at the
end; the adults' ASYE continues; the ECF and the expert level were dropped (superseded: warned,
never refused); the early career standards apply from 1 April 2027 and the KSS until 31 March.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import tomli
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

import ecf.framework
from ecf.assessors import assess, context_for
from ecf.cli import main
from ecf.errors import FrameworkError, TransitionError
from ecf.framework import FrameworkRegistry, load_framework_data, natural_key
from ecf.progression import advance, closed_to, new_record, superseded, timeline_for
from ecf.records import Decision, Enrolment, Evidence, HistoryEntry, Record
from ecf.rules import evaluate, load_rules_data
from ecf.timeline import add_months
from ecf.validation import check_record, evidence_warnings

D = dt.date
REGISTRY = FrameworkRegistry.default()
BASE = REGISTRY.get("baseline-2026")
ECDP = REGISTRY.get("ecdp-2027")
DATA = Path(ecf.framework.__file__).parent / "data" / "frameworks"
ENTRY = HistoryEntry(dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC), "tester", "new", "started")
TODAY = D(2035, 1, 1)
QUALIFIED = D(2026, 7, 1)
SPANNING = D(2026, 10, 1)  # an ASYE from here ends 2027-10-01: it spans 2027-04-01


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def started(stage: str, start: D, service: str = "children", qualified: D = QUALIFIED) -> Record:
    return new_record(
        id="r1",
        name="Alex Example",
        qualified=qualified,
        service=service,  # type: ignore[arg-type]
        stage=stage,
        start=start,
        registry=REGISTRY,
        entry=ENTRY,
    )


def new(path: Path, stage: str, start: str, *more: str) -> Result:
    return run(
        "new", path, "--id", "r1", "--name", "Alex Example", "--qualified", "2026-07-01",
        "--stage", stage, "--start", start, *more,
    )  # fmt: skip


# --- the ECDP stage (BASELINE.md: 24 months, its milestones) ----------------------------------


def test_an_ecdp_started_2027_09_06_full_time_has_its_final_assessment_due_2029_09_06() -> None:
    record = started("ecdp", D(2027, 9, 6))
    enrolment = record.enrolments[0]
    assert enrolment.framework == "ecdp-2027"
    tl = timeline_for(record, enrolment, REGISTRY)
    due = {m.id: m.due for m in tl.milestones}
    assert due["final-assessment"] == D(2029, 9, 6)
    assert tl.expected_end == D(2029, 9, 6)
    assert due["year-1-review"] == D(2028, 9, 6)  # a progress review, no decision
    assert check_record(record, REGISTRY, TODAY) == []


def test_ecdp_milestones_are_baselines() -> None:
    stage = ECDP.stage("ecdp")
    assert stage is not None
    assert [(m.id, m.months, m.optional) for m in stage.milestones] == [
        ("agreement", 1, False),
        ("review-3m", 3, False),
        ("review-6m", 6, False),
        ("review-9m", 9, True),
        ("year-1-review", 12, False),
        ("review-15m", 15, False),
        ("review-18m", 18, False),
        ("review-21m", 21, True),
        ("final-assessment", 24, False),
        ("moderation", None, False),
    ]
    # Only the final assessment is a fact (FACTS.md 6); the rest are choices.
    assert [m.id for m in stage.milestones if m.verified] == ["final-assessment"]
    assert (stage.services, stage.follows, stage.aliases) == (
        ("children",),
        ("qualification",),
        ("SWIP", "ECDP"),
    )
    assert ECDP.stage("SWIP") is stage
    assert ECDP.stage("ECDP") is stage


def test_ecdp_2027_repeats_the_asye_and_expert_milestones_of_the_baseline_unchanged() -> None:
    for stage_id in ("asye", "expert"):
        mine, base = ECDP.stage(stage_id), BASE.stage(stage_id)
        assert mine is not None
        assert base is not None
        assert mine.milestones == base.milestones
        assert (mine.title, mine.services, mine.status) == (base.title, base.services, base.status)


def test_stage_status_follows_and_verified_flags_as_baseline_md_and_facts_md_say() -> None:
    status = {s.id: s.status for s in ECDP.stages}
    assert status == {
        "asye": "current",
        "ecf-1": "superseded",
        "ecf-2": "superseded",  # BASELINE.md: open "as ecf-1"
        "expert": "superseded",
        "ecdp": "current",
    }
    assert {s.id: s.status for s in BASE.stages} == {k: v for k, v in status.items() if k != "ecdp"}
    verified = {s.id: s.verified for s in ECDP.stages}
    assert verified["ecdp"] is True  # FACTS.md 6 [C]
    assert verified["expert"] is False  # dropped in March 2025 (FACTS.md 6)
    assert verified["ecf-1"] is True  # tested by the early adopters (FACTS.md 3 [C])
    assert ECDP.next_stages("ecdp") == ("expert",)
    assert set(ECDP.next_stages("asye")) == {"ecf-2", "expert"}
    assert ECDP.next_stages("ecf-1") == ("ecf-2",)  # a pass or `progressed`: no year-1 gate
    assert ECDP.outcome("progressed") is not None
    assert ECDP.outcome("progressed").opens  # type: ignore[union-attr]


# --- which version a new enrolment pins ------------------------------------------------------


def test_a_new_enrolment_pins_the_version_in_force_on_its_start() -> None:
    assert REGISTRY.for_start(D(2027, 8, 31)).version == "baseline-2026"
    assert REGISTRY.for_start(D(2027, 9, 1)).version == "ecdp-2027"
    assert started("asye", D(2027, 8, 31)).enrolments[0].framework == "baseline-2026"
    adults = started("asye", D(2027, 9, 1), service="adults")
    assert adults.enrolments[0].framework == "ecdp-2027"
    assert check_record(adults, REGISTRY, TODAY) == []


def test_a_framework_file_given_by_path_is_used_for_every_new_enrolment(tmp_path: Path) -> None:
    path = tmp_path / "council.toml"
    path.write_text(
        'version = "council-2027"\ntitle = "C"\nextends = "ecdp-2027"\n', encoding="utf-8"
    )
    registry = FrameworkRegistry.default()
    registry.add_file(path)
    assert registry.for_start(D(2026, 9, 1)).version == "council-2027"
    assert registry.for_start(D(2027, 9, 1)).version == "council-2027"


# --- the child and family ASYE closes, the ECDP opens -----------------------------------------


def test_a_child_and_family_asye_starting_2027_09_01_is_refused_naming_ecdp() -> None:
    with pytest.raises(TransitionError) as caught:
        started("asye", D(2027, 9, 1))
    (problem,) = caught.value.problems
    assert problem.path == "stage"
    assert "'ecdp' replaces it" in problem.message
    assert "2027-08-31" in problem.message


def test_an_ecdp_before_2027_09_01_is_refused_saying_from_when() -> None:
    with pytest.raises(TransitionError, match=r"'ecdp' starts with ecdp-2027, .* 2027-09-01"):
        started("ecdp", D(2027, 8, 31))


def test_an_adults_ecdp_is_refused() -> None:
    record = started("ecdp", D(2027, 9, 6), service="adults")  # made; validation refuses it
    problems = check_record(record, REGISTRY, TODAY)
    assert [str(p) for p in problems] == [
        "enrolments[0].stage: is not open to the 'adults' service (got 'ecdp')"
    ]


@given(st.dates(D(2026, 1, 1), D(2029, 12, 31)))
def test_on_any_start_date_exactly_one_of_asye_and_ecdp_takes_a_child_and_family_stage(
    start: D,
) -> None:
    fw = REGISTRY.for_start(start)
    takes = {
        stage_id: (found := fw.stage(stage_id)) is not None
        and closed_to(found, "children", start) is None
        for stage_id in ("asye", "ecdp")
    }
    assert sum(takes.values()) == 1
    assert takes["ecdp"] == (start >= D(2027, 9, 1))
    adults = fw.stage("asye")
    assert adults is not None
    assert closed_to(adults, "adults", start) is None  # the adults' ASYE is unaffected


def test_a_hand_written_child_and_family_asye_under_ecdp_2027_is_invalid() -> None:
    record = Record(
        schema_version=3,
        id="r1",
        name="Alex Example",
        qualified=D(2026, 7, 1),
        service="children",
        enrolments=(Enrolment("asye", D(2027, 9, 1), "ecdp-2027"),),
    )
    problems = check_record(record, REGISTRY, TODAY)
    assert len(problems) == 1
    assert problems[0].path == "enrolments[0].start"
    assert "'ecdp' replaces it" in problems[0].message


def test_an_ecdp_passed_leads_to_expert_with_a_superseded_warning() -> None:
    record = started("ecdp", D(2027, 9, 6))
    passed = record.changed(ENTRY, decisions=(Decision("ecdp", "pass", D(2029, 9, 20), "Panel"),))
    moved = advance(passed, "expert", D(2029, 10, 1), REGISTRY, ENTRY)
    assert moved.enrolments[-1] == Enrolment("expert", D(2029, 10, 1), "ecdp-2027")
    assert check_record(moved, REGISTRY, TODAY) == []
    warning = superseded(ECDP, "expert")
    assert warning is not None
    assert "superseded" in warning.message
    assert superseded(ECDP, "ecdp") is None
    assert superseded(ECDP, "asye") is None


# --- the CLI, as a person uses it ----------------------------------------------------------


def test_cli_new_ecdp_works_and_status_shows_the_final_assessment(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    result = new(path, "ecdp", "2027-09-06", "--council", "E09000030")
    assert result.exit_code == 0, result.output
    assert result.output == f"r1: created {path} in ecdp from 2027-09-06\n"
    assert tomli.loads(path.read_text(encoding="utf-8"))["enrolments"] == [
        {"stage": "ecdp", "start": D(2027, 9, 6), "framework": "ecdp-2027"}
    ]
    status = run("status", path, "--json", "--as-of", "2027-10-01")
    assert status.exit_code == 0, status.output
    data = json.loads(status.output)
    assert data["expected_end"] == "2029-09-06"
    assert {m["id"]: m["due"] for m in data["milestones"]}["final-assessment"] == "2029-09-06"
    # The alias works too (FACTS.md 3: the programme was called SWIP in 2025).
    alias = new(tmp_path / "s.toml", "SWIP", "2027-09-06")
    assert alias.exit_code == 0, alias.output


def test_cli_child_and_family_asye_from_2027_09_01_is_refused_and_adults_accepted(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.toml"
    refused = new(path, "asye", "2027-09-01")
    assert refused.exit_code == 2
    assert refused.output == (
        f"error: {path}: stage: 'asye' for children is open to stages starting on or before "
        "2027-08-31: 'ecdp' replaces it (use stage 'ecdp') (got 'asye')\n"
    )
    assert not path.exists()
    adults = new(path, "asye", "2027-09-01", "--service", "adults")
    assert adults.exit_code == 0, adults.output
    assert "warning" not in adults.output


def test_cli_a_new_ecf_1_enrolment_is_warned_it_is_superseded_never_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "e.toml"
    result = new(path, "ecf-1", "2026-09-01")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"r1: created {path} in ecf-1 from 2026-09-01",
        (
            f"warning: {path}: enrolments[0].stage: 'ecf-1' (Early Career Framework, year 1) is "
            "superseded in baseline-2026: it stays open for records and local programmes, but is "
            "no longer a national stage (got 'ecf-1')"
        ),
    ]
    assert path.exists()
    plain = new(tmp_path / "a.toml", "asye", "2026-09-01")
    assert plain.output == f"r1: created {tmp_path / 'a.toml'} in asye from 2026-09-01\n"


# --- standards with dates --------------------------------------------------------------------


def test_standard_sets_carry_their_in_force_dates() -> None:
    kss, ecs = BASE.standard_set("kss-cf"), BASE.standard_set("ecs-cf")
    assert kss is not None
    assert ecs is not None
    assert (kss.in_force_from, kss.in_force_until) == (None, D(2027, 3, 31))
    assert (ecs.in_force_from, ecs.in_force_until, ecs.succeeds) == (D(2027, 4, 1), None, "kss-cf")
    assert ecs.ids() == tuple(f"ecs-cf:{n}" for n in range(1, 7))
    assert not any(s.verified for s in ecs.standards)  # the 2025 draft's domains
    assert ecs.services == ("children",)
    assert ECDP.standard_set("ecs-cf") == ecs
    assert kss.in_force_on(D(2027, 3, 31))
    assert not kss.in_force_on(D(2027, 4, 1))
    assert not ecs.in_force_on(D(2027, 3, 31))


def test_a_sub_standard_id_stays_possible() -> None:
    data = tomli.loads((DATA / "baseline-2026.toml").read_text(encoding="utf-8"))
    ecs = next(s for s in data["standard_sets"] if s["id"] == "ecs-cf")
    ecs["standards"].append({"id": "3.2", "title": "A sub-standard", "verified": False})
    fw = load_framework_data(data, file="x.toml")
    assert "ecs-cf:3.2" in fw.standard_ids()
    assert sorted(["ecs-cf:3.2", "ecs-cf:10", "ecs-cf:3"], key=natural_key) == [
        "ecs-cf:3",
        "ecs-cf:3.2",
        "ecs-cf:10",
    ]


def asye_record(*evidence: Evidence, start: D = SPANNING, service: str = "children") -> Record:
    return Record(
        schema_version=3,
        id="r1",
        name="Alex Example",
        qualified=D(2026, 7, 1),
        service=service,  # type: ignore[arg-type]
        enrolments=(Enrolment("asye", start, "baseline-2026"),),
        evidence=evidence,
    )


def ev(n: int, date: D, *standards: str) -> Evidence:
    return Evidence(f"ev-{n:03d}", "direct-observation", date, standards)


def test_kss_cf_evidence_dated_2027_05_01_is_a_warning_never_a_refusal() -> None:
    record = asye_record(ev(1, D(2027, 3, 31), "kss-cf:1"), ev(2, D(2027, 5, 1), "kss-cf:6"))
    assert check_record(record, REGISTRY, TODAY) == []  # valid: kept
    warnings = evidence_warnings(record, REGISTRY)
    assert [str(w) for w in warnings] == [
        (
            "evidence[1].standards[0]: 'kss-cf' is in force until 2027-03-31, not on 2027-05-01: "
            "kept, but check the standards in force then (got 'kss-cf:6')"
        )
    ]


def test_ecs_cf_evidence_before_2027_04_01_and_kss_cf_on_an_adults_record_warn() -> None:
    early = asye_record(ev(1, D(2027, 3, 1), "ecs-cf:2", "pcf:1"))
    [warning] = evidence_warnings(early, REGISTRY)
    assert warning.path == "evidence[0].standards[0]"
    assert "'ecs-cf' is in force from 2027-04-01, not on 2027-03-01" in warning.message
    adults = asye_record(ev(1, D(2026, 11, 1), "kss-cf:1", "kss-adults:5"), service="adults")
    [other] = evidence_warnings(adults, REGISTRY)
    assert other.path == "evidence[0].standards[0]"
    assert "'kss-cf' is a standard set for children services, not adults" in other.message


def test_cli_add_evidence_warns_and_keeps_it_and_validate_warns_with_exit_0(
    tmp_path: Path,
) -> None:
    path = tmp_path / "r.toml"
    assert new(path, "asye", "2026-09-01").exit_code == 0
    text = path.read_text(encoding="utf-8")
    # Today is the CLI's real date: write the later evidence by hand as a dated record would.
    result = run(
        "add", "evidence", path, "--kind", "direct-observation", "--date", "2026-09-10",
        "--standard", "ecs-cf:1", "--standard", "pcf:1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "ev-001",
        (
            f"warning: {path}: evidence[0].standards[0]: 'ecs-cf' is in force from 2027-04-01, "
            "not on 2026-09-10: kept, but check the standards in force then (got 'ecs-cf:1')"
        ),
    ]
    assert path.read_text(encoding="utf-8") != text  # kept
    checked = run("validate", path)
    assert checked.exit_code == 0
    assert checked.output.splitlines() == [
        (
            f"warning: {path}: evidence[0].standards[0]: 'ecs-cf' is in force from 2027-04-01, "
            "not on 2026-09-10: kept, but check the standards in force then (got 'ecs-cf:1')"
        ),
        f"{path}: ok (r1)",
    ]


COVER = {"id": "cover", "kind": "coverage", "sets": ["kss-cf", "kss-adults"]}
KSS = [f"kss-cf:{n}" for n in range(1, 11)]
ECS = [f"ecs-cf:{n}" for n in range(1, 7)]


def cover(record: Record, as_of: D, table: dict[str, Any] = COVER) -> Any:
    data = {"version": "t-1", "framework": "baseline-2026", "rules": [table]}
    rules = load_rules_data(data, BASE, file="t.toml")
    [finding] = evaluate(rules, context_for(record, REGISTRY, as_of), "tester")
    return finding


def test_coverage_across_the_change_accepts_either_set() -> None:
    # An ASYE from 2026-10-01 to 2027-10-01 spans 2027-04-01: the KSS or the new standards.
    old = asye_record(*(ev(n, D(2026, 11, n), s) for n, s in enumerate(KSS, 1)))
    met_old = cover(old, D(2027, 1, 1))
    assert met_old.status == "met"
    assert met_old.message.startswith("10 of 10 standards of kss-cf (or ecs-cf: 0 of 6) ")
    new_only = asye_record(*(ev(n, D(2027, 5, n), s) for n, s in enumerate(ECS, 1)))
    met_new = cover(new_only, D(2027, 6, 1))
    assert met_new.status == "met"
    assert met_new.message.startswith("6 of 6 standards of ecs-cf (or kss-cf: 0 of 10) ")
    assert met_new.standards == tuple(ECS)
    mixed = asye_record(ev(1, D(2026, 11, 1), *KSS[:9]), ev(2, D(2027, 5, 1), *ECS[:5]))
    partly = cover(mixed, D(2027, 6, 1))
    assert partly.status == "pending"
    assert partly.message.startswith("9 of 10 standards of kss-cf (or ecs-cf: 5 of 6) ")
    assert partly.message.endswith("not yet: kss-cf:10")


def test_coverage_of_a_stage_before_the_change_asks_for_the_kss_only() -> None:
    start = D(2025, 9, 1)  # ends 2026-09-01: the new standards are not in force yet
    record = asye_record(*(ev(n, D(2025, 10, n), s) for n, s in enumerate(ECS, 1)), start=start)
    finding = cover(record, D(2026, 1, 1))
    assert finding.status == "pending"
    assert finding.message.startswith("0 of 10 standards of kss-cf evidenced")
    assert finding.standards == ()  # only the standards it found


def test_the_coverage_finding_lists_the_standards_found_in_natural_order() -> None:
    record = asye_record(ev(1, D(2026, 11, 1), "kss-cf:10", "kss-cf:2", "pcf:1"))
    assert cover(record, D(2027, 1, 1)).standards == ("kss-cf:2", "kss-cf:10")


def test_an_ecdp_is_covered_by_the_early_career_standards() -> None:
    record = started("ecdp", D(2027, 9, 6))
    complete = record.changed(
        ENTRY, evidence=tuple(ev(n, D(2027, 10, n), s) for n, s in enumerate(ECS, 1))
    )
    found = {f.rule: f for f in assess(complete, REGISTRY, D(2027, 11, 1)).findings}
    coverage = found["ecdp-standards-coverage"]
    assert coverage.status == "met"
    assert coverage.message.startswith("6 of 6 standards of ecs-cf evidenced")
    assert coverage.version == "ecdp-2027.1"


# --- the ECDP's baseline rules (BASELINE.md: counts doubled, reflections every 6 months) --------


def ecdp_evidence(start: D) -> tuple[Evidence, ...]:
    """Everything the ECDP's baseline rules ask, full time from ``start``."""
    items: list[tuple[str, D, tuple[str, ...]]] = []
    for i, kind in enumerate(
        ("direct-observation", "feedback-person", "feedback-professional", "written-report")
    ):
        items += [(kind, add_months(start, 3 * k + 1) + dt.timedelta(days=i), ()) for k in range(6)]
    items += [
        ("critical-reflection", add_months(start, months), ("pcf:6",)) for months in (6, 12, 18, 24)
    ]
    items += [
        ("self-assessment", add_months(start, months) + dt.timedelta(days=3), ())
        for months in (0, 12, 23)
    ]
    items += [("written-report", add_months(start, 2), tuple(ECS))]
    ordered = sorted(items, key=lambda item: item[1])
    return tuple(
        Evidence(f"ev-{n:03d}", kind, day, stds) for n, (kind, day, stds) in enumerate(ordered, 1)
    )


def test_the_ecdp_rules_double_the_counts_over_two_years() -> None:
    start = D(2027, 9, 6)
    record = started("ecdp", start)
    done = record.changed(ENTRY, evidence=ecdp_evidence(start))
    end = D(2029, 9, 6)
    found = {f.rule: f for f in assess(done, REGISTRY, end).findings}
    practitioner = {r: f.status for r, f in found.items() if f.category == "practitioner"}
    assert practitioner == {
        "ecdp-direct-observations": "met",
        "ecdp-feedback-people": "met",
        "ecdp-feedback-professionals": "met",
        "ecdp-written-reports": "met",
        "ecdp-critical-reflections": "met",
        "ecdp-self-assessments": "met",
        "ecdp-standards-coverage": "met",
    } | {r: "not-applicable" for r in practitioner if not r.startswith("ecdp-")}
    assert found["ecdp-direct-observations"].message.startswith("6 of 6 direct observations")
    assert found["ecdp-critical-reflections"].message == (
        "critical reflections at or after 4 of 4 milestones"
    )
    assert found["ecdp-supervision"].category == "support"
    # One observation fewer: 5 of 6, missed at the end.
    fewer = done.changed(
        ENTRY,
        evidence=tuple(
            e
            for e in done.evidence
            if e.id != next(x.id for x in done.evidence if x.kind == "direct-observation")
        ),
    )
    after = {f.rule: f for f in assess(fewer, REGISTRY, end + dt.timedelta(days=1)).findings}
    assert after["ecdp-direct-observations"].status == "missed"


def test_the_ecdp_rules_are_left_out_for_an_asye_under_the_2026_baseline() -> None:
    record = asye_record()
    findings = assess(record, REGISTRY, D(2026, 12, 1)).findings
    assert [f.message for f in findings if f.status == "error"] == []  # the ECDP file loads
    rules = {f.rule for f in findings}
    assert not any(r.startswith("ecdp-") for r in rules)
    assert "pqs-coverage" in rules


# --- bad framework data: exit 2 naming the file, the entry and the field ---------------------


def base_data() -> dict[str, Any]:
    return tomli.loads((DATA / "baseline-2026.toml").read_text(encoding="utf-8"))


def test_a_stage_opening_after_it_closes_is_refused_naming_the_entry_and_field() -> None:
    data = base_data()
    data["stages"][0]["openings"] = [{"open_from": D(2027, 9, 1), "open_until": D(2027, 8, 31)}]
    with pytest.raises(FrameworkError) as caught:
        load_framework_data(data, file="bad.toml")
    assert [str(p) for p in caught.value.problems] == [
        (
            "bad.toml: stages[0].openings[0].open_from: opens after it closes "
            "(open_until 2027-08-31) (got 2027-09-01)"
        )
    ]


def test_an_opening_replaced_by_an_unknown_stage_is_refused() -> None:
    data = base_data()
    data["stages"][0]["openings"] = [{"open_until": D(2027, 8, 31), "replaced_by": "swip"}]
    with pytest.raises(FrameworkError, match=r"stages\[0\]\.openings\[0\]\.replaced_by: unknown"):
        load_framework_data(data, file="bad.toml")


OVERLAP = (
    "bad.toml: standard_sets[1].in_force_from: overlaps the set it succeeds: 'kss-cf' is in force "
    "until 2027-03-31; a successor comes into force after its predecessor's last day"
)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"in_force_from": D(2027, 3, 31)},
            (f"{OVERLAP} (got 2027-03-31)"),
        ),
        (
            {"in_force_from": None},
            (OVERLAP),
        ),
        (
            {"succeeds": "kss-old"},
            (
                "bad.toml: standard_sets[1].succeeds: unknown standard set (known: kss-cf, "
                "kss-adults, pcf, swe) (got 'kss-old')"
            ),
        ),
        (
            {"in_force_until": D(2027, 1, 1)},
            (
                "bad.toml: standard_sets[1].in_force_from: comes into force after it ends "
                "(in_force_until 2027-01-01) (got 2027-04-01)"
            ),
        ),
    ],
)
def test_standard_set_dates_that_overlap_their_successor_wrongly_are_refused(
    change: dict[str, Any], message: str
) -> None:
    data = base_data()
    ecs = data["standard_sets"][1]
    assert ecs["id"] == "ecs-cf"
    for key, value in change.items():
        if value is None:
            ecs.pop(key)
        else:
            ecs[key] = value
    with pytest.raises(FrameworkError) as caught:
        load_framework_data(data, file="bad.toml")
    assert [str(p) for p in caught.value.problems] == [message]


def test_a_predecessor_without_an_end_is_an_overlap() -> None:
    data = base_data()
    data["standard_sets"][0].pop("in_force_until")
    with pytest.raises(
        FrameworkError, match=r"standard_sets\[1\]\.in_force_from: overlaps .* never"
    ):
        load_framework_data(data, file="bad.toml")


def test_cli_bad_framework_dates_exit_2_naming_file_entry_and_field(tmp_path: Path) -> None:
    text = (DATA / "baseline-2026.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(
        text.replace('version = "baseline-2026"', 'version = "bad-2027"').replace(
            "in_force_from = 2027-04-01", "in_force_from = 2027-03-01"
        ),
        encoding="utf-8",
    )
    result = run("--framework", bad, "frameworks")
    assert result.exit_code == 2
    assert result.output.startswith(
        f"error: {bad}: standard_sets[1].in_force_from: overlaps the set it succeeds"
    )
    assert "Traceback" not in result.output


# --- ecf frameworks ----------------------------------------------------------------------------


def test_cli_frameworks_json_lists_versions_stages_status_and_openings() -> None:
    result = run("frameworks", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["schema"] == "frameworks/1"
    assert data["current"] == "baseline-2026"
    versions = {v["version"]: v for v in data["versions"]}
    assert versions["ecdp-2027"]["in_force_from"] == "2027-09-01"
    assert versions["ecdp-2027"]["extends"] == "baseline-2026"
    stages = {s["id"]: s for s in versions["ecdp-2027"]["stages"]}
    assert stages["ecdp"]["status"] == "current"
    assert stages["ecdp"]["openings"][0]["open_from"] == "2027-09-01"
    assert stages["asye"]["openings"][0] == {
        "services": ["children"],
        "open_from": None,
        "open_until": "2027-08-31",
        "replaced_by": "ecdp",
        "verified": True,
        "source": stages["asye"]["openings"][0]["source"],
    }
    assert stages["ecf-1"]["status"] == "superseded"


def test_cli_frameworks_one_version_in_text_and_json() -> None:
    lines = run("frameworks", "--framework-version", "ecdp-2027").output.splitlines()
    assert "ecdp: Early Career Development Programme (follows qualification)" in lines
    assert "  status: current; open to children starting on or after 2027-09-01" in lines
    assert "  final-assessment: Final assessment (end of year 2), 24 months" in lines
    data = json.loads(run("frameworks", "--framework-version", "ecdp-2027", "--json").output)
    assert data["schema"] == "framework/1"
    ecdp = next(s for s in data["version"]["stages"] if s["id"] == "ecdp")
    assert ecdp["milestones"][-2]["months"] == 24
    # --version is ecf's own (the package version), no longer a framework version.
    assert run("frameworks", "--version", "ecdp-2027").exit_code == 2


def test_cli_frameworks_standards_lists_sets_ids_titles_and_dates() -> None:
    lines = run("frameworks", "--standards").output.splitlines()
    assert lines[0].startswith("kss-cf: Post-qualifying standards")
    assert lines[0].endswith("(children; until 2027-03-31)")
    assert "  kss-cf:1: Relationships and effective direct work" in lines
    assert (
        "ecs-cf: Child and family social worker early career standards (2026) "
        "(children; from 2027-04-01; succeeds kss-cf; unverified)"
    ) in lines
    assert "  ecs-cf:3: Assessment and planning (unverified)" in lines
    data = json.loads(run("frameworks", "--standards", "--json").output)
    assert (data["schema"], data["version"]) == ("framework-lists/1", "baseline-2026")
    sets = {s["id"]: s for s in data["standard_sets"]}
    assert (sets["ecs-cf"]["in_force_from"], sets["kss-cf"]["in_force_until"]) == (
        "2027-04-01",
        "2027-03-31",
    )
    assert sets["ecs-cf"]["standards"][0]["id"] == "ecs-cf:1"
    assert "evidence_kinds" not in data


def test_cli_frameworks_evidence_kinds_lists_evidence_and_absence_kinds_with_flags() -> None:
    lines = run("frameworks", "--evidence-kinds").output.splitlines()
    assert lines[0] == "evidence kinds:"
    assert "  direct-observation: Direct observation of practice" in lines
    assert "absence kinds:" in lines
    assert "  unpaid: Unpaid leave (pauses the clock; not service) (unverified)" in lines
    assert "  annual-leave: Annual leave (never pauses; counts as service) (unverified)" in lines
    data = json.loads(run("frameworks", "--evidence-kinds", "--json").output)
    assert data["schema"] == "framework-lists/1"
    kinds = {k["id"]: k for k in data["absence_kinds"]}
    assert (kinds["parental"]["pauses"], kinds["parental"]["counts_as_service"]) == (True, True)
    assert len(data["evidence_kinds"]) == 11
    unknown = run("frameworks", "--standards", "--framework-version", "nope")
    assert unknown.exit_code == 2
