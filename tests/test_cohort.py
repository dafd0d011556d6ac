"""Cohorts: loading many records (folders, rows), one bad record never sinks the rest, filters,
summaries, the multi-process scan, and ``ecf cohort`` end to end.

Every run of ``ecf cohort`` or of :func:`ecf.cohort.scan` with a cache points the cache at the
test's own folder, never at ``~/.cache``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from click.testing import CliRunner, Result

from ecf import cohort
from ecf._convert import to_json
from ecf.cli import main
from ecf.cohort import CohortRow, Failure, ScanOptions
from ecf.errors import EcfError
from ecf.framework import FrameworkRegistry
from ecf.records import Absence, Decision, Enrolment, HeldMilestone, Record
from ecf.store import render

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synth  # the benchmarks folder is put on the path just above

REGISTRY = FrameworkRegistry.default()
FW = "baseline-2026"
#: "Today" for the loaders (synthetic records are all dated before it).
TODAY = synth.TODAY
#: The as-of date of the hand-built cohort.
AS_OF = dt.date(2025, 11, 20)
EXAMPLE_COUNCIL = Path(__file__).resolve().parents[1] / "examples" / "councils" / "baseline.toml"
ROOT_CAN_READ_ANYTHING = hasattr(os, "geteuid") and os.geteuid() == 0


def make(
    record_id: str,
    *,
    council: str,
    team: str | None,
    qualified: dt.date,
    enrolments: list[tuple[str, dt.date]],
    held: list[tuple[str, str, dt.date]] | None = None,
    decisions: list[tuple[str, str, dt.date]] | None = None,
) -> Record:
    return Record(
        schema_version=1,
        id=record_id,
        name=f"Person {record_id.upper()}",
        qualified=qualified,
        service="children",
        council=council,
        enrolments=tuple(Enrolment(stage, start, FW) for stage, start in enrolments),
        milestones=tuple(HeldMilestone(s, m, d) for s, m, d in held or []),
        decisions=tuple(
            Decision(stage, outcome, day, "Panel chair")  # type: ignore[arg-type]
            for stage, outcome, day in decisions or []
        ),
        extra={"team": team} if team else {},
    )


#: asye full time from 2025-09-01: agreement due 2025-10-01 (held), review-3m due 2025-12-01.
A = make(
    "a-north",
    council="E1",
    team="north",
    qualified=dt.date(2025, 6, 1),
    enrolments=[("asye", dt.date(2025, 9, 1))],
    held=[("asye", "agreement", dt.date(2025, 10, 1))],
)
#: The same, but the agreement meeting never took place: one milestone overdue.
B = make(
    "b-south",
    council="E2",
    team="south",
    qualified=dt.date(2025, 6, 1),
    enrolments=[("asye", dt.date(2025, 9, 1))],
)
#: ecf-2 from 2025-07-01 after an asye pass; review-3m held, review-6m due 2026-01-01.
C = make(
    "c-ecf2",
    council="E1",
    team="south",
    qualified=dt.date(2024, 5, 1),
    enrolments=[("asye", dt.date(2024, 6, 3)), ("ecf-2", dt.date(2025, 7, 1))],
    held=[("ecf-2", "review-3m", dt.date(2025, 10, 1))],
    decisions=[("asye", "pass", dt.date(2025, 6, 16))],
)
#: asye passed in January 2025: closed, nothing next, nothing overdue.
D = make(
    "d-passed",
    council="E3",
    team=None,
    qualified=dt.date(2023, 7, 1),
    enrolments=[("asye", dt.date(2024, 1, 8))],
    decisions=[("asye", "pass", dt.date(2025, 1, 20))],
)
COHORT = (A, B, C, D)


@pytest.fixture(autouse=True)
def cache_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The record cache of every test goes to the test's folder, and no key is set."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("ECF_CACHE_DIR", str(folder))
    monkeypatch.delenv("ECF_PSEUDONYM_KEY", raising=False)
    return folder


def write(path: Path, record: Record) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(record), encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The hand-built cohort in nested folders, and hidden files and folders to be skipped."""
    root = tmp_path / "records"
    write(root / "a-north.toml", A)
    write(root / "b-south.toml", B)
    write(root / "south" / "c-ecf2.toml", C)
    write(root / "archive" / "2025" / "d-passed.toml", D)
    hidden = attrs.evolve(A, id="hidden-1")
    write(root / ".trash" / "hidden-1.toml", hidden)
    write(root / ".hidden-2.toml", attrs.evolve(A, id="hidden-2"))
    (root / "notes.txt").write_text("not a record", encoding="utf-8")
    return root


