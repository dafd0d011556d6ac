"""Frameworks: stages, milestones, evidence kinds, absence kinds and standards, as versioned data.

This module is long because it holds the framework model, its loading with ``extends`` and the
checks made on load: one file per concern would split one data format across three.

A framework is a TOML file with a ``version`` (``baseline-2026``).  The library ships its
frameworks in ``ecf/data/frameworks/``; a council or a new national version adds its own file,
which either stands alone or ``extends`` another version and replaces or adds entries by id.
Every enrolment in a record pins the framework version it started under, so a later version
never rewrites a past year.

A stage carries a status (``current`` or ``superseded``) and the start dates it is open to
(``[[stages.openings]]``, per service); a standard set carries its in-force dates and the set
it ``succeeds``.  A shipped version with ``in_force_from`` is the one new enrolments starting on
or after that date pin (``ecdp-2027``: :meth:`FrameworkRegistry.for_start`).

Loading validates the data: duplicate ids, a stage that follows an unknown stage, a milestone
offset that is not a positive whole number of months, a stage opening after it closes, a
standard set whose dates overlap its predecessor's; each is reported with the file, the entry
and the field.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import attrs

from ecf._compiled import load_toml as load_compiled
from ecf._convert import structure
from ecf.errors import FrameworkError, Problem
from ecf.limits import read_limited

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")

__all__ = [
    "HOLIDAY_CALENDARS",
    "QUALIFICATION",
    "REVIEW_CADENCES",
    "AbsenceKind",
    "AppealWindow",
    "CpdRules",
    "EvidenceKind",
    "Framework",
    "FrameworkRegistry",
    "MilestoneDef",
    "Opening",
    "OutcomeDef",
    "ReasonCode",
    "ReviewCadence",
    "Service",
    "StageDef",
    "StageStatus",
    "Standard",
    "StandardSet",
    "load_framework_data",
    "natural_key",
]

Service = Literal["children", "adults"]
SERVICES: tuple[Service, ...] = ("children", "adults")

#: A stage's status: ``superseded`` stages stay open, but a new enrolment in one is warned.
StageStatus = Literal["current", "superseded"]

#: The pseudo-stage a first stage follows.
QUALIFICATION = "qualification"

#: Environment variable: framework files or folders of them, separated by ``os.pathsep``.
FRAMEWORK_PATH_ENV = "ECF_FRAMEWORK_PATH"

_DATA = Path(__file__).parent / "data" / "frameworks"

#: The holiday calendars an appeal window may exclude: a name in a framework file, and the
#: ``holidays`` package's country and subdivision it stands for.
HOLIDAY_CALENDARS: dict[str, tuple[str, str]] = {"england": ("GB", "ENG")}

#: How review milestones are dated (docs/domain.md): ``pro-rata`` by the service accrued, as
#: every milestone (the default); ``calendar`` by calendar months from the stage's start,
#: shifted by pauses.  The final review or assessment stays pro rata either way.
ReviewCadence = Literal["pro-rata", "calendar"]
REVIEW_CADENCES: tuple[ReviewCadence, ...] = ("pro-rata", "calendar")


@attrs.frozen
class MilestoneDef:
    """A review point of a stage.

    Attributes:
        id: Stable id (``review-3m``).
        title: What people call it.
        months: Full-time offset from the stage start in whole months; ``None`` when the
            milestone has no due date of its own (a moderation panel follows the final review).
        optional: An optional review is never overdue.
        verified: True when the fact is confirmed by a published source (FACTS.md ``[C]``).
        source: Where the fact comes from.
    """

    id: str
    title: str
    months: int | None = None
    optional: bool = False
    verified: bool = True
    source: str = ""


@attrs.frozen
class Opening:
    """When a stage is open to new enrolments, for some of its services (a ``[[stages.openings]]``).

    A stage with no opening for a service takes new enrolments of it whenever they start; one
    with openings for it takes those that start within one of them.

    Attributes:
        services: The services it is for (default: every service).
        open_from: The first start date it takes (None: no earliest).
        open_until: The last start date it takes (None: no latest).
        replaced_by: The stage that takes the enrolments it no longer takes, named in a refusal
            (the child and family ``asye`` is replaced by ``ecdp`` from September 2027).
    """

    services: tuple[Service, ...] = SERVICES
    open_from: dt.date | None = None
    open_until: dt.date | None = None
    replaced_by: str | None = None
    verified: bool = True
    source: str = ""

    def takes(self, start: dt.date) -> bool:
        """Whether a stage starting on ``start`` falls within this opening."""
        return (self.open_from is None or start >= self.open_from) and (
            self.open_until is None or start <= self.open_until
        )


@attrs.frozen
class StageDef:
    """A stage of the early career path (``asye``, ``ecf-1``, ``ecf-2``, ``ecdp``, ``expert``).

    Attributes:
        follows: The stages whose pass leads here; ``qualification`` for a first stage.
        aliases: Other names for the stage (ECF, SWIP, ECDP): accepted wherever a stage id is.
        status: ``current``, or ``superseded`` (still open: a new enrolment is warned).
        openings: The start dates it takes new enrolments for, per service (none: always).
    """

    id: str
    title: str
    follows: tuple[str, ...]
    milestones: tuple[MilestoneDef, ...] = ()
    aliases: tuple[str, ...] = ()
    services: tuple[Service, ...] = SERVICES
    status: StageStatus = "current"
    openings: tuple[Opening, ...] = ()
    verified: bool = True
    source: str = ""

    def openings_for(self, service: str) -> tuple[Opening, ...]:
        """The openings that apply to a service."""
        found = self._openings.get(service)
        if found is None:
            found = self._openings[service] = tuple(
                o for o in self.openings if service in o.services
            )
        return found

    def takes(self, service: str, start: dt.date) -> bool:
        """Whether a new enrolment of ``service`` starting on ``start`` falls in an opening."""
        mine = self.openings_for(service)
        return not mine or any(o.takes(start) for o in mine)

    def milestone(self, milestone_id: str) -> MilestoneDef | None:
        """The milestone with this id, or None."""
        return self._milestones.get(milestone_id)

    @functools.cached_property
    def milestone_ids(self) -> frozenset[str]:
        """The ids of its milestones: :meth:`milestone` finds exactly these."""
        return frozenset(m.id for m in self.milestones)

    @functools.cached_property
    def last_dated(self) -> MilestoneDef | None:
        """The milestone with the largest offset: its due date is the stage's expected end."""
        dated = [m for m in self.milestones if m.months is not None]
        return max(dated, key=lambda m: m.months or 0) if dated else None

    # Derived lookups, made once per stage (the stage is frozen): not fields, so neither its
    # equality, its hash nor its JSON form sees them.
    @functools.cached_property
    def _milestones(self) -> dict[str, MilestoneDef]:
        """Each milestone by id (the first one, as a search in file order finds it)."""
        found: dict[str, MilestoneDef] = {}
        for m in self.milestones:
            found.setdefault(m.id, m)
        return found

    @functools.cached_property
    def _openings(self) -> dict[str, tuple[Opening, ...]]:
        """:meth:`openings_for`'s answers, by service, as they are asked."""
        return {}


