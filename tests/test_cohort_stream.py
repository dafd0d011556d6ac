"""The streamed cohort scan (issue 14, item 2): the same outcome as the scan that keeps every row,
memory that does not grow with the cohort, and every report over a folder through it.

``cohort.scan_records`` spills each chunk's values to a temporary file and keeps only each id's
first file (in SQLite) and the failures; these tests hold it to :func:`ecf.cohort.scan` and
:func:`ecf.sources.one_per_id` (values, failures, duplicates, in file order), and hold the CLI's
streamed outputs to what the rows of that scan make.  To see them fail: make
``Scanned.__iter__`` yield every value (``skip`` ignored), leave out the ``failed.sort`` in
``scan_records``, drop ``out.truncate()`` in ``export.csv_rows``, or keep each chunk's values
in a list in ``scan_records``.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gc
import io
import json
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecf import census, cohort, database, export, ical, sources
from ecf import workforce as wf
from ecf._convert import to_json
from ecf.cli import main
from ecf.cli.cohort import COLUMNS
from ecf.cohort import ScanContext, ScanOptions
from ecf.framework import FrameworkRegistry
from ecf.records import Employment, Leaving, record_from_dict
from ecf.store import render
from ecf.testing.strategies import records

if TYPE_CHECKING:
    from ecf.records import Record

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synth  # the benchmarks folder is put on the path just above

REGISTRY = FrameworkRegistry.default()
TODAY = synth.TODAY
AS_OF = dt.date(2026, 6, 1)
KEY = b"0123456789abcdef0123"


def options(cache: Path | None = None) -> ScanOptions:
    return ScanOptions(as_of=AS_OF, today=TODAY, cache_dir=None if cache is None else str(cache))


def write_cohort(root: Path, layout: list[int | None]) -> list[Path]:
    """One file per item: a synthetic record with that number's id, or a bad file (``None``).

    The same number twice is one record id held by two files (each its own copy).
    """
    base = synth.records(max(1, len(layout)), seed=3)
    files = []
    for place, number in enumerate(layout):
        path = root / f"f{place:03d}.toml"
        if number is None:
            path.write_text("not = [toml\n", encoding="utf-8")
        else:
            data = dict(base[number % len(base)])
            data["id"] = f"p{number:03d}"
            path.write_text(render(record_from_dict(data)), encoding="utf-8")
        files.append(path)
    return files


def streamed(root: Path, *, workers: int, chunk: int, cache: Path | None = None) -> Any:
    with cohort.scan_records(
        cohort.record_files(root),
        options(cache),
        cohort.cohort_row,
        workers=workers,
        chunk=chunk,
    ) as scanned:
        return list(scanned), scanned.failures, scanned.duplicates, list(scanned)


LAYOUTS = st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=12)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=LAYOUTS, chunk=st.integers(1, 5))
def test_a_streamed_scan_gives_what_the_scan_keeping_every_row_gives(
    tmp_path_factory: pytest.TempPathFactory, layout: list[int | None], chunk: int
) -> None:
    root = tmp_path_factory.mktemp("cohort")
    write_cohort(root, layout)
    want_rows, want_failures = cohort.scan(
        cohort.record_files(root), options(), workers=1, chunk=chunk
    )
    items = list(
        cohort.scan_items(cohort.record_files(root), options(), cohort.cohort_row, workers=1)
    )
    _, _, want_duplicates = sources.one_per_id(items)
    rows, failures, duplicates, again = streamed(root, workers=1, chunk=chunk)
    assert rows == want_rows
    assert again == rows  # read back as often as needed
    assert failures == want_failures
    assert duplicates == want_duplicates


def test_with_workers_and_the_cache_too(tmp_path: Path) -> None:
    write_cohort(tmp_path, [0, 1, None, 1, 2, 3, 0, None, 4, 5, 1, 6, 7, 8])
    want_rows, want_failures = cohort.scan(cohort.record_files(tmp_path), options(), workers=1)
    for cache in (None, tmp_path.parent / "cache", tmp_path.parent / "cache"):  # cold, warm
        rows, failures, duplicates, _ = streamed(tmp_path, workers=2, chunk=2, cache=cache)
        assert rows == want_rows
        assert failures == want_failures
        assert [d.id for d in duplicates] == ["p000", "p001"]
        assert duplicates[1].sources == tuple(str(tmp_path / f"f{i:03d}.toml") for i in (1, 3, 10))


@attrs.frozen
class Big:
    """A value a test's scan computes: counted while it is alive in this process."""

    id: str
    payload: bytes


