"""Existing staff and prior stages: onboarding in any stage, and stages that never overlap.

BASELINE.md: a stage passed before the record began satisfies ``follows``, has no milestones,
needs no evidence and is never assessed; nothing before the record's own first stage is ever
overdue.  The issue's case: a practitioner in year 3 onboarded with one ``ecf new`` shows no
overdue milestone and no recommendation from before the record began.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

import ecf
from ecf.cli import main
from ecf.history import verify
from ecf.records import PriorStage
from ecf.status import status

REGISTRY = ecf.FrameworkRegistry.default()
TODAY = dt.date(2026, 11, 30)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--user", "hr", *map(str, args)])
    return result.exit_code, result.output


YEAR_3 = (
    "--id", "y3", "--name", "Jo Example", "--qualified", "2022-07-01", "--stage", "expert",
    "--start", "2024-09-02", "--council", "E08000035",
)  # fmt: skip


def test_year_3_is_onboarded_with_one_command_and_nothing_before_it_counts(
    tmp_path: Path,
) -> None:
    path = tmp_path / "y3.toml"
    code, out = run(
        "new", path, *YEAR_3, "--prior", "asye:2023-08-30", "--prior", "ecf-2:2024-08-29",
        "--prior-note", "ASYE at another council", "--began", TODAY,
    )  # fmt: skip
    assert code == 0
    assert out.startswith(f"y3: created {path} in expert from 2024-09-02\n")
    # The expert level was dropped in 2025 (FACTS.md 6): a warning, never a refusal.
    assert f"warning: {path}: enrolments[0].stage: 'expert'" in out
    assert "is superseded" in out
    record = ecf.read_record(path)
    assert record.prior == (
        PriorStage("asye", dt.date(2023, 8, 30), "ASYE at another council"),
        PriorStage("ecf-2", dt.date(2024, 8, 29)),
    )
    assert record.began == TODAY
    st = status(record, REGISTRY, TODAY)
    assert st.overdue == ()
    assert [m.id for m in st.milestones if m.before_record] == [
        "annual-review-1",
        "annual-review-2",
    ]
    assert st.next is not None
    assert st.next.id == "expert-assessment"
    result = ecf.assess(record, REGISTRY, TODAY)
    assert result.recommendation == "on-track"
    assert not [f for f in result.findings if f.status == "missed" or f.behind]
    assert verify(record) == []
    status_json = json.loads(run("status", path, "--json", "--as-of", TODAY)[1])
    assert status_json["overdue"] == []


def test_a_finding_due_before_the_record_began_is_not_judged(tmp_path: Path) -> None:
    path = tmp_path / "y3.toml"
    code, _ = run("new", path, *YEAR_3, "--prior", "asye:2023-08-30", "--prior", "ecf-2:2024-08-29")
    assert code == 0
    record = ecf.read_record(path)
    later = dt.date(2027, 10, 1)  # after the expert assessment's due date
    judged = ecf.assess(attrs.evolve(record, began=None), REGISTRY, later)
    assert {f.rule for f in judged.findings if f.status == "missed"}
    began = ecf.assess(attrs.evolve(record, began=dt.date(2027, 9, 10)), REGISTRY, later)
    skipped = [f for f in began.findings if "before the record began" in f.message]
    assert skipped
    assert all(f.status == "not-applicable" for f in skipped)


def test_with_prior_stages_the_record_begins_the_day_it_is_made(tmp_path: Path) -> None:
    path = tmp_path / "y3.toml"
    code, _ = run("new", path, *YEAR_3, "--prior", "asye:2023-08-30", "--prior", "ecf-2:2024-08-29")
    assert code == 0
    assert ecf.read_record(path).began == dt.date.today()  # noqa: DTZ011 - the CLI's today


@pytest.mark.parametrize(
    ("priors", "message"),
    [
        (
            (),
            (
                "stage: 'expert' follows a pass of asye or ecf-2: give the stage it follows as a "
                "prior stage, passed before the record began (ecf-2:DATE) (got 'expert')"
            ),
        ),
        (
            ("--prior", "ecf-2:2024-08-29"),
            "prior[0].stage: 'ecf-2' follows a pass of ecf-1 or asye: give the stage it follows",
        ),
        (
            ("--prior", "asye:2023-08-30", "--prior", "ecf-2:2024-09-02"),
            "start: must be after the last prior stage's pass (2024-09-02) (got 2024-09-02)",
        ),
        (("--prior", "asye"), "--prior: invalid date, expected YYYY-MM-DD after the stage"),
        (
            ("--prior", "asye:2021-01-01", "--prior", "ecf-2:2024-08-29"),
            "prior[0].passed: is before qualification (2022-07-01) (got 2021-01-01)",
        ),
    ],
)
def test_a_prior_stage_that_does_not_lead_to_the_stage_is_refused(
    tmp_path: Path, priors: tuple[str, ...], message: str
) -> None:
    path = tmp_path / "y3.toml"
    code, out = run("new", path, *YEAR_3, *priors)
    assert code == 2
    assert message in out, out
    assert not path.exists()


def test_prior_stages_by_hand_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "y3.toml"
    assert (
        run("new", path, *YEAR_3, "--prior", "asye:2023-08-30", "--prior", "ecf-2:2024-08-29")[0]
        == 0
    )
    record = ecf.read_record(path)
    swapped = attrs.evolve(record, prior=tuple(reversed(record.prior)))
    lines = [f"{p.path}: {p.message}" for p in ecf.check_record(swapped, REGISTRY, TODAY)]
    assert "prior[1].passed: must be in date order (oldest first)" in lines
    twice = attrs.evolve(record, prior=(*record.prior, PriorStage("expert", dt.date(2024, 8, 30))))
    lines = [f"{p.path}: {p.message}" for p in ecf.check_record(twice, REGISTRY, TODAY)]
    assert "prior[2].stage: a stage appears only once in a record" in lines


def test_a_stage_starts_only_after_the_previous_one_was_passed(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    assert run(
        "new", path, "--id", "a1", "--name", "Sam", "--qualified", "2024-07-01",
        "--stage", "asye", "--start", "2024-09-02",
    )[0] == 0  # fmt: skip
    ok = run("decide", path, "--outcome", "pass", "--date", "2025-10-01", "--by", "Panel")
    assert ok[0] == 0, ok
    before = path.read_bytes()
    code, out = run("advance", path, "--stage", "ecf-2", "--start", "2025-09-03")
    assert code == 2
    assert (
        "start: must be after 'asye' was passed (2025-10-01): stages never overlap (got 2025-09-03)"
    ) in out
    assert path.read_bytes() == before
    assert run("advance", path, "--stage", "ecf-2", "--start", "2025-10-02")[0] == 0


def test_a_record_written_before_the_rule_reads_the_same(tmp_path: Path) -> None:
    # examples/cohort holds records written as schema 2 whose next stage started before the
    # previous one's pass; migrated, they stay valid.
    copy = tmp_path / "old.toml"
    shutil.copy(EXAMPLES / "cohort" / "batch-0000" / "r000000.toml", copy)
    record = ecf.read_record(copy)
    first, second = record.enrolments[:2]
    passed = record.decision(first.stage)
    assert passed is not None
    assert second.start <= passed.date  # it overlaps
    assert ecf.check_record(record, REGISTRY, TODAY) == []
    born_now = attrs.evolve(record, history=record.history[:1])  # no migrate entry
    assert any(
        "stages never overlap" in p.message for p in ecf.check_record(born_now, REGISTRY, TODAY)
    )


def test_advance_refuses_an_overlap_even_on_a_record_written_before_the_rule() -> None:
    from ecf.errors import TransitionError  # noqa: PLC0415
    from ecf.progression import advance, allowed_next  # noqa: PLC0415

    record = ecf.read_record(EXAMPLES / "cohort" / "batch-0000" / "r000000.toml")
    current = record.current
    assert current is not None
    passed = ecf.Decision(current.stage, "pass", TODAY - dt.timedelta(days=10), "Panel")
    record = attrs.evolve(record, decisions=(*record.decisions, passed))
    entry = ecf.HistoryEntry(dt.datetime(2026, 11, 30, tzinfo=dt.UTC), "t", "advance")
    nxt = next(iter(allowed_next(record, REGISTRY)))
    with pytest.raises(TransitionError, match="stages never overlap"):
        advance(record, nxt, passed.date, REGISTRY, entry)
    assert advance(record, nxt, passed.date + dt.timedelta(days=1), REGISTRY, entry).current
