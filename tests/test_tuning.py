"""Councils tune single rules (issue 10, item 7): ``[rules.ID]`` in ``council.toml``.

A council switches one rule off, with a reason each assessment shows, or changes its
parameters, without copying the baseline; the override is checked like a rule file (exit 2
naming the file, the entry and the field), shown with every finding it changed, and applied
alike by ``ecf assess``, ``ecf status``, cohort rows and exports.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner

from ecf import cohort
from ecf.assessors import assess, get_plugins
from ecf.cli import main
from ecf.council import CouncilError, RuleOverride, load_council
from ecf.findings import Override, recommend
from ecf.framework import FrameworkRegistry
from ecf.records import SCHEMA_VERSION, Enrolment, Evidence, Record
from ecf.rules import RuleError, load_rules, tune
from ecf.store import create
from ecf.subject_access import subject_access
from ecf.tuning import check_council
from test_rules import BASELINE_FILE, complete

D = dt.date
START = D(2025, 9, 1)
AFTER = D(2026, 9, 2)
REGISTRY = FrameworkRegistry.default()
PLUGINS = get_plugins(entry_points=[])

TUNED = """\
code = "E09000099"
name = "Example council: tuned"
framework = "baseline-2026"
plugins = ["baseline"]

[rules.supervision]
enabled = false
reason = "supervision is recorded in the HR system"

[rules.direct-observations]
min = 2
"""


def record(*, drop: tuple[str, ...] = ()) -> Record:
    """A children's ASYE meeting every baseline rule by 2026-09-01, less the last of ``drop``.

    The piece dropped becomes a training record citing the same standards, so that only the
    rule counting its kind changes.
    """
    items = list(complete())
    for kind in drop:
        last = next(e for e in reversed(items) if e.kind == kind)
        items[items.index(last)] = attrs.evolve(last, kind="training")
    return Record(
        schema_version=SCHEMA_VERSION,
        id="r1",
        name="Alex Example",
        qualified=D(2025, 6, 1),
        service="children",
        council="E09000099",
        enrolments=(Enrolment("asye", START, "baseline-2026"),),
        evidence=tuple(items),
    )


def without_supervision(rec: Record) -> Record:
    return attrs.evolve(rec, evidence=tuple(e for e in rec.evidence if e.kind != "supervision"))


def write(folder: Path, text: str = TUNED) -> Path:
    path = folder / "council.toml"
    path.write_text(text, encoding="utf-8")
    return path


def by_rule(rec: Record, council_file: Path | None, as_of: dt.date = AFTER) -> dict[str, Any]:
    council = load_council(council_file) if council_file else None
    result = assess(rec, REGISTRY, as_of, council=council, plugins=PLUGINS)
    return {f.rule: f for f in result.findings} | {
        "recommendation": result.recommendation,
        "gaps": result.support_gaps,
    }


# --- what an override does ------------------------------------------------------------------


def test_a_rule_switched_off_is_not_applicable_and_says_why(tmp_path: Path) -> None:
    rec = without_supervision(record())
    before = by_rule(rec, None)
    assert before["supervision"].status == "missed"
    assert before["gaps"] == 1
    after = by_rule(rec, write(tmp_path))
    off = after["supervision"]
    assert off.status == "not-applicable"
    assert off.message == (
        "switched off by council E09000099: supervision is recorded in the HR system"
    )
    assert off.override == Override("E09000099", enabled=False, reason=off.override.reason)
    assert off.category == "support"  # still the employer's rule, only not judged
    assert after["gaps"] == 0
    assert after["recommendation"] == "ready"


def test_a_parameter_override_changes_the_finding_and_says_how(tmp_path: Path) -> None:
    rec = record(drop=("direct-observation",))  # 2 of 3
    before = by_rule(rec, None)
    assert before["direct-observations"].status == "missed"
    assert before["recommendation"] == "not-met"
    after = by_rule(rec, write(tmp_path))
    tuned = after["direct-observations"]
    assert tuned.status == "met"
    assert tuned.message.startswith("2 of 2 direct observations by the final review")
    assert tuned.override == Override("E09000099", params={"min": 2}, was={"min": 3})
    assert tuned.override.describe() == "council E09000099 set min 3 -> 2"
    assert after["recommendation"] == "ready"
    # The rules the council did not name are judged as shipped, with no override.
    assert after["feedback-people"].override is None
    assert after["feedback-people"].message == before["feedback-people"].message


def test_periods_and_by_are_parameters_too(tmp_path: Path) -> None:
    text = """\
code = "X"
name = "X"

[rules.supervision]
periods = [{ every_months = 1 }]
reason = "monthly supervision from the start, by local agreement"