@attrs.frozen
class EvidenceKind:
    """A kind of evidence (``direct-observation``); ``plural`` names several in messages."""

    id: str
    title: str
    plural: str = ""
    verified: bool = True
    source: str = ""


@attrs.frozen
class AbsenceKind:
    """A kind of absence: whether a long one pauses the clock, and whether it counts as service.

    Attributes:
        pauses: A spell of it lasting the framework's threshold or longer stops the clock of
            the stage's due dates.
        counts_as_service: Its days count as post-qualifying experience for agency eligibility
            (statutory leave within employment does; unpaid leave and career breaks do not).  A
            framework file that leaves it out counts the kind as service.
    """

    id: str
    title: str
    pauses: bool
    counts_as_service: bool = True
    verified: bool = True
    source: str = ""


@attrs.frozen
class Standard:
    """One statement of a standard set; referred to as ``set:id`` (``kss-cf:6``)."""

    id: str
    title: str
    verified: bool = True


@attrs.frozen
class StandardSet:
    """A set of standards (PQS/KSS, PCF, Social Work England, the early career standards).

    Attributes:
        in_force_from: The first day the set is in force (None: since ever).
        in_force_until: The last day it is in force (None: still in force).
        succeeds: The set it replaces (``ecs-cf`` succeeds ``kss-cf``): it comes into force
            after that one's last day, and a stage spanning the change may evidence either.
    """

    id: str
    title: str
    standards: tuple[Standard, ...]
    services: tuple[Service, ...] = SERVICES
    in_force_from: dt.date | None = None
    in_force_until: dt.date | None = None
    succeeds: str | None = None
    verified: bool = True
    source: str = ""

    def ids(self) -> tuple[str, ...]:
        """The full ids of the standards in this set (``kss-cf:1``)."""
        return self._ids

    @functools.cached_property
    def _ids(self) -> tuple[str, ...]:
        """:meth:`ids`, made once per set (the set is frozen)."""
        return tuple(f"{self.id}:{s.id}" for s in self.standards)

    def in_force_on(self, day: dt.date) -> bool:
        """Whether the set is in force on ``day``."""
        return self.in_force_during(day, day)

    def in_force_during(self, first: dt.date, last: dt.date) -> bool:
        """Whether the set is in force on some day from ``first`` to ``last``."""
        return (self.in_force_from is None or last >= self.in_force_from) and (
            self.in_force_until is None or first <= self.in_force_until
        )

    def dates(self) -> str:
        """Its in-force dates for people: ``from 2027-04-01``, ``until 2027-03-31``, or ``""``."""
        parts = [
            f"{word} {day}"
            for word, day in (("from", self.in_force_from), ("until", self.in_force_until))
            if day is not None
        ]
        return " ".join(parts)


