"""Workforce figures the sector asks for: agency eligibility, CPD readiness, retention.

* **Agency eligibility** (child and family, BASELINE.md "Other rules shipped"), under the rule set
  a council's configuration chooses:

  - ``statutory-2024`` (in force 31 Oct 2024): at least 3 years' post-qualifying experience in
    English local authority child and family social work while registered; the ASYE and the ECF
    count.  ecf counts the calendar time from the first stage's start to the as-of date (or the
    day the practitioner left), less pausing absences (a choice: a long absence is not
    experience).
  - ``consultation-2023``: for those who qualified on or after 1 April 2024, 5 years' experience
    and a completed (passed) ASYE or ECF year 1; those who qualified earlier are not covered by
    it and are reported as eligible.

* **Social Work England CPD readiness**: per registration year (1 December to 30 November), at
  least 2 CPD records, at least one reflected on with a peer; renewal opens on 1 September.  A
  CPD record counts as reflected on with a peer when it names who it was with (``by``) (a
  choice: the record holds no other trace of the peer).  No CPD is due at the renewal of a
  registration year in which the practitioner first registered on or after 1 September (the
  record's ``registered`` date; FACTS.md 6: they only pay the fee at that renewal).

* **Retention**: leavers by the stage they were in when they left, with reasons.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import TYPE_CHECKING, Literal

import attrs

from ecf._convert import register_json
from ecf.items import in_force
from ecf.timeline import Pause, add_months, pauses

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ecf.framework import FrameworkRegistry
    from ecf.records import Record

__all__ = [
    "AgencyEligibility",
    "CpdReadiness",
    "Retention",
    "agency_eligibility",
    "cpd_readiness",
    "registration_year",
    "retention",
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
    """Spells that add no experience: long absences that pause, and gaps between employers."""
    fw = registry.get(record.enrolments[0].framework)
    spells = [*pauses(record.absences, fw), *(Pause(a, b) for a, b in record.gaps())]
    return sorted(spells, key=lambda p: p.first)


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


def registration_year(day: dt.date) -> tuple[dt.date, dt.date]:
    """The Social Work England registration year holding ``day``: 1 December to 30 November."""
    start_year = day.year if day.month == 12 else day.year - 1  # noqa: PLR2004
    return dt.date(start_year, 12, 1), dt.date(start_year + 1, 11, 30)


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


def cpd_readiness(record: Record, as_of: dt.date) -> CpdReadiness:
    """Whether the record holds the CPD renewal needs for this registration year.

    A practitioner who first registered (``record.registered``) on or after 1 September of the
    registration year, up to its last day, owes no CPD at that year's renewal: ``due`` is false
    and they are ready.
    """
    start, end = registration_year(as_of)
    renewal_opens = dt.date(end.year, 9, 1)
    if record.registered is not None and renewal_opens <= record.registered <= end:
        return CpdReadiness(
            record.id,
            start,
            end,
            (),
            (),
            ready=True,
            renewal_open=as_of >= renewal_opens,
            message=(
                f"first registered on {record.registered}, on or after 1 September of the "
                f"registration year {start} to {end}: no CPD is due at its renewal"
            ),
            due=False,
        )
    held = in_force(record).evidence  # a retracted item counts for nothing
    cpd = [e for e in held if e.kind == "cpd" and start <= e.date <= min(end, as_of)]
    peer = [e for e in cpd if e.by]
    ready = len(cpd) >= 2 and bool(peer)  # noqa: PLR2004
    renewal_open = as_of >= renewal_opens
    missing = []
    if len(cpd) < 2:  # noqa: PLR2004
        missing.append(f"{2 - len(cpd)} more CPD record{'s' if len(cpd) == 0 else ''}")
    if not peer:
        missing.append("one reflected on with a peer")
    message = (
        f"{len(cpd)} CPD records in {start} to {end}, {len(peer)} with a peer"
        + ("" if ready else f"; needs {' and '.join(missing)}")
        + (f"; renewal is open until {end}" if renewal_open and not ready else "")
    )
    return CpdReadiness(
        record.id,
        start,
        end,
        tuple(e.id for e in cpd),
        tuple(e.id for e in peer),
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


def retention(
    records: Iterable[Record], since: dt.date | None = None, until: dt.date | None = None
) -> Retention:
    """Who left, counted by the stage they were in and by reason (optionally within dates)."""
    total = leavers = moves = 0
    by_stage: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for record in records:
        total += 1
        moves += sum(
            1
            for period, _ in itertools.pairwise(record.periods())
            if period.to is not None
            and not (since and period.to < since)
            and not (until and period.to > until)
        )
        left = record.left
        if left is None or (since and left.date < since) or (until and left.date > until):
            continue
        leavers += 1
        started = [e for e in record.enrolments if e.start <= left.date]
        stage = started[-1].stage if started else "before starting"
        by_stage[stage] = by_stage.get(stage, 0) + 1
        reasons[left.reason] = reasons.get(left.reason, 0) + 1
    return Retention(
        total, leavers, dict(sorted(by_stage.items())), dict(sorted(reasons.items())), moves
    )
