"""Employment periods: service accrues only while employed; transfers, leaving and rejoining.

BASELINE.md 5: between two employers the clock stops and the days already served carry over,
so due dates continue at the new council; leaving ends the last period and closes the record.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import attrs
import pytest
from click.testing import CliRunner

import ecf
from ecf.cli import main
from ecf.employment import check_employment
from ecf.history import verify
from ecf.records import Employment
from ecf.status import status
from ecf.timeline import add_months

if TYPE_CHECKING:
    from pathlib import Path

REGISTRY = ecf.FrameworkRegistry.default()
START = dt.date(2026, 1, 5)
TODAY = dt.date(2026, 11, 30)


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--user", "hr", *map(str, args)])
    return result.exit_code, result.output


def new(path: Path, council: str = "E09000030") -> None:
    code, out = run(
        "new", path, "--id", "t1", "--name", "Sam Example", "--qualified", "2025-07-01",
        "--stage", "asye", "--start", START, "--council", council,
    )  # fmt: skip
    assert code == 0, out


def test_a_new_record_starts_employed_at_its_council(tmp_path: Path) -> None:
    path = tmp_path / "t1.toml"
    new(path)
    record = ecf.read_record(path)
    assert record.employment == (Employment(START, "E09000030", id="em-1"),)
    assert record.gaps() == ()


def test_a_transfer_carries_service_over_and_its_gap_stops_the_clock(tmp_path: Path) -> None:
    # The case: 5 full-time months, then 3 weeks between councils.
    path = tmp_path / "t1.toml"
    new(path)
    left = add_months(START, 5) - dt.timedelta(days=1)  # 5 full months served
    joined = left + dt.timedelta(days=22)  # 21 days without an employer
    code, out = run("transfer", path, "--to", "E08000025", "--left", left, "--joined", joined)
    assert code == 0, out
    assert out == (
        f"t1: left on {left}, joined E08000025 on {joined} (the clock stops for 21 days between)\n"
    )
    record = ecf.read_record(path)
    assert record.council == "E08000025"
    assert record.employment == (
        Employment(START, "E09000030", left, "em-1"),
        Employment(joined, "E08000025", id="em-2"),
    )
    st = status(record, REGISTRY, TODAY)
    final = next(m for m in st.milestones if m.id == "final-review")
    assert final.due == add_months(START, 12) + dt.timedelta(days=21)
    # Milestones due before the move keep their dates; the clock did not run in between.
    three = next(m for m in st.milestones if m.id == "review-3m")
    assert three.due == add_months(START, 3)
    assert verify(record) == []


@pytest.mark.parametrize(
    ("left", "joined", "message"),
    [
        ("2026-05-01", "2026-05-01", "joined: must be after the last day at the old council"),
        ("2026-05-01", "2026-04-01", "joined: must be after the last day at the old council"),
        ("2025-12-01", "2026-01-10", "left: is before the current employment began (2026-01-05)"),
    ],
)
def test_a_transfer_that_overlaps_or_goes_back_is_refused(
    tmp_path: Path, left: str, joined: str, message: str
) -> None:
    path = tmp_path / "t1.toml"
    new(path)
    before = path.read_bytes()
    code, out = run("transfer", path, "--to", "E08000025", "--left", left, "--joined", joined)
    assert code == 2
    assert out.startswith(f"error: {path}: {message}")
    assert path.read_bytes() == before


def test_leaving_closes_the_record_until_the_practitioner_rejoins(tmp_path: Path) -> None:
    path = tmp_path / "t1.toml"
    new(path)
    assert run("leave", path, "--date", "2026-06-30", "--reason", "resigned")[0] == 0
    record = ecf.read_record(path)
    assert record.employment == (Employment(START, "E09000030", dt.date(2026, 6, 30), "em-1"),)
    before = path.read_bytes()
    for args in (
        ("add", "evidence", path, "--kind", "pdp", "--date", "2026-06-01"),
        ("add", "hours", path, "--from", "2026-06-01", "--fte", "0.5"),
        ("add", "absence", path, "--kind", "other", "--from", "2026-06-01", "--to", "2026-06-02"),
        ("transfer", path, "--to", "E1", "--left", "2026-07-01", "--joined", "2026-07-02"),
        ("leave", path, "--date", "2026-07-01", "--reason", "again"),
    ):
        code, out = run(*args)
        assert code == 2, args
        assert (
            f"error: {path}: left: the practitioner left on 2026-06-30; the record is closed "
            "(`ecf rejoin` reopens it)"
        ) in out
        assert path.read_bytes() == before
    code, out = run("rejoin", path, "--council", "E08000025", "--date", "2026-06-30")
    assert code == 2
    assert "date: must be after the day they left (2026-06-30)" in out
    code, out = run("rejoin", path, "--council", "E08000025", "--date", "2026-08-03")
    assert (code, out) == (0, "t1: rejoined E08000025 on 2026-08-03\n")
    record = ecf.read_record(path)
    assert record.left is None
    assert record.council == "E08000025"
    assert record.gaps() == ((dt.date(2026, 7, 1), dt.date(2026, 8, 2)),)
    assert run("add", "evidence", path, "--kind", "pdp", "--date", "2026-08-04")[0] == 0
    timeline = json.loads(run("timeline", path, "--json")[1])
    assert any(e["kind"] == "pause" and e["date"] == "2026-07-01" for e in timeline["events"])


def test_rejoining_an_open_record_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t1.toml"
    new(path)
    code, out = run("rejoin", path, "--council", "E1", "--date", "2026-03-01")
    assert code == 2
    assert "the practitioner has not left: nothing to rejoin" in out


def test_a_record_without_periods_was_employed_from_its_first_stage() -> None:
    record = ecf.read_record("tests/fixtures/schema-2.toml")
    assert record.employment == ()
    (period,) = record.periods()
    assert (period.from_, period.council, period.to) == (
        record.enrolments[0].start,
        record.council,
        None,
    )


@pytest.mark.parametrize(
    ("periods", "problem"),
    [
        (
            (Employment(START, "A", dt.date(2026, 3, 1)), Employment(dt.date(2026, 3, 1), "B")),
            "employment[1].from: must start after the previous period ended",
        ),
        (
            (Employment(START, "A"), Employment(dt.date(2026, 3, 1), "B")),
            "employment[0].to: only the last period may be open",
        ),
        ((Employment(START, "A", dt.date(2026, 3, 1)),), "employment[0].to: the last period is"),
        ((Employment(START, "B"),), "council: must be the current employer's code (B)"),
        ((Employment(START, "A", dt.date(2026, 1, 1)),), "employment[0].to: ends before it"),
    ],
)
def test_periods_that_make_no_sense_are_invalid(
    tmp_path: Path, periods: tuple[Employment, ...], problem: str
) -> None:
    path = tmp_path / "t1.toml"
    new(path, council="A")
    record = ecf.read_record(path)
    bad = attrs.evolve(record, employment=periods)
    found = [f"{p.path}: {p.message}" for p in check_employment(bad)]
    assert any(line.startswith(problem) for line in found), found
    assert [p.path for p in ecf.check_record(bad, REGISTRY, TODAY)] != []


def test_workforce_figures_use_the_periods(tmp_path: Path) -> None:
    from ecf.workforce import agency_eligibility, retention  # noqa: PLC0415

    path = tmp_path / "t1.toml"
    new(path)
    before = agency_eligibility(ecf.read_record(path), REGISTRY, TODAY)
    left = dt.date(2026, 5, 31)
    joined = dt.date(2026, 7, 1)  # 30 days between councils
    assert run("transfer", path, "--to", "E08000025", "--left", left, "--joined", joined)[0] == 0
    moved = ecf.read_record(path)
    after = agency_eligibility(moved, REGISTRY, TODAY)
    assert after.experience_days == before.experience_days - 30
    assert after.from_date == before.from_date + dt.timedelta(days=30)  # type: ignore[operator]
    figures = retention([moved])
    assert (figures.leavers, figures.transfers) == (0, 1)
    assert retention([moved], since=dt.date(2026, 6, 1)).transfers == 0
