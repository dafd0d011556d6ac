"""Agreed due dates: the date people agreed replaces the computed one; pauses still move it.

BASELINE.md: "an assessor may record an agreed due date for any milestone; it replaces the
computed one (both are shown), and a pausing absence that starts before it moves it by the
paused days" (FACTS.md 6: the dates are set at the agreement meeting).  The rule, exactly
(:func:`ecf.timeline.agreed_due`): the agreed date is ``agreed - start`` days on the stage's
clock, which stops during pauses; so each pause that starts before the date (as moved by the
pauses before it) moves it by its days from the stage's start on.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import ecf
from ecf.cli import main
from ecf.errors import RecordError
from ecf.records import AgreedDate, record_to_dict
from ecf.status import events, status
from ecf.timeline import Pause, agreed_due, due_date
from ecf.validation import check_record

if TYPE_CHECKING:
    from pathlib import Path

    from ecf.framework import FrameworkRegistry
    from ecf.status import MilestoneStatus

START = dt.date(2025, 9, 1)
TODAY = dt.date(2026, 11, 30)
D = dt.date


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--user", "hr", *map(str, args)])
    return result.exit_code, result.output


def new(path: Path, registry: FrameworkRegistry, fte: str | None = None) -> None:
    ecf.create(
        path,
        id="t1",
        name="Sam Example",
        qualified=D(2025, 7, 1),
        stage="asye",
        start=START,
        fte=fte,
        by="hr",
        registry=registry,
        today=TODAY,
    )


def agree(path: Path, registry: FrameworkRegistry, milestone: str, due: dt.date) -> None:
    with ecf.edit(path, by="assessor", registry=registry, today=TODAY) as editor:
        editor.agree(milestone, due, note="agreed at the meeting")


def sick(path: Path, registry: FrameworkRegistry, first: dt.date, last: dt.date) -> None:
    with ecf.edit(path, by="hr", registry=registry, today=TODAY) as editor:
        editor.add_absence("sickness", first, last)


def milestone(
    path: Path, registry: FrameworkRegistry, ms: str, as_of: dt.date = TODAY
) -> MilestoneStatus:
    st_ = status(ecf.read_record(path), registry, as_of)
    return next(m for m in st_.milestones if m.id == ms)


# --- the arithmetic -----------------------------------------------------------------------------


def test_the_baseline_example_with_an_agreed_date(
    tmp_path: Path, registry: FrameworkRegistry
) -> None:
    # BASELINE.md 5: S = 2025-09-01 full time, sickness 2025-10-01..2025-11-11 (42 days):
    # review-3m computed 2026-01-12.  Agreed for 2025-12-05, the same pause moves it 42 days.
    path = tmp_path / "t1.toml"
    new(path, registry)
    agree(path, registry, "review-3m", D(2025, 12, 5))
    ms = milestone(path, registry, "review-3m")
    assert (ms.agreed, ms.computed, ms.due) == (D(2025, 12, 5), D(2025, 12, 1), D(2025, 12, 5))
    sick(path, registry, D(2025, 10, 1), D(2025, 11, 11))
    ms = milestone(path, registry, "review-3m")
    assert ms.computed == D(2026, 1, 12)
    assert ms.agreed == D(2025, 12, 5)
    assert ms.due == D(2026, 1, 16)


@pytest.mark.parametrize(
    ("first", "last", "due"),
    [
        (D(2025, 10, 1), D(2025, 11, 11), D(2026, 1, 16)),  # starts before: moved 42 days
        (D(2025, 12, 4), D(2026, 1, 14), D(2026, 1, 16)),  # starts the day before: moved
        (D(2025, 12, 5), D(2026, 1, 15), D(2025, 12, 5)),  # starts on the date: not moved
        (D(2025, 12, 10), D(2026, 1, 20), D(2025, 12, 5)),  # starts after: not moved
        (D(2025, 10, 1), D(2025, 10, 27), D(2025, 12, 5)),  # 27 days: not a pause
        (D(2025, 8, 1), D(2025, 9, 30), D(2026, 1, 4)),  # began before the stage: 30 days in it
    ],
)
def test_the_pause_rule(first: dt.date, last: dt.date, due: dt.date) -> None:
    days = (last - first).days + 1
    paused = [Pause(first, last)] if days >= 28 else []
    assert agreed_due(START, D(2025, 12, 5), paused) == due


def test_a_pause_reached_only_because_an_earlier_one_moved_the_date_moves_it_too() -> None:
    # 42 days paused in October moves 2025-12-05 to 2026-01-16; a pause from 2025-12-20 then
    # starts before the moved date, and stops the clock for its 30 days as well.
    paused = [Pause(D(2025, 10, 1), D(2025, 11, 11)), Pause(D(2025, 12, 20), D(2026, 1, 18))]
    assert agreed_due(START, D(2025, 12, 5), paused) == D(2026, 2, 15)


def test_the_working_pattern_does_not_move_an_agreed_date(
    tmp_path: Path, registry: FrameworkRegistry
) -> None:
    # BASELINE.md 3: at 0.5 FTE review-3m is computed for 2026-03-02; people agreed another.
    path = tmp_path / "t1.toml"
    new(path, registry, fte="0.5")
    agree(path, registry, "review-3m", D(2026, 2, 16))
    ms = milestone(path, registry, "review-3m")
    assert (ms.computed, ms.due) == (D(2026, 3, 2), D(2026, 2, 16))


@given(
    agreed=st.integers(0, 720),
    first=st.integers(-60, 900),
    length=st.integers(28, 400),
)
def test_one_pause_moves_an_agreed_date_by_its_days_in_the_stage_iff_it_starts_before(
    agreed: int, first: int, length: int
) -> None:
    on = START + dt.timedelta(agreed)
    pause = Pause(START + dt.timedelta(first), START + dt.timedelta(first + length - 1))
    in_stage = (pause.last - max(pause.first, START)).days + 1
    # Paused days count from the stage's start on: a pause "starts" for the stage there.
    moved = on + dt.timedelta(max(in_stage, 0)) if max(pause.first, START) < on else on
    assert agreed_due(START, on, [pause]) == moved


def test_without_an_agreement_the_due_date_is_the_computed_one(
    tmp_path: Path, registry: FrameworkRegistry
) -> None:
    path = tmp_path / "t1.toml"
    new(path, registry)
    ms = milestone(path, registry, "review-6m")
    assert ms.agreed is None
    assert ms.due == ms.computed == due_date(START, 6)


# --- what follows the agreed date --------------------------------------------------------------


def test_overdue_follows_the_agreed_date(tmp_path: Path, registry: FrameworkRegistry) -> None:
    path = tmp_path / "t1.toml"
    new(path, registry)
    agree(path, registry, "agreement", D(2025, 9, 20))  # earlier than computed (2025-10-01)
    agree(path, registry, "review-3m", D(2025, 12, 15))  # later than computed (2025-12-01)
    record = ecf.read_record(path)
    on = status(record, registry, D(2025, 9, 25))
    assert [m.id for m in on.overdue] == ["agreement"]
    later = status(record, registry, D(2025, 12, 10))
    assert "review-3m" not in [m.id for m in later.overdue]
    assert later.next is not None
    assert (later.next.id, later.next.due) == ("review-3m", D(2025, 12, 15))
    assert "review-3m" in [m.id for m in status(record, registry, D(2025, 12, 16)).overdue]


def test_an_agreed_final_review_moves_the_expected_end(
    tmp_path: Path, registry: FrameworkRegistry
) -> None:
    path = tmp_path / "t1.toml"
    new(path, registry)
    agree(path, registry, "final-review", D(2026, 9, 20))
    assert status(ecf.read_record(path), registry, TODAY).expected_end == D(2026, 9, 20)


def test_a_later_agreement_replaces_the_one_in_force(
    tmp_path: Path, registry: FrameworkRegistry
) -> None:
    path = tmp_path / "t1.toml"
    new(path, registry)
    agree(path, registry, "review-3m", D(2025, 12, 5))
    agree(path, registry, "review-3m", D(2025, 12, 12))
    record = ecf.read_record(path)
    assert record.agreed == (
        AgreedDate("asye", "review-3m", D(2025, 12, 12), "agreed at the meeting"),
    )
    first, second = [h.detail for h in record.history if h.action == "agree"]
    assert first == "asye review-3m agreed 2025-12-05 (computed 2025-12-01)"
    assert second == "asye review-3m agreed 2025-12-12 (was agreed 2025-12-05)"
    assert milestone(path, registry, "review-3m").due == D(2025, 12, 12)


def test_status_prints_both_dates_and_json_carries_both(
    tmp_path: Path, registry: FrameworkRegistry
) -> None:
    path = tmp_path / "t1.toml"
    new(path, registry)
    code, out = run("agree", path, "review-3m", "--due", "2025-12-05", "--note", "meeting")
    assert code == 0, out
    code, out = run("status", path, "--as-of", "2025-11-01")
    assert code == 0, out
    assert "2025-12-05 (agreed; computed 2025-12-01)" in out
    six = next(line for line in out.splitlines() if line.startswith("review-6m"))
    assert "computed" not in six  # no agreement: one date
    code, out = run("status", path, "--as-of", "2025-11-01", "--json")
    data = {m["id"]: m for m in json.loads(out)["milestones"]}
    assert (
        data["review-3m"]["due"],
        data["review-3m"]["computed"],
        data["review-3m"]["agreed"],
    ) == (
        "2025-12-05",
        "2025-12-01",
        "2025-12-05",
    )
    assert data["review-6m"]["agreed"] is None


def test_the_timeline_shows_the_agreement(tmp_path: Path, registry: FrameworkRegistry) -> None:
    path = tmp_path / "t1.toml"
    new(path, registry)
    agree(path, registry, "review-3m", D(2025, 12, 5))
    found = [e for e in events(ecf.read_record(path), registry) if e.kind == "agreed"]
    assert [(e.date, e.text) for e in found] == [
        (D(2025, 12, 5), "3-month review: date agreed (computed 2025-12-01)")
    ]


def test_a_record_without_agreements_keeps_its_shape() -> None:
    # New optional fields: an older record's data (and so its digests) are unchanged.
    data = record_to_dict(ecf.Record(3, "t1", "Sam", D(2025, 7, 1), "children"))
    assert "agreed" not in data
    assert "assignments" not in data


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("review-3m", "--due", "2025-08-31"),
            "agreed[0].due: is before the stage started (2025-09-01)",
        ),
        (("review-12m", "--due", "2025-12-01"), "agreed[0].milestone: unknown milestone of 'asye'"),
        (("review-3m", "--due", "2040-01-01"), "agreed[0].due: is more than 3660 days"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_the_file_unchanged(
    tmp_path: Path, registry: FrameworkRegistry, args: tuple[str, ...], expected: str
) -> None:
    path = tmp_path / "t1.toml"
    new(path, registry)
    before = path.read_bytes()
    code, out = run("agree", path, *args)
    assert code == 2
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    assert lines[0].startswith(f"error: {path}: {expected}"), out
    assert path.read_bytes() == before


def test_a_closed_record_refuses_an_agreement(tmp_path: Path, registry: FrameworkRegistry) -> None:
    path = tmp_path / "t1.toml"
    new(path, registry)
    with ecf.edit(path, by="hr", registry=registry, today=TODAY) as editor:
        editor.leave(D(2026, 1, 10), "resigned")
    before = path.read_bytes()
    code, out = run("agree", path, "review-6m", "--due", "2026-03-10")
    assert code == 2
    closed = "the record is closed (`ecf rejoin` reopens it)"
    assert out.strip().splitlines() == [
        f"error: {path}: left: the practitioner left on 2026-01-10; {closed}"
    ]
    assert path.read_bytes() == before


def test_the_library_refuses_alike_and_never_shows_the_note(
    tmp_path: Path, registry: FrameworkRegistry
) -> None:
    path = tmp_path / "t1.toml"
    new(path, registry)
    before = path.read_bytes()
    with (
        pytest.raises(RecordError) as caught,
        ecf.edit(path, by="hr", registry=registry, today=TODAY) as editor,
    ):
        editor.agree("review-3m", D(2025, 1, 1), note="Private: Sam's health")
    assert "Private" not in str(caught.value)
    assert path.read_bytes() == before


def test_a_hand_edited_file_is_held_to_the_same_rules(
    tmp_path: Path, registry: FrameworkRegistry
) -> None:
    path = tmp_path / "t1.toml"
    new(path, registry)
    record = ecf.read_record(path)
    twice = attrs.evolve(
        record,
        agreed=(
            AgreedDate("asye", "review-3m", D(2025, 12, 5)),
            AgreedDate("asye", "review-3m", D(2025, 12, 9)),
            AgreedDate("ecf-2", "review-3m", D(2025, 12, 9)),
        ),
    )
    problems = [(p.path, p.message) for p in check_record(twice, registry, TODAY)]
    assert (
        "agreed[1].milestone",
        "a milestone has one agreed date (a new agreement replaces the old)",
    ) in problems
    assert ("agreed[2].stage", "no enrolment in this stage") in problems


def test_rule_deadlines_follow_the_agreed_date(tmp_path: Path, registry: FrameworkRegistry) -> None:
    path = tmp_path / "t1.toml"
    new(path, registry)
    agree(path, registry, "final-review", D(2026, 9, 20))
    result = ecf.assess(ecf.read_record(path), registry, D(2026, 3, 1))
    messages = [f.message for f in result.findings]
    assert any("(due 2026-09-20)" in m for m in messages), messages
    assert not any("(due 2026-09-01)" in m for m in messages), messages