[rules.written-reports]
by = "review-6m"
"""
    found = by_rule(record(), write(tmp_path, text), D(2026, 3, 2))
    assert found["supervision"].override.params == {"periods": [{"every_months": 1}]}
    assert found["supervision"].override.was["periods"][0] == {"every": 7, "until": 42}
    assert "(monthly supervision" in found["supervision"].override.describe()
    assert found["written-reports"].deadline == D(2026, 3, 1)
    assert "by the 6-month review (due 2026-03-01)" in found["written-reports"].message


def test_a_group_ignores_a_member_switched_off() -> None:
    fw = REGISTRY.get()
    data = {
        "version": "g-1",
        "framework": "baseline-2026",
        "rules": [
            {"id": "a", "kind": "count", "evidence": ["direct-observation"], "min": 1},
            {"id": "b", "kind": "count", "evidence": ["written-report"], "min": 99},
            {"id": "both", "kind": "all-of", "rules": ["a", "b"]},
        ],
    }
    from ecf.rules import evaluate, load_rules_data  # noqa: PLC0415 - this test only

    rs = load_rules_data(data, fw)
    off = tune(rs, [RuleOverride("b", enabled=False, reason="not here")], "X", fw)
    from ecf.assessors import context_for  # noqa: PLC0415

    ctx = context_for(record(), REGISTRY, AFTER)
    before = {f.rule: f.status for f in evaluate(rs, ctx)}
    after = {f.rule: f.status for f in evaluate(off, ctx)}
    assert before == {"a": "met", "b": "missed", "both": "missed"}
    assert after == {"a": "met", "b": "not-applicable", "both": "met"}


def test_an_override_of_a_rule_not_for_this_stage_shows_nothing(tmp_path: Path) -> None:
    text = 'code = "X"\nname = "X"\n\n[rules.annual-reviews]\nmin = 2\n'
    found = by_rule(record(), write(tmp_path, text))
    assert found["annual-reviews"].status == "not-applicable"
    assert found["annual-reviews"].override is None  # an asye record: the rule is not its own


def test_proposed_rules_are_judged_as_written(tmp_path: Path) -> None:
    council = load_council(write(tmp_path))
    rec = record(drop=("direct-observation",))
    proposed = load_rules(BASELINE_FILE, REGISTRY.get())
    result = assess(rec, REGISTRY, AFTER, council=council, plugins=PLUGINS, rules=[proposed])
    found = {f.rule: f for f in result.findings}
    assert found["direct-observations"].status == "missed"
    assert found["direct-observations"].override is None


def test_support_findings_never_count_whatever_the_council_tunes(tmp_path: Path) -> None:
    # The one guarantee a council cannot tune away: category is fixed.
    text = 'code = "X"\nname = "X"\n\n[rules.supervision]\ncategory = "practitioner"\n'
    council = load_council(write(tmp_path, text))
    with pytest.raises(RuleError) as caught:
        check_council(council, REGISTRY, PLUGINS)
    assert caught.value.lines() == [
        (
            f"{tmp_path / 'council.toml'}: rules.supervision.category: rule 'supervision': "
            "category may not be overridden (got 'practitioner')"
        )
    ]
    findings = assess(without_supervision(record()), REGISTRY, AFTER, plugins=PLUGINS).findings
    assert recommend(findings) == "ready"


# --- the same overrides wherever a record is assessed ---------------------------------------


def test_cohort_rows_exports_and_status_use_the_same_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ECF_FRAMEWORK_PATH", raising=False)
    rec = without_supervision(record(drop=("direct-observation",)))
    folder = tmp_path / "records"
    folder.mkdir()
    file = folder / "r1.toml"
    create(file, rec)
    path = write(tmp_path)
    council = load_council(path)
    # The national rules: not met, one support gap; the council's: ready, none.
    assert by_rule(rec, None)["recommendation"] == "not-met"
    row = cohort.row_for(rec, REGISTRY, AFTER, council=council, plugins=PLUGINS)
    assert (row.recommendation, row.support_gaps) == ("ready", 0)
    options = cohort.ScanOptions(as_of=AFTER, today=AFTER, council_file=str(path))
    rows, failures = cohort.scan([folder], options, workers=1)
    assert failures == []
    assert [(r.recommendation, r.support_gaps) for r in rows] == [("ready", 0)]
    exported = subject_access(rec, REGISTRY, AFTER, council=council)
    assert json.dumps(exported).count("switched off by council E09000099") == 1

    def cli(*args: object) -> str:
        result = CliRunner().invoke(main, [str(a) for a in args])
        assert result.exit_code == 0, result.output
        return result.stdout

    shown = json.loads(cli("status", file, "--council", path, "--as-of", AFTER, "--json"))
    assert (shown["recommendation"], shown["support_gaps"]) == ("ready", 0)
    table = json.loads(
        cli("cohort", folder, "--council", path, "--as-of", AFTER, "--format", "json")
    )
    assert [(r["recommendation"], r["support_gaps"]) for r in table["records"]] == [("ready", 0)]


# --- ecf assess shows the overrides -------------------------------------------------------------


def test_ecf_assess_shows_each_override(tmp_path: Path) -> None:
    file = tmp_path / "r1.toml"
    create(file, without_supervision(record(drop=("direct-observation",))))
    path = write(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        main, ["assess", str(file), "--council", str(path), "--as-of", "2026-09-02"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "r1: asye as of 2026-09-02: recommendation ready"
    assert (
        "  ok  direct-observations [baseline baseline-2026.2]: 2 of 2 direct observations by the "
        "final review (due 2026-09-01) (council override)"
    ) in lines
    at = lines.index("Council overrides (rules not applied as shipped):")
    assert lines[at + 1 :] == [
        "  direct-observations [baseline baseline-2026.2]: council E09000099 set min 3 -> 2",
        (
            "  supervision [baseline baseline-2026.2]: switched off by council E09000099: "
            "supervision is recorded in the HR system"
        ),
    ]
    result = runner.invoke(
        main, ["assess", str(file), "--council", str(path), "--as-of", "2026-09-02", "--json"]
    )
    data = json.loads(result.stdout)
    tuned = {f["rule"]: f["override"] for f in data["findings"] if f["override"]}
    assert tuned == {
        "direct-observations": {
            "council": "E09000099",
            "enabled": True,
            "reason": None,
            "params": {"min": 2},
            "was": {"min": 3},
        },
        "supervision": {
            "council": "E09000099",
            "enabled": False,
            "reason": "supervision is recorded in the HR system",
            "params": {},
            "was": {},
        },
    }
    assert all(f["override"] is None for f in data["findings"] if f["rule"] not in tuned)


# --- bad overrides: exit 2 naming the file, the entry and the field -------------------------------


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            "[rules.supervision]\nenabled = false\n",
            (
                "rules.supervision.reason: a rule switched off needs a reason (each assessment "
                "shows it)"
            ),
        ),
        (
            '[rules.supervision]\nenabled = false\nreason = "  "\n',
            "rules.supervision.reason: expected a sentence (got '  ')",
        ),
        (
            '[rules.supervision]\nenabled = false\nreason = "x"\nby = "end"\n',
            "rules.supervision.by: a rule switched off takes no parameters (got 'end')",
        ),
        (
            '[rules.supervision]\nenabled = "no"\n',
            "rules.supervision.enabled: expected true or false (got 'no')",
        ),
        (
            "[rules.supervision]\n",
            (
                "rules.supervision: changes nothing: give a parameter, or "
                "enabled = false with a reason"
            ),
        ),
        (
            "[rules]\nsupervision = 3\n",
            "rules.supervision: expected a table ([rules.ID]) (got 'int')",
        ),
    ],
)
def test_an_override_the_council_file_alone_refuses(
    tmp_path: Path, entry: str, expected: str
) -> None:
    path = write(tmp_path, f'code = "X"\nname = "X"\n\n{entry}')
    with pytest.raises(CouncilError) as caught:
        load_council(path)
    assert caught.value.lines() == [f"{path}: {expected}"]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            '[rules.supervison]\nenabled = false\nreason = "typo"\n',
            (
                "rules.supervison: unknown rule (the rules council X runs: annual-reviews, "
                "cpd-records, critical-reflections, direct-observations, feedback-people, "
                "feedback-professionals, pqs-coverage, self-assessments, supervision, "
                "written-reports) (got 'supervison')"
            ),
        ),
        (
            "[rules.direct-observations]\nmins = 2\n",
            (
                "rules.direct-observations.mins: rule 'direct-observations': unknown parameter "
                "of a count rule (known: after, author, by, evidence, held, min, services, stages, "
                "standard, standards, title) (got 2)"
            ),
        ),
        (
            '[rules.direct-observations]\nmin = "two"\n',
            (
                "rules.direct-observations.min: rule 'direct-observations': expected a whole "
                "number (got 'two')"
            ),
        ),
        (
            "[rules.direct-observations]\nmin = 0\n",
            "rules.direct-observations.min: rule 'direct-observations': must be at least 1 (got 0)",
        ),
        (
            '[rules.feedback-people]\nby = "review-7m"\n',
            "rules.feedback-people.by: rule 'feedback-people': unknown milestone (got 'review-7m')",
        ),
        (
            '[rules.written-reports]\nevidence = ["essay"]\n',
            (
                "rules.written-reports.evidence[0]: rule 'written-reports': unknown evidence kind "
                "(got 'essay')"
            ),
        ),
        (
            "[rules.supervision]\nperiods = [{ every = 0 }]\n",
            (
                "rules.supervision.periods[0].every: rule 'supervision': must be from 1 to 3660 "
                "(got 0)"
            ),
        ),
        (
            '[rules.supervision]\nid = "other"\n',
            "rules.supervision.id: rule 'supervision': id may not be overridden (got 'other')",
        ),
    ],
)
def test_an_override_checked_like_a_rule_file(tmp_path: Path, entry: str, expected: str) -> None:
    path = write(tmp_path, f'code = "X"\nname = "X"\n\n{entry}')
    council = load_council(path)
    with pytest.raises(RuleError) as caught:
        check_council(council, REGISTRY, PLUGINS)
    assert caught.value.lines() == [f"{path}: {expected}"]
    # The command line says the same, exits 2 and changes nothing.
    file = tmp_path / "r1.toml"
    create(file, record())
    before = file.read_bytes()
    for command in (["assess", str(file)], ["status", str(file)], ["cohort", str(tmp_path)]):
        result = CliRunner().invoke(main, [*command, "--council", str(path)])
        assert result.exit_code == 2, result.output
        assert f"error: {path}: {expected}" in result.stderr
    assert file.read_bytes() == before


def test_rule_files_beside_overrides(tmp_path: Path) -> None:
    (tmp_path / "own.toml").write_text(
        'version = "own-1"\nframework = "baseline-2026"\n\n[[rules]]\nid = "observers"\n'
        'kind = "distinct-authors"\nevidence = ["direct-observation"]\nmin = 2\n',
        encoding="utf-8",
    )
    text = (
        'code = "X"\nname = "X"\nrule_files = ["own.toml"]\n\n'
        "[rules.observers]\nmin = 9\n\n[rules.direct-observations]\nmin = 2\n"
    )
    council = load_council(write(tmp_path, text))
    assert council.rules == ("own.toml",)
    assert [o.rule for o in council.overrides] == ["observers", "direct-observations"]
    check_council(council, REGISTRY, PLUGINS)  # a rule of the council's own file may be tuned
    found = by_rule(record(), tmp_path / "council.toml")
    assert found["observers"].status == "missed"
    assert found["observers"].override.params == {"min": 9}
    bad = write(tmp_path, 'code = "X"\nname = "X"\nrules = []\nrule_files = ["own.toml"]\n')
    with pytest.raises(CouncilError, match="rule_files: rule files are listed once"):
        load_council(bad)
    gone = write(tmp_path, text.replace("own.toml", "gone.toml"))
    with pytest.raises(CouncilError, match=r"rule_files\[0\]: no such rule file"):
        load_council(gone)


def test_an_overrides_key_is_no_key_of_a_council_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'code = "X"\nname = "X"\noverrides = []\n')
    with pytest.raises(CouncilError, match="unknown keys: overrides"):
        load_council(path)


def test_a_council_without_overrides_is_not_checked_against_plugins(tmp_path: Path) -> None:
    council = load_council(write(tmp_path, 'code = "X"\nname = "X"\n'))
    check_council(council, REGISTRY, plugins=None)  # returns at once: nothing to check


def test_evidence_unrelated_to_a_tuned_rule_is_unchanged(tmp_path: Path) -> None:
    extra = Evidence("ev-999", "direct-observation", D(2026, 1, 5))
    rec = attrs.evolve(record(), evidence=(*record().evidence, extra))
    found = by_rule(rec, write(tmp_path))
    assert "ev-999" in found["direct-observations"].evidence


def test_the_example_council_loads_and_tunes() -> None:
    path = Path(__file__).resolve().parent.parent / "examples" / "councils" / "tuned.toml"
    council = load_council(path)
    check_council(council, REGISTRY, PLUGINS)
    assert council.settings.review_cadence == "calendar"
    assert [(o.rule, o.enabled) for o in council.overrides] == [
        ("pqs-coverage", False),
        ("critical-reflections", True),
    ]
    found = by_rule(record(), path)
    assert found["pqs-coverage"].status == "not-applicable"
    assert found["critical-reflections"].override.params == {"grace_days": 42}
    assert found["critical-reflections"].override.was == {"grace_days": 28}


def test_ecf_rules_check_a_council(tmp_path: Path) -> None:
    runner = CliRunner()
    good = write(tmp_path)
    result = runner.invoke(main, ["rules", "check", "--council", str(good)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{good}: ok (2 rule overrides)\n"
    bad = tmp_path / "bad.toml"
    bad.write_text(TUNED.replace("min = 2", "mins = 2"), encoding="utf-8")
    result = runner.invoke(main, ["rules", "check", "--council", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {bad}: rules.direct-observations.mins: ")
    result = runner.invoke(main, ["rules", "check"])
    assert result.exit_code == 2
    assert "give rule FILES to check, or --council FILE" in result.output
