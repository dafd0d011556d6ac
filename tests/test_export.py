"""Exports: CSV that survives a round trip and never runs as a spreadsheet formula, JSON Lines,
and keyed pseudonyms that hide record ids and names.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from ecf import cohort, export
from ecf._convert import to_json
from ecf.cli import main
from ecf.errors import EcfError
from ecf.framework import FrameworkRegistry
from ecf.records import Enrolment, Record
from ecf.store import render

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synth  # the benchmarks folder is put on the path just above

REGISTRY = FrameworkRegistry.default()
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
KEY = b"0123456789abcdef-test-key"
OTHER_KEY = b"fedcba9876543210-test-key"
AS_OF = "2026-06-01"

#: Text that stresses CSV: separators, quotes, line breaks, formula starts, any unicode.
TRICKY = st.text(
    alphabet=st.one_of(
        st.sampled_from([",", '"', "'", "\n", "\r", "\t", "=", "+", "-", "@", " ", ";", "é"]),
        st.characters(),
    ),
    max_size=12,
)
CELL = st.one_of(st.none(), st.integers(), TRICKY, st.lists(TRICKY, max_size=3))


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The record cache goes to the test's folder, and no key is set unless a test sets one."""
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(export.KEY_ENV, raising=False)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


# --- formula injection ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("north", "north"),
        ("a=b", "a=b"),
        ("'=already quoted", "'=already quoted"),
        ("", ""),
        (None, ""),
        (3, "3"),
        (-3, "'-3"),
        (dt.date(2025, 12, 1), "2025-12-01"),
        (["=a", "b"], "'=a; b"),
        (("b", "=a"), "b; =a"),
        ([], ""),
    ],
)
def test_safe_cell(value: object, cell: str) -> None:
    assert export.safe_cell(value) == cell


@given(CELL)
def test_safe_cell_never_starts_a_formula(value: object) -> None:
    cell = export.safe_cell(value)
    assert not cell.startswith(DANGEROUS)
    if cell.startswith("'") and isinstance(value, str) and value.startswith(DANGEROUS):
        assert cell[1:] == value


@given(st.lists(st.tuples(CELL, CELL, CELL), max_size=5))
def test_no_csv_cell_starts_a_formula_and_every_row_stays_one_row(
    rows: list[tuple[object, object, object]],
) -> None:
    columns = ["a", "b", "c"]
    text = export.csv_text([dict(zip(columns, row, strict=True)) for row in rows], columns)
    parsed = parse(text)
    assert parsed[0] == columns
    assert len(parsed) == len(rows) + 1, text
    for written, original in zip(parsed[1:], rows, strict=True):
        assert written == [export.safe_cell(v) for v in original]
        for cell in written:
            assert not cell.startswith(DANGEROUS), cell


def test_a_carriage_return_inside_a_cell_cannot_start_a_new_row_with_a_formula() -> None:
    text = export.csv_text([{"team": "north\r=HYPERLINK(1)", "id": "r1"}], ["id", "team"])
    assert parse(text) == [["id", "team"], ["r1", "north\r=HYPERLINK(1)"]]


def test_csv_round_trip_of_commas_quotes_line_breaks_and_unicode() -> None:
    rows: list[dict[str, Any]] = [
        {"id": "r1", "note": "Smith, Jo", "team": 'the "front door"'},
        {"id": "r2", "note": "first line\nsecond line", "team": "Zoë Ngũgĩ 東京 🙂"},
        {"id": "r3", "note": "windows\r\nline", "team": "tab\tinside"},
        {"id": "r4", "note": None, "team": ""},
    ]
    columns = ["id", "note", "team"]
    text = export.csv_text(rows, columns)
    assert list(csv.DictReader(io.StringIO(text, newline=""))) == [
        {c: "" if r[c] is None else r[c] for c in columns} for r in rows
    ]


def test_csv_columns_pick_and_order_the_fields() -> None:
    text = export.csv_text([{"b": 2, "a": 1, "z": "ignored"}], ["a", "b", "missing"])
    assert parse(text) == [["a", "b", "missing"], ["1", "2", ""]]


