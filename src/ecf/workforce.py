"""Workforce figures the sector asks for: agency eligibility, CPD readiness, retention.

* **Agency eligibility** (child and family, BASELINE.md "Other rules shipped"), under the rule set
  a council's configuration chooses:

  - ``statutory-2024`` (in force 31 Oct 2024): at least 3 years' post-qualifying experience in
    English local authority child and family social work while registered; the ASYE and the ECF
    count.  ecf counts the calendar time from the first stage's start to the as-of date (or the
    day the practitioner left), less the gaps between employers and the absences whose kind
    does not count as service (the framework's ``counts_as_service``: statutory leave within
    employment, such as parental or sick leave, counts whatever its length; unpaid leave and
    career breaks do not, whatever theirs).
  - ``consultation-2023``: for those who qualified on or after 1 April 2024, 5 years' experience
    and a completed (passed) ASYE or ECF year 1; those who qualified earlier are not covered by
    it and are reported as eligible.

* **Social Work England CPD readiness**: per registration year (1 December to 30 November), at
  least 2 CPD records, at least one reflected on with a peer; renewal opens on 1 September: the
  framework's ``[cpd]`` data, judged by :mod:`ecf.cpd` (which says what counts as reflected on
  with a peer).  No CPD is due at the renewal of a registration year in which the practitioner
  first registered on or after 1 September (the record's ``registered`` date; FACTS.md 6: they
  only pay the fee at that renewal).

* **Retention**: leavers by the stage they were in when they left, with reasons.

This module is long because the three figures are read together in one report, and each is
given both for a single record and folded over a cohort from what a scan's workers send back
(:class:`WorkforceItem`); split apart, the two ways of counting would drift.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import TYPE_CHECKING, Literal

import attrs

from ecf._convert import register_json
from ecf.cpd import cpd_year
from ecf.framework import CpdRules
from ecf.items import kept
from ecf.timeline import Pause, add_months

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ecf.cohort import ScanContext
    from ecf.framework import FrameworkRegistry
    from ecf.records import Record

__all__ = [
    "AgencyEligibility",
    "Career",
    "CpdReadiness",
    "Headline",
    "Retention",
    "WorkforceItem",
    "agency_eligibility",
    "career",
    "cpd_readiness",
    "headline",
    "headline_of",
    "registration_year",
    "retention",
    "retention_of",
    "workforce_item",
]

AgencyRules = Literal["statutory-2024", "consultation-2023"]
CONSULTATION_CUTOFF = dt.date(2024, 4, 1)


@attrs.frozen
class AgencyEligibility:
    """Whether a practitioner may take an agency post, and from when.

    Attributes:
        eligible: ``None`` when the rules do not apply (adult services).
        from_date: The date they become (or became) eligible, if it can be known.
        experience_days: Experience counted so far.
    """

    id: str
    rules: str
    eligible: bool | None
    from_date: dt.date | None
    experience_days: int
    reason: str


register_json(AgencyEligibility, rename={"from_date": "from"})


def _not_counted(record: Record, registry: FrameworkRegistry) -> list[Pause]:
    """Spells that add no experience, merged where they overlap or adjoin.

    They are the absences of kinds that do not count as service, whatever their length, and the
    gaps between employers.  Statutory leave within employment (parental, sickness...) counts,
    however long: whether a kind counts is the framework's ``counts_as_service`` flag, separate
    from ``pauses``.  A retracted absence counts for nothing.
    """
    fw = registry.get(record.enrolments[0].framework)
    absences = kept(record.absences)
    spells = sorted(
        [
            *(
                (a.first, a.last)
                for a in absences
                if (kind := fw.absence_kind(a.kind)) is not None and not kind.counts_as_service
            ),
            *record.gaps(),
        ]
    )
    merged: list[list[dt.date]] = []
    for first, last in spells:
        if merged and first <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return [Pause(first, last) for first, last in merged]


def _experience_until(record: Record, registry: FrameworkRegistry, until: dt.date) -> int:
    if not record.enrolments:
        return 0
    start = record.enrolments[0].start
    end = min(until, record.left.date) if record.left else until
    if end < start:
        return 0
    paused = sum(
        (min(p.last, end) - max(p.first, start)).days + 1
        for p in _not_counted(record, registry)
        if p.last >= start and p.first <= end
    )
    return (end - start).days + 1 - paused


def _years_reached(record: Record, registry: FrameworkRegistry, years: int) -> dt.date | None:
    """The first day on which the experience reaches ``years`` full years (if still employed)."""
    if not record.enrolments:
        return None
    start = record.enrolments[0].start
    need = (add_months(start, 12 * years) - start).days
    day = start + dt.timedelta(days=need - 1)
    for pause in _not_counted(record, registry):
        if pause.last >= start and pause.first <= day:
            day += dt.timedelta(days=(pause.last - max(pause.first, start)).days + 1)
    if record.left and record.left.date < day:
        return None
    return day + dt.timedelta(days=1)


def agency_eligibility(
    record: Record,
    registry: FrameworkRegistry,
    as_of: dt.date,
    rules: AgencyRules = "statutory-2024",
) -> AgencyEligibility:
    """Agency eligibility of one record as of a date under a rule set."""
    days = _experience_until(record, registry, as_of)
    if record.service != "children":
        return AgencyEligibility(
            record.id, rules, None, None, days, "the agency rules cover child and family work only"
        )
    if rules == "statutory-2024":
        when = _years_reached(record, registry, 3)
        ok = when is not None and when <= as_of
        reason = (
            f"3 years' post-qualifying experience reached on {when}"
            if ok
            else f"3 years' experience needed; {days} days so far"
            + (f", reached on {when}" if when else ", not reachable after leaving")
        )
        return AgencyEligibility(record.id, rules, ok, when, days, reason)
    if record.qualified < CONSULTATION_CUTOFF:
        return AgencyEligibility(
            record.id,
            rules,
            eligible=True,
            from_date=None,
            experience_days=days,
            reason=f"qualified before {CONSULTATION_CUTOFF}: not covered",
        )
    first_year = [e.stage for e in record.enrolments if e.stage in ("asye", "ecf-1")]
    passed = any(
        (d := record.decision(stage)) is not None and d.outcome == "pass" and d.date <= as_of
        for stage in first_year
    )
    when = _years_reached(record, registry, 5)
    ok = passed and when is not None and when <= as_of
    parts = [] if passed else ["a completed ASYE or ECF year 1"]
    if when is None or when > as_of:
        parts.append(f"5 years' experience ({days} days so far)")
    reason = "5 years' experience and a completed ASYE" if ok else "needs " + " and ".join(parts)
    return AgencyEligibility(record.id, rules, ok, when, days, reason)


def registration_year(day: dt.date, rules: CpdRules | None = None) -> tuple[dt.date, dt.date]:
    """The Social Work England registration year holding ``day`` (1 December to 30 November).

    Args:
        day: Any day.
        rules: The framework's CPD data (default: the national baseline's).
    """
    return (rules or CpdRules()).year(day)


@attrs.frozen
class CpdReadiness:
    """CPD for the registration year holding the as-of date."""

    id: str
    year_start: dt.date
    year_end: dt.date
    records: tuple[str, ...]
    peer_reflected: tuple[str, ...]
    ready: bool
    renewal_open: bool
    message: str
    due: bool = True


def _cpd_rules(record: Record, registry: FrameworkRegistry | None) -> CpdRules:
    """The CPD data of the framework the record's latest stage pins (or the registry's current)."""
    if registry is None:
        return CpdRules()
    version = record.enrolments[-1].framework if record.enrolments else None
    return registry.get(version).cpd


def cpd_readiness(
    record: Record, as_of: dt.date, registry: FrameworkRegistry | None = None
) -> CpdReadiness:
    """Whether the record holds the CPD renewal needs for this registration year.

    The registration year, the records it needs and the day renewal opens are the framework's
    ``[cpd]`` data (:class:`ecf.framework.CpdRules`), judged by :func:`ecf.cpd.cpd_year`.  A
    practitioner who first registered (``record.registered``) on or after the day renewal opens
    in the registration year, up to its last day, owes no CPD at that year's renewal: ``due`` is
    false and they are ready.

    Args:
        record: The practitioner's record.
        as_of: The day judged: its registration year, records up to it.
        registry: The frameworks; the CPD data of the version the latest stage pins.  Without
            one, the national baseline's.
    """
    year = cpd_year(record, as_of, as_of, _cpd_rules(record, registry))
    start, end = year.start, year.end
    renewal_open = as_of >= year.renewal_opens
    opens = f"{year.renewal_opens:%-d %B}"
    if not year.due:
        return CpdReadiness(
            record.id,
            start,
            end,
            (),
            (),
            ready=True,
            renewal_open=renewal_open,
            message=(
                f"first registered on {record.registered}, on or after {opens} of the "
                f"registration year {start} to {end}: no CPD is due at its renewal"
            ),
            due=False,
        )
    ready = year.met
    missing = year.missing()
    message = (
        f"{len(year.records)} CPD records in {start} to {end}, {len(year.peer)} with a peer"
        + ("" if ready else f"; needs {' and '.join(missing)}")
        + (f"; renewal is open until {end}" if renewal_open and not ready else "")
    )
    return CpdReadiness(
        record.id,
        start,
        end,
        tuple(e.id for e in year.records),
        tuple(e.id for e in year.peer),
        ready,
        renewal_open,
        message,
    )


@attrs.frozen
class Retention:
    """Leavers by the stage they were in, with their reasons, over a cohort.

    Attributes:
        transfers: Moves to another council (an employment period that closed with another
            after it), which are not leavers: their service carries over.
    """

    total: int
    leavers: int
    by_stage: dict[str, int]
    reasons: dict[str, int]
    transfers: int = 0


@attrs.frozen
class Career:
    """What the retention and headline figures need of one record (:func:`career`).

    A cohort's figures are folded from these, so a scan computes them where it reads each
    record and sends back only this (:func:`workforce_item`).

    Attributes:
        left: The day the practitioner left, if they did.
        reason: Why they left (a personal reason: counted, never shown per person).
        stage: The stage they were in when they left ("before starting" if none had started).
        moves: The last day of each employment period another followed (a move of council).
    """

    left: dt.date | None
    reason: str | None
    stage: str | None
    moves: tuple[dt.date, ...] = ()


def career(record: Record) -> Career:
    """What :func:`retention` and :func:`headline` count of one record."""
    moves = tuple(
        period.to for period, _ in itertools.pairwise(record.periods()) if period.to is not None
    )
    left = record.left
    if left is None:
        return Career(None, None, None, moves)
    started = [e for e in record.enrolments if e.start <= left.date]
    stage = started[-1].stage if started else "before starting"
    return Career(left.date, left.reason, stage, moves)


def retention(
    records: Iterable[Record], since: dt.date | None = None, until: dt.date | None = None
) -> Retention:
    """Who left, counted by the stage they were in and by reason (optionally within dates)."""
    return retention_of((career(r) for r in records), since, until)


def retention_of(
    careers: Iterable[Career], since: dt.date | None = None, until: dt.date | None = None
) -> Retention:
    """:func:`retention` from each record's :func:`career`."""
    total = leavers = moves = 0
    by_stage: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for one in careers:
        total += 1
        moves += sum(
            1 for to in one.moves if not (since and to < since) and not (until and to > until)
        )
        left = one.left
        if left is None or (since and left < since) or (until and left > until):
            continue
        leavers += 1
        stage = one.stage or "before starting"
        reason = one.reason or ""
        by_stage[stage] = by_stage.get(stage, 0) + 1
        reasons[reason] = reasons.get(reason, 0) + 1
    return Retention(
        total, leavers, dict(sorted(by_stage.items())), dict(sorted(reasons.items())), moves
    )


