"""The ``ecf`` command line: every command's happy path, its help, and every kind of bad input.

Bad input must exit 2 with one ``error: FILE: FIELD.PATH: message (got VALUE)`` line per problem,
never a traceback, and must leave the record file byte for byte as it was.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import json
import os
import shlex
import subprocess
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pytest
import tomli
from click.testing import CliRunner, Result

import ecf.cli
import ecf.status
import ecf.store
from ecf.cli import main
from ecf.errors import RecordError

if TYPE_CHECKING:
    from ecf.store import RecordFile

#: The CLI's "today" is the real date; every "past" date below is before 2026-11-24.
TODAY = dt.date.today()  # noqa: DTZ011 - the CLI uses the local date too

ASYE_KNOWN = "agreement, review-3m, review-6m, review-9m, final-review, moderation"

#: A valid record, written by hand: a comment, an FTE, one piece of evidence, one history entry.
BASE = """\
# Hand-written note: Alex started in the north team.
schema_version = 3
id = "r1"
name = "Alex Example"
qualified = 2025-06-01
service = "children"

[[enrolments]]
stage = "asye"
start = 2025-09-01
framework = "baseline-2026"

[[hours]]
from = 2025-09-01
fte = 1

[[evidence]]
id = "ev-001"
kind = "direct-observation"
date = 2025-10-01
standards = ["kss-cf:1"]

[[history]]
at = 2025-09-01T09:00:00Z
by = "tester"
action = "new"
detail = "started asye on 2025-09-01"
"""

#: ``BASE`` with the ASYE passed on 2026-09-01.
PASSED = BASE.replace(
    "[[history]]",
    """\
[[decisions]]
stage = "asye"
outcome = "pass"
date = 2026-09-01
by = "Pat Manager"

