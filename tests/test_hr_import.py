"""HR import: a dry run writes nothing, --apply creates and updates, every bad row is named."""

from __future__ import annotations

import datetime as dt
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ecf import hr_import
from ecf.cli import main
from ecf.errors import EcfError
from ecf.framework import FrameworkRegistry
from ecf.records import HistoryEntry, Leaving, PatternChange
from ecf.store import open_record, read_record, save
from ecf.validation import check_record

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples" / "records"
ROWS = ROOT / "examples" / "hr" / "rows.csv"
REGISTRY = FrameworkRegistry.default()
TODAY = dt.date.today()  # noqa: DTZ011 - the CLI uses the local date too
HEADER = "id,name,qualified,stage,start,service,council,swe,fte,team\n"
#: ph-0002 (part-time.toml) as HR has it: nothing to change.
PH2 = "ph-0002,Daniel Hughes,2025-06-30,ecf-1,2025-09-01,children,E08000006,SW140002,0.6,\n"
NEW = "n-001,Nia New,2026-06-20,asye,2026-09-07,children,E09000030,SW150001,1,North\n"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_USER", "tester")
    monkeypatch.delenv("ECF_FRAMEWORK_PATH", raising=False)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLES, tmp_path / "records"))


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))}


def csv_file(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "hr.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def errors(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


#: After every history entry of the examples: a record's history only moves forward.
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def entry(action: str, detail: str) -> HistoryEntry:
    return HistoryEntry(NOW, "tester", action, detail)


# --- the shipped example -----------------------------------------------------------------------


def test_example_dry_run_writes_nothing(folder: Path) -> None:
    before = snapshot(folder)
    result = run("import", ROWS, "--into", folder, "--as-of", "2026-11-02")
    assert result.exit_code == 0, result.output
    assert snapshot(folder) == before
    out = result.stdout.splitlines()
    assert out[0] == (
        f"row 2: ph-0001: update {folder / 'full-time.toml'}: team: - -> Children in Need North"
    )
    assert out[1] == (
        f"row 3: ph-0002: update {folder / 'part-time.toml'}: team: - -> Fostering and Adoption; "
        "fte: 0.6 -> 0.8 from 2026-11-02"
    )
    assert f"row 6: ph-0007: create {folder / 'ph-0007.toml'} (asye from 2026-09-07)" in out
    assert out[-1] == (
        "dry run: 3 to create, 4 to update, 0 unchanged, 0 bad rows; "
        "nothing written (add --apply to write)"
    )
    assert result.stderr == ""


def test_example_apply_then_read_back(folder: Path) -> None:
    result = run("import", ROWS, "--into", folder, "--apply", "--as-of", "2026-11-02")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "created 3, updated 4, 0 unchanged"
    for path in sorted(folder.glob("*.toml")):
        assert check_record(read_record(path), REGISTRY, TODAY) == [], path
    new = read_record(folder / "ph-0008.toml")
    assert (new.id, new.name, new.council, new.swe) == (
        "ph-0008",
        "Liam O'Connor",
        "E08000006",
        None,
    )
    assert new.enrolments[0].stage == "ecf-1"
    assert new.enrolments[0].start == dt.date(2026, 10, 5)
    assert new.hours == (PatternChange(dt.date(2026, 10, 5), Fraction(3, 5)),)
    assert new.extra == {"team": "Front Door"}
    assert [(h.action, h.by) for h in new.history] == [("import", "tester")]
    assert new.history[0].detail == "rows.csv row 7: started ecf-1 on 2026-10-05"
    unicode = read_record(folder / "ph-0009.toml")
    assert unicode.name == "Chloé Dubois-Martin"
    assert unicode.extra == {"team": "Adults East, Locality 2"}
    part = read_record(folder / "part-time.toml")
    assert part.hours[-1] == PatternChange(dt.date(2026, 11, 2), Fraction(4, 5))
    assert part.fte_on(dt.date(2026, 11, 1)) == Fraction(3, 5)
    assert part.extra == {"team": "Fostering and Adoption"}
    assert part.history[-1].action == "import"
    assert part.history[-1].detail == "rows.csv row 3: team, fte 0.8 from 2026-11-02"
    # Everything else in the file is as it was: only appended entries and the new table.
    text = (folder / "part-time.toml").read_text(encoding="utf-8")
    assert text.startswith((EXAMPLES / "part-time.toml").read_text(encoding="utf-8")[:300])
    alias = read_record(folder / "long-absence.toml")  # the row says "ASYE", an alias
    assert alias.extra == {"team": "Adults East, Locality 2"}
    # A second import of the same rows changes nothing.
    before = snapshot(folder)
    again = run("import", ROWS, "--into", folder, "--apply", "--as-of", "2026-11-02")
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-1] == "created 0, updated 0, 7 unchanged"
    assert snapshot(folder) == before