def big(record: Record, context: ScanContext) -> Big:  # noqa: ARG001 - a scan's function
    return Big(record.id, b"x" * 1000)


def alive() -> int:
    gc.collect()
    return sum(isinstance(o, Big) for o in gc.get_objects())


def test_the_parent_holds_no_value_after_the_scan_and_a_chunk_at_most_while_reading(
    tmp_path: Path,
) -> None:
    write_cohort(tmp_path, list(range(12)))
    with cohort.scan_records(
        cohort.record_files(tmp_path), options(), big, workers=1, chunk=4
    ) as scanned:
        assert alive() == 0  # every value is on disk, none in memory
        most = 0
        count = 0
        for _ in scanned:
            count += 1
            most = max(most, alive())
        assert count == 12
        assert most <= 4 + 1  # the chunk being read (and the value in hand)


def test_a_scan_function_that_fails_makes_that_file_a_failure(tmp_path: Path) -> None:
    write_cohort(tmp_path, [0, 1, 2])
    fine = cohort.scan_items(cohort.record_files(tmp_path), options(), big, workers=1)
    assert [item[1] for item in fine if not isinstance(item, sources.Failure)] == [
        "p000",
        "p001",
        "p002",
    ]


# --- ecf cohort: the streamed outputs are those of the rows kept in a list ------------------


def run(*args: str | Path) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args], env={"ECF_PSEUDONYM_KEY": KEY.decode()})