def row_ids(rows: list[CohortRow]) -> list[str]:
    return [r.id for r in rows]


def expected_rows() -> dict[str, CohortRow]:
    return {r.id: r for r in cohort.rows(COHORT, AS_OF, REGISTRY)}


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


# --- loading a folder -----------------------------------------------------------------------


def test_record_files_are_found_recursively_in_a_stable_order_without_hidden_ones(
    folder: Path,
) -> None:
    found = [p.relative_to(folder).as_posix() for p in cohort.record_files(folder)]
    assert found == [
        "a-north.toml",
        "b-south.toml",
        "archive/2025/d-passed.toml",
        "south/c-ecf2.toml",
    ]


def test_load_folder_reads_nested_folders_and_skips_hidden_files(folder: Path) -> None:
    loaded = cohort.load_folder(folder, REGISTRY, TODAY)
    assert loaded.failures == ()
    assert [r.id for r in loaded.records] == ["a-north", "b-south", "d-passed", "c-ecf2"]
    assert loaded.sources == tuple(str(p) for p in cohort.record_files(folder))
    assert loaded.records[0] == A


def test_load_folder_refuses_something_that_is_not_a_folder(tmp_path: Path) -> None:
    path = write(tmp_path / "a.toml", A)
    with pytest.raises(EcfError, match="not a folder"):
        cohort.load_folder(path, REGISTRY, TODAY)


def test_load_folder_counts_progress_per_file(folder: Path) -> None:
    ticks: list[int] = []
    cohort.load_folder(folder, REGISTRY, TODAY, progress=ticks.append)
    assert ticks == [1, 1, 1, 1]


def bad_folder(root: Path) -> dict[str, str]:
    """Two good records and one file of each kind of bad; returns each bad file's reason."""
    write(root / "good" / "a-north.toml", A)
    write(root / "good" / "deeper" / "b-south.toml", B)
    (root / "malformed.toml").write_text('id = "unterminated\n', encoding="utf-8")
    typed = render(C).replace("qualified = 2024-05-01", 'qualified = "last spring"')
    assert typed != render(C)
    (root / "types.toml").write_text(typed, encoding="utf-8")
    future = attrs.evolve(
        D, milestones=(HeldMilestone("asye", "agreement", TODAY + dt.timedelta(days=30)),)
    )
    write(root / "sub" / "future.toml", future)
    (root / "latin1.toml").write_bytes('name = "Zoë"\n'.encode("latin-1"))
    (root / "gone.toml").symlink_to(root / "nowhere.toml")
    return {
        str(root / "malformed.toml"): "not valid TOML",
        str(root / "types.toml"): "qualified: invalid date",
        str(root / "sub" / "future.toml"): "milestones[0].date: is in the future",
        str(root / "latin1.toml"): "not UTF-8 text",
        str(root / "gone.toml"): "no such file",
    }


def load_with_load_folder(root: Path, cache: Path) -> tuple[list[str], list[Failure]]:
    del cache
    loaded = cohort.load_folder(root, REGISTRY, TODAY)
    return [r.id for r in loaded.records], list(loaded.failures)


def load_with_scan(root: Path, cache: Path) -> tuple[list[str], list[Failure]]:
    options = ScanOptions(as_of=AS_OF, today=TODAY, cache_dir=str(cache))
    found, failures = cohort.scan(cohort.record_files(root), options, workers=1)
    return row_ids(found), failures


LOADERS = [load_with_load_folder, load_with_scan]


@pytest.mark.parametrize("load", LOADERS, ids=["load_folder", "scan"])
def test_each_bad_file_is_reported_once_with_its_path_and_reason_and_the_rest_is_processed(
    tmp_path: Path, load: Callable[[Path, Path], tuple[list[str], list[Failure]]]
) -> None:
    reasons = bad_folder(tmp_path / "records")
    ids, failures = load(tmp_path / "records", tmp_path / "cache")
    assert sorted(ids) == ["a-north", "b-south"]
    assert sorted(f.source for f in failures) == sorted(reasons)
    for failure in failures:
        assert len(failure.problems) == 1, failure
        (line,) = failure.lines()
        assert line.startswith(failure.source + ": ")
        assert reasons[failure.source].lower() in line.lower(), line
        assert line.count(failure.source) == 1, line