# --- updates -----------------------------------------------------------------------------------


def test_update_name_swe_council_team(folder: Path, tmp_path: Path) -> None:
    rows = csv_file(
        tmp_path,
        "ph-0002,Daniel Hughes-Smith,2025-06-30,ecf-1,2025-09-01,children,E08000099,SW999,,Duty\n",
    )
    result = run("import", rows, "--into", folder, "--apply")
    assert result.exit_code == 0, result.output
    line = result.stdout.splitlines()[0]
    assert line == (
        f"row 2: ph-0002: update {folder / 'part-time.toml'}: "
        "name: changed (not shown: personal data); swe: SW140002 -> SW999; "
        "council: E08000006 -> E08000099; team: - -> Duty"
    )
    assert "Hughes" not in result.output  # names are never printed
    record = read_record(folder / "part-time.toml")
    assert (record.name, record.swe, record.council) == (
        "Daniel Hughes-Smith",
        "SW999",
        "E08000099",
    )
    assert record.extra == {"team": "Duty"}
    assert len(record.hours) == 1  # an empty fte cell changes nothing
    assert record.history[-1].detail == "hr.csv row 2: name, swe, council, team"


def test_unchanged_row_and_ignored_columns(folder: Path, tmp_path: Path) -> None:
    rows = csv_file(tmp_path, PH2.replace("\n", ",x\n"), header=HEADER.replace("\n", ",payroll\n"))
    before = snapshot(folder)
    result = run("import", rows, "--into", folder, "--apply")
    assert result.exit_code == 0, result.output
    assert (
        result.stdout.splitlines()[0] == f"row 2: ph-0002: unchanged ({folder / 'part-time.toml'})"
    )
    assert f"note: {rows}: columns not imported: payroll" in result.stderr
    assert snapshot(folder) == before


def test_optional_columns_may_be_missing(folder: Path, tmp_path: Path) -> None:
    rows = csv_file(
        tmp_path,
        "Hughes Daniel,ph-0002,2025-06-30,ecf-1,2025-09-01,Children\n",
        header="Name,ID,Qualified,Stage,Start,Service\n",
    )
    result = run("import", rows, "--into", folder)
    assert result.exit_code == 0, result.output
    assert "name: changed" in result.stdout


def test_a_record_found_by_file_name_or_id(folder: Path, tmp_path: Path) -> None:
    (folder / "part-time.toml").rename(folder / "ph-0002.toml")
    (folder / "north").mkdir()
    (folder / "full-time.toml").rename(folder / "north" / "amira.toml")
    rows = csv_file(
        tmp_path,
        PH2.replace(",\n", ",Duty\n"),
        "ph-0001,Amira Okafor,2025-07-10,asye,2026-02-02,children,E09000030,SW140001,,Duty\n",
    )
    result = run("import", rows, "--into", folder)
    assert result.exit_code == 0, result.output
    assert f"update {folder / 'ph-0002.toml'}: team" in result.stdout
    assert f"update {folder / 'north' / 'amira.toml'}: team" in result.stdout


# --- bad rows ----------------------------------------------------------------------------------


