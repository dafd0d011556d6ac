"""The plugin manager: found from metadata, imported only when needed, refused with a reason.

Each test installs its plugins as pip would, a ``.dist-info`` folder with ``METADATA`` and
``entry_points.txt`` beside the plugin's module, into a folder of its own put first on
``sys.path``: ``get_plugins()`` then finds them through ``importlib.metadata`` as it finds any
installed plugin.  Every plugin module touches a marker file when it is imported, so a test
sees an import even in a worker process.
"""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
from typing import TYPE_CHECKING

import attrs
import pytest
from click.testing import CliRunner, Result

from ecf import cohort, hookspecs
from ecf.assessors import AUTOLOAD_ENV, LOAD_ENV, PluginInfo, assess, get_plugins
from ecf.cli import main
from ecf.council import Council, StageAssessors
from ecf.plugin_manager import HOOKS, NOT_INSTALLED
from ecf.store import create
from ecf.testing import check_assessor
from test_assessors import (
    EXPLODING,
    EXPLODING_RULES,
    FINAL,
    GOOD,
    PERSONAL,
    REGISTRY,
    by_assessor,
    council,
    make_record,
)
from test_rules import BASELINE_FILE

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

#: Run first by every plugin module: a marker beside it says it was imported.
MARK = "from pathlib import Path as _Path\n_Path(__file__).with_suffix('.imported').touch()\n"
#: A plugin that must never be imported: it raises (with personal data in the message).
SNEAKY = f"raise RuntimeError({PERSONAL!r})\n"
HOOK_LIST = "ecf's hooks are ecf_assess, ecf_rule_files, ecf_rule_kinds"
#: A plugin with one good hook (``test_assessors.GOOD``), unindented to add functions to it.
GOOD_SOURCE = textwrap.dedent(GOOD)


