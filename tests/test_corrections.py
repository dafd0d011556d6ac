"""Corrections with a trail: stable ids, ``ecf correct``, ``ecf retract`` (:mod:`ecf.items`)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

import ecf
from ecf.cli import main
from ecf.framework import FrameworkRegistry
from ecf.history import verify
from ecf.items import correct, item_ids, next_id, retract
from ecf.records import HistoryEntry, Record
from ecf.status import status
from ecf.store import read_record

FIXTURES = Path(__file__).parent / "fixtures"
REGISTRY = FrameworkRegistry.default()
AT = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_USER", "tester")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def ok(*args: str | Path) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def record_file(tmp_path: Path) -> Path:
    """An ASYE from 2025-09-01: a long sickness, three direct observations (one dated wrongly,
    before the stage), a 3-month review held."""
    file = tmp_path / "r.toml"
    ok(
        "new",
        file,
        "--id",
        "r1",
        "--name",
        "A Person",
        "--qualified",
        "2025-06-01",
        "--stage",
        "asye",
        "--start",
        "2025-09-01",
    )
    ok("add", "absence", file, "--kind", "sickness", "--from", "2025-10-06", "--to", "2025-11-30")
    for day in ("2025-08-20", "2025-11-03", "2026-01-12"):  # the first was meant 2025-10-20
        ok("add", "evidence", file, "--kind", "direct-observation", "--date", day, "--by", "M. R")
    ok("add", "review", file, "review-3m", "--date", "2026-01-05")
    return file


def observations(file: Path) -> dict[str, Any]:
    """The baseline's direct-observation finding, as ``ecf assess --json`` gives it."""
    result = run("assess", file, "--json", "--as-of", "2026-11-24")
    findings = json.loads(result.output)["findings"]
    return next(f for f in findings if f["rule"] == "direct-observations")


def error_lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error:")]


# --- the "done when" ----------------------------------------------------------------


def test_a_corrected_date_and_a_retracted_item_keep_verify_intact_and_change_the_assessment(
    record_file: Path,
) -> None:
    before = observations(record_file)
    assert before["evidence"] == ["ev-002", "ev-003"]  # ev-001 falls before the stage
    out = ok("correct", record_file, "ev-001", "--date", "2025-10-20", "--reason", "mistyped")
    assert out == "r1: ev-001 corrected: date 2025-08-20 -> 2025-10-20; mistyped\n"
    assert ok("verify", record_file).startswith(f"{record_file}: intact")
    assert observations(record_file)["evidence"] == ["ev-001", "ev-002", "ev-003"]

    ok("retract", record_file, "ev-002", "--reason", "observed someone else")
    assert ok("verify", record_file).startswith(f"{record_file}: intact")
    after = observations(record_file)
    assert after["evidence"] == ["ev-001", "ev-003"]  # a retracted item is never counted
    assert after["message"].startswith("2 of 3 direct observations")

    timeline = ok("timeline", record_file)
    assert "2025-10-20  Evidence ev-001: direct-observation, corrected" in timeline
    assert "2025-11-03  Evidence ev-002: direct-observation, retracted" in timeline
    assert "ev-001 corrected: date 2025-08-20 -> 2025-10-20; mistyped (by tester)" in timeline
    assert "ev-002 retracted; observed someone else (by tester)" in timeline
    record = read_record(record_file)
    assert record.evidence[1].retracted is not None  # it stays in the file, marked


# --- stable ids -----------------------------------------------------------------------------


def test_every_item_has_an_id_shown_by_the_timeline(record_file: Path) -> None:
    ok("add", "hours", record_file, "--from", "2026-02-02", "--fte", "0.6")
    ok(
        "decide",
        record_file,
        "--outcome",
        "deferred",
        "--date",
        "2026-03-01",
        "--by",
        "Pat",
        "--reason",
        "absence",
    )
    lines = ok("timeline", record_file)
    for shown in (
        "Employed at a council (em-1)",
        "Absence: sickness, 56 days to 2025-11-30 (ab-1)",
        "Evidence ev-001: direct-observation",
        "3-month review held (rv-1)",
        "Working pattern 0.6 FTE (hr-1)",
        "Decision dec-1: deferred [absence], by Pat",
    ):
        assert shown in lines, shown


