"""Decisions and appeals: outcomes and reason codes as framework data, the appeal window.

BASELINE.md 3: a decision is ``pass``, ``progressed``, ``fail``, ``extended``, ``deferred`` or
``withdrawn``, with a reason code from the framework's list for anything but a pass; ``ecf-1``
ends with ``pass`` or ``progressed`` and ``ecf-2`` follows either.  A decision can be appealed:
the appeal is recorded against it (lodged, outcome), within 20 working days, bank holidays in
England not counted (a choice, as for teachers).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from ecf.appeals import appeal_until, window_end
from ecf.cli import main as cli
from ecf.editor import create, edit
from ecf.errors import FrameworkError, RecordError, TransitionError
from ecf.framework import AppealWindow, FrameworkRegistry, load_framework_data
from ecf.progression import closes, ends_path, needs_until, opens, stage_state, takes_until
from ecf.records import Decision, decision_by_ref
from ecf.status import status
from ecf.validation import check_record
from ecf.workforce import cpd_readiness

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from pathlib import Path

    from ecf.editor import Editor
    from ecf.records import Outcome, Record

REGISTRY = FrameworkRegistry.default()
FW = REGISTRY.get("baseline-2026")
D = dt.date
ENGLAND = AppealWindow(20, "england")


def clock() -> dt.datetime:
    return dt.datetime(2027, 6, 1, 9, tzinfo=dt.UTC)


def september() -> dt.datetime:
    """A clock for what the command line changes after (it stamps history with today's time)."""
    return dt.datetime(2026, 9, 2, 9, tzinfo=dt.UTC)


def make(tmp_path: Path, stage: str = "ecf-1", at: Any = clock) -> Path:
    path = tmp_path / "r.toml"
    create(
        path,
        by="tester",
        id="ap-1",
        name="Amira Okafor",
        qualified=D(2025, 7, 1),
        service="children",
        stage=stage,
        start=D(2025, 9, 1),
        registry=REGISTRY,
        clock=at,
        today=D(2027, 6, 1),
    )
    return path


def editing(path: Path, at: Any = clock) -> AbstractContextManager[Editor]:
    return edit(path, by="tester", registry=REGISTRY, clock=at, today=D(2027, 6, 1))


BEFORE_CHRISTMAS = D(2026, 12, 21)
# The command line checks against today's date: its tests use dates of the past (a fail on
# Tuesday 1 September 2026, whose window ends on Tuesday 29 September).
SEPTEMBER = D(2026, 9, 1)


def failed(tmp_path: Path, day: dt.date = BEFORE_CHRISTMAS) -> Path:
    at = september if day == SEPTEMBER else clock
    path = make(tmp_path, at=at)
    with editing(path, at) as ed:
        ed.decide("fail", day, by="R. Singh", reason="standards-not-met")
    return path


def read(path: Path) -> Record:
    with editing(path) as ed:
        return ed.record


# --- outcomes are framework data -----------------------------------------------------------


def test_the_baseline_outcomes_say_what_each_does() -> None:
    # Break: mark `progressed` as not opening in baseline-2026.toml -> the first assert fails.
    assert [o for o in ("pass", "progressed") if opens(FW, o)] == ["pass", "progressed"]
    assert {o.id for o in FW.outcomes if closes(FW, o.id)} == {
        "pass",
        "progressed",
        "fail",
        "withdrawn",
    }
    assert {o.id for o in FW.outcomes if ends_path(FW, o.id)} == {"fail", "withdrawn"}
    assert [o.id for o in FW.outcomes if needs_until(FW, o.id)] == ["extended"]
    assert {o.id for o in FW.outcomes if takes_until(FW, o.id)} == {"extended", "deferred"}
    assert set(FW.outcomes_for("ecf-1")) == {*FW.outcomes_for("asye"), "progressed"}
    assert "progressed" not in FW.outcomes_for("asye")
    for outcome in ("fail", "extended", "deferred", "withdrawn"):
        assert FW.reasons_for(outcome), outcome
    window = FW.appeal_window
    assert (window.working_days, window.holidays, window.verified) == (20, "england", False)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"reason_codes": [{"id": "x", "title": "X", "outcomes": ["nope"]}]}, "outcomes"),
        ({"appeal_window": {"working_days": 0}}, "appeal_window.working_days"),
        ({"appeal_window": {"holidays": "narnia"}}, "appeal_window.holidays"),
        (
            {"outcomes": [{"id": "pass", "title": "P", "state": "passed", "stages": ["nope"]}]},
            "stages",
        ),
        (
            {
                "outcomes": [
                    {"id": "fail", "title": "F", "state": "failed", "reason_required": True}
                ]
            },
            "reason_required",
        ),
    ],
)
def test_bad_decision_data_in_a_framework_is_refused_on_load(
    change: dict[str, Any], path: str
) -> None:
    # Break: drop the check in framework._check_decision_data -> the framework loads.
    base = REGISTRY._merged("baseline-2026")  # the shipped data, as merged
    data = {**base, "version": "bad-1", **change}
    if "outcomes" in change and "reason_codes" not in change:
        data["reason_codes"] = []
    with pytest.raises(FrameworkError) as caught:
        load_framework_data(data, file="bad.toml")
    assert any(path in line and "bad.toml" in line for line in caught.value.lines())