BAD_ROWS = {
    "n-1,A,2025-06-31,asye,2026-01-05,children,,,,\n": "row 2: qualified: invalid date, "
    "expected YYYY-MM-DD or DD/MM/YYYY (got '2025-06-31')",
    "n-2,B,2025-06-01,asye,2026-01-05,children,,,1.5,\n": "row 3: fte: FTE must be more than 0 "
    "and at most 1 (got '1.5')",
    "n-3,C,2025-06-01,asye,2026-01-05,children,,,half,\n": "row 4: fte: invalid FTE, expected "
    "0.6, 3/5, 60% or 22.5 of 37 hours (got 'half')",
    "n-4,D,2025-06-01,year-one,2026-01-05,children,,,,\n": "row 5: stage: unknown stage (known: "
    "asye (ASYE), ecf-1 (ECF year 1, SWIP year 1, ECDP year 1), ecf-2 (ECF year 2, SWIP year 2, "
    "ECDP year 2), expert (expert practitioner)) (got 'year-one')",
    "n-5,E,2025-06-01,asye,2026-01-05,children,,12345,,\n": "row 6: swe: a Social Work England "
    "number is 'SW' followed by digits (not shown: personal data)",
    "../n-6,F,2025-06-01,asye,2026-01-05,children,,,,\n": "row 7: id: an id is 1-64 letters, "
    "digits, '.', '_' or '-', starting with a letter or digit (got '../n-6')",
    "n-7,G,2025-06-01,asye,2026-01-05,pets,,,,\n": "row 8: service: unknown service (known: "
    "children, adults) (got 'pets')",
    # adults: a child and family ASYE starting in 2099 is refused first (the ECDP replaces it)
    "n-8,H,2099-06-01,asye,2099-09-01,adults,,,,\n": f"row 9: qualified: is in the future "
    f"(today is {TODAY}) (got 2099-06-01)",
    "n-9,I,2025-06-01,asye,2025-05-01,children,,,,\n": "row 10: start: is before qualification "
    "(2025-06-01) (got 2025-05-01)",
    "n-10,J,2025-06-01,ecf-2,2026-01-05,children,,,,\n": "row 11: stage: 'ecf-2' follows a "
    "pass of ecf-1 or asye: give the stage it follows as a prior stage, passed before the record "
    "began (asye:DATE) (got 'ecf-2')",
    "n-11,K,2025-06-01,ecf-1,2026-01-05,adults,,,,\n": "row 12: stage: is not open to the "
    "'adults' service",
    "n-12,,2025-06-01,asye,,children,,,,\n": "row 13: name: must not be empty (got '')",
}


def test_every_bad_row_is_named_and_nothing_is_written(folder: Path, tmp_path: Path) -> None:
    rows = csv_file(tmp_path, *BAD_ROWS, NEW)
    before = snapshot(folder)
    for extra in ([], ["--apply"]):
        result = run("import", rows, "--into", folder, *extra)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        lines = errors(result)
        for message in BAD_ROWS.values():
            assert any(line.startswith(f"error: {rows}: {message}") for line in lines), (
                message,
                lines,
            )
        assert (
            f"error: {rows}: row 13: start: must not be empty (YYYY-MM-DD or DD/MM/YYYY) (got '')"
            in lines
        )
        assert len(lines) == len(BAD_ROWS) + 1
        assert snapshot(folder) == before
        assert "row 14: n-001: create" in result.stdout  # the good row is shown, not written
    assert "nothing written: fix the bad rows, or add --skip-bad" in result.stderr


def test_skip_bad_writes_the_good_rows(folder: Path, tmp_path: Path) -> None:
    rows = csv_file(tmp_path, next(iter(BAD_ROWS)), NEW)
    result = run("import", rows, "--into", folder, "--apply", "--skip-bad")
    assert result.exit_code == 1, result.output
    assert errors(result) == [f"error: {rows}: {next(iter(BAD_ROWS.values()))}"]
    assert result.stdout.splitlines()[-1] == "created 1, updated 0, 0 unchanged, skipped 1 bad rows"
    assert read_record(folder / "n-001.toml").extra == {"team": "North"}
    assert not (folder / "n-1.toml").exists()


