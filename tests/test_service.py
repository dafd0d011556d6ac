"""What counts as service, and CPD per registration year (issue 10, items 2 and 3).

Examples from BASELINE.md "Other rules shipped":

* agency eligibility counts "statutory leave within employment (parental, sickness, bereavement,
  annual leave); unpaid leave and career breaks do not";
* "each absence kind says whether it pauses the clock and whether it counts as service: two
  separate flags";
* Social Work England CPD "per registration year (1 Dec - 30 Nov), at least 2 CPD records, one
  reflected on with a peer; a renewal reminder from 1 September; no CPD is due at the renewal
  of a registration year in which the practitioner first registered ... on or after
  1 September";
* the expert stage: "in each registration year 2 CPD records, one reflected on with a peer".
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecf.assessors import context_for
from ecf.cpd import cpd_year, registration_years
from ecf.errors import FrameworkError
from ecf.framework import CpdRules, FrameworkRegistry
from ecf.plugins.baseline import RULES
from ecf.privacy import neutral_absence_kind
from ecf.records import Absence, Enrolment, Evidence, Record
from ecf.rules import RuleSet, evaluate, load_rules, load_rules_data
from ecf.timeline import pauses
from ecf.workforce import agency_eligibility, cpd_readiness

if TYPE_CHECKING:
    from pathlib import Path

    from ecf.findings import Finding

D = dt.date
REGISTRY = FrameworkRegistry.default()
FW = REGISTRY.get("baseline-2026")
START = D(2022, 9, 1)
THREE_YEARS = D(2025, 9, 1)


def person(
    *,
    stage: str = "asye",
    start: dt.date = START,
    absences: tuple[Absence, ...] = (),
    evidence: tuple[Evidence, ...] = (),
    registered: dt.date | None = None,
    began: dt.date | None = None,
) -> Record:
    return Record(
        schema_version=1,
        id="r1",
        name="Alex Example",
        qualified=D(2022, 6, 1),
        service="children",
        enrolments=(Enrolment(stage, start, "baseline-2026"),),
        absences=absences,
        evidence=evidence,
        registered=registered,
        began=began,
    )


# --- absence kinds: two flags ---------------------------------------------------------------

#: BASELINE.md: which kinds pause the clock, and which count as service (agency experience).
BASELINE_FLAGS = {
    "sickness": (True, True),
    "parental": (True, True),
    "bereavement": (True, True),
    "unpaid": (True, False),
    "career-break": (True, False),
    "other": (True, True),
    "annual-leave": (False, True),
    "training": (False, True),
}


@pytest.mark.parametrize(("kind", "flags"), BASELINE_FLAGS.items())
def test_the_baseline_absence_kinds_carry_both_flags(kind: str, flags: tuple[bool, bool]) -> None:
    found = FW.absence_kind(kind)
    assert found is not None
    assert (found.pauses, found.counts_as_service) == flags


FRAMEWORK_HEAD = """
version = "mini"
title = "Mini"

[[stages]]
id = "asye"
title = "ASYE"
follows = ["qualification"]