# --- reason codes ---------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["fail", "extended", "deferred", "withdrawn"])
def test_a_decision_other_than_a_pass_needs_a_reason_code(tmp_path: Path, outcome: Outcome) -> None:
    # Break: return False from progression.needs_reason -> the decision is accepted.
    path = make(tmp_path)
    before = path.read_bytes()
    until = D(2027, 3, 1) if outcome in ("extended", "deferred") else None
    with pytest.raises(TransitionError) as caught, editing(path) as ed:
        ed.decide(outcome, D(2026, 9, 1), by="R. Singh", until=until)
    line = caught.value.lines()[0]
    assert "reason" in line
    assert all(code in line for code in FW.reasons_for(outcome))
    assert path.read_bytes() == before


def test_an_unknown_reason_code_is_refused_listing_the_codes(tmp_path: Path) -> None:
    path = make(tmp_path)
    with pytest.raises(TransitionError) as caught, editing(path) as ed:
        ed.decide("fail", D(2026, 9, 1), by="R. Singh", reason="absence")  # not one for a fail
    assert caught.value.lines() == [
        (
            f"{path}: reason: not a reason code for 'fail' "
            "(allowed: standards-not-met, capability) (got 'absence')"
        )
    ]


def test_a_reason_code_is_kept_and_a_pass_needs_none(tmp_path: Path) -> None:
    path = make(tmp_path, "asye")
    with editing(path) as ed:
        ed.decide("extended", D(2026, 8, 1), by="R", until=D(2026, 12, 1), reason="absence")
        ed.decide("pass", D(2026, 11, 20), by="R")
    assert [d.reason for d in read(path).decisions] == ["absence", None]


def test_records_from_before_reason_codes_stay_valid() -> None:
    # A migrated record (examples/records/extended.toml) has an extension without a reason.
    from ecf.store import read_record  # noqa: PLC0415 - only this test reads a shipped file

    old = read_record("examples/records/extended.toml")
    assert any(d.reason is None and d.outcome == "extended" for d in old.decisions)
    assert check_record(old, REGISTRY, D(2027, 6, 1)) == []


def test_a_hand_written_decision_without_its_reason_is_invalid(tmp_path: Path) -> None:
    # Break: drop the missing-reason check of validation._check_reason -> no problem found.
    record = read(make(tmp_path))
    import attrs  # noqa: PLC0415 - evolve a record as a hand edit would

    by_hand = attrs.evolve(record, decisions=(Decision("ecf-1", "fail", D(2026, 9, 1), "R"),))
    problems = [str(p) for p in check_record(by_hand, REGISTRY, D(2027, 6, 1))]
    assert problems == [
        (
            "decisions[0].reason: a 'fail' decision gives a reason code "
            "(for 'fail': standards-not-met, capability)"
        )
    ]


# --- progressed -----------------------------------------------------------------------------


def test_progressed_ends_ecf_1_and_ecf_2_follows(tmp_path: Path) -> None:
    # Break: set `opens = false` on `progressed` in baseline-2026.toml -> advance is refused.
    path = make(tmp_path)
    with editing(path) as ed:
        ed.decide("progressed", D(2026, 9, 1), by="R. Singh")
        ed.advance("ecf-2", D(2026, 9, 2))
    record = read(path)
    assert [e.stage for e in record.enrolments] == ["ecf-1", "ecf-2"]
    assert check_record(record, REGISTRY, D(2027, 6, 1)) == []


