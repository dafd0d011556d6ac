"""Social Work England CPD per registration year: the one place that judges a year's CPD.

The registration year, the minimum CPD records and how many are reflected on with a peer are
framework data (:class:`ecf.framework.CpdRules`, the ``[cpd]`` table).  Two readers judge CPD
with the functions here, so that they always agree: the workforce report's CPD readiness
(:func:`ecf.workforce.cpd_readiness`) and the expert stage's ``per-registration-year`` rule
(:mod:`ecf.rules`).

* A CPD record counts as reflected on with a peer when it names who it was with (``by``) (a
  choice: the record holds no other trace of the peer): :func:`peer_reflected`.
* No CPD is due at the renewal of a registration year in which the practitioner first
  registered (the record's ``registered`` date) on or after the day renewal opens (FACTS.md 6:
  they only pay the fee at that renewal).  The record holds no restoration date, so a
  restoration to the register is not seen.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs

from ecf.items import kept

if TYPE_CHECKING:
    from ecf.framework import CpdRules
    from ecf.records import Evidence, Record

__all__ = ["CpdYear", "cpd_year", "peer_reflected", "registration_years"]

#: The evidence kind of a CPD record.
CPD_KIND = "cpd"


def peer_reflected(evidence: Evidence) -> bool:
    """Whether a CPD record was reflected on with a peer: it names who with (``by``)."""
    return bool(evidence.by)


@attrs.frozen
class CpdYear:
    """The CPD of one registration year, up to a date.

    Attributes:
        start: The registration year's first day.
        end: Its last day.
        renewal_opens: The day its renewal opens.
        due: False when no CPD is due at its renewal (first registered on or after
            ``renewal_opens``).
        records: The CPD records dated in the year, up to the as-of date.
        peer: Those reflected on with a peer.
        min_records: The records the year needs.
        min_peer: The peer-reflected records it needs.
    """

    start: dt.date
    end: dt.date
    renewal_opens: dt.date
    due: bool
    records: tuple[Evidence, ...]
    peer: tuple[Evidence, ...]
    min_records: int
    min_peer: int

    @property
    def met(self) -> bool:
        """Enough records and enough peer-reflected ones (or nothing due)."""
        return not self.due or (
            len(self.records) >= self.min_records and len(self.peer) >= self.min_peer
        )

    def missing(self) -> tuple[str, ...]:
        """What the year still needs, in words ("1 more CPD record"); empty when met."""
        if self.met:
            return ()
        out = []
        short = self.min_records - len(self.records)
        if short > 0:
            out.append(f"{short} more CPD record{'' if short == 1 else 's'}")
        peer = self.min_peer - len(self.peer)
        if peer > 0:
            out.append(
                "one reflected on with a peer"
                if peer == 1 and not self.peer
                else f"{peer} more reflected on with a peer"
            )
        return tuple(out)


def cpd_year(record: Record, day: dt.date, as_of: dt.date, rules: CpdRules) -> CpdYear:
    """The CPD of the registration year holding ``day``, counting records up to ``as_of``.

    A retracted evidence item counts for nothing.
    """
    start, end = rules.year(day)
    opens = rules.renewal_opens_in(start)
    registered = record.registered
    due = not (registered is not None and opens <= registered <= end)
    held = kept(record.evidence)
    records = tuple(e for e in held if e.kind == CPD_KIND and start <= e.date <= min(end, as_of))
    return CpdYear(
        start,
        end,
        opens,
        due,
        records,
        tuple(e for e in records if peer_reflected(e)),
        rules.min_records,
        rules.min_peer_reflected,
    )


def registration_years(
    first: dt.date, last: dt.date, rules: CpdRules
) -> tuple[tuple[dt.date, dt.date], ...]:
    """The registration years that overlap ``first`` to ``last`` (inclusive), oldest first."""
    years = []
    day = first
    while day <= last:
        start, end = rules.year(day)
        years.append((start, end))
        day = end + dt.timedelta(days=1)
    return tuple(years)