@pytest.mark.skipif(ROOT_CAN_READ_ANYTHING, reason="root reads a file whatever its mode")
@pytest.mark.parametrize("load", LOADERS, ids=["load_folder", "scan"])
def test_an_unreadable_file_is_one_failure(
    tmp_path: Path, load: Callable[[Path, Path], tuple[list[str], list[Failure]]]
) -> None:
    root = tmp_path / "records"
    write(root / "a-north.toml", A)
    locked = write(root / "locked.toml", B)
    locked.chmod(0)
    try:
        ids, failures = load(root, tmp_path / "cache")
    finally:
        locked.chmod(0o600)
    assert ids == ["a-north"]
    assert [f.lines() for f in failures] == [[f"{locked}: cannot read: Permission denied"]]


@pytest.mark.parametrize("load", LOADERS, ids=["load_folder", "scan"])
def test_a_file_that_cannot_be_read_is_one_failure_even_for_root(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    load: Callable[[Path, Path], tuple[list[str], list[Failure]]],
) -> None:
    root = tmp_path / "records"
    write(root / "a-north.toml", A)
    locked = write(root / "locked.toml", B)
    real_read, real_open = Path.read_bytes, Path.open

    def refuse(path: Path) -> None:
        if path == locked:
            raise PermissionError(13, "Permission denied", str(path))

    def read_bytes(self: Path) -> bytes:
        refuse(self)
        return real_read(self)

    def open_(self: Path, *args: Any, **kwargs: Any) -> Any:
        refuse(self)
        return real_open(self, *args, **kwargs)

    real_os_open = os.open

    def os_open(path: Any, *args: Any, **kwargs: Any) -> int:
        refuse(Path(os.fsdecode(path)))
        return real_os_open(path, *args, **kwargs)

    # Every way of reading the file is refused, whichever a loader uses.
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(Path, "open", open_)
    monkeypatch.setattr(os, "open", os_open)
    ids, failures = load(root, tmp_path / "cache")
    assert ids == ["a-north"]
    assert [f.lines() for f in failures] == [[f"{locked}: cannot read: Permission denied"]]


# Once bugs: each made ``ecf cohort`` stop with an internal error (an OverflowError).


def test_an_open_ended_absence_does_not_sink_the_cohort(tmp_path: Path) -> None:
    root = tmp_path / "records"
    write(root / "a-north.toml", A)
    open_ended = attrs.evolve(
        B, absences=(Absence("sickness", dt.date(2025, 10, 1), dt.date(9999, 12, 31)),)
    )
    write(root / "b-south.toml", open_ended)
    options = ScanOptions(as_of=AS_OF, today=TODAY, cache_dir=str(tmp_path / "cache"))
    found, failures = cohort.scan(cohort.record_files(root), options, workers=1)
    assert row_ids(found) == ["a-north"]
    assert [p.path for f in failures for p in f.problems] == ["absences[0].last"]


def test_a_huge_fte_is_one_failure(tmp_path: Path) -> None:
    root = tmp_path / "records"
    write(root / "a-north.toml", A)
    text = render(B).replace(
        "[[enrolments]]", '[[hours]]\nfrom = 2025-09-01\nfte = "1e400"\n\n[[enrolments]]', 1
    )
    (root / "b-south.toml").write_text(text, encoding="utf-8")
    loaded = cohort.load_folder(root, REGISTRY, TODAY)
    assert [r.id for r in loaded.records] == ["a-north"]
    assert [f.problems[0].path for f in loaded.failures] == ["hours[0].fte"]


# --- rows from an HR database ---------------------------------------------------------------


def plain_rows(count: int) -> list[dict[str, Any]]:
    """Synthetic records as an HR database gives them: JSON values, dates as ISO strings."""
    return list(json.loads(json.dumps(synth.records(count), default=lambda v: v.isoformat())))


def bad_rows() -> list[dict[str, Any]]:
    rows = plain_rows(5)
    rows[1]["evidence"][2]["date"] = "31/12/2025"
    rows[3]["qualified"] = 5
    rows[4]["evidence"][0]["date"] = (TODAY + dt.timedelta(days=1)).isoformat()
    return rows