def test_progressed_is_not_an_outcome_of_the_asye(tmp_path: Path) -> None:
    path = make(tmp_path, "asye")
    with pytest.raises(TransitionError) as caught, editing(path) as ed:
        ed.decide("progressed", D(2026, 9, 1), by="R. Singh")
    assert caught.value.lines()[0].startswith(
        f"{path}: outcome: not an outcome of 'asye' (allowed: pass,"
    )


def test_a_stage_after_progressed_does_not_overlap(tmp_path: Path) -> None:
    path = make(tmp_path)
    with editing(path) as ed:
        ed.decide("progressed", D(2026, 9, 1), by="R. Singh")
    with pytest.raises(TransitionError, match="stages never overlap"), editing(path) as ed:
        ed.advance("ecf-2", D(2026, 9, 1))


# --- the appeal window ----------------------------------------------------------------------


def test_the_window_skips_christmas_and_new_year() -> None:
    # A fail on Monday 21 December 2026.  Working days after it, weekends and England's bank
    # holidays not counted (Christmas Fri 25 Dec, Boxing Day Sat 26 Dec -> substitute Mon 28 Dec,
    # New Year's Day Fri 1 Jan 2027):
    #   Tue 22 (1), Wed 23 (2), Thu 24 (3); Tue 29 (4), Wed 30 (5), Thu 31 (6);
    #   Mon 4 Jan (7) ... Fri 8 (11); Mon 11 (12) ... Fri 15 (16); Mon 18 (17), Tue 19 (18),
    #   Wed 20 (19), Thu 21 (20).
    # Break: count every weekday (drop the holiday test in appeals.window_end) -> 2027-01-18.
    assert window_end(ENGLAND, D(2026, 12, 21)) == D(2027, 1, 21)


def test_the_window_in_an_ordinary_month() -> None:
    # Tue 1 September 2026 (after the Late Summer bank holiday, Mon 31 Aug): four weeks of five
    # working days is Tue 29 September.
    assert window_end(ENGLAND, D(2026, 9, 1)) == D(2026, 9, 29)
    # Over Easter 2027 (Good Friday 26 Mar, Easter Monday 29 Mar): the weekdays after Thursday
    # 11 March less those two, the 20th of them.
    days = [D(2027, 3, 11) + dt.timedelta(n) for n in range(1, 40)]
    working = [d for d in days if d.weekday() < 5 and d not in (D(2027, 3, 26), D(2027, 3, 29))]
    assert window_end(ENGLAND, D(2027, 3, 11)) == working[19]


def test_status_shows_the_window_after_a_fail_until_an_appeal_is_lodged(tmp_path: Path) -> None:
    path = failed(tmp_path)
    record = read(path)
    st = status(record, REGISTRY, D(2027, 1, 5))
    assert (st.state, st.appeal, st.appeal_until) == ("failed", None, D(2027, 1, 21))
    assert appeal_until(record, REGISTRY, D(2027, 1, 22)) is None  # the window has passed
    with editing(path) as ed:
        ed.appeal("dec-1", lodged=D(2027, 1, 6))
    st = status(read(path), REGISTRY, D(2027, 1, 7))
    assert st.appeal_until is None
    assert st.appeal is not None
    assert (st.appeal.decision, st.appeal.lodged, st.appeal.outcome) == (
        "dec-1",
        D(2027, 1, 6),
        None,
    )


def test_an_appeal_after_the_window_is_refused(tmp_path: Path) -> None:
    path = failed(tmp_path)
    with pytest.raises(TransitionError) as caught, editing(path) as ed:
        ed.appeal("dec-1", lodged=D(2027, 1, 22))
    assert caught.value.lines() == [
        f"{path}: lodged: is after the appeal window's last day (2027-01-21) (got 2027-01-22)"
    ]


# --- appeals --------------------------------------------------------------------------------


def test_decision_refs_are_1_based_places() -> None:
    record_decisions = (Decision("asye", "pass", D(2026, 9, 1), "R"),)

    class R:
        decisions = record_decisions

    assert decision_by_ref(R, "dec-1") == (0, record_decisions[0])  # type: ignore[arg-type]
    for bad in ("dec-0", "dec-2", "1", "dec-01", "DEC-1", ""):
        assert decision_by_ref(R, bad) is None, bad  # type: ignore[arg-type]


