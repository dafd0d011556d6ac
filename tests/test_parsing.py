"""One date parser and one FTE parser: what each accepts, what it says, and that the three ways a
value comes in (a record file, the command line, an HR export) read it alike.

To see the agreement tests fail, make any one path read on its own again: for instance, in
``ecf.hr_import._fte``, replace ``parse_fte(value, in_range=True)`` with ``Fraction(value)``
(plus the range check), and run ``pytest tests/test_parsing.py``: ``"1e999"``-like and ``"nan"``
inputs part ways, and the HR import hangs on ``1e999999999`` until the timeout.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecf import hr_import
from ecf.cli import main
from ecf.errors import EcfError
from ecf.framework import FrameworkRegistry
from ecf.parsing import FTE_RANGE, ParseError, parse_date, parse_fte, parse_sheet_date
from ecf.records import HistoryEntry, record_from_dict
from ecf.store import read_record
from ecf.validation import check_record

REGISTRY = FrameworkRegistry.default()
#: A day-first date as a spreadsheet writes it (dd/mm/yyyy): read by the HR import only.
UK_DATE = re.compile(r"\d{1,2}([/.-])\d{1,2}\1\d+")
REGISTRY.current = "baseline-2026"
TODAY = dt.date.today()  # noqa: DTZ011 - the CLI uses the local date too
HEADER = ["id", "name", "qualified", "stage", "start", "service", "fte"]
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)

# --- the parsers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, Fraction(1)),
        (0.6, Fraction(3, 5)),  # by its shortest repr, not the float nearest to 0.6
        ("0.6", Fraction(3, 5)),
        (" 3/5 ", Fraction(3, 5)),
        ("1e-2", Fraction(1, 100)),
        ("1e999", Fraction(10**999)),  # three digits of exponent: made exact at once
        (Fraction(1, 3), Fraction(1, 3)),
    ],
)
def test_parse_fte_reads_exactly(value: object, expected: Fraction) -> None:
    assert parse_fte(value) == expected


@pytest.mark.parametrize(
    ("value", "message", "inline"),
    [
        (
            "abc",
            "invalid FTE, expected a number such as 0.6 or 3/5",
            "invalid FTE 'abc', expected a number such as 0.6 or 3/5",
        ),
        ("1/0", "invalid FTE, expected a number such as 0.6 or 3/5", "invalid FTE '1/0', "),
        ("1e999999999", "invalid FTE, expected", "invalid FTE '1e999999999', expected"),
        ("-1e-99_999_999", "invalid FTE, expected", "invalid FTE '-1e-99_999_999', expected"),
        (float("nan"), "invalid FTE, expected", "invalid FTE nan, expected"),
        (float("inf"), "invalid FTE, expected", "invalid FTE inf, expected"),
        (True, "expected a number", "expected a number (got True)"),
        (None, "expected a number", "expected a number (got None)"),
    ],
)
def test_parse_fte_refuses_what_is_not_a_number(value: object, message: str, inline: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_fte(value)
    assert raised.value.message.startswith(message)
    assert raised.value.inline().startswith(inline)
    assert raised.value.value is value


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "4/3", 0, 2])
def test_parse_fte_checks_the_range_only_when_asked(value: str | int) -> None:
    assert parse_fte(value) == Fraction(value)
    with pytest.raises(ParseError) as raised:
        parse_fte(value, in_range=True)
    assert raised.value.message == FTE_RANGE
    assert raised.value.inline() == f"{FTE_RANGE} (got {value!r})"


def test_a_huge_exponent_is_refused_at_once() -> None:
    started = time.perf_counter()
    for text in ("1e999999999", "1E+0999999999", "1e9_999", "-1e-99_999_999"):
        with pytest.raises(ParseError):
            parse_fte(text)
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    ("value", "message", "inline"),
    [
        (
            "2025-02-30",
            "invalid date, expected YYYY-MM-DD",
            "invalid date '2025-02-30', expected YYYY-MM-DD",
        ),
        ("", "invalid date, expected YYYY-MM-DD", "invalid date '', expected YYYY-MM-DD"),
        (dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC), "expected a date without a time", None),
        (5, "expected a date (YYYY-MM-DD)", "expected a date (YYYY-MM-DD) (got 5)"),
    ],
)
def test_parse_date_refuses(value: object, message: str, inline: str | None) -> None:
    with pytest.raises(ParseError) as raised:
        parse_date(value)
    assert raised.value.message == message
    if inline is not None:
        assert raised.value.inline() == inline


def test_parse_date_reads_a_date_or_an_iso_string() -> None:
    assert parse_date("2026-01-05") == parse_date(dt.date(2026, 1, 5)) == dt.date(2026, 1, 5)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_record_file_shows_a_non_finite_fte(value: float) -> None:
    # TOML has nan and inf; they used to reach Fraction() and come back as cattrs' own words.
    with pytest.raises(EcfError) as raised:
        record_from_dict(
            {
                "schema_version": 2,
                "id": "r1",
                "name": "A",
                "qualified": "2025-06-02",
                "service": "children",
                "enrolments": [
                    {"stage": "asye", "start": "2025-06-02", "framework": "baseline-2026"}
                ],
                "hours": [{"from": "2025-06-02", "fte": value}],
            }
        )
    assert [str(p) for p in raised.value.problems] == [
        f"hours[0].fte: expected a number or a fraction such as 3/5 (got {value!r})"
    ]


# --- the three paths agree ----------------------------------------------------------------------

#: What a path made of a value: the record's qualification date and FTE, or why it refused.
Outcome = tuple[dt.date, Fraction] | str

#: Why a value is refused, by words each path's message holds (the wording differs by path).
REASONS = {
    "invalid date": "not a date",
    "expected a date": "not a date",
    "must not be empty": "not a date",
    "invalid FTE": "not a number",
    "expected a number": "not a number",
    "FTE must be more than 0": "out of range",
    "FTE must be at least": "too small",
    "is in the future": "in the future",
}


def reason(messages: list[str]) -> str:
    """The one reason the messages of a refusal give (each refusal here has exactly one)."""
    found = {why for text in messages for words, why in REASONS.items() if words in text}
    assert len(found) == 1, messages
    return found.pop()


def by_command_line(folder: Path, qualified: str, fte: str) -> Outcome:
    """``ecf new --qualified Q --start Q --fte F``: the record written, or why refused."""
    file = folder / "cli.toml"
    # Adults: their ASYE takes any start (a child and family one from 2027-09-01 is refused).
    args = ["new", str(file), "--id", "r1", "--name", "A", "--stage", "asye", "--service", "adults"]
    args += [f"--qualified={qualified}", f"--start={qualified}", f"--fte={fte}"]
    result = CliRunner().invoke(main, args)
    if result.exit_code != 0:
        assert result.exit_code == 2, result.output  # a refusal, never an internal error
        assert not file.exists()
        return reason(result.output.splitlines())
    record = read_record(file)
    return record.qualified, record.hours[0].fte


def _entry(action: str, detail: str) -> HistoryEntry:
    return HistoryEntry(NOW, "tester", action, detail)


def by_hr_import(folder: Path, qualified: str, fte: str) -> Outcome:
    """One row of an HR export with ``qualified`` and ``start`` Q and ``fte`` F, planned."""
    rows = folder / "hr.csv"
    with rows.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerow(["r1", "A", qualified, "asye", qualified, "adults", fte])
    into = folder / "records"
    into.mkdir(exist_ok=True)
    plan = hr_import.plan_import(rows, into, REGISTRY, as_of=TODAY, entry=_entry, today=TODAY)
    if not plan.actions:
        return reason([p.message for p in plan.problems])
    record = plan.actions[0].record
    return record.qualified, record.hours[0].fte


def by_record_file(qualified: str, fte: str) -> Outcome:
    """A record whose ``qualified``, first ``start`` and ``hours[0].fte`` are given as text."""
    data: dict[str, Any] = {
        "schema_version": 2,
        "id": "r1",
        "name": "A",
        "qualified": qualified,
        "service": "adults",
        "enrolments": [{"stage": "asye", "start": qualified, "framework": "baseline-2026"}],
        "hours": [{"from": qualified, "fte": fte}],
    }
    try:
        record = record_from_dict(data)
    except EcfError as exc:
        return reason([p.message for p in exc.problems])
    problems = check_record(record, REGISTRY, TODAY)
    if problems:
        return reason([p.message for p in problems])
    return record.qualified, record.hours[0].fte


def _number_texts() -> st.SearchStrategy[str]:
    decimals = st.decimals(min_value=-2, max_value=2, allow_nan=False, places=4).map(str)
    fractions = st.tuples(st.integers(-9, 99), st.integers(-3, 99)).map(lambda t: f"{t[0]}/{t[1]}")
    exponents = st.tuples(
        st.sampled_from(["1", "5", "0.5", "-1", "3"]),
        st.sampled_from(["e", "E", "e-", "e+"]),
        # Exponents of four digits are refused (made exact, 1e999999999 would take minutes:
        # that one is tried in a process of its own, below).
        st.sampled_from(["0", "1", "2", "02", "999", "1000", "9999", "1_000", "0001"]),
    ).map("".join)
    garbage = st.text(alphabet="0123456789./-+eE_ nafix", min_size=1, max_size=8)
    floats = st.floats(allow_nan=True, allow_infinity=True).map(repr)
    texts = st.one_of(decimals, fractions, exponents, garbage, floats, st.integers(-2, 2).map(str))
    return texts.filter(lambda t: t.strip() != "")  # an empty cell means "no FTE" to HR


def _date_texts() -> st.SearchStrategy[str]:
    real = st.dates(dt.date(2020, 1, 1), TODAY + dt.timedelta(days=400)).map(dt.date.isoformat)
    shaped = st.tuples(st.integers(2019, 2031), st.integers(0, 13), st.integers(0, 32)).map(
        lambda t: f"{t[0]}-{t[1]:02d}-{t[2]:02d}"
    )
    other = st.sampled_from(["20250601", "2025-W23-1", "2025-06-01T00:00", "1/6/2025", "", "x"])
    return st.one_of(real, shaped, other)


AGREE = settings(suppress_health_check=[HealthCheck.too_slow])


@AGREE
@given(fte=_number_texts())
def test_an_fte_is_read_alike_by_file_command_line_and_hr_import(fte: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        outcomes = {
            "record file": by_record_file("2025-06-02", fte),
            "command line": by_command_line(folder, "2025-06-02", fte),
            "HR import": by_hr_import(folder, "2025-06-02", fte),
        }
    assert len(set(outcomes.values())) == 1, outcomes  # no percentage or hours form generated


@AGREE
@given(qualified=_date_texts())
def test_a_date_is_read_alike_by_file_command_line_and_hr_import(qualified: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        outcomes = {
            "record file": by_record_file(qualified, "3/5"),
            "command line": by_command_line(folder, qualified, "3/5"),
            "HR import": by_hr_import(folder, qualified, "3/5"),
        }
    if UK_DATE.fullmatch(qualified.strip()):
        # A spreadsheet's day-first date: only an HR export writes one, and the import reads it
        # as parse_sheet_date does (tests/test_hr_sheets.py); the record file and the command
        # line keep to ISO.
        assert outcomes["record file"] == outcomes["command line"] == "not a date", outcomes
        try:
            expected: object = (parse_sheet_date(qualified), Fraction(3, 5))
        except ParseError:
            expected = "not a date"
        assert outcomes["HR import"] == expected, outcomes
        return
    assert len(set(outcomes.values())) == 1, outcomes


def test_the_paths_agree_on_values_each_once_read_apart() -> None:
    # Examples the property found or that broke a path once, kept so they run every time.
    for fte in ("0.6", "3/5", "1", " 1/2 ", "1e-2", "1e999", "1e-1000", "nan", "1/0", "0", "2"):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            got = {
                by_record_file("2025-06-02", fte),
                by_command_line(folder, "2025-06-02", fte),
                by_hr_import(folder, "2025-06-02", fte),
            }
        assert len(got) == 1, (fte, got)


# --- the HR import no longer hangs ---------------------------------------------------------------


def test_the_hr_import_refuses_a_huge_exponent_at_once(tmp_path: Path) -> None:
    # Found by review: the import read an FTE with Fraction() alone, and Fraction("1e999999999")
    # computes 10**999999999: `ecf import` of a one-row file held for ever.  Run in a process of
    # its own, so that a regression fails on the timeout instead of hanging the test run.
    rows = tmp_path / "hr.csv"
    rows.write_text(
        ",".join(HEADER) + "\nn-1,A,2025-06-01,asye,2026-01-05,children,1e999999999\n",
        encoding="utf-8",
    )
    (tmp_path / "records").mkdir()
    try:
        done = subprocess.run(  # this interpreter, running ecf on a test file
            [sys.executable, "-m", "ecf", "import", str(rows), "--into", str(tmp_path / "records")],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("ecf import still hangs on an FTE of 1e999999999")
    assert done.returncode == 2, done.stderr
    assert (
        f"error: {rows}: row 2: fte: invalid FTE, expected 0.6, 3/5, 60% or 22.5 of 37 hours "
        "(got '1e999999999')"
    ) in done.stderr.splitlines()
