"""The example council plugins and configurations work together, with nothing installed.

Each plugin's ``src`` folder goes on ``sys.path`` and ``get_plugins`` receives entry points
built here, exactly as ``pyproject.toml`` declares them; the councils come from
``examples/councils/``.  A plugin's findings appear when its council allows it and disappear
when the allow-list leaves it out.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest
import tomli
from packaging.requirements import Requirement

from ecf._version import DISTRIBUTION, __version__
from ecf.assessors import Assessment, Plugins, assess, get_plugins
from ecf.council import Council, load_council
from ecf.framework import FrameworkRegistry
from ecf.hookspecs import ENTRY_POINTS
from ecf.store import read_record
from ecf.validation import check_record

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
COUNCILS = ROOT / "examples" / "councils"
PLUGINS = ROOT / "plugins"
RECORD = COUNCILS / "records" / "caseload-example.toml"
REGISTRY = FrameworkRegistry.default()
AS_OF = dt.date(2026, 11, 24)
#: The example plugins: (folder, distribution, entry-point name, module).
EXAMPLES = [
    ("ecf-caseload", "ecf-caseload", "caseload", "ecf_caseload"),
    ("ecf-council-stricter", "ecf-council-stricter", "stricter", "ecf_council_stricter"),
]


def entry_points_declared(folder: str) -> list[importlib.metadata.EntryPoint]:
    """The entry points a plugin's ``pyproject.toml`` declares in ecf's group."""
    data = tomli.loads((PLUGINS / folder / "pyproject.toml").read_text(encoding="utf-8"))
    group = data["project"]["entry-points"][ENTRY_POINTS]
    return [
        importlib.metadata.EntryPoint(name=n, value=v, group=ENTRY_POINTS) for n, v in group.items()
    ]


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[Plugins]:
    before = set(sys.modules)
    for folder, *_ in EXAMPLES:
        monkeypatch.syspath_prepend(str(PLUGINS / folder / "src"))
    eps = [ep for folder, *_ in EXAMPLES for ep in entry_points_declared(folder)]
    yield get_plugins(entry_points=eps)
    # Forget the plugin modules this fixture imported (not those imported before it: the
    # plugins' own tests hold their classes, whose annotations resolve through sys.modules).
    for *_, module in EXAMPLES:
        for name in [m for m in sys.modules if m == module or m.startswith(f"{module}.")]:
            if name not in before:
                del sys.modules[name]


def council(name: str) -> Council:
    return load_council(COUNCILS / f"{name}.toml")


def by(result: Assessment, assessor: str) -> dict[str, str]:
    return {f.rule: f.status for f in result.findings if f.assessor == assessor}


def run(name: str | Council, plugins: Plugins, as_of: dt.date = AS_OF) -> Assessment:
    cfg = council(name) if isinstance(name, str) else name
    return assess(read_record(RECORD), REGISTRY, as_of, council=cfg, plugins=plugins)


def test_the_example_record_is_valid_and_holds_caseloads() -> None:
    record = read_record(RECORD)
    assert check_record(record, REGISTRY, AS_OF) == []
    assert len(record.extra["caseload"]) == 6


@pytest.mark.parametrize(("folder", "dist", "name", "module"), EXAMPLES)
def test_each_plugin_declares_its_entry_point_and_depends_on_ecf(
    folder: str, dist: str, name: str, module: str
) -> None:
    data = tomli.loads((PLUGINS / folder / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["name"] == dist
    assert data["project"]["entry-points"][ENTRY_POINTS] == {name: module}
    assert "ecf" not in data["project"]["entry-points"]
    # ecf under its published name, with a range that admits this version and not the next
    # minor one (the hook API may change between 0.x minors).
    (requirement,) = [Requirement(r) for r in data["project"]["dependencies"]]
    assert requirement.name == DISTRIBUTION
    assert __version__ in requirement.specifier
    major, minor, _ = (int(part) for part in __version__.split("."))
    assert f"{major}.{minor + 1}.0" not in requirement.specifier
    (testing, _) = [Requirement(r) for r in data["project"]["optional-dependencies"]["test"]]
    assert testing.name == DISTRIBUTION
    assert testing.specifier == requirement.specifier
    assert data["build-system"]["build-backend"] == "hatchling.build"
    assert (PLUGINS / folder / "src" / module / "rules.toml").is_file()
    assert (PLUGINS / folder / "README.md").is_file()


def test_the_example_councils_load() -> None:
    assert council("baseline").plugins == ("baseline",)
    stricter = council("stricter")
    assert stricter.plugins == ("baseline", "stricter")
    assert stricter.settings.completion_months == 24
    caseload = council("caseload")
    assert caseload.plugins == ("baseline", "caseload")
    assert caseload.settings_for("caseload") == {"full_caseload": 18}


def test_both_plugins_load_with_their_hooks(plugins: Plugins) -> None:
    assert plugins.infos["caseload"].loaded
    assert plugins.infos["caseload"].hooks == ("ecf_rule_files", "ecf_rule_kinds")
    assert plugins.infos["stricter"].loaded
    assert plugins.infos["stricter"].hooks == ("ecf_rule_files",)


def test_the_caseload_council_sees_the_caseload_findings(plugins: Plugins) -> None:
    result = run("caseload", plugins)
    assert by(result, "caseload") == {"caseload-ramp": "missed"}
    (finding,) = [f for f in result.findings if f.assessor == "caseload"]
    # 25% of the council's full caseload of 18 is 4.5 cases until the 3-month review.
    assert finding.message == (
        "caseload above the ramp: 5 cases on 2026-03-30 in month 3: above 25% of a full "
        "caseload of 18 (4.5 cases) allowed until the 3-month review (due 2026-04-05)"
    )
    assert finding.version == "caseload-2026.1"
    assert by(result, "baseline")
    assert by(result, "stricter") == {}
    assert result.recommendation == "not-met"


def test_the_caseload_council_setting_is_what_changes_the_finding(plugins: Plugins) -> None:
    cfg = attrs.evolve(council("caseload"), plugin={})  # the plugin's default: 20 cases
    assert by(run(cfg, plugins), "caseload") == {"caseload-ramp": "pending"}


def test_the_stricter_council_sees_the_stricter_findings(plugins: Plugins) -> None:
    result = run("stricter", plugins)
    stricter = by(result, "stricter")
    assert stricter["stricter-direct-observations"] == "pending"  # 2 of 4 so far
    assert stricter["stricter-observers"] == "met"  # R. Begum and T. Lewis
    assert stricter["stricter-feedback-people"] == "pending"
    assert len(stricter) == 6
    assert by(result, "baseline")["completion-deadline"] == "pending"  # completion_months = 24
    assert by(result, "caseload") == {}


@pytest.mark.parametrize("name", ["caseload", "stricter"])
def test_removed_from_the_allow_list_a_plugin_never_runs(plugins: Plugins, name: str) -> None:
    cfg = council(name)
    assert by(run(cfg, plugins), name)
    without = attrs.evolve(cfg, plugins=tuple(p for p in cfg.plugins if p != name))
    result = run(without, plugins)
    assert by(result, name) == {}
    assert by(result, "baseline")


def test_the_baseline_council_runs_only_the_baseline(plugins: Plugins) -> None:
    result = run("baseline", plugins)
    assert {f.assessor for f in result.findings} == {"baseline"}
    assert "direct-observations" in by(result, "baseline")
    assert "completion-deadline" not in by(result, "baseline")  # no completion_months set


def test_without_a_council_only_the_baseline_runs(plugins: Plugins) -> None:
    result = assess(read_record(RECORD), REGISTRY, AS_OF, plugins=plugins)
    assert {f.assessor for f in result.findings} == {"baseline"}


def test_a_council_rule_file_may_use_the_caseload_kind(plugins: Plugins, tmp_path: Path) -> None:
    rules = tmp_path / "own.toml"
    rules.write_text(
        'version = "own-1"\nframework = "baseline-2026"\n\n[[rules]]\nid = "strict-ramp"\n'
        'kind = "caseload-ramp"\nfull_caseload = 10\nat = ["end"]\npercent = [50]\n',
        encoding="utf-8",
    )
    cfg = attrs.evolve(council("caseload"), rules=(rules.name,), file=str(tmp_path / "c.toml"))
    result = run(cfg, plugins)
    own = [f for f in result.findings if f.assessor == "council:E09000025"]
    assert [(f.rule, f.status) for f in own] == [("strict-ramp", "missed")]
    assert "above 50% of a full caseload of 10 (5 cases)" in own[0].message


@pytest.mark.parametrize("folder", ["..", *(folder for folder, *_ in EXAMPLES)])
def test_the_project_and_each_plugin_carry_the_full_mit_licence(folder: str) -> None:
    text = (PLUGINS / folder / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 The ecf developers\n")
    assert "Permission is hereby granted, free of charge" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text
    data = tomli.loads((PLUGINS / folder / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["license"] == "MIT"
    assert data["project"]["license-files"] == ["LICENSE"]