def test_load_rows_reports_each_bad_row_by_number_and_field_and_loads_the_rest() -> None:
    loaded = cohort.load_rows(bad_rows(), REGISTRY, TODAY)
    assert [r.id for r in loaded.records] == ["r000000", "r000002"]
    assert loaded.sources == ("row 1", "row 3")
    assert [f.source for f in loaded.failures] == ["row 2", "row 4", "row 5"]
    lines = [f.lines() for f in loaded.failures]
    assert lines[0] == [
        "row 2: evidence[2].date: invalid date, expected YYYY-MM-DD (got '31/12/2025')"
    ]
    assert lines[1] == ["row 4: qualified: expected a date (YYYY-MM-DD) (got 5)"]
    assert len(lines[2]) == 1
    assert lines[2][0].startswith(f"row 5: evidence[0].date: is in the future (today is {TODAY})")


def test_rows_of_plain_data_equal_rows_of_the_same_records_as_files(tmp_path: Path) -> None:
    synth.generate(tmp_path, 6)
    from_files = cohort.load_folder(tmp_path, REGISTRY, TODAY)
    from_rows = cohort.load_rows(plain_rows(6), REGISTRY, TODAY)
    assert from_files.failures == from_rows.failures == ()
    assert from_rows.records == from_files.records


def test_stream_yields_rows_and_failures_in_order() -> None:
    data = bad_rows()
    items = list(cohort.stream(data, AS_OF, REGISTRY, today=TODAY))
    assert [type(i).__name__ for i in items] == [
        "CohortRow",
        "Failure",
        "CohortRow",
        "Failure",
        "Failure",
    ]
    failures = [i for i in items if isinstance(i, Failure)]
    assert [f.source for f in failures] == ["row 2", "row 4", "row 5"]
    assert failures[0].problems[0].path == "evidence[2].date"
    assert failures[1].problems[0].path == "qualified"
    loaded = cohort.load_rows(data, REGISTRY, TODAY)
    assert [i for i in items if isinstance(i, CohortRow)] == list(
        cohort.rows(loaded.records, AS_OF, REGISTRY)
    )


def test_stream_is_lazy() -> None:
    data = plain_rows(3)
    taken: list[int] = []

    def source() -> Iterator[dict[str, Any]]:
        for number, row in enumerate(data):
            taken.append(number)
            yield row

    items = cohort.stream(source(), AS_OF, REGISTRY, today=TODAY)
    first = next(items)
    assert isinstance(first, CohortRow)
    assert first.id == "r000000"
    assert taken == [0]


# --- rows, filters, summaries ---------------------------------------------------------------


def test_rows_of_the_hand_built_cohort() -> None:
    rows = expected_rows()
    a, b, c, d = rows["a-north"], rows["b-south"], rows["c-ecf2"], rows["d-passed"]
    assert (a.stage, a.state, a.team, a.next_milestone, a.next_due, a.overdue) == (
        "asye",
        "in-progress",
        "north",
        "review-3m",
        dt.date(2025, 12, 1),
        0,
    )
    assert a.expected_end == dt.date(2026, 9, 1)
    assert (b.overdue, b.overdue_milestones, b.next_due) == (
        1,
        ("agreement",),
        dt.date(2025, 12, 1),
    )
    assert (c.stage, c.stage_start, c.next_milestone, c.next_due) == (
        "ecf-2",
        dt.date(2025, 7, 1),
        "review-6m",
        dt.date(2026, 1, 1),
    )
    assert (d.state, d.next_milestone, d.next_due, d.overdue, d.team) == (
        "passed",
        None,
        None,
        0,
        None,
    )
    assert to_json(a)["next_due"] == "2025-12-01"
    assert to_json(b)["overdue_milestones"] == ["agreement"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"a-north", "b-south", "c-ecf2", "d-passed"}),
        ({"stage": ["asye"]}, {"a-north", "b-south", "d-passed"}),
        ({"stage": ["ecf-2", "expert"]}, {"c-ecf2"}),
        ({"state": ["passed"]}, {"d-passed"}),
        ({"state": ["in-progress"]}, {"a-north", "b-south", "c-ecf2"}),
        ({"council": ["E1"]}, {"a-north", "c-ecf2"}),
        ({"council": ["E2", "E3"]}, {"b-south", "d-passed"}),
        ({"team": ["south"]}, {"b-south", "c-ecf2"}),
        ({"team": ["north"]}, {"a-north"}),
        ({"team": ["east"]}, set()),
        ({"overdue": True}, {"b-south"}),
        ({"due_within": 11}, {"a-north", "b-south"}),
        ({"due_within": 10}, set()),
        ({"due_within": 42}, {"a-north", "b-south", "c-ecf2"}),
        ({"due_within": 41}, {"a-north", "b-south"}),
        ({"stage": ["asye"], "team": ["south"]}, {"b-south"}),
        ({"council": ["E1"], "due_within": 30}, {"a-north"}),
        ({"council": ["E1"], "overdue": True}, set()),
        ({"recommendation": ["on-track"]}, set()),
    ],
)
def test_matches_each_filter(filters: dict[str, Any], expected: set[str]) -> None:
    rows = expected_rows().values()
    assert {r.id for r in rows if cohort.matches(r, as_of=AS_OF, **filters)} == expected