def test_items_written_before_ids_get_the_ids_the_timeline_showed(tmp_path: Path) -> None:
    # A record written before ids: derived ids are its places, and the first change to a list
    # kept in date order stores them, so an id once shown never moves to another item.
    file = tmp_path / "old.toml"
    shutil.copy(FIXTURES / "schema-3.toml", file)
    shown = ok("timeline", file)
    assert "(rv-1)" in shown
    assert "Employed at E06000023 (em-1)" in shown
    ok("add", "absence", file, "--kind", "sickness", "--from", "2026-03-02", "--to", "2026-03-06")
    ok("add", "absence", file, "--kind", "training", "--from", "2026-01-05", "--to", "2026-01-06")
    record = read_record(file)
    assert [a.id for a in record.absences] == ["ab-2", "ab-1"]  # date order, ids kept
    ok("correct", file, "ab-1", "--to", "2026-03-04", "--reason", "came back early")
    assert read_record(file).absences[1].last == dt.date(2026, 3, 4)
    assert ok("verify", file).startswith(f"{file}: intact")


def test_next_id_is_the_hook_for_new_lists() -> None:
    assert next_id((), "as") == "as-1"
    items = (ecf.Absence("sickness", dt.date(2026, 1, 1), dt.date(2026, 1, 2)),)
    assert next_id(items, "ab") == "ab-2"
    # A stored id is kept; one missing takes its place unless taken, then the next free one.
    mixed = (
        ecf.Absence("sickness", dt.date(2026, 1, 1), dt.date(2026, 1, 2)),
        ecf.Absence("sickness", dt.date(2026, 2, 1), dt.date(2026, 2, 2), "ab-1"),
    )
    assert item_ids(mixed, "ab") == ("ab-2", "ab-1")
    assert next_id(mixed, "ab") == "ab-3"


@given(st.lists(st.one_of(st.none(), st.integers(1, 20)), max_size=12, unique=True))
def test_ids_are_unique_whatever_was_stored(stored: list[int | None]) -> None:
    items = tuple(
        ecf.Absence(
            "sickness", dt.date(2026, 1, 1), dt.date(2026, 1, 1), None if n is None else f"ab-{n}"
        )
        for n in stored
    )
    ids = item_ids(items, "ab")
    assert len(set(ids)) == len(ids)
    assert next_id(items, "ab") not in ids


# --- bad input: exit 2, one line naming the file, the item and the reason; nothing changes ----


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("correct", "{f}", "ev-009", "--date", "2026-01-01", "--reason", "x"),
            (
                "{f}: ev-009: no evidence item with this id in the record "
                "(`ecf timeline` shows every id)"
            ),
        ),
        (
            ("correct", "{f}", "ev-001", "--fte", "0.5", "--reason", "x"),
            (
                "{f}: ev-001.fte: an evidence item has no field fte to correct "
                "(its fields: date, kind, standard, note, by)"
            ),
        ),
        (
            ("correct", "{f}", "ab-1", "--date", "2026-01-01", "--reason", "x"),
            "{f}: ab-1.date: an absence has no field date to correct (its fields: kind, from, to)",
        ),
        (
            ("correct", "{f}", "zz-1", "--date", "2026-01-01", "--reason", "x"),
            (
                "{f}: id: not an item id (ids look like ev-N, ab-N, hr-N, rv-N, dec-N, em-N, "
                "as-N) (got 'zz-1')"
            ),
        ),
        (
            ("correct", "{f}", "ev-001", "--reason", "x"),
            "{f}: ev-001: say what to correct (its fields: date, kind, standard, note, by)",
        ),
        (
            ("correct", "{f}", "ev-001", "--date", "2025-08-20", "--reason", "x"),
            "{f}: ev-001: it already holds these values: nothing to correct",
        ),
        (
            ("correct", "{f}", "ev-001", "--date", "2025-08-20", "--reason", " "),
            "{f}: reason: say why (--reason): it is kept in the history",
        ),
        (
            ("correct", "{f}", "ev-001", "--kind", "horoscope", "--reason", "x"),
            "{f}: evidence[0].kind: unknown evidence kind",
        ),
        (
            ("retract", "{f}", "ab-7", "--reason", "x"),
            "{f}: ab-7: no absence with this id in the record (`ecf timeline` shows every id)",
        ),
        (
            ("retract", "{f}", "em-1", "--reason", "x"),
            (
                "{f}: em-1: an employment period is not retracted: correct its dates "
                "(`ecf correct FILE em-1 --from DATE --to DATE`)"
            ),
        ),
    ],
)
def test_a_bad_correction_changes_nothing(
    record_file: Path, args: tuple[str, ...], line: str
) -> None:
    before = record_file.read_bytes()
    result = run(*(a.format(f=record_file) for a in args))
    assert result.exit_code == 2, result.output
    lines = error_lines(result)
    assert len(lines) == 1
    assert lines[0].startswith("error: " + line.format(f=record_file))
    assert record_file.read_bytes() == before


