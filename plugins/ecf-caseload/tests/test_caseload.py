"""The caseload plugin: the caseload-ramp rule kind, its rule file, and the plugin contract."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import types
from fractions import Fraction
from typing import Any

import attrs
import pytest
from ecf import hookimpl
from ecf.assessors import Assessment, Plugins, assess, get_plugins
from ecf.council import Council
from ecf.framework import FrameworkRegistry
from ecf.records import Enrolment, PatternChange, Record
from ecf.rules import BUILTIN_KINDS, Finding, RuleError, load_rules, load_rules_data
from ecf.testing import check_assessor, records
from hypothesis import strategies as st

import ecf_caseload
from ecf_caseload.ramp import CaseloadRampRule, read_caseload

REGISTRY = FrameworkRegistry.default()
FRAMEWORK = REGISTRY.get("baseline-2026")
KINDS = {**BUILTIN_KINDS, "caseload-ramp": CaseloadRampRule}
START = dt.date(2025, 9, 1)
TODAY = dt.date(2026, 11, 24)
# Due dates of a full-time ASYE from START with no pauses.
REVIEW_3M, REVIEW_6M, REVIEW_9M, FINAL = (
    dt.date(2025, 12, 1),
    dt.date(2026, 3, 1),
    dt.date(2026, 6, 1),
    dt.date(2026, 9, 1),
)
D = dt.date


def council(*, alone: bool = False, **settings: Any) -> Council:
    return Council(
        code="E09000025",
        name="test",
        plugins=("caseload",) if alone else ("baseline", "caseload"),
        plugin={"caseload": settings} if settings else {},
    )


@pytest.fixture(scope="module")
def plugins() -> Plugins:
    ep = importlib.metadata.EntryPoint(name="caseload", value="ecf_caseload", group="ecf")
    return get_plugins(entry_points=[ep])


def record(*caseload: tuple[dt.date, int], **fields: Any) -> Record:
    extra = {"caseload": [{"date": d, "cases": n} for d, n in caseload]} if caseload else {}
    return Record(
        schema_version=1,
        id="cl-0001",
        name="Test Person",
        qualified=D(2025, 6, 30),
        service="children",
        enrolments=(Enrolment("asye", START, "baseline-2026"),),
        extra=extra,
        **fields,
    )


def ramp(rec: Record, as_of: dt.date, plugins: Plugins, cfg: Council | None = None) -> Finding:
    result = assess(rec, REGISTRY, as_of, council=cfg or council(), plugins=plugins)
    return only(result)


def only(result: Assessment) -> Finding:
    mine = [f for f in result.findings if f.assessor == "caseload"]
    assert len(mine) == 1, mine
    return mine[0]


# The contract, on generated records that hold caseload recordings (and some broken ones).


@st.composite
def with_caseload(draw: st.DrawFn) -> Record:
    rec = draw(records(registry=REGISTRY, today=TODAY, max_evidence=5))
    start = rec.enrolments[0].start
    good = st.fixed_dictionaries(
        {
            "date": st.dates(start - dt.timedelta(days=30), start + dt.timedelta(days=800)),
            "cases": st.integers(0, 20),
        }
    )
    broken = st.one_of(
        st.integers(),
        st.text(max_size=5),
        st.fixed_dictionaries(
            {
                "date": st.one_of(st.text(max_size=10), st.integers(), st.datetimes()),
                "cases": st.one_of(
                    st.booleans(), st.integers(-5, -1), st.floats(allow_nan=False), st.text()
                ),
            }
        ),
    )
    entries = draw(st.lists(good, max_size=8))
    shape = draw(st.integers(0, 9))  # mostly readable recordings, sometimes broken ones
    if shape == 0:
        value: object = draw(st.one_of(st.none(), st.text(max_size=3), st.integers()))
    elif shape == 1:
        value = [*entries, draw(broken)]
    else:
        value = entries
    return attrs.evolve(rec, extra={**rec.extra, "caseload": value})


def test_the_plugin_keeps_the_contract_on_records_with_caseloads() -> None:
    check_assessor(
        ecf_caseload,
        name="caseload",
        settings={"full_caseload": 18},
        records=with_caseload(),
        today=TODAY,
        max_examples=25,
    )


def test_the_plugin_keeps_the_contract_on_any_record() -> None:
    check_assessor(ecf_caseload, name="caseload", today=TODAY, max_examples=10)


def test_the_contract_check_catches_a_kind_that_fails() -> None:
    class Raising(CaseloadRampRule):
        def evaluate(self, ctx: Any, results: Any) -> Finding:  # noqa: ARG002
            raise RuntimeError

    broken = types.SimpleNamespace(
        ecf_rule_kinds=hookimpl(lambda: {"caseload-ramp": attrs.frozen(Raising)}),
        ecf_rule_files=ecf_caseload.ecf_rule_files,
    )
    one = st.just(record((D(2025, 10, 1), 3)))  # one record: nothing to shrink, a quick failure
    with pytest.raises(AssertionError, match="broke the contract"):
        check_assessor(broken, records=one, today=TODAY, max_examples=5)


# The rule file and the hooks.


def test_its_rule_file_uses_the_new_kind_with_the_newham_ramp() -> None:
    rules = load_rules(ecf_caseload.RULES, FRAMEWORK, KINDS)
    (rule,) = rules.rules
    assert isinstance(rule, CaseloadRampRule)
    assert rule.at == ("review-3m", "review-6m", "review-9m", "end")
    assert rule.percent == (25, 50, 70, 90)
    assert rule.stages == ("asye", "ecf-1")
    assert rules.version == "caseload-2026.1"


def test_without_the_plugin_its_kind_is_unknown() -> None:
    with pytest.raises(RuleError, match="unknown kind"):
        load_rules(ecf_caseload.RULES, FRAMEWORK)


def test_the_hooks_name_the_kind_and_the_packaged_file() -> None:
    assert ecf_caseload.ecf_rule_kinds() == {"caseload-ramp": CaseloadRampRule}
    assert list(ecf_caseload.ecf_rule_files(settings={})) == [ecf_caseload.RULES]


def test_an_unknown_milestone_is_refused_when_loaded() -> None:
    data = {
        "version": "t",
        "framework": "baseline-2026",
        "rules": [{"id": "r", "kind": "caseload-ramp", "at": ["review-4m"], "percent": [25]}],
    }
    with pytest.raises(RuleError) as info:
        load_rules_data(data, FRAMEWORK, kinds=KINDS)
    assert "rules[0].at[0]: rule 'r': unknown milestone (got 'review-4m')" in str(info.value)


def test_a_wrong_field_type_is_refused_when_loaded() -> None:
    data = {
        "version": "t",
        "framework": "baseline-2026",
        "rules": [{"id": "r", "kind": "caseload-ramp", "percent": ["a lot"]}],
    }
    with pytest.raises(RuleError, match=r"rules\[0\]\.percent\[0\]"):
        load_rules_data(data, FRAMEWORK, kinds=KINDS)


# Findings on hand-built records.


def test_within_the_ramp_midway_is_pending(plugins: Plugins) -> None:
    rec = record((D(2025, 10, 1), 5), (D(2026, 1, 5), 10))
    finding = ramp(rec, D(2026, 2, 1), plugins)
    assert finding.status == "pending"
    assert finding.behind is False
    assert finding.message == (
        "caseload within the ramp so far: 2 recordings, the latest 10 cases on 2026-01-05; "
        "ramp of 25%, 50%, 70%, 90% of a full caseload of 20 to the final review "
        f"(due {FINAL})"
    )
    assert finding.deadline == FINAL
    assert finding.version == "caseload-2026.1"


def test_within_the_ramp_at_the_end_is_met(plugins: Plugins) -> None:
    rec = record(
        (D(2025, 11, 3), 5),
        (REVIEW_6M, 10),
        (D(2026, 5, 4), 14),
        (FINAL, 18),
        (D(2026, 10, 1), 20),  # after the ramp: not judged
    )
    finding = ramp(rec, D(2026, 10, 5), plugins)
    assert finding.status == "met"
    assert finding.message.startswith(
        "caseload within the ramp: 4 recordings, the latest 18 cases on 2026-09-01;"
    )


def test_above_the_first_step_is_missed_and_explained(plugins: Plugins) -> None:
    rec = record((D(2025, 10, 1), 4), (D(2025, 11, 5), 12), (D(2026, 1, 5), 9))
    finding = ramp(rec, D(2026, 2, 1), plugins)
    assert finding.status == "missed"
    assert finding.message == (
        "caseload above the ramp: 12 cases on 2025-11-05 in month 3: above 25% of a full "
        f"caseload of 20 (5 cases) allowed until the 3-month review (due {REVIEW_3M})"
    )
    assert finding.deadline == REVIEW_3M
    result = assess(rec, REGISTRY, D(2026, 2, 1), council=council(alone=True), plugins=plugins)
    assert result.recommendation == "not-met"


@pytest.mark.parametrize(
    ("day", "cases", "status"),
    [
        (REVIEW_3M, 5, "met"),  # the due day itself is still the first step
        (REVIEW_3M, 6, "missed"),
        (REVIEW_3M + dt.timedelta(days=1), 10, "met"),
        (REVIEW_6M, 11, "missed"),
        (REVIEW_9M, 14, "met"),
        (REVIEW_9M, 15, "missed"),
        (FINAL, 18, "met"),
        (FINAL, 19, "missed"),
        (START - dt.timedelta(days=1), 40, "not-applicable"),  # before the stage
    ],
)
def test_each_step_ends_on_its_milestone_due_date(
    plugins: Plugins, day: dt.date, cases: int, status: str
) -> None:
    assert ramp(record((day, cases)), D(2026, 10, 1), plugins).status == status


def test_the_council_setting_sets_the_full_caseload(plugins: Plugins) -> None:
    rec = record((D(2025, 11, 5), 5))
    assert ramp(rec, D(2026, 2, 1), plugins).status == "pending"
    finding = ramp(rec, D(2026, 2, 1), plugins, council(full_caseload=18))
    assert finding.status == "missed"
    assert "above 25% of a full caseload of 18 (4.5 cases)" in finding.message


def test_the_rule_full_caseload_wins_over_the_setting() -> None:
    rec = record((D(2025, 11, 5), 5))
    rule = CaseloadRampRule(id="r", full_caseload=40)
    finding = evaluate(rule, rec, D(2026, 2, 1), {"full_caseload": 18})
    assert finding.status == "pending"
    assert "of a full caseload of 40" in finding.message


def test_part_time_moves_the_steps_and_scales_the_caseload(plugins: Plugins) -> None:
    rec = record((D(2026, 1, 5), 4), hours=(PatternChange(START, Fraction(1, 2)),))
    finding = ramp(rec, D(2026, 2, 1), plugins)
    # At 0.5 FTE the 3-month review is due 2026-03-02, so month 5 is still the first step,
    # and 25% of half of 20 is 2.5 cases.
    assert finding.status == "missed"
    assert finding.message == (
        "caseload above the ramp: 4 cases on 2026-01-05 in month 5: above 25% of a full "
        "caseload of 20 at 0.5 FTE (2.5 cases) allowed until the 3-month review "
        "(due 2026-03-02)"
    )


def test_pro_rata_can_be_turned_off() -> None:
    rec = record((D(2026, 1, 5), 4), hours=(PatternChange(START, Fraction(1, 2)),))
    rule = CaseloadRampRule(id="r", pro_rata=False)
    assert evaluate(rule, rec, D(2026, 2, 1)).status == "pending"


def test_more_than_three_excesses_are_counted_not_listed(plugins: Plugins) -> None:
    rec = record(*[(D(2025, 9, d), 10) for d in (2, 9, 16, 23, 30)])
    finding = ramp(rec, D(2025, 10, 1), plugins)
    assert finding.status == "missed"
    assert finding.message.count("10 cases on") == 3
    assert finding.message.endswith("; and 2 more")


def test_recordings_after_the_as_of_date_do_not_count_yet(plugins: Plugins) -> None:
    rec = record((D(2025, 10, 1), 3), (D(2025, 11, 1), 15))
    assert ramp(rec, D(2025, 10, 15), plugins).status == "pending"
    assert ramp(rec, D(2025, 11, 1), plugins).status == "missed"


def test_no_recording_is_not_applicable(plugins: Plugins) -> None:
    finding = ramp(record(), D(2026, 2, 1), plugins)
    assert finding.status == "not-applicable"
    assert "no caseload recorded in asye yet" in finding.message


def test_an_unreadable_recording_puts_the_record_at_risk(plugins: Plugins) -> None:
    rec = record((D(2025, 10, 1), 3))
    entries = [*rec.extra["caseload"], {"date": "soon", "cases": 2}, {"date": D(2025, 10, 2)}]
    finding = ramp(attrs.evolve(rec, extra={"caseload": entries}), D(2026, 2, 1), plugins)
    assert finding.status == "pending"
    assert finding.behind is True
    assert finding.message == (
        "caseload cannot be judged until the record is fixed; could not read 2 recordings: "
        "extra.caseload[1].date: expected a date such as 2026-01-05; "
        "extra.caseload[2].cases: expected a whole number of 0 or more"
    )
    result = assess(
        attrs.evolve(rec, extra={"caseload": entries}),
        REGISTRY,
        D(2026, 2, 1),
        council=council(alone=True),
        plugins=plugins,
    )
    assert result.recommendation == "at-risk"


def test_read_caseload_accepts_iso_strings_and_datetimes() -> None:
    extra = {
        "caseload": [
            {"date": "2026-01-05", "cases": 2},
            {"date": dt.datetime(2025, 12, 1, 9, 30), "cases": 1},  # noqa: DTZ001
            {"date": D(2026, 1, 5), "cases": True},
            "twelve",
        ]
    }
    found, problems = read_caseload(extra)
    assert [(r.index, r.date, r.cases) for r in found] == [
        (1, D(2025, 12, 1), 1),
        (0, D(2026, 1, 5), 2),
    ]
    assert problems == (
        "extra.caseload[2].cases: expected a whole number of 0 or more",
        "extra.caseload[3]: expected a table with date and cases",
    )
    assert read_caseload({"caseload": "12"})[1] == (
        "extra.caseload: expected [[extra.caseload]] tables with date and cases",
    )
    assert read_caseload({}) == ((), ())


@pytest.mark.parametrize(
    ("rule", "settings", "message"),
    [
        (
            CaseloadRampRule(id="r", percent=(25, 50)),
            {},
            "rule 'r': percent must give one share per milestone in at (4), got 2",
        ),
        (
            CaseloadRampRule(id="r", percent=(25, 50, 70, 190)),
            {},
            "rule 'r': percent must be between 0 and 100 (got 190)",
        ),
        (
            CaseloadRampRule(id="r", percent=(50, 25, 70, 90)),
            {},
            "rule 'r': percent must not decrease from one milestone to the next",
        ),
        (
            CaseloadRampRule(id="r"),
            {"full_caseload": "twenty"},
            (
                "rule 'r': the council's setting full_caseload for this plugin must be a whole "
                "number of 1 or more (got 'twenty')"
            ),
        ),
        (
            CaseloadRampRule(id="r", full_caseload=0),
            {},
            "rule 'r': the rule's full_caseload must be a whole number of 1 or more (got 0)",
        ),
    ],
)
def test_a_bad_configuration_is_an_error_finding_that_says_why(
    rule: CaseloadRampRule, settings: dict[str, Any], message: str
) -> None:
    finding = evaluate(rule, record((D(2025, 10, 1), 3)), D(2026, 2, 1), settings)
    assert (finding.status, finding.message) == ("error", message)


def test_shares_must_grow_with_the_due_dates_whatever_the_order_written() -> None:
    rule = CaseloadRampRule(id="r", at=("review-6m", "review-3m"), percent=(25, 50))
    finding = evaluate(rule, record((D(2025, 10, 1), 3)), D(2026, 2, 1))
    assert finding.status == "error"
    assert finding.message == "rule 'r': percent must not decrease from one milestone to the next"
    rule = CaseloadRampRule(id="r", at=("review-6m", "review-3m"), percent=(50, 25))
    assert evaluate(rule, record((D(2025, 10, 1), 3)), D(2026, 2, 1)).status == "pending"


def test_a_stage_without_the_milestones_is_not_applicable() -> None:
    rule = CaseloadRampRule(id="r", at=("annual-review-1",), percent=(50,))
    finding = evaluate(rule, record((D(2025, 10, 1), 3)), D(2026, 2, 1))
    assert finding.status == "not-applicable"


def test_not_in_the_allow_list_it_never_runs(plugins: Plugins) -> None:
    rec = record((D(2025, 11, 5), 12))
    cfg = Council(code="E09000025", name="test", plugins=("baseline",))
    result = assess(rec, REGISTRY, D(2026, 2, 1), council=cfg, plugins=plugins)
    assert [f for f in result.findings if f.assessor == "caseload"] == []


def evaluate(
    rule: CaseloadRampRule,
    rec: Record,
    as_of: dt.date,
    settings: dict[str, Any] | None = None,
) -> Finding:
    from ecf.assessors import context_for  # noqa: PLC0415

    ctx = attrs.evolve(context_for(rec, REGISTRY, as_of), settings=settings or {})
    return rule.evaluate(ctx, {})
