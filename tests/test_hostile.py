"""Hostile input (issue 11, items 4, 5 and 7): nothing hangs, nothing crashes, no personal value
in an error, no link or foreign file rewritten, no terminal control obeyed.

Each test names the guarantee it proves; the commands that could hang run in a subprocess with
a timeout, so that a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecf import limits, store
from ecf.cli import escape, main
from ecf.errors import RecordError
from ecf.parsing import ParseError, parse_date
from ecf.store import parse_record, read_record

ECF = [sys.executable, "-m", "ecf"]
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

RECORD = """\
schema_version = 3
id = "ph-1"
name = "Amira Okafor"
qualified = 2025-07-10
service = "children"
council = "E09000030"

[[enrolments]]
stage = "asye"
start = 2026-02-02
framework = "baseline-2026"

[[hours]]
from = 2026-02-02
fte = 1
"""


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "cache"))


def run(
    *args: str, cwd: Path | None = None, timeout: float = 10
) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess: a hang fails the test after ``timeout`` seconds."""
    return subprocess.run(
        [*ECF, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False
    )


# --- control characters are escaped in terminal output -------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text\twith a tab\n", "plain text\twith a tab\n"),
        ("E09\x1b]0;owned\x07X", "E09\\x1b]0;owned\\x07X"),
        ("a\rb", "a\\x0db"),
        ("csv,row\r\n", "csv,row\r\n"),
        ("\x9b31m", "\\u009b31m"),
        ("abc\u202edef", "abc\\u202edef"),
        ("\x7f\x00", "\\u007f\\x00"),
    ],
)
def test_escape(text: str, shown: str) -> None:
    assert escape(text) == shown


