"""Sources of many records: each file read once, a bad one reported with its path, and two
files holding the same record id reported as one failure naming both, by every loader.

To see the duplicate tests fail, make :func:`ecf.sources.one_per_id` keep every item (return
``[(s, v) for s, _, v in ...]`` and no duplicate); to see the read-once tests fail, make
:func:`ecf.sources.unique_files` keep every path it is given.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

import ecf.store
from ecf import cohort, hr_import, sources
from ecf.cli import main
from ecf.errors import RecordError
from ecf.framework import FrameworkRegistry
from ecf.records import HistoryEntry, record_to_dict

if TYPE_CHECKING:
    from ecf.records import Record
    from ecf.sources import Failure

EXAMPLES = Path(__file__).parent.parent / "examples" / "records"
REGISTRY = FrameworkRegistry.default()
TODAY = dt.date.today()  # noqa: DTZ011 - the CLI uses the local date too
AS_OF = dt.date(2026, 6, 1)
#: The id ``full-time.toml`` holds.
FULL_TIME = "ph-0001"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ECF_USER", "tester")
    monkeypatch.delenv("ECF_FRAMEWORK_PATH", raising=False)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The example records, and a second file holding the same id as ``full-time.toml``."""
    root = Path(shutil.copytree(EXAMPLES, tmp_path / "records"))
    (root / "team").mkdir()
    shutil.copy(root / "full-time.toml", root / "team" / "copy.toml")
    return root


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The record files parsed, in order."""
    calls: list[str] = []
    real = ecf.store.parse_record

    def counting(data: bytes, path: Path) -> Record:
        calls.append(str(path))
        return real(data, path)

    monkeypatch.setattr(ecf.store, "parse_record", counting)
    return calls


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def errors(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


def the_duplicate(failures: tuple[Failure, ...] | list[Failure], folder: Path) -> str:
    """The one failure of the folder: the id both files hold, naming both; its line."""
    assert len(failures) == 1, failures
    (line,) = failures[0].lines()
    first, second = folder / "full-time.toml", folder / "team" / "copy.toml"
    assert line.startswith(f"{first}: id: the same record id is also in {second}; "), line
    assert line.endswith(f"(got '{FULL_TIME}')"), line
    return line


# --- the same id in two files --------------------------------------------------------------------


def test_load_reports_an_id_held_by_two_files_once_naming_both(folder: Path) -> None:
    loaded = sources.load([folder], REGISTRY, TODAY)
    the_duplicate(loaded.failures, folder)
    assert FULL_TIME not in [r.id for r in loaded.records]  # neither file is chosen
    assert len(loaded.records) == len(sources.record_files(EXAMPLES)) - 1
    assert [(d.id, len(d.sources)) for d in loaded.duplicates] == [(FULL_TIME, 2)]
    assert cohort.load_folder(folder, REGISTRY, TODAY) == loaded


def test_a_scan_reports_an_id_held_by_two_files_once_naming_both(folder: Path) -> None:
    for workers, cache in ((1, None), (2, str(folder.parent / "scan-cache"))):
        options = cohort.ScanOptions(as_of=AS_OF, today=TODAY, cache_dir=cache)
        rows, failures = cohort.scan(cohort.record_files(folder), options, workers=workers, chunk=2)
        the_duplicate(failures, folder)
        assert FULL_TIME not in [r.id for r in rows]


def test_rows_holding_the_same_id_are_one_failure() -> None:
    row = record_to_dict(sources.read_valid(EXAMPLES / "full-time.toml", REGISTRY, TODAY))
    loaded = cohort.load_rows([row, row], REGISTRY, TODAY)
    assert loaded.records == ()
    assert [f.lines() for f in loaded.failures] == [
        [
            (
                "row 1: id: the same record id is also in row 2; which is right is not known, "
                f"so none is used until one is removed or its id changed (got '{FULL_TIME}')"
            )
        ]
    ]


def test_ecf_cohort_reports_an_id_held_by_two_files_once(folder: Path) -> None:
    result = run("cohort", folder, "--as-of", "2026-06-01", "--format", "json")
    assert result.exit_code == 1, result.output
    (line,) = errors(result)
    assert line.startswith(f"error: {folder / 'full-time.toml'}: id: the same record id is also")
    assert str(folder / "team" / "copy.toml") in line
    assert FULL_TIME not in result.stdout


def test_ecf_calendar_reports_an_id_held_by_two_files_once(folder: Path) -> None:
    result = run("calendar", folder, "--as-of", "2026-06-01")
    assert result.exit_code == 1, result.output
    (line,) = errors(result)
    assert line.startswith(f"error: {folder / 'full-time.toml'}: id: the same record id is also")
    assert str(folder / "team" / "copy.toml") in line
    assert FULL_TIME not in result.stdout
    assert "1 records could not be read" in result.stderr


def _entry(action: str, detail: str) -> HistoryEntry:
    return HistoryEntry(dt.datetime.now(dt.UTC).replace(microsecond=0), "tester", action, detail)


def test_the_hr_import_refuses_a_row_whose_id_two_files_hold(folder: Path, tmp_path: Path) -> None:
    rows = tmp_path / "hr.csv"
    rows.write_text(
        "id,name,qualified,stage,start,service,team\n"
        f"{FULL_TIME},A,2025-06-01,asye,2025-09-01,children,North\n",
        encoding="utf-8",
    )
    plan = hr_import.plan_import(rows, folder, REGISTRY, as_of=TODAY, entry=_entry, today=TODAY)
    assert plan.actions == ()
    (problem,) = plan.problems
    assert problem.message == (
        "several record files hold this id: "
        f"{folder / 'full-time.toml'}, {folder / 'team' / 'copy.toml'}"
    )
    assert plan.warnings == ()  # reported with the row, not as an unreadable file


# --- each file read once -------------------------------------------------------------------------


def test_a_file_named_twice_or_through_its_folder_is_read_once(
    tmp_path: Path, parses: list[str]
) -> None:
    root = Path(shutil.copytree(EXAMPLES, tmp_path / "records"))
    one = root / "part-time.toml"
    (root / "alias.toml").symlink_to(one)
    loaded = sources.load([one, root, one, Path(str(root) + "/./part-time.toml")], REGISTRY, TODAY)
    assert loaded.failures == ()
    others = [str(p) for p in sources.record_files(root) if p not in (one, root / "alias.toml")]
    assert parses == [str(one), *others]  # the link leads to a file read already
    assert loaded.sources[0] == str(one)  # where it first came, by the path it first came by
    assert len(loaded.records) == len({r.id for r in loaded.records}) == 6


def test_a_scan_reads_a_file_named_twice_once(tmp_path: Path, parses: list[str]) -> None:
    root = Path(shutil.copytree(EXAMPLES, tmp_path / "records"))
    one = root / "part-time.toml"
    options = cohort.ScanOptions(as_of=AS_OF, today=TODAY)
    rows, failures = cohort.scan([one, *cohort.record_files(root), one], options, workers=1)
    assert failures == []
    assert parses.count(str(one)) == 1
    assert len(rows) == len(parses) == 6


def test_ecf_calendar_reads_a_file_named_twice_once(tmp_path: Path, parses: list[str]) -> None:
    root = Path(shutil.copytree(EXAMPLES, tmp_path / "records"))
    one = root / "part-time.toml"
    result = run("calendar", root, one, one, "--as-of", "2026-06-01")
    assert result.exit_code == 0, result.output
    assert parses.count(str(root / "part-time.toml")) == 1
    assert "from 6 records" in result.stderr


# --- one file ----------------------------------------------------------------------------------


def test_read_valid_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        (EXAMPLES / "full-time.toml").read_text(encoding="utf-8").replace("2025-", "2099-", 1),
        encoding="utf-8",
    )
    with pytest.raises(RecordError) as raised:
        sources.read_valid(bad, REGISTRY, TODAY)
    assert all(p.file == str(bad) for p in raised.value.problems)
    with pytest.raises(RecordError, match="no such file") as missing:
        sources.read_valid(tmp_path / "nope.toml", REGISTRY, TODAY)
    assert missing.value.problems[0].file == str(tmp_path / "nope.toml")


def test_read_file_returns_a_failure_without_raising(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("not toml [", encoding="utf-8")
    read = sources.read_file(broken, REGISTRY, TODAY)
    assert read.record is None
    assert read.failure is not None
    (line,) = read.failure.lines()
    assert line.startswith(f"{broken}: not valid TOML")
