"""Funding of the early career stages, as versioned data: who is eligible for which payment.

This module is long because the funding data's model, the checks made on load and the one rule
that reads it are one data format: split, a field could be added to the file and not checked.

One data file per funding year (April to March) in ``ecf/data/funding/`` (``2026-27.toml``)
lists the schemes: for a stage and the services it covers, the payments (an amount in whole
pounds, or none when it is not published; when each can be claimed), the eligibility conditions
(started within N years of qualifying; registered with Social Work England; conditions a record
does not hold, which people check), whether the scheme was seen in a published source
(``verified``) and the source.

:func:`funding_for` is pure: for each stage a record is enrolled in, and each payment of its
scheme, it says whether the record is eligible (``True``, ``False``, or ``None`` when it cannot
be known), the amount, from when it can be claimed and, when not eligible, why.  Claims are not
tracked: ecf does not know whether a payment was claimed.

The baseline (BASELINE.md, FACTS.md 1 and 6): the child and family ASYE 2026-27 pays GBP 1,000
at registration and GBP 1,000 at completion, if the ASYE starts within 4 years of qualifying and
the practitioner is registered with Social Work England.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ecf._convert import register_json, structure, to_json
from ecf.errors import EcfError, Problem
from ecf.framework import Service  # noqa: TC001 - cattrs reads the annotation at run time
from ecf.limits import load_toml
from ecf.progression import overturned
from ecf.timeline import add_months

if TYPE_CHECKING:
    import datetime as dt

    from ecf.records import Enrolment, Record

__all__ = [
    "Eligibility",
    "FundingError",
    "FundingYear",
    "Payment",
    "PaymentFunding",
    "Scheme",
    "funding_for",
    "funding_rows",
    "funding_year",
    "funding_years",
    "load_funding_data",
    "load_funding_file",
    "year_of",
]

_DATA = Path(__file__).parent / "data" / "funding"
_YEAR = re.compile(r"(\d{4})-(\d{2})")

#: What ecf says about claims: it does not record them.
NOT_TRACKED = "not tracked"

Claimable = Literal["registration", "pass"]


class FundingError(EcfError, ValueError):
    """A funding data file is malformed or invalid, or a funding year is unknown."""


@attrs.frozen
class Payment:
    """One payment of a scheme.

    Attributes:
        id: Its name (``registration``, ``completion``).
        amount_gbp: The amount in whole pounds sterling; ``None`` when it is not published.
        claimable: From when it can be claimed: ``registration`` (the later of the registration
            date and the stage's start), ``pass`` (the pass decision's date); ``None`` when it
            is not published.
    """

    id: str
    amount_gbp: int | None = None
    claimable: Claimable | None = None


@attrs.frozen
class Eligibility:
    """The conditions of a scheme.

    Attributes:
        max_years_after_qualifying: The stage starts at most this many years after the
            qualification date (exactly that many years is still within).
        requires_registration: The practitioner is registered with Social Work England.
        unchecked: Conditions a record does not hold (agency work...): while any is listed,
            eligibility is unknown (``None``) unless a checked condition already fails.
    """

    max_years_after_qualifying: int | None = None
    requires_registration: bool = False
    unchecked: tuple[str, ...] = ()


@attrs.frozen
class Scheme:
    """The funding of one stage for some services, in one funding year.

    Attributes:
        payments: None listed: the stage may be funded, but the data does not know how.
        note: What a reader should know (shown when eligibility is unknown).
    """

    id: str
    stage: str
    services: tuple[Service, ...]
    title: str = ""
    eligibility: Eligibility = Eligibility()
    payments: tuple[Payment, ...] = ()
    verified: bool = False
    source: str = ""
    note: str = ""


@attrs.frozen
class FundingYear:
    """One funding year's schemes (``2026-27``: 1 April 2026 to 31 March 2027)."""

    year: str
    title: str
    schemes: tuple[Scheme, ...]
    file: str | None = None

    def scheme(self, stage: str, service: str) -> Scheme | None:
        """The scheme funding ``stage`` in ``service``, or None."""
        return next((s for s in self.schemes if s.stage == stage and service in s.services), None)


