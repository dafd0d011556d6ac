"""A council's configuration: loading and checking ``council.toml``, and what its settings do."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import attrs
import pytest
from click.testing import CliRunner

from ecf import cohort
from ecf.assessors import assess, context_for, get_plugins
from ecf.cli import main
from ecf.council import Council, CouncilError, CouncilSettings, StageAssessors, load_council
from ecf.framework import FrameworkRegistry
from ecf.records import SCHEMA_VERSION, Absence, Decision, Enrolment, Evidence, Record
from ecf.rules import RuleError
from ecf.status import status
from ecf.store import create
from ecf.subject_access import subject_access

if TYPE_CHECKING:
    from pathlib import Path

D = dt.date
REGISTRY = FrameworkRegistry.default()
START = D(2025, 9, 1)

FULL = """\
code = "E09000030"
name = "Tower Hamlets"
framework = "baseline-2026"
plugins = ["baseline", "caseload"]
rules = ["rules/stricter.toml"]

[settings]
pause_threshold_days = 14
completion_months = 24
agency_rules = "consultation-2023"

[[assess]]
stages = ["expert"]
assessors = ["baseline"]
rules = ["rules/expert.toml"]

[[assess]]
stages = ["ecf-2"]

[plugin.caseload]
full_caseload = 20
teams = ["north", "south"]
"""

STRICTER = """\
version = "th-2026.1"
framework = "baseline-2026"