_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that orders the numbers in a text by value: ``kss-cf:2`` before ``kss-cf:10``."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(text) if part
    )


@attrs.frozen
class OutcomeDef:
    """An outcome a decision may have (``pass``, ``progressed``, ``fail``...), and what it does.

    Attributes:
        id: The outcome's id, as a decision records it.
        closes: The stage takes no further decision after it.
        opens: The next stage may begin after it (``pass``; ``progressed`` from ``ecf-1``).
        ends_path: No stage may follow (``fail``, ``withdrawn``).
        needs_until: The decision names the stage's new end date (``extended``).
        takes_until: The decision may name an end date (``extended``, ``deferred``).
        reason_required: A decision made with this outcome gives a reason code.
        state: The state of a stage whose latest decision this is (``passed``, ``failed``...).
        stages: The stages it may be recorded on; empty: every stage.
    """

    id: str
    title: str
    state: str
    closes: bool = False
    opens: bool = False
    ends_path: bool = False
    needs_until: bool = False
    takes_until: bool = False
    reason_required: bool = False
    stages: tuple[str, ...] = ()
    verified: bool = True
    source: str = ""


@attrs.frozen
class ReasonCode:
    """A reason a decision gives (``capability``), and the outcomes it may be given for."""

    id: str
    title: str
    outcomes: tuple[str, ...]
    verified: bool = True
    source: str = ""


@attrs.frozen
class AppealWindow:
    """How long after a decision an appeal may be lodged.

    Attributes:
        working_days: The window's length in working days after the decision's date.
        holidays: The bank holidays not counted (a name of :data:`HOLIDAY_CALENDARS`).
    """

    working_days: int = 20
    holidays: str = "england"
    verified: bool = False
    source: str = ""


_MONTH_DAY = re.compile(r"(\d\d)-(\d\d)")
#: A year in which every month-day a framework may name exists (29 February may not).
_COMMON_YEAR = 2025


def _month_day(value: str) -> tuple[int, int] | None:
    """``"12-01"`` as ``(12, 1)``; None when it is not a day every year has."""
    match = _MONTH_DAY.fullmatch(value)
    if match is None:
        return None
    month, day = int(match[1]), int(match[2])
    try:
        dt.date(_COMMON_YEAR, month, day)
    except ValueError:
        return None
    return month, day


@attrs.frozen
class CpdRules:
    """Social Work England's CPD, per registration year, as data (SWE will consult on changes).

    Attributes:
        year_starts: The first day of every registration year, ``MM-DD`` (``12-01``: 1 December
            to 30 November).
        renewal_opens: The day the renewal window opens (and its reminder), ``MM-DD``; a
            practitioner who first registered on or after it in a registration year owes no
            CPD at that year's renewal.
        min_records: The CPD records each registration year needs.
        min_peer_reflected: How many of them are reflected on with a peer.
    """

    year_starts: str = "12-01"
    renewal_opens: str = "09-01"
    min_records: int = 2
    min_peer_reflected: int = 1
    verified: bool = True
    source: str = ""

    def year(self, day: dt.date) -> tuple[dt.date, dt.date]:
        """The registration year holding ``day``: its first and last days."""
        month, first = _month_day(self.year_starts) or (12, 1)
        start = dt.date(day.year, month, first)
        if start > day:
            start = start.replace(year=day.year - 1)
        return start, start.replace(year=start.year + 1) - dt.timedelta(days=1)

    def renewal_opens_in(self, start: dt.date) -> dt.date:
        """The day renewal opens in the registration year beginning on ``start``."""
        month, first = _month_day(self.renewal_opens) or (9, 1)
        opens = dt.date(start.year, month, first)
        return opens if opens >= start else opens.replace(year=start.year + 1)