def test_a_retracted_item_is_not_retracted_again_nor_corrected(record_file: Path) -> None:
    ok("retract", record_file, "ev-002", "--reason", "wrong person")
    before = record_file.read_bytes()
    again = run("retract", record_file, "ev-002", "--reason", "again")
    assert again.exit_code == 2
    assert error_lines(again)[0].startswith(f"error: {record_file}: ev-002: retracted already, at")
    fixed = run("correct", record_file, "ev-002", "--date", "2025-11-04", "--reason", "x")
    assert error_lines(fixed) == [
        f"error: {record_file}: ev-002: retracted: a retracted item is not corrected"
    ]
    assert record_file.read_bytes() == before


def test_a_decision_is_corrected_only_by_a_new_decision(record_file: Path) -> None:
    ok(
        "decide",
        record_file,
        "--outcome",
        "deferred",
        "--date",
        "2026-03-01",
        "--by",
        "Pat",
        "--reason",
        "absence",
    )
    before = record_file.read_bytes()
    for args in (
        ("correct", record_file, "dec-1", "--date", "2026-03-02", "--reason", "x"),
        ("retract", record_file, "dec-1", "--reason", "x"),
    ):
        result = run(*args)
        assert result.exit_code == 2
        assert "`ecf decide --corrects dec-1`" in error_lines(result)[0]
    assert record_file.read_bytes() == before
    ok(
        "decide",
        record_file,
        *("--outcome", "extended", "--date", "2026-03-01", "--by", "Pat"),
        *("--until", "2026-12-01", "--corrects", "dec-1", "--reason", "absence"),
    )
    record = read_record(record_file)
    assert record.decisions[1].corrects == 0
    assert record.decisions[1].id == "dec-2"
    assert "Decision dec-2: extended [absence], until 2026-12-01, by Pat, correcting dec-1" in ok(
        "timeline", record_file
    )
    wrong = run(
        "decide", record_file, "--outcome", "pass", "--date", "2026-09-01", "--by", "P",
        "--corrects", "dec-9",
    )  # fmt: skip
    assert wrong.exit_code == 2


def test_correct_and_retract_are_allowed_on_a_closed_record(record_file: Path) -> None:
    ok("leave", record_file, "--date", "2026-06-30", "--reason", "resigned")
    before = record_file.read_bytes()
    refused = run("add", "evidence", record_file, "--kind", "cpd", "--date", "2026-05-01")
    assert refused.exit_code == 2
    assert error_lines(refused) == [
        (
            f"error: {record_file}: left: the practitioner left on 2026-06-30; "
            "the record is closed (`ecf rejoin` reopens it)"
        )
    ]
    assert record_file.read_bytes() == before
    ok("correct", record_file, "ev-001", "--date", "2025-10-20", "--reason", "mistyped")
    ok("retract", record_file, "ab-1", "--reason", "was not absent")
    ok("correct", record_file, "em-1", "--council", "E09000030", "--reason", "code missing")
    assert ok("verify", record_file).startswith(f"{record_file}: intact")


# --- the trail is sealed --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("date = 2025-10-20", "date = 2025-10-21"),  # a hand edit of the corrected item
        ("date = 2025-10-20", "date = 2025-08-20"),  # a hand edit that undoes the correction
    ],
)
def test_a_hand_edit_of_a_corrected_item_is_still_detected(
    record_file: Path, old: str, new: str
) -> None:
    ok("correct", record_file, "ev-001", "--date", "2025-10-20", "--reason", "mistyped")
    text = record_file.read_text(encoding="utf-8")
    record_file.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = run("verify", record_file)
    assert result.exit_code == 2
    assert any("ev-001" in line for line in error_lines(result)), result.output


def test_removing_a_retraction_by_hand_is_detected(record_file: Path) -> None:
    ok("retract", record_file, "ab-1", "--reason", "was not absent")
    text = record_file.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith("retracted")]
    record_file.write_text("".join(lines), encoding="utf-8")
    result = run("verify", record_file)
    assert result.exit_code == 2
    assert "retracts ab-1, which the record no longer holds" in result.output