def test_an_appeal_of_an_unknown_decision_changes_nothing(tmp_path: Path) -> None:
    # Break: make records.decision_by_ref accept any index (wrap around) -> no error.
    path = failed(tmp_path, SEPTEMBER)
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["appeal", str(path), "dec-7", "--lodged", "2026-09-10"])
    assert result.exit_code == 2
    assert result.output == (
        f"error: {path}: decision: unknown decision (known: dec-1) (got 'dec-7')\n"
    )
    assert path.read_bytes() == before


def test_an_outcome_without_lodging_is_refused(tmp_path: Path) -> None:
    # Break: in appeals.close_appeal, append a new appeal when none was lodged -> accepted.
    path = failed(tmp_path, SEPTEMBER)
    before = path.read_bytes()
    result = CliRunner().invoke(
        cli,
        ["appeal", str(path), "dec-1", "--outcome", "upheld", "--date", "2026-09-10", "--by", "P"],
    )
    assert result.exit_code == 2
    assert "no appeal was lodged against it" in result.output
    assert result.output.count("\n") == 1
    assert path.read_bytes() == before


def test_lodging_twice_and_deciding_twice_are_refused(tmp_path: Path) -> None:
    path = failed(tmp_path)
    with editing(path) as ed:
        ed.appeal("dec-1", lodged=D(2027, 1, 6))
    with pytest.raises(TransitionError, match="already appealed"), editing(path) as ed:
        ed.appeal("dec-1", lodged=D(2027, 1, 7))
    with editing(path) as ed:
        ed.appeal("dec-1", outcome="dismissed", date=D(2027, 2, 1), by="Appeal panel")
    with pytest.raises(TransitionError, match="already dismissed"), editing(path) as ed:
        ed.appeal("dec-1", outcome="upheld", date=D(2027, 2, 2), by="Appeal panel")


def test_both_or_neither_of_lodged_and_outcome_is_refused(tmp_path: Path) -> None:
    path = failed(tmp_path)
    with pytest.raises(RecordError), editing(path) as ed:
        ed.appeal("dec-1")
    with pytest.raises(RecordError), editing(path) as ed:
        ed.appeal("dec-1", lodged=D(2027, 1, 6), outcome="upheld", date=D(2027, 1, 7), by="P")


def test_a_dismissed_appeal_leaves_the_fail_in_force(tmp_path: Path) -> None:
    path = failed(tmp_path)
    with editing(path) as ed:
        ed.appeal("dec-1", lodged=D(2027, 1, 6))
        ed.appeal("dec-1", outcome="dismissed", date=D(2027, 2, 1), by="Appeal panel")
    record = read(path)
    assert status(record, REGISTRY, D(2027, 2, 2)).state == "failed"
    with pytest.raises(TransitionError, match="is closed"), editing(path) as ed:
        ed.decide("pass", D(2027, 2, 3), by="R")


def test_an_upheld_appeal_against_a_fail_reopens_the_stage(tmp_path: Path) -> None:
    # The decision: an upheld appeal sets the fail aside; it stays recorded, the stage is open
    # again (awaiting a decision), and people record a new one with `ecf decide`.
    # Break: ignore appeals in progression.overturned (return False) -> still 'failed', and the
    # new decision is refused as on a closed stage.
    path = failed(tmp_path)
    with editing(path) as ed:
        ed.appeal("dec-1", lodged=D(2027, 1, 6))
        ed.appeal("dec-1", outcome="upheld", date=D(2027, 2, 1), by="Appeal panel")
    record = read(path)
    assert status(record, REGISTRY, D(2027, 1, 31)).state == "failed"  # not upheld yet then
    assert status(record, REGISTRY, D(2027, 1, 31)).appeal is not None
    after = status(record, REGISTRY, D(2027, 2, 2))
    assert (after.state, after.appeal, after.appeal_until) == ("awaiting-decision", None, None)
    with editing(path) as ed:
        ed.decide("progressed", D(2027, 2, 10), by="R. Singh")
        ed.advance("ecf-2", D(2027, 2, 11))
    record = read(path)
    assert [d.outcome for d in record.decisions] == ["fail", "progressed"]
    assert check_record(record, REGISTRY, D(2027, 6, 1)) == []