def test_stage_start_qualified_or_service_of_an_update_must_match(
    folder: Path, tmp_path: Path
) -> None:
    rows = csv_file(
        tmp_path,
        "ph-0002,Daniel Hughes,2025-06-30,ecf-2,2025-09-01,children,,,,\n",
        "ph-0001,Amira Okafor,2025-07-10,asye,2026-02-09,children,,,,\n",
        "ph-0003,Grace Mensah,2025-05-21,asye,2025-09-15,children,,,,\n",
    )
    before = snapshot(folder)
    result = run("import", rows, "--into", folder, "--apply", "--skip-bad")
    assert result.exit_code == 2, result.output  # nothing could be written
    lines = errors(result)
    never = (
        "the import never changes it: record the change with ecf (advance, decide) or fix the row"
    )
    assert lines == [
        (
            f"error: {rows}: row 2: stage: differs from the current stage in "
            f"{folder / 'part-time.toml'} (ecf-1); {never} (got 'ecf-2')"
        ),
        (
            f"error: {rows}: row 3: start: differs from the current stage in "
            f"{folder / 'full-time.toml'} (2026-02-02); {never} (got '2026-02-09')"
        ),
        (
            f"error: {rows}: row 4: qualified: differs from the record in "
            f"{folder / 'long-absence.toml'} (2025-05-20); {never} (got '2025-05-21')"
        ),
        (
            f"error: {rows}: row 4: service: differs from the record in "
            f"{folder / 'long-absence.toml'} (adults); {never} (got 'children')"
        ),
    ]
    assert snapshot(folder) == before


def test_conflicting_duplicate_ids_are_bad_rows(folder: Path, tmp_path: Path) -> None:
    rows = csv_file(tmp_path, NEW, PH2, NEW.replace("North", "South"))
    result = run("import", rows, "--into", folder, "--apply", "--skip-bad")
    assert result.exit_code == 2, result.output  # bad rows, and nothing else to write
    assert errors(result) == [
        (
            f"error: {rows}: row 2: id: duplicate id: also in row 4, with other values in: team "
            "(got 'n-001')"
        ),
        (
            f"error: {rows}: row 4: id: duplicate id: also in row 2, with other values in: team "
            "(got 'n-001')"
        ),
    ]
    assert not (folder / "n-001.toml").exists()
    assert "row 3: ph-0002: unchanged" in result.stdout


def test_missing_columns_are_reported_once(folder: Path, tmp_path: Path) -> None:
    rows = csv_file(tmp_path, NEW, NEW, header="id,name,stage,fte\n")
    result = run("import", rows, "--into", folder)
    assert result.exit_code == 2
    assert errors(result) == [
        (
            f"error: {rows}: missing columns: qualified, start, service "
            "(the columns are id, name, qualified, stage, start, service, council, swe, fte, "
            "team, prior, registered, left, leaving_reason)"
        )
    ]
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file: expected a header row"),
        (b"id,name\xff\n", "not UTF-8 text (byte 7)"),
        (b'id,name,"qualified\n', "not valid CSV"),
        (b"id,id,name,qualified,stage,start,service\n", "column 'id': it appears more than once"),
    ],
)
def test_unreadable_files(folder: Path, tmp_path: Path, content: bytes, message: str) -> None:
    rows = tmp_path / "hr.csv"
    rows.write_bytes(content)
    result = run("import", rows, "--into", folder)
    assert result.exit_code == 2
    assert errors(result)[0].startswith(f"error: {rows}: {message}")


def test_excel_bom_blank_rows_and_short_rows(folder: Path, tmp_path: Path) -> None:
    rows = tmp_path / "hr.csv"
    rows.write_bytes(
        b"\xef\xbb\xbf"
        + HEADER.encode()
        + b"\r\n,,,,,,,,,\r\n"
        + b"n-001,Nia New,2026-06-20,asye,2026-09-07,children\r\n"
    )
    result = run("import", rows, "--into", folder, "--apply")
    assert result.exit_code == 0, result.output
    assert "row 4: n-001: create" in result.stdout
    record = read_record(folder / "n-001.toml")
    assert (record.swe, record.council, record.hours, record.extra) == (None, None, (), {})