@attrs.frozen
class Headline:
    """The counts a workforce report opens with: eligible n of N, CPD-ready n of N, leavers.

    Attributes:
        total: The records counted.
        in_post: Those who had not left by the date: the N of the two rates below.
        agency_judged: Those in post whom the agency rules cover (child and family work).
        agency_eligible: Of those, the ones eligible on the date.
        cpd_ready: Those in post ready for this registration year's renewal (or owing none).
        leavers: Those who left, on or before the date.
        leavers_by_stage: The leavers by the stage they were in when they left.
    """

    total: int
    in_post: int
    agency_judged: int
    agency_eligible: int
    cpd_ready: int
    leavers: int
    leavers_by_stage: dict[str, int]


def headline(
    records: Iterable[Record],
    agency: Iterable[AgencyEligibility],
    cpd: Iterable[CpdReadiness],
    as_of: dt.date,
) -> Headline:
    """The headline counts of a cohort, from each record's agency and CPD results.

    Args:
        records: The records.
        agency: Each record's :func:`agency_eligibility`, in the same order.
        cpd: Each record's :func:`cpd_readiness`, in the same order.
        as_of: The date: who had left by then is not in post.
    """
    return headline_of((career(r) for r in records), agency, cpd, as_of)


def headline_of(
    careers: Iterable[Career],
    agency: Iterable[AgencyEligibility],
    cpd: Iterable[CpdReadiness],
    as_of: dt.date,
) -> Headline:
    """:func:`headline` from each record's :func:`career`."""
    total = in_post = judged = eligible = ready = 0
    counted: list[Career] = []
    for one, agency_of, cpd_of in zip(careers, agency, cpd, strict=True):
        total += 1
        if one.left is not None and one.left <= as_of:
            counted.append(one)
            continue
        in_post += 1
        judged += agency_of.eligible is not None
        eligible += agency_of.eligible is True
        ready += cpd_of.ready
    gone = retention_of(counted, until=as_of)
    return Headline(total, in_post, judged, eligible, ready, gone.leavers, gone.by_stage)


@attrs.frozen
class WorkforceItem:
    """One record's part of a workforce report, as a scan's worker computes it.

    Attributes:
        id: The record's id.
        council: The record's council.
        agency: Its :func:`agency_eligibility` on the date.
        cpd: Its :func:`cpd_readiness` on the date.
        career: Its :func:`career`, for the retention and headline figures.
    """

    id: str
    council: str | None
    agency: AgencyEligibility
    cpd: CpdReadiness
    career: Career


def workforce_item(record: Record, context: ScanContext, rules: AgencyRules) -> WorkforceItem:
    """A record's :class:`WorkforceItem` in a scan (:func:`ecf.cohort.scan_records`).

    Use it as ``functools.partial(workforce_item, rules=...)``: picklable, so every worker can
    run it.
    """
    return WorkforceItem(
        record.id,
        record.council,
        agency_eligibility(record, context.registry, context.as_of, rules),
        cpd_readiness(record, context.as_of, context.registry),
        career(record),
    )