@attrs.frozen
class PaymentFunding:
    """One payment for one stage of one record.

    Attributes:
        id: The record's id.
        stage: The stage id.
        start: The stage's start.
        payment: The payment's id; ``None`` when the stage has no known payment.
        eligible: ``True``, ``False``, or ``None`` when it cannot be known from the record and
            the data.
        amount_gbp: Whole pounds; ``None`` when not published.
        claimable_from: The first day it can be claimed, when known.
        claimed: Always :data:`NOT_TRACKED`: ecf does not record claims.
        reason: Why not eligible, or what is unknown, or when it becomes claimable.
        verified: Whether the scheme was seen in a published source.
        scheme: The scheme's id in the funding data.
        source: Where the scheme's facts come from.
    """

    id: str
    stage: str
    start: dt.date
    payment: str | None
    eligible: bool | None
    amount_gbp: int | None
    claimable_from: dt.date | None
    reason: str
    verified: bool
    scheme: str | None = None
    claimed: str = NOT_TRACKED
    source: str = ""


register_json(PaymentFunding)


def year_of(day: dt.date) -> str:
    """The funding year holding ``day`` (April to March): 2026-11-30 is in ``2026-27``."""
    first = day.year if day.month >= 4 else day.year - 1  # noqa: PLR2004 - April
    return f"{first}-{(first + 1) % 100:02d}"


def _check(data: FundingYear, file: str | None) -> list[Problem]:
    problems: list[Problem] = []
    found = _YEAR.fullmatch(data.year)
    if found is None or (int(found.group(1)) + 1) % 100 != int(found.group(2)):
        problems.append(Problem("a funding year is written 2026-27", "year", data.year, file))
    seen: set[str] = set()
    covered: dict[tuple[str, str], str] = {}
    for i, scheme in enumerate(data.schemes):
        path = f"schemes[{i}]"
        if scheme.id in seen:
            problems.append(Problem("duplicate id", f"{path}.id", scheme.id, file))
        seen.add(scheme.id)
        if not scheme.services:
            problems.append(Problem("a scheme covers at least one service", f"{path}.services"))
        for service in scheme.services:
            other = covered.setdefault((scheme.stage, service), scheme.id)
            if other != scheme.id:
                problems.append(
                    Problem(
                        f"scheme '{other}' already funds this stage for {service}",
                        f"{path}.stage",
                        scheme.stage,
                        file,
                    )
                )
        years = scheme.eligibility.max_years_after_qualifying
        if years is not None and years <= 0:
            problems.append(
                Problem(
                    "must be a positive whole number of years",
                    f"{path}.eligibility.max_years_after_qualifying",
                    years,
                    file,
                )
            )
        ids: set[str] = set()
        for j, payment in enumerate(scheme.payments):
            if payment.id in ids:
                problems.append(
                    Problem("duplicate id", f"{path}.payments[{j}].id", payment.id, file)
                )
            ids.add(payment.id)
            if payment.amount_gbp is not None and payment.amount_gbp < 0:
                problems.append(
                    Problem(
                        "must be whole pounds, 0 or more",
                        f"{path}.payments[{j}].amount_gbp",
                        payment.amount_gbp,
                        file,
                    )
                )
    return problems


def load_funding_data(data: dict[str, Any], *, file: str | None = None) -> FundingYear:
    """Build and validate a funding year from parsed TOML data.

    Raises:
        FundingError: naming the file, the entry and the field of every problem found.
    """
    year = structure({**data, "file": file}, FundingYear, error=FundingError, file=file)
    problems = _check(year, file)
    if problems:
        raise FundingError(problems)
    return year


def load_funding_file(path: str | Path) -> FundingYear:
    """Read and validate a funding data file.

    Raises:
        FundingError: the file is missing, over a limit, not TOML, or invalid.
    """
    return load_funding_data(load_toml(Path(path), FundingError), file=str(path))


def funding_years() -> tuple[str, ...]:
    """The funding years ecf ships, oldest first."""
    return tuple(sorted(p.stem for p in _DATA.glob("*.toml")))


def funding_year(year: str) -> FundingYear:
    """The shipped funding data of ``year`` (``2026-27``).

    Raises:
        FundingError: when ecf ships no data for that year, or its file is invalid.
    """
    if year not in funding_years():
        known = ", ".join(funding_years())
        raise FundingError(
            [Problem(f"no funding data for this year (known: {known})", "year", year)]
        )
    return load_funding_file(_DATA / f"{year}.toml")