def test_a_left_record_is_not_changed(folder: Path, tmp_path: Path) -> None:
    opened = open_record(folder / "part-time.toml")
    save(
        opened,
        opened.record.changed(
            entry("leave", "left"), left=Leaving(dt.date(2026, 6, 30), "moved council")
        ),
    )
    rows = csv_file(tmp_path, PH2, PH2.replace("Hughes", "Hughes-Smith").replace("ph-0002", "x"))
    result = run("import", rows, "--into", folder, "--apply", "--skip-bad")
    assert "row 2: ph-0002: unchanged" in result.stdout  # no change asked: nothing to refuse
    assert result.exit_code == 0, result.output
    changed = csv_file(tmp_path, PH2.replace(",\n", ",Duty\n"), name="team.csv")
    refused = run("import", changed, "--into", folder, "--apply")
    assert refused.exit_code == 2
    assert errors(refused) == [
        (
            f"error: {changed}: row 2: the practitioner left on 2026-06-30; "
            f"{folder / 'part-time.toml'} is closed to changes (would change: team)"
        )
    ]


def test_an_invalid_record_in_the_folder(folder: Path, tmp_path: Path) -> None:
    path = folder / "part-time.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("2025-11-12", "2099-11-12"), encoding="utf-8"
    )
    (folder / "broken.toml").write_text("not toml [", encoding="utf-8")
    rows = csv_file(tmp_path, PH2.replace(",\n", ",Duty\n"), NEW)
    result = run("import", rows, "--into", folder)
    assert result.exit_code == 2
    assert errors(result) == [
        (
            f"error: {rows}: row 2: {path}: evidence[0].date: is in the future "
            f"(today is {TODAY}) (got 2099-11-12)"
        )
    ]
    assert f"warning: {folder / 'broken.toml'}: cannot be read, so no row can match it" in (
        result.stderr
    )


def test_a_row_whose_file_is_broken_or_holds_another_id(folder: Path, tmp_path: Path) -> None:
    (folder / "n-001.toml").write_text("not toml [", encoding="utf-8")
    (folder / "part-time.toml").rename(folder / "n-002.toml")  # holds ph-0002
    rows = csv_file(tmp_path, NEW, NEW.replace("n-001", "n-002"))
    before = snapshot(folder)
    result = run("import", rows, "--into", folder, "--apply", "--skip-bad")
    assert result.exit_code == 2
    broken, taken = folder / "n-001.toml", folder / "n-002.toml"
    first, second = errors(result)
    assert first.startswith(f"error: {rows}: row 2: id: {broken} cannot be read: not valid TOML")
    assert first.endswith("(got 'n-001')")
    assert second == (
        f"error: {rows}: row 3: id: {taken} holds record 'ph-0002'; not replaced (got 'n-002')"
    )
    assert "warning" not in result.stderr
    assert snapshot(folder) == before


def test_fte_change_must_follow_the_last_one(folder: Path, tmp_path: Path) -> None:
    rows = csv_file(tmp_path, PH2.replace("0.6", "0.5"))
    result = run("import", rows, "--into", folder, "--as-of", "2026-01-05")
    assert result.exit_code == 2
    assert errors(result) == [
        (
            f"error: {rows}: row 2: hours[1].from: must be after the previous change's date "
            "(got 2026-01-05)"
        )
    ]


# --- the library -------------------------------------------------------------------------------


def test_plan_then_apply_refuses_a_file_changed_meanwhile(folder: Path, tmp_path: Path) -> None:
    rows = csv_file(tmp_path, PH2.replace(",\n", ",Duty\n"), NEW)
    plan = hr_import.plan_import(
        rows, folder, REGISTRY, as_of=dt.date(2026, 11, 2), entry=entry, today=TODAY
    )
    assert [(a.row, a.kind) for a in plan.actions] == [(2, "update"), (3, "create")]
    assert plan.problems == ()
    path = folder / "part-time.toml"
    path.write_bytes(path.read_bytes() + b"# edited by hand meanwhile\n")
    edited = path.read_bytes()
    applied = hr_import.apply(plan)
    assert [a.row for a in applied.written] == [3]
    assert [str(p) for p in applied.failures] == [
        (
            f"{rows}: row 2: {path}: changed on disk since it was read; not written, "
            "run the command again"
        )
    ]
    assert path.read_bytes() == edited
    assert read_record(folder / "n-001.toml").history[0].at == entry("", "").at


