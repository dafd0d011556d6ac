"""The stricter council plugin: its rule file, the plugin contract, and what it finds."""

from __future__ import annotations

import datetime as dt
import importlib.metadata

import pytest
from ecf.assessors import Assessment, Plugins, assess, get_plugins
from ecf.council import Council
from ecf.framework import FrameworkRegistry
from ecf.records import Enrolment, Evidence, Record
from ecf.rules import Finding, load_rules
from ecf.testing import check_assessor

import ecf_council_stricter

REGISTRY = FrameworkRegistry.default()
START = dt.date(2025, 9, 1)
FINAL = dt.date(2026, 9, 1)  # the ASYE's final review, full time, no pauses
AFTER = dt.date(2026, 9, 10)
ALLOWED = Council(code="E06000059", name="test", plugins=("baseline", "stricter"))
BASELINE_ONLY = Council(code="E06000059", name="test", plugins=("baseline",))


@pytest.fixture(scope="module")
def plugins() -> Plugins:
    ep = importlib.metadata.EntryPoint(name="stricter", value="ecf_council_stricter", group="ecf")
    return get_plugins(entry_points=[ep])


def record(*items: tuple[str, dt.date, str | None]) -> Record:
    evidence = tuple(
        Evidence(f"ev-{n:03d}", kind, day, (), by) for n, (kind, day, by) in enumerate(items, 1)
    )
    return Record(
        schema_version=1,
        id="st-0001",
        name="Test Person",
        qualified=dt.date(2025, 6, 30),
        service="children",
        enrolments=(Enrolment("asye", START, "baseline-2026"),),
        evidence=evidence,
    )


def found(result: Assessment, assessor: str = "stricter") -> dict[str, Finding]:
    return {f.rule: f for f in result.findings if f.assessor == assessor}


def day(month: int, d: int = 10) -> dt.date:
    return dt.date(2025 + (8 + month) // 12, (8 + month) % 12 + 1, d)


THREE_BY_ONE = [("direct-observation", day(m), "R. Begum") for m in (2, 5, 8)]
FEEDBACK = [("feedback-person", day(m), None) for m in (1, 3, 6, 9)] + [
    ("feedback-professional", day(m, 12), None) for m in (2, 4, 7, 10)
]


def test_the_plugin_keeps_the_contract() -> None:
    check_assessor(ecf_council_stricter, name="stricter", max_examples=20)


def test_its_rule_file_is_valid_and_applies_to_the_first_year() -> None:
    rules = load_rules(ecf_council_stricter.RULES, REGISTRY.get("baseline-2026"))
    assert rules.version == "stricter-2026.1"
    by_id = {r.id: r for r in rules.rules}
    assert by_id["stricter-direct-observations"].min == 4
    assert by_id["stricter-feedback-people"].min == 4
    assert by_id["stricter-feedback-professionals"].min == 4
    assert by_id["stricter-observers"].kind == "distinct-authors"
    assert by_id["stricter-observers"].min == 2
    assert all(r.stages == ("asye", "ecf-1") for r in rules.rules)
    assert rules.rules[-1].id == "stricter-evidence"  # the group runs after its members


def test_rule_files_hook_returns_the_packaged_file() -> None:
    files = list(ecf_council_stricter.ecf_rule_files(settings={}))
    assert files == [ecf_council_stricter.RULES]
    assert files[0].is_file()


def test_three_observations_by_one_person_meet_the_baseline_not_the_council(
    plugins: Plugins,
) -> None:
    result = assess(
        record(*THREE_BY_ONE, *FEEDBACK), REGISTRY, AFTER, council=ALLOWED, plugins=plugins
    )
    mine = found(result)
    assert mine["stricter-direct-observations"].status == "missed"
    assert mine["stricter-direct-observations"].message == (
        f"3 of 4 direct observations by the final review (due {FINAL}); missing 1"
    )
    assert mine["stricter-direct-observations"].evidence == ("ev-001", "ev-002", "ev-003")
    assert mine["stricter-observers"].status == "missed"
    assert "by 1 of 2 different people" in mine["stricter-observers"].message
    assert mine["stricter-observations-by-6m"].status == "met"
    assert mine["stricter-feedback-people"].status == "met"
    assert mine["stricter-feedback-professionals"].status == "met"
    assert mine["stricter-evidence"].status == "missed"
    assert {f.version for f in mine.values()} == {"stricter-2026.1"}
    assert found(result, "baseline")["direct-observations"].status == "met"
    assert result.recommendation == "not-met"


def test_four_observations_by_two_people_meet_every_stricter_rule(plugins: Plugins) -> None:
    fourth = ("direct-observation", day(10), "T. Lewis")
    result = assess(
        record(*THREE_BY_ONE, fourth, *FEEDBACK), REGISTRY, AFTER, council=ALLOWED, plugins=plugins
    )
    mine = found(result)
    assert {rule: f.status for rule, f in mine.items()} == dict.fromkeys(mine, "met")
    assert len(mine) == 6


def test_observations_late_in_the_year_miss_the_6_month_count(plugins: Plugins) -> None:
    late = [
        ("direct-observation", day(m), by) for m, by in ((7, "A"), (8, "B"), (9, "A"), (10, "B"))
    ]
    result = assess(record(*late, *FEEDBACK), REGISTRY, AFTER, council=ALLOWED, plugins=plugins)
    mine = found(result)
    assert mine["stricter-direct-observations"].status == "met"
    assert mine["stricter-observations-by-6m"].status == "missed"
    assert mine["stricter-observations-by-6m"].message.startswith("0 of 2 direct observations")


def test_midway_the_counts_are_pending(plugins: Plugins) -> None:
    result = assess(record(*THREE_BY_ONE[:1]), REGISTRY, day(4), council=ALLOWED, plugins=plugins)
    mine = found(result)
    assert mine["stricter-direct-observations"].status == "pending"
    assert mine["stricter-evidence"].status == "pending"


def test_not_in_the_allow_list_it_never_runs(plugins: Plugins) -> None:
    result = assess(record(*THREE_BY_ONE), REGISTRY, AFTER, council=BASELINE_ONLY, plugins=plugins)
    assert found(result) == {}
    assert found(result, "baseline")
