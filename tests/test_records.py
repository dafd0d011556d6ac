"""Records: every valid record survives TOML and plain data unchanged; edits keep what people wrote.

Also checks the test kit itself: ``ecf.testing.records()`` draws valid records and reaches every
path through the stages.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
import tomllib
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest
import tomli
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

import ecf.testing
from ecf.framework import FrameworkRegistry
from ecf.records import Evidence, HistoryEntry, Record, record_from_dict, record_to_dict
from ecf.store import create, open_record, parse_record, read_record, render, save
from ecf.testing import records
from ecf.validation import check_record

if TYPE_CHECKING:
    from collections.abc import Callable

REGISTRY = FrameworkRegistry.default()
REGISTRY.current = "baseline-2026"
TODAY = dt.date(2026, 11, 24)
RECORDS = records(REGISTRY, TODAY)
ENTRY = HistoryEntry(dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC), "tester", "add-evidence")


def appended(record: Record) -> Record:
    """The record with one more piece of evidence, as ``ecf add-evidence`` would make it."""
    evidence = Evidence(
        id=record.next_evidence_id(),
        kind="supervision",
        date=TODAY,
        standards=("pcf:1",),
        by="A. Supervisor",
        note='said "well done"\nand more',
    )
    return record.changed(ENTRY, evidence=(*record.evidence, evidence))


def is_subsequence(lines: list[str], within: list[str]) -> bool:
    rest = iter(within)
    return all(any(line == other for other in rest) for line in lines)


# --- the test kit ---------------------------------------------------------------------------


@given(RECORDS)
def test_the_records_strategy_draws_valid_records(record: Record) -> None:
    assert check_record(record, REGISTRY, TODAY) == []


@pytest.mark.parametrize(
    ("what", "condition"),
    [
        ("adults", lambda r: r.service == "adults"),
        ("ecf-1 first", lambda r: r.enrolments[0].stage == "ecf-1"),
        (
            "legacy asye to ecf-2",
            lambda r: [e.stage for e in r.enrolments][:2] == ["asye", "ecf-2"],
        ),
        (
            "expert, failed",
            lambda r: (
                r.current.stage == "expert" and r.decisions and r.decisions[-1].outcome == "fail"
            ),
        ),
        (
            "passed, not advanced",
            lambda r: len(r.enrolments) == 1 and r.decisions and r.decisions[-1].outcome == "pass",
        ),
        ("withdrawn", lambda r: r.decisions and r.decisions[-1].outcome == "withdrawn"),
        ("extended", lambda r: r.decisions and r.decisions[-1].outcome == "extended"),
        ("deferred", lambda r: r.decisions and r.decisions[-1].outcome == "deferred"),
        ("left", lambda r: r.left is not None),
        ("a part-time fraction", lambda r: any(h.fte.denominator == 3 for h in r.hours)),
        ("a long pausing absence", lambda r: any(a.days >= 28 for a in r.absences)),
        (
            "absences back to back",
            lambda r: any(
                b.first == a.last + dt.timedelta(days=1) for a, b in pairwise(r.absences)
            ),
        ),
        ("held milestones", lambda r: len(r.milestones) >= 3),
        ("attachments", lambda r: any(e.attachment for e in r.evidence)),
        ("extra fields", lambda r: bool(r.extra)),
    ],
)
def test_the_records_strategy_reaches(what: str, condition: Callable[[Record], object]) -> None:
    found = find(
        RECORDS,
        lambda r: bool(condition(r)),
        settings=settings(
            max_examples=2000, database=None, phases=[Phase.generate], derandomize=True
        ),
    )
    assert check_record(found, REGISTRY, TODAY) == [], what


def test_the_kit_exports_a_sorted_documented_api() -> None:
    assert ecf.testing.__all__ == sorted(ecf.testing.__all__)
    for name in ecf.testing.__all__:
        doc = getattr(ecf.testing, name).__doc__
        assert doc, name
        assert "Returns:" in doc or "Raises:" in doc, name


def test_importing_ecf_does_not_import_hypothesis() -> None:
    code = (
        "import sys, ecf; ecf.Record; ecf.check_record; ecf.read_record; "
        "assert 'hypothesis' not in sys.modules, 'hypothesis imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- round trips ------------------------------------------------------------------------------


@given(RECORDS)
def test_a_record_survives_toml_unchanged(record: Record) -> None:
    text = render(record)
    assert tomllib.loads(text) == tomli.loads(text)  # any TOML reader reads the same data
    assert parse_record(text.encode("utf-8"), Path("r.toml")) == record


@given(RECORDS)
def test_a_record_survives_plain_data_unchanged(record: Record) -> None:
    data = record_to_dict(record)
    assert record_from_dict(data) == record
    assert record_to_dict(record_from_dict(data)) == data


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(RECORDS)
def test_a_record_created_on_disk_reads_back_unchanged_and_takes_an_edit(record: Record) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.toml"
        create(path, record)
        assert read_record(path) == record
        opened = open_record(path)
        assert opened.record == record
        changed = appended(record)
        save(opened, changed)
        assert read_record(path) == changed


@given(RECORDS)
def test_an_edit_keeps_hand_written_comments_whatever_the_record(record: Record) -> None:
    text = render(record).replace(
        "\nname = ", "\n# Known as Sam at work; see HR ticket 42.\nname = ", 1
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.toml"
        path.write_text(text, encoding="utf-8")
        changed = appended(record)
        save(open_record(path), changed)
        after = path.read_text(encoding="utf-8")
        assert "# Known as Sam at work; see HR ticket 42.\nname = " in after
        assert is_subsequence(text.splitlines(), after.splitlines())  # nothing lost or moved
        assert read_record(path) == changed


HAND = """\
# Hand-written by the ASYE coordinator.
schema_version = 1
id = "sam-01"
name = "Sam Patel"  # preferred name
qualified = 2025-06-30
service = "children"

