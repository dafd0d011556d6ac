"""Spreadsheets (issue 12, item 5): ``--excel`` CSV with a byte order mark, ``--format xlsx``.

Every workbook is read back with openpyxl: the same header and cells as the CSV of the same
report, dates as dates, and no text cell ever a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from ecf import sheets
from ecf.cli import main
from ecf.errors import EcfError
from ecf.export import csv_text

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples" / "records"
AS_OF = "2026-06-01"
#: Each report with a CSV form, as run on the examples.
REPORTS = {
    "cohort": ["cohort", str(EXAMPLES), "--as-of", AS_OF, "--workers", "1"],
    "workforce": ["workforce", str(EXAMPLES), "--as-of", AS_OF],
    "funding": ["funding", str(EXAMPLES), "--as-of", AS_OF, "--year", "2026-27"],
}


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ECF_USER", "tester")
    monkeypatch.delenv("ECF_FRAMEWORK_PATH", raising=False)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def sheet_rows(data: bytes) -> tuple[str, list[list[Any]]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book.active
    assert ws is not None
    return ws.title, [[c.value for c in row] for row in ws.iter_rows()]


def as_csv_cell(value: object) -> str:
    """A workbook cell as the same report's CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value)


@pytest.mark.parametrize("report", sorted(REPORTS))
def test_excel_csv_starts_with_a_bom_and_is_otherwise_the_csv(report: str) -> None:
    plain = run(*REPORTS[report], "--format", "csv")
    excel = run(*REPORTS[report], "--excel")
    assert plain.exit_code == excel.exit_code == 0, excel.output
    assert excel.stdout_bytes.startswith(b"\xef\xbb\xbf")
    assert excel.stdout_bytes[3:] == plain.stdout_bytes
    assert run(*REPORTS[report], "--format", "csv", "--excel").stdout_bytes == excel.stdout_bytes


@pytest.mark.parametrize("report", sorted(REPORTS))
def test_a_workbook_holds_the_same_table_as_the_csv(report: str) -> None:
    plain = run(*REPORTS[report], "--format", "csv")
    book = run(*REPORTS[report], "--format", "xlsx")
    assert book.exit_code == 0, book.output
    assert book.stdout_bytes.startswith(b"PK\x03\x04")
    title, rows = sheet_rows(book.stdout_bytes)
    assert title == report
    table = list(csv.reader(io.StringIO(plain.stdout, newline="")))
    assert len(rows) == len(table) > 1
    assert [[as_csv_cell(c) for c in row] for row in rows] == table


def test_dates_are_dates_and_counts_numbers_in_the_workbook() -> None:
    _, rows = sheet_rows(run(*REPORTS["cohort"], "--format", "xlsx").stdout_bytes)
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    assert isinstance(first["stage_start"], dt.datetime)
    assert isinstance(first["overdue"], int)


def test_an_accented_team_reads_right_and_a_formula_stays_text(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(EXAMPLES, tmp_path / "records"))
    rows = tmp_path / "hr.csv"
    rows.write_text(
        "id,name,qualified,stage,start,service,team\n"
        "x1,Chloé D,2025-07-01,asye,2025-09-01,adults,Équipe Sud\n"
        'x2,Sam T,2025-07-01,asye,2025-09-01,adults,"=HYPERLINK(""http://x"",""y"")"\n',
        encoding="utf-8",
    )
    assert run("import", str(rows), "--into", str(folder), "--apply").exit_code == 0
    cohort = ["cohort", str(folder), "--as-of", AS_OF, "--workers", "1"]
    text = run(*cohort, "--excel").stdout_bytes.decode("utf-8-sig")
    assert "Équipe Sud" in text
    assert "'=HYPERLINK" in text  # the CSV's own guard against formulas
    book = openpyxl.load_workbook(io.BytesIO(run(*cohort, "--format", "xlsx").stdout_bytes))
    ws = book.active
    assert ws is not None
    teams = {row[0].value: row[2] for row in ws.iter_rows(min_row=2)}
    assert teams["x1"].value == "Équipe Sud"
    assert teams["x2"].value == '=HYPERLINK("http://x","y")'
    assert teams["x2"].data_type == "s"  # text, not a formula Excel would run


def test_xlsx_without_openpyxl_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # as if not installed
    result = run(*REPORTS["cohort"], "--format", "xlsx")
    assert result.exit_code == 2
    assert (
        result.stderr
        == "error: --format xlsx needs openpyxl: pip install 'ecf-social-work[xlsx]'\n"
    )
    assert result.stdout == ""
    with pytest.raises(EcfError, match=r"ecf-social-work\[xlsx\]"):
        sheets.xlsx_bytes([], ["id"], "t")


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_excel_applies_to_csv_only(fmt: str) -> None:
    args = REPORTS["cohort"] if fmt == "jsonl" else REPORTS["workforce"]
    result = run(*args, "--excel", "--format", fmt)
    assert result.exit_code == 2
    assert f"--excel writes CSV for Excel; it does not apply to --format {fmt}" in result.stderr


# --- the library -------------------------------------------------------------------------------


def test_csv_for_excel() -> None:
    rows = [{"id": "a", "team": "Équipe"}]
    assert sheets.csv_for_excel(rows, ["id", "team"]) == "\ufeff" + csv_text(rows, ["id", "team"])


@given(
    st.lists(
        st.one_of(st.none(), st.integers(-(10**9), 10**9), st.text(max_size=20), st.dates()),
        min_size=1,
        max_size=5,
    )
)
def test_every_cell_reads_back(cells: list[Any]) -> None:
    columns = [f"c{i}" for i in range(len(cells))]
    data = sheets.xlsx_bytes([dict(zip(columns, cells, strict=True))], columns, "t:[x]/y")
    title, rows = sheet_rows(data)
    assert title == "t--x--y"  # Excel refuses : [ ] / in a sheet name
    assert rows[0] == columns
    read_back = rows[1] if len(rows) > 1 else [None] * len(cells)  # a row of blanks is no row
    for given_cell, read in zip(cells, read_back, strict=True):
        if isinstance(given_cell, dt.date):
            assert read == dt.datetime.combine(given_cell, dt.time())
        elif isinstance(given_cell, str) and given_cell:
            expected = sheets._NOT_IN_XML.sub("\ufffd", sheets._text(given_cell))
            assert read == expected
        elif given_cell == "":
            assert read in ("", None)  # an empty text cell reads back empty
        else:
            assert read == given_cell