def test_matches_by_recommendation() -> None:
    rows = expected_rows()
    marked = [
        attrs.evolve(rows["a-north"], recommendation="on-track"),
        attrs.evolve(rows["b-south"], recommendation="at-risk"),
        attrs.evolve(rows["c-ecf2"], recommendation="not-met"),
        rows["d-passed"],
    ]
    chosen = {r.id for r in marked if cohort.matches(r, recommendation=["at-risk", "not-met"])}
    assert chosen == {"b-south", "c-ecf2"}


def test_due_within_counts_from_as_of_and_never_includes_past_due_dates() -> None:
    row = expected_rows()["a-north"]  # review-3m due 2025-12-01
    assert cohort.matches(row, as_of=dt.date(2025, 12, 1), due_within=0)
    assert not cohort.matches(row, as_of=dt.date(2025, 12, 2), due_within=400)
    assert cohort.matches(row, as_of=dt.date(2025, 11, 1), due_within=30)
    assert not cohort.matches(row, as_of=dt.date(2025, 10, 31), due_within=30)
    today = attrs.evolve(row, next_due=dt.date.today())  # noqa: DTZ011 - matches' own default
    assert cohort.matches(today, due_within=0)


def test_summarise_counts_by_stage_state_due_and_overdue() -> None:
    summary = cohort.summarise(expected_rows().values(), AS_OF, failed=2)
    assert summary.total == 4
    assert summary.by_stage == {"asye": 3, "ecf-2": 1}
    assert summary.by_state == {"in-progress": 3, "passed": 1}
    assert summary.due_soon == 2
    assert summary.overdue == 1
    assert summary.by_recommendation == {}
    assert summary.failed == 2
    assert cohort.summarise(expected_rows().values(), AS_OF, days=42).due_soon == 3
    assert to_json(cohort.summarise([], AS_OF)) == {
        "total": 0,
        "by_stage": {},
        "by_state": {},
        "due_soon": 0,
        "overdue": 0,
        "by_recommendation": {},
        "failed": 0,
        "support_gaps": 0,
    }


# --- the multi-process scan -----------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_scan_gives_the_rows_of_rows_in_file_order(tmp_path: Path, workers: int) -> None:
    root = tmp_path / "records"
    synth.generate(root, 9)
    (root / "batch-0000" / "r000004b.toml").write_text("schema_version = [\n", encoding="utf-8")
    as_of = dt.date(2026, 6, 1)
    loaded = cohort.load_folder(root, REGISTRY, TODAY)
    want = list(cohort.rows(loaded.records, as_of, REGISTRY))
    options = ScanOptions(as_of=as_of, today=TODAY, cache_dir=str(tmp_path / "cache"))
    done: list[int] = []
    got, failures = cohort.scan(
        cohort.record_files(root), options, workers=workers, chunk=4, progress=done.append
    )
    assert got == want
    assert row_ids(got) == [f"r{n:06d}" for n in range(9)]
    assert [f.source for f in failures] == [str(root / "batch-0000" / "r000004b.toml")]
    assert done == [4, 4, 2]
    # Again, from the cache this time: the same rows.
    assert cohort.scan(cohort.record_files(root), options, workers=workers, chunk=4)[0] == want


# --- ecf cohort -----------------------------------------------------------------------------