[[enrolments]]
stage = "asye"
start = 2025-09-01
framework = "baseline-2026"

# Three days a week from the start, agreed with HR.
[[hours]]
from = 2025-09-01
fte = "3/5"

[[evidence]]
id = "ev-001"
kind = "direct-observation"
date = 2025-10-02
standards = ["kss-cf:1"]

[[history]]
at = 2025-09-01T09:00:00Z
by = "coordinator"
action = "new"
"""


def test_save_with_appended_evidence_keeps_comments_and_fte_as_written(tmp_path: Path) -> None:
    path = tmp_path / "sam.toml"
    path.write_text(HAND, encoding="utf-8")
    opened = open_record(path)
    assert opened.record.hours[0].fte == Fraction(3, 5)
    assert check_record(opened.record, REGISTRY, TODAY) == []
    changed = appended(opened.record)
    save(opened, changed)
    after = path.read_text(encoding="utf-8")
    for line in (
        "# Hand-written by the ASYE coordinator.",
        'name = "Sam Patel"  # preferred name',
        "# Three days a week from the start, agreed with HR.",
        'fte = "3/5"',
    ):
        assert line in after, line
    assert after.count("[[evidence]]") == 2
    assert 'id = "ev-002"' in after
    assert read_record(path) == changed
    assert changed.evidence[-1].id == "ev-002"


def test_a_fraction_without_a_short_decimal_is_written_as_a_fraction() -> None:
    record = record_from_dict(tomli.loads(HAND))
    third = attrs.evolve(record, hours=(attrs.evolve(record.hours[0], fte=Fraction(1, 3)),))
    text = render(third)
    assert 'fte = "1/3"' in text
    assert parse_record(text.encode(), Path("r.toml")) == third


@given(st.sampled_from(ecf.testing.strategies.COMMON_FTES) | ecf.testing.ftes())
def test_every_fte_survives_a_record_file(fte: Fraction) -> None:
    record = record_from_dict(tomli.loads(HAND))
    changed = attrs.evolve(record, hours=(attrs.evolve(record.hours[0], fte=fte),))
    assert 0 < fte <= 1
    assert parse_record(render(changed).encode(), Path("r.toml")).hours[0].fte == fte
