"""A council's configuration (``council.toml``): its rules, its plugins, its settings.

Example::

    code = "E09000030"
    name = "Tower Hamlets"
    framework = "baseline-2026"        # the framework version new stages start under
    plugins = ["baseline", "caseload"] # allow-list: an installed plugin not named never runs
    rule_files = ["rules/stricter.toml"]  # the council's own rule files, relative to this file
                                          # (``rules = [...]`` when no rule is tuned)

    [settings]
    pause_threshold_days = 28          # a pausing absence this long stops the clock
    completion_months = 24             # every stage must be passed within 24 months of its start
    agency_rules = "statutory-2024"    # or "consultation-2023"
    review_cadence = "calendar"        # reviews by calendar months; default "pro-rata"

    [rules.supervision]                # one rule of the baseline (or any allowed plugin) tuned
    enabled = false
    reason = "supervision is recorded in the HR system"

    [rules.direct-observations]
    min = 4                            # any parameter of the rule's kind (docs/rules.md)

    [[assess]]                         # which assessors and rule files run for which stages
    stages = ["expert"]
    assessors = ["baseline"]

    [plugin.caseload]                  # settings handed to one plugin
    full_caseload = 20
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from ecf._convert import structure
from ecf.council_settings import CouncilSettings  # re-exported: it lived here
from ecf.errors import EcfError, Problem
from ecf.limits import load_toml

__all__ = [
    "Council",
    "CouncilError",
    "CouncilSettings",
    "RuleOverride",
    "StageAssessors",
    "load_council",
]


class CouncilError(EcfError, ValueError):
    """A council configuration is malformed or invalid."""


@attrs.frozen
class RuleOverride:
    """A council's change to one rule of its assessors (``[rules.ID]`` in ``council.toml``).

    Attributes:
        rule: The rule's id (``supervision``).
        enabled: ``False`` switches the rule off: its finding is ``not-applicable`` and shows
            ``reason``.
        reason: Why; required when the rule is switched off.
        params: The rule's parameters replaced (``{"min": 2}``), checked against the rule's
            kind when the rules are loaded (:func:`ecf.tuning.check_council`).
    """

    rule: str
    enabled: bool = True
    reason: str | None = None
    params: dict[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen
class StageAssessors:
    """Which assessors (plugins) and extra rule files run for some stages."""

    stages: tuple[str, ...] = ()
    assessors: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()


@attrs.frozen
class Council:
    """A council's configuration.

    Attributes:
        code: The council's code (``E09000030``).
        plugins: The allow-list of plugins that may run.
        rules: Rule files of the council's own, for every stage (paths relative to ``file``).
        assess: Per-stage choices of assessors and rule files; stages not named run every
            allowed assessor.
        plugin: Settings for each plugin, by plugin name.
        overrides: Single rules switched off or tuned (``[rules.ID]`` tables), in file order.
    """

    code: str
    name: str
    framework: str | None = None
    plugins: tuple[str, ...] = ("baseline",)
    rules: tuple[str, ...] = ()
    settings: CouncilSettings = attrs.field(factory=CouncilSettings)
    assess: tuple[StageAssessors, ...] = ()
    plugin: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    file: str | None = None
    overrides: tuple[RuleOverride, ...] = ()

    def _entry(self, stage: str) -> StageAssessors | None:
        return next((a for a in self.assess if stage in a.stages), None)

    def assessors_for(self, stage: str) -> tuple[str, ...]:
        """The allowed assessors that run for a stage."""
        entry = self._entry(stage)
        chosen = entry.assessors if entry and entry.assessors else self.plugins
        return tuple(a for a in chosen if a in self.plugins)

    def rule_files_for(self, stage: str) -> tuple[Path, ...]:
        """The council's own rule files for a stage, resolved against the config's folder."""
        entry = self._entry(stage)
        names = [*self.rules, *(entry.rules if entry else ())]
        folder = Path(self.file).parent if self.file else Path()
        return tuple(folder / n for n in names)

    def settings_for(self, plugin: str) -> dict[str, Any]:
        """The settings the council gives one plugin."""
        return dict(self.plugin.get(plugin, {}))

    def all_rule_files(self) -> tuple[Path, ...]:
        """Every rule file of the council's own, for any stage, resolved and without repeats."""
        folder = Path(self.file).parent if self.file else Path()
        names = [*self.rules, *(n for entry in self.assess for n in entry.rules)]
        return tuple(folder / n for n in dict.fromkeys(names))


#: The keys of an override that are not the rule's parameters.
_OVERRIDE_KEYS = ("enabled", "reason")