#: The outcomes of a framework file that lists none (a council's file written before outcomes
#: were data): the national baseline's, as ``baseline-2026.toml`` spells them.
DEFAULT_OUTCOMES: tuple[dict[str, Any], ...] = (
    {"id": "pass", "title": "Passed", "state": "passed", "closes": True, "opens": True},
    {"id": "fail", "title": "Failed", "state": "failed", "closes": True, "ends_path": True},
    {
        "id": "extended",
        "title": "Extended",
        "state": "extended",
        "needs_until": True,
        "takes_until": True,
    },
    {"id": "deferred", "title": "Deferred", "state": "deferred", "takes_until": True},
    {
        "id": "withdrawn",
        "title": "Withdrawn",
        "state": "withdrawn",
        "closes": True,
        "ends_path": True,
    },
)


@attrs.frozen
class Framework:
    """One version of the framework data.

    Attributes:
        version: The id enrolments pin (``baseline-2026``).
        pause_threshold_days: A pausing absence this long or longer stops the clock.
        review_cadence: How review milestones are dated: ``pro-rata`` (the default) or
            ``calendar`` (:data:`ReviewCadence`); a council's setting replaces it.
        cpd: Social Work England's CPD per registration year (the ``[cpd]`` table; a file
            without one has the national baseline's).
        in_force_from: A shipped version with this date is the one new enrolments starting on
            or after it pin (``ecdp-2027``: 2027-09-01); see :meth:`FrameworkRegistry.for_start`.
        extends: The version this one was built on, if any.
        file: The file it was loaded from.
    """

    version: str
    title: str
    stages: tuple[StageDef, ...]
    evidence_kinds: tuple[EvidenceKind, ...] = ()
    absence_kinds: tuple[AbsenceKind, ...] = ()
    standard_sets: tuple[StandardSet, ...] = ()
    outcomes: tuple[OutcomeDef, ...] = ()
    reason_codes: tuple[ReasonCode, ...] = ()
    appeal_window: AppealWindow = AppealWindow()
    cpd: CpdRules = CpdRules()
    pause_threshold_days: int = 28
    review_cadence: ReviewCadence = "pro-rata"
    in_force_from: dt.date | None = None
    extends: str | None = None
    file: str | None = None
    _stages: dict[str, StageDef] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        index = {s.id: s for s in self.stages}
        for s in self.stages:
            for alias in s.aliases:
                index.setdefault(alias, s)
        object.__setattr__(self, "_stages", index)

    @functools.cached_property
    def _answers(self) -> dict[object, Any]:
        """The answers of the lookups below, by question, as they are asked.

        The framework is frozen, so each answer is worked out once per framework, not once per
        record (a cohort asks the same few questions of every record).  Not a field: neither
        the framework's equality, its hash nor its JSON form sees it.
        """
        return {}

    def _derived(self, question: object, answer: Callable[[], T]) -> T:
        """The remembered answer to ``question``, worked out by ``answer()`` the first time."""
        answers = self._answers
        try:
            found: T = answers[question]
        except KeyError:
            found = answers[question] = answer()
        return found

    def with_settings(
        self, pause_threshold_days: int | None = None, review_cadence: ReviewCadence | None = None
    ) -> Framework:
        """This framework as a council's settings change it (None: the framework's own).

        The same value every time for the same settings, so what is derived from it once
        (:meth:`standard_ids`, ...) is not derived again for every record.
        """

        def changed() -> Framework:
            fw = self
            if pause_threshold_days is not None:
                fw = attrs.evolve(fw, pause_threshold_days=pause_threshold_days)
            if review_cadence is not None:
                fw = attrs.evolve(fw, review_cadence=review_cadence)
            return fw

        return self._derived(("with_settings", pause_threshold_days, review_cadence), changed)

    def stage(self, stage_id: str) -> StageDef | None:
        """The stage with this id or alias, or None."""
        return self._stages.get(stage_id)

    def stage_ids(self) -> tuple[str, ...]:
        """The stage ids, in file order."""
        return self._derived("stage_ids", lambda: tuple(s.id for s in self.stages))

    def next_stages(self, after: str) -> tuple[str, ...]:
        """The stages a pass of ``after`` leads to (``qualification`` for first stages)."""
        return self._derived(
            ("next_stages", after), lambda: tuple(s.id for s in self.stages if after in s.follows)
        )

    def first_stage_ids(self, service: str) -> tuple[str, ...]:
        """The stages that follow qualification and are open to ``service``, in file order.

        What :func:`ecf.progression.first_stages` gives for a record with no prior stage,
        worked out once per framework and service.
        """

        def first() -> tuple[str, ...]:
            return tuple(
                dict.fromkeys(
                    s
                    for s in self.next_stages(QUALIFICATION)
                    if (d := self.stage(s)) is not None and service in d.services
                )
            )

        return self._derived(("first_stage_ids", service), first)

    def outcome(self, outcome_id: str) -> OutcomeDef | None:
        """The outcome with this id, or None."""
        return self._outcome_by_id.get(outcome_id)

    @functools.cached_property
    def _outcome_by_id(self) -> dict[str, OutcomeDef]:
        """Each outcome by id: the first with it, as a search in file order finds it.

        Asked of every decision of every record (what an outcome closes, opens, needs): a
        table, without a question made for each lookup.
        """
        found: dict[str, OutcomeDef] = {}
        for o in self.outcomes:
            found.setdefault(o.id, o)
        return found

    def outcomes_for(self, stage: str) -> tuple[str, ...]:
        """The outcome ids a decision on ``stage`` may have."""
        return self._derived(
            ("outcomes_for", stage),
            lambda: tuple(o.id for o in self.outcomes if not o.stages or stage in o.stages),
        )

    def reasons_for(self, outcome: str) -> tuple[str, ...]:
        """The reason code ids that may be given for ``outcome``."""
        return self._derived(
            ("reasons_for", outcome),
            lambda: tuple(r.id for r in self.reason_codes if outcome in r.outcomes),
        )

    def evidence_kind_ids(self) -> frozenset[str]:
        """Every evidence kind id."""
        return self._evidence_kind_ids

    # The sets validation asks for of every record, each made once: not fields.
    @functools.cached_property
    def _evidence_kind_ids(self) -> frozenset[str]:
        return frozenset(k.id for k in self.evidence_kinds)

    @functools.cached_property
    def _absence_kind_ids(self) -> frozenset[str]:
        return frozenset(k.id for k in self.absence_kinds)

    @functools.cached_property
    def _standard_ids(self) -> frozenset[str]:
        return frozenset(i for s in self.standard_sets for i in s.ids())

    @functools.cached_property
    def _pausing_kind_ids(self) -> frozenset[str]:
        first: dict[str, AbsenceKind] = {}
        for k in self.absence_kinds:
            first.setdefault(k.id, k)
        return frozenset(i for i, k in first.items() if k.pauses)

    def evidence_plural(self, kind: str) -> str:
        """How messages name several pieces of a kind (``direct observations``)."""
        found = next((k for k in self.evidence_kinds if k.id == kind), None)
        return (found.plural or found.title) if found else kind

    def absence_kind(self, kind: str) -> AbsenceKind | None:
        """The absence kind with this id, or None."""
        return self._derived(
            ("absence_kind", kind),
            lambda: next((k for k in self.absence_kinds if k.id == kind), None),
        )

    def pausing_kind_ids(self) -> frozenset[str]:
        """The absence kind ids that pause the clock (as :meth:`absence_kind` finds each one)."""
        return self._pausing_kind_ids

    def absence_kind_ids(self) -> frozenset[str]:
        """Every absence kind id."""
        return self._absence_kind_ids

    def standard_ids(self) -> frozenset[str]:
        """Every standard id of every set (``kss-cf:6``)."""
        return self._standard_ids

    def standard_sets_for(self, service: Service) -> tuple[StandardSet, ...]:
        """The standard sets that apply to a service."""
        return self._derived(
            ("standard_sets_for", service),
            lambda: tuple(s for s in self.standard_sets if service in s.services),
        )

    def standard_set(self, set_id: str) -> StandardSet | None:
        """The standard set with this id, or None."""
        return self._derived(
            ("standard_set", set_id),
            lambda: next((s for s in self.standard_sets if s.id == set_id), None),
        )

    def set_of(self, standard_id: str) -> StandardSet | None:
        """The set a standard id belongs to (``kss-cf`` for ``kss-cf:6``), or None."""
        return self.standard_set(standard_id.partition(":")[0])