def test_cohort_table_has_the_summary_above_the_table(folder: Path, cache_env: Path) -> None:
    result = run("cohort", str(folder), "--as-of", "2025-11-20")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "4 records as of 2025-11-20: asye 3, ecf-2 1",
        "States: in-progress 3, passed 1",
        "Due in the next 30 days: 2; overdue: 1",
        "",
    ]
    assert lines[4].split() == [
        "id",
        "council",
        "stage",
        "stage_start",
        "expected_end",
        "state",
        "next_milestone",
        "next_due",
        "overdue",
    ]
    body = [line.split() for line in lines[5:]]
    asye = ["2025-09-01", "2026-09-01"]
    ecf2 = ["2025-07-01", "2026-07-01"]
    assert body == [
        ["a-north", "E1", "asye", *asye, "in-progress", "review-3m", "2025-12-01", "0"],
        ["b-south", "E2", "asye", *asye, "in-progress", "review-3m", "2025-12-01", "1"],
        ["d-passed", "E3", "asye", "2024-01-08", "2025-01-08", "passed", "-", "-", "0"],
        ["c-ecf2", "E1", "ecf-2", *ecf2, "in-progress", "review-6m", "2026-01-01", "0"],
    ]
    assert "hidden" not in result.stdout
    assert (cache_env / "records.3.sqlite3").is_file()