def test_a_team_that_is_a_formula_is_escaped_in_a_cohort_csv(tmp_path: Path) -> None:
    teams = {
        "r1": '=HYPERLINK("http://evil.example","x")',
        "r2": "+1",
        "r3": "-1",
        "r4": "@cmd",
        "r5": "\t=cmd",
        "r6": "north\r=1+1",
    }
    base = Record(
        schema_version=1,
        id="r0",
        name="Person",
        qualified=dt.date(2025, 6, 1),
        service="children",
        enrolments=(Enrolment("asye", dt.date(2025, 9, 1), "baseline-2026"),),
    )
    root = tmp_path / "records"
    root.mkdir()
    for record_id, team in teams.items():
        record = attrs.evolve(base, id=record_id, extra={"team": team})
        (root / f"{record_id}.toml").write_text(render(record), encoding="utf-8")
    result = run("cohort", str(root), "--as-of", "2025-11-20", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    written = {row["id"]: row["team"] for row in csv.DictReader(io.StringIO(result.stdout))}
    assert written == {
        "r1": '\'=HYPERLINK("http://evil.example","x")',
        "r2": "'+1",
        "r3": "'-1",
        "r4": "'@cmd",
        "r5": "'\t=cmd",
        "r6": "north\r=1+1",
    }
    assert len(parse(result.stdout)) == 1 + len(teams)


# --- JSON Lines -----------------------------------------------------------------------------


def test_json_lines_one_object_per_line_unicode_kept() -> None:
    rows: list[dict[str, Any]] = [
        {"id": "r1", "team": "Zoë", "note": "two\nlines", "due": dt.date(2025, 12, 1)},
        {"id": "r2", "team": None, "reasons": ["a: missed"]},
    ]
    lines = list(export.json_lines(rows))
    assert len(lines) == 2
    assert all("\n" not in line for line in lines)
    assert "Zoë" in lines[0]
    assert json.loads(lines[0]) == {
        "id": "r1",
        "team": "Zoë",
        "note": "two\nlines",
        "due": "2025-12-01",
    }
    assert json.loads(lines[1]) == rows[1]


# --- pseudonyms -----------------------------------------------------------------------------


def test_pseudonym_is_a_keyed_hash() -> None:
    expected = "p-" + hmac.new(KEY, b"r000123", hashlib.sha256).hexdigest()[:16]
    assert export.pseudonym(KEY, "r000123") == expected
    assert export.pseudonym(KEY, "r000123") != "p-" + hashlib.sha256(b"r000123").hexdigest()[:16]


@given(
    st.from_regex(r"[g-oq-zG-Z][A-Za-z0-9._-]{0,30}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,30}", fullmatch=True),
)
def test_pseudonym_is_stable_per_key_and_never_shows_the_id(record_id: str, other: str) -> None:
    first = export.pseudonym(KEY, record_id)
    assert re.fullmatch(r"p-[0-9a-f]{16}", first)
    assert export.pseudonym(KEY, record_id) == first
    assert export.pseudonym(OTHER_KEY, record_id) != first
    assert record_id not in first
    if other != record_id:
        assert export.pseudonym(KEY, other) != first


def test_pseudonymise_replaces_the_id_and_drops_the_name() -> None:
    row = {"id": "r000123", "name": "Alex Example", "team": "north", "overdue": 1}
    out = export.pseudonymise(row, KEY)
    assert out == {"id": export.pseudonym(KEY, "r000123"), "team": "north", "overdue": 1}
    assert row["id"] == "r000123"
    assert row["name"] == "Alex Example"
    assert export.pseudonymise({"id": None, "team": "x"}, KEY) == {"id": None, "team": "x"}


def synthetic(tmp_path: Path, count: int = 6) -> tuple[Path, list[dict[str, Any]]]:
    root = tmp_path / "records"
    synth.generate(root, count)
    return root, synth.records(count)


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "jsonl"])
def test_pseudonymised_cohort_exports_hold_no_id_and_no_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    root, people = synthetic(tmp_path)
    monkeypatch.setenv(export.KEY_ENV, KEY.decode())
    result = run("cohort", str(root), "--as-of", AS_OF, "--pseudonymise", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    for person in people:
        assert person["id"] not in result.stdout
        assert person["name"] not in result.stdout
        assert export.pseudonym(KEY, person["id"]) in result.stdout


def test_pseudonymised_cohort_rows_keep_their_order_and_other_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, people = synthetic(tmp_path)
    plain = run("cohort", str(root), "--as-of", AS_OF, "--format", "jsonl")
    key_file = tmp_path / "pseudonym.key"
    key_file.write_bytes(KEY + b"\n")
    hidden = run(
        "cohort",
        str(root),
        "--as-of",
        AS_OF,
        "--format",
        "jsonl",
        "--pseudonymise",
        "--key-file",
        str(key_file),
    )
    assert plain.exit_code == hidden.exit_code == 0, hidden.stderr
    before = [json.loads(line) for line in plain.stdout.splitlines()]
    after = [json.loads(line) for line in hidden.stdout.splitlines()]
    assert [a["id"] for a in after] == [export.pseudonym(KEY, p["id"]) for p in people]
    # Names are dropped (the assessor's, a colleague's); every other column is kept.
    names = set(export.NAMES)
    kept = [{**{k: v for k, v in b.items() if k not in names}, "id": None} for b in before]
    assert kept == [{**a, "id": None} for a in after]
    # The same key from the environment gives the same pseudonyms: exports can be joined.
    monkeypatch.setenv(export.KEY_ENV, KEY.decode())
    again = run("cohort", str(root), "--as-of", AS_OF, "--format", "jsonl", "--pseudonymise")
    assert again.stdout == hidden.stdout


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_pseudonymised_workforce_holds_no_id_and_no_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    root, people = synthetic(tmp_path)
    monkeypatch.setenv(export.KEY_ENV, KEY.decode())
    result = run("workforce", str(root), "--as-of", AS_OF, "--pseudonymise", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    for person in people:
        assert person["id"] not in result.stdout
        assert person["name"] not in result.stdout
        assert export.pseudonym(KEY, person["id"]) in result.stdout


def test_pseudonymised_library_rows_hold_no_id() -> None:
    loaded = cohort.load_rows(synth.records(3), REGISTRY, synth.TODAY)
    rows = [to_json(r) for r in cohort.rows(loaded.records, dt.date(2026, 6, 1), REGISTRY)]
    text = export.csv_text([export.pseudonymise(r, KEY) for r in rows], list(rows[0]))
    for record in loaded.records:
        assert record.id not in text
        assert record.name not in text


# --- the key ----------------------------------------------------------------------------------


def test_read_key_from_a_file_strips_the_line_end(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(b"  " + KEY + b"\n")
    assert export.read_key(key_file) == KEY
    assert export.read_key(str(key_file)) == KEY


def test_read_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(export.KEY_ENV, "sixteen-bytes-ok")
    assert export.read_key() == b"sixteen-bytes-ok"


def test_a_key_file_wins_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(export.KEY_ENV, OTHER_KEY.decode())
    key_file = tmp_path / "key"
    key_file.write_bytes(KEY)
    assert export.read_key(key_file) == KEY


@pytest.mark.parametrize("key", ["", "fifteen-bytes!!", "   short   "])
def test_a_short_key_from_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv(export.KEY_ENV, key)
    with pytest.raises(EcfError, match="16 bytes or more") as caught:
        export.read_key()
    assert export.KEY_ENV in str(caught.value)


def test_no_key_at_all_is_refused() -> None:
    with pytest.raises(EcfError, match="ECF_PSEUDONYM_KEY"):
        export.read_key()


def test_a_short_key_file_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(b"fifteen-bytes!!\n")
    with pytest.raises(EcfError, match="16 bytes or more"):
        export.read_key(key_file)


def test_a_missing_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EcfError, match="cannot read the key file") as caught:
        export.read_key(tmp_path / "nowhere")
    assert caught.value.problems[0].file == str(tmp_path / "nowhere")


def test_cohort_with_a_short_key_file_is_exit_2(tmp_path: Path) -> None:
    root, _ = synthetic(tmp_path, 2)
    key_file = tmp_path / "key"
    key_file.write_bytes(b"short")
    result = run("cohort", str(root), "--pseudonymise", "--key-file", str(key_file))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "16 bytes or more" in result.stderr
