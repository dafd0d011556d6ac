"""Issue 14 item 2: the validation verdict remembered with the cached record, never stale.

A warm scan checks no unchanged record again and gives the very output of a cold one; the
verdict is keyed by the record's content, every framework file, the council file, ecf's version
and today, so that another framework file or another day checks the record again.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ecf import cache as cache_module
from ecf import cohort, validation
from ecf.cli import main
from ecf.cohort import ScanOptions
from ecf.errors import Problem
from ecf.records import record_from_dict
from ecf.store import render

if TYPE_CHECKING:
    from ecf.framework import FrameworkRegistry

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synth  # the benchmarks folder is put on the path just above

TODAY = synth.TODAY
BASELINE = Path(cohort.__file__).parent / "data" / "frameworks" / "baseline-2026.toml"
DB = f"records.{cache_module.FORMAT}.sqlite3"


def items(count: int) -> list[dict[str, Any]]:
    return list(synth.records(count, seed=5))


def write(root: Path, records: list[dict[str, Any]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for number, item in enumerate(records):
        (root / f"r{number:04d}.toml").write_text(render(record_from_dict(item)), encoding="utf-8")
    return root


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the records checked (``check_record`` called), in a scan in this process."""
    seen: list[str] = []
    original = validation.check_record

    def counting(record: Any, registry: FrameworkRegistry, today: dt.date) -> list[Problem]:
        seen.append(record.id)
        return original(record, registry, today)

    monkeypatch.setattr("ecf.sources.check_record", counting)
    return seen


def scan(root: Path, options: ScanOptions) -> tuple[list[cohort.CohortRow], list[Any]]:
    return cohort.scan(cohort.record_files(root), options, workers=1, chunk=4)


def test_a_warm_scan_checks_no_unchanged_record_again_and_gives_the_same_outcome(
    tmp_path: Path, checks: list[str]
) -> None:
    seen = checks
    records = items(9)
    records[3]["enrolments"][0]["framework"] = "nowhere-1"  # invalid: remembered as such
    root = write(tmp_path / "records", records)
    options = ScanOptions(as_of=TODAY, today=TODAY, cache_dir=str(tmp_path / "cache"))
    cold = scan(root, options)
    assert len(seen) == 9
    assert len(cold[1]) == 1
    assert "nowhere-1" in cold[1][0].lines()[0]
    seen.clear()
    warm = scan(root, options)
    assert seen == []  # every verdict came from the cache
    assert warm == cold
    # Without the cache, the same rows and failures.
    assert scan(root, ScanOptions(as_of=TODAY, today=TODAY)) == cold


def test_a_changed_framework_file_checks_every_record_again(
    tmp_path: Path, checks: list[str]
) -> None:
    seen = checks
    framework = tmp_path / "local.toml"
    text = BASELINE.read_text(encoding="utf-8")
    framework.write_text(text.replace('"baseline-2026"', '"local-2026"', 1), encoding="utf-8")
    records = items(3)
    for item in records:
        item["enrolments"][0]["framework"] = "local-2026"
    root = write(tmp_path / "records", records)
    options = ScanOptions(
        as_of=TODAY,
        today=TODAY,
        framework_files=(str(framework),),
        cache_dir=str(tmp_path / "cache"),
    )
    rows, failures = scan(root, options)
    assert (len(rows), failures) == (3, [])
    # The same file, another version: the records now pin a version no framework file holds.
    framework.write_text(text.replace('"baseline-2026"', '"renamed-2026"', 1), encoding="utf-8")
    seen.clear()
    rows, failures = scan(root, options)
    assert len(seen) == 3
    assert rows == []
    assert len(failures) == 3
    assert all("local-2026" in f.lines()[0] for f in failures)


def test_another_day_checks_every_record_again(tmp_path: Path, checks: list[str]) -> None:
    seen = checks
    tomorrow = TODAY + dt.timedelta(days=1)
    records = items(2)
    records[0]["evidence"][0]["date"] = tomorrow  # valid from tomorrow, in the future today
    root = write(tmp_path / "records", records)
    cache_dir = str(tmp_path / "cache")
    on = {
        day: ScanOptions(as_of=TODAY, today=day, cache_dir=cache_dir) for day in (TODAY, tomorrow)
    }
    rows, failures = scan(root, on[tomorrow])
    assert (len(rows), failures) == (2, [])
    seen.clear()
    rows, failures = scan(root, on[TODAY])  # valid as of tomorrow is not valid today
    assert len(seen) == 2
    assert len(rows) == 1
    assert len(failures) == 1
    assert "evidence[0].date" in failures[0].lines()[0]
    seen.clear()
    assert len(scan(root, on[tomorrow])[0]) == 2
    assert seen == []  # the verdicts remembered for tomorrow still hold