def test_a_personal_old_value_is_named_not_copied(record_file: Path) -> None:
    ok("correct", record_file, "ev-001", "--by", "Someone Else", "--reason", "wrong observer")
    record = read_record(record_file)
    assert record.history[-1].detail == "ev-001 corrected: by changed; wrong observer"
    assert record_file.read_text(encoding="utf-8").count('"M. R"') == 2  # the others' only
    assert record.history[-1].replaces is not None  # the old value survives as its digest


def test_a_corrected_record_stays_intact_when_anonymised(record_file: Path) -> None:
    ok("correct", record_file, "ab-1", "--to", "2025-11-20", "--reason", "came back early")
    ok("correct", record_file, "ev-001", "--date", "2025-10-20", "--reason", "mistyped")
    ok("anonymise", record_file, "--reason", "kept for workforce figures")
    assert ": intact" in ok("verify", record_file)


# --- a retracted item counts for nothing ----------------------------------------------------


def test_a_retracted_absence_no_longer_moves_due_dates(record_file: Path) -> None:
    as_of = dt.date(2026, 1, 1)
    paused = {m.id: m.due for m in status(read_record(record_file), REGISTRY, as_of).milestones}
    ok("retract", record_file, "ab-1", "--reason", "recorded on the wrong person")
    record = read_record(record_file)
    due = {m.id: m.due for m in status(record, REGISTRY, as_of).milestones}
    assert due["review-6m"] == dt.date(2026, 3, 1)  # six months from 2025-09-01, no pause
    assert paused["review-6m"] == dt.date(2026, 4, 26)  # 56 days later while it counted
    assert "Clock paused" not in ok("timeline", record_file)
    # A new absence may now take the retracted one's days.
    ok(
        "add",
        "absence",
        record_file,
        "--kind",
        "sickness",
        "--from",
        "2025-10-06",
        "--to",
        "2025-10-08",
    )


def test_a_retracted_working_pattern_no_longer_moves_due_dates(record_file: Path) -> None:
    as_of = dt.date(2026, 1, 1)
    full_time = status(read_record(record_file), REGISTRY, as_of).expected_end
    ok("add", "hours", record_file, "--from", "2025-09-01", "--fte", "0.5")
    assert status(read_record(record_file), REGISTRY, as_of).expected_end != full_time
    ok("retract", record_file, "hr-1", "--reason", "full time after all")
    assert status(read_record(record_file), REGISTRY, as_of).expected_end == full_time
    ok("add", "hours", record_file, "--from", "2025-09-01", "--fte", "0.8")  # same day: allowed
    record = read_record(record_file)
    assert [h.id for h in record.hours] == ["hr-1", "hr-2"]
    assert ok("verify", record_file).startswith(f"{record_file}: intact")


def test_a_retracted_review_is_no_longer_held(record_file: Path) -> None:
    ok("retract", record_file, "rv-1", "--reason", "it did not take place")
    record = read_record(record_file)
    held = {m.id: m.held for m in status(record, REGISTRY, dt.date(2026, 1, 10)).milestones}
    assert held["review-3m"] is None
    assert "Review review-3m held (rv-1, retracted)" in ok("timeline", record_file)


# --- the library ----------------------------------------------------------------------------


def test_the_editor_corrects_and_retracts(record_file: Path) -> None:
    with ecf.edit(record_file, by="hr-tool") as editor:
        fixed = editor.correct("ev-1", reason="mistyped", date=dt.date(2025, 10, 20))
        gone = editor.retract("ab-1", reason="not absent")
    assert isinstance(fixed, ecf.Evidence)
    assert fixed.id == "ev-001"
    assert fixed.date == dt.date(2025, 10, 20)
    assert isinstance(gone, ecf.Absence)
    assert gone.retracted is not None
    assert verify(read_record(record_file)) == []


# --- property: any sequence of corrections keeps verify intact ------------------------------


def _dates(first: str, last: str) -> st.SearchStrategy[dt.date]:
    return st.dates(dt.date.fromisoformat(first), dt.date.fromisoformat(last))


