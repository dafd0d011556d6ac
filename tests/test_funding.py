"""Funding as versioned data: the ASYE 2026-27 facts (BASELINE.md), the ECDP as unverified data,
bad data files, and ``ecf funding`` in each format.
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

from ecf.cli import main
from ecf.framework import FrameworkRegistry
from ecf.funding import (
    NOT_TRACKED,
    FundingError,
    PaymentFunding,
    funding_for,
    funding_year,
    funding_years,
    load_funding_data,
    load_funding_file,
    year_of,
)
from ecf.records import Appeal, Decision, Enrolment, Record
from ecf.store import render
from ecf.validation import check_record

if TYPE_CHECKING:
    from pathlib import Path

REGISTRY = FrameworkRegistry.default()
YEAR = funding_year("2026-27")
QUALIFIED = dt.date(2022, 7, 10)
START = dt.date(2026, 7, 10)  # exactly 4 years after QUALIFIED
AS_OF = dt.date(2027, 3, 1)


def record(
    *,
    qualified: dt.date = QUALIFIED,
    start: dt.date = START,
    registered: dt.date | None = dt.date(2026, 8, 3),
    service: str = "children",
    stage: str = "asye",
    decisions: tuple[Decision, ...] = (),
    appeals: tuple[Appeal, ...] = (),
    check: bool = True,
) -> Record:
    made = Record(
        schema_version=3,
        id="ph-1",
        name="Amira Okafor",
        qualified=qualified,
        service=service,  # type: ignore[arg-type]
        council="E09000030",
        registered=registered,
        # The version a new enrolment starting then pins: ecdp-2027 from 2027-09-01.
        enrolments=(Enrolment(stage, start, REGISTRY.for_start(start).version),),
        decisions=decisions,
        appeals=appeals,
    )
    assert not check or check_record(made, REGISTRY, dt.date(2035, 1, 1)) == [], made
    return made


def payments(rec: Record, as_of: dt.date = AS_OF) -> dict[str | None, PaymentFunding]:
    return {p.payment: p for p in funding_for(rec, YEAR, as_of)}


# --- the ASYE 2026-27 (BASELINE.md: fact) ---------------------------------------------------


def test_asye_pays_1000_at_registration_and_1000_at_completion() -> None:
    found = payments(record())
    assert set(found) == {"registration", "completion"}
    assert all(p.amount_gbp == 1000 for p in found.values())
    assert all(p.verified and p.claimed == NOT_TRACKED for p in found.values())
    assert all("Child and family ASYE April 2026" in p.source for p in found.values())


def test_started_exactly_4_years_after_qualifying_is_eligible() -> None:
    found = payments(record(start=START))
    assert found["registration"].eligible is True
    assert found["registration"].reason == ""


def test_started_4_years_and_a_day_after_qualifying_is_not_eligible() -> None:
    found = payments(record(start=START + dt.timedelta(days=1)))
    for p in found.values():
        assert p.eligible is False
        assert p.reason == "started 4 years and 1 day after qualifying; the limit is 4 years"
        assert p.claimable_from is None


def test_started_5_years_after_qualifying_is_not_eligible_with_the_reason() -> None:
    found = payments(record(qualified=dt.date(2021, 7, 10)))
    assert found["registration"].eligible is False
    assert found["registration"].reason == "started 5 years after qualifying; the limit is 4 years"
    assert found["completion"].eligible is False


# Up to 2027-08-31: a child and family ASYE starting later is refused (the ECDP replaces it).
@given(st.integers(min_value=0, max_value=(dt.date(2027, 8, 31) - QUALIFIED).days))
def test_eligibility_turns_exactly_at_4_years(days: int) -> None:
    start = QUALIFIED + dt.timedelta(days=days)
    found = payments(record(start=start, registered=start))
    assert found["registration"].eligible is (start <= START)


def test_not_registered_is_not_yet_eligible() -> None:
    found = payments(record(registered=None))
    assert found["registration"].eligible is False
    assert found["registration"].reason == (
        "not registered with Social Work England (no registration date in the record)"
    )


def test_registered_after_the_as_of_date_is_not_yet_eligible() -> None:
    found = payments(record(registered=dt.date(2026, 9, 1)), as_of=dt.date(2026, 8, 1))
    assert found["registration"].eligible is False
    assert "until 2026-09-01" in found["registration"].reason


def test_registration_is_claimable_from_the_later_of_registration_and_start() -> None:
    assert payments(record(registered=dt.date(2026, 8, 3)))[
        "registration"
    ].claimable_from == dt.date(2026, 8, 3)
    assert payments(record(registered=dt.date(2026, 1, 5)))["registration"].claimable_from == START


def test_completion_is_claimable_at_the_pass_date() -> None:
    passed = Decision("asye", "pass", dt.date(2027, 2, 20), "R. Singh")
    found = payments(record(decisions=(passed,)))
    assert found["completion"].eligible is True
    assert found["completion"].claimable_from == dt.date(2027, 2, 20)
    before = payments(record(decisions=(passed,)), as_of=dt.date(2027, 2, 19))
    assert before["completion"].claimable_from is None
    assert before["completion"].reason == "claimable when the stage is passed"


def test_completion_is_not_paid_after_a_fail_unless_the_appeal_is_upheld() -> None:
    failed = Decision("asye", "fail", dt.date(2027, 2, 20), "R. Singh", reason="standards-not-met")
    found = payments(record(decisions=(failed,)))
    assert found["completion"].eligible is False
    assert found["completion"].reason == "the stage was not passed (its decision: fail)"
    upheld = Appeal("dec-1", dt.date(2027, 2, 25), "upheld", dt.date(2027, 2, 28), "Panel")
    found = payments(record(decisions=(failed,), appeals=(upheld,)))
    assert found["completion"].eligible is True
    assert found["completion"].claimable_from is None


def test_an_adults_asye_is_unknown_per_the_data() -> None:
    (only,) = funding_for(record(service="adults"), YEAR, AS_OF)
    assert only.payment is None
    assert only.eligible is None
    assert not only.verified
    assert "adults ASYE" in only.reason
    assert "Skills for Care" in only.source


def test_the_ecdp_is_unverified_with_the_amount_unknown() -> None:
    rec = record(stage="ecdp", start=dt.date(2027, 9, 6), qualified=dt.date(2025, 7, 1))
    assert rec.enrolments[0].framework == "ecdp-2027"
    (grant,) = funding_for(rec, YEAR, dt.date(2027, 10, 1))
    assert grant.payment == "grant"
    assert grant.eligible is None
    assert grant.amount_gbp is None
    assert not grant.verified
    assert "not an agency worker" in grant.reason
    assert "the amount is not published" in grant.reason


def test_the_ecdp_limit_is_3_years_after_qualifying() -> None:
    rec = record(stage="ecdp", start=dt.date(2027, 9, 6), qualified=dt.date(2024, 7, 1))
    (grant,) = funding_for(rec, YEAR, dt.date(2027, 10, 1))
    assert grant.eligible is False
    assert grant.reason == "started 3 years and 67 days after qualifying; the limit is 3 years"


def test_a_stage_without_a_scheme_is_not_funded() -> None:
    (only,) = funding_for(record(stage="ecf-1"), YEAR, AS_OF)
    assert only.eligible is False
    assert only.reason == "the stage is not funded in 2026-27"


def test_funding_years_run_april_to_march() -> None:
    assert year_of(dt.date(2026, 11, 30)) == "2026-27"
    assert year_of(dt.date(2027, 3, 31)) == "2026-27"
    assert year_of(dt.date(2027, 4, 1)) == "2027-28"
    assert year_of(dt.date(1999, 4, 1)) == "1999-00"
    assert "2026-27" in funding_years()


def test_an_unknown_year_names_the_known_ones() -> None:
    with pytest.raises(FundingError, match=r"no funding data for this year \(known: 2026-27"):
        funding_year("2030-31")


# --- bad data files -------------------------------------------------------------------------

GOOD: dict[str, Any] = {
    "year": "2026-27",
    "title": "t",
    "schemes": [
        {
            "id": "a",
            "stage": "asye",
            "services": ["children"],
            "payments": [{"id": "registration", "amount_gbp": 1000, "claimable": "registration"}],
        }
    ],
}


def bad(**changes: object) -> list[str]:
    more = list(changes.pop("_extra", []))  # type: ignore[call-overload]
    scheme = {**GOOD["schemes"][0], **changes}
    with pytest.raises(FundingError) as caught:
        load_funding_data({**GOOD, "schemes": [scheme, *more]}, file="f.toml")
    return caught.value.lines()


def test_a_good_file_loads() -> None:
    assert load_funding_data(GOOD).schemes[0].payments[0].amount_gbp == 1000


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        (
            {"payments": [{"id": "x", "amount_gbp": -5}]},
            "f.toml: schemes[0].payments[0].amount_gbp: must be whole pounds, 0 or more (got -5)",
        ),
        (
            {"payments": [{"id": "x", "amount_gbp": "lots"}]},
            "f.toml: schemes[0].payments[0].amount_gbp",
        ),
        (
            {"payments": [{"id": "x", "claimable": "whenever"}]},
            "f.toml: schemes[0].payments[0].claimable: must be one of: registration, pass",
        ),
        (
            {"eligibility": {"max_years_after_qualifying": 0}},
            "f.toml: schemes[0].eligibility.max_years_after_qualifying: must be a positive",
        ),
        (
            {"eligibility": {"max_years": 4}},
            "f.toml: schemes[0].eligibility",
        ),
        (
            {"services": ["pets"]},
            "f.toml: schemes[0].services[0]: must be one of: children, adults",
        ),
        (
            {"payments": [{"id": "x"}, {"id": "x"}]},
            "f.toml: schemes[0].payments[1].id: duplicate id (got 'x')",
        ),
        (
            {"_extra": [{"id": "b", "stage": "asye", "services": ["children"]}]},
            "f.toml: schemes[1].stage: scheme 'a' already funds this stage for children",
        ),
    ],
)
def test_bad_data_names_file_entry_and_field(changes: dict[str, object], line: str) -> None:
    lines = bad(**changes)
    assert any(x.startswith(line) for x in lines), lines


def test_a_bad_year_is_refused() -> None:
    with pytest.raises(FundingError, match=r"year: a funding year is written 2026-27"):
        load_funding_data({**GOOD, "year": "2026-28"}, file="f.toml")


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text("year = ", encoding="utf-8")
    with pytest.raises(FundingError, match=r"x.toml"):
        load_funding_file(path)


def test_every_shipped_year_loads_and_cites_its_sources() -> None:
    for year in funding_years():
        data = funding_year(year)
        assert data.year == year
        assert all(s.source for s in data.schemes)
        # Stages are BASELINE.md's ids, each a stage of a shipped framework version.
        known = {s for v in REGISTRY.versions() for s in REGISTRY.get(v).stage_ids()}
        assert {s.stage for s in data.schemes} <= known


# --- ecf funding ----------------------------------------------------------------------------


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def cohort(tmp_path: Path) -> Path:
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "a.toml").write_text(render(record()), encoding="utf-8")
    late = attrs.evolve(record(qualified=dt.date(2021, 7, 10)), id="ph-2")
    (folder / "b.toml").write_text(render(late), encoding="utf-8")
    return folder


def test_cli_table(cohort: Path) -> None:
    result = run("funding", str(cohort), "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert "2 records, funding year 2026-27, as of 2026-11-30; claims are not tracked" in (
        result.output
    )
    assert "started 5 years after qualifying; the limit is 4 years" in result.output
    assert "GBP 1,000" in result.output
    assert "Amira" not in result.output


def test_cli_json(cohort: Path) -> None:
    result = run("funding", str(cohort), "--as-of", "2026-11-30", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["year"] == "2026-27"
    assert data["claims"] == "not tracked"
    first = {(r["id"], r["payment"]): r for r in data["records"]}
    assert first["ph-1", "registration"]["eligible"] is True
    assert first["ph-1", "registration"]["claimable_from"] == "2026-08-03"
    assert first["ph-2", "completion"]["eligible"] is False
    assert "Amira" not in result.output


def test_cli_csv_pseudonymised(cohort: Path, tmp_path: Path) -> None:
    key = tmp_path / "key.txt"
    key.write_text("a key of sixteen bytes or more", encoding="utf-8")
    result = run(
        "funding", str(cohort), "--format", "csv", "--pseudonymise", "--key-file", str(key)
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 4
    assert all(r["id"].startswith("p-") for r in rows)
    assert {r["claimed"] for r in rows} == {"not tracked"}
    assert "ph-1" not in result.output
    assert "Amira" not in result.output


def test_cli_year_and_a_bad_file(cohort: Path) -> None:
    (cohort / "broken.toml").write_text("id = ", encoding="utf-8")
    result = run("funding", str(cohort), "--year", "2026-27")
    assert result.exit_code == 1
    assert "broken.toml" in result.output
    assert "ph-1" in result.output


def test_cli_unknown_year_is_an_error(cohort: Path) -> None:
    result = run("funding", str(cohort), "--year", "2030-31")
    assert result.exit_code == 2
    assert "no funding data for this year" in result.output