def _years_and_days(start: dt.date, end: dt.date) -> tuple[int, int]:
    """Whole years from ``start`` to ``end``, and the days left over."""
    years = 0
    while add_months(start, 12 * (years + 1)) <= end:
        years += 1
    return years, (end - add_months(start, 12 * years)).days


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _not_eligible(
    record: Record, enrolment: Enrolment, scheme: Scheme, as_of: dt.date
) -> str | None:
    """Why the record does not meet a checked condition of ``scheme``, or None."""
    rules = scheme.eligibility
    limit = rules.max_years_after_qualifying
    if limit is not None and enrolment.start > add_months(record.qualified, 12 * limit):
        years, days = _years_and_days(record.qualified, enrolment.start)
        after = _plural(years, "year") + (f" and {_plural(days, 'day')}" if days else "")
        return f"started {after} after qualifying; the limit is {_plural(limit, 'year')}"
    if rules.requires_registration:
        if record.registered is None:
            return "not registered with Social Work England (no registration date in the record)"
        if record.registered > as_of:
            return f"not registered with Social Work England until {record.registered}"
    return None


def _payment(
    record: Record, enrolment: Enrolment, scheme: Scheme, payment: Payment, as_of: dt.date
) -> PaymentFunding:
    def row(eligible: bool | None, when: dt.date | None, reason: str) -> PaymentFunding:
        return PaymentFunding(
            record.id,
            enrolment.stage,
            enrolment.start,
            payment.id,
            eligible,
            payment.amount_gbp,
            when,
            reason,
            scheme.verified,
            scheme.id,
            source=scheme.source,
        )

    failed = _not_eligible(record, enrolment, scheme, as_of)
    if failed is not None:
        return row(eligible=False, when=None, reason=failed)
    when: dt.date | None = None
    pending = ""
    if payment.claimable == "registration" and record.registered is not None:
        when = max(record.registered, enrolment.start)
    elif payment.claimable == "pass":
        last = record.decision(enrolment.stage)
        if last is not None and last.date <= as_of and not overturned(record, last, as_of):
            if last.outcome != "pass":
                return row(
                    eligible=False,
                    when=None,
                    reason=f"the stage was not passed (its decision: {last.outcome})",
                )
            when = last.date
        else:
            pending = "claimable when the stage is passed"
    elif payment.claimable is None:
        pending = "when it can be claimed is not published"
    if scheme.eligibility.unchecked:
        checks = "; ".join(scheme.eligibility.unchecked)
        reason = f"unknown: the record does not show the conditions {checks}"
        if payment.amount_gbp is None:
            reason += "; the amount is not published"
        return row(eligible=None, when=when, reason=reason)
    reason = pending or ("" if payment.amount_gbp is not None else "the amount is not published")
    return row(eligible=True, when=when, reason=reason)


def funding_for(record: Record, year: FundingYear, as_of: dt.date) -> tuple[PaymentFunding, ...]:
    """The funding of each stage the record is enrolled in, payment by payment.

    Args:
        record: The practitioner's record.
        year: The funding year's data (:func:`funding_year`).
        as_of: Registration, decisions and appeals after this date are not yet known.

    Returns:
        One row per payment of each enrolment's scheme; one row (``payment`` None) for a stage
        the year does not fund, or whose funding the data does not know.  Stages passed before
        the record began are not listed.
    """
    rows: list[PaymentFunding] = []
    for enrolment in record.enrolments:
        scheme = year.scheme(enrolment.stage, record.service)
        if scheme is None:
            rows.append(
                PaymentFunding(
                    record.id,
                    enrolment.stage,
                    enrolment.start,
                    None,
                    False,  # noqa: FBT003 - the eligible field, positionally as the others
                    None,
                    None,
                    f"the stage is not funded in {year.year}",
                    verified=True,
                )
            )
        elif not scheme.payments:
            rows.append(
                PaymentFunding(
                    record.id,
                    enrolment.stage,
                    enrolment.start,
                    None,
                    None,
                    None,
                    None,
                    scheme.note or "not known: the data lists no payment",
                    scheme.verified,
                    scheme.id,
                    source=scheme.source,
                )
            )
        else:
            rows.extend(_payment(record, enrolment, scheme, p, as_of) for p in scheme.payments)
    return tuple(rows)


def funding_rows(
    record: Record, context: object, *, year: FundingYear, as_of: dt.date
) -> list[dict[str, Any]]:
    """A record's :func:`funding_for` as plain rows (``to_json``), in a scan of record files.

    Use it as ``functools.partial(funding_rows, year=..., as_of=...)`` with
    :func:`ecf.cohort.scan_records` (``ecf funding`` does): each worker makes its records' rows.

    Args:
        record: The practitioner's record.
        context: The scan's context (not needed: the year and date are given).
        year: The funding year's data.
        as_of: Registration, decisions and appeals after this date are not yet known.
    """
    del context  # the scan hands every function its context; the funding needs none of it
    return [to_json(item) for item in funding_for(record, year, as_of)]
