"""What ``ecf status`` says is still needed, and the command it suggests next."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs
from click.testing import CliRunner

import ecf
from ecf.assessors import assess
from ecf.cli import main
from ecf.guidance import guide, needed
from ecf.status import status

if TYPE_CHECKING:
    from pathlib import Path

REGISTRY = ecf.FrameworkRegistry.default()
START = dt.date(2026, 2, 2)


def make(tmp_path: Path) -> ecf.Record:
    path = tmp_path / "amira.toml"
    ecf.create(path, id="ph-0001", name="Amira Okafor", qualified=dt.date(2025, 7, 10),
               stage="asye", start=START, by="test")  # fmt: skip
    return ecf.read_record(path)


def test_early_on_the_evidence_is_needed_and_adding_it_is_suggested(tmp_path: Path) -> None:
    record = make(tmp_path)
    day = START + dt.timedelta(days=3)
    st = status(record, REGISTRY, day)
    assessed = assess(record, REGISTRY, day)
    advice = guide(st, assessed, "amira.toml")
    assert advice.needed
    assert all(f.status in {"pending", "missed"} for f in advice.needed)
    assert all(f.category == "practitioner" for f in advice.needed)
    deadlines = [f.deadline for f in advice.needed if f.deadline is not None]
    assert deadlines == sorted(deadlines)
    assert "0 of 3 direct observations" in " ".join(f.message for f in advice.needed)
    assert advice.command == (
        "ecf add evidence amira.toml --kind KIND --date YYYY-MM-DD --standard STANDARD"
    )


def test_without_an_assessment_the_next_milestone_is_suggested(tmp_path: Path) -> None:
    st = status(make(tmp_path), REGISTRY, START + dt.timedelta(days=3))
    advice = guide(st, None)
    assert advice.needed == ()
    assert st.next is not None
    assert advice.command == f"ecf add review FILE {st.next.id} --date YYYY-MM-DD"


def test_an_overdue_milestone_comes_first(tmp_path: Path) -> None:
    record = make(tmp_path)
    day = dt.date(2026, 12, 1)
    st = status(record, REGISTRY, day)
    advice = guide(st, assess(record, REGISTRY, day), "a.toml")
    assert advice.command == f"ecf add review a.toml {st.overdue[0].id} --date YYYY-MM-DD"
    assert "ecf agree a.toml" in advice.why


def test_a_stage_awaiting_its_decision_suggests_decide(tmp_path: Path) -> None:
    st = status(make(tmp_path), REGISTRY, START)
    waiting = attrs.evolve(st, state="awaiting-decision", milestones=())
    assert guide(waiting, None).command == (
        "ecf decide FILE --outcome OUTCOME --date YYYY-MM-DD --by NAME"
    )


def test_a_closed_stage_suggests_nothing(tmp_path: Path) -> None:
    st = status(make(tmp_path), REGISTRY, START)
    for state in ("passed", "left", "withdrawn"):
        assert guide(attrs.evolve(st, state=state), None).command is None
    assert needed(None) == ()


def test_status_prints_the_evidence_needed_and_the_next_command(tmp_path: Path) -> None:
    make(tmp_path)
    file = str(tmp_path / "amira.toml")
    result = CliRunner().invoke(main, ["status", file, "--as-of", "2026-02-05"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Evidence still needed:" in lines
    assert any(line.startswith("  - 0 of 3 direct observations") for line in lines)
    assert (
        f"Try: ecf add evidence {file} --kind KIND --date YYYY-MM-DD --standard STANDARD" in lines
    )