_LISTS = ("stages", "evidence_kinds", "absence_kinds", "standard_sets", "outcomes", "reason_codes")


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child entries replace base entries with the same id; new ones are added at the end."""
    merged = {
        k: v for k, v in base.items() if k not in ("version", "title", "extends", "in_force_from")
    }
    for key, value in child.items():
        if key in _LISTS and isinstance(value, list) and isinstance(base.get(key), list):
            by_id = {e.get("id"): e for e in base[key] if isinstance(e, dict)}
            extra = []
            for entry in value:
                if isinstance(entry, dict) and entry.get("id") in by_id:
                    by_id[entry["id"]] = entry
                else:
                    extra.append(entry)
            merged[key] = [*by_id.values(), *extra]
        else:
            merged[key] = value
    return merged


def _check(fw: Framework, file: str | None) -> list[Problem]:
    problems: list[Problem] = []

    def dupes(entries: tuple[Any, ...], path: str) -> None:
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            if entry.id in seen:
                problems.append(Problem("duplicate id", f"{path}[{i}].id", entry.id, file))
            seen.add(entry.id)

    dupes(fw.stages, "stages")
    dupes(fw.evidence_kinds, "evidence_kinds")
    dupes(fw.absence_kinds, "absence_kinds")
    dupes(fw.standard_sets, "standard_sets")
    known = {s.id for s in fw.stages}
    names: dict[str, str] = {}
    for i, stage in enumerate(fw.stages):
        path = f"stages[{i}]"
        for alias in stage.aliases:
            if alias in known or names.get(alias, stage.id) != stage.id:
                problems.append(
                    Problem("alias already names a stage", f"{path}.aliases", alias, file)
                )
            names[alias] = stage.id
        for j, prev in enumerate(stage.follows):
            if prev != QUALIFICATION and prev not in known:
                allowed = ", ".join([QUALIFICATION, *sorted(known)])
                problems.append(
                    Problem(f"unknown stage (known: {allowed})", f"{path}.follows[{j}]", prev, file)
                )
        dupes(stage.milestones, f"{path}.milestones")
        for j, ms in enumerate(stage.milestones):
            if ms.months is not None and ms.months <= 0:
                problems.append(
                    Problem(
                        "a milestone offset must be a positive whole number of months",
                        f"{path}.milestones[{j}].months",
                        ms.months,
                        file,
                    )
                )
        if stage.last_dated is None:
            problems.append(
                Problem("a stage needs a milestone with a due date", path, stage.id, file)
            )
    for i, sset in enumerate(fw.standard_sets):
        dupes(sset.standards, f"standard_sets[{i}].standards")
    problems.extend(_check_openings(fw, known, file))
    problems.extend(_check_standard_dates(fw, file))
    problems.extend(_check_decision_data(fw, known, file))
    problems.extend(_check_cpd(fw.cpd, file))
    if fw.pause_threshold_days <= 0:
        problems.append(
            Problem(
                "must be a positive number of days",
                "pause_threshold_days",
                fw.pause_threshold_days,
                file,
            )
        )
    if not fw.next_stages(QUALIFICATION):
        problems.append(Problem(f"no stage follows '{QUALIFICATION}'", "stages", None, file))
    return problems


def _check_openings(fw: Framework, stages: set[str], file: str | None) -> list[Problem]:
    """Each stage's openings: none opens after it closes; a replacing stage is one of the file's."""
    problems: list[Problem] = []
    for i, stage in enumerate(fw.stages):
        for j, opening in enumerate(stage.openings):
            path = f"stages[{i}].openings[{j}]"
            first, last = opening.open_from, opening.open_until
            if first is not None and last is not None and first > last:
                problems.append(
                    Problem(
                        f"opens after it closes (open_until {last})",
                        f"{path}.open_from",
                        first,
                        file,
                    )
                )
            if opening.replaced_by is not None and opening.replaced_by not in stages:
                problems.append(
                    Problem(
                        f"unknown stage (known: {', '.join(sorted(stages))})",
                        f"{path}.replaced_by",
                        opening.replaced_by,
                        file,
                    )
                )
    return problems


def _check_standard_dates(fw: Framework, file: str | None) -> list[Problem]:
    """In-force dates: none starts after it ends; a successor starts after its predecessor ends."""
    problems: list[Problem] = []
    for i, sset in enumerate(fw.standard_sets):
        path = f"standard_sets[{i}]"
        first, last = sset.in_force_from, sset.in_force_until
        if first is not None and last is not None and first > last:
            problems.append(
                Problem(
                    f"comes into force after it ends (in_force_until {last})",
                    f"{path}.in_force_from",
                    first,
                    file,
                )
            )
        if sset.succeeds is None:
            continue
        before = fw.standard_set(sset.succeeds)
        if before is None or before.id == sset.id:
            known = ", ".join(s.id for s in fw.standard_sets if s.id != sset.id)
            problems.append(
                Problem(
                    f"unknown standard set (known: {known})",
                    f"{path}.succeeds",
                    sset.succeeds,
                    file,
                )
            )
        elif first is None or before.in_force_until is None or first <= before.in_force_until:
            ends = before.in_force_until or "never (no in_force_until)"
            problems.append(
                Problem(
                    f"overlaps the set it succeeds: '{before.id}' is in force until {ends}; "
                    "a successor comes into force after its predecessor's last day",
                    f"{path}.in_force_from",
                    first,
                    file,
                )
            )
    return problems


def _check_cpd(cpd: CpdRules, file: str | None) -> list[Problem]:
    """The ``[cpd]`` table: days every year has, and minimums that can be met."""
    problems = [
        Problem("must be a month and day every year has, MM-DD", f"cpd.{name}", value, file)
        for name, value in (("year_starts", cpd.year_starts), ("renewal_opens", cpd.renewal_opens))
        if _month_day(value) is None
    ]
    if cpd.min_records < 0:
        problems.append(Problem("must be 0 or more", "cpd.min_records", cpd.min_records, file))
    if not 0 <= cpd.min_peer_reflected <= max(cpd.min_records, 0):
        problems.append(
            Problem(
                "must be from 0 to min_records",
                "cpd.min_peer_reflected",
                cpd.min_peer_reflected,
                file,
            )
        )
    return problems


def _check_decision_data(fw: Framework, stages: set[str], file: str | None) -> list[Problem]:
    """The outcomes, reason codes and appeal window: each refers to what the framework holds."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, outcome in enumerate(fw.outcomes):
        path = f"outcomes[{i}]"
        if outcome.id in seen:
            problems.append(Problem("duplicate id", f"{path}.id", outcome.id, file))
        seen.add(outcome.id)
        problems.extend(
            Problem(
                f"unknown stage (known: {', '.join(sorted(stages))})", f"{path}.stages", s, file
            )
            for s in outcome.stages
            if s not in stages
        )
        if outcome.needs_until and not outcome.takes_until:
            problems.append(
                Problem(
                    "an outcome that needs an end date takes one",
                    f"{path}.takes_until",
                    outcome.takes_until,
                    file,
                )
            )
        if outcome.reason_required and not fw.reasons_for(outcome.id):
            problems.append(
                Problem(
                    "requires a reason but no reason code applies to it",
                    f"{path}.reason_required",
                    outcome.id,
                    file,
                )
            )
    codes: set[str] = set()
    for i, code in enumerate(fw.reason_codes):
        path = f"reason_codes[{i}]"
        if code.id in codes:
            problems.append(Problem("duplicate id", f"{path}.id", code.id, file))
        codes.add(code.id)
        problems.extend(
            Problem(
                f"unknown outcome (known: {', '.join(sorted(seen))})", f"{path}.outcomes", o, file
            )
            for o in code.outcomes
            if o not in seen
        )
    window = fw.appeal_window
    if window.working_days <= 0:
        problems.append(
            Problem(
                "must be a positive number of working days",
                "appeal_window.working_days",
                window.working_days,
                file,
            )
        )
    if window.holidays not in HOLIDAY_CALENDARS:
        problems.append(
            Problem(
                f"unknown holiday calendar (known: {', '.join(HOLIDAY_CALENDARS)})",
                "appeal_window.holidays",
                window.holidays,
                file,
            )
        )
    return problems


