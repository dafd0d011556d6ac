"""Framework data: the shipped baseline matches BASELINE.md, and bad framework files are refused."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import tomli
from click.testing import CliRunner, Result

import ecf.framework
from ecf.cli import main
from ecf.errors import FrameworkError
from ecf.framework import Framework, FrameworkRegistry, load_framework_data

BASELINE_FILE = Path(ecf.framework.__file__).parent / "data" / "frameworks" / "baseline-2026.toml"

#: A small standalone framework: two stages, the second after the first.
MINI = """\
version = "mini-1"
title = "Mini"

[[stages]]
id = "a"
title = "Stage A"
follows = ["qualification"]

[[stages.milestones]]
id = "m1"
title = "M1"
months = 3

[[stages.milestones]]
id = "m2"
title = "M2"
months = 12

[[stages]]
id = "b"
title = "Stage B"
follows = ["a"]

[[stages.milestones]]
id = "end"
title = "End"
months = 12
"""

#: A council's version: replaces the ASYE's milestones, adds a stage after expert.
COUNCIL = """\
version = "council-2026"
title = "Council X, 2026"
extends = "baseline-2026"

[[stages]]
id = "asye"
title = "ASYE, Council X"
follows = ["qualification"]
services = ["children", "adults"]
verified = false
source = "council"

[[stages.milestones]]
id = "review-4m"
title = "4-month review"
months = 4
verified = false

[[stages.milestones]]
id = "final-review"
title = "Final review"
months = 12
verified = false

[[stages]]
id = "mentor"
title = "Practice mentor"
follows = ["expert"]
services = ["children"]
verified = false