def test_a_terminal_escape_in_a_council_code_is_shown_not_obeyed(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    hostile = RECORD.replace('"E09000030"', '"E09\\u001b]0;owned\\u0007X"')
    (folder / "a.toml").write_text(hostile, encoding="utf-8")
    for args in (["cohort", str(folder)], ["cohort", str(folder), "--stage", "asye"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.stderr
        assert "\x1b" not in result.stdout
        assert "\x07" not in result.stdout
        assert "E09\\x1b]0;owned\\x07X" in result.stdout


def test_a_terminal_escape_in_a_file_name_is_shown_not_obeyed(tmp_path: Path) -> None:
    name = tmp_path / "x\x1b[2Jy.toml"
    result = CliRunner().invoke(main, ["validate", str(name)])
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr
    assert "x\\x1b[2Jy.toml" in result.stderr


def test_a_terminal_escape_in_an_option_value_is_shown_not_obeyed(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["cohort", str(tmp_path), "--as-of", "\x1b[2J"])
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr
    assert "\\x1b[2J" in result.stderr


# --- inputs that cannot hang: FIFOs, devices, folders, link loops, huge files ---------------

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A records folder: one good record, and every kind of file that is not one."""
    records = tmp_path / "records"
    records.mkdir()
    (records / "a-good.toml").write_text(RECORD, encoding="utf-8")
    if hasattr(os, "mkfifo"):
        os.mkfifo(records / "b-fifo.toml")
    (records / "c-loop1.toml").symlink_to("c-loop2.toml")
    (records / "c-loop2.toml").symlink_to("c-loop1.toml")
    if Path("/dev/zero").exists():
        (records / "d-zero.toml").symlink_to("/dev/zero")
    return records


@needs_fifo
@pytest.mark.parametrize(
    "command",
    [
        ["cohort", "{folder}", "--no-cache"],
        ["cohort", "{folder}"],
        ["workforce", "{folder}"],
        ["calendar", "{folder}", "--out", "{tmp}/out.ics"],
        ["funding", "{folder}", "--year", "2026-27"],
        ["validate", "{folder}/a-good.toml", "{folder}/b-fifo.toml", "{folder}/c-loop1.toml"],
    ],
    ids=["cohort-no-cache", "cohort", "workforce", "calendar", "funding", "validate"],
)
def test_a_folder_of_hostile_files_never_hangs(
    folder: Path, tmp_path: Path, command: list[str]
) -> None:
    args = [a.format(folder=folder, tmp=tmp_path) for a in command]
    result = run(*args)  # a hang fails here after 10 s
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    assert result.returncode in (1, 2), result.stderr
    errors = result.stderr
    assert f"{folder}/b-fifo.toml: is a named pipe (FIFO), not a record file" in errors
    assert f"{folder}/c-loop1.toml: cannot read: Too many levels of symbolic links" in errors
    if command[0] != "validate":
        assert f"{folder}/d-zero.toml: is a character device, not a record file" in errors
        assert "ph-1" in result.stdout or (tmp_path / "out.ics").exists()  # the good one ran


@needs_fifo
@pytest.mark.parametrize(
    "command",
    [
        ["status", "{fifo}"],
        ["timeline", "{fifo}"],
        ["assess", "{fifo}"],
        ["verify", "{fifo}"],
        ["add", "hours", "{fifo}", "--from", "2026-06-01", "--fte", "0.5"],
        ["rules", "check", "{fifo}"],
        ["import", "{fifo}", "--into", "{tmp}"],
        ["status", "{good}", "--council", "{fifo}"],
        ["assess", "{good}", "--rules", "{fifo}"],
        ["--framework", "{fifo}", "status", "{good}"],
        ["cohort", "{tmp}", "--pseudonymise", "--key-file", "{fifo}"],
        ["status", "/dev/zero"],
        ["rules", "check", "/dev/zero"],
        ["import", "/dev/zero", "--into", "{tmp}"],
    ],
)
def test_a_fifo_or_a_device_as_any_input_is_a_clear_error(
    tmp_path: Path, command: list[str]
) -> None:
    fifo = tmp_path / "input.toml"
    os.mkfifo(fifo)
    good = tmp_path / "good.toml"
    good.write_text(RECORD, encoding="utf-8")
    args = [a.format(fifo=fifo, tmp=tmp_path, good=good) for a in command]
    result = run(*args)  # a hang fails here after 10 s
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    assert ("is a named pipe (FIFO)" in result.stderr) or (
        "is a character device" in result.stderr
    ), result.stderr


def test_a_folder_named_like_a_record_is_walked_not_read(tmp_path: Path) -> None:
    records = tmp_path / "records"
    (records / "inner.toml").mkdir(parents=True)
    (records / "inner.toml" / "a.toml").write_text(RECORD, encoding="utf-8")
    result = CliRunner().invoke(main, ["cohort", str(records), "--format", "jsonl"])
    assert result.exit_code == 0, result.stderr
    assert '"ph-1"' in result.stdout


def test_a_folder_given_as_a_record_file_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "dir.toml"
    folder.mkdir()
    with pytest.raises(RecordError, match=r"dir\.toml: is a folder, not a record file"):
        read_record(folder)


def test_rules_check_does_not_read_a_huge_file(tmp_path: Path) -> None:
    huge = tmp_path / "huge.toml"
    with huge.open("wb") as fh:
        fh.truncate(300 * 1024 * 1024)  # sparse: 300 MB that cost no disk
    result = run("rules", "check", str(huge))
    assert result.returncode == 2
    assert "too large: 314,572,800 bytes or more, the limit is 2,097,152" in result.stderr


def test_the_safe_open_refuses_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = tmp_path / "huge.toml"
    with huge.open("wb") as fh:
        fh.truncate(10 * 1024 * 1024)
    reads: list[int] = []
    real = os.read

    def counting(fd: int, n: int) -> bytes:
        reads.append(n)
        return real(fd, n)

    monkeypatch.setattr(os, "read", counting)
    with pytest.raises(RecordError, match="too large"):
        limits.read_limited(huge, RecordError)
    assert reads == []


# --- dates in a sane range, options and environment in range ------------------------------


def test_a_date_far_in_the_future_is_one_failure_not_a_crash(tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    (records / "a.toml").write_text(RECORD, encoding="utf-8")
    far = RECORD.replace('id = "ph-1"', 'id = "ph-2"').replace(
        "start = 2026-02-02", "start = 9999-12-31"
    )
    (records / "b.toml").write_text(far, encoding="utf-8")
    for command in (
        ["cohort", str(records)],
        ["workforce", str(records)],
        ["calendar", str(records), "--out", str(tmp_path / "c.ics")],
        ["funding", str(records), "--year", "2026-27"],
    ):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1, (command, result.stderr)
        assert (
            f"{records}/b.toml: enrolments[0].start: out of range: a date from 1950-01-01 to "
            "2100-12-31 is expected (got 9999-12-31)"
        ) in result.stderr


@pytest.mark.parametrize(
    ("day", "ok"),
    [("1949-12-31", False), ("1950-01-01", True), ("2100-12-31", True), ("2101-01-01", False)],
)
def test_the_date_range_everywhere(day: str, *, ok: bool) -> None:

    for value in (day, dt.date.fromisoformat(day)):
        if ok:
            assert parse_date(value) == dt.date.fromisoformat(day)
        else:
            with pytest.raises(ParseError, match="out of range"):
                parse_date(value)


def test_a_history_time_out_of_range_is_refused() -> None:

    raw = (
        RECORD + '\n[[history]]\nat = 9999-12-31T23:59:59Z\nby = "x"\naction = "new"\ndetail = ""\n'
    )
    with pytest.raises(RecordError, match=r"history\[0\]\.at: out of range"):
        parse_record(raw.encode(), Path("r.toml"))


@pytest.mark.parametrize(
    "command",
    [
        ["cohort", "{folder}", "--due-within", "99999999999"],
        ["cohort", "{folder}", "--due-within", "-1"],
        ["cohort", "{folder}", "--as-of", "9999-12-31"],
        ["calendar", "{folder}", "--days", "999999999"],
        ["calendar", "{folder}", "--days", "-5"],
        ["calendar", "{folder}", "--as-of", "0001-01-01"],
        ["status", "{folder}/a.toml", "--as-of", "2101-01-01"],
        ["workforce", "{folder}", "--as-of", "9999-12-31"],
        [
            "add",
            "absence",
            "{folder}/a.toml",
            "--kind",
            "sickness",
            "--from",
            "2026-05-01",
            "--to",
            "9999-12-31",
        ],
    ],
)
def test_out_of_range_options_exit_2(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "a.toml").write_text(RECORD, encoding="utf-8")
    before = (tmp_path / "a.toml").read_bytes()
    result = CliRunner().invoke(main, [a.format(folder=tmp_path) for a in command])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "internal error" not in result.stderr
    assert (tmp_path / "a.toml").read_bytes() == before


@pytest.mark.parametrize("value", ["nan", "-1", "1e308", "inf", "soon", "-inf"])
def test_a_lock_timeout_out_of_range_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    record = tmp_path / "a.toml"
    record.write_text(RECORD, encoding="utf-8")
    before = record.read_bytes()
    monkeypatch.setenv("ECF_LOCK_TIMEOUT", value)
    result = CliRunner().invoke(
        main, ["add", "hours", str(record), "--from", "2026-06-01", "--fte", "0.5"]
    )
    assert result.exit_code == 2, result.stderr
    assert "$ECF_LOCK_TIMEOUT: expected a number of seconds from 0 to 86,400" in result.stderr
    assert record.read_bytes() == before


def test_a_file_size_limit_out_of_range_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "a.toml"
    record.write_text(RECORD, encoding="utf-8")
    monkeypatch.setenv("ECF_MAX_FILE_BYTES", "-1")
    result = CliRunner().invoke(main, ["status", str(record)])
    assert result.exit_code == 2, result.stderr
    assert "$ECF_MAX_FILE_BYTES: expected a whole number of bytes" in result.stderr


# --- errors never show a personal value ---------------------------------------------------

MARK = "Secretname"
#: A record whose every personal and special field holds the planted value.
PLANTED = f"""\
schema_version = 3
id = "ph-7"
name = "Zoe {MARK}"
qualified = 2025-07-10
service = "children"
swe = "SW{MARK}"
council = "E09000030"

[[enrolments]]
stage = "asye"
start = 2026-02-02
framework = "baseline-2026"

[[hours]]
from = 2026-02-02
fte = 1

[[absences]]
kind = "sickness"
first = 2026-03-02
last = 2026-03-05

[[evidence]]
id = "ev-001"
kind = "direct-observation"
date = 2026-03-18
standards = ["kss-cf:1"]
by = "M. {MARK}"
note = "visit to the {MARK} family"

[[assignments]]
role = "assessor"
name = "R. {MARK}"
from = 2026-02-02

[extra]
team = "{MARK} team"
"""

#: Ways a hand edit or a hostile hand breaks the record, each putting the planted value where
#: an error would see it: a wrong type, an unknown kind, a one-bracket typo...
BREAKS: dict[str, tuple[str, str]] = {
    "one-bracket evidence": ("[[evidence]]", "[evidence]"),
    "one-bracket assignments": ("[[assignments]]", "[assignments]"),
    "unknown absence kind": ('kind = "sickness"', f'kind = "chemotherapy {MARK}"'),
    "name an array": (f'name = "Zoe {MARK}"', f'name = ["Zoe {MARK}"]'),
    "name a table": (f'name = "Zoe {MARK}"', f'name = {{ first = "Zoe {MARK}" }}'),
    "name a number": (f'name = "Zoe {MARK}"', "name = 5"),
    "bad swe": (f'swe = "SW{MARK}"', f'swe = "{MARK} 1"'),
    "author a table": (f'by = "M. {MARK}"', f'by = {{ who = "M. {MARK}" }}'),
    "note an array": (f'note = "visit to the {MARK} family"', f'note = ["{MARK}"]'),
    "assignee a number": (f'name = "R. {MARK}"', "name = 1"),
    "extra a table": (f'team = "{MARK} team"', f'team = {{ x = "{MARK}" }}'),
    "unknown key": ("[extra]", f'unknown = "{MARK}"\n[extra]'),
    "evidence unknown key": (
        'standards = ["kss-cf:1"]',
        f'standards = ["kss-cf:1"]\nwho = "{MARK}"',
    ),
    "bad evidence date": ("date = 2026-03-18", "date = 2026-13-18"),
    "left reason": ("[extra]", f'[left]\ndate = 2026-10-01\nreason = ["{MARK}"]\n\n[extra]'),
    "bad toml": ("[[hours]]", f'[[hours]\nx = "{MARK}"'),
    "future evidence": ("date = 2026-03-18", "date = 2099-03-18"),
    "decision by": (
        "[extra]",
        (
            f'[[decisions]]\nstage = "asye"\noutcome = "nope"\ndate = 2026-05-01\n'
            f'by = ["{MARK}"]\n\n[extra]'
        ),
    ),
}

COMMANDS: list[list[str]] = [
    ["validate", "{file}"],
    ["status", "{file}"],
    ["timeline", "{file}"],
    ["assess", "{file}"],
    ["verify", "{file}"],
    ["add", "hours", "{file}", "--from", "2026-06-01", "--fte", "0.5"],
    [
        "add",
        "absence",
        "{file}",
        "--kind",
        f"chemo-{MARK}",
        "--from",
        "2026-05-01",
        "--to",
        "2026-05-02",
    ],
    ["add", "evidence", "{file}", "--kind", "pdp", "--date", "2026-05-01", "--by", f"{MARK}"],
    ["cohort", "{folder}"],
    ["workforce", "{folder}"],
    ["calendar", "{folder}", "--out", "{folder}/../out.ics"],
    ["export", "{file}", "--subject-access"],
    ["anonymise", "{file}", "--reason", "erasure request"],
]


@given(
    breaks=st.lists(st.sampled_from(sorted(BREAKS)), min_size=0, max_size=3, unique=True),
    command=st.sampled_from(COMMANDS),
)
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_error_of_any_command_shows_a_planted_personal_value(
    tmp_path_factory: pytest.TempPathFactory, breaks: list[str], command: list[str]
) -> None:
    folder = tmp_path_factory.mktemp("planted")
    text = PLANTED
    for name in breaks:
        old, new = BREAKS[name]
        text = text.replace(old, new, 1)
    file = folder / "r.toml"
    file.write_text(text, encoding="utf-8")
    args = [a.format(file=file, folder=folder) for a in command]
    result = CliRunner().invoke(main, args)
    assert "internal error" not in result.stderr, (breaks, args, result.stderr)
    assert MARK not in result.stderr, (breaks, args, result.stderr)
    if breaks and command[0] == "validate":  # every break is found
        assert result.exit_code == 2, (breaks, result.stdout)


def test_a_one_bracket_typo_never_prints_the_table() -> None:
    with pytest.raises(RecordError) as caught:
        parse_record(PLANTED.replace("[[evidence]]", "[evidence]").encode(), Path("r.toml"))
    assert str(caught.value) == "r.toml: evidence: expected a list (got a table)"


def test_an_unknown_absence_kind_is_not_echoed(tmp_path: Path) -> None:
    file = tmp_path / "r.toml"
    file.write_text(RECORD, encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [
            "add",
            "absence",
            str(file),
            "--kind",
            "chemotherapy",
            "--from",
            "2026-05-01",
            "--to",
            "2026-05-02",
        ],
    )
    assert result.exit_code == 2
    assert "chemotherapy" not in result.stderr
    assert "absences[0].kind: unknown absence kind" in result.stderr
    assert result.stderr.rstrip().endswith("(got a text, not shown: personal data)")


def test_hr_csv_errors_never_print_names(tmp_path: Path) -> None:
    csv = tmp_path / "hr.csv"
    csv.write_text(
        "id,name,qualified,stage,start,service,swe\n"
        # A missing comma shifts the columns: the surname lands in "qualified" and so on.
        f"ph-1,Zoe {MARK},{MARK} Smith,2025-07-10,asye,2026-02-02,SW1\n"
        f"ph-2,,2025-07-10,asye,2026-02-02,children,{MARK}\n"
        f"Zoe {MARK},x,2025-07-10,asye,2026-02-02,children,\n",
        encoding="utf-8",
    )
    (tmp_path / "records").mkdir()
    result = CliRunner().invoke(main, ["import", str(csv), "--into", str(tmp_path / "records")])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert MARK not in result.stderr
    assert MARK not in result.stdout
    assert (
        "qualified: invalid date, expected YYYY-MM-DD or DD/MM/YYYY (got a text of 16 characters"
        in (result.stderr)
    )
    assert "start: invalid date, expected YYYY-MM-DD or DD/MM/YYYY (got 'asye')" in result.stderr


# --- links and permissions: a record is changed at its own path, if it is ours to change ---

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
CHANGE = ["add", "hours", "{file}", "--from", "2026-06-01", "--fte", "0.5"]


def _change(file: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [a.format(file=file) for a in CHANGE])
    return result.exit_code, result.stderr


@pytest.fixture
def record(tmp_path: Path) -> Path:
    file = tmp_path / "a.toml"
    file.write_text(RECORD, encoding="utf-8")
    file.chmod(0o600)
    return file


def test_a_record_reached_through_a_symlink_is_not_changed(record: Path) -> None:
    link = record.parent / "link.toml"
    link.symlink_to(record.name)
    before = record.read_bytes()
    code, errors = _change(link)
    assert code == 2
    assert errors.startswith(f"error: {link}: is a symbolic link: not changed")
    assert record.read_bytes() == before
    assert link.is_symlink()
    assert sorted(p.name for p in record.parent.iterdir()) == ["a.toml", "link.toml"]  # no lock
    anonymised = CliRunner().invoke(main, ["anonymise", str(link), "--reason", "erasure"])
    assert anonymised.exit_code == 2
    assert record.read_bytes() == before


def test_a_record_with_another_hard_link_is_not_changed(record: Path) -> None:
    other = record.parent / "other.toml"
    os.link(record, other)
    before = record.read_bytes()
    for path in (record, other):
        code, errors = _change(path)
        assert code == 2
        assert "has 2 hard links: not changed" in errors
    assert record.read_bytes() == other.read_bytes() == before
    assert record.stat().st_ino == other.stat().st_ino  # still one file


def test_a_read_only_record_is_not_changed(record: Path) -> None:
    record.chmod(0o400)
    before = record.read_bytes()
    code, errors = _change(record)
    assert code == 2
    assert errors == f"error: {record}: is read-only: not changed (make it writable to change it)\n"
    assert record.read_bytes() == before
    record.chmod(0o600)
    assert _change(record)[0] == 0


@pytest.mark.skipif(not IS_ROOT, reason="only root can give a file to someone else")
def test_a_record_another_user_owns_is_not_changed(record: Path) -> None:
    os.chown(record, 65534, -1)
    before = record.read_bytes()
    code, errors = _change(record)
    assert code == 2
    assert errors == f"error: {record}: belongs to another user: not changed\n"
    assert record.read_bytes() == before


def test_the_save_itself_refuses_a_link(record: Path) -> None:
    opened = store.open_record(record)
    link = record.parent / "link.toml"
    link.symlink_to(record.name)
    linked = store.RecordFile(link, opened.record, opened.digest, opened.document)
    with pytest.raises(RecordError, match="is a symbolic link"):
        store.save(linked, opened.record)
    assert link.is_symlink()


def test_every_command_prints_through_the_one_escaping_echo() -> None:
    # A command module that prints with click.echo (or print) would let a control reach the
    # terminal: only ecf.cli.echo and CliError.show (both escaping) call click.echo.
    cli = Path(__file__).resolve().parents[1] / "src" / "ecf" / "cli"
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(cli.glob("*.py"))
        if path.name != "__init__.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "click.echo(" in line or "click.secho(" in line or line.lstrip().startswith("print(")
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("name = 42", "name: expected a string (got a number, not shown: personal data)"),
        ("name = true", "name: expected a string (got true or false, not shown: personal data)"),
        ("name = 2026-01-05", "name: expected a string (got a date, not shown: personal data)"),
        (f'name = ["{MARK}"]', "name: expected a string (got an array, not shown: personal data)"),
        (
            f'name = "x"\nswe = "{MARK}"',
            (
                "swe: a Social Work England number is 'SW' followed by digits "
                "(got a text, not shown: personal data)"
            ),
        ),
    ],
)
def test_an_error_names_the_kind_of_a_personal_value(tmp_path: Path, body: str, line: str) -> None:
    file = tmp_path / "r.toml"
    file.write_text(RECORD.replace('name = "Amira Okafor"', body), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(file)])
    assert result.exit_code == 2
    assert f"error: {file}: {line}" in result.stderr.splitlines()
    assert MARK not in result.stderr
