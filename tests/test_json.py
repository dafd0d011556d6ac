"""The one JSON converter (``ecf._convert.to_json``) every ``--json`` output and export uses."""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction

import attrs
import pytest

from ecf._convert import register_json, to_json
from ecf.status import MilestoneStatus, Status
from ecf.workforce import AgencyEligibility


@attrs.frozen
class _Plain:
    day: dt.date
    at: dt.datetime
    fte: Fraction
    items: tuple[str, ...]
    tags: frozenset[str]
    table: dict[str, dt.date]
    nothing: None = None


def test_values_become_plain_json() -> None:
    value = _Plain(
        dt.date(2026, 1, 5),
        dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC),
        Fraction(3, 5),
        ("a", "b"),
        frozenset({"x"}),
        {"k": dt.date(2026, 2, 1)},
    )
    assert to_json(value) == {
        "day": "2026-01-05",
        "at": "2026-01-05T10:00:00+00:00",
        "fte": 0.6,
        "items": ["a", "b"],
        "tags": ["x"],
        "table": {"k": "2026-02-01"},
        "nothing": None,
    }
    assert to_json(Fraction(1, 3)) == "1/3"  # as a record file writes an FTE
    json.dumps(to_json(value))  # nothing JSON cannot hold


def test_a_class_declares_renamed_and_computed_keys_once() -> None:
    agency = AgencyEligibility(
        "r1",
        "statutory-2024",
        eligible=True,
        from_date=dt.date(2026, 3, 1),
        experience_days=730,
        reason="ok",
    )
    assert to_json(agency)["from"] == "2026-03-01"
    assert "from_date" not in to_json(agency)
    due = MilestoneStatus(
        "review-3m", "3-month review", dt.date(2026, 5, 1), None, overdue=True, optional=False
    )
    st = Status(
        "r1", "asye", "ASYE", dt.date(2026, 2, 2), "baseline-2026", dt.date(2027, 2, 1),
        "in-progress", dt.date(2026, 6, 1), (due,),
    )  # fmt: skip
    data = to_json(st)
    assert data["overdue"] == ["review-3m"]
    assert data["milestones"][0]["due"] == "2026-05-01"


def test_register_json_omits_fields() -> None:
    @attrs.frozen
    class Secretive:
        shown: int
        hidden: str

    register_json(Secretive, omit=("hidden",), computed=lambda s: {"double": s.shown * 2})
    assert to_json(Secretive(2, "x")) == {"shown": 2, "double": 4}


def test_a_value_json_cannot_hold_is_a_bug_said_plainly() -> None:
    with pytest.raises(TypeError, match="no JSON form for object"):
        to_json(object())
