"""Assessor plugins: finding them, the allow-list, isolation of bad plugins, what-if.

Each test writes its plugin modules into ``tmp_path`` and hands ``get_plugins`` its own entry
points, so nothing installed in the environment is involved.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import itertools
import sys
import textwrap
from typing import TYPE_CHECKING

import pytest
import tomli

from ecf._convert import to_json
from ecf.assessors import (
    AUTOLOAD_ENV,
    LOAD_ENV,
    Assessment,
    assess,
    context_for,
    get_plugins,
    what_if,
)
from ecf.council import Council, StageAssessors
from ecf.framework import FrameworkRegistry
from ecf.records import Enrolment, Evidence, Record
from ecf.rules import Finding, RuleError, load_rules_data
from ecf.store import create, read_record
from test_rules import BASELINE_FILE, complete

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

D = dt.date
REGISTRY = FrameworkRegistry.default()
START = D(2025, 9, 1)
FINAL = D(2026, 9, 1)
PERSONAL = "Alex Example lives at 1 Secret Street"
_names = itertools.count()

EntryPoint = importlib.metadata.EntryPoint


def make_record(evidence: tuple[Evidence, ...] | None = None) -> Record:
    return Record(
        schema_version=1,
        id="r1",
        name="Alex Example",
        qualified=D(2025, 6, 1),
        service="children",
        enrolments=(Enrolment("asye", START, "baseline-2026"),),
        evidence=complete() if evidence is None else evidence,
    )


def council(*plugins: str, **plugin_settings: dict[str, object]) -> Council:
    return Council(
        code="E09000030", name="Test council", plugins=plugins, plugin=dict(plugin_settings)
    )


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(AUTOLOAD_ENV, raising=False)
    monkeypatch.delenv(LOAD_ENV, raising=False)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)


@pytest.fixture
def make_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str, str], EntryPoint]]:
    """Write a plugin module into ``tmp_path``; return an entry point naming it."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    modules: list[str] = []

    def make(name: str, source: str) -> EntryPoint:
        module = f"ecf_test_plugin_{next(_names)}"
        (folder / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        modules.append(module)
        return EntryPoint(name=name, value=module, group="ecf")

    yield make
    for module in modules:
        sys.modules.pop(module, None)


GOOD = """\
    from ecf import hookimpl
    from ecf.rules import Finding

    @hookimpl
    def ecf_assess(context):
        seen = tuple(e.id for e in context.evidence(["direct-observation"]))
        caseload = context.settings.get("full_caseload")
        return [
            Finding(
                "caseload",
                "",
                "",
                "pending",
                f"{len(seen)} observations; full caseload {caseload}",
                evidence=seen,
                deadline=context.due("review-6m"),
            )
        ]
"""


def by_assessor(result: Assessment, name: str) -> list[Finding]:
    return [f for f in result.findings if f.assessor == name]


def test_default_plugins_hold_the_baseline_only_once() -> None:
    ep = EntryPoint(name="baseline", value="ecf.plugins.baseline", group="ecf")
    plugins = get_plugins(entry_points=[ep])
    assert list(plugins.infos) == ["baseline"]
    info = plugins.infos["baseline"]
    assert info.loaded is True
    assert info.hooks == ("ecf_assess", "ecf_rule_files")
    assert plugins.allowed(None) == ("baseline",)
    installed = get_plugins()
    assert installed.infos["baseline"].loaded is True
    assert installed.infos["baseline"].origin == "ecf (ecf.plugins.baseline)"


def test_baseline_alone_without_a_council() -> None:
    result = assess(make_record(), REGISTRY, FINAL, plugins=get_plugins(entry_points=[]))
    assert result.recommendation == "ready"
    assert result.id == "r1"
    assert result.stage == "asye"
    assert result.council is None
    assert {f.assessor for f in result.findings} == {"baseline"}
    assert len(result.findings) == 10
    assert all(f.version == "baseline-2026.2" for f in result.findings)


def test_an_allowed_plugin_runs_and_its_findings_carry_its_name(
    make_plugin: Callable[[str, str], EntryPoint],
) -> None:
    plugins = get_plugins(entry_points=[make_plugin("good", GOOD)])
    info = plugins.infos["good"]
    assert (info.loaded, info.error, info.hooks) == (True, None, ("ecf_assess",))
    allowed = council("baseline", "good", good={"full_caseload": 20})
    result = assess(make_record(), REGISTRY, FINAL, council=allowed, plugins=plugins)
    good = by_assessor(result, "good")
    assert len(good) == 1
    assert good[0].rule == "caseload"
    assert good[0].message == "3 observations; full caseload 20"
    assert good[0].evidence == ("ev-010", "ev-020", "ev-030")
    assert good[0].deadline == D(2026, 3, 1)
    assert good[0].version == "unknown"  # no distribution behind a hand-made entry point
    assert len(by_assessor(result, "baseline")) == 10
    assert result.council == "E09000030"
    assert result.recommendation == "on-track"  # the plugin's finding is pending


def test_a_plugin_not_allowed_never_runs(make_plugin: Callable[[str, str], EntryPoint]) -> None:
    plugins = get_plugins(entry_points=[make_plugin("good", GOOD)])
    rec = make_record()
    alone = assess(rec, REGISTRY, FINAL, plugins=plugins)
    assert by_assessor(alone, "good") == []
    assert alone.recommendation == "ready"
    not_listed = assess(rec, REGISTRY, FINAL, council=council("baseline"), plugins=plugins)
    assert by_assessor(not_listed, "good") == []
    only_good = assess(rec, REGISTRY, FINAL, council=council("good"), plugins=plugins)
    assert {f.assessor for f in only_good.findings} == {"good"}


def test_per_stage_assessors(make_plugin: Callable[[str, str], EntryPoint]) -> None:
    plugins = get_plugins(entry_points=[make_plugin("good", GOOD)])
    cfg = Council(
        code="E09000030",
        name="Test council",
        plugins=("baseline", "good"),
        assess=(StageAssessors(stages=("asye",), assessors=("good",)),),
    )
    result = assess(make_record(), REGISTRY, FINAL, council=cfg, plugins=plugins)
    assert {f.assessor for f in result.findings} == {"good"}


def test_a_plugin_that_fails_to_import_is_listed_and_the_others_run(
    make_plugin: Callable[[str, str], EntryPoint],
) -> None:
    broken = make_plugin("broken", f"raise RuntimeError({PERSONAL!r})\n")
    missing = EntryPoint(name="missing", value="ecf_test_no_such_module", group="ecf")
    plugins = get_plugins(entry_points=[broken, make_plugin("good", GOOD), missing])
    info = plugins.infos["broken"]
    assert info.loaded is False
    assert info.error is not None
    assert info.error.startswith("failed to import: RuntimeError at ecf_test_plugin_")
    assert info.error.endswith(".py:1")
    assert PERSONAL not in info.error
    assert plugins.infos["missing"].loaded is False
    assert plugins.infos["missing"].error == (
        "failed to import: ModuleNotFoundError (no module named 'ecf_test_no_such_module')"
    )
    assert plugins.allowed(["baseline", "broken", "good", "missing"]) == ("baseline", "good")
    cfg = council("baseline", "broken", "good", "missing")
    result = assess(make_record(), REGISTRY, FINAL, council=cfg, plugins=plugins)
    assert {f.assessor for f in result.findings} == {"baseline", "broken", "good", "missing"}
    errors = {f.assessor: f for f in result.findings if f.status == "error"}
    assert sorted(errors) == ["broken", "missing"]
    assert errors["broken"].rule == "broken:not-loaded"
    assert errors["broken"].message.startswith(
        "allowed plugin 'broken' did not run: failed to import: RuntimeError at ecf_test_plugin_"
    )
    assert PERSONAL not in errors["broken"].message
    assert [f.rule for f in by_assessor(result, "good")] == ["caseload"]


MISBEHAVING = {
    "raises": (
        """\
        from ecf import hookimpl

        @hookimpl
        def ecf_assess(context):
            raise ValueError(f"cannot judge {context.record.name} at 1 Secret Street")
        """,
        "ecf_assess",
        "raised ValueError at ecf_test_plugin_",
    ),
    "not-a-finding": (
        """\
        from ecf import hookimpl

        @hookimpl
        def ecf_assess(context):
            return [{"rule": "x", "status": "met", "message": "fine"}]
        """,
        "ecf_assess",
        "returned a dict, not a Finding",
    ),
    "bad-status": (
        """\
        from ecf import hookimpl
        from ecf.rules import Finding

        @hookimpl
        def ecf_assess(context):
            return [Finding("x", "", "", "fine", "all good")]
        """,
        "ecf_assess",
        "returned a malformed finding (rule 'x', status 'fine')",
    ),
    "unknown-evidence": (
        """\
        from ecf import hookimpl
        from ecf.rules import Finding

        @hookimpl
        def ecf_assess(context):
            return [Finding("x", "", "", "met", "seen", evidence=("ev-001", "ev-999"))]
        """,
        "ecf_assess",
        "cited evidence the record does not hold: ev-999",
    ),
    "mutates": (
        """\
        from ecf import hookimpl

        @hookimpl
        def ecf_assess(context):
            context.record.extra["x"] = 1
            return []
        """,
        "ecf_assess",
        "changed the record it was given",
    ),
    "bad-kinds": (
        """\
        from ecf import hookimpl

        @hookimpl
        def ecf_rule_kinds():
            return ["not", "a", "dict"]
        """,
        "ecf_rule_kinds",
        "did not return a dict of kind name to rule class",
    ),
    "bad-rule-file": (
        """\
        from pathlib import Path
        from ecf import hookimpl

        @hookimpl
        def ecf_rule_files(settings):
            return [Path(__file__).with_name("no-such-rules.toml")]
        """,
        "ecf_rule_files",
        "no-such-rules.toml: cannot read",
    ),
}


@pytest.mark.parametrize("case", sorted(MISBEHAVING))
def test_a_misbehaving_plugin_yields_one_error_and_the_others_still_run(
    make_plugin: Callable[[str, str], EntryPoint], case: str
) -> None:
    source, hook, problem = MISBEHAVING[case]
    plugins = get_plugins(entry_points=[make_plugin("bad", source), make_plugin("good", GOOD)])
    clean = assess(make_record(), REGISTRY, FINAL, plugins=plugins)
    cfg = council("bad", "baseline", "good")  # the bad one runs first
    result = assess(make_record(), REGISTRY, FINAL, council=cfg, plugins=plugins)
    errors = [f for f in result.findings if f.status == "error"]
    assert len(errors) == 1
    error = errors[0]
    assert error.assessor == "bad"
    assert error.rule == f"bad:{hook}"
    assert error.message.startswith(f"assessor 'bad' failed in {hook}: ")
    assert problem in error.message
    assert error.message.endswith("; its findings are missing")
    assert "Secret Street" not in error.message
    assert "Alex Example" not in error.message
    assert by_assessor(result, "baseline") == list(clean.findings)
    assert [f.rule for f in by_assessor(result, "good")] == ["caseload"]
    assert [f for f in result.findings if f.assessor == "bad" and f is not error] == []
    assert result.recommendation == "at-risk"  # everything else met or pending: an error blocks


def test_a_mutating_plugin_blocks_ready(make_plugin: Callable[[str, str], EntryPoint]) -> None:
    source, _, _ = MISBEHAVING["mutates"]
    plugins = get_plugins(entry_points=[make_plugin("bad", source)])
    result = assess(
        make_record(), REGISTRY, FINAL, council=council("baseline", "bad"), plugins=plugins
    )
    assert [f.status for f in result.findings if f.assessor == "baseline"].count("met") == 8
    assert result.recommendation == "at-risk"


def test_a_mutating_plugin_changes_neither_the_callers_record_nor_later_plugins(
    make_plugin: Callable[[str, str], EntryPoint],
) -> None:
    source, _, _ = MISBEHAVING["mutates"]
    plugins = get_plugins(entry_points=[make_plugin("bad", source), make_plugin("good", GOOD)])
    rec = make_record()
    assess(rec, REGISTRY, FINAL, council=council("bad", "good"), plugins=plugins)
    assert rec.extra == make_record().extra
    assert "x" not in rec.extra


def test_a_third_party_plugin_may_not_take_the_baseline_name(
    make_plugin: Callable[[str, str], EntryPoint],
) -> None:
    plugins = get_plugins(entry_points=[make_plugin("baseline", GOOD)])
    assert plugins.infos["baseline"].origin.startswith("ecf (")
    impostor = [i for n, i in plugins.infos.items() if n != "baseline" and i.name == "baseline"]
    assert len(impostor) == 1
    assert not impostor[0].loaded
    assert impostor[0].error is not None
    assert "reserved" in impostor[0].error


RULE_KIND = """\
    from pathlib import Path
    from typing import ClassVar

    import attrs

    from ecf import hookimpl
    from ecf.rules import Finding


    @attrs.frozen
    class NoWeekendRule:
        kind: ClassVar[str] = "no-weekend"
        id: str
        evidence: tuple[str, ...]
        title: str = ""
        stages: tuple[str, ...] = ()
        services: tuple[str, ...] = ()
        standards: tuple[str, ...] = ()

        def evaluate(self, ctx, results):
            weekend = tuple(e.id for e in ctx.evidence(self.evidence) if e.date.weekday() >= 5)
            status = "missed" if weekend else "met"
            return Finding(self.id, "", "", status, f"{len(weekend)} on a weekend", weekend)


    @hookimpl
    def ecf_rule_kinds():
        return {"no-weekend": NoWeekendRule}


    @hookimpl
    def ecf_rule_files(settings):
        return [Path(__file__).with_name(settings.get("file", "weekend.toml"))]
"""

WEEKEND_RULES = """\
version = "weekend-1"
framework = "baseline-2026"

[[rules]]
id = "supervision-on-weekdays"
kind = "no-weekend"
evidence = ["supervision"]
stages = ["asye"]

[[rules]]
id = "all-weekdays"
kind = "all-of"
rules = ["supervision-on-weekdays"]
"""


def test_a_plugin_rule_kind_is_usable_from_its_rule_files(
    make_plugin: Callable[[str, str], EntryPoint], tmp_path: Path
) -> None:
    ep = make_plugin("weekend", RULE_KIND)
    (tmp_path / "plugins" / "weekend.toml").write_text(WEEKEND_RULES, encoding="utf-8")
    plugins = get_plugins(entry_points=[ep])
    assert plugins.infos["weekend"].hooks == ("ecf_rule_files", "ecf_rule_kinds")
    rec = make_record()
    weekend = [e for e in rec.evidence if e.kind == "supervision" and e.date.weekday() >= 5]
    assert [e.id for e in weekend] == ["ev-027", "ev-037"]
    result = assess(rec, REGISTRY, FINAL, council=council("baseline", "weekend"), plugins=plugins)
    found = {f.rule: f for f in by_assessor(result, "weekend")}
    assert found["supervision-on-weekdays"].status == "missed"
    assert found["supervision-on-weekdays"].message == "2 on a weekend"
    assert found["supervision-on-weekdays"].evidence == ("ev-027", "ev-037")
    assert found["supervision-on-weekdays"].version == "weekend-1"
    assert found["all-weekdays"].status == "missed"
    assert result.recommendation == "not-met"
    # The kind exists only while its plugin is allowed: the same file fails to load without it.
    data = tomli.loads(WEEKEND_RULES)
    with pytest.raises(RuleError, match="unknown kind"):
        load_rules_data(data, REGISTRY.get(), file="weekend.toml")
    # The plugin's settings reach ecf_rule_files.
    (tmp_path / "plugins" / "other.toml").write_text(
        WEEKEND_RULES.replace('"no-weekend"', '"count"\nmin = 1'), encoding="utf-8"
    )
    other = council("weekend", weekend={"file": "other.toml"})
    counted = assess(rec, REGISTRY, FINAL, council=other, plugins=plugins)
    assert {f.rule: f.status for f in counted.findings} == {
        "supervision-on-weekdays": "met",
        "all-weekdays": "met",
    }


def test_autoload_can_be_disabled(
    make_plugin: Callable[[str, str], EntryPoint], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(AUTOLOAD_ENV, "1")
    plugins = get_plugins(entry_points=[make_plugin("good", GOOD)])
    info = plugins.infos["good"]
    assert info.loaded is False
    assert info.error == "ECF_DISABLE_PLUGIN_AUTOLOAD is set"
    assert plugins.infos["baseline"].loaded is True
    result = assess(
        make_record(), REGISTRY, FINAL, council=council("baseline", "good"), plugins=plugins
    )
    # Allowed but left out: it never runs, and the assessment says so rather than judging
    # without the council's rules.
    assert [(f.rule, f.status) for f in by_assessor(result, "good")] == [
        ("good:not-loaded", "error")
    ]
    assert "ECF_DISABLE_PLUGIN_AUTOLOAD is set" in by_assessor(result, "good")[0].message
    assert result.recommendation == "at-risk"
    monkeypatch.setenv(AUTOLOAD_ENV, "0")
    assert get_plugins(entry_points=[make_plugin("good", GOOD)]).infos["good"].loaded is True


def test_only_the_plugins_named_are_loaded(
    make_plugin: Callable[[str, str], EntryPoint], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LOAD_ENV, "good")
    other = make_plugin("other", GOOD)
    plugins = get_plugins(entry_points=[make_plugin("good", GOOD), other])
    assert plugins.infos["good"].loaded is True
    assert plugins.infos["other"].loaded is False
    assert plugins.infos["other"].error == "not in ECF_LOAD_PLUGINS"
    assert plugins.allowed(["baseline", "good", "other"]) == ("baseline", "good")
    monkeypatch.setenv(LOAD_ENV, "")
    none = get_plugins(entry_points=[make_plugin("good", GOOD)])
    assert none.infos["good"].loaded is False
    assert none.infos["baseline"].loaded is True


def test_assess_writes_nothing(
    make_plugin: Callable[[str, str], EntryPoint], tmp_path: Path
) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    path = folder / "r1.toml"
    create(path, make_record())
    before = path.read_bytes()
    rec = read_record(path)
    source, _, _ = MISBEHAVING["mutates"]
    plugins = get_plugins(entry_points=[make_plugin("bad", source), make_plugin("good", GOOD)])
    result = assess(
        rec, REGISTRY, FINAL, council=council("baseline", "bad", "good"), plugins=plugins
    )
    assert result.recommendation == "at-risk"
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["r1.toml"]


def proposed_rules() -> tuple[dict[str, object], list[dict[str, object]]]:
    data = tomli.loads(BASELINE_FILE.read_text(encoding="utf-8"))
    rules: list[dict[str, object]] = data["rules"]
    return data, rules


def test_what_if_lists_exactly_the_changed_rules() -> None:
    data, rules = proposed_rules()
    rules[0]["min"] = 4  # direct observations: 4 instead of 3
    rules[:] = [r for r in rules if r["id"] != "cpd-records"]
    rules.append({"id": "pdps", "kind": "count", "evidence": ["pdp"], "min": 4, "stages": ["asye"]})
    data["version"] = "proposed-1"
    proposed = load_rules_data(data, REGISTRY.get(), file="proposed.toml")
    plugins = get_plugins(entry_points=[])
    rec = make_record()
    current = assess(rec, REGISTRY, FINAL, plugins=plugins)
    after = assess(rec, REGISTRY, FINAL, plugins=plugins, rules=[proposed])
    assert {f.assessor for f in after.findings} == {"proposed"}
    assert after.recommendation == "at-risk"  # 3 of 4 with the deadline today: behind
    changes = what_if(current, after)
    assert [c.rule for c in changes] == ["direct-observations", "cpd-records", "pdps"]
    do, cpd, pdp = changes
    assert to_json(do) == {
        "rule": "direct-observations",
        "before": "met",
        "after": "pending",
        "before_message": "3 of 3 direct observations by the final review (due 2026-09-01)",
        "after_message": "3 of 4 direct observations by the final review (due 2026-09-01); "
        "missing 1",
    }
    assert (cpd.before is not None, cpd.after) == (True, None)
    assert pdp.before is None
    assert pdp.after is not None
    assert pdp.after.message == (
        "0 of 4 professional development plans by the final review (due 2026-09-01); missing 4"
    )
    assert what_if(current, current) == ()


def test_what_if_keeps_python_assessors(make_plugin: Callable[[str, str], EntryPoint]) -> None:
    plugins = get_plugins(entry_points=[make_plugin("good", GOOD)])
    data, _ = proposed_rules()
    proposed = load_rules_data(data, REGISTRY.get(), file="same.toml")
    cfg = council("baseline", "good")
    current = assess(make_record(), REGISTRY, FINAL, council=cfg, plugins=plugins)
    after = assess(make_record(), REGISTRY, FINAL, council=cfg, plugins=plugins, rules=[proposed])
    assert [f.rule for f in by_assessor(after, "good")] == ["caseload"]
    assert len(by_assessor(after, "proposed")) == 10
    assert what_if(current, after) == ()


def test_context_for_picks_the_stage_started_by_the_as_of_date() -> None:
    rec = make_record()
    ctx = context_for(rec, REGISTRY, D(2025, 1, 1))  # before the start: the first stage
    assert ctx.enrolment.start == START
    assert ctx.as_of == D(2025, 1, 1)
    assert ctx.evidence() == ()
    assert dict(ctx.settings) == {}


EXPLODING = """\
    from typing import ClassVar

    import attrs

    from ecf import hookimpl


    @attrs.frozen
    class ExplodingRule:
        kind: ClassVar[str] = "explode"
        id: str
        title: str = ""
        stages: tuple[str, ...] = ()
        services: tuple[str, ...] = ()
        standards: tuple[str, ...] = ()

        def evaluate(self, ctx, results):
            raise ValueError("cannot judge Alex Example at 1 Secret Street")


    @hookimpl
    def ecf_rule_kinds():
        return {"explode": ExplodingRule}
"""

EXPLODING_RULES = """\
version = "own-1"
framework = "baseline-2026"

[[rules]]
id = "boom"
kind = "explode"
"""

COUNTING_RULES = """\
version = "own-2"
framework = "baseline-2026"

[[rules]]
id = "supervised"
kind = "count"
evidence = ["supervision"]
min = 1
"""


def test_a_council_rule_kind_that_raises_is_one_error_and_the_rest_still_runs(
    make_plugin: Callable[[str, str], EntryPoint], tmp_path: Path
) -> None:
    (tmp_path / "explode.toml").write_text(EXPLODING_RULES, encoding="utf-8")
    (tmp_path / "count.toml").write_text(COUNTING_RULES, encoding="utf-8")
    cfg = Council(
        code="E09000030",
        name="Test council",
        plugins=("baseline", "exploding"),
        rules=("explode.toml", "count.toml"),
        file=str(tmp_path / "council.toml"),
    )
    plugins = get_plugins(entry_points=[make_plugin("exploding", EXPLODING)])
    result = assess(make_record(), REGISTRY, FINAL, council=cfg, plugins=plugins)
    own = by_assessor(result, "council:E09000030")
    assert [(f.rule, f.status, f.version) for f in own] == [
        ("council:E09000030:rules", "error", "own-1"),
        ("supervised", "met", "own-2"),
    ]
    assert own[0].message.startswith(
        "assessor 'council:E09000030' failed in rules: raised ValueError at ecf_test_plugin_"
    )
    assert "Secret Street" not in own[0].message
    assert len(by_assessor(result, "baseline")) == 10
    assert result.recommendation == "at-risk"


def test_a_proposed_rule_kind_that_raises_is_one_error(
    make_plugin: Callable[[str, str], EntryPoint],
) -> None:
    plugins = get_plugins(entry_points=[make_plugin("exploding", EXPLODING)])
    kinds, _ = plugins.rule_kinds(plugins.allowed(["exploding"]))
    data = tomli.loads(EXPLODING_RULES)
    proposed = load_rules_data(data, REGISTRY.get(), file="proposed.toml", kinds=kinds)
    cfg = council("baseline", "exploding")
    result = assess(make_record(), REGISTRY, FINAL, council=cfg, plugins=plugins, rules=[proposed])
    assert [(f.rule, f.assessor, f.status) for f in result.findings] == [
        ("proposed:rules", "proposed", "error")
    ]
    assert "raised ValueError at ecf_test_plugin_" in result.findings[0].message
    assert "Secret Street" not in result.findings[0].message