def test_apply_refuses_a_plan_with_problems(folder: Path, tmp_path: Path) -> None:
    rows = csv_file(tmp_path, next(iter(BAD_ROWS)), NEW)
    plan = hr_import.plan_import(
        rows, folder, REGISTRY, as_of=dt.date(2026, 11, 2), entry=entry, today=TODAY
    )
    assert plan.bad_rows == (2,)
    with pytest.raises(EcfError) as raised:
        hr_import.apply(plan)
    assert raised.value.problems == plan.problems
    assert not (folder / "n-001.toml").exists()


def test_into_must_be_a_folder(tmp_path: Path) -> None:
    rows = csv_file(tmp_path, NEW)
    with pytest.raises(EcfError, match="not a folder"):
        hr_import.plan_import(rows, rows, REGISTRY, as_of=TODAY, entry=entry)


# --- existing staff: prior stages, registration, councils ---------------------------------------

HEADER_9 = "id,name,qualified,stage,start,service,council,prior,registered\n"


def test_existing_staff_are_onboarded_in_their_stage_with_prior_stages(
    folder: Path, tmp_path: Path
) -> None:
    rows = csv_file(
        tmp_path,
        "y3,Jo Ex,2022-07-01,expert,2024-09-02,children,E1,asye:2023-08-30; ecf-2:2024-08-29,"
        "2022-07-20\n",
        header=HEADER_9,
    )
    result = run("import", rows, "--into", folder, "--apply")
    assert result.exit_code == 0, result.output
    record = read_record(folder / "y3.toml")
    assert [(p.stage, p.passed) for p in record.prior] == [
        ("asye", dt.date(2023, 8, 30)),
        ("ecf-2", dt.date(2024, 8, 29)),
    ]
    assert record.registered == dt.date(2022, 7, 20)
    assert record.began is not None  # onboarded: the record begins the day it was imported
    assert run("import", rows, "--into", folder).stdout.startswith("row 2: y3: unchanged")


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (
            "expert,2024-09-02,children,E1,,",
            "row 2: stage: 'expert' follows a pass of asye or ecf-2: give the stage it follows",
        ),
        ("expert,2024-09-02,children,E1,nope:2023-08-30,", "row 2: prior: unknown stage"),
        ("expert,2024-09-02,children,E1,asye:2023-02-31,", "row 2: prior: invalid date"),
        ("expert,2024-09-02,children,E1,asye:31/02/2023,", "row 2: prior: impossible date"),
        ("asye,2024-09-02,children,E1,,2099-01-01", "row 2: registered: is in the future"),
    ],
)
def test_bad_prior_stages_and_registration_are_row_errors(
    folder: Path, tmp_path: Path, cells: str, message: str
) -> None:
    before = snapshot(folder)
    rows = csv_file(tmp_path, f"y3,Jo Ex,2022-07-01,{cells}\n", header=HEADER_9)
    result = run("import", rows, "--into", folder, "--apply")
    assert result.exit_code == 2
    assert any(message in line for line in errors(result)), errors(result)
    assert snapshot(folder) == before


def test_a_council_change_of_a_record_with_periods_is_a_transfer(
    folder: Path, tmp_path: Path
) -> None:
    rows = csv_file(
        tmp_path, "y3,Jo Ex,2022-07-01,asye,2024-09-02,children,E1,,\n", header=HEADER_9
    )
    assert run("import", rows, "--into", folder, "--apply").exit_code == 0
    moved = csv_file(
        tmp_path,
        "y3,Jo Ex,2022-07-01,asye,2024-09-02,children,E2,,\n",
        header=HEADER_9,
        name="moved.csv",
    )
    result = run("import", moved, "--into", folder)
    assert result.exit_code == 2
    assert any("record it with ecf transfer" in line for line in errors(result))