@pytest.fixture(scope="module")
def cohort_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-cohort")
    synth.generate(root, 60)
    (root / "extra").mkdir()
    write_cohort(root / "extra", [100, 100, None, 101])  # a duplicated id and a bad file
    (root / "copy.toml").write_text(
        (root / "batch-0000" / "r000003.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return root


def kept_rows(folder: Path) -> tuple[list[cohort.CohortRow], list[sources.Failure]]:
    return cohort.scan(cohort.record_files(folder), options(), workers=1)


FILTERS: list[list[str]] = [[], ["--overdue"], ["--stage", "asye", "--due-within", "90"]]


@pytest.mark.parametrize("filters", FILTERS)
def test_csv_and_json_lines_are_those_of_the_kept_rows(
    cohort_folder: Path, filters: list[str]
) -> None:
    rows, failures = kept_rows(cohort_folder)
    chosen = [
        r
        for r in rows
        if cohort.matches(
            r,
            as_of=AS_OF,
            overdue="--overdue" in filters,
            stage=["asye"] if "asye" in filters else [],
            due_within=90 if "--due-within" in filters else None,
        )
    ]
    data = [to_json(r) for r in chosen]
    common: list[str | Path] = ["cohort", cohort_folder, "--as-of", AS_OF.isoformat(), *filters]
    got = run(*common, "--format", "csv")
    assert got.exit_code == 1
    assert got.stdout_bytes.decode() == export.csv_text(data, COLUMNS)
    assert got.stderr.count("error: ") == sum(len(f.problems) for f in failures)
    got = run(*common, "--format", "jsonl")
    assert got.stdout_bytes.decode() == "".join(f"{line}\n" for line in export.json_lines(data))
    got = run(*common, "--format", "csv", "--pseudonymise")
    hidden = [export.pseudonymise(d, KEY) for d in data]
    assert got.stdout_bytes.decode() == export.csv_text(
        hidden, [c for c in COLUMNS if c not in export.NAMES]
    )
    got = run(*common, "--excel")
    assert got.stdout_bytes.decode() == "\ufeff" + export.csv_text(data, COLUMNS)
    got = run(*common, "--format", "json")
    assert json.loads(got.stdout)["records"] == json.loads(json.dumps(data, default=str))


def test_the_table_is_that_of_the_kept_rows(cohort_folder: Path) -> None:
    rows, _ = kept_rows(cohort_folder)
    got = run("cohort", cohort_folder, "--as-of", AS_OF.isoformat(), "--overdue")
    lines = got.stdout.splitlines()
    table = lines[lines.index("") + 1 :]
    chosen = [to_json(r) for r in rows if r.overdue]
    shown = [
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
    cells = [shown] + [[str(d[c]) if d[c] is not None else "-" for c in shown] for d in chosen]
    widths = [max(len(r[i]) for r in cells) for i in range(len(shown))]
    want = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    assert table == want
    summary = cohort.summarise(rows, AS_OF, failed=3)
    assert lines[0] == f"{summary.total} records as of {AS_OF}: " + ", ".join(
        f"{k} {v}" for k, v in summary.by_stage.items()
    )


@settings(max_examples=100)
@given(
    rows=st.lists(
        st.dictionaries(
            st.sampled_from(["id", "team", "note"]),
            st.one_of(st.none(), st.text(), st.integers(), st.lists(st.text(), max_size=2)),
        ),
        max_size=5,
    )
)
def test_csv_rows_joined_are_csv_text(rows: list[dict[str, Any]]) -> None:
    columns = ["id", "team", "note"]
    assert "".join(export.csv_rows(rows, columns)) == export.csv_text(rows, columns)


# --- the other reports through the scan ------------------------------------------------------


def moved(record: Record) -> Record:
    """The record with a move of council in its first stage, and maybe a second one."""
    start = record.enrolments[0].start
    middle = start + dt.timedelta(days=100)
    last = record.left.date if record.left else None
    if last is not None and last <= middle + dt.timedelta(days=1):
        return record
    return attrs.evolve(
        record,
        employment=(
            Employment(start, "E09000001", middle),
            Employment(middle + dt.timedelta(days=1), "E09000002", last),
        ),
    )


@settings(max_examples=30, deadline=None)
@given(
    cohort_=st.lists(records(REGISTRY, TODAY, max_evidence=3), max_size=6),
    moves=st.lists(st.booleans(), min_size=6, max_size=6),
    since=st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), TODAY)),
)
def test_the_workforce_figures_folded_from_careers_are_those_of_the_records(
    cohort_: list[Record], moves: list[bool], since: dt.date | None
) -> None:
    cohort_ = [moved(r) if m else r for r, m in zip(cohort_, moves, strict=False)]
    careers = [wf.career(r) for r in cohort_]
    assert wf.retention_of(careers, since, TODAY) == wf.retention(cohort_, since, TODAY)
    assert wf.retention_of(careers) == wf.retention(cohort_)
    agency = [wf.agency_eligibility(r, REGISTRY, TODAY, "statutory-2024") for r in cohort_]
    cpd = [wf.cpd_readiness(r, TODAY, REGISTRY) for r in cohort_]
    assert wf.headline_of(careers, agency, cpd, TODAY) == wf.headline(cohort_, agency, cpd, TODAY)


def test_a_leaver_and_a_move_are_counted_alike() -> None:
    base = next(r for r in (synth_record(i) for i in range(50)) if r.left is None and r.enrolments)
    leaver = attrs.evolve(
        moved(base), left=Leaving(base.enrolments[0].start + dt.timedelta(days=300), "resigned")
    )
    figures = wf.retention_of([wf.career(leaver), wf.career(base)])
    assert figures == wf.retention([leaver, base])
    assert (figures.leavers, figures.transfers) == (1, 1)
    later = base.enrolments[0].start + dt.timedelta(days=200)  # after the move
    figures = wf.retention_of([wf.career(leaver)], since=later)
    assert figures == wf.retention([leaver], since=later)
    assert (figures.leavers, figures.transfers) == (1, 0)