def test_an_appeal_in_a_file_is_checked() -> None:
    import attrs  # noqa: PLC0415

    from ecf.records import Appeal  # noqa: PLC0415

    record = _failed_record()
    bad = attrs.evolve(
        record,
        appeals=(
            Appeal("dec-9", D(2027, 1, 6)),
            Appeal("dec-1", D(2026, 12, 1)),
            Appeal("dec-1", D(2027, 1, 6), "upheld", None, "P"),
        ),
    )
    problems = [str(p) for p in check_record(bad, REGISTRY, D(2027, 6, 1))]
    assert problems == [
        "appeals[0].decision: unknown decision (got 'dec-9')",
        "appeals[1].lodged: is before the decision (2026-12-21) (got 2026-12-01)",
        "appeals[2].decision: already appealed (got 'dec-1')",
        "appeals[2]: an appeal's outcome has its date (got 'upheld')",
    ]


def _failed_record() -> Record:
    import tempfile  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as folder:
        return read(failed(Path(folder)))


def test_the_cli_records_an_appeal_and_status_shows_it(tmp_path: Path) -> None:
    path = failed(tmp_path, SEPTEMBER)
    runner = CliRunner()
    shown = runner.invoke(cli, ["status", str(path), "--as-of", "2026-09-05"])
    assert "Appeal window: an appeal may be lodged until 2026-09-29" in shown.output
    lodged = runner.invoke(cli, ["appeal", str(path), "dec-1", "--lodged", "2026-09-10"])
    assert lodged.output == "ap-1: appeal against dec-1 lodged on 2026-09-10\n"
    shown = runner.invoke(cli, ["status", str(path), "--as-of", "2026-09-11"])
    assert "Appeal: against dec-1, lodged 2026-09-10, open" in shown.output
    as_json = runner.invoke(cli, ["status", str(path), "--as-of", "2026-09-11", "--json"])
    assert '"appeal_until": null' in as_json.output
    assert '"lodged": "2026-09-10"' in as_json.output
    upheld = runner.invoke(
        cli,
        ["appeal", str(path), "dec-1", "--outcome", "upheld", "--date", "2026-10-01", "--by", "P"],
    )
    assert upheld.output == "ap-1: appeal against dec-1 upheld on 2026-10-01\n"
    verified = runner.invoke(cli, ["verify", str(path)])
    assert verified.exit_code == 0, verified.output


def test_the_timeline_names_decisions_as_appeals_do(tmp_path: Path) -> None:
    path = failed(tmp_path, SEPTEMBER)
    with editing(path, september) as ed:
        ed.appeal("dec-1", lodged=D(2026, 9, 10))
    shown = CliRunner().invoke(cli, ["timeline", str(path)]).output
    assert "Decision dec-1: fail [standards-not-met], by R. Singh" in shown
    assert "2026-09-10  Appeal against dec-1 lodged" in shown


def test_state_of_a_stage_asks_the_framework() -> None:
    record = _failed_record()
    from ecf.progression import timeline_for  # noqa: PLC0415

    assert record.current is not None
    tl = timeline_for(record, record.current, REGISTRY)
    assert stage_state(record, tl, D(2027, 1, 1), FW) == "failed"


# --- CPD after a first registration on or after 1 September ---------------------------------


@pytest.mark.parametrize(
    ("registered", "due"),
    [
        (D(2026, 8, 31), True),  # before 1 September: CPD is due at the 2026 renewal
        (D(2026, 9, 1), False),  # on 1 September: only the fee at that renewal
        (D(2026, 11, 30), False),  # the year's last day
        (D(2025, 12, 1), True),  # the year's first day
        (D(2025, 9, 1), True),  # 1 September of the year before: CPD due this year
        (None, True),
    ],
)
def test_no_cpd_is_due_in_the_year_of_a_registration_from_1_september(
    registered: dt.date | None, due: bool
) -> None:
    # SWE (FACTS.md 6): those who joined the register on or after 1 September of a registration
    # year owe no CPD at that year's renewal.  Break: drop the registered test in
    # workforce.cpd_readiness -> 1 Sep and 30 Nov are due (and not ready).
    import attrs  # noqa: PLC0415

    record = attrs.evolve(_failed_record(), registered=registered, evidence=())
    result = cpd_readiness(record, D(2026, 11, 1))
    assert (result.due, result.ready) == (due, not due)
    if not due:
        assert "no CPD is due at its renewal" in result.message
