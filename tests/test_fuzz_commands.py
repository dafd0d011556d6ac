"""Fuzzing the commands over records and folders: ``assess``, ``cohort``, ``import``, ``migrate``.

The same promises as ``tests/test_fuzz.py`` (whose hostile values and helpers this file uses):
a command exits 0 or 2 (1 for a command over many files), never with a traceback or an internal
error, and never hangs (a watchdog stops a command after 30 s); besides:

* ``assess`` with hostile options never changes the record;
* ``cohort`` over a folder of valid, mutated and random files reports the same with and without
  its cache, and the same on a second run (from the cache);
* ``import`` of a hostile CSV leaves every file in the folder a record that reads back, and
  writes nothing on a dry run;
* ``migrate`` of a mutated older record either upgrades it (the backup holds the bytes as they
  were, and the record reads back) or changes nothing and leaves no backup.

``ECF_FUZZ=long`` runs :data:`LONG_EXAMPLES` per target; FUZZING.md has the last run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ecf.records import SCHEMA_VERSION
from ecf.store import read_record, render
from test_fuzz import (
    DATE_TEXT,
    HOSTILE,
    HOSTILE_TEXT,
    PATH_TEXT,
    RECORDS,
    assert_handled,
    encode,
    fresh_folder,
    invoke,
    mostly,
    mutated_lines,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from hypothesis.strategies import DrawFn

    from ecf.records import Record

FUZZ = os.environ.get("ECF_FUZZ", "")
LONG = FUZZ == "long"
#: Examples per target in the long run.
LONG_EXAMPLES: dict[str, int] = {
    "cli-assess": 2_000,
    "cli-cohort": 1_000,
    "cli-import": 2_000,
    "cli-migrate": 2_000,
}
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
FIXTURES = Path(__file__).parent / "fixtures"


def fuzz(target: str) -> Callable[[Any], Any]:
    """The settings of one target: the profile's examples (at most 50), or the long run's."""
    if LONG or FUZZ.isdigit():
        count = LONG_EXAMPLES[target] if LONG else int(FUZZ)
        return settings(max_examples=count, deadline=None, suppress_health_check=_QUIET)
    return settings(max_examples=25, deadline=None, suppress_health_check=_QUIET)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-commands")


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, workdir: Path) -> None:
    monkeypatch.setenv("ECF_USER", "fuzzer")
    monkeypatch.setenv("ECF_CACHE_DIR", str(workdir / "cache"))
    monkeypatch.setenv("ECF_LOCK_TIMEOUT", "5")
    monkeypatch.delenv("ECF_SIGNING_KEY", raising=False)


# --- assess ------------------------------------------------------------------------------------


@st.composite
def assess_commands(draw: DrawFn, file: Path) -> list[str]:
    args = ["assess", str(file)]
    if draw(st.booleans()):
        args += ["--as-of", draw(DATE_TEXT)]
    if draw(st.booleans()):
        args.append("--json")
    if draw(st.booleans()):
        rules = file.parent / "rules.toml"
        rules.write_bytes(encode(draw(st.sampled_from(HOSTILE) | st.text(max_size=200))))
        args += ["--rules", draw(st.sampled_from([str(rules), str(file)]) | PATH_TEXT)]
        if draw(st.booleans()):
            args.append("--diff")
    if draw(st.booleans()):
        council = file.parent / "council.toml"
        text = draw(
            st.sampled_from(
                [
                    'code = "E09000030"\n',
                    'code = "E09000030"\nplugins = ["baseline"]\n',
                    "pause_threshold_days = -1\n",
                    'code = "\\u001b[2J"\n',
                ]
            )
            | HOSTILE_TEXT
        )
        council.write_bytes(encode(text))
        args += ["--council", str(council)]
    return args


@fuzz("cli-assess")
@given(data=st.data(), record=RECORDS)
def test_cli_assess_with_hostile_options(
    data: st.DataObject, record: Record, workdir: Path
) -> None:
    folder = fresh_folder(workdir)
    try:
        file = folder / "r.toml"
        file.write_text(render(record), encoding="utf-8")
        before = file.read_bytes()
        args = data.draw(assess_commands(file))
        result = invoke(args)
        event(f"assess: exit {result.exit_code}")
        assert_handled(result)
        assert file.read_bytes() == before
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- cohort (and its cache) ----------------------------------------------------------------------


@st.composite
def cohort_folder(draw: DrawFn, folder: Path) -> int:
    """Fill ``folder`` with valid, mutated and random record files; how many there are."""
    count = draw(st.integers(1, 5))
    for i in range(count):
        how = draw(st.sampled_from(["valid", "valid", "mutated", "bytes", "duplicate"]))
        file = folder / f"r{i}.toml"
        if how == "valid":
            file.write_text(render(draw(RECORDS)), encoding="utf-8")
        elif how == "mutated":
            file.write_bytes(encode(draw(mutated_lines())))
        elif how == "bytes":
            file.write_bytes(draw(st.binary(max_size=500)))
        else:  # the same record twice: one error naming both
            text = render(draw(RECORDS))
            file.write_text(text, encoding="utf-8")
            (folder / f"r{i}-copy.toml").write_text(text, encoding="utf-8")
    return count


@st.composite
def cohort_options(draw: DrawFn) -> list[str]:
    args: list[str] = []
    if draw(st.booleans()):
        args += ["--format", draw(st.sampled_from(["table", "csv", "json", "jsonl"]))]
    if draw(st.booleans()):
        args += ["--as-of", draw(DATE_TEXT)]
    if draw(st.booleans()):
        args += ["--due-within", draw(mostly(st.sampled_from(["0", "30", "365"])))]
    if draw(st.booleans()):
        args.append("--overdue")
    for option in ("--stage", "--state", "--council-code", "--team", "--assessor"):
        if draw(st.integers(0, 4)) == 0:
            args += [option, draw(mostly(st.sampled_from(["asye", "ecf-2", "E09000030"])))]
    return args


@fuzz("cli-cohort")
@given(data=st.data())
def test_cli_cohort_over_hostile_folders_and_its_cache(data: st.DataObject, workdir: Path) -> None:
    folder = fresh_folder(workdir)
    try:
        records = folder / "records"
        records.mkdir()
        data.draw(cohort_folder(records))
        options = data.draw(cohort_options())
        base = ["cohort", str(records), "--workers", "1", *options]
        uncached = invoke([*base, "--no-cache"])
        assert_handled(uncached, many=True)
        first = invoke(base)
        second = invoke(base)  # from the cache
        event(f"cohort: exit {uncached.exit_code}")
        for result in (first, second):
            assert_handled(result, many=True)
            assert (result.exit_code, result.output) == (uncached.exit_code, uncached.output)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- import --------------------------------------------------------------------------------------

COLUMNS = ("id", "name", "qualified", "stage", "start", "service", "council", "swe", "fte", "prior")
VALID_CELLS: dict[str, st.SearchStrategy[str]] = {
    "id": st.sampled_from(["ph-1", "ph-2", "ph-3"]),
    "name": st.sampled_from(["A Person", "B Person"]),
    "qualified": st.just("2024-07-01"),
    "stage": st.sampled_from(["asye", "ecf-1", "expert"]),
    "start": st.sampled_from(["2024-09-02", "2025-09-01"]),
    "service": st.sampled_from(["children", "adults"]),
    "council": st.just("E09000030"),
    "swe": st.sampled_from(["SW1", ""]),
    "fte": st.sampled_from(["0.6", "1", ""]),
    "prior": st.sampled_from(["", "asye:2024-08-30"]),
}


def csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text


@st.composite
def hr_csv(draw: DrawFn) -> str:
    columns = list(COLUMNS)
    if draw(st.integers(0, 5)) == 0:
        columns = draw(st.lists(st.sampled_from([*COLUMNS, "extra", ""]), max_size=12))
    lines = [",".join(columns)]
    for _ in range(draw(st.integers(0, 4))):
        cells = [draw(mostly(VALID_CELLS.get(c, st.just("x")))) for c in columns]
        if draw(st.integers(0, 5)) == 0:
            cells = cells[: draw(st.integers(0, len(cells)))]
        lines.append(",".join(csv_cell(c) for c in cells))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))


@fuzz("cli-import")
@given(data=st.data(), text=hr_csv())
def test_cli_import_of_hostile_csv(data: st.DataObject, text: str, workdir: Path) -> None:
    folder = fresh_folder(workdir)
    try:
        records = folder / "records"
        records.mkdir()
        if data.draw(st.booleans()):
            (records / "ph-1.toml").write_text(render(data.draw(RECORDS)), encoding="utf-8")
        before = {p.name: p.read_bytes() for p in records.iterdir()}
        rows = folder / "hr.csv"
        rows.write_bytes(encode(text))
        args = ["import", str(rows), "--into", str(records)]
        apply = data.draw(st.booleans())
        if apply:
            args.append("--apply")
            if data.draw(st.booleans()):
                args.append("--skip-bad")
        if data.draw(st.booleans()):
            args += ["--as-of", data.draw(DATE_TEXT)]
        result = invoke(args)
        event(f"import{' --apply' if apply else ''}: exit {result.exit_code}")
        assert_handled(result, many=True)
        after = {p.name: p.read_bytes() for p in records.iterdir() if p.name.endswith(".toml")}
        if not apply or result.exit_code == 2:
            assert after == before
        for name in after:
            read_record(records / name)  # every file written reads back
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- migrate -------------------------------------------------------------------------------------


#: Values a mutated line gets, of every TOML type a record holds.
VALUES = ["1", "true", "2026-01-01", '"x"', "[]", "{}"]


@st.composite
def older_records(draw: DrawFn) -> str:
    """A record of schema 1 or 2 with up to three lines changed, removed or doubled."""
    name = draw(st.sampled_from(["schema-1.toml", "schema-2.toml"]))
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["delete", "double", "value", "schema"]))
        if how == "delete":
            del lines[i]
        elif how == "double":
            lines.insert(i, lines[i])
        elif how == "value":
            if "=" in lines[i]:
                key = lines[i].split("=", 1)[0]
                lines[i] = f"{key}= {draw(st.sampled_from(VALUES))}"
        else:
            lines.insert(1, f"schema_version = {draw(st.sampled_from(['0', '1', '2', '3', '99']))}")
    return "\n".join(lines) + "\n"


@fuzz("cli-migrate")
@given(data=st.data(), text=older_records())
def test_cli_migrate_of_mutated_older_records(
    data: st.DataObject, text: str, workdir: Path
) -> None:
    folder = fresh_folder(workdir)
    try:
        file = folder / "r.toml"
        file.write_bytes(encode(text))
        before = file.read_bytes()
        dry = data.draw(st.booleans())
        result = invoke(["migrate", str(file), *(["--dry-run"] if dry else [])])
        event(f"migrate{' --dry-run' if dry else ''}: exit {result.exit_code}")
        assert_handled(result)
        backups = list(folder.glob("*.bak"))
        if result.exit_code or dry or "already" in result.output:
            assert file.read_bytes() == before
            assert backups == []
        else:
            assert [b.read_bytes() for b in backups] == [before]
            assert read_record(file).schema_version == SCHEMA_VERSION
    finally:
        shutil.rmtree(folder, ignore_errors=True)