[[stages.milestones]]
id = "final-review"
title = "Final review"
months = 12
"""


def load(tmp_path: Path, body: str) -> Any:
    path = tmp_path / "mini.toml"
    path.write_text(FRAMEWORK_HEAD + body, encoding="utf-8")
    return FrameworkRegistry().add_file(path)


def test_a_kind_without_the_flag_counts_as_service(tmp_path: Path) -> None:
    fw = load(tmp_path, '[[absence_kinds]]\nid = "leave"\ntitle = "Leave"\npauses = true\n')
    assert fw.absence_kind("leave").counts_as_service is True
    # A file without [cpd] has the national baseline's.
    assert fw.cpd == CpdRules() == attrs.evolve(FW.cpd, source="")


def test_the_flag_is_validated_on_load(tmp_path: Path) -> None:
    body = (
        '[[absence_kinds]]\nid = "leave"\ntitle = "Leave"\npauses = true\n'
        'counts_as_service = "yes"\n'
    )
    with pytest.raises(FrameworkError) as caught:
        load(tmp_path, body)
    (line,) = caught.value.lines()
    assert "absence_kinds[0].counts_as_service" in line
    assert "mini.toml" in line


# --- agency experience ----------------------------------------------------------------------

#: Ten months' leave, 1 March to 31 December 2023: 306 days.
TEN_MONTHS = (D(2023, 3, 1), D(2023, 12, 31))
TEN_MONTHS_DAYS = 306


def test_ten_months_maternity_leave_does_not_delay_agency_eligibility() -> None:
    mother = person(absences=(Absence("parental", *TEN_MONTHS),))
    result = agency_eligibility(mother, REGISTRY, THREE_YEARS)
    assert (result.eligible, result.from_date) == (True, THREE_YEARS)
    assert result.experience_days == (THREE_YEARS - START).days + 1
    # The same leave still pauses the clock of her due dates: the flags are separate.
    assert pauses(mother.absences, FW)[0].days == TEN_MONTHS_DAYS


def test_ten_months_career_break_delays_agency_eligibility_by_its_days() -> None:
    away = person(absences=(Absence("career-break", *TEN_MONTHS),))
    later = THREE_YEARS + dt.timedelta(days=TEN_MONTHS_DAYS)
    assert agency_eligibility(away, REGISTRY, later - dt.timedelta(days=1)).eligible is False
    on = agency_eligibility(away, REGISTRY, later)
    assert (on.eligible, on.from_date) == (True, later)


def test_a_short_unpaid_leave_delays_by_its_days_too() -> None:
    # Below the 28-day pause threshold, yet not service.
    away = person(absences=(Absence("unpaid", D(2023, 3, 1), D(2023, 3, 5)),))
    assert pauses(away.absences, FW) == ()
    assert agency_eligibility(away, REGISTRY, THREE_YEARS).from_date == D(2025, 9, 6)


def test_overlapping_spells_are_deducted_once() -> None:
    both = person(
        absences=(
            Absence("career-break", D(2023, 3, 1), D(2023, 3, 31)),
            Absence("unpaid", D(2023, 3, 20), D(2023, 4, 9)),
        )
    )
    assert agency_eligibility(both, REGISTRY, THREE_YEARS).from_date == (
        THREE_YEARS + dt.timedelta(days=40)
    )


def test_a_retracted_career_break_counts_for_nothing() -> None:
    withdrawn = person(
        absences=(
            Absence(
                "career-break",
                *TEN_MONTHS,
                id="ab-1",
                retracted=dt.datetime(2024, 1, 5, tzinfo=dt.UTC),
            ),
        )
    )
    assert agency_eligibility(withdrawn, REGISTRY, THREE_YEARS).from_date == THREE_YEARS


# --- CPD per registration year: the data and the readiness ----------------------------------


def test_the_cpd_data_is_the_baseline() -> None:
    assert FW.cpd.year(D(2026, 6, 1)) == (D(2025, 12, 1), D(2026, 11, 30))
    assert FW.cpd.renewal_opens_in(D(2025, 12, 1)) == D(2026, 9, 1)
    assert (FW.cpd.min_records, FW.cpd.min_peer_reflected) == (2, 1)


@given(
    st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 1, 1)),
    st.sampled_from(["12-01", "01-01", "04-06", "03-01"]),
)
def test_every_day_lies_in_one_year_of_any_start(day: dt.date, starts: str) -> None:
    rules = CpdRules(year_starts=starts)
    start, end = rules.year(day)
    assert start <= day <= end
    assert f"{start:%m-%d}" == starts
    assert rules.year(end + dt.timedelta(days=1))[0] == end + dt.timedelta(days=1)
    assert start <= rules.renewal_opens_in(start) <= end


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ('year_starts = "02-29"', "cpd.year_starts"),
        ('renewal_opens = "9-1"', "cpd.renewal_opens"),
        ("min_records = -1", "cpd.min_records"),
        ("min_peer_reflected = 3", "cpd.min_peer_reflected"),
    ],
)
def test_cpd_data_is_validated_on_load(tmp_path: Path, body: str, path: str) -> None:
    with pytest.raises(FrameworkError) as caught:
        load(tmp_path, f"[cpd]\n{body}\n")
    assert any(f": {path}: " in line for line in caught.value.lines()), caught.value.lines()


def cpd(eid: str, day: dt.date, by: str | None = None) -> Evidence:
    return Evidence(eid, "cpd", day, ("swe:4",), by)


@pytest.mark.parametrize(
    ("registered", "due"),
    [
        (D(2026, 9, 1), False),  # on 1 September: nothing due at this renewal
        (D(2026, 11, 30), False),
        (D(2026, 8, 31), True),
        (D(2025, 9, 1), True),  # a year earlier: this year is due
    ],
)
def test_a_post_1_september_registrant_owes_no_cpd_that_year(
    registered: dt.date, due: bool
) -> None:
    newcomer = person(registered=registered)
    result = cpd_readiness(newcomer, D(2026, 11, 30), REGISTRY)
    assert (result.due, result.ready) == (due, not due)
    if not due:
        assert result.message.endswith(
            "on or after 1 September of the registration year "
            "2025-12-01 to 2026-11-30: no CPD is due at its renewal"
        )


def test_cpd_readiness_reads_the_framework_data(tmp_path: Path) -> None:
    council = tmp_path / "council.toml"
    council.write_text(
        'version = "council-1"\nextends = "baseline-2026"\ntitle = "Council"\n\n'
        "[cpd]\nmin_records = 3\nmin_peer_reflected = 2\n",
        encoding="utf-8",
    )
    registry = FrameworkRegistry.default([council])
    held = (cpd("ev-1", D(2026, 1, 5), "S. Khan"), cpd("ev-2", D(2026, 2, 5)))
    made = attrs.evolve(person(evidence=held), enrolments=(Enrolment("asye", START, "council-1"),))
    assert cpd_readiness(person(evidence=held), D(2026, 6, 1), REGISTRY).ready is True
    stricter = cpd_readiness(made, D(2026, 6, 1), registry)
    assert stricter.ready is False
    assert stricter.message.endswith("needs 1 more CPD record and 1 more reflected on with a peer")


# --- the expert stage's CPD rule, judged per registration year --------------------------------

EXPERT_START = D(2025, 9, 1)
BASELINE_RULES = load_rules(RULES / "baseline-2026.toml", FW)
#: The years an expert stage started on 2025-09-01 runs through up to 2027-01-15.
YEAR_1 = (D(2024, 12, 1), D(2025, 11, 30))
YEAR_2 = (D(2025, 12, 1), D(2026, 11, 30))
YEAR_3 = (D(2026, 12, 1), D(2027, 11, 30))
AS_OF = D(2027, 1, 15)

GOOD_YEAR_1 = (cpd("ev-1", D(2025, 3, 1), "S. Khan"), cpd("ev-2", D(2025, 10, 1)))
GOOD_YEAR_2 = (cpd("ev-3", D(2026, 1, 10)), cpd("ev-4", D(2026, 6, 1), "J. Patel"))


def cpd_finding(as_of: dt.date = AS_OF, rules: RuleSet = BASELINE_RULES, **kw: Any) -> Finding:
    record = person(stage="expert", start=EXPERT_START, **kw)
    found = evaluate(rules, context_for(record, REGISTRY, as_of))
    return next(f for f in found if f.rule == "cpd-records")


def test_the_baseline_expert_cpd_rule_is_per_registration_year() -> None:
    rule = next(r for r in BASELINE_RULES.rules if r.id == "cpd-records")
    assert rule.kind == "per-registration-year"
    assert registration_years(EXPERT_START, AS_OF, FW.cpd) == (YEAR_1, YEAR_2, YEAR_3)


def test_each_year_met() -> None:
    later = (cpd("ev-5", D(2027, 1, 2), "S. Khan"), cpd("ev-6", D(2027, 1, 9)))
    found = cpd_finding(evidence=GOOD_YEAR_1 + GOOD_YEAR_2 + later)
    assert found.status == "met"
    assert found.message == "2 CPD records, 1 with a peer in each of 3 registration years so far"
    assert found.evidence == ("ev-1", "ev-2", "ev-3", "ev-4", "ev-5", "ev-6")


def test_six_records_in_one_year_do_not_make_up_for_another() -> None:
    # The old rule counted 6 over 36 months: these six would have met it.
    crowded = tuple(cpd(f"ev-{n}", D(2026, 1, n), "S. Khan") for n in range(1, 7))
    found = cpd_finding(evidence=GOOD_YEAR_1 + crowded)
    assert found.status == "pending"  # year 2 is met, the open year 3 not yet
    short = cpd_finding(evidence=crowded)
    assert short.status == "missed"
    assert short.message == (
        "short in the registration year 2024-12-01 to 2025-11-30: 0 CPD records, 0 with a peer; "
        "it needed 2 more CPD records and one reflected on with a peer"
    )
    assert short.deadline == YEAR_1[1]


def test_a_year_short_of_a_peer_reflection_is_named() -> None:
    no_peer = (cpd("ev-3", D(2026, 1, 10)), cpd("ev-4", D(2026, 6, 1)))
    found = cpd_finding(evidence=GOOD_YEAR_1 + no_peer)
    assert found.status == "missed"
    assert found.message == (
        "short in the registration year 2025-12-01 to 2026-11-30: 2 CPD records, 0 with a peer; "
        "it needed one reflected on with a peer"
    )


def test_the_open_year_is_pending_until_its_end() -> None:
    found = cpd_finding(evidence=GOOD_YEAR_1 + GOOD_YEAR_2)
    assert found.status == "pending"
    assert found.deadline == YEAR_3[1]
    assert found.message == (
        "0 CPD records, 0 with a peer, in the registration year 2026-12-01 to 2027-11-30; "
        "needs 2 more CPD records and one reflected on with a peer by 2027-11-30"
    )


def test_the_first_year_is_exempt_for_a_registrant_after_1_september() -> None:
    found = cpd_finding(evidence=GOOD_YEAR_2, registered=D(2025, 9, 10), as_of=D(2026, 11, 30))
    assert found.status == "met"
    assert found.message == (
        "2 CPD records, 1 with a peer in each of 1 registration year so far; "
        "not judged: 2024-12-01 to 2025-11-30 (first registered on or after 2025-09-01)"
    )
    owed = cpd_finding(evidence=GOOD_YEAR_2, registered=D(2025, 8, 31), as_of=D(2026, 11, 30))
    assert owed.status == "missed"


def test_years_begun_before_the_record_began_are_exempt() -> None:
    # Onboarded on the first day of a registration year: the years before it are not judged.
    onboarded = cpd_finding(evidence=GOOD_YEAR_2, began=D(2025, 12, 1), as_of=D(2026, 11, 30))
    assert onboarded.status == "met"
    assert onboarded.message.endswith(
        "; not judged: 2024-12-01 to 2025-11-30 (begun before the record)"
    )
    # Onboarded a day later: that year is not wholly in ecf either (its CPD may predate it).
    later = cpd_finding(began=D(2025, 12, 2), as_of=D(2026, 11, 30))
    assert later.status == "met"
    assert later.message == (
        "no registration year to judge so far; not judged: "
        "2024-12-01 to 2025-11-30 (begun before the record), "
        "2025-12-01 to 2026-11-30 (begun before the record)"
    )
    # The next year is judged in full.
    assert cpd_finding(began=D(2025, 12, 2), as_of=D(2027, 12, 1)).status == "missed"


def test_a_rule_file_may_ask_for_more() -> None:
    data = {
        "version": "t-1",
        "framework": "baseline-2026",
        "rules": [
            {"id": "cpd-records", "kind": "per-registration-year", "min": 3, "peer": 2},
        ],
    }
    found = cpd_finding(
        evidence=GOOD_YEAR_1 + GOOD_YEAR_2, rules=load_rules_data(data, FW), as_of=YEAR_1[1]
    )
    assert found.status == "pending"
    assert "needs 1 more CPD record and 1 more reflected on with a peer" in found.message


def test_the_rule_and_the_readiness_agree_on_a_year() -> None:
    record = person(stage="expert", start=EXPERT_START, evidence=GOOD_YEAR_1)
    year = cpd_year(record, YEAR_1[0], YEAR_1[1], FW.cpd)
    ready = cpd_readiness(record, YEAR_1[1], REGISTRY)
    assert year.met is ready.ready is True
    assert tuple(e.id for e in year.peer) == ready.peer_reflected == ("ev-1",)


def test_a_retracted_cpd_record_counts_for_nothing() -> None:
    withdrawn = attrs.evolve(GOOD_YEAR_1[0], retracted=dt.datetime(2025, 3, 2, tzinfo=dt.UTC))
    record = person(stage="expert", start=EXPERT_START, evidence=(withdrawn, GOOD_YEAR_1[1]))
    year = cpd_year(record, YEAR_1[0], YEAR_1[1], FW.cpd)
    assert tuple(e.id for e in year.records) == ("ev-2",)
    assert year.peer == ()
    assert cpd_readiness(record, YEAR_1[1], REGISTRY).ready is False


def test_an_anonymised_absence_keeps_both_effects(tmp_path: Path) -> None:
    fw = load(
        tmp_path,
        '[[absence_kinds]]\nid = "parental"\ntitle = "Parental"\npauses = true\n'
        '[[absence_kinds]]\nid = "other"\ntitle = "Other"\npauses = true\n'
        "counts_as_service = false\n"
        '[[absence_kinds]]\nid = "leave"\ntitle = "Leave"\npauses = true\n',
    )
    # `other` pauses alike but is not service: parental leave becomes `leave` instead.
    assert neutral_absence_kind("parental", [fw]) == "leave"
    assert neutral_absence_kind("parental", [FW]) == "other"