def _override(rule: str, raw: object, file: str) -> tuple[RuleOverride | None, list[Problem]]:
    """One ``[rules.ID]`` table, checked for what the council file alone can tell."""
    where = f"rules.{rule}"
    if not isinstance(raw, dict):
        return None, [Problem("expected a table ([rules.ID])", where, type(raw).__name__, file)]
    problems = []
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append(Problem("expected true or false", f"{where}.enabled", enabled, file))
    reason = raw.get("reason")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()):
        problems.append(Problem("expected a sentence", f"{where}.reason", reason, file))
        reason = None
    params = {k: v for k, v in raw.items() if k not in _OVERRIDE_KEYS}
    if enabled is False:
        if reason is None and "reason" not in raw:
            problems.append(
                Problem(
                    "a rule switched off needs a reason (each assessment shows it)",
                    f"{where}.reason",
                    None,
                    file,
                )
            )
        problems.extend(
            Problem("a rule switched off takes no parameters", f"{where}.{k}", v, file)
            for k, v in params.items()
        )
    elif not params and enabled is True:
        problems.append(
            Problem(
                "changes nothing: give a parameter, or enabled = false with a reason",
                where,
                None,
                file,
            )
        )
    if problems:
        return None, problems
    return RuleOverride(rule, bool(enabled), reason, params), []


def _split_rules(data: dict[str, Any], file: str) -> tuple[list[RuleOverride], list[Problem]]:
    """Take ``[rules.ID]`` overrides out of the parsed file; rule files stay in ``rules``.

    ``rules`` is either a list of rule files (as before overrides existed) or a table of
    overrides, the files then in ``rule_files``.
    """
    problems: list[Problem] = []
    overrides: list[RuleOverride] = []
    if "overrides" in data:  # the attribute's name is no key of a council file
        problems.append(Problem("unknown keys: overrides", "", None, file))
        del data["overrides"]
    raw = data.get("rules")
    files = data.pop("rule_files", None)
    if isinstance(raw, dict):
        for rule, entry in raw.items():
            found, bad = _override(str(rule), entry, file)
            problems.extend(bad)
            if found is not None:
                overrides.append(found)
        data["rules"] = files if files is not None else []
    elif files is not None:
        if raw is not None:
            problems.append(
                Problem(
                    "rule files are listed once: rules = [...], or rule_files = [...] beside "
                    "[rules.ID] tables",
                    "rule_files",
                    None,
                    file,
                )
            )
        else:
            data["rules"] = files
    return overrides, problems


def load_council(path: str | Path) -> Council:
    """Read and check a ``council.toml``.

    Raises:
        CouncilError: the file is missing or malformed, has unknown keys, names a rule file
            that does not exist, or an ``[[assess]]`` entry names a plugin that is not in the
            allow-list; a ``[rules.ID]`` override is not a table, switches a rule off without a
            reason or changes nothing.  Whether the rule and its parameters exist is checked
            against the rules themselves (:func:`ecf.tuning.check_council`).
    """
    path = Path(path)
    data: Any = load_toml(path, CouncilError)  # within the limits of ecf.limits
    problems: list[Problem] = []
    overrides: list[RuleOverride] = []
    files_key = "rules"
    if isinstance(data, dict):
        data["file"] = str(path)
        if "rule_files" in data and not isinstance(data.get("rules"), list):
            files_key = "rule_files"
        overrides, problems = _split_rules(data, str(path))
    try:
        council = structure(data, Council, error=CouncilError, file=str(path))
    except CouncilError as exc:
        named = [_renamed(p, files_key) for p in exc.problems]
        raise CouncilError([*problems, *named]) from exc
    council = attrs.evolve(council, overrides=tuple(overrides))
    for i, entry in enumerate(council.assess):
        for j, name in enumerate(entry.assessors):
            if name not in council.plugins:
                problems.append(
                    Problem(
                        "not in the plugins allow-list",
                        f"assess[{i}].assessors[{j}]",
                        name,
                        str(path),
                    )
                )
    for i, name in enumerate(council.rules):
        if not (path.parent / name).is_file():
            problems.append(Problem("no such rule file", f"{files_key}[{i}]", name, str(path)))
    for i, entry in enumerate(council.assess):
        for j, name in enumerate(entry.rules):
            if not (path.parent / name).is_file():
                problems.append(
                    Problem("no such rule file", f"assess[{i}].rules[{j}]", name, str(path))
                )
    for key, value in (
        ("pause_threshold_days", council.settings.pause_threshold_days),
        ("completion_months", council.settings.completion_months),
    ):
        if value is not None and value <= 0:
            problems.append(
                Problem("must be a positive whole number", f"settings.{key}", value, str(path))
            )
    if problems:
        raise CouncilError(problems)
    return council


def _renamed(problem: Problem, files_key: str) -> Problem:
    """A problem with the rule files, named by the key the file listed them under."""
    if files_key != "rules" or not problem.path.startswith("rules"):
        return problem
    return attrs.evolve(problem, path=files_key + problem.path.removeprefix("rules"))