def load_framework_data(
    data: dict[str, Any], *, file: str | None = None, base: dict[str, Any] | None = None
) -> Framework:
    """Build and validate a framework from parsed TOML data.

    Args:
        data: The parsed file.
        file: The file's name, for error messages.
        base: The parsed data of the version ``data`` extends, already merged itself.

    Returns:
        The validated framework.

    Raises:
        FrameworkError: naming the file, the entry and the value of every problem found.
    """
    merged = _merge(base, data) if base is not None else dict(data)
    merged["file"] = file
    merged.setdefault("outcomes", [dict(o) for o in DEFAULT_OUTCOMES])
    fw = structure(merged, Framework, error=FrameworkError, file=file)
    problems = _check(fw, file)
    if problems:
        raise FrameworkError(problems)
    return fw


def _read_toml(path: Path) -> dict[str, Any]:
    # Within the limits of ecf.limits; a file that is not UTF-8 is a FrameworkError too.  A
    # shipped file is read from its compiled form, keyed by its content (ecf._compiled).
    return load_compiled(path, FrameworkError)


@attrs.define
class FrameworkRegistry:
    """The framework versions known to this process: the shipped ones plus any added by path.

    Files are read lazily, once.  Use :meth:`default` for the registry the CLI starts from
    (shipped frameworks plus those named in ``ECF_FRAMEWORK_PATH``).
    """

    _files: dict[str, Path] = attrs.field(factory=dict)
    _raw: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    _loaded: dict[str, Framework] = attrs.field(factory=dict)
    current: str = "baseline-2026"
    _chosen: bool = False

    @classmethod
    def default(cls, extra: list[Path] | None = None) -> FrameworkRegistry:
        """The shipped frameworks, then ``ECF_FRAMEWORK_PATH``, then ``extra`` (last wins).

        Raises:
            FrameworkError: when a named file is missing or invalid.
        """
        reg = cls()
        for path in sorted(_DATA.glob("*.toml")):
            reg._files[path.stem] = path
        env = [Path(p) for p in os.environ.get(FRAMEWORK_PATH_ENV, "").split(os.pathsep) if p]
        for path in [*env, *(extra or [])]:
            files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
            for file in files:
                reg.add_file(file)
        return reg

    def add_file(self, path: Path) -> Framework:
        """Add a framework file; it becomes the :attr:`current` version for new enrolments.

        Raises:
            FrameworkError: when the file is missing, malformed or invalid.
        """
        data = _read_toml(path)
        version = data.get("version")
        if not isinstance(version, str) or not version:
            raise FrameworkError(
                [Problem("a framework needs a version", "version", version, str(path))]
            )
        self._files[version] = path
        self._raw[version] = data
        self._loaded.pop(version, None)
        fw = self.get(version)
        self.current = version
        self._chosen = True
        return fw

    def digest(self) -> str | None:
        """A sha256 of every framework file this registry knows, by version, and its choice.

        What a remembered check depends on (:mod:`ecf.cache`): any byte of any framework file
        changed, a version added or removed, or another :attr:`current` gives another digest.

        Returns:
            The digest, or ``None`` when a file cannot be read (nothing is then remembered).
        """
        import hashlib  # noqa: PLC0415 - only a cohort's cache needs it

        h = hashlib.sha256(f"{self.current}\0{self._chosen}".encode())
        for version in sorted(self._files):
            try:
                data = read_limited(self._files[version], FrameworkError)
            except (OSError, FrameworkError):
                return None
            h.update(f"\0{version}\0{len(data)}\0".encode())
            h.update(data)
        return h.hexdigest()

    def versions(self) -> tuple[str, ...]:
        """The known versions."""
        return tuple(sorted(self._files))

    def for_start(self, start: dt.date) -> Framework:
        """The framework a new enrolment starting on ``start`` pins.

        A file added by path (``--framework``, ``ECF_FRAMEWORK_PATH``) is used for every new
        enrolment, as :attr:`current`.  Otherwise the shipped version in force on ``start``: the
        one with the latest ``in_force_from`` on or before it (``ecdp-2027`` from 2027-09-01),
        else :attr:`current` (``baseline-2026``).

        Raises:
            FrameworkError: when a version's file is invalid.
        """
        if self._chosen:
            return self.get()
        dated = [
            fw
            for fw in (self.get(v) for v in self.versions())
            if fw.in_force_from is not None and fw.in_force_from <= start
        ]
        if not dated:
            return self.get()
        return max(dated, key=lambda fw: (fw.in_force_from or start, fw.version))

    def _data(self, version: str) -> dict[str, Any]:
        if version not in self._raw:
            self._raw[version] = _read_toml(self._files[version])
        return self._raw[version]

    def _merged(self, version: str, chain: tuple[str, ...] = ()) -> dict[str, Any]:
        data = self._data(version)
        parent = data.get("extends")
        if parent is None:
            return data
        file = str(self._files[version])
        if not isinstance(parent, str) or parent not in self._files:
            known = ", ".join(self.versions())
            raise FrameworkError(
                [Problem(f"extends an unknown version (known: {known})", "extends", parent, file)]
            )
        if parent in chain or parent == version:
            raise FrameworkError([Problem("circular extends", "extends", parent, file)])
        return _merge(self._merged(parent, (*chain, version)), data)

    def get(self, version: str | None = None) -> Framework:
        """The framework of this version (default: :attr:`current`).

        Raises:
            FrameworkError: when the version is unknown or its file invalid.
        """
        version = version or self.current
        if version in self._loaded:
            return self._loaded[version]
        if version not in self._files:
            known = ", ".join(self.versions())
            raise FrameworkError(
                [Problem(f"unknown framework version (known: {known})", "framework", version)]
            )
        data = self._merged(version)
        fw = load_framework_data(data, file=str(self._files[version]))
        self._loaded[version] = fw
        return fw