STANDARDS = st.lists(st.sampled_from(["pcf:1", "pcf:7"]), max_size=2).map(tuple)
RETRACTABLE = st.sampled_from(["ev-001", "ev-002", "ev-003", "ab-1", "rv-1"])
CHANGES = st.one_of(
    st.tuples(st.just("ev-001"), st.just("date"), _dates("2025-09-01", "2026-06-01")),
    st.tuples(st.just("ev-002"), st.just("kind"), st.sampled_from(["cpd", "direct-observation"])),
    st.tuples(st.just("ev-003"), st.just("standards"), STANDARDS),
    st.tuples(st.just("ev-001"), st.just("note"), st.text(max_size=5)),
    st.tuples(st.just("ab-1"), st.just("to"), _dates("2025-10-06", "2025-12-31")),
    st.tuples(st.just("rv-1"), st.just("date"), _dates("2025-12-01", "2026-02-01")),
    st.tuples(st.just("em-1"), st.just("council"), st.sampled_from(["E09000030", "E06000023"])),
    st.tuples(RETRACTABLE, st.just("retract"), st.none()),
)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Record:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ECF_USER", "tester")
        folder = tmp_path_factory.mktemp("base")
        file = folder / "r.toml"
        ok("new", file, *("--id", "r1", "--name", "A", "--qualified", "2025-06-01"),
           *("--stage", "asye", "--start", "2025-09-01"))  # fmt: skip
        ok(
            "add",
            "absence",
            file,
            "--kind",
            "sickness",
            "--from",
            "2025-10-06",
            "--to",
            "2025-11-30",
        )
        for day in ("2025-08-20", "2025-11-03", "2026-01-12"):
            ok("add", "evidence", file, "--kind", "direct-observation", "--date", day)
        ok("add", "review", file, "review-3m", "--date", "2026-01-05")
        return read_record(file)


@given(steps=st.lists(CHANGES, max_size=8))
def test_any_sequence_of_corrections_keeps_verify_intact(
    base: Record, steps: list[tuple[str, str, object]]
) -> None:
    record = base
    for i, (item_id, field, value) in enumerate(steps):
        entry = HistoryEntry(AT + dt.timedelta(minutes=i), "tester", field, "a reason")
        try:
            if field == "retract":
                record = retract(record, item_id, attrs.evolve(entry, action="retract"))
            else:
                record = correct(
                    record, item_id, {field: value}, attrs.evolve(entry, action="correct")
                )
        except ecf.RecordError:
            continue  # nothing to correct, or retracted already: refused, nothing changed
        assert verify(record) == []
    assert verify(record) == []


def test_a_correction_keeps_what_people_wrote_around_the_item(record_file: Path) -> None:
    text = record_file.read_text(encoding="utf-8")
    marked = text.replace("date = 2025-11-03", "date = 2025-11-03  # at the family home", 1)
    record_file.write_text(marked + "\n# kept by the north team\n", encoding="utf-8")
    ok("retract", record_file, "ev-002", "--reason", "observed someone else")
    ok("correct", record_file, "ev-001", "--date", "2025-10-20", "--reason", "mistyped")
    after = record_file.read_text(encoding="utf-8")
    assert 'date = 2025-11-03  # at the family home\nby = "M. R"\nretracted = ' in after
    assert "# kept by the north team" in after


def test_an_id_held_twice_is_refused(record_file: Path) -> None:
    ok(
        "add",
        "absence",
        record_file,
        "--kind",
        "training",
        "--from",
        "2026-02-02",
        "--to",
        "2026-02-03",
    )
    text = record_file.read_text(encoding="utf-8")
    record_file.write_text(text.replace('id = "ab-2"', 'id = "ab-1"', 1), encoding="utf-8")
    result = run("validate", record_file)
    assert result.exit_code == 2
    assert error_lines(result) == [
        f"error: {record_file}: absences[1].id: the id is held twice (got 'ab-1')"
    ]


def test_the_registration_date_is_corrected_with_a_trail(record_file: Path) -> None:
    out = ok("correct", record_file, "--registered", "2025-06-20", "--reason", "HR typo")
    assert out == "r1: registered: - -> 2025-06-20: HR typo\n"
    record = read_record(record_file)
    assert record.registered == dt.date(2025, 6, 20)
    assert verify(record) == []
    before = record_file.read_bytes()
    for args, message in (
        (("--registered", "2099-01-01"), "registered: is in the future"),
        (("ev-001", "--registered", "2025-06-21"), "give an item's ID (and its fields), or"),
        ((), "give an item's ID (and its fields), or"),
    ):
        result = run("correct", record_file, *args, "--reason", "x")
        assert result.exit_code == 2
        assert message in result.output, result.output
        assert record_file.read_bytes() == before
