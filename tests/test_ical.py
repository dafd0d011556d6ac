"""iCalendar export: RFC 5545 text read back by a real parser (the ``icalendar`` package)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import icalendar
import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from ecf import ical
from ecf.cli import main
from ecf.export import pseudonym
from ecf.framework import FrameworkRegistry
from ecf.progression import decide, new_record
from ecf.records import Decision, HeldMilestone, HistoryEntry, Record
from ecf.status import status
from ecf.store import create

EXAMPLES = Path(__file__).parent.parent / "examples" / "records"
REGISTRY = FrameworkRegistry.default()
AT = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
STAMP = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
KEY = b"0123456789abcdef-test-key"
#: ASYE from 2026-01-05, full time: agreement 02-05, 3m 04-05, 6m 07-05, 9m (optional) 10-05,
#: final review 2027-01-05, moderation undated.
START = dt.date(2026, 1, 5)


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_USER", "tester")
    monkeypatch.delenv("ECF_FRAMEWORK_PATH", raising=False)
    monkeypatch.delenv("ECF_PSEUDONYM_KEY", raising=False)


def make(record_id: str = "r1", name: str = "Alex Example", **changes: Any) -> Record:
    record = new_record(
        id=record_id,
        name=name,
        qualified=dt.date(2025, 6, 1),
        service="children",
        stage="asye",
        start=START,
        registry=REGISTRY,
        entry=HistoryEntry(AT, "tester", "new"),
    )
    return record.changed(HistoryEntry(AT, "tester", "edit"), **changes) if changes else record


def parse(data: bytes) -> list[icalendar.Event]:
    cal = icalendar.Calendar.from_ical(data)
    assert isinstance(cal, icalendar.Calendar)
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == ical.PRODID
    return [e for e in cal.walk("VEVENT") if isinstance(e, icalendar.Event)]


def as_tuple(event: icalendar.Event) -> tuple[str, dt.date, str, str]:
    start = event.decoded("DTSTART")
    assert type(start) is dt.date  # all day: a date, not a date-time
    assert event["DTSTART"].params["VALUE"] == "DATE"
    assert event.decoded("DTEND") == start + dt.timedelta(days=1)
    return (str(event["UID"]), start, str(event["SUMMARY"]), str(event["DESCRIPTION"]))


def expected(item: ical.DueMilestone) -> tuple[str, dt.date, str, str]:
    return (item.uid, item.due, item.summary, item.description)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def check_wire_format(data: bytes) -> None:
    """CRLF line ends only, every line at most 75 octets, continuation lines start with a space."""
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    for line in data.split(b"\r\n")[:-1]:
        assert len(line) <= 75, line
        line.decode("utf-8")  # a fold never splits a character


# --- the library -------------------------------------------------------------------------------


def test_upcoming_lists_due_milestones_in_the_window() -> None:
    items = ical.upcoming(make(), REGISTRY, dt.date(2026, 4, 5), days=91)
    # 04-05 is due on the as-of date (included); 07-05 is the 91st day after (included).
    assert [(i.milestone, i.due) for i in items] == [
        ("review-3m", dt.date(2026, 4, 5)),
        ("review-6m", dt.date(2026, 7, 5)),
    ]
    assert [i.milestone for i in ical.upcoming(make(), REGISTRY, dt.date(2026, 4, 5), 90)] == [
        "review-3m"
    ]


def test_upcoming_matches_status_and_leaves_out_held_overdue_and_undated() -> None:
    record = make(milestones=(HeldMilestone("asye", "review-3m", dt.date(2026, 3, 30)),))
    as_of = dt.date(2026, 3, 1)  # the agreement (02-05) is overdue by then
    items = ical.upcoming(record, REGISTRY, as_of)
    oracle = [
        m.id
        for m in status(record, REGISTRY, as_of).milestones
        if m.due is not None and m.held is None and as_of <= m.due <= as_of + dt.timedelta(365)
    ]
    assert [i.milestone for i in items] == oracle
    assert [i.milestone for i in items] == ["review-3m", "review-6m", "review-9m", "final-review"]
    # Held on 03-30: as of 04-01 it is no longer upcoming.
    later = ical.upcoming(record, REGISTRY, dt.date(2026, 4, 1))
    assert [i.milestone for i in later] == ["review-6m", "review-9m", "final-review"]
    assert [i.optional for i in later] == [False, True, False]


def test_a_closed_stage_has_nothing_upcoming() -> None:
    passed = decide(
        make(),
        Decision("asye", "pass", dt.date(2026, 3, 1), "Pat Manager"),
        REGISTRY,
        HistoryEntry(AT, "tester", "decide"),
    )
    assert ical.upcoming(passed, REGISTRY, dt.date(2026, 3, 1)) == ()
    assert ical.upcoming(passed, REGISTRY, dt.date(2026, 2, 28)) != ()  # open before the pass


def test_escape_and_fold() -> None:
    assert ical.escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"
    assert ical.fold("x" * 75) == "x" * 75 + "\r\n"
    assert ical.fold("x" * 76) == "x" * 75 + "\r\n x\r\n"
    folded = ical.fold("é" * 40)  # 80 octets: the fold falls between two characters
    first, second = folded.split("\r\n")[:2]
    assert first == "é" * 37  # 74 octets: one more character would make 76
    assert second == " " + "é" * 3


@pytest.mark.parametrize("size", [0, 1, 74, 75, 76, 148, 149, 150, 151, 223, 224, 225, 1000])
def test_an_ascii_line_is_folded_as_the_octets_counted_fold_it(size: int) -> None:
    # fold slices an ASCII line (issue 14: ecf calendar over a cohort); the measured fold is
    # the rule itself, one character at a time
    line = "".join(chr(33 + i % 94) for i in range(size))
    assert ical.fold(line) == ical._fold_measured(line)


@given(
    st.text(alphabet=st.characters(max_codepoint=127), min_size=60, max_size=400)
    | st.text(max_size=200)
)
def test_any_line_is_folded_as_the_octets_counted_fold_it(line: str) -> None:
    assert ical.fold(line) == ical._fold_measured(line)
    for part in ical.fold(line).split("\r\n"):
        assert len(part.encode("utf-8")) <= ical.MAX_OCTETS


def test_a_record_id_with_commas_semicolons_and_unicode_round_trips() -> None:
    item = ical.DueMilestone(
        record_id='Zoë, Ng; \\ "ü" 日本',
        stage="asye",
        stage_title="Assessed and supported year in employment",
        milestone="review-3m",
        title="3-month review, with notes; a long title " + "ß" * 40,
        due=dt.date(2026, 4, 5),
    )
    data = ical.calendar([item], stamp=STAMP).encode("utf-8")
    check_wire_format(data)
    (event,) = parse(data)
    assert as_tuple(event) == expected(item)
    assert event.decoded("DTSTAMP") == STAMP
    assert b"\r\nCATEGORIES:asye\r\n" in data


def test_the_stamp_needs_a_time_zone() -> None:
    with pytest.raises(ValueError, match="time zone"):
        ical.calendar([], stamp=dt.datetime(2026, 1, 5))  # noqa: DTZ001 - the point of the test


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=120)


@given(record_id=TEXT, title=TEXT, extra=st.text(max_size=5))
def test_any_text_survives_the_round_trip(record_id: str, title: str, extra: str) -> None:
    line_breaks = title + extra.replace("\r", "\n")
    item = ical.DueMilestone(record_id, "ecf-1", line_breaks, "m-1", title, dt.date(2026, 1, 31))
    data = ical.calendar([item], stamp=STAMP).encode("utf-8")
    check_wire_format(data)
    (event,) = parse(data)
    uid, due, summary, description = as_tuple(event)
    assert (uid, due, summary) == (item.uid, item.due, item.summary)
    # Text keeps its line breaks; a lone CR is written as a line break, as RFC 5545 has no other.
    assert description == item.description.replace("\r\n", "\n").replace("\r", "\n")


# --- ecf calendar ------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    cohort = tmp_path / "cohort"
    (cohort / "north").mkdir(parents=True)
    create(cohort / "r1.toml", make("r1", "Alex Example"))
    create(
        cohort / "north" / "r2.toml",
        make("r2", "Sam Sample", milestones=(HeldMilestone("asye", "agreement", START),)),
    )
    return cohort


def test_calendar_of_a_folder(folder: Path) -> None:
    result = run("calendar", folder, "--as-of", "2026-01-05", "--days", "100")
    assert result.exit_code == 0, result.output
    data = result.stdout_bytes
    check_wire_format(data)
    events = sorted(as_tuple(e) for e in parse(data))
    want = sorted(
        expected(i)
        for r in (make("r1"), make("r2"))
        for i in ical.upcoming(r, REGISTRY, dt.date(2026, 1, 5), 100)
        if (r.id, i.milestone) != ("r2", "agreement")  # r2 held it
    )
    assert events == want
    assert [e[0] for e in events] == [
        "r1-asye-agreement@ecf",
        "r1-asye-review-3m@ecf",
        "r2-asye-review-3m@ecf",
    ]
    assert events[0][2] == "r1: Support and assessment agreement meeting"
    assert events[0][3] == (
        "Record: r1\nStage: Assessed and supported year in employment (asye)\n"
        "Milestone: Support and assessment agreement meeting (agreement)\nDue: 2026-02-05"
    )
    assert b"Alex" not in data
    assert b"Sam" not in data  # names are personal data: never in a calendar
    assert "3 events from 2 records" in result.stderr


def test_calendar_uids_are_stable_and_files_are_read_once(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "due.ics"
    args: list[str | Path] = ["--as-of", "2026-01-05", "--out", out]
    first = run("calendar", folder, folder / "r1.toml", *args)
    assert first.exit_code == 0, first.output
    assert f"{out}: 9 events from 2 records" in first.output
    before = parse(out.read_bytes())
    again = run("calendar", folder / "r1.toml", folder, *args)  # replaces the file
    assert again.exit_code == 0, again.output
    after = parse(out.read_bytes())
    assert sorted(as_tuple(e) for e in before) == sorted(as_tuple(e) for e in after)
    assert len({str(e["UID"]) for e in after}) == len(after) == 9


def test_calendar_pseudonymised(folder: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(KEY)
    args: list[str | Path] = ["calendar", folder, "--as-of", "2026-01-05", "--days", "100"]
    args.append("--pseudonymise")
    result = run(*args, "--key-file", key_file)
    assert result.exit_code == 0, result.output
    data = result.stdout_bytes
    events = sorted(as_tuple(e) for e in parse(data))
    p1, p2 = pseudonym(KEY, "r1"), pseudonym(KEY, "r2")
    assert {e[0] for e in events} == {
        f"{p1}-asye-agreement@ecf",
        f"{p1}-asye-review-3m@ecf",
        f"{p2}-asye-review-3m@ecf",
    }
    assert all(e[2].startswith(("p-", f"{p1}: ", f"{p2}: ")) for e in events)
    assert all(f"Record: {p1}" in e[3] or f"Record: {p2}" in e[3] for e in events)
    assert b"r1" not in data
    assert b"r2" not in data
    assert b"Alex" not in data
    # The same key gives the same pseudonyms (stable UIDs); no key is refused.
    again = parse(run(*args, "--key-file", key_file).stdout_bytes)
    assert sorted(as_tuple(e) for e in again) == events  # DTSTAMP aside: a second may pass
    refused = run(*args)
    assert refused.exit_code == 2
    assert "error: pseudonymising needs a key" in refused.stderr
    assert refused.stdout_bytes == b""


def test_calendar_reports_bad_files_and_exports_the_rest(folder: Path) -> None:
    (folder / "bad.toml").write_text('schema_version = 1\nid = "bad"\n', encoding="utf-8")
    result = run("calendar", folder, "--as-of", "2026-01-05", "--days", "100")
    assert result.exit_code == 1
    assert "error: " + str(folder / "bad.toml") + ": name: " in result.stderr
    assert len(parse(result.stdout_bytes)) == 3
    single = run("calendar", folder / "bad.toml")
    assert single.exit_code == 1
    assert parse(single.stdout_bytes) == []


def test_calendar_bad_options(folder: Path) -> None:
    assert run("calendar", folder, "--as-of", "2026-13-01").exit_code == 2
    assert run("calendar", folder, "--days", "-1").exit_code == 2
    assert run("calendar", folder / "missing.toml").exit_code == 2
    assert run("calendar").exit_code == 2


def test_calendar_of_the_shipped_examples(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "records")
    result = run("calendar", tmp_path / "records", "--as-of", "2026-06-01", "--days", "730")
    assert result.exit_code == 0, result.output
    check_wire_format(result.stdout_bytes)
    events = parse(result.stdout_bytes)
    assert events
    assert all(as_tuple(e)[1] >= dt.date(2026, 6, 1) for e in events)
    assert len({str(e["UID"]) for e in events}) == len(events)
