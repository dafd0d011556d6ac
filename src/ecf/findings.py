"""What assessors receive and what they return: the context, findings and the recommendation.

Every hook that judges a record receives one frozen :class:`Context` and returns
:class:`Finding` values; :func:`recommend` turns a stage's findings into the library's
recommendation (the decision stays with people).  The rule language (:mod:`ecf.rules`), the
hook specs (:mod:`ecf.hookspecs`) and the run (:mod:`ecf.assessors`) build on this module;
``ecf.rules`` re-exports its names, where plugins have always imported them from.
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003 - the attrs classes' annotations resolve at run time
import functools
import typing
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ecf.council_settings import CouncilSettings
from ecf.framework import Framework, StageDef  # noqa: TC001 - attrs reads the annotations
from ecf.records import Enrolment, Evidence, Record  # noqa: TC001
from ecf.timeline import StageTimeline  # noqa: TC001

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "CATEGORIES",
    "FINDING_STATUSES",
    "RECOMMENDATIONS",
    "Category",
    "Context",
    "Finding",
    "FindingStatus",
    "Override",
    "Recommendation",
    "recommend",
    "support_gaps",
]

FindingStatus = Literal["met", "pending", "missed", "not-applicable", "error"]
FINDING_STATUSES: tuple[FindingStatus, ...] = typing.get_args(FindingStatus)
Recommendation = Literal["on-track", "at-risk", "ready", "not-met"]
RECOMMENDATIONS: tuple[Recommendation, ...] = typing.get_args(Recommendation)
#: Who a finding judges (BASELINE.md, "Two kinds of finding"): what the practitioner must show,
#: or what the employer must give (supervision, and any support rule a council adds).
Category = Literal["practitioner", "support"]
CATEGORIES: tuple[Category, ...] = typing.get_args(Category)


@attrs.frozen
class Context:
    """Everything an assessor sees: one frozen object, so hooks can grow without breaking.

    Attributes:
        record: The practitioner's record as this assessor may see it: the career facts, and
            only the personal fields it declares in ``ECF_FIELDS`` (the others are blank; see
            :func:`ecf.privacy.view`).
        enrolment: The stage being assessed.
        stage: Its definition, under the framework version the enrolment pins.
        framework: That framework.
        timeline: The stage's milestones with due dates, and its expected end.
        as_of: The date of the assessment: evidence after it does not count yet.
        settings: The council's settings for this assessor (from ``council.toml``).
        council: The council's parameter overrides (completion deadline, agency rules...).
    """

    record: Record
    enrolment: Enrolment
    stage: StageDef
    framework: Framework
    timeline: StageTimeline
    as_of: dt.date
    settings: Mapping[str, Any] = attrs.field(factory=dict)
    council: CouncilSettings = attrs.field(factory=CouncilSettings)

    @property
    def counted_from(self) -> dt.date:
        """The day this stage's evidence in ecf begins: its start, or when the record began.

        An existing member of staff is onboarded mid-stage: nothing before the record began was
        recorded in ecf, so a rule's pace is judged from here.
        """
        began = self.record.began
        return max(self.enrolment.start, began) if began is not None else self.enrolment.start

    def due(self, milestone: str) -> dt.date | None:
        """The due date of a milestone of this stage, ``end`` for the expected end."""
        if milestone == "end":
            return self.timeline.expected_end
        return next((m.due for m in self.timeline.milestones if m.id == milestone), None)

    def evidence(self, kinds: Iterable[str] = ()) -> tuple[Evidence, ...]:
        """Evidence of the stage (from its start, up to the as-of date), of ``kinds`` if given."""
        wanted = frozenset(kinds)
        found = self._evidence_of.get(wanted)
        if found is None:
            found = self._evidence_of[wanted] = tuple(
                e for e in self._stage_evidence if not wanted or e.kind in wanted
            )
        return found

    # The context is frozen: the stage's evidence is sorted out once, not once per rule.  Not
    # fields, so neither the context's equality nor its JSON form sees them.
    @functools.cached_property
    def _stage_evidence(self) -> tuple[Evidence, ...]:
        """The record's evidence from the stage's start up to the as-of date."""
        start, as_of = self.enrolment.start, self.as_of
        return tuple(e for e in self.record.evidence if start <= e.date <= as_of)

    @functools.cached_property
    def _evidence_of(self) -> dict[frozenset[str], tuple[Evidence, ...]]:
        """:meth:`evidence`'s answers, by the kinds asked for."""
        return {}