def test_cohort_csv(folder: Path) -> None:
    result = run("cohort", str(folder), "--as-of", "2025-11-20", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    reader = csv.DictReader(io.StringIO(result.stdout, newline=""))
    assert reader.fieldnames == [
        "id",
        "council",
        "team",
        "stage",
        "stage_start",
        "expected_end",
        "state",
        "next_milestone",
        "next_due",
        "overdue",
        "recommendation",
        "reasons",
        "support_gaps",
        "assessor",
    ]
    rows = list(reader)
    assert [r["id"] for r in rows] == ["a-north", "b-south", "d-passed", "c-ecf2"]
    assert rows[1] == {
        "id": "b-south",
        "council": "E2",
        "team": "south",
        "stage": "asye",
        "stage_start": "2025-09-01",
        "expected_end": "2026-09-01",
        "state": "in-progress",
        "next_milestone": "review-3m",
        "next_due": "2025-12-01",
        "overdue": "1",
        "recommendation": "",
        "reasons": "",
        "assessor": "",
        "support_gaps": "",
    }
    assert rows[2]["team"] == rows[2]["next_due"] == ""


def test_cohort_json(folder: Path) -> None:
    result = run("cohort", str(folder), "--as-of", "2025-11-20", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["as_of"] == "2025-11-20"
    assert data["summary"] == {
        "total": 4,
        "by_stage": {"asye": 3, "ecf-2": 1},
        "by_state": {"in-progress": 3, "passed": 1},
        "due_soon": 2,
        "overdue": 1,
        "by_recommendation": {},
        "failed": 0,
        "support_gaps": 0,
    }
    want = expected_rows()
    assert data["records"] == [
        to_json(want[i]) for i in ["a-north", "b-south", "d-passed", "c-ecf2"]
    ]


def test_cohort_jsonl(folder: Path) -> None:
    result = run("cohort", str(folder), "--as-of", "2025-11-20", "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    objects = [json.loads(line) for line in lines]
    assert [o["id"] for o in objects] == ["a-north", "b-south", "d-passed", "c-ecf2"]
    assert objects[0]["team"] == "north"
    assert objects[1]["overdue_milestones"] == ["agreement"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--stage", "ecf-2"], ["c-ecf2"]),
        (["--stage", "asye", "--state", "passed"], ["d-passed"]),
        (["--council-code", "E1"], ["a-north", "c-ecf2"]),
        (["--team", "south"], ["b-south", "c-ecf2"]),
        (["--team", "south", "--team", "north"], ["a-north", "b-south", "c-ecf2"]),
        (["--overdue"], ["b-south"]),
        (["--due-within", "11"], ["a-north", "b-south"]),
        (["--due-within", "10"], []),
        # --recommendation without --council is an error now: tests/test_filters.py
    ],
)
def test_cohort_filters(folder: Path, options: list[str], expected: list[str]) -> None:
    result = run("cohort", str(folder), "--as-of", "2025-11-20", "--format", "jsonl", *options)
    assert result.exit_code == 0, result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == expected


def test_cohort_filters_do_not_change_the_summary(folder: Path) -> None:
    result = run("cohort", str(folder), "--as-of", "2025-11-20", "--format", "json", "--overdue")
    data = json.loads(result.stdout)
    assert [r["id"] for r in data["records"]] == ["b-south"]
    assert data["summary"]["total"] == 4


def test_cohort_exit_1_when_any_record_failed_each_failure_once(tmp_path: Path) -> None:
    root = tmp_path / "records"
    reasons = bad_folder(root)
    result = run("cohort", str(root), "--as-of", "2025-11-20", "--format", "jsonl")
    assert result.exit_code == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [
        "a-north",
        "b-south",
    ]
    errors = result.stderr.splitlines()
    assert errors[-1] == "5 of 7 records could not be read"
    assert len(errors) == 6
    for path, reason in reasons.items():
        mine = [line for line in errors if path in line]
        assert len(mine) == 1, (path, errors)
        assert mine[0].startswith(f"error: {path}: ")
        assert reason.lower() in mine[0].lower()


def test_cohort_exit_0_when_every_record_was_read(folder: Path) -> None:
    result = run("cohort", str(folder), "--as-of", "2025-11-20", "--format", "csv")
    assert (result.exit_code, result.stderr) == (0, "")


def test_cohort_pseudonymise_without_a_key_is_exit_2(folder: Path) -> None:
    result = run("cohort", str(folder), "--pseudonymise")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "ECF_PSEUDONYM_KEY" in result.stderr
    assert result.stderr.startswith("error: pseudonymising needs a key of 16 bytes or more")


def test_cohort_pseudonymised_has_no_record_id(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECF_PSEUDONYM_KEY", "k" * 32)
    for fmt in ("table", "csv", "json", "jsonl"):
        result = run(
            "cohort", str(folder), "--as-of", "2025-11-20", "--pseudonymise", "--format", fmt
        )
        assert result.exit_code == 0, result.stderr
        for record in COHORT:
            assert record.id not in result.stdout
            assert record.name not in result.stdout
        assert result.stdout.count("p-") >= 4


def test_cohort_with_a_council_adds_recommendations_and_reasons(
    folder: Path, tmp_path: Path
) -> None:
    council = EXAMPLE_COUNCIL
    if not council.is_file():
        council = tmp_path / "council.toml"
        council.write_text(
            'code = "E09000001"\nname = "Test council"\nplugins = ["baseline"]\n',
            encoding="utf-8",
        )
    common = ["cohort", str(folder), "--as-of", "2025-11-20", "--council", str(council)]
    result = run(*common, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    recommendations = {r["id"]: r["recommendation"] for r in data["records"]}
    # A missed supervision is the employer's support gap: a-north and b-south are at risk for
    # their own evidence, never not-met because of it (BASELINE.md, two kinds of finding).
    assert recommendations == {
        "a-north": "at-risk",
        "b-south": "at-risk",
        "d-passed": "not-met",
        "c-ecf2": "at-risk",
    }
    assert data["summary"]["by_recommendation"] == {"not-met": 1, "at-risk": 3}
    gaps = {r["id"]: r["support_gaps"] for r in data["records"]}
    assert gaps == {"a-north": 1, "b-south": 1, "d-passed": 1, "c-ecf2": 0}
    assert data["summary"]["support_gaps"] == 3
    reasons = {r["id"]: r["reasons"] for r in data["records"]}
    assert reasons["a-north"] == ["pqs-coverage: pending"]
    assert reasons["d-passed"] == [
        "direct-observations: missed",
        "feedback-people: missed",
        "feedback-professionals: missed",
    ]

    table = run(*common)
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[3] == "Recommendations: at-risk 3, not-met 1"
    assert lines[4] == "Support gaps (the employer's, not counted): 3"
    assert lines[6].split()[-3:] == ["support_gaps", "recommendation", "reasons"]
    assert lines[7].split()[-4:] == ["1", "at-risk", "pqs-coverage:", "pending"]

    only = run(*common, "--format", "jsonl", "--recommendation", "not-met")
    assert only.exit_code == 0, only.stderr
    assert [json.loads(line)["id"] for line in only.stdout.splitlines()] == ["d-passed"]
    gapped = run(*common, "--format", "jsonl", "--support-gaps")
    assert gapped.exit_code == 0, gapped.stderr
    ids = [json.loads(line)["id"] for line in gapped.stdout.splitlines()]
    assert ids == ["a-north", "b-south", "d-passed"]
    refused = run("cohort", str(folder), "--support-gaps")
    assert refused.exit_code == 2