[[rules]]
id = "observers"
kind = "distinct-authors"
evidence = ["direct-observation"]
min = 2
"""


def write(folder: Path, text: str = FULL) -> Path:
    (folder / "rules").mkdir(exist_ok=True)
    (folder / "rules" / "stricter.toml").write_text(STRICTER, encoding="utf-8")
    (folder / "rules" / "expert.toml").write_text(
        STRICTER.replace("observers", "expert-observers"), encoding="utf-8"
    )
    path = folder / "council.toml"
    path.write_text(text, encoding="utf-8")
    return path


def record(
    *evidence: Evidence,
    absences: tuple[Absence, ...] = (),
    decisions: tuple[Decision, ...] = (),
) -> Record:
    return Record(
        schema_version=1,
        id="r1",
        name="Alex Example",
        qualified=D(2025, 6, 1),
        service="children",
        enrolments=(Enrolment("asye", START, "baseline-2026"),),
        absences=absences,
        evidence=evidence,
        decisions=decisions,
    )


def test_load_a_full_example(tmp_path: Path) -> None:
    path = write(tmp_path)
    council = load_council(path)
    assert council.code == "E09000030"
    assert council.name == "Tower Hamlets"
    assert council.framework == "baseline-2026"
    assert council.plugins == ("baseline", "caseload")
    assert council.rules == ("rules/stricter.toml",)
    assert council.settings == CouncilSettings(
        pause_threshold_days=14, completion_months=24, agency_rules="consultation-2023"
    )
    assert council.assess == (
        StageAssessors(stages=("expert",), assessors=("baseline",), rules=("rules/expert.toml",)),
        StageAssessors(stages=("ecf-2",)),
    )
    assert council.file == str(path)
    assert council.assessors_for("expert") == ("baseline",)
    assert council.assessors_for("ecf-2") == ("baseline", "caseload")  # no assessors: all
    assert council.assessors_for("asye") == ("baseline", "caseload")
    assert council.rule_files_for("asye") == (tmp_path / "rules" / "stricter.toml",)
    assert council.rule_files_for("expert") == (
        tmp_path / "rules" / "stricter.toml",
        tmp_path / "rules" / "expert.toml",
    )
    assert council.settings_for("caseload") == {"full_caseload": 20, "teams": ["north", "south"]}
    assert council.settings_for("baseline") == {}
    # A plugin's settings are a copy: changing them changes nothing in the council.
    council.settings_for("caseload")["full_caseload"] = 1
    assert council.settings_for("caseload")["full_caseload"] == 20


def test_the_smallest_council(tmp_path: Path) -> None:
    path = tmp_path / "council.toml"
    path.write_text('code = "E06000001"\nname = "Hartlepool"\n', encoding="utf-8")
    council = load_council(path)
    assert council.plugins == ("baseline",)
    assert council.settings == CouncilSettings()
    assert council.settings.agency_rules == "statutory-2024"
    assert council.rule_files_for("asye") == ()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'name = "Tower Hamlets"\n',
            'name = "Tower Hamlets"\ncolour = "red"\n',
            ["unknown keys: colour"],
        ),
        (
            "pause_threshold_days = 14",
            "pause_threshold = 14",
            ["settings: unknown keys: pause_threshold"],
        ),
        (
            'plugins = ["baseline", "caseload"]',
            'plugins = "baseline"',
            ["plugins: expected a list (got 'baseline')"],
        ),
        ('code = "E09000030"\n', "", ["code: required field missing"]),
        (
            "completion_months = 24",
            'completion_months = "24"',
            ["settings.completion_months: expected a whole number (got '24')"],
        ),
        (
            'agency_rules = "consultation-2023"',
            'agency_rules = "agency-2025"',
            [
                (
                    "settings.agency_rules: must be one of: statutory-2024, consultation-2023 "
                    "(got 'agency-2025')"
                )
            ],
        ),
        (
            'assessors = ["baseline"]',
            'assessors = ["baseline", "caseload", "other"]',
            ["assess[0].assessors[2]: not in the plugins allow-list (got 'other')"],
        ),
        (
            'rules = ["rules/stricter.toml"]',
            'rules = ["rules/stricter.toml", "rules/gone.toml"]',
            ["rules[1]: no such rule file (got 'rules/gone.toml')"],
        ),
        (
            'rules = ["rules/expert.toml"]',
            'rules = ["rules/gone.toml"]',
            ["assess[0].rules[0]: no such rule file (got 'rules/gone.toml')"],
        ),
        (
            "pause_threshold_days = 14",
            "pause_threshold_days = 0",
            ["settings.pause_threshold_days: must be a positive whole number (got 0)"],
        ),
        (
            "completion_months = 24",
            "completion_months = -1",
            ["settings.completion_months: must be a positive whole number (got -1)"],
        ),
    ],
)
def test_council_errors_name_the_file_and_the_field(
    tmp_path: Path, old: str, new: str, expected: list[str]
) -> None:
    assert old in FULL
    path = write(tmp_path, FULL.replace(old, new, 1))
    with pytest.raises(CouncilError) as caught:
        load_council(path)
    assert caught.value.lines() == [f"{path}: {line}" for line in expected]
    assert caught.value.exit_code == 2


def test_council_file_malformed_or_missing(tmp_path: Path) -> None:
    path = write(tmp_path, FULL + "[settings\n")
    with pytest.raises(CouncilError) as caught:
        load_council(path)
    assert caught.value.lines()[0].startswith(f"{path}: not valid TOML")
    with pytest.raises(CouncilError) as caught:
        load_council(tmp_path / "nowhere.toml")
    assert caught.value.lines()[0].startswith(f"{tmp_path / 'nowhere.toml'}: cannot read")


def test_pause_threshold_override_changes_due_dates() -> None:
    sickness = Absence("sickness", D(2025, 10, 1), D(2025, 10, 20))  # 20 days
    rec = record(absences=(sickness,))
    as_of = D(2025, 11, 1)
    national = context_for(rec, REGISTRY, as_of)
    assert national.timeline.pauses == ()
    assert national.due("review-3m") == D(2025, 12, 1)
    assert national.due("end") == D(2026, 9, 1)
    strict = Council(code="X", name="X", settings=CouncilSettings(pause_threshold_days=14))
    local = context_for(rec, REGISTRY, as_of, strict)
    assert [(p.first, p.last) for p in local.timeline.pauses] == [(sickness.first, sickness.last)]
    assert local.due("review-3m") == D(2025, 12, 21)
    assert local.due("end") == D(2026, 9, 21)
    assert local.council.pause_threshold_days == 14
    assert local.framework.pause_threshold_days == 14
    # The registry's framework itself is unchanged.
    assert REGISTRY.get("baseline-2026").pause_threshold_days == 28
    # The baseline's findings move with it.
    plugins = get_plugins(entry_points=[])
    found = assess(rec, REGISTRY, as_of, council=strict, plugins=plugins).findings
    deadline = {f.rule: f.deadline for f in found}
    assert deadline["direct-observations"] == D(2026, 9, 21)


def test_a_councils_settings_apply_alike_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Once a bug: the assessment counted under the council's pause threshold, but status (and
    # with it cohort rows, calendars and timelines) under the framework's, so a cohort row
    # showed one expected end and a recommendation made against another.
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ECF_FRAMEWORK_PATH", raising=False)
    sickness = Absence("sickness", D(2025, 10, 1), D(2025, 10, 20))  # 20 days: 14 <= 20 < 28
    rec = attrs.evolve(record(absences=(sickness,)), schema_version=SCHEMA_VERSION)
    folder = tmp_path / "records"
    folder.mkdir()
    file = folder / "r1.toml"
    create(file, rec)
    path = tmp_path / "council.toml"
    path.write_text(
        'code = "X"\nname = "X"\n\n[settings]\npause_threshold_days = 14\n', encoding="utf-8"
    )
    council = load_council(path)
    as_of = D(2025, 11, 1)
    assessed = context_for(rec, REGISTRY, as_of, council).timeline
    end = assessed.expected_end
    due = [(m.id, m.due) for m in assessed.milestones if m.due is not None]
    assert end == D(2026, 9, 21)
    assert status(rec, REGISTRY, as_of).expected_end == D(2026, 9, 1)  # the framework's 28 days

    plugins = get_plugins(entry_points=[])
    assert status(rec, REGISTRY, as_of, settings=council.settings).expected_end == end
    assert (
        cohort.row_for(rec, REGISTRY, as_of, council=council, plugins=plugins).expected_end == end
    )
    today = dt.date.today()  # noqa: DTZ011 - the CLI uses the local date too
    exported = subject_access(rec, REGISTRY, as_of, council=council)
    assert exported["status"]["expected_end"] == end.isoformat()
    options = cohort.ScanOptions(as_of=as_of, today=today, council_file=str(path))
    rows, failures = cohort.scan([folder], options, workers=1)
    assert failures == []
    assert [r.expected_end for r in rows] == [end]

    runner = CliRunner()

    def cli(*args: object) -> str:
        result = runner.invoke(main, [str(a) for a in args])
        assert result.exit_code == 0, result.output
        return result.stdout

    shown = json.loads(cli("status", file, "--council", path, "--as-of", as_of, "--json"))
    assert shown["expected_end"] == end.isoformat()
    table = json.loads(
        cli("cohort", folder, "--council", path, "--as-of", as_of, "--format", "json")
    )
    assert [r["expected_end"] for r in table["records"]] == [end.isoformat()]
    events = json.loads(cli("timeline", file, "--council", path, "--json"))["events"]
    assert [e["date"] for e in events if e["kind"] == "due"] == [d.isoformat() for _, d in due]
    ics = cli("calendar", file, "--council", path, "--as-of", as_of, "--days", 400)
    starts = [line.split(":")[1] for line in ics.splitlines() if line.startswith("DTSTART")]
    assert starts == [d.strftime("%Y%m%d") for _, d in due if d >= as_of]


def completion(rec: Record, as_of: dt.date, months: int | None = 24) -> list[tuple[str, str]]:
    council = Council(code="X", name="X", settings=CouncilSettings(completion_months=months))
    result = assess(rec, REGISTRY, as_of, council=council, plugins=get_plugins(entry_points=[]))
    return [(f.status, f.message) for f in result.findings if f.rule == "completion-deadline"]


def test_completion_deadline() -> None:
    open_stage = record()
    assert completion(open_stage, D(2027, 9, 1)) == [
        ("pending", "not yet passed; the deadline is 2027-09-01 (24 months from 2025-09-01)")
    ]
    assert completion(open_stage, D(2027, 9, 2)) == [
        ("missed", "not yet passed; the deadline is 2027-09-01 (24 months from 2025-09-01)")
    ]
    passed = record(decisions=(Decision("asye", "pass", D(2026, 9, 10), "P. Manager"),))
    assert completion(passed, D(2026, 9, 9))[0][0] == "pending"  # not passed yet as of then
    assert completion(passed, D(2026, 9, 10)) == [
        ("met", "passed on 2026-09-10, deadline 2027-09-01 (24 months from 2025-09-01)")
    ]
    late = record(decisions=(Decision("asye", "pass", D(2026, 9, 10), "P. Manager"),))
    assert completion(late, D(2027, 1, 1), months=12) == [
        ("missed", "passed on 2026-09-10, deadline 2026-09-01 (12 months from 2025-09-01)")
    ]
    assert completion(open_stage, D(2026, 1, 1), months=None) == []


def test_completion_deadline_is_the_baselines(tmp_path: Path) -> None:
    council = load_council(write(tmp_path))
    plugins = get_plugins(entry_points=[])
    result = assess(record(), REGISTRY, D(2027, 9, 2), council=council, plugins=plugins)
    (found,) = [f for f in result.findings if f.rule == "completion-deadline"]
    assert (found.assessor, found.status, found.deadline) == ("baseline", "missed", D(2027, 9, 1))
    assert result.recommendation == "not-met"


def test_a_councils_own_rules_run_under_its_name(tmp_path: Path) -> None:
    council = load_council(write(tmp_path))
    rec = record(
        Evidence("ev-001", "direct-observation", D(2025, 10, 1), by="A. Jones"),
        Evidence("ev-002", "direct-observation", D(2025, 11, 1), by="B. Singh"),
    )
    plugins = get_plugins(entry_points=[])
    result = assess(rec, REGISTRY, D(2025, 12, 1), council=council, plugins=plugins)
    (own,) = [f for f in result.findings if f.assessor == "council:E09000030"]
    assert own.rule == "observers"
    assert own.status == "met"
    assert own.version == "th-2026.1"
    assert own.evidence == ("ev-001", "ev-002")
    # A council rule file that turned bad after loading stops the assessment with its error.
    (tmp_path / "rules" / "stricter.toml").write_text(
        STRICTER.replace("distinct-authors", "distinct"), encoding="utf-8"
    )
    with pytest.raises(RuleError, match=r"stricter\.toml: rules\[0\]\.kind: rule 'observers'"):
        assess(rec, REGISTRY, D(2025, 12, 1), council=council, plugins=plugins)
