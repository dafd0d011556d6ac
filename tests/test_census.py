"""The children's social work workforce census rows (ecf census): the census year 1 October to
30 September, FTE at 30 September, days absent by category, start and leaving dates, coded
leaving reasons and agency status, from versioned data."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tomllib
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings

from ecf import census, export
from ecf.census import CensusError, census_rows, census_year, load_census_data
from ecf.cli import main
from ecf.records import Record, record_from_dict
from ecf.testing import records

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "ecf" / "data" / "census" / "2026.toml"
DOC = ROOT / "docs" / "census.md"
YEAR = census_year(2026)
KEY = b"a-key-of-sixteen-bytes-or-more"


def record(**fields: Any) -> Record:
    data: dict[str, Any] = {
        "schema_version": 3,
        "id": "w1",
        "name": "Ada Example",
        "qualified": dt.date(2024, 7, 1),
        "service": "children",
        "swe": "SW123456",
        "council": "E09000030",
        "enrolments": [
            {"stage": "asye", "start": dt.date(2025, 1, 6), "framework": "baseline-2026"}
        ],
    }
    data.update(fields)
    return record_from_dict(data)


def one(rec: Record, **options: Any) -> census.CensusRow:
    rows = census_rows([rec], YEAR, **options)
    assert len(rows) == 1
    return rows[0]


def test_the_census_year_2026_runs_from_1_october_2025_to_30_september_2026() -> None:
    # Published: each census year ends on 30 September; headcount and FTE are taken then.
    assert (YEAR.first_day, YEAR.last_day, YEAR.reference_date) == (
        dt.date(2025, 10, 1),
        dt.date(2026, 9, 30),
        dt.date(2026, 9, 30),
    )
    assert YEAR.verified
    assert census.census_years() == (2026,)


@pytest.mark.parametrize(
    ("employment", "included", "in_post"),
    [
        ([{"from": dt.date(2026, 10, 1)}], False, None),  # starts after the year
        ([{"from": dt.date(2026, 9, 30)}], True, True),  # the reference day itself
        ([{"from": dt.date(2024, 1, 1), "to": dt.date(2025, 9, 30)}], False, None),  # left before
        ([{"from": dt.date(2024, 1, 1), "to": dt.date(2025, 10, 1)}], True, False),  # left in it
        ([{"from": dt.date(2024, 1, 1), "to": dt.date(2026, 9, 30)}], True, True),  # left on 30 Sep
        ([{"from": dt.date(2024, 1, 1), "to": dt.date(2026, 10, 31)}], True, True),  # left after
    ],
)
def test_who_is_in_the_year(
    employment: list[dict[str, Any]], included: bool, in_post: bool | None
) -> None:
    rec = record(
        enrolments=[
            {"stage": "asye", "start": employment[0]["from"], "framework": "baseline-2026"}
        ],
        employment=[{**e, "council": "E09000030"} for e in employment],
    )
    rows = census_rows([rec], YEAR)
    assert bool(rows) == included
    if rows:
        assert rows[0].in_post_at_reference is in_post
        to = employment[0].get("to")
        assert rows[0].leaving_date == (to if to is not None and to <= YEAR.last_day else None)


def test_fte_on_30_september() -> None:
    rec = record(
        hours=[
            {"from": dt.date(2025, 6, 1), "fte": "1/2"},
            {"from": dt.date(2026, 9, 30), "fte": "3/5"},  # in force from its day, inclusive
        ]
    )
    row = one(rec)
    assert row.fte_at_reference == Fraction(3, 5)
    assert row.cells(YEAR)["fte_at_reference"] == "0.60"
    retracted = record(
        hours=[
            {"from": dt.date(2025, 6, 1), "fte": "1/2"},
            {
                "from": dt.date(2026, 9, 30),
                "fte": "3/5",
                "retracted": dt.datetime(2026, 10, 2, tzinfo=dt.UTC),
            },
        ]
    )
    assert one(retracted).fte_at_reference == Fraction(1, 2)
    full = one(record())
    assert full.fte_at_reference == 1
    assert full.cells(YEAR)["fte_at_reference"] == "1.00"


def test_days_absent_by_category_inside_the_year() -> None:
    rec = record(
        absences=[
            # 20 Sep - 10 Oct 2025: 10 days fall in the year
            {"kind": "sickness", "first": dt.date(2025, 9, 20), "last": dt.date(2025, 10, 10)},
            {"kind": "sickness", "first": dt.date(2026, 3, 2), "last": dt.date(2026, 3, 4)},
            {"kind": "parental", "first": dt.date(2026, 4, 1), "last": dt.date(2026, 7, 29)},
            {"kind": "bereavement", "first": dt.date(2026, 8, 3), "last": dt.date(2026, 8, 7)},
            {"kind": "annual-leave", "first": dt.date(2026, 8, 10), "last": dt.date(2026, 8, 21)},
            {"kind": "training", "first": dt.date(2026, 9, 1), "last": dt.date(2026, 9, 2)},
            # 25 Sep - 6 Oct 2026: 6 days in the year
            {"kind": "unpaid", "first": dt.date(2026, 9, 25), "last": dt.date(2026, 10, 6)},
            {
                "kind": "sickness",
                "first": dt.date(2026, 1, 5),
                "last": dt.date(2026, 1, 9),
                "retracted": dt.datetime(2026, 1, 12, tzinfo=dt.UTC),
            },
        ]
    )
    row = one(rec)
    assert row.days_absent == {"sickness": 13, "parental": 120, "other": 11}
    cells = row.cells(YEAR)
    assert (cells["days_absent_sickness"], cells["days_absent_parental"]) == (13, 120)
    assert "days_absent_sickness" in row.unverified


def test_absence_after_leaving_is_not_counted() -> None:
    rec = record(
        employment=[
            {"from": dt.date(2025, 1, 6), "to": dt.date(2026, 3, 31), "council": "E09000030"}
        ],
        absences=[
            {"kind": "sickness", "first": dt.date(2026, 3, 30), "last": dt.date(2026, 4, 20)}
        ],
        left={"date": dt.date(2026, 3, 31), "reason": "Resigned"},
    )
    row = one(rec)
    assert row.days_absent["sickness"] == 2
    assert row.leaving_date == dt.date(2026, 3, 31)
    assert row.leaving_reason == "RES"  # "Resigned": any case
    assert row.fte_at_reference is None
    assert row.in_post_at_reference is False
    assert row.ecf_stage == "asye"


@pytest.mark.parametrize(
    ("words", "code"),
    [
        ("resigned", "RES"),
        ("  RETIRED ", "RET"),
        ("moved council", "LA"),
        ("end of contract", "FTC"),
        ("a personal matter", "NK"),  # no code matches: the unmapped code, reported
    ],
)
def test_leaving_reasons_are_coded(words: str, code: str) -> None:
    rec = record(
        employment=[
            {"from": dt.date(2025, 1, 6), "to": dt.date(2026, 5, 1), "council": "E09000030"}
        ],
        left={"date": dt.date(2026, 5, 1), "reason": words},
    )
    row = one(rec)
    assert row.leaving_reason == code
    assert row.reason_mapped is (code != "NK")
    assert "leaving_reason" in row.unverified


def test_a_transfer_is_leaving_the_first_council() -> None:
    rec = record(
        employment=[
            {"from": dt.date(2025, 1, 6), "to": dt.date(2026, 5, 31), "council": "E09000030"},
            {"from": dt.date(2026, 6, 22), "council": "E08000035"},
        ],
        council="E08000035",
    )
    old = one(rec, council="E09000030")
    assert (old.council, old.leaving_date, old.leaving_reason) == (
        "E09000030",
        dt.date(2026, 5, 31),
        "LA",
    )
    new = one(rec, council="E08000035")
    assert (new.council, new.start_date, new.leaving_date) == (
        "E08000035",
        dt.date(2026, 6, 22),
        None,
    )
    assert one(rec).council == "E08000035"  # default: the latest employer in the year
    assert census_rows([rec], YEAR, council="E06000023") == []


@pytest.mark.parametrize(("value", "code"), [(True, "Y"), (False, "N"), ("yes", ""), (None, "")])
def test_agency_status_where_known(value: object, code: str) -> None:
    extra = {} if value is None else {"agency": value}
    row = one(record(extra=extra))
    assert row.agency == code
    assert ("agency" in row.unverified) is (code != "")


def test_adults_practitioners_are_not_in_the_childrens_census() -> None:
    assert census_rows([record(service="adults")], YEAR) == []


def test_pseudonymised_rows() -> None:
    row = one(record(), key=KEY)
    assert row.worker_id == export.pseudonym(KEY, "w1")
    assert row.swe_registration is None


def _data(**changes: Any) -> dict[str, Any]:
    data = tomllib.loads(DATA.read_text("utf-8"))
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        (
            {"unmapped": "ZZ"},
            "x.toml: unmapped: is not one of the leaving_reasons' codes (got 'ZZ')",
        ),
        ({"reference_date": dt.date(2026, 10, 1)}, "x.toml: reference_date: must fall within"),
        ({"year": 2025}, "x.toml: year: the census year is named by the year it ends in"),
        (
            {"leaving_reasons": [{"code": "A", "title": "a"}, {"code": "A", "title": "b"}]},
            "x.toml: leaving_reasons[1].code: duplicate code (got 'A')",
        ),
        (
            {
                "absence_categories": [
                    {"id": "a", "column": "days_a", "title": "a", "kinds": ["sickness"]},
                    {"id": "b", "column": "days_b", "title": "b", "kinds": ["sickness"]},
                ]
            },
            "x.toml: absence_categories[1].kinds[0]: already counted in category 'a'",
        ),
        (
            {
                "absence_categories": [
                    {"id": "a", "column": "agency", "title": "a", "kinds": ["sickness"]}
                ]
            },
            "x.toml: absence_categories[0].column: is one of the census's own columns",
        ),
    ],
)
def test_bad_census_data_names_the_file_and_field(changes: dict[str, Any], line: str) -> None:
    with pytest.raises(CensusError) as caught:
        load_census_data(_data(**changes), file="x.toml")
    assert any(text.startswith(line) for text in caught.value.lines()), caught.value.lines()


def test_an_unknown_year() -> None:
    with pytest.raises(CensusError, match=re.escape("no census data for this year (known: 2026)")):
        census_year(2019)


def test_every_code_is_documented_with_its_status() -> None:
    # docs/census.md lists each code with "verified" or "unverified", as the data says.
    text = DOC.read_text("utf-8")
    for reason in YEAR.leaving_reasons:
        status = "verified" if reason.verified else "unverified"
        assert re.search(
            rf"\| `{reason.code}` \| {re.escape(reason.title)} \| {status} \|", text
        ), reason.code
    for category in YEAR.absence_categories:
        status = "verified" if category.verified else "unverified"
        kinds = ", ".join(f"`{k}`" for k in category.kinds)
        assert f"| `{category.column}` | {kinds} | {status} |" in text, category.id


# The command, as a council's HR analyst runs it.


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    import ecf  # noqa: PLC0415 - the library's own edit, as an HR tool calls it

    root = tmp_path / "records"
    root.mkdir()
    day = dt.date(2026, 11, 24)
    ecf.create(
        root / "stays.toml", id="w-stays", name="Ada Stays", qualified=dt.date(2024, 7, 1),
        stage="asye", start=dt.date(2025, 1, 6), by="hr", council="E09000030", today=day,
    )  # fmt: skip
    with ecf.edit(root / "stays.toml", by="hr", today=day) as editor:
        editor.add_hours(dt.date(2026, 2, 2), "0.8")
        editor.add_absence("sickness", dt.date(2026, 1, 5), dt.date(2026, 1, 9))
    ecf.create(
        root / "leaves.toml", id="w-leaves", name="Bea Leaves", qualified=dt.date(2024, 7, 1),
        stage="asye", start=dt.date(2025, 1, 6), by="hr", council="E09000030", today=day,
    )  # fmt: skip
    with ecf.edit(root / "leaves.toml", by="hr", today=day) as editor:
        editor.leave(dt.date(2026, 4, 30), "Family reasons")
    ecf.create(
        root / "adults.toml", id="w-adults", name="Cy Adults", qualified=dt.date(2024, 7, 1),
        stage="asye", start=dt.date(2025, 1, 6), by="hr", council="E09000030", today=day,
        service="adults",
    )  # fmt: skip
    return root


def test_the_command_writes_the_return(folder: Path, tmp_path: Path) -> None:
    result = run("census", folder, "--year", "2026")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == census.columns(YEAR) == census.COLUMNS
    assert [r["worker_id"] for r in rows] == ["w-leaves", "w-stays"]
    leaves, stays = rows
    assert (leaves["leaving_date"], leaves["leaving_reason"], leaves["in_post_at_reference"]) == (
        "2026-04-30",
        "NK",
        "N",
    )
    assert (
        stays["fte_at_reference"],
        stays["days_absent_sickness"],
        stays["swe_registration"],
    ) == (
        "0.80",
        "5",
        "",
    )
    # The unmapped reason is reported by id, never in its own words (a leaving reason may be
    # health-related: special category data).
    assert "warning: w-leaves: leaving reason matches no census code" in result.stderr
    assert "Family reasons" not in result.output
    assert "Ada" not in result.output
    out = tmp_path / "census.csv"
    written = run("census", folder, "--year", "2026", "--out", out, "--excel")
    assert written.exit_code == 0, written.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbfworker_id,")
    again = run("census", folder, "--year", "2026", "--out", out)
    assert again.exit_code == 2  # never replaces a file
    assert "already exists; not replaced" in again.output


def test_the_command_pseudonymised(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_PSEUDONYM_KEY", KEY.decode())
    result = run("census", folder, "--year", "2026", "--pseudonymise")
    assert result.exit_code == 0, result.output
    ids = [r["worker_id"] for r in csv.DictReader(io.StringIO(result.stdout))]
    assert sorted(ids) == sorted(export.pseudonym(KEY, i) for i in ("w-stays", "w-leaves"))
    assert "w-stays" not in result.output


def test_the_command_on_the_shipped_cohort() -> None:
    result = run("census", ROOT / "examples" / "cohort", "--year", "2026")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows
    assert all(r["in_post_at_reference"] in ("Y", "N") for r in rows)
    assert any(int(r["days_absent_sickness"]) for r in rows)


def test_an_unknown_year_or_mismatched_data_is_exit_2(folder: Path, tmp_path: Path) -> None:
    unknown = run("census", folder, "--year", "2019")
    assert unknown.exit_code == 2
    assert "no census data for this year (known: 2026)" in unknown.output
    other = tmp_path / "2027.toml"
    other.write_text(
        DATA.read_text("utf-8")
        .replace("year = 2026", "year = 2027")
        .replace("2025-10-01", "2026-10-01")
        .replace("2026-09-30", "2027-09-30"),
        encoding="utf-8",
    )
    assert run("census", folder, "--year", "2027", "--data", other).exit_code == 0
    mismatch = run("census", folder, "--year", "2026", "--data", other)
    assert mismatch.exit_code == 2
    assert "--data is for the census year 2027, not 2026" in mismatch.output


# Properties, over any valid record (ecf.testing.records).

TODAY = dt.date(2026, 11, 24)


@settings(max_examples=100)
@given(rec=records(today=TODAY))
def test_every_row_is_within_its_year_and_employment(rec: Record) -> None:
    year = YEAR
    for row in census_rows([rec], year):
        assert row.start_date <= year.last_day
        assert row.leaving_date is None or year.first_day <= row.leaving_date <= year.last_day
        assert (row.fte_at_reference is not None) is row.in_post_at_reference
        assert row.leaving_date is None or row.leaving_reason is not None
        end = row.leaving_date or year.last_day
        spell = (end - max(row.start_date, year.first_day)).days + 1
        # Absences do not overlap (a valid record), so their days fit in the spell.
        assert 0 <= sum(row.days_absent.values()) <= spell
        assert set(row.days_absent) == {c.id for c in year.absence_categories}
        if rec.service == "adults":
            pytest.fail("an adults' practitioner in the children's census")
