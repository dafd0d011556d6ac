"""The people around the practitioner: dated assignments of assessor, supervisor, coordinator.

A new assignment of a role ends the previous one of that role the day before.  Status and cohort
rows show the assessor on the date; ``ecf cohort --assessor`` and ``ecf calendar --assessor``
give an assessor their own queue and calendar.  An assessor's name is a colleague's personal
data: pseudonymised exports drop it, anonymisation blanks it, an assessor plugin does not see it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import attrs
import pytest
from click.testing import CliRunner

import ecf
from ecf.agreements import assessor_on, in_role
from ecf.cli import main
from ecf.cohort import row_for
from ecf.errors import RecordError
from ecf.history import verify
from ecf.privacy import anonymise, view
from ecf.records import Assignment, HistoryEntry
from ecf.status import events, status
from ecf.validation import check_record

if TYPE_CHECKING:
    from pathlib import Path

    from ecf.framework import FrameworkRegistry

START = dt.date(2025, 9, 1)
TODAY = dt.date(2026, 11, 30)
D = dt.date
KEY = "0123456789abcdef0123456789"


def run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--user", "hr", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def new(path: Path, registry: FrameworkRegistry, record_id: str = "t1") -> None:
    ecf.create(
        path,
        id=record_id,
        name="Sam Example",
        qualified=D(2025, 7, 1),
        stage="asye",
        start=START,
        by="hr",
        registry=registry,
        today=TODAY,
    )


def assign(path: Path, registry: FrameworkRegistry, role: str, name: str, from_: dt.date) -> None:
    with ecf.edit(path, by="hr", registry=registry, today=TODAY) as editor:
        editor.assign(role, name, from_)  # type: ignore[arg-type]


@pytest.fixture
def folder(tmp_path: Path, registry: FrameworkRegistry) -> Path:
    """Two records: t1 assessed by Jo Smith then Sam Lee, t2 by Jo Smith throughout."""
    records = tmp_path / "records"
    records.mkdir()
    new(records / "t1.toml", registry, "t1")
    new(records / "t2.toml", registry, "t2")
    assign(records / "t1.toml", registry, "assessor", "Jo Smith", START)
    assign(records / "t1.toml", registry, "assessor", "Sam Lee", D(2026, 1, 5))
    assign(records / "t2.toml", registry, "assessor", "Jo Smith", START)
    assign(records / "t2.toml", registry, "supervisor", "Kim Park", START)
    return records


def test_a_new_assignment_ends_the_previous_one_of_its_role(folder: Path) -> None:
    record = ecf.read_record(folder / "t1.toml")
    assert record.assignments == (
        Assignment("assessor", "Jo Smith", START, D(2026, 1, 4), id="as-1"),
        Assignment("assessor", "Sam Lee", D(2026, 1, 5), id="as-2"),
    )
    assert [
        assessor_on(record, d) for d in (D(2025, 8, 31), START, D(2026, 1, 4), D(2026, 1, 5))
    ] == [
        None,
        "Jo Smith",
        "Jo Smith",
        "Sam Lee",
    ]
    detail = record.history[-1].detail
    assert detail == "assessor from 2026-01-05 (the previous one's last day: 2026-01-04)"
    assert "Sam" not in detail  # names stay out of the history's detail


def test_roles_are_independent(folder: Path) -> None:
    record = ecf.read_record(folder / "t2.toml")
    assert assessor_on(record, TODAY) == "Jo Smith"
    supervisor = in_role(record, "supervisor", TODAY)
    assert supervisor is not None
    assert supervisor.name == "Kim Park"
    assert in_role(record, "coordinator", TODAY) is None


def test_status_and_cohort_rows_show_the_current_assessor(
    folder: Path, registry: FrameworkRegistry
) -> None:
    record = ecf.read_record(folder / "t1.toml")
    assert status(record, registry, D(2025, 12, 1)).assessor == "Jo Smith"
    assert status(record, registry, D(2026, 2, 1)).assessor == "Sam Lee"
    assert row_for(record, registry, D(2026, 2, 1)).assessor == "Sam Lee"


def test_cohort_assessor_gives_an_assessor_their_own_queue(folder: Path) -> None:
    code, out, _ = run(
        "cohort", folder, "--as-of", "2026-02-01", "--assessor", "jo SMITH", "--format", "json",
        "--no-cache",
    )  # fmt: skip
    assert code == 0, out
    rows = json.loads(out)["records"]
    assert [(r["id"], r["assessor"]) for r in rows] == [("t2", "Jo Smith")]
    code, out, _ = run(
        "cohort", folder, "--as-of", "2025-12-01", "--assessor", "Jo Smith", "--format", "csv",
        "--no-cache",
    )  # fmt: skip
    assert code == 0, out
    lines = out.strip().splitlines()
    assert lines[0].endswith(",assessor")
    assert [line.split(",")[0] for line in lines[1:]] == ["t1", "t2"]


def test_an_unknown_assessor_gives_an_empty_queue_and_a_note(folder: Path) -> None:
    code, out, err = run(
        "cohort", folder, "--as-of", "2026-02-01", "--assessor", "Nobody", "--format", "json",
        "--no-cache",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out)["records"] == []
    assert "note: no record has this assessor on 2026-02-01" in err


def test_calendar_assessor_gives_an_assessor_their_own_calendar(folder: Path) -> None:
    code, out, err = run("calendar", folder, "--as-of", "2026-02-01", "--assessor", "sam lee")
    assert code == 0, err
    uids = [line for line in out.splitlines() if line.startswith("UID:")]
    assert uids
    assert all(line.startswith("UID:t1-") for line in uids)
    assert "Sam Lee" not in out  # the calendar names records by id, never people
    code, out, err = run("calendar", folder, "--as-of", "2026-02-01", "--assessor", "Nobody")
    assert code == 0
    assert "BEGIN:VEVENT" not in out
    assert "note: no record has this assessor" in err


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "table"])
def test_pseudonymised_exports_hold_no_assessor_name(folder: Path, fmt: str) -> None:
    code, out, err = run(
        "cohort", folder, "--as-of", "2026-02-01", "--format", fmt, "--pseudonymise", "--no-cache",
        "--key-file", _key(folder),
    )  # fmt: skip
    assert code == 0, err
    assert "Jo Smith" not in out
    assert "Sam Lee" not in out
    assert "assessor" not in out
    code, out, err = run("cohort", folder, "--as-of", "2026-02-01", "--format", fmt, "--no-cache")
    assert "Sam Lee" in out  # HR's own (not pseudonymised) report names the assessor


def _key(folder: Path) -> Path:
    key = folder.parent / "key"
    key.write_text(KEY)
    return key


def test_the_timeline_shows_assignments(folder: Path, registry: FrameworkRegistry) -> None:
    found = [
        (e.date, e.text)
        for e in events(ecf.read_record(folder / "t1.toml"), registry)
        if e.kind == "assignment"
    ]
    assert found == [
        (START, "Assessor: Jo Smith (as-1)"),
        (D(2026, 1, 4), "Assessor Jo Smith: last day"),
        (D(2026, 1, 5), "Assessor: Sam Lee (as-2)"),
    ]


def test_anonymise_blanks_names_and_agreed_notes(folder: Path, registry: FrameworkRegistry) -> None:
    path = folder / "t1.toml"
    with ecf.edit(path, by="hr", registry=registry, today=TODAY) as editor:
        editor.agree("review-3m", D(2025, 12, 5), note="Sam asked for a later date")
    record = ecf.read_record(path)
    entry = HistoryEntry(dt.datetime(2026, 11, 30, tzinfo=dt.UTC), "dpo", "anonymise")
    done = anonymise(record, entry, [registry.get(record.enrolments[0].framework)])
    assert [a.name for a in done.assignments] == ["anonymised", "anonymised"]
    assert [(a.from_, a.to) for a in done.assignments] == [
        (a.from_, a.to) for a in record.assignments
    ]
    assert [(a.due, a.note) for a in done.agreed] == [(D(2025, 12, 5), None)]


def test_an_assessor_plugin_does_not_see_names_unless_it_declares_them(folder: Path) -> None:
    record = ecf.read_record(folder / "t1.toml")
    assert [a.name for a in view(record).assignments] == ["", ""]
    assert [a.name for a in view(record, {"assignments.name"}).assignments] == [
        "Jo Smith",
        "Sam Lee",
    ]


# --- bad input ----------------------------------------------------------------------------------


def test_an_assignment_out_of_order_exits_2_with_the_file_unchanged(folder: Path) -> None:
    path = folder / "t1.toml"
    before = path.read_bytes()
    code, _, err = run(
        "assign", path, "--role", "assessor", "--name", "Zed Quill", "--from", "2026-01-05"
    )
    assert code == 2
    why = "assignments of a role follow one another (got 2026-01-05)"
    line = f"error: {path}: assignments.from: must be after the current assessor's first day "
    assert err.strip().splitlines() == [f"{line}(2026-01-05): {why}"]
    assert "Zed" not in err  # the name is never shown
    assert path.read_bytes() == before


def test_a_closed_record_refuses_an_assignment(folder: Path, registry: FrameworkRegistry) -> None:
    path = folder / "t2.toml"
    with ecf.edit(path, by="hr", registry=registry, today=TODAY) as editor:
        editor.leave(D(2026, 1, 10), "resigned")
    before = path.read_bytes()
    code, _, err = run("assign", path, "--role", "assessor", "--name", "Al", "--from", "2026-02-01")
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"error: {path}: left: the practitioner left on 2026-01-10")
    assert path.read_bytes() == before


def test_the_library_refuses_an_unknown_role_and_an_empty_name(
    folder: Path, registry: FrameworkRegistry
) -> None:
    path = folder / "t1.toml"
    with (
        pytest.raises(RecordError, match="unknown role"),
        ecf.edit(path, by="hr", registry=registry, today=TODAY) as editor,
    ):
        editor.assign("mentor", "Al", D(2026, 2, 1))  # type: ignore[arg-type]
    with (
        pytest.raises(RecordError, match=r"assignments\[2\]\.name: must not be empty"),
        ecf.edit(path, by="hr", registry=registry, today=TODAY) as editor,
    ):
        editor.assign("coordinator", " ", D(2026, 2, 1))


def test_a_hand_edited_file_with_overlapping_assignments_is_invalid(
    folder: Path, registry: FrameworkRegistry
) -> None:
    record = ecf.read_record(folder / "t1.toml")
    overlapping = attrs.evolve(
        record,
        assignments=(
            Assignment("assessor", "Jo Smith", START),
            Assignment("assessor", "Sam Lee", D(2026, 1, 5)),
            Assignment("coordinator", "Ann", D(2026, 2, 5), D(2026, 2, 1)),
        ),
    )
    problems = [(p.path, p.message) for p in check_record(overlapping, registry, TODAY)]
    assert problems == [
        ("assignments[0].to", "must end before the next assessor starts (2026-01-05)"),
        ("assignments[2].to", "is before its first day (2026-02-05)"),
    ]


def test_the_file_keeps_a_blank_line_between_tables_after_an_assignment_ends(folder: Path) -> None:
    text = (folder / "t1.toml").read_text()
    assert "to = 2026-01-04\n\n[[assignments]]" in text
    assert 'id = "as-2"\n\n[[history]]' in text


def test_an_assignment_is_corrected_by_its_id_and_verify_stays_intact(folder: Path) -> None:
    path = folder / "t1.toml"
    result = CliRunner().invoke(
        main, ["--user", "t", "correct", str(path), "as-1", "--name", "Jo Smyth", "--reason", "x"]
    )
    assert result.exit_code == 0, result.output
    assert result.output == "t1: as-1 corrected: name changed; x\n"  # the old name is not shown
    record = ecf.read_record(path)
    assert record.assignments[0].name == "Jo Smyth"
    assert verify(record) == []
