"""A council's configuration (``council.toml``): its rules, its plugins, its settings.

Example::

    code = "E09000030"
    name = "Tower Hamlets"
    framework = "baseline-2026"        # the framework version new stages start under
    plugins = ["baseline", "caseload"] # allow-list: an installed plugin not named never runs
    rules = ["rules/stricter.toml"]    # the council's own rule files, relative to this file

    [settings]
    pause_threshold_days = 28          # a pausing absence this long stops the clock
    completion_months = 24             # every stage must be passed within 24 months of its start
    agency_rules = "statutory-2024"    # or "consultation-2023"

    [[assess]]                         # which assessors and rule files run for which stages
    stages = ["expert"]
    assessors = ["baseline"]

    [plugin.caseload]                  # settings handed to one plugin
    full_caseload = 20
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import attrs

from ecf._convert import structure
from ecf.errors import EcfError, Problem
from ecf.limits import load_toml

__all__ = ["Council", "CouncilError", "CouncilSettings", "StageAssessors", "load_council"]


class CouncilError(EcfError, ValueError):
    """A council configuration is malformed or invalid."""


@attrs.frozen
class CouncilSettings:
    """Parameters a council overrides.

    Attributes:
        pause_threshold_days: Replaces the framework's threshold for a pausing absence.
        completion_months: Each stage must be passed within this many months of its start.
        agency_rules: The agency eligibility rule set (BASELINE.md).
    """

    pause_threshold_days: int | None = None
    completion_months: int | None = None
    agency_rules: Literal["statutory-2024", "consultation-2023"] = "statutory-2024"


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


def load_council(path: str | Path) -> Council:
    """Read and check a ``council.toml``.

    Raises:
        CouncilError: the file is missing or malformed, has unknown keys, names a rule file
            that does not exist, or an ``[[assess]]`` entry names a plugin that is not in the
            allow-list.
    """
    path = Path(path)
    data: Any = load_toml(path, CouncilError)  # within the limits of ecf.limits
    if isinstance(data, dict):
        data["file"] = str(path)
    council = structure(data, Council, error=CouncilError, file=str(path))
    problems = []
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
            problems.append(Problem("no such rule file", f"rules[{i}]", name, str(path)))
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