def test_a_changed_council_file_checks_every_record_again(
    tmp_path: Path, checks: list[str]
) -> None:
    seen = checks
    root = write(tmp_path / "records", items(2))
    council = tmp_path / "council.toml"
    council.write_text('code = "E08000006"\nname = "A council"\n', encoding="utf-8")
    options = ScanOptions(
        as_of=TODAY, today=TODAY, council_file=str(council), cache_dir=str(tmp_path / "cache")
    )
    scan(root, options)
    seen.clear()
    scan(root, options)
    assert seen == []
    council.write_text('code = "E08000006"\nname = "The council"\n', encoding="utf-8")
    scan(root, options)
    assert len(seen) == 2


def test_a_tampered_verdict_is_not_trusted(tmp_path: Path, checks: list[str]) -> None:
    seen = checks
    records = items(2)
    records[1]["enrolments"][0]["framework"] = "nowhere-1"
    root = write(tmp_path / "records", records)
    options = ScanOptions(as_of=TODAY, today=TODAY, cache_dir=str(tmp_path / "cache"))
    cold = scan(root, options)
    db = sqlite3.connect(tmp_path / "cache" / DB)
    forged = cache_module.encode_verdict([Problem("forged", "id")])
    with db:  # every verdict now says something else, without its checksum
        db.execute("UPDATE verdicts SET data = ?", (forged,))
    db.close()
    seen.clear()
    assert scan(root, options) == cold
    assert len(seen) == 2


def test_forget_removes_the_verdicts_of_a_record(tmp_path: Path) -> None:
    records = items(2)
    root = write(tmp_path / "records", records)
    options = ScanOptions(as_of=TODAY, today=TODAY, cache_dir=str(tmp_path / "cache"))
    scan(root, options)
    assert cache_module.forget(records[0]["id"], tmp_path / "cache") == 1
    db = sqlite3.connect(tmp_path / "cache" / DB)
    ids = [i for (i,) in db.execute("SELECT record_id FROM verdicts")]
    db.close()
    assert ids == [records[1]["id"]]


def test_a_warm_cohort_prints_the_very_bytes_of_a_cold_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = items(10)
    records[2]["enrolments"][0]["framework"] = "nowhere-1"
    root = write(tmp_path / "records", records)
    (root / "broken.toml").write_text("id = [", encoding="utf-8")
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "cache"))
    args = ["cohort", str(root), "--format", "jsonl", "--as-of", TODAY.isoformat()]
    runner = CliRunner()
    outputs = [
        runner.invoke(main, [*args, "--no-cache"]),
        runner.invoke(main, args),  # fills the cache
        runner.invoke(main, args),  # warm: records and verdicts from the cache
    ]
    assert (tmp_path / "cache" / DB).is_file()
    assert {r.exit_code for r in outputs} == {1}
    assert outputs[0].stdout_bytes == outputs[1].stdout_bytes == outputs[2].stdout_bytes
    assert outputs[0].stderr_bytes == outputs[1].stderr_bytes == outputs[2].stderr_bytes
    assert outputs[0].stdout_bytes.count(b"\n") == 9


plain = st.one_of(
    st.none(), st.text(), st.integers(-(2**63), 2**64 - 1), st.floats(), st.booleans()
)
problems = st.lists(
    st.builds(Problem, st.text(), st.text(), plain, st.one_of(st.none(), st.text())), max_size=5
)


@given(problems)
def test_a_verdict_comes_back_as_it_was(found: list[Problem]) -> None:
    data = cache_module.encode_verdict(found)
    assert data is not None
    back = cache_module.decode_verdict(data)
    assert back is not None
    assert [(p.message, p.path, repr(p.value), p.file) for p in back] == [
        (p.message, p.path, repr(p.value), p.file) for p in found
    ]


def test_a_value_that_would_not_come_back_as_it_was_is_not_remembered() -> None:
    assert cache_module.encode_verdict([Problem("bad", "date", dt.date(2026, 1, 1))]) is None
    assert cache_module.encode_verdict([Problem("bad", "hours", 2**64)]) is None
    assert cache_module.decode_verdict(b"\xc1") is None
    assert cache_module.decode_verdict(b"\x91\x93\xa1a\xa1b\xc0") is None  # three fields
