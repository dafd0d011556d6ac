"""Workforce figures: agency eligibility under both rule sets, Social Work England CPD readiness,
registration years, retention, and ``ecf workforce`` end to end.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from ecf._convert import to_json
from ecf.cli import main
from ecf.framework import FrameworkRegistry
from ecf.records import Absence, Decision, Enrolment, Evidence, Leaving, Record
from ecf.store import render
from ecf.validation import check_record
from ecf.workforce import agency_eligibility, cpd_readiness, registration_year, retention

if TYPE_CHECKING:
    from pathlib import Path

REGISTRY = FrameworkRegistry.default()
FW = "baseline-2026"
TODAY = dt.date(2026, 11, 24)
START = dt.date(2022, 9, 1)
#: START + 3 years: the statutory-2024 date, full time and without pauses.
THREE_YEARS = dt.date(2025, 9, 1)


def record(
    record_id: str = "r1",
    *,
    qualified: dt.date = dt.date(2022, 6, 1),
    service: str = "children",
    enrolments: tuple[tuple[str, dt.date], ...] = (("asye", START),),
    absences: tuple[tuple[str, dt.date, dt.date], ...] = (),
    decisions: tuple[tuple[str, str, dt.date], ...] = (),
    evidence: tuple[Evidence, ...] = (),
    left: Leaving | None = None,
) -> Record:
    made = Record(
        schema_version=1,
        id=record_id,
        name=f"Person {record_id}",
        qualified=qualified,
        service=service,  # type: ignore[arg-type]
        council="E09000030",
        enrolments=tuple(Enrolment(stage, start, FW) for stage, start in enrolments),
        absences=tuple(Absence(kind, first, last) for kind, first, last in absences),
        decisions=tuple(
            Decision(stage, outcome, day, "Panel chair")  # type: ignore[arg-type]
            for stage, outcome, day in decisions
        ),
        evidence=evidence,
        left=left,
    )
    assert check_record(made, REGISTRY, TODAY) == [], made
    return made


def days(first: dt.date, last: dt.date) -> int:
    """Calendar days from first to last, both inclusive."""
    return (last - first).days + 1


# --- agency eligibility: statutory-2024 -----------------------------------------------------


def test_statutory_eligible_exactly_three_years_after_the_first_start() -> None:
    plain = record()
    before = agency_eligibility(plain, REGISTRY, THREE_YEARS - dt.timedelta(days=1))
    on = agency_eligibility(plain, REGISTRY, THREE_YEARS)
    assert (before.eligible, before.from_date) == (False, THREE_YEARS)
    assert before.experience_days == days(START, dt.date(2025, 8, 31)) == 1096
    assert before.reason == ("3 years' experience needed; 1096 days so far, reached on 2025-09-01")
    assert (on.eligible, on.from_date, on.rules) == (True, THREE_YEARS, "statutory-2024")
    assert on.reason == "3 years' post-qualifying experience reached on 2025-09-01"
    assert to_json(on) == {
        "id": "r1",
        "rules": "statutory-2024",
        "eligible": True,
        "from": "2025-09-01",
        "experience_days": 1097,
        "reason": "3 years' post-qualifying experience reached on 2025-09-01",
    }


def test_statutory_counts_from_the_first_stage_across_later_stages() -> None:
    moved_on = record(
        enrolments=(("asye", START), ("ecf-2", dt.date(2023, 9, 15))),
        decisions=(("asye", "pass", dt.date(2023, 9, 10)),),
    )
    assert agency_eligibility(moved_on, REGISTRY, THREE_YEARS).eligible is True
    assert agency_eligibility(moved_on, REGISTRY, THREE_YEARS).from_date == THREE_YEARS


def test_a_career_break_moves_the_date_by_its_length() -> None:
    career_break = ("career-break", dt.date(2023, 3, 1), dt.date(2023, 4, 29))
    assert days(career_break[1], career_break[2]) == 60
    paused = record(absences=(career_break,))
    later = THREE_YEARS + dt.timedelta(days=60)
    assert later == dt.date(2025, 10, 31)
    assert agency_eligibility(paused, REGISTRY, later - dt.timedelta(days=1)).eligible is False
    on = agency_eligibility(paused, REGISTRY, later)
    assert (on.eligible, on.from_date) == (True, later)
    assert on.experience_days == days(START, later) - 60


@pytest.mark.parametrize(
    ("absence", "shift"),
    [
        (("annual-leave", dt.date(2023, 3, 1), dt.date(2023, 4, 29)), 0),
        (("training", dt.date(2023, 3, 1), dt.date(2023, 4, 29)), 0),
        # Statutory leave within employment counts as experience, however long (it pauses the
        # clock of due dates all the same: the two flags are separate).
        (("sickness", dt.date(2023, 3, 1), dt.date(2023, 3, 28)), 0),
        (("parental", dt.date(2023, 3, 1), dt.date(2023, 4, 29)), 0),
        (("bereavement", dt.date(2023, 3, 1), dt.date(2023, 4, 29)), 0),
        (("other", dt.date(2023, 3, 1), dt.date(2023, 4, 29)), 0),
        # Unpaid leave and career breaks do not count, whatever their length.
        (("unpaid", dt.date(2023, 3, 1), dt.date(2023, 3, 3)), 3),
        (("unpaid", dt.date(2023, 3, 1), dt.date(2023, 3, 28)), 28),
        # A spell that holds the original date moves it by its whole length too.
        (("career-break", dt.date(2025, 8, 1), dt.date(2025, 9, 29)), 60),
        # A spell after the date changes nothing.
        (("career-break", dt.date(2025, 9, 1), dt.date(2025, 10, 30)), 0),
    ],
)
def test_only_absences_that_do_not_count_as_service_move_the_date(
    absence: tuple[str, dt.date, dt.date], shift: int
) -> None:
    result = agency_eligibility(record(absences=(absence,)), REGISTRY, dt.date(2026, 6, 1))
    assert result.from_date == THREE_YEARS + dt.timedelta(days=shift)


def test_a_second_spell_reached_only_after_the_first_moved_the_date_counts_too() -> None:
    first = ("career-break", dt.date(2023, 3, 1), dt.date(2023, 4, 29))  # 60 days: to 2025-10-31
    second = ("unpaid", dt.date(2025, 10, 15), dt.date(2025, 11, 13))  # 30 more days
    result = agency_eligibility(record(absences=(first, second)), REGISTRY, dt.date(2026, 6, 1))
    assert result.from_date == THREE_YEARS + dt.timedelta(days=90)


def test_not_eligible_after_leaving_before_three_years() -> None:
    left = Leaving(dt.date(2025, 6, 30), "resigned")
    gone = record(left=left)
    result = agency_eligibility(gone, REGISTRY, dt.date(2026, 6, 1))
    assert (result.eligible, result.from_date) == (False, None)
    assert result.experience_days == days(START, left.date)
    assert result.reason.endswith("not reachable after leaving")


@pytest.mark.parametrize(
    ("last_day", "eligible"),
    [
        (dt.date(2025, 8, 30), False),
        (dt.date(2025, 8, 31), True),  # the last day of the third year was worked
        (dt.date(2025, 10, 15), True),
    ],
)
def test_leaving_around_the_third_year(last_day: dt.date, eligible: bool) -> None:
    gone = record(left=Leaving(last_day, "resigned"))
    result = agency_eligibility(gone, REGISTRY, dt.date(2026, 6, 1))
    assert result.eligible is eligible
    assert result.from_date == (THREE_YEARS if eligible else None)


@pytest.mark.parametrize("rules", ["statutory-2024", "consultation-2023"])
def test_the_agency_rules_do_not_apply_to_adults(rules: str) -> None:
    adults = record(service="adults")
    result = agency_eligibility(adults, REGISTRY, dt.date(2030, 1, 1), rules)  # type: ignore[arg-type]
    assert (result.eligible, result.from_date) == (None, None)
    assert result.reason == "the agency rules cover child and family work only"
    assert to_json(result)["eligible"] is None


# --- agency eligibility: consultation-2023 --------------------------------------------------

LATE_START = dt.date(2024, 5, 1)
FIVE_YEARS = dt.date(2029, 5, 1)


def graduate(qualified: dt.date = dt.date(2024, 4, 1), **changes: Any) -> Record:
    """A practitioner who qualified on or after 1 April 2024 and passed the ASYE."""
    base = record(
        qualified=qualified,
        enrolments=(("asye", LATE_START),),
        decisions=(("asye", "pass", dt.date(2025, 5, 20)),),
    )
    made = attrs.evolve(base, **changes)
    assert check_record(made, REGISTRY, TODAY) == [], made
    return made


def test_consultation_does_not_cover_those_qualified_before_april_2024() -> None:
    early = record(qualified=dt.date(2024, 3, 31), enrolments=(("asye", LATE_START),))
    result = agency_eligibility(early, REGISTRY, dt.date(2024, 6, 1), "consultation-2023")
    assert (result.eligible, result.from_date) == (True, None)
    assert result.reason == "qualified before 2024-04-01: not covered"
    assert result.rules == "consultation-2023"


def test_consultation_needs_five_years_and_a_passed_asye() -> None:
    late = graduate()
    before = agency_eligibility(
        late, REGISTRY, FIVE_YEARS - dt.timedelta(days=1), "consultation-2023"
    )
    on = agency_eligibility(late, REGISTRY, FIVE_YEARS, "consultation-2023")
    assert (before.eligible, before.from_date) == (False, FIVE_YEARS)
    assert before.reason == (
        f"needs 5 years' experience ({days(LATE_START, FIVE_YEARS) - 1} days so far)"
    )
    assert (on.eligible, on.from_date) == (True, FIVE_YEARS)
    assert on.reason == "5 years' experience and a completed ASYE"
    # The same person under the statutory rules: 3 years are enough.
    statutory = agency_eligibility(late, REGISTRY, dt.date(2027, 5, 1))
    assert (statutory.eligible, statutory.from_date) == (True, dt.date(2027, 5, 1))


ON = dt.date(2025, 5, 20)


@pytest.mark.parametrize(
    ("decisions", "eligible"),
    [
        ((), False),
        ((Decision("asye", "fail", ON, "Panel chair"),), False),
        ((Decision("asye", "extended", ON, "Panel chair", until=dt.date(2025, 11, 1)),), False),
        ((Decision("asye", "pass", ON, "Panel chair"),), True),
    ],
)
def test_consultation_needs_the_first_year_passed(
    decisions: tuple[Decision, ...], eligible: bool
) -> None:
    made = graduate(decisions=decisions)
    result = agency_eligibility(made, REGISTRY, dt.date(2030, 1, 1), "consultation-2023")
    assert result.eligible is eligible
    assert result.from_date == FIVE_YEARS
    if not eligible:
        assert result.reason == "needs a completed ASYE or ECF year 1"


def test_consultation_counts_a_pass_only_from_its_date() -> None:
    late = graduate()  # passed on 2025-05-20
    before = agency_eligibility(late, REGISTRY, dt.date(2025, 5, 19), "consultation-2023")
    after = agency_eligibility(late, REGISTRY, dt.date(2025, 5, 20), "consultation-2023")
    assert before.reason.startswith("needs a completed ASYE or ECF year 1 and 5 years'")
    assert after.reason.startswith("needs 5 years' experience")


def test_consultation_accepts_a_passed_ecf_year_1() -> None:
    made = record(
        qualified=dt.date(2024, 4, 1),
        enrolments=(("ecf-1", LATE_START),),
        decisions=(("ecf-1", "pass", dt.date(2025, 5, 20)),),
    )
    result = agency_eligibility(made, REGISTRY, FIVE_YEARS, "consultation-2023")
    assert result.eligible is True


def test_consultation_without_the_asye_and_the_years_names_both() -> None:
    made = graduate(decisions=())
    result = agency_eligibility(made, REGISTRY, dt.date(2026, 5, 1), "consultation-2023")
    assert result.eligible is False
    assert result.reason == (
        "needs a completed ASYE or ECF year 1 and 5 years' experience "
        f"({days(LATE_START, dt.date(2026, 5, 1))} days so far)"
    )


# --- registration years and CPD -------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (dt.date(2026, 11, 30), (dt.date(2025, 12, 1), dt.date(2026, 11, 30))),
        (dt.date(2026, 12, 1), (dt.date(2026, 12, 1), dt.date(2027, 11, 30))),
        (dt.date(2026, 12, 31), (dt.date(2026, 12, 1), dt.date(2027, 11, 30))),
        (dt.date(2027, 1, 1), (dt.date(2026, 12, 1), dt.date(2027, 11, 30))),
        (dt.date(2024, 2, 29), (dt.date(2023, 12, 1), dt.date(2024, 11, 30))),
    ],
)
def test_registration_year(day: dt.date, year: tuple[dt.date, dt.date]) -> None:
    assert registration_year(day) == year


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_every_day_lies_in_one_registration_year(day: dt.date) -> None:
    start, end = registration_year(day)
    assert start <= day <= end
    assert (start.month, start.day, end.month, end.day) == (12, 1, 11, 30)
    assert end.year == start.year + 1


def cpd(ev_id: str, day: dt.date, by: str | None = None, kind: str = "cpd") -> Evidence:
    return Evidence(ev_id, kind, day, ("pcf:1",), by=by)


CPD_EVIDENCE = (
    cpd("ev-001", dt.date(2025, 11, 30), "S. Khan"),  # the previous registration year
    cpd("ev-002", dt.date(2025, 12, 5), "S. Khan"),
    cpd("ev-003", dt.date(2026, 2, 1), "J. Patel", kind="training"),  # not CPD
    cpd("ev-004", dt.date(2026, 3, 10)),
    cpd("ev-005", dt.date(2026, 10, 1)),
)


def test_two_cpd_records_one_with_a_peer_are_ready() -> None:
    ready = cpd_readiness(record(evidence=CPD_EVIDENCE), dt.date(2026, 6, 1))
    assert (ready.year_start, ready.year_end) == (dt.date(2025, 12, 1), dt.date(2026, 11, 30))
    assert ready.records == ("ev-002", "ev-004")
    assert ready.peer_reflected == ("ev-002",)
    assert ready.ready is True
    assert ready.renewal_open is False
    assert ready.message == "2 CPD records in 2025-12-01 to 2026-11-30, 1 with a peer"
    assert to_json(ready)["records"] == ["ev-002", "ev-004"]


def test_renewal_opens_on_1_september() -> None:
    one = record(evidence=CPD_EVIDENCE[:2])
    assert cpd_readiness(one, dt.date(2026, 8, 31)).renewal_open is False
    opened = cpd_readiness(one, dt.date(2026, 9, 1))
    assert opened.renewal_open is True
    assert opened.ready is False
    assert opened.message == (
        "1 CPD records in 2025-12-01 to 2026-11-30, 1 with a peer; needs 1 more CPD record"
        "; renewal is open until 2026-11-30"
    )
    assert cpd_readiness(one, dt.date(2026, 11, 30)).renewal_open is True
    assert cpd_readiness(one, dt.date(2026, 12, 1)).renewal_open is False


def test_cpd_without_a_peer_is_not_ready() -> None:
    alone = record(
        evidence=(cpd("ev-001", dt.date(2026, 1, 5)), cpd("ev-002", dt.date(2026, 2, 5)))
    )
    result = cpd_readiness(alone, dt.date(2026, 6, 1))
    assert (result.ready, len(result.records), result.peer_reflected) == (False, 2, ())
    assert result.message.endswith("; needs one reflected on with a peer")


def test_no_cpd_at_all_and_a_new_year_starts_empty() -> None:
    nothing = cpd_readiness(record(), dt.date(2026, 6, 1))
    assert nothing.message == (
        "0 CPD records in 2025-12-01 to 2026-11-30, 0 with a peer; "
        "needs 2 more CPD records and one reflected on with a peer"
    )
    fresh = cpd_readiness(record(evidence=CPD_EVIDENCE), dt.date(2026, 12, 1))
    assert (fresh.records, fresh.ready) == ((), False)


def test_cpd_after_the_as_of_date_does_not_count_yet() -> None:
    result = cpd_readiness(record(evidence=CPD_EVIDENCE), dt.date(2026, 3, 9))
    assert result.records == ("ev-002",)
    assert result.ready is False


# --- retention ------------------------------------------------------------------------------


def cohort_with_leavers() -> list[Record]:
    return [
        record(
            "l1-asye",
            enrolments=(("asye", dt.date(2024, 9, 2)),),
            left=Leaving(dt.date(2025, 3, 31), "resigned"),
        ),
        record(
            "l2-ecf2",
            qualified=dt.date(2023, 6, 1),
            enrolments=(("asye", dt.date(2023, 9, 4)), ("ecf-2", dt.date(2024, 9, 16))),
            decisions=(("asye", "pass", dt.date(2024, 9, 10)),),
            left=Leaving(dt.date(2025, 6, 30), "moved council"),
        ),
        record(
            "l3-asye",
            enrolments=(("asye", dt.date(2025, 1, 6)),),
            left=Leaving(dt.date(2025, 10, 31), "resigned"),
        ),
        record("stays"),
        record("adult", service="adults"),
    ]


def test_retention_counts_leavers_by_stage_and_reason() -> None:
    kept = retention(cohort_with_leavers())
    assert (kept.total, kept.leavers) == (5, 3)
    assert kept.by_stage == {"asye": 2, "ecf-2": 1}
    assert kept.reasons == {"moved council": 1, "resigned": 2}
    assert to_json(kept) == {
        "total": 5,
        "leavers": 3,
        "by_stage": {"asye": 2, "ecf-2": 1},
        "reasons": {"moved council": 1, "resigned": 2},
        "transfers": 0,
    }


@pytest.mark.parametrize(
    ("since", "until", "leavers", "by_stage"),
    [
        (dt.date(2025, 4, 1), None, 2, {"asye": 1, "ecf-2": 1}),
        (None, dt.date(2025, 6, 30), 2, {"asye": 1, "ecf-2": 1}),
        (dt.date(2025, 6, 30), dt.date(2025, 6, 30), 1, {"ecf-2": 1}),
        (dt.date(2025, 3, 31), dt.date(2025, 3, 31), 1, {"asye": 1}),
        (dt.date(2025, 11, 1), None, 0, {}),
    ],
)
def test_retention_within_dates(
    since: dt.date | None, until: dt.date | None, leavers: int, by_stage: dict[str, int]
) -> None:
    kept = retention(cohort_with_leavers(), since, until)
    assert (kept.total, kept.leavers, kept.by_stage) == (5, leavers, by_stage)
    assert sum(kept.reasons.values()) == leavers


# --- ecf workforce --------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ECF_PSEUDONYM_KEY", raising=False)
    root = tmp_path / "records"
    root.mkdir()
    people = [
        record("eligible"),
        record("paused", absences=(("career-break", dt.date(2023, 3, 1), dt.date(2023, 4, 29)),)),
        record("adult", service="adults"),
        record("gone", left=Leaving(dt.date(2025, 3, 31), "resigned")),
        graduate(id="late", evidence=CPD_EVIDENCE[1:]),
    ]
    for person in people:
        (root / f"{person.id}.toml").write_text(render(person), encoding="utf-8")
    return root


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_workforce_text(folder: Path) -> None:
    result = run("workforce", str(folder), "--as-of", "2025-10-30")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "5 records as of 2025-10-30; agency rules statutory-2024"
    # The headline (issue 12, item 6): who is in post (4: "gone" left), of whom the agency
    # rules cover 3 ("adult" is not child and family work); CPD of those in post; leavers.
    assert lines[1:4] == [
        (
            "Agency eligible: 1 of 3 in post in child and family work (1 more not covered by the "
            "agency rules)"
        ),
        "CPD ready: 0 of 4 in post",
        "Leavers: 1 of 5 (by stage: asye 1)",
    ]
    lines = lines[3:]
    assert lines[1] == (
        "  adult: agency n/a (the agency rules cover child and family work only); CPD not ready"
    )
    assert lines[2] == (
        "  eligible: agency eligible (3 years' post-qualifying experience reached on 2025-09-01)"
        "; CPD not ready"
    )
    assert lines[3].startswith("  gone: agency not yet (3 years' experience needed; ")
    assert lines[3].endswith("not reachable after leaving); CPD not ready")
    assert lines[4].startswith("  late: agency not yet (")
    assert lines[5].startswith("  paused: agency not yet (")
    assert "reached on 2025-10-31" in lines[5]


def test_workforce_json(folder: Path) -> None:
    result = run("workforce", str(folder), "--as-of", "2026-06-01", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["as_of"], data["agency_rules"]) == ("2026-06-01", "statutory-2024")
    rows = {r["id"]: r for r in data["records"]}
    assert rows["eligible"]["agency_eligible"] is True
    assert rows["eligible"]["agency_from"] == "2025-09-01"
    assert rows["paused"]["agency_from"] == "2025-10-31"
    assert rows["adult"]["agency_eligible"] is None
    assert rows["gone"]["agency_eligible"] is False
    assert rows["gone"]["left"] == "2025-03-31"
    assert rows["late"]["agency_from"] == "2027-05-01"
    assert rows["late"]["cpd_ready"] is True
    assert rows["eligible"]["cpd_ready"] is False
    assert data["headline"] == {
        "total": 5,
        "in_post": 4,
        "agency_judged": 3,
        "agency_eligible": 2,
        "cpd_ready": 1,
        "leavers": 1,
        "leavers_by_stage": {"asye": 1},
    }
    assert data["retention"] == {
        "total": 5,
        "leavers": 1,
        "by_stage": {"asye": 1},
        "reasons": {"resigned": 1},
        "transfers": 0,
    }


def test_workforce_csv(folder: Path) -> None:
    result = run("workforce", str(folder), "--as-of", "2026-06-01", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    reader = csv.DictReader(io.StringIO(result.stdout, newline=""))
    assert reader.fieldnames == [
        "id",
        "council",
        "agency_eligible",
        "agency_from",
        "agency_reason",
        "cpd_ready",
        "cpd",
        "left",
    ]
    rows = {r["id"]: r for r in reader}
    assert set(rows) == {"adult", "eligible", "gone", "late", "paused"}
    assert (rows["eligible"]["agency_eligible"], rows["eligible"]["agency_from"]) == (
        "True",
        "2025-09-01",
    )
    assert rows["adult"]["agency_eligible"] == ""
    assert rows["gone"]["left"] == "2025-03-31"
    assert rows["late"]["cpd"] == "2 CPD records in 2025-12-01 to 2026-11-30, 1 with a peer"


def test_workforce_consultation_rules(folder: Path) -> None:
    result = run(
        "workforce",
        str(folder),
        "--as-of",
        "2027-06-01",
        "--rules",
        "consultation-2023",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["agency_rules"] == "consultation-2023"
    rows = {r["id"]: r for r in data["records"]}
    assert rows["eligible"]["agency_eligible"] is True
    assert rows["eligible"]["agency_reason"] == "qualified before 2024-04-01: not covered"
    assert rows["late"]["agency_eligible"] is False
    assert rows["late"]["agency_from"] == "2029-05-01"
    assert rows["late"]["agency_reason"].startswith("needs 5 years' experience")
    text = run("workforce", str(folder), "--as-of", "2027-06-01", "--rules", "consultation-2023")
    assert (
        text.stdout.splitlines()[0] == "5 records as of 2027-06-01; agency rules consultation-2023"
    )


def test_workforce_takes_the_rules_from_the_council_unless_told(
    folder: Path, tmp_path: Path
) -> None:
    council = tmp_path / "council.toml"
    council.write_text(
        'code = "E09000030"\nname = "Test"\n\n[settings]\nagency_rules = "consultation-2023"\n',
        encoding="utf-8",
    )
    by_council = run("workforce", str(folder), "--council", str(council), "--format", "json")
    assert by_council.exit_code == 0, by_council.stderr
    assert json.loads(by_council.stdout)["agency_rules"] == "consultation-2023"
    told = run(
        "workforce",
        str(folder),
        "--council",
        str(council),
        "--rules",
        "statutory-2024",
        "--format",
        "json",
    )
    assert json.loads(told.stdout)["agency_rules"] == "statutory-2024"


def test_workforce_exit_1_when_a_record_failed(folder: Path) -> None:
    (folder / "broken.toml").write_text("id = [\n", encoding="utf-8")
    result = run("workforce", str(folder), "--as-of", "2026-06-01", "--format", "json")
    assert result.exit_code == 1
    assert len(json.loads(result.stdout)["records"]) == 5
    errors = result.stderr.splitlines()
    assert len(errors) == 1
    assert errors[0].startswith(f"error: {folder / 'broken.toml'}: not valid TOML")