[[stages.milestones]]
id = "mentor-review"
title = "Mentor review"
months = 6
verified = false
"""


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_USER", "tester")
    monkeypatch.delenv("ECF_FRAMEWORK_PATH", raising=False)


@pytest.fixture(scope="module")
def baseline() -> Framework:
    return FrameworkRegistry.default().get("baseline-2026")


def milestones(fw: Framework, stage: str) -> list[tuple[str, int | None, bool]]:
    stage_def = fw.stage(stage)
    assert stage_def is not None
    return [(m.id, m.months, m.optional) for m in stage_def.milestones]


def write(folder: Path, text: str, name: str = "fw.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path, registry: FrameworkRegistry | None = None) -> list[str]:
    """The error lines of adding ``path`` to a registry (the default one unless given)."""
    with pytest.raises(FrameworkError) as caught:
        (registry or FrameworkRegistry.default()).add_file(path)
    lines = caught.value.lines()
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    return lines


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


# --- the shipped baseline --------------------------------------------------------------------


def test_baseline_is_the_default_version() -> None:
    registry = FrameworkRegistry.default()
    assert registry.versions() == ("baseline-2026", "ecdp-2027")
    assert registry.current == "baseline-2026"
    fw = registry.get()
    assert fw.version == "baseline-2026"
    assert fw.extends is None
    assert fw.file == str(BASELINE_FILE)
    assert fw.pause_threshold_days == 28


def test_baseline_stages(baseline: Framework) -> None:
    assert baseline.stage_ids() == ("asye", "ecf-1", "ecf-2", "expert")
    follows = {s.id: s.follows for s in baseline.stages}
    assert follows == {
        "asye": ("qualification",),
        "ecf-1": ("qualification",),
        "ecf-2": ("ecf-1", "asye"),
        "expert": ("asye", "ecf-2"),  # BASELINE.md: ecf-2, ecdp or asye passed
    }
    assert baseline.next_stages("qualification") == ("asye", "ecf-1")
    assert baseline.next_stages("asye") == ("ecf-2", "expert")
    assert baseline.next_stages("ecf-1") == ("ecf-2",)
    assert baseline.next_stages("ecf-2") == ("expert",)
    assert baseline.next_stages("expert") == ()
    services = {s.id: s.services for s in baseline.stages}
    assert services == {
        "asye": ("children", "adults"),
        "ecf-1": ("children",),
        "ecf-2": ("children",),
        "expert": ("children",),
    }


def test_baseline_aliases(baseline: Framework) -> None:
    asye, ecf2 = baseline.stage("ASYE"), baseline.stage("SWIP year 2")
    assert asye is not None
    assert asye.id == "asye"
    assert ecf2 is not None
    assert ecf2.id == "ecf-2"
    assert baseline.stage("nope") is None


def test_baseline_milestones(baseline: Framework) -> None:
    assert milestones(baseline, "asye") == [
        ("agreement", 1, False),
        ("review-3m", 3, False),
        ("review-6m", 6, False),
        ("review-9m", 9, True),
        ("final-review", 12, False),
        ("moderation", None, False),
    ]
    assert milestones(baseline, "ecf-1") == [
        ("agreement", 1, False),
        ("review-3m", 3, False),
        ("review-6m", 6, False),
        ("review-9m", 9, True),
        ("year-1-assessment", 12, False),
        ("moderation", None, False),
    ]
    assert milestones(baseline, "ecf-2") == [
        ("review-3m", 3, False),
        ("review-6m", 6, False),
        ("review-9m", 9, True),
        ("final-assessment", 12, False),
        ("moderation", None, False),
    ]
    assert milestones(baseline, "expert") == [
        ("annual-review-1", 12, False),
        ("annual-review-2", 24, False),
        ("expert-assessment", 36, False),
    ]
    last = {s.id: s.last_dated.id if s.last_dated else None for s in baseline.stages}
    assert last == {
        "asye": "final-review",
        "ecf-1": "year-1-assessment",
        "ecf-2": "final-assessment",
        "expert": "expert-assessment",
    }


def _entries(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for key in ("stages", "evidence_kinds", "absence_kinds", "standard_sets"):
        for i, entry in enumerate(data[key]):
            found.append((f"{key}[{i}]", entry))
            for sub in ("milestones", "standards"):
                found.extend(
                    (f"{key}[{i}].{sub}[{j}]", child) for j, child in enumerate(entry.get(sub, []))
                )
    return found


def test_every_baseline_entry_has_a_boolean_verified() -> None:
    data = tomli.loads(BASELINE_FILE.read_text(encoding="utf-8"))
    entries = _entries(data)
    assert len(entries) > 80  # stages, milestones, kinds, sets and every standard
    missing = [path for path, entry in entries if not isinstance(entry.get("verified"), bool)]
    assert missing == []
    unverified_without_source = [
        path
        for path, entry in entries
        if entry["verified"] is False and "source" not in entry and "standards" not in path
    ]
    assert unverified_without_source == []


def test_baseline_standard_sets(baseline: Framework) -> None:
    sets = {s.id: s for s in baseline.standard_sets}
    assert list(sets) == ["kss-cf", "ecs-cf", "kss-adults", "pcf", "swe"]
    assert sets["kss-cf"].ids() == tuple(f"kss-cf:{n}" for n in range(1, 11))
    assert sets["pcf"].ids() == tuple(f"pcf:{n}" for n in range(1, 10))
    assert sets["swe"].ids() == tuple(f"swe:{n}" for n in range(1, 7))
    adults = sets["kss-adults"]
    assert adults.ids() == tuple(f"kss-adults:{n}" for n in range(1, len(adults.standards) + 1))
    confirmed = {s.id for s in adults.standards if s.verified}
    assert {"5", "8", "10", "11"} <= confirmed  # FACTS.md 2
    assert sets["kss-cf"].services == ("children",)
    assert adults.services == ("adults",)
    assert [s.id for s in baseline.standard_sets_for("children")] == [
        "kss-cf",
        "ecs-cf",
        "pcf",
        "swe",
    ]
    assert [s.id for s in baseline.standard_sets_for("adults")] == ["kss-adults", "pcf", "swe"]
    assert {"kss-cf:6", "pcf:7", "swe:3"} <= baseline.standard_ids()


def test_baseline_evidence_and_absence_kinds(baseline: Framework) -> None:
    assert baseline.evidence_kind_ids() == {
        "direct-observation",
        "feedback-person",
        "feedback-professional",
        "written-report",
        "critical-reflection",
        "supervision",
        "self-assessment",
        "pdp",
        "review",
        "cpd",
        "training",
    }
    pauses = {k.id: k.pauses for k in baseline.absence_kinds}
    assert pauses == {
        "sickness": True,
        "parental": True,
        "bereavement": True,
        "unpaid": True,
        "career-break": True,
        "other": True,
        "annual-leave": False,
        "training": False,
        "support-gap": True,
    }


# --- loading errors --------------------------------------------------------------------------


def test_a_small_framework_loads(tmp_path: Path) -> None:
    fw = FrameworkRegistry.default().add_file(write(tmp_path, MINI))
    assert fw.version == "mini-1"
    assert fw.stage_ids() == ("a", "b")
    assert milestones(fw, "a") == [("m1", 3, False), ("m2", 12, False)]


def test_duplicate_stage_id(tmp_path: Path) -> None:
    path = write(tmp_path, MINI.replace('id = "b"', 'id = "a"'))
    assert refused(path) == [f"{path}: stages[1].id: duplicate id (got 'a')"]


def test_duplicate_milestone_id(tmp_path: Path) -> None:
    path = write(tmp_path, MINI.replace('id = "m2"', 'id = "m1"'))
    assert refused(path) == [f"{path}: stages[0].milestones[1].id: duplicate id (got 'm1')"]


def test_unknown_stage_in_follows(tmp_path: Path) -> None:
    path = write(tmp_path, MINI.replace('follows = ["a"]', 'follows = ["a", "zzz"]'))
    assert refused(path) == [
        f"{path}: stages[1].follows[1]: unknown stage (known: qualification, a, b) (got 'zzz')"
    ]


@pytest.mark.parametrize(
    ("months", "message"),
    [
        ("0", "a milestone offset must be a positive whole number of months (got 0)"),
        ("-3", "a milestone offset must be a positive whole number of months (got -3)"),
        ("1.5", "expected a whole number (got 1.5)"),
        ("3.0", "expected a whole number (got 3.0)"),
        ('"3"', "expected a whole number (got '3')"),
        ("true", "expected a whole number (got True)"),
    ],
)
def test_bad_milestone_months(tmp_path: Path, months: str, message: str) -> None:
    path = write(tmp_path, MINI.replace("months = 3", f"months = {months}"))
    assert refused(path) == [f"{path}: stages[0].milestones[0].months: {message}"]


def test_months_are_never_coerced() -> None:
    data = tomli.loads(MINI.replace("months = 3", "months = 1.5"))
    with pytest.raises(FrameworkError, match="expected a whole number"):
        load_framework_data(data, file="inline.toml")


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ('title = "Mini"', 'title = "Mini"\nflavour = "x"', "unknown keys: flavour"),
        (
            'title = "Stage A"',
            'title = "Stage A"\ncolour = "red"',
            "stages[0]: unknown keys: colour",
        ),
        (
            'title = "M2"',
            'title = "M2"\ndue = 2026-01-01',
            "stages[0].milestones[1]: unknown keys: due",
        ),
    ],
)
def test_unknown_keys(tmp_path: Path, old: str, new: str, line: str) -> None:
    path = write(tmp_path, MINI.replace(old, new, 1))
    assert refused(path) == [f"{path}: {line}"]


def test_every_problem_is_reported(tmp_path: Path) -> None:
    text = MINI.replace('id = "m2"', 'id = "m1"').replace('follows = ["a"]', 'follows = ["x"]')
    path = write(tmp_path, text.replace("months = 12", "months = 0", 1))
    assert refused(path) == [
        f"{path}: stages[0].milestones[1].id: duplicate id (got 'm1')",
        (
            f"{path}: stages[0].milestones[1].months: "
            "a milestone offset must be a positive whole number of months (got 0)"
        ),
        f"{path}: stages[1].follows[0]: unknown stage (known: qualification, a, b) (got 'x')",
    ]


def test_missing_version(tmp_path: Path) -> None:
    path = write(tmp_path, MINI.replace('version = "mini-1"\n', ""))
    assert refused(path) == [f"{path}: version: a framework needs a version"]
    empty = write(tmp_path, MINI.replace('version = "mini-1"', 'version = ""'), "empty.toml")
    assert refused(empty) == [f"{empty}: version: a framework needs a version (got '')"]


def test_malformed_toml(tmp_path: Path) -> None:
    path = write(tmp_path, MINI.replace("months = 3", "months = "))
    [line] = refused(path)
    assert line.startswith(f"{path}: not valid TOML: ")
    assert "line 12" in line


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    assert refused(path) == [f"{path}: cannot read: No such file or directory"]


def test_extends_replaces_one_milestone_set_and_adds_a_stage(tmp_path: Path) -> None:
    registry = FrameworkRegistry.default()
    fw = registry.add_file(write(tmp_path, COUNCIL))
    assert registry.current == "council-2026"
    assert registry.versions() == ("baseline-2026", "council-2026", "ecdp-2027")
    assert (fw.version, fw.title, fw.extends) == (
        "council-2026",
        "Council X, 2026",
        "baseline-2026",
    )
    assert fw.stage_ids() == ("asye", "ecf-1", "ecf-2", "expert", "mentor")
    assert milestones(fw, "asye") == [("review-4m", 4, False), ("final-review", 12, False)]
    assert milestones(fw, "mentor") == [("mentor-review", 6, False)]
    assert fw.next_stages("expert") == ("mentor",)
    base = registry.get("baseline-2026")
    for kept in ("ecf-1", "ecf-2", "expert"):
        assert fw.stage(kept) == base.stage(kept)
    assert fw.evidence_kinds == base.evidence_kinds
    assert fw.absence_kinds == base.absence_kinds
    assert fw.standard_sets == base.standard_sets
    assert fw.pause_threshold_days == 28
    assert milestones(base, "asye")[0] == ("agreement", 1, False)  # the base is unchanged


def test_extends_is_checked_after_merging(tmp_path: Path) -> None:
    text = COUNCIL.replace('follows = ["expert"]', 'follows = ["expert", "nope"]')
    path = write(tmp_path, text)
    [line] = refused(path)
    assert line.startswith(f"{path}: stages[4].follows[1]: unknown stage (known: qualification, ")
    assert line.endswith("(got 'nope')")


def test_extends_an_unknown_version(tmp_path: Path) -> None:
    path = write(
        tmp_path, COUNCIL.replace('extends = "baseline-2026"', 'extends = "baseline-1999"')
    )
    [line] = refused(path)
    assert line.startswith(f"{path}: extends: extends an unknown version (known: baseline-2026")
    assert line.endswith("(got 'baseline-1999')")


def test_extends_itself(tmp_path: Path) -> None:
    path = write(tmp_path, COUNCIL.replace('extends = "baseline-2026"', 'extends = "council-2026"'))
    assert refused(path) == [f"{path}: extends: circular extends (got 'council-2026')"]


def test_circular_extends(tmp_path: Path) -> None:
    registry = FrameworkRegistry.default()
    registry.add_file(write(tmp_path, MINI, "mini.toml"))
    one = write(tmp_path, 'version = "one"\ntitle = "One"\nextends = "mini-1"\n', "one.toml")
    registry.add_file(one)
    # A new file for mini-1 that extends "one", which extends mini-1: a cycle.
    cycle = write(tmp_path, 'version = "mini-1"\ntitle = "Mini again"\nextends = "one"\n', "c.toml")
    with pytest.raises(FrameworkError) as caught:
        registry.add_file(cycle)
    [line] = caught.value.lines()
    assert line.endswith(": extends: circular extends (got 'mini-1')")
    assert line.startswith((f"{one}: ", f"{cycle}: "))


def test_load_framework_data_names_the_file() -> None:
    data = tomli.loads(MINI.replace('id = "b"', 'id = "a"'))
    with pytest.raises(FrameworkError) as caught:
        load_framework_data(data, file="council.toml")
    assert caught.value.lines() == ["council.toml: stages[1].id: duplicate id (got 'a')"]


def test_a_stage_needs_a_dated_milestone(tmp_path: Path) -> None:
    text = MINI.replace("months = 12\n", "", 1).replace("months = 3\n", "", 1)
    path = write(tmp_path, text)
    assert refused(path) == [
        f"{path}: stages[0]: a stage needs a milestone with a due date (got 'a')"
    ]


# --- the CLI with a custom framework ---------------------------------------------------------


def test_cli_new_pins_the_custom_version(tmp_path: Path) -> None:
    custom = write(tmp_path, COUNCIL, "custom.toml")
    record = tmp_path / "r.toml"
    result = run(
        *("--framework", custom, "new", record, "--id", "r1", "--name", "Alex"),
        *("--qualified", "2025-06-01", "--stage", "asye", "--start", "2025-09-01"),
    )
    assert result.exit_code == 0, result.output
    data = tomli.loads(record.read_text(encoding="utf-8"))
    assert data["enrolments"] == [
        {"stage": "asye", "start": dt.date(2025, 9, 1), "framework": "council-2026"}
    ]
    status = run("--framework", custom, "status", record, "--json", "--as-of", "2025-10-01")
    assert status.exit_code == 0, status.output
    st = json.loads(status.output)
    assert st["framework"] == "council-2026"
    assert [(m["id"], m["due"]) for m in st["milestones"]] == [
        ("review-4m", "2026-01-01"),
        ("final-review", "2026-09-01"),
    ]
    # Without the custom file, the pinned version is unknown: the record says which it needs.
    missing = run("validate", record)
    assert missing.exit_code == 2
    assert (
        f"error: {record}: enrolments[0].framework: unknown framework version "
        "(known: baseline-2026, ecdp-2027) (got 'council-2026')"
    ) in missing.output


def test_cli_framework_folder_and_listing(tmp_path: Path) -> None:
    folder = tmp_path / "frameworks"
    folder.mkdir()
    write(folder, COUNCIL, "council.toml")
    result = run("--framework", folder, "frameworks")
    assert result.exit_code == 0, result.output
    versions = [line for line in result.output.splitlines() if not line.startswith("  ")]
    assert versions == [
        "baseline-2026: National baseline, 2026 (ASYE, ECF years 1-2, expert practitioner)",
        "council-2026 (current): Council X, 2026",
        (
            "ecdp-2027 (new stages from 2027-09-01): "
            "National baseline from September 2027 (ECDP for child and family; adults' ASYE)"
        ),
    ]


def test_cli_framework_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECF_FRAMEWORK_PATH", str(write(tmp_path, COUNCIL, "council.toml")))
    result = run("frameworks", "--framework-version", "council-2026")
    assert result.exit_code == 0, result.output
    assert "mentor: Practice mentor (follows expert)" in result.output.splitlines()


def test_cli_bad_framework_file(tmp_path: Path) -> None:
    bad = write(tmp_path, MINI.replace("months = 3", "months = 1.5"))
    result = run("--framework", bad, "frameworks")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.output == (
        f"error: {bad}: stages[0].milestones[0].months: expected a whole number (got 1.5)\n"
    )