[[history]]""",
    1,
)


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_USER", "tester")
    monkeypatch.delenv("ECF_FRAMEWORK_PATH", raising=False)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def cli(line: str, **values: str | Path) -> Result:
    """Run ``line`` split like a shell would; ``{name}`` stands for the value passed as ``name``."""
    return run(*(part.format(**values) for part in shlex.split(line)))


#: ``ecf new`` with every required option but ``--stage``.
NEW = "new {file} --id n1 --name N --qualified 2025-06-01 --start 2025-09-01"


def write(folder: Path, text: str, name: str = "r.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    return write(tmp_path, BASE)


@pytest.fixture
def passed(tmp_path: Path) -> Path:
    return write(tmp_path, PASSED)


def load(path: Path) -> dict[str, Any]:
    return tomli.loads(path.read_text(encoding="utf-8"))


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    assert result.exception is None
    return result.output


def assert_refused(result: Result, file: Path, before: bytes | None, *expected: str) -> None:
    """Exit 2, a handled error (no traceback), the expected text, and the file untouched."""
    out = result.output
    assert result.exit_code == 2, out
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in out
    for text in expected:
        assert text in out, f"{text!r} not in {out!r}"
    if before is None:
        assert not file.exists()
    else:
        assert file.read_bytes() == before


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


# --- happy paths -----------------------------------------------------------------------------


def test_new_writes_a_valid_private_record(tmp_path: Path) -> None:
    file = tmp_path / "alex.toml"
    out = ok(
        cli(
            "new {file} --id r1 --name 'Alex Example' --qualified 2025-06-01 --stage asye "
            "--start 2025-09-01 --fte 3/5 --council E09 --swe SW123456",
            file=file,
        )
    )
    assert out == f"r1: created {file} in asye from 2025-09-01\n"
    data = load(file)
    assert data["schema_version"] == 3
    assert data["id"] == "r1"
    assert data["name"] == "Alex Example"
    assert data["qualified"] == dt.date(2025, 6, 1)
    assert data["service"] == "children"
    assert data["swe"] == "SW123456"
    assert data["council"] == "E09"
    assert data["enrolments"] == [
        {"stage": "asye", "start": dt.date(2025, 9, 1), "framework": "baseline-2026"}
    ]
    assert data["hours"] == [{"from": dt.date(2025, 9, 1), "fte": 0.6}]
    [entry] = data["history"]
    assert (entry["by"], entry["action"]) == ("tester", "new")
    assert entry["detail"] == "started asye on 2025-09-01"
    assert file.stat().st_mode & 0o777 == 0o600
    assert ok(run("validate", file)) == f"{file}: ok (r1)\n"


def test_new_adults_asye_without_optional_fields(tmp_path: Path) -> None:
    file = tmp_path / "a.toml"
    ok(
        cli(
            "--user 'Sam Lead' new {file} --id a-7 --name Ash --qualified 2025-07-01 "
            "--stage ASYE --start 2025-08-04 --service adults",
            file=file,
        )
    )
    data = load(file)
    assert data["service"] == "adults"
    assert data["enrolments"][0]["stage"] == "asye"  # the alias is stored as the stage id
    assert "hours" not in data
    assert "swe" not in data
    assert "council" not in data
    assert data["history"][0]["by"] == "Sam Lead"


def test_add_hours(rec: Path) -> None:
    assert ok(run("add", "hours", rec, "--from", "2026-01-05", "--fte", "0.5")) == (
        "r1: 0.5 FTE from 2026-01-05\n"
    )
    data = load(rec)
    assert data["hours"] == [
        {"from": dt.date(2025, 9, 1), "fte": 1, "id": "hr-1"},
        {"from": dt.date(2026, 1, 5), "fte": 0.5, "id": "hr-2"},
    ]
    assert data["history"][-1]["action"] == "add-hours"
    assert data["history"][-1]["detail"] == "0.5 FTE from 2026-01-05"


def test_add_hours_keeps_an_inexact_fraction_exact(rec: Path) -> None:
    ok(run("add", "hours", rec, "--from", "2026-01-05", "--fte", "1/3"))
    assert load(rec)["hours"][-1] == {"from": dt.date(2026, 1, 5), "fte": "1/3", "id": "hr-2"}


def test_add_absence_moves_due_dates(rec: Path) -> None:
    # BASELINE.md 5: full-time from 2025-09-01, sickness 2025-10-01..2025-11-11 (42 days).
    out = ok(cli("add absence {rec} --kind sickness --from 2025-10-01 --to 2025-11-11", rec=rec))
    assert out == "r1: sickness absence of 42 days recorded\n"
    assert load(rec)["absences"] == [
        {
            "kind": "sickness",
            "first": dt.date(2025, 10, 1),
            "last": dt.date(2025, 11, 11),
            "id": "ab-1",
        }
    ]
    st = json.loads(ok(run("status", rec, "--json", "--as-of", "2025-12-01")))
    due = {m["id"]: m["due"] for m in st["milestones"]}
    assert due["review-3m"] == "2026-01-12"


def test_add_evidence_prints_the_new_id(rec: Path) -> None:
    out = ok(
        cli(
            "add evidence {rec} --kind feedback-person --date 2025-11-03 --standard kss-cf:6 "
            "--standard pcf:7 --by 'J. Smith' --note visit",
            rec=rec,
        )
    )
    assert out == "ev-002\n"
    ev = load(rec)["evidence"][-1]
    assert ev == {
        "id": "ev-002",
        "kind": "feedback-person",
        "date": dt.date(2025, 11, 3),
        "standards": ["kss-cf:6", "pcf:7"],
        "by": "J. Smith",
        "note": "visit",
    }
    assert ok(run("add", "evidence", rec, "--kind", "supervision", "--date", "2025-11-04")) == (
        "ev-003\n"
    )


def test_add_evidence_attach_keeps_a_relative_ref_and_sha256(rec: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    attached = docs / "observation.pdf"
    attached.write_bytes(b"%PDF-1.4 observation notes")
    line = "add evidence {rec} --kind direct-observation --date 2025-11-03 --attach {doc}"
    assert ok(cli(line, rec=rec, doc=attached)) == "ev-002\n"
    ev = load(rec)["evidence"][-1]
    assert ev["attachment"] == {
        "ref": "docs/observation.pdf",
        "sha256": hashlib.sha256(b"%PDF-1.4 observation notes").hexdigest(),
    }


def test_add_evidence_attach_outside_the_record_folder_is_refused(tmp_path: Path) -> None:
    # An attachment stays inside the record's folder (see tests/test_limits.py for links).
    records = tmp_path / "records"
    records.mkdir()
    file = write(records, BASE)
    other = tmp_path / "shared" / "note.txt"
    other.parent.mkdir()
    other.write_text("note", encoding="utf-8")
    before = file.read_bytes()
    result = run(
        "add", "evidence", file, "--kind", "pdp", "--date", "2025-11-03", "--attach", other
    )
    assert_refused(result, file, before, "is outside the record's folder")


def test_add_review(rec: Path) -> None:
    assert ok(run("add", "review", rec, "review-3m", "--date", "2025-12-01")) == (
        "r1: review-3m held on 2025-12-01\n"
    )
    assert load(rec)["milestones"] == [
        {"stage": "asye", "id": "review-3m", "date": dt.date(2025, 12, 1), "ref": "rv-1"}
    ]


def test_decide_pass(rec: Path) -> None:
    out = ok(
        cli(
            "decide {rec} --outcome pass --date 2026-09-01 --by 'Pat Manager' "
            "--panel 'North moderation'",
            rec=rec,
        )
    )
    assert out == "r1: asye pass on 2026-09-01\n"
    assert load(rec)["decisions"] == [
        {
            "stage": "asye",
            "outcome": "pass",
            "date": dt.date(2026, 9, 1),
            "by": "Pat Manager",
            "panel": "North moderation",
            "id": "dec-1",
        }
    ]
    st = json.loads(ok(run("status", rec, "--json", "--as-of", "2026-09-02")))
    assert st["state"] == "passed"
    assert st["next"] is None


def test_decide_extended_moves_the_expected_end(rec: Path) -> None:
    ok(
        cli(
            "decide {rec} --outcome extended --date 2026-08-20 --by Pat --until 2026-12-01 "
            "--reason absence",
            rec=rec,
        )
    )
    assert load(rec)["decisions"][0]["until"] == dt.date(2026, 12, 1)
    st = json.loads(ok(run("status", rec, "--json", "--as-of", "2026-10-01")))
    assert st["expected_end"] == "2026-12-01"
    assert st["state"] == "extended"


def test_advance_after_a_pass(passed: Path) -> None:
    out = ok(run("advance", passed, "--stage", "ecf-2", "--start", "2026-09-15"))
    assert out.startswith("r1: started ecf-2 on 2026-09-15\n")
    # ECF year 2 is open as ecf-1 is (BASELINE.md): superseded, a warning and no refusal.
    assert f"warning: {passed}: enrolments[1].stage: 'ecf-2'" in out
    assert load(passed)["enrolments"][-1] == {
        "stage": "ecf-2",
        "start": dt.date(2026, 9, 15),
        "framework": "baseline-2026",
    }
    st = json.loads(ok(run("status", passed, "--json", "--as-of", "2026-10-01")))
    assert (st["stage"], st["stage_start"], st["expected_end"]) == (
        "ecf-2",
        "2026-09-15",
        "2027-09-15",
    )


def _with_review(rec: Path) -> None:
    ok(run("add", "review", rec, "review-3m", "--date", "2025-12-01"))


def test_status_json(rec: Path) -> None:
    _with_review(rec)
    st = json.loads(ok(run("status", rec, "--json", "--as-of", "2026-01-15")))
    assert st["id"] == "r1"
    assert st["stage"] == "asye"
    assert st["stage_start"] == "2025-09-01"
    assert st["expected_end"] == "2026-09-01"
    assert st["state"] == "in-progress"
    assert st["as_of"] == "2026-01-15"
    assert st["framework"] == "baseline-2026"
    assert st["next"] == "review-6m"
    assert st["overdue"] == ["agreement"]
    rows = [(m["id"], m["due"], m["held"], m["overdue"]) for m in st["milestones"]]
    assert rows == [
        ("agreement", "2025-10-01", None, True),
        ("review-3m", "2025-12-01", "2025-12-01", False),
        ("review-6m", "2026-03-01", None, False),
        ("review-9m", "2026-06-01", None, False),
        ("final-review", "2026-09-01", None, False),
        ("moderation", None, None, False),
    ]
    assert {"id", "title", "due", "held", "overdue"} <= set(st["milestones"][0])
    assert st["milestones"][1]["title"] == "3-month review"


def test_status_as_of_an_earlier_date_ignores_later_reviews(rec: Path) -> None:
    _with_review(rec)
    st = json.loads(ok(run("status", rec, "--json", "--as-of", "2025-11-15")))
    held = {m["id"]: m["held"] for m in st["milestones"]}
    assert held["review-3m"] is None
    assert st["next"] == "review-3m"


def test_status_defaults_to_today(rec: Path) -> None:
    st = json.loads(ok(run("status", rec, "--json")))
    assert st["as_of"] == TODAY.isoformat()


def test_status_human(rec: Path) -> None:
    _with_review(rec)
    lines = ok(run("status", rec, "--as-of", "2026-01-15")).splitlines()
    assert lines[0] == (
        "r1: asye (Assessed and supported year in employment), started 2025-09-01, "
        "framework baseline-2026"
    )
    assert lines[1] == "State: in-progress; expected end 2026-09-01 (as of 2026-01-15)"
    assert "Overdue: Support and assessment agreement meeting (agreement), due 2025-10-01" in lines
    assert "Next: 6-month review (review-6m), due 2026-03-01" in lines
    table = {
        line.split()[0]: line.split()[1:] for line in lines if line.startswith(("a", "r", "f", "m"))
    }
    assert table["agreement"] == ["2025-10-01", "-", "OVERDUE"]
    assert table["review-3m"] == ["2025-12-01", "2025-12-01"]
    assert table["review-6m"] == ["2026-03-01", "-", "next"]
    assert table["review-9m"] == ["2026-06-01", "-", "optional"]
    assert table["moderation"] == ["-", "-"]


def test_timeline_human(rec: Path) -> None:
    _with_review(rec)
    lines = ok(run("timeline", rec)).splitlines()
    assert lines[0] == "r1: timeline"
    assert lines[1] == "  2025-06-01  Qualified"
    assert lines[2] == "  2025-09-01  Employed at a council (em-1)"
    assert lines[3] == (
        "  2025-09-01  [asye] Started Assessed and supported year in employment (baseline-2026)"
    )
    assert "  2025-10-01  Evidence ev-001: direct-observation" in lines
    assert "  2025-12-01  [asye] 3-month review held (rv-1)" in lines
    # Past dates stay past: these are before 2026-11-24, the day the tests were written.
    assert "  2026-09-01  [asye] Final review due OVERDUE" in lines
    assert "  2026-06-01  [asye] 9-month review due (optional)" in lines  # never overdue


def test_timeline_json(rec: Path) -> None:
    data = json.loads(ok(run("timeline", rec, "--json")))
    assert data["id"] == "r1"
    events = data["events"]
    assert events[0] == {
        "date": "2025-06-01",
        "kind": "qualified",
        "stage": None,
        "text": "Qualified",
        "done": True,
    }
    assert [e["date"] for e in events] == sorted(e["date"] for e in events)
    due = [e for e in events if e["kind"] == "due"]
    assert all(e["done"] is False for e in due)
    assert {e["text"] for e in due} >= {"Final review due", "3-month review due"}
    assert {"qualified", "stage", "hours", "evidence", "due"} <= {e["kind"] for e in events}


def test_validate_ok(rec: Path) -> None:
    assert ok(run("validate", rec)) == f"{rec}: ok (r1)\n"


def test_frameworks_lists_versions() -> None:
    lines = ok(run("frameworks")).splitlines()
    assert lines[0] == (
        "baseline-2026 (current): "
        "National baseline, 2026 (ASYE, ECF years 1-2, expert practitioner)"
    )
    assert lines[1] == "  asye: current; open to children at any start, adults at any start"
    assert "  ecf-1: superseded; open to children at any start" in lines
    assert lines[5].startswith("ecdp-2027 (new stages from 2027-09-01): ")


def test_frameworks_shows_one_version() -> None:
    lines = ok(run("frameworks", "--framework-version", "baseline-2026")).splitlines()
    assert "asye: Assessed and supported year in employment (follows qualification)" in lines
    assert "ecf-2: Early Career Framework, year 2 (follows ecf-1, asye)" in lines
    assert "  review-9m: 9-month review, 9 months optional" in lines
    assert "  moderation: Internal moderation panel, no due date" in lines
    assert "  agreement: Support and assessment agreement meeting, 1 months (unverified)" in lines
    assert "  expert-assessment: Expert practitioner assessment, 36 months" in lines


def test_frameworks_unknown_version() -> None:
    result = run("frameworks", "--framework-version", "nope")
    assert result.exit_code == 2
    assert (
        "error: framework: unknown framework version (known: baseline-2026, ecdp-2027) (got 'nope')"
    ) in result.output


# --- help ------------------------------------------------------------------------------------

COMMANDS = [
    [],
    ["new"],
    ["add"],
    ["add", "hours"],
    ["add", "absence"],
    ["add", "evidence"],
    ["add", "review"],
    ["decide"],
    ["appeal"],
    ["advance"],
    ["status"],
    ["timeline"],
    ["validate"],
    ["frameworks"],
    ["assess"],
    ["plugins"],
    ["rules"],
    ["rules", "check"],
    ["leave"],
    ["transfer"],
    ["rejoin"],
    ["agree"],
    ["assign"],
    ["cohort"],
    ["cache"],
    ["cache", "clear"],
    ["workforce"],
    ["funding"],
    ["calendar"],
    ["import"],
    ["verify"],
    ["migrate"],
    ["keys"],
    ["keys", "new"],
    ["export"],
    ["anonymise"],
    ["correct"],
    ["retract"],
    ["report"],
    ["schema"],
    ["census"],
]


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    found = {prefix}
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            found |= _all_commands(command, (*prefix, name))
        else:
            found.add((*prefix, name))
    return found


def test_help_covers_every_command() -> None:
    assert {tuple(c) for c in COMMANDS} == _all_commands(main)


def test_the_static_help_table_matches_each_command() -> None:
    # `ecf --help` shows the table without importing the commands: it must not drift.
    ctx = click.Context(main)
    for name, (_, short) in ecf.cli.COMMANDS.items():
        command = main.get_command(ctx, name)
        assert command is not None
        assert command.get_short_help_str(limit=1000) == short, name


def test_help_imports_no_command_module() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from ecf.cli import main; "
        "CliRunner().invoke(main, ['--help']); "
        "print(sorted(m for m in sys.modules if m.startswith('ecf')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['ecf', 'ecf.cli']"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "ecf")
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(command: list[str], flag: str) -> None:
    out = ok(run(*command, flag))
    assert out.startswith(f"Usage: {' '.join(['main', *command])} ")
    assert "--help" in out


def test_module_and_console_script() -> None:
    script = Path(sys.executable).with_name("ecf")
    env = {**os.environ, "ECF_USER": "tester"}
    for argv in ([sys.executable, "-m", "ecf", "--help"], [str(script), "--help"]):
        done = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("Usage: ")
        assert "Track a social worker's early career" in done.stdout
        assert "frameworks" in done.stdout


# --- bad input -------------------------------------------------------------------------------


def test_malformed_toml(tmp_path: Path) -> None:
    file = write(tmp_path, BASE.replace('name = "Alex Example"', "name = "))
    before = file.read_bytes()
    for argv in (
        "validate {f}",
        "status {f}",
        "add evidence {f} --kind pdp --date 2025-11-01",
    ):
        result = cli(argv, f=file)
        assert_refused(result, file, before, f"error: {file}: not valid TOML: ", "line 4")


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        (
            "qualified = 2025-06-01",
            'qualified = "yesterday"',
            "qualified: invalid date, expected YYYY-MM-DD (got 'yesterday')",
        ),
        ("fte = 1", "fte = true", "hours[0].fte: expected a number (got True)"),
        (
            'standards = ["kss-cf:1"]',
            'standards = "kss-cf:1"',
            "evidence[0].standards: expected a list (got 'kss-cf:1')",
        ),
        (
            'name = "Alex Example"',
            "name = 42",
            "name: expected a string (got a number, not shown: personal data)",
        ),
        (
            "schema_version = 3",
            'schema_version = "2"',
            "schema_version: expected a whole number (got '2')",
        ),
        (
            'service = "children"',
            'service = "martians"',
            "service: must be one of: children, adults (got 'martians')",
        ),
        (
            "[[history]]",
            (
                '[[decisions]]\nstage = "asye"\noutcome = "maybe"\ndate = 2026-09-01\nby = "P"\n\n'
                "[[history]]"
            ),
            (
                "decisions[0].outcome: must be one of: pass, progressed, fail, extended, deferred, "
                "withdrawn "
                "(got 'maybe')"
            ),
        ),
    ],
)
def test_wrong_types_in_the_file(tmp_path: Path, old: str, new: str, line: str) -> None:
    file = write(tmp_path, BASE.replace(old, new, 1))
    before = file.read_bytes()
    result = run("add", "hours", file, "--from", "2026-01-05", "--fte", "0.5")
    assert_refused(result, file, before)
    assert error_lines(result) == [f"error: {file}: {line}"]
    assert error_lines(run("validate", file))[0] == f"error: {file}: {line}"


@pytest.mark.parametrize(
    "argv",
    [
        "add evidence {f} --kind pdp --date 2025-02-30",
        "add hours {f} --from 2025-02-30 --fte 1",
        "add absence {f} --kind sickness --from 2025-02-30 --to 2025-03-02",
        "add review {f} review-3m --date 2025-02-30",
        "decide {f} --outcome pass --date 2025-02-30 --by Pat",
        "advance {f} --stage ecf-2 --start 2025-02-30",
        "status {f} --as-of 2025-02-30",
    ],
)
def test_impossible_date_on_the_command_line(rec: Path, argv: str) -> None:
    before = rec.read_bytes()
    result = cli(argv, f=rec)
    assert_refused(result, rec, before, "Invalid value for '--", "invalid date '2025-02-30'")


def test_impossible_date_for_new(tmp_path: Path) -> None:
    file = tmp_path / "n.toml"
    result = cli(
        "new {file} --id r1 --name A --qualified 2025-02-30 --stage asye --start 2025-09-01",
        file=file,
    )
    assert_refused(result, file, None, "'--qualified'", "invalid date '2025-02-30'")


def test_impossible_date_in_the_file(tmp_path: Path) -> None:
    bare = write(tmp_path, BASE.replace("qualified = 2025-06-01", "qualified = 2025-02-30"))
    before = bare.read_bytes()
    result = run("add", "review", bare, "review-3m", "--date", "2025-12-01")
    assert_refused(result, bare, before, f"error: {bare}: not valid TOML", "line 5")
    quoted = write(
        tmp_path, BASE.replace("date = 2025-10-01", 'date = "2025-02-30"'), name="q.toml"
    )
    before = quoted.read_bytes()
    result = run("add", "review", quoted, "review-3m", "--date", "2025-12-01")
    assert_refused(result, quoted, before)
    assert error_lines(result) == [
        f"error: {quoted}: evidence[0].date: invalid date, expected YYYY-MM-DD (got '2025-02-30')"
    ]


def test_absence_ending_before_it_starts(rec: Path, tmp_path: Path) -> None:
    before = rec.read_bytes()
    result = cli("add absence {rec} --kind sickness --from 2026-01-10 --to 2026-01-05", rec=rec)
    assert_refused(result, rec, before)
    assert error_lines(result) == [
        f"error: {rec}: absences[0].last: ends before it starts (2026-01-10) (got 2026-01-05)"
    ]
    in_file = write(
        tmp_path,
        BASE + '\n[[absences]]\nkind = "parental"\nfirst = 2026-02-01\nlast = 2026-01-01\n',
        name="abs.toml",
    )
    result = run("validate", in_file)
    assert result.exit_code == 2
    assert error_lines(result) == [
        f"error: {in_file}: absences[0].last: ends before it starts (2026-02-01) (got 2026-01-01)"
    ]


@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("2025-01-10", "is before qualification (2025-06-01) (got 2025-01-10)"),
        ("2099-01-10", f"is in the future (today is {TODAY}) (got 2099-01-10)"),
    ],
)
def test_evidence_date_out_of_range(rec: Path, date: str, message: str) -> None:
    before = rec.read_bytes()
    result = run("add", "evidence", rec, "--kind", "supervision", "--date", date)
    assert_refused(result, rec, before)
    assert error_lines(result) == [f"error: {rec}: evidence[1].date: {message}"]
    assert result.stdout == ""  # no evidence id printed for a refused piece


@pytest.mark.parametrize(
    ("fte", "message"),
    [
        ("0", "FTE must be more than 0 and at most 1 (got '0')"),
        ("1.5", "FTE must be more than 0 and at most 1 (got '1.5')"),
        ("-1", "FTE must be more than 0 and at most 1 (got '-1')"),
        ("abc", "invalid FTE 'abc', expected a number such as 0.6 or 3/5"),
        ("1/0", "invalid FTE '1/0'"),
    ],
)
def test_fte_out_of_range_on_the_command_line(
    rec: Path, tmp_path: Path, fte: str, message: str
) -> None:
    before = rec.read_bytes()
    result = run("add", "hours", rec, "--from", "2026-01-05", "--fte", fte)
    assert_refused(result, rec, before, f"Invalid value for '--fte': {message}")
    new_file = tmp_path / "n.toml"
    result = cli(NEW + " --stage asye --fte {fte}", file=new_file, fte=fte)
    assert_refused(result, new_file, None, f"Invalid value for '--fte': {message}")


@pytest.mark.parametrize(
    ("fte", "message"),
    [
        ("0", "FTE must be more than 0 and at most 1 (got 0)"),
        ("1.5", "FTE must be more than 0 and at most 1 (got 1.5)"),
        ("-1", "FTE must be more than 0 and at most 1 (got -1)"),
        ('"abc"', "expected a number or a fraction such as 3/5 (got 'abc')"),
        ('"4/3"', "FTE must be more than 0 and at most 1 (got '4/3')"),
    ],
)
def test_fte_out_of_range_in_the_file(tmp_path: Path, fte: str, message: str) -> None:
    file = write(tmp_path, BASE.replace("fte = 1", f"fte = {fte}"))
    before = file.read_bytes()
    result = run("add", "evidence", file, "--kind", "pdp", "--date", "2025-11-01")
    assert_refused(result, file, before)
    assert error_lines(result) == [f"error: {file}: hours[0].fte: {message}"]


def test_new_with_an_unknown_stage(tmp_path: Path) -> None:
    file = tmp_path / "n.toml"
    result = cli(
        NEW + " --stage nope",
        file=file,
    )
    assert_refused(result, file, None)
    assert error_lines(result) == [
        f"error: {file}: stage: unknown stage (allowed: asye, ecf-1) (got 'nope')"
    ]


def test_new_in_a_stage_that_is_not_a_first_stage(tmp_path: Path) -> None:
    file = tmp_path / "n.toml"
    result = cli(
        NEW + " --stage expert",
        file=file,
    )
    assert_refused(result, file, None)
    assert error_lines(result) == [
        (
            f"error: {file}: stage: 'expert' follows a pass of asye or ecf-2: give the stage it "
            "follows as a prior stage, passed before the record began (ecf-2:DATE) (got 'expert')"
        )
    ]


def test_advance_to_an_unknown_stage(passed: Path) -> None:
    before = passed.read_bytes()
    result = run("advance", passed, "--stage", "nope", "--start", "2026-09-15")
    assert_refused(result, passed, before)
    assert error_lines(result) == [
        f"error: {passed}: stage: unknown stage (allowed: ecf-2, expert) (got 'nope')"
    ]


def test_unknown_milestone(rec: Path) -> None:
    before = rec.read_bytes()
    result = run("add", "review", rec, "nope", "--date", "2025-12-01")
    assert_refused(result, rec, before)
    assert error_lines(result) == [
        (
            f"error: {rec}: milestones[0].id: unknown milestone of 'asye' (known: {ASYE_KNOWN}) "
            "(got 'nope')"
        )
    ]


def test_unknown_evidence_kind(rec: Path) -> None:
    before = rec.read_bytes()
    result = run("add", "evidence", rec, "--kind", "gossip", "--date", "2025-11-01")
    assert_refused(result, rec, before)
    [line] = error_lines(result)
    assert line.startswith(f"error: {rec}: evidence[1].kind: unknown evidence kind (known: cpd, ")
    assert line.endswith("written-report) (got 'gossip')")


def test_unknown_absence_kind(rec: Path) -> None:
    before = rec.read_bytes()
    result = cli("add absence {rec} --kind holiday --from 2026-01-10 --to 2026-01-12", rec=rec)
    assert_refused(result, rec, before)
    assert error_lines(result) == [
        (
            f"error: {rec}: absences[0].kind: unknown absence kind (known: annual-leave, "
            "bereavement, career-break, other, parental, sickness, support-gap, training, unpaid) "
            "(got a text, not shown: personal data)"  # an unknown kind may be health data
        )
    ]


def test_unknown_standard(rec: Path) -> None:
    before = rec.read_bytes()
    result = cli(
        "add evidence {rec} --kind pdp --date 2025-11-01 --standard pcf:1 --standard kss-cf:99",
        rec=rec,
    )
    assert_refused(result, rec, before)
    assert error_lines(result) == [
        (
            f"error: {rec}: evidence[1].standards[1]: unknown standard "
            "(ids look like kss-cf:6, pcf:7, swe:3) (got 'kss-cf:99')"
        )
    ]


def test_unknown_keys_are_named(tmp_path: Path) -> None:
    text = BASE.replace('service = "children"', 'service = "children"\nfavourite = 3\nmood = "ok"')
    text = text.replace('standards = ["kss-cf:1"]', 'standards = ["kss-cf:1"]\ncolour = "red"')
    file = write(tmp_path, text)
    before = file.read_bytes()
    result = run("add", "evidence", file, "--kind", "pdp", "--date", "2025-11-01")
    assert_refused(result, file, before)
    assert sorted(error_lines(result)) == [
        f"error: {file}: evidence[0]: unknown keys: colour",
        f"error: {file}: unknown keys: favourite, mood",
    ]


def test_keys_under_extra_are_accepted_and_kept(tmp_path: Path) -> None:
    extra = '\n[extra]\nteam = "north"\nbadge = { colour = "green", size = 3 }\n'
    file = write(tmp_path, BASE + extra)
    assert ok(run("validate", file)) == f"{file}: ok (r1)\n"
    assert ok(run("add", "evidence", file, "--kind", "pdp", "--date", "2025-11-01")) == "ev-002\n"
    ok(run("add", "hours", file, "--from", "2026-01-05", "--fte", "0.8"))
    text = file.read_text(encoding="utf-8")
    assert text.endswith(extra)
    data = tomli.loads(text)
    assert data["extra"] == {"team": "north", "badge": {"colour": "green", "size": 3}}
    assert [e["id"] for e in data["evidence"]] == ["ev-001", "ev-002"]


def test_advance_without_a_pass(rec: Path) -> None:
    before = rec.read_bytes()
    result = run("advance", rec, "--stage", "ecf-2", "--start", "2026-09-15")
    assert_refused(result, rec, before)
    assert error_lines(result) == [
        (
            f"error: {rec}: stage: 'asye' has no decision yet; "
            "only a pass lets the next stage start (allowed now: none) (got 'ecf-2')"
        )
    ]


def test_advance_after_a_deferral(tmp_path: Path) -> None:
    file = write(
        tmp_path, PASSED.replace('outcome = "pass"', 'outcome = "deferred"\nreason = "absence"')
    )
    before = file.read_bytes()
    result = run("advance", file, "--stage", "ecf-2", "--start", "2026-09-15")
    assert_refused(result, file, before, "'asye' has 'deferred' on 2026-09-01")


def test_advance_from_asye_to_expert(passed: Path) -> None:
    # BASELINE.md: expert follows ecf-2, ecdp or asye passed; superseded, so a warning.
    out = ok(run("advance", passed, "--stage", "expert", "--start", "2026-09-15"))
    assert out.startswith("r1: started expert on 2026-09-15\n")
    assert "is superseded" in out


def test_advance_from_adults_asye_to_expert(tmp_path: Path) -> None:
    file = tmp_path / "a.toml"
    ok(run("new", file, "--id", "a1", "--name", "A", "--qualified", "2025-07-01", "--stage",
           "asye", "--start", "2025-09-01", "--service", "adults"))  # fmt: skip
    ok(run("decide", file, "--outcome", "pass", "--date", "2026-09-01", "--by", "Pat"))
    before = file.read_bytes()
    result = run("advance", file, "--stage", "expert", "--start", "2026-09-15")
    assert_refused(result, file, before)
    assert error_lines(result) == [
        f"error: {file}: stage: not allowed here (allowed: none) (got 'expert')"
    ]


def test_second_decision_on_a_closed_stage(passed: Path) -> None:
    before = passed.read_bytes()
    result = run("decide", passed, "--outcome", "fail", "--date", "2026-09-02", "--by", "Pat")
    assert_refused(result, passed, before)
    assert error_lines(result) == [
        (
            f"error: {passed}: outcome: stage 'asye' is closed: 'pass' on 2026-09-01; "
            "a decision is never overwritten (to correct it, record a new "
            "decision that names it: --corrects dec-1) (got 'fail')"
        )
    ]


def test_extended_without_until(rec: Path) -> None:
    before = rec.read_bytes()
    result = run("decide", rec, "--outcome", "extended", "--date", "2026-08-20", "--by", "Pat")
    assert_refused(result, rec, before)
    assert error_lines(result) == [
        f"error: {rec}: until: an extension needs its new end date (--until)"
    ]


def test_file_changed_between_read_and_write(rec: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = ecf.store.open_record

    def open_then_someone_else_edits(path: str | os.PathLike[str]) -> RecordFile:
        opened = real_open(path)
        with Path(path).open("a", encoding="utf-8") as fh:
            fh.write("# edited by someone else meanwhile\n")
        return opened

    monkeypatch.setattr(ecf.store, "open_record", open_then_someone_else_edits)
    before = rec.read_bytes()
    result = run("add", "evidence", rec, "--kind", "pdp", "--date", "2025-11-01")
    outside = before + b"# edited by someone else meanwhile\n"
    assert_refused(
        result,
        rec,
        outside,
        f"error: {rec}: changed on disk since it was read; not written, run the command again",
    )
    assert result.stdout == ""
    # No temporary file left (the hidden lock file beside a record stays, as lock files do).
    assert sorted(p.name for p in rec.parent.iterdir()) == sorted(
        [ecf.store.lock_path(rec).name, rec.name]
    )


def test_new_onto_an_existing_file(rec: Path) -> None:
    before = rec.read_bytes()
    result = cli(
        "new {rec} --id other --name Other --qualified 2025-06-01 --stage asye --start 2025-09-01",
        rec=rec,
    )
    assert_refused(result, rec, before)
    assert error_lines(result) == [f"error: {rec}: already exists; not replaced"]


@pytest.mark.parametrize("swe", ["1234", "SW", "sw123", "SW12a", "SW 123"])
def test_new_with_a_bad_swe_number(tmp_path: Path, swe: str) -> None:
    file = tmp_path / "n.toml"
    result = cli(
        NEW + " --stage asye --swe {swe}",
        file=file,
        swe=swe,
    )
    assert_refused(result, file, None)
    assert error_lines(result) == [
        (
            f"error: {file}: swe: a Social Work England number is 'SW' followed by digits "
            "(got a text, not shown: personal data)"
        )
    ]


def test_bad_swe_number_in_the_file(tmp_path: Path) -> None:
    file = write(tmp_path, BASE.replace('service = "children"', 'service = "children"\nswe = "12"'))
    before = file.read_bytes()
    result = run("add", "hours", file, "--from", "2026-01-05", "--fte", "0.5")
    assert_refused(result, file, before, f"error: {file}: swe: ", "not shown: personal data)")


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    file = tmp_path / "r.toml"
    file.write_bytes(BASE.replace("Alex", "Al\xe9x").encode("latin-1"))
    before = file.read_bytes()
    for argv in (
        "validate {f}",
        "status {f}",
        "add hours {f} --from 2026-01-05 --fte 0.5",
    ):
        result = cli(argv, f=file)
        assert_refused(result, file, before, f"error: {file}: not UTF-8 text (byte ")


def test_missing_file(tmp_path: Path) -> None:
    file = tmp_path / "missing.toml"
    for argv in (
        "validate {f}",
        "status {f}",
        "timeline {f}",
        "add evidence {f} --kind pdp --date 2025-11-01",
        "decide {f} --outcome pass --date 2026-09-01 --by Pat",
    ):
        result = cli(argv, f=file)
        assert_refused(result, file, None, f"error: {file}: no such file")


def test_validate_one_good_one_bad(rec: Path, tmp_path: Path) -> None:
    bad = write(tmp_path, BASE.replace("date = 2025-10-01", "date = 2099-10-01"), name="bad.toml")
    result = run("validate", rec, bad)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stdout == f"{rec}: ok (r1)\n"
    assert result.stderr.splitlines() == [
        f"error: {bad}: evidence[0].date: is in the future (today is {TODAY}) (got 2099-10-01)",
        "1 of 2 files invalid",
    ]


def test_validate_reports_every_problem(tmp_path: Path) -> None:
    text = BASE.replace('kind = "direct-observation"', 'kind = "gossip"').replace(
        'standards = ["kss-cf:1"]', 'standards = ["kss-cf:1", "pcf:42"]'
    )
    file = write(tmp_path, text.replace('id = "r1"', 'id = "r1"\nswe = "X1"'))
    lines = error_lines(run("validate", file))
    assert [line.split(": ")[2] for line in lines] == [
        "swe",
        "evidence[0].kind",
        "evidence[0].standards[1]",
    ]


def test_debug_shows_a_traceback(tmp_path: Path) -> None:
    file = tmp_path / "missing.toml"
    result = run("--debug", "status", file)
    assert isinstance(result.exception, RecordError)
    assert result.exc_info is not None
    shown = "".join(traceback.format_exception(*result.exc_info))
    assert shown.startswith("Traceback")
    assert "no such file" in shown


def test_internal_error_exits_3_without_a_traceback(
    rec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        msg = "Alex Example has a secret"
        raise RuntimeError(msg)

    monkeypatch.setattr(sys.modules["ecf.status"], "status", broken)
    result = run("status", rec)
    assert result.exit_code == 3
    assert "Traceback" not in result.output
    assert "Alex" not in result.output  # an unexpected error's message may hold personal data
    assert error_lines(result) == [
        "error: internal error (RuntimeError); run again with --debug and report it"
    ]
    with pytest.raises(RuntimeError, match="secret"):
        CliRunner().invoke(main, ["--debug", "status", str(rec)], catch_exceptions=False)


def test_leave_closes_the_record_and_the_timeline_stops(tmp_path: Path) -> None:
    file = tmp_path / "r.toml"
    ok(
        run(
            "new",
            str(file),
            "--id",
            "r1",
            "--name",
            "A Person",
            "--qualified",
            "2025-07-01",
            "--stage",
            "asye",
            "--start",
            "2025-09-01",
        )
    )
    ok(run("leave", str(file), "--date", "2026-01-31", "--reason", "moved council"))
    status = json.loads(ok(run("status", str(file), "--json", "--as-of", "2026-11-24")))
    assert status["state"] == "left"
    assert status["next"] is None
    assert status["overdue"] == []
    events = json.loads(ok(run("timeline", str(file), "--json")))["events"]
    assert events[-1] == {
        "date": "2026-01-31",
        "kind": "left",
        "stage": None,
        "text": "Left employment: moved council",
        "done": True,
    }
    before = file.read_bytes()
    refused = run("decide", str(file), "--outcome", "pass", "--date", "2026-02-01", "--by", "X")
    assert refused.exit_code == 2
    assert "the practitioner left on 2026-01-31; the record is closed" in refused.output
    assert file.read_bytes() == before


def test_an_fte_too_small_to_count_with(rec: Path) -> None:
    text = rec.read_text(encoding="utf-8").replace("fte = 1\n", 'fte = "1/1000000000"\n', 1)
    rec.write_text(text, encoding="utf-8")
    result = run("status", rec)
    assert result.exit_code == 2
    assert (
        f"error: {rec}: hours[0].fte: FTE must be at least 1/100 (about 22 minutes a week): "
        "below that, due dates fall centuries away (got 1e-09)"
    ) in result.output


def test_help_costs_no_more_imports_than_click_itself() -> None:
    # The cold start target (ecf --help within 15% of `import click`) rests on this.
    code = (
        "import sys; import click; before = set(sys.modules); from ecf.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in set(sys.modules) - before if not m.startswith('ecf')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()[-1]
    extra = set(ast.literal_eval(out))
    assert "shutil" not in extra
    assert extra <= {"click._textwrap", "textwrap", "locale", "_locale"}, extra
