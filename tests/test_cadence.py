"""The review cadence (issue 10, item 8): ``review_cadence = "pro-rata" | "calendar"``.

docs/domain.md ("The review cadence"): by default every milestone is due by the service
accrued (pro rata); under ``calendar`` the review milestones are due by calendar months from
the stage's start, shifted by pauses, and the final review or assessment stays pro rata.  The
worked examples are the published ones of the due-date arithmetic.
"""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ecf import cohort
from ecf.assessors import context_for, get_plugins
from ecf.cli import main
from ecf.council import Council, CouncilError, CouncilSettings, load_council
from ecf.errors import FrameworkError
from ecf.framework import Framework, FrameworkRegistry
from ecf.progression import framework_for
from ecf.records import (
    SCHEMA_VERSION,
    Absence,
    Enrolment,
    PatternChange,
    Record,
)
from ecf.status import status
from ecf.store import create
from ecf.timeline import add_months, calendar_due, due_date, stage_timeline

if TYPE_CHECKING:
    from pathlib import Path

D = dt.date
REGISTRY = FrameworkRegistry.default()
BASELINE = REGISTRY.get("baseline-2026")
CALENDAR = attrs.evolve(BASELINE, review_cadence="calendar")
S = D(2025, 9, 1)
HALF = (PatternChange(S, Fraction(1, 2)),)
SICK = (Absence("sickness", D(2025, 10, 1), D(2025, 11, 11)),)  # 42 days: a pause


def dues(
    fw: Framework,
    stage: str = "asye",
    start: dt.date = S,
    hours: tuple[PatternChange, ...] = (),
    absences: tuple[Absence, ...] = (),
) -> dict[str, dt.date | None]:
    stage_def = fw.stage(stage)
    assert stage_def is not None
    tl = stage_timeline(stage_def, start, fw, hours=hours, absences=absences)
    return {m.id: m.due for m in tl.milestones} | {"end": tl.expected_end}


def test_the_default_is_pro_rata() -> None:
    assert BASELINE.review_cadence == "pro-rata"
    assert Framework("x", "x", ()).review_cadence == "pro-rata"
    assert CouncilSettings().review_cadence is None  # the framework's, unless a council sets it


def test_full_time_both_cadences_agree() -> None:
    # S = 2025-09-01 full-time: review-3m due 2025-12-01, final-review due 2026-09-01.
    for fw in (BASELINE, CALENDAR):
        found = dues(fw)
        assert found["review-3m"] == D(2025, 12, 1)
        assert found["final-review"] == found["end"] == D(2026, 9, 1)


def test_part_time_pro_rata_is_the_published_example() -> None:
    # S = 2025-09-01 at 0.5 FTE: review-3m due 2026-03-02 (182 days), final-review 2027-09-01.
    found = dues(BASELINE, hours=HALF)
    assert found["review-3m"] == D(2026, 3, 2)
    assert found["final-review"] == D(2027, 9, 1)


def test_part_time_calendar_reviews_by_the_calendar_final_review_pro_rata() -> None:
    found = dues(CALENDAR, hours=HALF)
    assert found["agreement"] == D(2025, 10, 1)
    assert found["review-3m"] == D(2025, 12, 1)
    assert found["review-6m"] == D(2026, 3, 1)
    assert found["review-9m"] == D(2026, 6, 1)
    assert found["final-review"] == found["end"] == D(2027, 9, 1)  # stays pro rata
    assert found["moderation"] is None


def test_a_pause_shifts_calendar_reviews_by_its_days() -> None:
    # S = 2025-09-01 full-time, sickness 2025-10-01..2025-11-11 (42 days): review-3m 2026-01-12.
    assert dues(BASELINE, absences=SICK)["review-3m"] == D(2026, 1, 12)
    assert dues(CALENDAR, absences=SICK)["review-3m"] == D(2026, 1, 12)
    # Part-time under the calendar cadence: the pause moves the review, the hours do not.
    found = dues(CALENDAR, hours=HALF, absences=SICK)
    assert found["review-3m"] == D(2026, 1, 12)
    assert found["final-review"] == dues(BASELINE, hours=HALF, absences=SICK)["final-review"]


def test_calendar_months_clamp_to_the_months_last_day() -> None:
    # 2025-08-31 + 6 months = 2026-02-28.
    assert dues(
        CALENDAR, start=D(2025, 8, 31), hours=(PatternChange(D(2025, 8, 31), Fraction(3, 5)),)
    )["review-6m"] == D(2026, 2, 28)
    assert calendar_due(D(2024, 2, 29), 12) == D(2025, 2, 28)


def test_expert_annual_reviews_by_the_calendar_the_assessment_pro_rata() -> None:
    start = D(2024, 9, 2)
    hours = (PatternChange(start, Fraction(1, 2)),)
    found = dues(CALENDAR, "expert", start, hours)
    assert found["annual-review-1"] == D(2025, 9, 2)
    assert found["annual-review-2"] == D(2026, 9, 2)
    assert found["expert-assessment"] == due_date(start, 36, hours) == D(2030, 9, 1)


def test_an_agreed_date_still_replaces_the_computed_one() -> None:
    stage = CALENDAR.stage("asye")
    assert stage is not None
    tl = stage_timeline(stage, S, CALENDAR, hours=HALF, agreed={"review-3m": D(2025, 12, 8)})
    (review,) = [m for m in tl.milestones if m.id == "review-3m"]
    assert (review.due, review.computed, review.agreed) == (
        D(2025, 12, 8),
        D(2025, 12, 1),
        D(2025, 12, 8),
    )