def synth_record(number: int) -> Record:
    return record_from_dict(synth.records(number + 1, seed=5)[number])


def context(council: Any = None) -> ScanContext:
    return ScanContext(REGISTRY, AS_OF, TODAY, council)


def test_census_items_in_census_order_are_the_census_rows(cohort_folder: Path) -> None:
    loaded = sources.load_folder(cohort_folder, REGISTRY, TODAY)
    data = census.census_year(2026)
    backwards = list(reversed(loaded.records))  # in census order only once sorted
    each = [census.census_item(r, context(), data=data) for r in backwards]
    rows = census.in_census_order(each)
    assert rows == census.census_rows(backwards, data)
    assert [r.worker_id for r in rows] == sorted(r.worker_id for r in rows)
    assert len(rows) > 1
    each = [census.census_item(r, context(), data=data, key=KEY) for r in backwards]
    assert census.in_census_order(each) == census.census_rows(backwards, data, key=KEY)


def test_calendar_items_are_the_upcoming_milestones(cohort_folder: Path) -> None:
    loaded = sources.load_folder(cohort_folder, REGISTRY, TODAY)
    for record in loaded.records:
        assert ical.calendar_item(record, context(), days=200) == ical.upcoming(
            record, REGISTRY, AS_OF, 200
        )
        assert ical.calendar_item(record, context(), assessor="nobody at all") is None


def dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


def test_the_database_of_record_tables_is_the_database_of_the_records(
    cohort_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "_BATCH", 7)  # written in several batches
    loaded = sources.load_folder(cohort_folder, REGISTRY, TODAY)
    made = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    database.write_database(loaded.records, one, REGISTRY, AS_OF, key=KEY, generated=made)
    funding = database.database_funding(AS_OF)
    each = functools.partial(database.record_tables, key=KEY, funding=funding)
    parts = [each(r, context()) for r in loaded.records]
    counts = database.write_tables(parts, two, AS_OF, key=KEY, generated=made)
    assert dump(two) == dump(one)
    with sqlite3.connect(two) as conn:
        assert counts == {
            name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # noqa: S608
            for name in database.TABLES
        }
    assert counts["records"] == len(loaded.records) > 7


def test_every_report_over_a_folder_gives_the_same_with_one_worker_or_two(
    cohort_folder: Path, tmp_path: Path
) -> None:
    when = ["--as-of", AS_OF.isoformat()]
    reports: list[list[str | Path]] = [
        ["workforce", cohort_folder, "--format", "json", *when],
        ["census", cohort_folder, "--year", "2026"],
    ]
    for args in reports:
        one = run(*args, "--workers", "1")
        assert one.exit_code == 1
        assert run(*args, "--workers", "2").output == one.output
        assert run(*args, "--no-cache").output == one.output
    one = run("calendar", cohort_folder, *when, "--workers", "1", "--out", tmp_path / "1.ics")
    two = run("calendar", cohort_folder, *when, "--out", tmp_path / "2.ics")
    assert undated(tmp_path / "1.ics") == undated(tmp_path / "2.ics")
    assert one.output.replace("1.ics", "2.ics") == two.output
    rows = list(csv.reader(io.StringIO(run("census", cohort_folder, "--year", "2026").stdout)))
    assert len(rows) > 1


def undated(path: Path) -> list[str]:
    """A calendar's lines but its time stamps (the time it was made)."""
    return [line for line in path.read_text().splitlines() if not line.startswith("DTSTAMP")]


def test_a_filter_that_is_not_utf_8_is_shown_escaped(cohort_folder: Path) -> None:
    """A lone surrogate (an option's bytes that are not UTF-8) is printed as an escape.

    Found by ``tests/test_fuzz_commands.py``: it stopped ``ecf cohort`` with an internal error.
    """
    got = run("cohort", cohort_folder, "--as-of", AS_OF.isoformat(), "--team", "\ud800")
    assert got.exit_code == 1, got.output
    assert "Filters: team \\ud800: 0 of " in got.stdout
