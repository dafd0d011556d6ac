"""Filters that cannot silently match nothing: each value checked against the values it can take.

A cohort filter with a value no row can have (``--stage ASYE`` spelt as a person writes it, a
state mistyped as ``overdue``) used to match nothing, while the summary above showed the
totals.  :func:`check_filters` reads every filter value first: a stage by its id or any alias,
ignoring case (``ASYE``, ``Asye``, ``ECF-1``, ``SWIP``), and a state or a recommendation by its
exact name, ignoring case; an unknown value is an :class:`~ecf.errors.EcfError` listing the
values allowed.  :func:`stage_named` is the one lookup of a stage by what a person or an HR
export calls it (the HR import uses it too).

Example::

    from ecf.filters import check_filters
    from ecf.framework import FrameworkRegistry

    chosen = check_filters(FrameworkRegistry.default(), stage=["Asye"], state=["In-Progress"])
    chosen.stage  # ('asye',)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ecf.errors import EcfError, Problem
from ecf.findings import RECOMMENDATIONS
from ecf.progression import STATES

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ecf.framework import Framework, FrameworkRegistry, StageDef

__all__ = ["Filters", "check_filters", "stage_named", "stage_names"]


def stage_named(fw: Framework, name: str) -> StageDef | None:
    """The stage a person means by ``name``: its id or an alias, ignoring case and outer spaces.

    Returns:
        The stage, or None when no stage of ``fw`` is called so.
    """
    text = name.strip()
    exact = fw.stage(text)
    if exact is not None:
        return exact
    folded = text.casefold()
    for stage in fw.stages:
        if folded in {stage.id.casefold(), *(a.casefold() for a in stage.aliases)}:
            return stage
    return None


def stage_names(fw: Framework) -> str:
    """The stage ids, each with its aliases: ``asye, ecdp (SWIP, ECDP), ...``, for a message."""
    return ", ".join(f"{s.id} ({', '.join(s.aliases)})" if s.aliases else s.id for s in fw.stages)


@attrs.frozen
class Filters:
    """Filter values as the data spells them (stage ids, states, recommendations)."""

    stage: tuple[str, ...] = ()
    state: tuple[str, ...] = ()
    recommendation: tuple[str, ...] = ()

    def describe(
        self,
        *,
        councils: Iterable[str] = (),
        teams: Iterable[str] = (),
        due_within: int | None = None,
        overdue: bool = False,
        with_gaps: bool = False,
        assessor: str | None = None,
    ) -> str:
        """These filters and the others given, in words, for a report's summary.

        ``stage asye, ecf-1; state in-progress; overdue``, or ``""`` when no filter is given.
        The assessor's name is not repeated: it is a colleague's name, and the caller typed it.
        """
        parts = [
            f"{name} {', '.join(values)}"
            for name, values in (
                ("stage", self.stage),
                ("state", self.state),
                ("recommendation", self.recommendation),
                ("council", tuple(councils)),
                ("team", tuple(teams)),
            )
            if values
        ]
        parts += [f"due within {due_within} days"] if due_within is not None else []
        parts += ["overdue"] if overdue else []
        parts += ["with support gaps"] if with_gaps else []
        parts += ["the assessor given"] if assessor is not None else []
        return "; ".join(parts)


def _named(
    given: Iterable[str], allowed: tuple[str, ...], option: str, problems: list[Problem]
) -> tuple[str, ...]:
    found: list[str] = []
    for value in given:
        match = next((a for a in allowed if a.casefold() == value.strip().casefold()), None)
        if match is None:
            problems.append(
                Problem(f"unknown value (allowed: {', '.join(allowed)})", option, value)
            )
        elif match not in found:
            found.append(match)
    return tuple(found)


def check_filters(
    registry: FrameworkRegistry,
    *,
    stage: Iterable[str] = (),
    state: Iterable[str] = (),
    recommendation: Iterable[str] = (),
    has_council: bool = True,
) -> Filters:
    """Every filter value read as the data spells it; an unknown one is an error.

    Args:
        registry: The frameworks: a stage is known when any version has it (a cohort may span
            versions), by id or alias, ignoring case.
        stage: Stage names as given.
        state: States as given (``in-progress``, ``awaiting-decision``...), ignoring case.
        recommendation: Recommendations as given (``on-track``, ``at-risk``...), ignoring case.
        has_council: Whether a council was given: recommendations come from its assessors, so a
            recommendation filter without one could only match nothing.

    Returns:
        The values as the data spells them, each once.

    Raises:
        EcfError: one problem per unknown value, naming the option and listing the values
            allowed; and one when a recommendation is asked for without a council.
    """
    problems: list[Problem] = []
    stages: list[str] = []
    frameworks = [registry.get()]  # the current version first: it names the stages allowed
    for version in registry.versions():
        try:
            frameworks.append(registry.get(version))
        except EcfError:  # an invalid version file fails where it is used, not in a filter
            continue
    for value in stage:
        found = next((s for fw in frameworks if (s := stage_named(fw, value)) is not None), None)
        if found is None:
            known = stage_names(registry.get())
            problems.append(Problem(f"unknown stage (allowed: {known})", "--stage", value))
        elif found.id not in stages:
            stages.append(found.id)
    states = _named(state, STATES, "--state", problems)
    recommendations = _named(recommendation, RECOMMENDATIONS, "--recommendation", problems)
    if recommendations and not has_council:
        problems.append(
            Problem(
                "needs --council: recommendations come from the council's assessors, so "
                "without one no record has a recommendation",
                "--recommendation",
            )
        )
    if problems:
        raise EcfError(problems)
    return Filters(tuple(stages), states, recommendations)
