"""Every shipped example runs: the records, the council-sized cohort in every format, the script."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner, Result

from ecf.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
COHORT = EXAMPLES / "cohort"
COUNCIL = EXAMPLES / "councils" / "baseline.toml"
SIZE = 150
AS_OF = "2026-11-24"


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "cache"))


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def every_record() -> list[Path]:
    """Every record file under examples/ (council configurations and HR mappings are not)."""
    return sorted(
        p
        for p in EXAMPLES.rglob("*.toml")
        if p.parent not in (EXAMPLES / "councils", EXAMPLES / "hr")
    )


def test_every_example_record_is_valid_and_intact() -> None:
    files = every_record()
    assert len(files) >= SIZE + 7
    run("validate", *files)
    run("verify", *files)


def test_the_cohort_in_every_format() -> None:
    table = run("cohort", COHORT, "--as-of", AS_OF, "--council", COUNCIL).output
    assert table.startswith(f"{SIZE} records as of {AS_OF}: ")
    rows = list(
        csv.DictReader(
            io.StringIO(run("cohort", COHORT, "--as-of", AS_OF, "--format", "csv").output)
        )
    )
    assert len(rows) == SIZE
    data = json.loads(run("cohort", COHORT, "--as-of", AS_OF, "--format", "json").output)
    assert data["summary"]["total"] == SIZE
    assert sum(data["summary"]["by_stage"].values()) == SIZE
    lines = run("cohort", COHORT, "--as-of", AS_OF, "--format", "jsonl").output.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [r["id"] for r in rows]
    overdue = run("cohort", COHORT, "--as-of", AS_OF, "--overdue", "--format", "jsonl").output
    assert 0 < len(overdue.splitlines()) < SIZE


def test_the_cohort_workforce_figures_and_calendar(tmp_path: Path) -> None:
    figures = json.loads(run("workforce", COHORT, "--as-of", AS_OF, "--format", "json").output)
    assert len(figures["records"]) == SIZE
    out = tmp_path / "reviews.ics"
    run("calendar", COHORT, "--as-of", AS_OF, "--days", "90", "--out", out)
    events = icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert events
    assert all(str(e["SUMMARY"]).startswith("r0") for e in events)  # ids, never names


def test_the_overview_script_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "overview.py"), "--as-of", AS_OF],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.splitlines()[0].startswith("id")
    assert len(out.splitlines()) == 1 + len(list((EXAMPLES / "records").glob("*.toml")))