@given(
    start=st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31)),
    fte=st.fractions(min_value=Fraction(1, 10), max_value=1, max_denominator=20),
    months=st.integers(min_value=1, max_value=36),
)
def test_calendar_never_later_than_pro_rata(start: dt.date, fte: Fraction, months: int) -> None:
    hours = (PatternChange(start, fte),)
    calendar = calendar_due(start, months)
    assert calendar == add_months(start, months)
    assert calendar <= due_date(start, months, hours)
    if fte == 1:
        assert calendar == due_date(start, months, hours)


# --- where the cadence is set ---------------------------------------------------------------


def test_a_councils_cadence_applies_to_the_framework() -> None:
    enrolment = Enrolment("asye", S, "baseline-2026")
    council = CouncilSettings(review_cadence="calendar")
    assert framework_for(enrolment, REGISTRY, council).review_cadence == "calendar"
    assert framework_for(enrolment, REGISTRY, CouncilSettings()).review_cadence == "pro-rata"
    assert framework_for(enrolment, REGISTRY).review_cadence == "pro-rata"


def test_a_framework_file_sets_its_cadence(tmp_path: Path) -> None:
    path = tmp_path / "fw.toml"
    path.write_text(
        'version = "council-2026"\ntitle = "X"\nextends = "baseline-2026"\n'
        'review_cadence = "calendar"\n',
        encoding="utf-8",
    )
    registry = FrameworkRegistry.default([path])
    fw = registry.get("council-2026")
    assert fw.review_cadence == "calendar"
    assert dues(fw, hours=HALF)["review-3m"] == D(2025, 12, 1)
    # A version that extends it without saying keeps it; the baseline stays pro rata.
    assert registry.get("baseline-2026").review_cadence == "pro-rata"


def test_a_bad_cadence_in_a_framework_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fw.toml"
    path.write_text(
        'version = "council-2026"\ntitle = "X"\nextends = "baseline-2026"\n'
        'review_cadence = "termly"\n',
        encoding="utf-8",
    )
    with pytest.raises(FrameworkError) as caught:
        FrameworkRegistry.default().add_file(path)
    assert caught.value.lines() == [
        f"{path}: review_cadence: must be one of: pro-rata, calendar (got 'termly')"
    ]


def test_a_bad_cadence_in_a_council_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "council.toml"
    path.write_text(
        'code = "X"\nname = "X"\n\n[settings]\nreview_cadence = "monthly"\n', encoding="utf-8"
    )
    with pytest.raises(CouncilError) as caught:
        load_council(path)
    assert caught.value.lines() == [
        f"{path}: settings.review_cadence: must be one of: pro-rata, calendar (got 'monthly')"
    ]
    result = CliRunner().invoke(main, ["plugins", "--council", str(path)])
    assert result.exit_code == 2


def test_the_councils_cadence_applies_alike_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ECF_FRAMEWORK_PATH", raising=False)
    rec = Record(
        schema_version=SCHEMA_VERSION,
        id="r1",
        name="Alex Example",
        qualified=D(2025, 6, 1),
        service="children",
        enrolments=(Enrolment("asye", S, "baseline-2026"),),
        hours=HALF,
    )
    folder = tmp_path / "records"
    folder.mkdir()
    file = folder / "r1.toml"
    create(file, rec)
    path = tmp_path / "council.toml"
    path.write_text(
        'code = "X"\nname = "X"\n\n[settings]\nreview_cadence = "calendar"\n', encoding="utf-8"
    )
    council = load_council(path)
    assert council.settings.review_cadence == "calendar"
    as_of = D(2025, 11, 20)
    assert status(rec, REGISTRY, as_of).next.due == D(2026, 3, 2)  # type: ignore[union-attr]
    st_ = status(rec, REGISTRY, as_of, settings=council.settings)
    assert (st_.next.id, st_.next.due) == ("review-3m", D(2025, 12, 1))  # type: ignore[union-attr]
    assert st_.expected_end == D(2027, 9, 1)
    ctx = context_for(rec, REGISTRY, as_of, council)
    assert ctx.due("review-6m") == D(2026, 3, 1)
    row = cohort.row_for(
        rec, REGISTRY, as_of, council=council, plugins=get_plugins(entry_points=[])
    )
    assert row.next_due == D(2025, 12, 1)

    def cli(*args: object) -> str:
        result = CliRunner().invoke(main, [str(a) for a in args])
        assert result.exit_code == 0, result.output
        return result.stdout

    shown = json.loads(cli("status", file, "--council", path, "--as-of", as_of, "--json"))
    assert shown["next"] == "review-3m"
    assert {m["id"]: m["due"] for m in shown["milestones"]}["review-3m"] == "2025-12-01"
    events = json.loads(cli("timeline", file, "--council", path, "--json"))["events"]
    assert [e["date"] for e in events if e["kind"] == "due"][:3] == [
        "2025-10-01",
        "2025-12-01",
        "2026-03-01",
    ]
    default = Council(code="Y", name="Y")
    assert context_for(rec, REGISTRY, as_of, default).due("review-6m") == D(2026, 8, 29)