class Site:
    """A folder of installed distributions, first on ``sys.path``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: list[str] = []

    def install(
        self,
        dist: str,
        version: str,
        plugins: dict[str, str],
        group: str = hookspecs.ENTRY_POINTS,
    ) -> list[str]:
        """Install distribution ``dist`` with one entry-point plugin per name; its modules."""
        stem = dist.replace("-", "_")
        info = self.root / f"{stem}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
        )
        lines = [f"[{group}]"]
        modules = []
        for name, source in plugins.items():
            module = f"{stem}_{name}"
            (self.root / f"{module}.py").write_text(
                MARK + textwrap.dedent(source), encoding="utf-8"
            )
            lines.append(f"{name} = {module}")
            modules.append(module)
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.modules.extend(modules)
        return modules

    def imported(self, module: str) -> bool:
        """Whether ``module`` was imported, in this process or any other."""
        return module in sys.modules or (self.root / f"{module}.imported").exists()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    monkeypatch.delenv(AUTOLOAD_ENV, raising=False)
    monkeypatch.delenv(LOAD_ENV, raising=False)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    found = Site(root)
    yield found
    for module in found.modules:
        sys.modules.pop(module, None)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def write_council(folder: Path, *plugins: str, rules: str | None = None) -> Path:
    folder.mkdir(exist_ok=True)
    names = ", ".join(f'"{p}"' for p in plugins)
    text = f'code = "E09000030"\nname = "Test council"\nplugins = [{names}]\n'
    if rules is not None:
        (folder / "own.toml").write_text(rules, encoding="utf-8")
        text += 'rules = ["own.toml"]\n'
    path = folder / "council.toml"
    path.write_text(text, encoding="utf-8")
    return path


def write_records(folder: Path, count: int) -> Path:
    folder.mkdir()
    for n in range(count):
        create(folder / f"r{n}.toml", attrs.evolve(make_record(), id=f"r{n}"))
    return folder


# 1. Found from metadata; imported only when allowed or listed.


def test_finding_plugins_reads_the_metadata_and_imports_nothing(site: Site) -> None:
    (sneaky,) = site.install("ecf-sneaky", "1.2", {"sneaky": SNEAKY})
    plugins = get_plugins()
    assert plugins.found()["sneaky"] == PluginInfo(
        "sneaky", "1.2", f"ecf-sneaky ({sneaky})", loaded=False
    )
    assert plugins.found()["baseline"].origin == "ecf (ecf.plugins.baseline)"
    assert not site.imported(sneaky)


def test_assess_imports_the_allowed_plugins_and_no_other(site: Site) -> None:
    (sneaky,) = site.install("ecf-sneaky", "1.0", {"sneaky": SNEAKY})
    (good,) = site.install("ecf-good", "2.0", {"good": GOOD})
    plugins = get_plugins()
    alone = assess(make_record(), REGISTRY, FINAL, plugins=plugins)
    assert {f.assessor for f in alone.findings} == {"baseline"}
    assert not site.imported(good)
    result = assess(make_record(), REGISTRY, FINAL, council=council("good"), plugins=plugins)
    assert [(f.rule, f.version) for f in result.findings] == [("caseload", "2.0")]
    assert site.imported(good)
    assert not site.imported(sneaky)
    assert plugins.found()["sneaky"] == PluginInfo(
        "sneaky", "1.0", f"ecf-sneaky ({sneaky})", loaded=False
    )
    # Listing every plugin is the one time they are all imported.
    listed = plugins.load()
    assert site.imported(sneaky)
    error = str(listed["sneaky"].error)
    assert error.startswith(f"failed to import: RuntimeError at {sneaky}.py:")
    assert PERSONAL not in error


def test_the_commands_import_only_what_the_council_allows(site: Site, tmp_path: Path) -> None:
    (sneaky,) = site.install("ecf-sneaky", "1.0", {"sneaky": SNEAKY})
    site.install("ecf-good", "2.0", {"good": GOOD})
    cfg = write_council(tmp_path / "council", "baseline", "good")
    folder = write_records(tmp_path / "records", 3)
    assessed = run("assess", folder / "r0.toml", "--council", cfg, "--as-of", FINAL.isoformat())
    assert assessed.exit_code == 0, assessed.output
    assert "caseload [good 2.0]" in assessed.stdout
    assert assessed.stderr == ""
    for workers in ("1", "2"):
        scanned = run("cohort", folder, "--council", cfg, "--no-cache", "--workers", workers)
        assert scanned.exit_code == 0, scanned.output
        assert scanned.stderr == ""
    checked = run("rules", "check", BASELINE_FILE)  # only built-in kinds: no plugin needed
    assert checked.exit_code == 0, checked.output
    assert not site.imported(sneaky)
    listed = run("plugins", "--json")
    assert listed.exit_code == 0, listed.output
    assert site.imported(sneaky)
    rows = {r["name"]: r for r in json.loads(listed.stdout)["plugins"]}
    assert rows["sneaky"]["loaded"] is False
    assert rows["sneaky"]["error"].startswith("failed to import: RuntimeError at ")
    assert PERSONAL not in listed.stdout


def test_a_plugin_that_does_not_compile_is_named_with_its_line(site: Site) -> None:
    (module,) = site.install("ecf-syntax", "1.0", {"syntax": "def ecf_assess(context)\n"})
    info = get_plugins().load()["syntax"]
    assert info.error == f"failed to import: SyntaxError at {module}.py:3"


def test_the_environment_still_limits_what_loads(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    (good,) = site.install("ecf-good", "2.0", {"good": GOOD})
    monkeypatch.setenv(LOAD_ENV, "other")
    plugins = get_plugins()
    assert plugins.found()["good"].error == f"not in {LOAD_ENV}"
    result = assess(make_record(), REGISTRY, FINAL, council=council("good"), plugins=plugins)
    assert [(f.rule, f.status) for f in result.findings] == [("good:not-loaded", "error")]
    assert not site.imported(good)
    monkeypatch.delenv(LOAD_ENV)
    monkeypatch.setenv(AUTOLOAD_ENV, "1")
    assert get_plugins().load()["good"].error == f"{AUTOLOAD_ENV} is set"
    assert get_plugins().load()["baseline"].loaded
    assert not site.imported(good)


# 2. Two plugins of one name: neither loads, and the reason names both distributions.

DUPLICATE = (
    "2 installed plugins are named 'dup': ecf-dup-a 1.0 (ecf_dup_a_dup) and "
    "ecf-dup-b 2.0 (ecf_dup_b_dup); neither loads (uninstall all but one)"
)


def test_two_plugins_of_one_name_are_both_refused(site: Site) -> None:
    first = site.install("ecf-dup-b", "2.0", {"dup": GOOD})
    second = site.install("ecf-dup-a", "1.0", {"dup": GOOD})
    plugins = get_plugins()
    info = plugins.load()["dup"]
    assert (info.loaded, info.error) == (False, DUPLICATE)
    assert info.origin == "ecf-dup-a (ecf_dup_a_dup); ecf-dup-b (ecf_dup_b_dup)"
    result = assess(make_record(), REGISTRY, FINAL, council=council("dup"), plugins=plugins)
    message = f"allowed plugin 'dup' did not run: {DUPLICATE}; its findings are missing"
    assert [(f.rule, f.status, f.message) for f in result.findings] == [
        ("dup:not-loaded", "error", message)
    ]
    assert result.recommendation == "at-risk"
    assert not any(site.imported(m) for m in [*first, *second])


def test_the_plugins_command_names_both_distributions(site: Site) -> None:
    site.install("ecf-dup-a", "1.0", {"dup": GOOD})
    site.install("ecf-dup-b", "2.0", {"dup": GOOD})
    listed = run("plugins")
    assert listed.exit_code == 0, listed.output
    line = next(x for x in listed.stdout.splitlines() if x.startswith("dup "))
    assert line.endswith(f": not loaded: {DUPLICATE}")


# 3. A function named like a hook that is not one: the plugin is refused, naming it.

TYPOS = {
    "marked": (
        """\
        @hookimpl
        def ecf_asess(context):
            return []
        """,
        "'ecf_asess' (did you mean 'ecf_assess'?), which is not a hook",
    ),
    "unmarked": (
        """\
        def ecf_rule_file(settings):
            return []
        """,
        "'ecf_rule_file' (did you mean 'ecf_rule_files'?), which is not a hook",
    ),
    "specname": (
        """\
        @hookimpl(specname="ecf_asses")
        def judge(context):
            return []
        """,
        "'judge' (as 'ecf_asses') (did you mean 'ecf_assess'?), which is not a hook",
    ),
    "two": (
        """\
        @hookimpl
        def ecf_rules_files(settings):
            return []

        def ecf_zzz():
            return None
        """,
        "'ecf_rules_files' (did you mean 'ecf_rule_files'?), 'ecf_zzz', which are not hooks",
    ),
}


@pytest.mark.parametrize("case", sorted(TYPOS))
def test_a_function_named_like_a_hook_that_is_not_one_refuses_the_plugin(
    site: Site, case: str
) -> None:
    typo, named = TYPOS[case]
    (module,) = site.install(
        "ecf-typo", "1.0", {"typo": GOOD_SOURCE + "\n\n" + textwrap.dedent(typo)}
    )
    plugins = get_plugins()
    info = plugins.load()["typo"]
    assert info.loaded is False
    assert info.hooks == ()
    assert info.error == f"refused: plugin 'typo' defines {named}; {HOOK_LIST}"
    # Allowed, it does not run (not even its good hook): one error finding says why.
    result = assess(make_record(), REGISTRY, FINAL, council=council("typo"), plugins=plugins)
    assert [(f.rule, f.status) for f in result.findings] == [("typo:not-loaded", "error")]
    assert named in result.findings[0].message
    assert result.recommendation == "at-risk"
    with pytest.raises(AssertionError, match="cannot be loaded: refused: plugin 'x' defines"):
        check_assessor(importlib.import_module(module), name="x", max_examples=1)


def test_an_optional_hook_of_a_later_ecf_is_accepted(site: Site) -> None:
    later = "\n\n@hookimpl(optionalhook=True)\ndef ecf_later(context):\n    return None\n"
    site.install("ecf-later", "1.0", {"later": GOOD_SOURCE + later})
    info = get_plugins().load()["later"]
    assert (info.loaded, info.error, info.hooks) == (True, None, ("ecf_assess",))
    assert HOOKS == ("ecf_assess", "ecf_rule_files", "ecf_rule_kinds")


def test_a_hook_with_arguments_the_spec_lacks_is_refused_without_its_path(site: Site) -> None:
    extra = "from ecf import hookimpl\n\n@hookimpl\ndef ecf_assess(context, caseload):\n    pass\n"
    site.install("ecf-extra", "1.0", {"extra": extra})
    info = get_plugins().load()["extra"]
    assert info.loaded is False
    assert str(info.error).startswith("refused: Plugin 'extra' for hook 'ecf_assess'; ")
    assert "{'caseload'}" in str(info.error)
    assert str(site.root) not in str(info.error)


def test_the_plugins_command_shows_the_refusal(site: Site) -> None:
    site.install(
        "ecf-typo", "1.0", {"typo": GOOD_SOURCE + "\n\ndef ecf_asess(context):\n    pass\n"}
    )
    rows = {r["name"]: r for r in json.loads(run("plugins", "--json").stdout)["plugins"]}
    assert rows["typo"]["loaded"] is False
    assert rows["typo"]["error"] == (
        f"refused: plugin 'typo' defines 'ecf_asess' (did you mean 'ecf_assess'?), "
        f"which is not a hook; {HOOK_LIST}"
    )


# 4. An allowed plugin that is not installed or did not load: an error finding and a warning.

GHOST = f"allowed plugin 'ghost' did not run: {NOT_INSTALLED}; its findings are missing"


def test_an_allowed_plugin_not_installed_is_an_error_finding() -> None:
    plugins = get_plugins(entry_points=[])
    ready = assess(make_record(), REGISTRY, FINAL, council=council("baseline"), plugins=plugins)
    assert ready.recommendation == "ready"
    cfg = council("baseline", "ghost")
    result = assess(make_record(), REGISTRY, FINAL, council=cfg, plugins=plugins)
    ghost = by_assessor(result, "ghost")
    assert [(f.rule, f.status, f.message) for f in ghost] == [("ghost:not-loaded", "error", GHOST)]
    assert len(by_assessor(result, "baseline")) == 10
    assert result.recommendation == "at-risk"
    (row,) = cohort.rows([make_record()], FINAL, REGISTRY, council=cfg, plugins=plugins)
    assert row.recommendation == "at-risk"
    assert row.reasons == ("ghost:not-loaded: error",)


def test_a_plugin_allowed_for_other_stages_only_is_not_an_error() -> None:
    cfg = Council(
        code="E09000030",
        name="Test council",
        plugins=("baseline", "ghost"),
        assess=(StageAssessors(stages=("asye",), assessors=("baseline",)),),
    )
    plugins = get_plugins(entry_points=[])
    result = assess(make_record(), REGISTRY, FINAL, council=cfg, plugins=plugins)
    assert {f.assessor for f in result.findings} == {"baseline"}
    assert result.recommendation == "ready"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_commands_warn_once_of_an_allowed_plugin_that_did_not_load(
    site: Site, tmp_path: Path, workers: str
) -> None:
    (broken,) = site.install("ecf-broken", "1.0", {"broken": SNEAKY})
    cfg = write_council(tmp_path / "council", "baseline", "ghost", "broken")
    folder = write_records(tmp_path / "records", 3)
    scanned = run(
        "cohort", folder, "--council", cfg, "--no-cache", "--workers", workers, "--format", "json"
    )
    assert scanned.exit_code == 0, scanned.output
    warnings = scanned.stderr.splitlines()
    then = "its findings are missing, so recommendations are at-risk"
    assert warnings == [
        f"warning: council E09000030 allows plugin 'ghost', which did not load: {NOT_INSTALLED}; "
        + then,
        "warning: council E09000030 allows plugin 'broken', which did not load: "
        f"failed to import: RuntimeError at {broken}.py:3; " + then,
    ]
    records = json.loads(scanned.stdout)["records"]
    assert [r["recommendation"] for r in records] == ["at-risk"] * 3
    assert all(
        r["reasons"] == ["ghost:not-loaded: error", "broken:not-loaded: error"] for r in records
    )
    assessed = run("assess", folder / "r0.toml", "--council", cfg, "--as-of", FINAL.isoformat())
    assert assessed.exit_code == 0, assessed.output
    assert assessed.stderr.splitlines() == warnings
    assert "recommendation at-risk" in assessed.stdout
    assert f"  ERR ghost:not-loaded [ghost]: {GHOST}" in assessed.stdout.splitlines()
    listed = run("plugins", "--council", cfg)
    assert listed.exit_code == 0, listed.output
    assert f"ghost: not loaded: {NOT_INSTALLED}" in listed.stdout.splitlines()
    assert PERSONAL not in assessed.output + scanned.output


# 5. Every rule set runs through the isolation guard, the council's own included.


def test_a_council_rule_kind_that_raises_does_not_sink_the_command(
    site: Site, tmp_path: Path
) -> None:
    (module,) = site.install("ecf-exploding", "1.0", {"exploding": EXPLODING})
    cfg = write_council(tmp_path / "council", "baseline", "exploding", rules=EXPLODING_RULES)
    folder = write_records(tmp_path / "records", 1)
    assessed = run("assess", folder / "r0.toml", "--council", cfg, "--as-of", FINAL.isoformat())
    assert assessed.exit_code == 0, assessed.output
    assert "recommendation at-risk" in assessed.stdout
    assert (
        "  ERR council:E09000030:rules [council:E09000030 own-1]: assessor 'council:E09000030' "
        f"failed in rules: raised ValueError at {module}.py:"
    ) in assessed.stdout
    assert "Secret Street" not in assessed.output
    checked = run("rules", "check", cfg.with_name("own.toml"))  # a plugin's kind: plugins load
    assert checked.stdout == f"{cfg.with_name('own.toml')}: ok (own-1, 1 rules)\n"
    scanned = run("cohort", folder, "--council", cfg, "--no-cache", "--format", "json")
    assert scanned.exit_code == 0, scanned.output
    (row,) = json.loads(scanned.stdout)["records"]
    assert row["reasons"] == ["council:E09000030:rules: error"]


def test_a_plugin_in_the_old_ecf_group_runs_with_a_warning_naming_it(
    site: Site, tmp_path: Path
) -> None:
    site.install("ecf-old", "1.0", {"old": GOOD}, group=hookspecs.LEGACY_ENTRY_POINTS)
    cfg = write_council(tmp_path / "council", "baseline", "old")
    record = write_records(tmp_path / "records", 1) / "r0.toml"
    assessed = run("assess", record, "--council", cfg, "--as-of", FINAL.isoformat())
    assert assessed.exit_code == 0, assessed.output
    assert "caseload [old 1.0]" in assessed.stdout
    assert assessed.stderr == (
        "warning: plugin 'old' (ecf-old (ecf_old_old)) is registered in the deprecated "
        "entry-point group 'ecf'; register it in 'ecf_social_work.assessors' (the old group "
        "is read until ecf 1.0)\n"
    )
