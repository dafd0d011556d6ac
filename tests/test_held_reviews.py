"""A held ``annual-review-N`` milestone counts for the annual-review rule (issue 10, item 8).

The baseline asks an expert practitioner for an annual review each year (choice: a held
``annual-review-N`` milestone counts as that year's review).  It did not count: ``ecf add
review`` records a milestone held (``record.milestones``), while the rule counted only evidence
of kind ``review``.  A ``count`` rule's ``held`` now names the milestones that count as one
piece each.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import attrs
import pytest
from click.testing import CliRunner

from ecf.assessors import assess, get_plugins
from ecf.cli import main
from ecf.framework import FrameworkRegistry
from ecf.records import (
    SCHEMA_VERSION,
    Enrolment,
    Evidence,
    HeldMilestone,
    PriorStage,
    Record,
)
from ecf.rules import RuleError, load_rules_data

if TYPE_CHECKING:
    from pathlib import Path

    from ecf.findings import Finding

D = dt.date
REGISTRY = FrameworkRegistry.default()
START = D(2024, 9, 2)
END = D(2027, 9, 2)  # the expert assessment, 36 months on, full time
AFTER = D(2027, 9, 3)


def expert(
    *milestones: HeldMilestone, evidence: tuple[Evidence, ...] = (), began: dt.date | None = None
) -> Record:
    return Record(
        schema_version=SCHEMA_VERSION,
        id="r1",
        name="Jo Example",
        qualified=D(2021, 7, 1),
        service="children",
        prior=(PriorStage("asye", D(2022, 8, 30)), PriorStage("ecf-2", D(2023, 8, 29))),
        began=began,
        enrolments=(Enrolment("expert", START, "baseline-2026"),),
        milestones=milestones,
        evidence=evidence,
    )


def annual(rec: Record, as_of: dt.date = AFTER) -> Finding:
    result = assess(rec, REGISTRY, as_of, plugins=get_plugins(entry_points=[]))
    (found,) = [f for f in result.findings if f.rule == "annual-reviews"]
    return found


HELD_1 = HeldMilestone("expert", "annual-review-1", D(2025, 9, 10), "rv-1")
HELD_2 = HeldMilestone("expert", "annual-review-2", D(2026, 9, 8), "rv-2")
YEAR_3 = Evidence("ev-001", "review", D(2027, 8, 20))


def test_held_annual_reviews_count_as_that_years_review() -> None:
    found = annual(expert(HELD_1, HELD_2, evidence=(YEAR_3,)))
    assert found.status == "met"
    assert found.message == (
        f"3 of 3 review records by the expert practitioner assessment (due {END}); counted as "
        "held: annual review, year 3 on 2025-09-10 and annual review, year 4 on 2026-09-08"
    )
    assert found.evidence == ("ev-001",)  # a finding cites evidence ids; the reviews in words


def test_without_them_the_rule_is_missed() -> None:
    found = annual(expert(evidence=(YEAR_3,)))
    assert found.status == "missed"
    assert found.message.startswith("1 of 3 review records by the expert practitioner assessment")


def test_a_review_recorded_both_ways_counts_once() -> None:
    # The meeting held, and its record filed as evidence of kind review on the same day.
    same_day = Evidence("ev-002", "review", HELD_1.date)
    found = annual(expert(HELD_1, evidence=(same_day, YEAR_3)))
    assert found.message.startswith("2 of 3 review records")
    assert found.status == "missed"


@pytest.mark.parametrize(
    ("held", "why"),
    [
        (attrs.evolve(HELD_1, retracted=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)), "retracted"),
        (attrs.evolve(HELD_1, stage="asye"), "another stage's"),
        (attrs.evolve(HELD_1, id="review-6m"), "not an annual review"),
        (attrs.evolve(HELD_1, date=D(2024, 9, 1)), "before the stage"),
        (attrs.evolve(HELD_1, date=D(2027, 9, 10)), "after the deadline"),
    ],
)
def test_what_does_not_count(held: HeldMilestone, why: str) -> None:
    found = annual(expert(held, HELD_2, evidence=(YEAR_3,)), as_of=D(2027, 9, 20))
    assert found.message.startswith("2 of 3 review records"), why


def test_a_review_held_after_the_as_of_date_does_not_count_yet() -> None:
    found = annual(expert(HELD_1, HELD_2), as_of=D(2026, 1, 1))
    assert found.message.startswith("1 of 3 review records")
    assert found.status == "pending"


def test_held_names_milestones_of_the_rules_stages() -> None:
    data = {
        "version": "x-1",
        "framework": "baseline-2026",
        "rules": [
            {
                "id": "reviews",
                "kind": "count",
                "stages": ["expert"],
                "evidence": ["review"],
                "held": ["annual-review-1", "annual-review-4", "end"],
                "min": 3,
            }
        ],
    }
    with pytest.raises(RuleError) as caught:
        load_rules_data(data, REGISTRY.get(), file="x.toml")
    assert caught.value.lines() == [
        "x.toml: rules[0].held[1]: rule 'reviews': unknown milestone (got 'annual-review-4')",
        "x.toml: rules[0].held[2]: rule 'reviews': unknown milestone (got 'end')",
    ]


def test_ecf_add_review_then_assess(tmp_path: Path) -> None:
    file = tmp_path / "jo.toml"
    runner = CliRunner()

    def cli(*args: object) -> str:
        result = runner.invoke(main, [str(a) for a in args])
        assert result.exit_code == 0, result.output
        return result.stdout

    cli(
        "new", file, "--id", "ph-0100", "--name", "Jo Example", "--qualified", "2020-07-01",
        "--stage", "expert", "--start", "2023-09-04", "--prior", "asye:2021-08-30",
        "--prior", "ecf-2:2022-08-29", "--began", "2023-09-04",
    )  # fmt: skip
    cli("add", "review", file, "annual-review-1", "--date", "2024-09-10")
    cli("add", "review", file, "annual-review-2", "--date", "2025-09-08")
    cli("add", "evidence", file, "--kind", "review", "--date", "2026-08-20")
    data = json.loads(cli("assess", file, "--as-of", "2026-09-05", "--json"))
    (found,) = [f for f in data["findings"] if f["rule"] == "annual-reviews"]
    assert found["status"] == "met", found["message"]
