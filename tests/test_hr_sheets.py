"""HR import of a real council export: a mapping file, UK dates, percentages, duplicates, and an
error file HR fixes and imports again (issue 12, item 1).

The fixture is examples/hr/council-export.csv with its mapping examples/hr/council-mapping.toml:
"Employee ID" and "Full Name" columns, dd/mm/yyyy dates, stages written ``Asye``, ``ECF-1``,
``Expert``, ``NQSW``, FTEs as ``60%`` and ``22.5 of 37 hours``, an exact duplicate row, a
conflicting one, an impossible date and an unknown stage and service.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from ecf import hr_import
from ecf.cli import main
from ecf.errors import EcfError
from ecf.framework import FrameworkRegistry
from ecf.hr_mapping import load_mapping
from ecf.parsing import ParseError, parse_sheet_date, parse_sheet_fte
from ecf.records import HistoryEntry
from ecf.store import read_record

ROOT = Path(__file__).parent.parent
EXPORT = ROOT / "examples" / "hr" / "council-export.csv"
MAPPING = ROOT / "examples" / "hr" / "council-mapping.toml"
REGISTRY = FrameworkRegistry.default()
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
#: The good rows of the fixture: each creates a record.
GOOD = ("E0041", "E0042", "E0043", "E0044", "E0045", "E0046")
#: The bad rows, by number, and what each error names.
BAD = {
    9: "Programme Start: impossible date",
    10: "Employee ID: duplicate id: also in row 11, with other values in: Contracted FTE",
    11: "Employee ID: duplicate id: also in row 10, with other values in: Contracted FTE",
    12: "Programme: unknown stage",
}
#: Names of the people in the fixture: no error line, error cell or JSON plan may hold one.
NAMES = ("Okafor", "Hughes", "Mensah", "Whitfield", "Example", "Dubois", "Connor", "Nair", "Taylor")


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_USER", "tester")
    monkeypatch.delenv("ECF_FRAMEWORK_PATH", raising=False)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "records"
    path.mkdir()
    return path


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def errors(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))}


def entry(action: str, detail: str) -> HistoryEntry:
    return HistoryEntry(NOW, "tester", action, detail)


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def no_names(text: str) -> None:
    for name in NAMES:
        assert name not in text, (name, text)


# --- dates and FTEs as spreadsheets write them ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-02", dt.date(2026, 2, 2)),
        ("02/02/2026", dt.date(2026, 2, 2)),
        ("1/9/2025", dt.date(2025, 9, 1)),  # day first, always
        ("01-09-2025", dt.date(2025, 9, 1)),
        ("01.09.2025", dt.date(2025, 9, 1)),
        (" 13/10/2025 ", dt.date(2025, 10, 13)),
    ],
)
def test_a_sheet_date_is_iso_or_day_first(text: str, expected: dt.date) -> None:
    assert parse_sheet_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/09/2026", "impossible date"),
        ("12/31/2026", "impossible date"),  # a US date is never guessed
        ("29/02/2025", "impossible date"),
        ("01/09/25", "ambiguous date"),  # which century?
        ("01/09-2025", "invalid date"),
        ("September 2025", "invalid date"),
        ("", "invalid date"),
    ],
)
def test_an_ambiguous_or_impossible_sheet_date_is_refused(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message) as raised:
        parse_sheet_date(text)
    assert raised.value.value == text


def test_another_date_layout_is_read_with_a_date_format() -> None:
    assert parse_sheet_date("2 Feb 2026", "%d %b %Y") == dt.date(2026, 2, 2)
    assert parse_sheet_date("2026-02-02", "%d %b %Y") == dt.date(2026, 2, 2)  # ISO still read
    with pytest.raises(ParseError, match="expected %d %b %Y"):
        parse_sheet_date("02/02/2026", "%d %b %Y")


@given(st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31)))
def test_every_date_reads_back_from_its_uk_and_iso_forms(day: dt.date) -> None:
    assert parse_sheet_date(f"{day.day:02d}/{day.month:02d}/{day.year:04d}") == day
    assert parse_sheet_date(f"{day.day}/{day.month}/{day.year:04d}") == day
    assert parse_sheet_date(day.isoformat()) == day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", Fraction(1)),
        ("0.6", Fraction(3, 5)),
        ("3/5", Fraction(3, 5)),
        ("60%", Fraction(3, 5)),
        ("62.5 %", Fraction(5, 8)),
        ("100%", Fraction(1)),
        ("22.5 of 37 hours", Fraction(45, 74)),
        ("22.5 of 37", Fraction(45, 74)),
        ("18.5/37 hrs", Fraction(1, 2)),
        ("30 OF 37.5 HOURS", Fraction(4, 5)),
    ],
)
def test_a_sheet_fte_is_a_fraction_decimal_percentage_or_hours(
    text: str, expected: Fraction
) -> None:
    assert parse_sheet_fte(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("150%", "at most 1"),
        ("0%", "more than 0"),
        ("40 of 37 hours", "at most 1"),
        ("10 of 0 hours", "contract hours must be more than 0"),
        ("half", "invalid FTE"),
        ("0/0", "invalid FTE"),
        ("1e9999%", "invalid FTE"),  # never made exact: refused at once
    ],
)
def test_a_bad_sheet_fte_is_refused(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_sheet_fte(text)


@given(st.integers(1, 100), st.integers(1, 60))
def test_percentages_and_hours_are_exact(percent: int, contract: int) -> None:
    assert parse_sheet_fte(f"{percent}%") == Fraction(percent, 100)
    assert parse_sheet_fte(f"{contract} of {contract} hours") == 1


# --- the done-when: a real export, one dry run, one --apply, an error file that round-trips ----


def test_the_council_export_dry_run_writes_nothing_and_names_every_bad_row(folder: Path) -> None:
    result = run("import", EXPORT, "--into", folder, "--mapping", MAPPING)
    assert result.exit_code == 2, result.output
    assert snapshot(folder) == {}
    created = [line.split(": ")[1] for line in result.stdout.splitlines() if ": create " in line]
    assert tuple(created) == GOOD
    assert f"note: {EXPORT}: row 5 repeats row 3 exactly: counted once" in result.stderr
    assert f"note: {EXPORT}: columns not imported: Last Updated" in result.stderr
    lines = errors(result)
    for number, message in BAD.items():
        assert any(line.startswith(f"error: {EXPORT}: row {number}: {message}") for line in lines)
    assert any("row 12: Directorate: unknown service" in line for line in lines)
    assert "6 to create, 0 to update, 0 unchanged, 4 bad rows, 1 repeated rows" in result.stdout
    no_names(result.output)


def test_the_council_export_applies_with_skip_bad_and_its_error_file_round_trips(
    folder: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "fix-these.csv"
    args = ("import", EXPORT, "--into", folder, "--mapping", MAPPING, "--errors-out", bad)
    result = run(*args, "--apply", "--skip-bad")
    assert result.exit_code == 1, result.output  # written, but some rows were bad
    assert sorted(p.stem for p in folder.glob("*.toml")) == list(GOOD)
    # What the export said, read as ecf reads it.
    amira = read_record(folder / "E0041.toml")
    assert (amira.qualified, amira.current and amira.current.stage) == (
        dt.date(2025, 7, 10),
        "asye",
    )
    assert amira.council == "E09000012"
    assert read_record(folder / "E0042.toml").fte_on(dt.date(2026, 1, 1)) == Fraction(45, 74)
    grace = read_record(folder / "E0043.toml")
    assert (grace.service, grace.fte_on(dt.date(2026, 1, 1))) == ("adults", Fraction(3, 5))
    jo = read_record(folder / "E0045.toml")
    assert [(p.stage, p.passed) for p in jo.prior] == [
        ("asye", dt.date(2023, 8, 30)),
        ("ecf-2", dt.date(2024, 8, 29)),
    ]
    # The error file: the header as HR wrote it plus "error", the bad rows as they were read.
    rows = read_csv(bad)
    header = read_csv(EXPORT)[0]
    assert rows[0] == [*header, "error"]
    source = read_csv(EXPORT)
    assert [r[:-1] for r in rows[1:]] == [source[n - 1] for n in sorted(BAD)]
    for row, message in zip(rows[1:], BAD.values(), strict=True):
        assert row[-1].startswith(message), row
    no_names("\n".join(r[-1] for r in rows[1:]))
    # HR fixes the rows in the spreadsheet: the impossible date, one of the two FTEs, the stage
    # and service of the Step Up row; the error column stays as it was.
    fixed_rows = [rows[0]]
    for row in rows[1:]:
        cells = dict(zip(rows[0], row, strict=True))
        if cells["Contracted FTE"] == "100%":
            continue  # the older of the two rows for E0048
        if cells["Programme Start"] == "31/09/2026":
            cells["Programme Start"] = "30/09/2026"
        if cells["Programme"] == "Step Up":
            cells["Programme"], cells["Directorate"] = "asye", "Children's Services"
        fixed_rows.append([cells[c] for c in rows[0]])
    fixed = tmp_path / "fixed.csv"
    with fixed.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(fixed_rows)
    again = run("import", fixed, "--into", folder, "--mapping", MAPPING, "--errors-out", bad)
    assert again.exit_code == 0, again.output
    assert "3 to create" in again.stdout
    assert f"note: {fixed}: columns not imported: Last Updated, error" in again.stderr
    assert read_csv(bad) == [[*header, "error"]]  # no bad rows left; the column not repeated
    done = run("import", fixed, "--into", folder, "--mapping", MAPPING, "--apply")
    assert done.exit_code == 0, done.output
    assert len(list(folder.glob("*.toml"))) == 9
    assert read_record(folder / "E0048.toml").fte_on(dt.date(2026, 10, 1)) == Fraction(4, 5)
    # Imported again, the whole export changes nothing that is there.
    last = run("import", fixed, "--into", folder, "--mapping", MAPPING)
    assert last.exit_code == 0
    assert "0 to create, 0 to update, 3 unchanged" in last.stdout


def test_a_clean_export_imports_in_one_dry_run_and_one_apply(folder: Path, tmp_path: Path) -> None:
    lines = EXPORT.read_text(encoding="utf-8").splitlines(keepends=True)
    clean = tmp_path / "clean.csv"
    clean.write_text("".join(lines[:8]), encoding="utf-8")  # the header and rows 2-8
    dry = run("import", clean, "--into", folder, "--mapping", MAPPING)
    assert dry.exit_code == 0, dry.output
    assert snapshot(folder) == {}
    applied = run("import", clean, "--into", folder, "--mapping", MAPPING, "--apply")
    assert applied.exit_code == 0, applied.output
    assert "created 6, updated 0, 0 unchanged, 1 repeated rows counted once" in applied.stdout


def test_nothing_is_written_with_apply_when_a_row_is_bad(folder: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    result = run(
        "import", EXPORT, "--into", folder, "--mapping", MAPPING, "--apply", "--errors-out", bad
    )
    assert result.exit_code == 2
    assert snapshot(folder) == {}
    assert len(read_csv(bad)) == 1 + len(BAD)  # the error file is written all the same


def test_the_plan_as_json_names_its_schema_and_holds_no_name(folder: Path) -> None:
    result = run("import", EXPORT, "--into", folder, "--mapping", MAPPING, "--json")
    assert result.exit_code == 2
    plan = json.loads(result.stdout)
    assert plan["schema"] == "import-plan/1"
    assert plan["counts"] == {
        "create": 6,
        "update": 0,
        "unchanged": 0,
        "bad_rows": 4,
        "repeated_rows": 1,
    }
    assert [a["id"] for a in plan["actions"]] == list(GOOD)
    assert {p["row"] for p in plan["problems"]} == set(BAD)
    assert plan["problems"][0]["column"] == "Programme Start"
    assert plan["problems"][0]["value"] == "31/09/2026"
    no_names(result.stdout)


# --- the mapping file, checked before any row -----------------------------------------------------


def mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bad_mapping_is_every_problem_at_once(folder: Path, tmp_path: Path) -> None:
    bad = mapping(
        tmp_path,
        """
        colour = "blue"
        [columns]
        "Employee ID" = "id"
        "Full Name" = "fullname"
        "Known As" = "id"
        [values.stage]
        "NQSW" = "year-one"
        [values.service]
        "Early Help" = "family"
        [values.team]
        "North" = "N"
        [values.council]
        "Hackney" = "Hackney Council"
        """,
    )
    result = run("import", EXPORT, "--into", folder, "--mapping", bad)
    assert result.exit_code == 2
    assert errors(result) == [
        f"error: {bad}: colour: unknown key (known: columns, values, date_format)",
        f"error: {bad}: columns.'Full Name': unknown field (known: "
        + ", ".join(hr_import.COLUMNS)
        + ") (got 'fullname')",
        f"error: {bad}: columns.'Known As': 'Employee ID' is mapped to this field too (got 'id')",
        (
            f"error: {bad}: values.stage.'NQSW': unknown stage (known: asye (ASYE), ecf-1 (ECF "
            "year 1, SWIP year 1, ECDP year 1), ecf-2 (ECF year 2, SWIP year 2, ECDP year 2), "
            "expert (expert practitioner)) (got 'year-one')"
        ),
        (
            f"error: {bad}: values.service.'Early Help': unknown service (known: children, adults) "
            "(got 'family')"
        ),
        (
            f"error: {bad}: values.team: no value map for this field (fields with one: stage, "
            "service, council, leaving_reason)"
        ),
        (
            f"error: {bad}: values.council.'Hackney': a council code is letters and digits, "
            "such as E09000030 (got 'Hackney Council')"
        ),
    ]
    assert snapshot(folder) == {}


def test_a_column_the_mapping_needs_missing_from_the_csv_is_named(
    folder: Path, tmp_path: Path
) -> None:
    text = MAPPING.read_text(encoding="utf-8").replace('"Date Qualified"', '"Qualified On"')
    result = run("import", EXPORT, "--into", folder, "--mapping", mapping(tmp_path, text))
    assert result.exit_code == 2
    assert errors(result) == [
        (
            f"error: {EXPORT}: missing column 'Qualified On' (mapped to qualified in "
            f"{tmp_path / 'map.toml'})"
        )
    ]


def test_mapping_columns_and_values_ignore_case(tmp_path: Path, folder: Path) -> None:
    rows = tmp_path / "hr.csv"
    rows.write_text(
        "EMPLOYEE ID,full name,date qualified,programme,programme start,directorate\n"
        "x1,A Person,01/07/2025,nqsw,01/09/2025,CHILDREN'S SERVICES\n",
        encoding="utf-8",
    )
    result = run("import", rows, "--into", folder, "--mapping", MAPPING, "--apply")
    assert result.exit_code == 0, result.output
    record = read_record(folder / "x1.toml")
    assert (record.service, record.current and record.current.stage) == ("children", "asye")


def test_a_mapped_personal_value_is_never_shown(tmp_path: Path, folder: Path) -> None:
    text = MAPPING.read_text(encoding="utf-8").replace(
        '"Team Name" = "team"', '"Team Name" = "team"\n"SWE Number" = "swe"'
    )
    rows = tmp_path / "hr.csv"
    rows.write_text(
        "Employee ID,Full Name,Date Qualified,Programme,Programme Start,Directorate,SWE Number\n"
        "x1,Zara Secret,01/07/2025,asye,01/09/2025,Children's Services,Z-SECRET-9\n"
        "x2,,01/07/2025,asye,01/09/2025,Children's Services,\n",
        encoding="utf-8",
    )
    result = run("import", rows, "--into", folder, "--mapping", mapping(tmp_path, text))
    assert result.exit_code == 2
    assert errors(result) == [
        (
            f"error: {rows}: row 2: SWE Number: a Social Work England number is 'SW' followed by "
            "digits (not shown: personal data)"
        ),
        f"error: {rows}: row 3: Full Name: must not be empty (got '')",
    ]
    assert "Z-SECRET" not in result.output
    assert "Zara" not in result.output


def test_a_date_format_reads_other_layouts(tmp_path: Path, folder: Path) -> None:
    rows = tmp_path / "hr.csv"
    rows.write_text(
        "id,name,qualified,stage,start,service\nx1,A,1 Jul 2025,Asye,1 Sep 2025,children\n",
        encoding="utf-8",
    )
    refused = run("import", rows, "--into", folder)
    assert refused.exit_code == 2
    result = run("import", rows, "--into", folder, "--date-format", "%d %b %Y", "--apply")
    assert result.exit_code == 0, result.output
    assert read_record(folder / "x1.toml").qualified == dt.date(2025, 7, 1)


def test_a_workbook_is_not_csv(tmp_path: Path, folder: Path) -> None:
    book = tmp_path / "export.xlsx"
    book.write_bytes(b"PK\x03\x04" + bytes(100))
    result = run("import", book, "--into", folder)
    assert result.exit_code == 2
    assert errors(result) == [
        f"error: {book}: a spreadsheet workbook, not CSV: save it as 'CSV UTF-8'"
    ]


def test_a_bom_from_excel_is_read(tmp_path: Path, folder: Path) -> None:
    rows = tmp_path / "hr.csv"
    rows.write_bytes(
        "\ufeffEmployee ID,Full Name,Date Qualified,Programme,Programme Start,Directorate\n"
        "x1,Chloé D,01/07/2025,asye,01/09/2025,Adult Social Care\n".encode()
    )
    result = run("import", rows, "--into", folder, "--mapping", MAPPING, "--apply")
    assert result.exit_code == 0, result.output
    assert read_record(folder / "x1.toml").name == "Chloé D"


def test_the_library_plan_with_a_mapping(folder: Path) -> None:
    mapped = load_mapping(MAPPING, REGISTRY, hr_import.COLUMNS)
    plan = hr_import.plan_import(
        EXPORT, folder, REGISTRY, as_of=dt.date(2026, 11, 30), entry=entry, mapping=mapped
    )
    assert plan.count("create") == len(GOOD)
    assert plan.bad_rows == tuple(BAD)
    assert plan.repeated == (5,)
    assert plan.notes == (
        f"columns in {MAPPING} not in the file: Leaving Date, Leaving Reason Code",
        "row 5 repeats row 3 exactly: counted once",
    )
    text = hr_import.error_rows_csv(plan)
    assert next(csv.reader(io.StringIO(text)))[-1] == "error"
    with pytest.raises(EcfError):
        hr_import.apply(plan)
    assert snapshot(folder) == {}


def test_a_copy_of_the_fixture_is_unchanged_by_the_import(tmp_path: Path, folder: Path) -> None:
    copy = Path(shutil.copy(EXPORT, tmp_path / "export.csv"))
    before = copy.read_bytes()
    run("import", copy, "--into", folder, "--mapping", MAPPING, "--apply", "--skip-bad")
    assert copy.read_bytes() == before


# --- leavers ----------------------------------------------------------------------------------


def test_a_later_export_with_leaving_dates_closes_the_records(folder: Path, tmp_path: Path) -> None:
    lines = EXPORT.read_text(encoding="utf-8").splitlines()
    clean = tmp_path / "clean.csv"
    clean.write_text("\n".join(lines[:8]) + "\n", encoding="utf-8")
    assert run("import", clean, "--into", folder, "--mapping", MAPPING, "--apply").exit_code == 0
    later = tmp_path / "later.csv"
    later.write_text(
        lines[0]
        + ",Leaving Date,Leaving Reason Code\n"
        + lines[2]
        + ",31/10/2026,res\n"  # the code in any case
        + lines[3]
        + ",,\n",
        encoding="utf-8",
    )
    dry = run("import", later, "--into", folder, "--mapping", MAPPING)
    assert dry.exit_code == 0, dry.output
    assert (
        f"row 2: E0042: update {folder / 'E0042.toml'}: left: - -> 2026-10-31 "
        "(reason not shown: special data)"
    ) in dry.stdout.splitlines()
    assert run("import", later, "--into", folder, "--mapping", MAPPING, "--apply").exit_code == 0
    left = read_record(folder / "E0042.toml").left
    assert left is not None
    assert (left.date, left.reason) == (dt.date(2026, 10, 31), "resigned")
    assert read_record(folder / "E0043.toml").left is None
    again = run("import", later, "--into", folder, "--mapping", MAPPING)
    assert again.exit_code == 0
    assert "0 to update, 2 unchanged" in again.stdout


def test_leaving_rows_that_cannot_be_taken_are_row_errors(folder: Path, tmp_path: Path) -> None:
    rows = tmp_path / "hr.csv"
    rows.write_text(
        "id,name,qualified,stage,start,service,left,leaving_reason\n"
        "x1,A,2025-07-01,asye,2025-09-01,children,31/10/2026,resigned\n"
        "x2,B,2025-07-01,asye,2025-09-01,children,,resigned\n"
        "x3,C,2025-07-01,asye,2025-09-01,children,31/02/2026,\n",
        encoding="utf-8",
    )
    result = run("import", rows, "--into", folder)
    assert result.exit_code == 2
    assert errors(result) == [
        (
            f"error: {rows}: row 2: left: no record holds this id, and a new record cannot begin "
            "closed: import the row without the leaving date first, or leave this practitioner out "
            "(got 2026-10-31)"
        ),
        f"error: {rows}: row 3: leaving_reason: a leaving reason needs the leaving date (left)",
        (
            f"error: {rows}: row 4: left: impossible date: no such day, read as day/month/year "
            "(got '31/02/2026')"
        ),
    ]
    assert "resigned" not in result.output  # a leaving reason is special data


def test_a_repeated_bad_row_is_one_bad_row(folder: Path, tmp_path: Path) -> None:
    rows = tmp_path / "hr.csv"
    line = "x1,A,31/02/2025,asye,01/09/2025,children\n"
    rows.write_text("id,name,qualified,stage,start,service\n" + line + line, encoding="utf-8")
    bad = tmp_path / "bad.csv"
    result = run("import", rows, "--into", folder, "--errors-out", bad)
    assert result.exit_code == 2
    assert errors(result) == [
        (
            f"error: {rows}: row 2: qualified: impossible date: no such day, read as "
            "day/month/year (got '31/02/2025')"
        )
    ]
    assert len(read_csv(bad)) == 2  # the header and the one row


def test_the_error_file_never_replaces_the_export_or_the_mapping(
    folder: Path, tmp_path: Path
) -> None:
    copy = Path(shutil.copy(EXPORT, tmp_path / "export.csv"))
    before = copy.read_bytes()
    for target in (copy, MAPPING):
        result = run("import", copy, "--into", folder, "--mapping", MAPPING, "--errors-out", target)
        assert result.exit_code == 2
        assert "--errors-out must not be the export or the mapping file" in result.output
    assert copy.read_bytes() == before