@attrs.frozen
class Override:
    """How a council changed the rule behind a finding (``[rules.ID]`` in its ``council.toml``).

    Attributes:
        council: The council's code.
        enabled: ``False``: the council switched the rule off (its finding is
            ``not-applicable``).
        reason: Why, in the council's words (required to switch a rule off).
        params: The parameters the council set, as its file gives them (``{"min": 2}``).
        was: Those parameters as the rule set had them.
    """

    council: str
    enabled: bool = True
    reason: str | None = None
    params: dict[str, Any] = attrs.field(factory=dict, hash=False)
    was: dict[str, Any] = attrs.field(factory=dict, hash=False)

    def describe(self) -> str:
        """One line for people: ``council E09000030: min 3 -> 2 (reason)``."""
        if not self.enabled:
            return f"switched off by council {self.council}: {self.reason}"
        changes = ", ".join(
            f"{k} {_shown(self.was.get(k))} -> {_shown(v)}" for k, v in self.params.items()
        )
        why = f" ({self.reason})" if self.reason else ""
        return f"council {self.council} set {changes}{why}"


def _shown(value: object) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_shown(v)}" for k, v in value.items()) + "}"
    return "(none)" if value is None else str(value)


@attrs.frozen
class Finding:
    """What one rule found.

    Attributes:
        rule: The rule's id.
        assessor: The assessor (plugin) that made it.
        version: The rule set's (or assessor's) version.
        status: ``met``; ``pending`` (not yet met, still achievable before its deadline);
            ``missed``; ``not-applicable``; ``error`` (the rule or its assessor failed).
        message: A sentence a practitioner understands.
        evidence: The evidence ids it used.
        standards: The standards it rests on or found.
        deadline: The date it concerns, if any.
        behind: Pending and behind the pace needed to meet it by its deadline.
        category: ``practitioner`` (what the practitioner must show) or ``support`` (what the
            employer must give: a missed one is a support gap, never the practitioner's
            failure, and never counts towards the recommendation).
        override: How the council changed the rule that made it, if it did (shown with the
            finding, so that a reader knows the national rule was not applied as shipped).
    """

    rule: str
    assessor: str
    version: str
    status: FindingStatus
    message: str
    evidence: tuple[str, ...] = ()
    standards: tuple[str, ...] = ()
    deadline: dt.date | None = None
    behind: bool = False
    category: Category = "practitioner"
    override: Override | None = None


def recommend(findings: Iterable[Finding]) -> Recommendation:
    """The overall recommendation (BASELINE.md).

    ``not-met`` when any rule was missed; ``ready`` when every applicable rule is met (and none
    failed to run); ``at-risk`` when a rule is pending behind pace or could not be judged;
    ``on-track`` otherwise.  Support findings (``category = "support"``) are not judged here:
    they are the employer's support gaps (:func:`support_gaps`), never the practitioner's.
    """
    statuses = [f for f in findings if f.status != "not-applicable" and f.category != "support"]
    if any(f.status == "missed" for f in statuses):
        return "not-met"
    if any(f.status == "error" or (f.status == "pending" and f.behind) for f in statuses):
        return "at-risk"
    if statuses and all(f.status == "met" for f in statuses):
        return "ready"
    return "on-track"


def support_gaps(findings: Iterable[Finding]) -> int:
    """How many support findings were missed: the employer's support gaps (BASELINE.md).

    One per support rule missed (a supervision rule with several empty windows is one gap; its
    message names the windows).
    """
    return sum(f.category == "support" and f.status == "missed" for f in findings)
