"""The children's social work workforce census: the rows a council's return needs from ecf.

Each local authority in England sends DfE an annual individual-level census of its child and
family social workers, for the year from 1 October to 30 September (``docs/census.md`` says
which of its facts were seen in a published source and which are not verified).  For the early
career workers ecf holds, :func:`census_rows` gives one row per worker employed in the year: the
FTE at the reference date (30 September), the days absent in the year by census category, the
start and leaving dates of the employment at the council, the leaving reason as a code, and the
agency status where the record knows it.

The codes are versioned data, one file per census year in ``ecf/data/census/`` (``2026.toml``:
the year ending 30 September 2026), each code marked verified or not; a council can give its own
file.  :func:`census_rows` is pure: records and the year's data in, rows out.

This module is long because the census data's model, the checks made on load and the rows made
from it are one data format: split, a field could be added to the file and not checked.
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003 - cattrs reads the annotations at run time
from fractions import Fraction  # noqa: TC003 - attrs reads the annotations at run time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ecf._convert import structure
from ecf.errors import EcfError, Problem
from ecf.export import pseudonym
from ecf.items import in_force
from ecf.limits import load_toml

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ecf.cohort import ScanContext
    from ecf.records import Absence, Employment, Record

__all__ = [
    "COLUMNS",
    "AbsenceCategory",
    "AgencyCodes",
    "CensusError",
    "CensusRow",
    "CensusYear",
    "LeavingReason",
    "census_item",
    "census_row",
    "census_rows",
    "census_year",
    "census_years",
    "in_census_order",
    "leaving_code",
    "load_census_file",
]

_DATA = Path(__file__).parent / "data" / "census"


class CensusError(EcfError, ValueError):
    """A census data file is missing or invalid, or no data exists for a year."""


@attrs.frozen
class LeavingReason:
    """A coded reason for leaving; ``matches`` are the councils' words for it (any case)."""

    code: str
    title: str
    verified: bool = False
    matches: tuple[str, ...] = ()


@attrs.frozen
class AbsenceCategory:
    """A census category of absence: the ecf absence kinds it counts, and its CSV column."""

    id: str
    column: str
    title: str
    kinds: tuple[str, ...]
    verified: bool = False


@attrs.frozen
class AgencyCodes:
    """Agency status: the record's ``[extra]`` field holding it, and the codes written."""

    field: str = "agency"
    yes: str = "Y"
    no: str = "N"
    not_known: str = ""
    verified: bool = False


@attrs.frozen
class CensusYear:
    """One census year's data (``ecf/data/census/2026.toml``).

    Attributes:
        year: The year the census ends in (2026: 1 October 2025 to 30 September 2026).
        first_day: The census year's first day.
        last_day: Its last day.
        reference_date: The day headcount and FTE are taken (30 September).
        unmapped: The leaving code written for a reason no entry matches.
        verified: Whether the year's dates were seen in a published source (each code says
            its own).
    """

    year: int
    title: str
    first_day: dt.date
    last_day: dt.date
    reference_date: dt.date
    unmapped: str
    leaving_reasons: tuple[LeavingReason, ...]
    absence_categories: tuple[AbsenceCategory, ...]
    agency: AgencyCodes = attrs.field(factory=AgencyCodes)
    verified: bool = False
    source: str = ""


#: The CSV's columns before the absence categories' (which the year's data names).
FIRST_COLUMNS = [
    "worker_id",
    "swe_registration",
    "council",
    "start_date",
    "leaving_date",
    "leaving_reason",
    "in_post_at_reference",
    "fte_at_reference",
]
#: The columns after them.
LAST_COLUMNS = ["agency", "ecf_stage", "unverified"]
#: Every column, for the shipped year (the absence columns come from the data).
COLUMNS = [
    *FIRST_COLUMNS,
    "days_absent_sickness",
    "days_absent_parental",
    "days_absent_other",
    *LAST_COLUMNS,
]


@attrs.frozen
class CensusRow:
    """One worker's row of the census return.

    Attributes:
        worker_id: The record's id (a keyed pseudonym when pseudonymised).
        swe_registration: The Social Work England number; ``None`` when pseudonymised.
        council: The council the row is for.
        start_date: The first day of the employment at the council that the year overlaps.
        leaving_date: Its last day, when it ended in the census year.
        leaving_reason: The leaving reason's code, when the worker left in the year.
        in_post_at_reference: Employed on the reference date.
        fte_at_reference: The working pattern on the reference date (in post only).
        days_absent: Calendar days absent in the year while employed, by census category id.
        agency: The agency code, or the "not known" one.
        ecf_stage: The early career stage on the reference date (or the last day employed).
        unverified: The columns of this row whose codes are not verified.
        reason_mapped: Whether the leaving reason matched a code (``False``: the unmapped
            code was written; HR codes it by hand).
    """

    worker_id: str
    swe_registration: str | None
    council: str | None
    start_date: dt.date
    leaving_date: dt.date | None
    leaving_reason: str | None
    in_post_at_reference: bool
    fte_at_reference: Fraction | None
    days_absent: dict[str, int]
    agency: str
    ecf_stage: str | None
    unverified: tuple[str, ...] = ()
    reason_mapped: bool = True

    def cells(self, data: CensusYear) -> dict[str, Any]:
        """The row as CSV cells: dates in ISO form, flags ``Y``/``N``, FTE to 2 places."""
        fte = self.fte_at_reference
        return {
            "worker_id": self.worker_id,
            "swe_registration": self.swe_registration,
            "council": self.council,
            "start_date": self.start_date.isoformat(),
            "leaving_date": self.leaving_date.isoformat() if self.leaving_date else None,
            "leaving_reason": self.leaving_reason,
            "in_post_at_reference": "Y" if self.in_post_at_reference else "N",
            "fte_at_reference": None if fte is None else f"{float(fte):.2f}",
            **{c.column: self.days_absent.get(c.id, 0) for c in data.absence_categories},
            "agency": self.agency,
            "ecf_stage": self.ecf_stage,
            "unverified": " ".join(self.unverified),
        }


def columns(data: CensusYear) -> list[str]:
    """The CSV's columns for a census year's data."""
    return [*FIRST_COLUMNS, *(c.column for c in data.absence_categories), *LAST_COLUMNS]


def _check(data: CensusYear, file: str | None) -> list[Problem]:
    problems: list[Problem] = []
    if not data.first_day <= data.reference_date <= data.last_day:
        problems.append(
            Problem(
                "must fall within first_day .. last_day",
                "reference_date",
                data.reference_date.isoformat(),
                file,
            )
        )
    if data.last_day.year != data.year:
        problems.append(
            Problem("the census year is named by the year it ends in", "year", data.year, file)
        )
    codes: set[str] = set()
    words: dict[str, str] = {}
    for i, reason in enumerate(data.leaving_reasons):
        if reason.code in codes:
            problems.append(
                Problem("duplicate code", f"leaving_reasons[{i}].code", reason.code, file)
            )
        codes.add(reason.code)
        for j, word in enumerate(reason.matches):
            other = words.setdefault(word.casefold(), reason.code)
            if other != reason.code:
                problems.append(
                    Problem(
                        f"already matches code '{other}'",
                        f"leaving_reasons[{i}].matches[{j}]",
                        word,
                        file,
                    )
                )
    if data.unmapped not in codes:
        problems.append(
            Problem("is not one of the leaving_reasons' codes", "unmapped", data.unmapped, file)
        )
    kinds: dict[str, str] = {}
    named: set[str] = set()
    for i, category in enumerate(data.absence_categories):
        for name, value in (("id", category.id), ("column", category.column)):
            if value in named:
                problems.append(
                    Problem("duplicate", f"absence_categories[{i}].{name}", value, file)
                )
            named.add(value)
        if category.column in FIRST_COLUMNS or category.column in LAST_COLUMNS:
            problems.append(
                Problem(
                    "is one of the census's own columns",
                    f"absence_categories[{i}].column",
                    category.column,
                    file,
                )
            )
        for j, kind in enumerate(category.kinds):
            other = kinds.setdefault(kind, category.id)
            if other != category.id:
                problems.append(
                    Problem(
                        f"already counted in category '{other}'",
                        f"absence_categories[{i}].kinds[{j}]",
                        kind,
                        file,
                    )
                )
    return problems


def load_census_data(data: dict[str, Any], *, file: str | None = None) -> CensusYear:
    """Build and check a census year from parsed TOML data.

    Raises:
        CensusError: naming the file, the entry and the field of every problem found.
    """
    year = structure(data, CensusYear, error=CensusError, file=file)
    problems = _check(year, file)
    if problems:
        raise CensusError(problems)
    return year


def load_census_file(path: str | Path) -> CensusYear:
    """Read and check a census data file.

    Raises:
        CensusError: the file is missing, over a limit, not TOML, or invalid.
    """
    return load_census_data(load_toml(Path(path), CensusError), file=str(path))


def census_years() -> tuple[int, ...]:
    """The census years ecf ships data for, oldest first."""
    return tuple(sorted(int(p.stem) for p in _DATA.glob("*.toml")))


def census_year(year: int) -> CensusYear:
    """The shipped data of the census year ending 30 September ``year``.

    Raises:
        CensusError: when ecf ships no data for that year.
    """
    if year not in census_years():
        known = ", ".join(str(y) for y in census_years())
        raise CensusError([Problem(f"no census data for this year (known: {known})", "year", year)])
    return load_census_file(_DATA / f"{year}.toml")


def leaving_code(reason: str, data: CensusYear) -> LeavingReason | None:
    """The coded reason a council's words match (ignoring case and outer spaces), if any."""
    words = reason.strip().casefold()
    return next(
        (r for r in data.leaving_reasons if any(m.casefold() == words for m in r.matches)), None
    )


def _overlap(first: dt.date, last: dt.date, start: dt.date, end: dt.date) -> int:
    """Days of ``first .. last`` within ``start .. end`` (inclusive), 0 when apart."""
    return max(0, (min(last, end) - max(first, start)).days + 1)


def _days_absent(
    absences: Iterable[Absence], data: CensusYear, start: dt.date, end: dt.date
) -> dict[str, int]:
    by_kind = {kind: c.id for c in data.absence_categories for kind in c.kinds}
    days = {c.id: 0 for c in data.absence_categories}
    for absence in absences:
        category = by_kind.get(absence.kind)
        if absence.retracted is None and category is not None:
            days[category] += _overlap(absence.first, absence.last, start, end)
    return days


def _agency(record: Record, codes: AgencyCodes) -> str:
    value = record.extra.get(codes.field)
    if isinstance(value, bool):
        return codes.yes if value else codes.no
    return codes.not_known


def _stage_on(record: Record, day: dt.date) -> str | None:
    started = [e.stage for e in record.enrolments if e.start <= day]
    return started[-1] if started else None


def census_rows(
    records: Iterable[Record],
    data: CensusYear,
    *,
    council: str | None = None,
    key: bytes | None = None,
) -> list[CensusRow]:
    """The census rows of the child and family workers employed in the census year.

    One row per record and council employment that overlaps the year (a worker who left and
    came back within the year has the latest spell; an adults' practitioner is not in the
    children's census).  Days absent count the calendar days of each absence inside both the
    year and the employment, retracted ones left out.

    Args:
        records: Valid records.
        data: The census year's data (:func:`census_year`).
        council: Only employment at this council (its code); default: each record's latest
            employment that overlaps the year, at whichever council.
        key: Pseudonymise: ids become keyed hashes, registration numbers are left out.

    Returns:
        The rows, ordered by worker id.
    """
    return in_census_order(census_row(record, data, council=council, key=key) for record in records)


def census_row(
    record: Record, data: CensusYear, *, council: str | None = None, key: bytes | None = None
) -> CensusRow | None:
    """One record's census row (see :func:`census_rows`), or ``None`` if it has none."""
    if record.service != "children":
        return None
    return _row(record, data, council, key)


def in_census_order(rows: Iterable[CensusRow | None]) -> list[CensusRow]:
    """The rows (``None`` left out) as :func:`census_rows` gives them: ordered by worker id."""
    return sorted((r for r in rows if r is not None), key=lambda r: r.worker_id)


def census_item(
    record: Record,
    context: ScanContext,  # noqa: ARG001 - a scan's function receives its context
    *,
    data: CensusYear,
    council: str | None = None,
    key: bytes | None = None,
) -> CensusRow | None:
    """:func:`census_row` in a scan (:func:`ecf.cohort.scan_records`), as a ``partial``."""
    return census_row(record, data, council=council, key=key)


def _latest_spell(
    record: Record, data: CensusYear, council: str | None
) -> tuple[Employment, dt.date | None] | None:
    """The latest employment overlapping the year (at ``council`` if given), and its end."""
    periods = [
        p
        for p in record.periods()
        if (council is None or p.council == council)
        and p.from_ <= data.last_day
        and (p.to is None or p.to >= data.first_day)
    ]
    if not periods:
        return None
    period = periods[-1]
    return period, period.to


def _row(
    record: Record, data: CensusYear, council: str | None, key: bytes | None
) -> CensusRow | None:
    spell = _latest_spell(record, data, council)
    if spell is None:
        return None
    period, to = spell
    ref = data.reference_date
    in_post = period.from_ <= ref and (to is None or to >= ref)
    left = to if to is not None and to <= data.last_day else None
    reason: str | None = None
    mapped = True
    unverified: list[str] = []
    if left is not None:
        moved_on = any(p.from_ > left for p in record.periods())  # a transfer to another council
        words = record.left.reason if record.left and record.left.date == left else None
        coded = leaving_code(words, data) if words else None
        if coded is None and moved_on:
            coded = leaving_code("moved council", data)
        if coded is None:
            mapped = False
            coded = next(r for r in data.leaving_reasons if r.code == data.unmapped)
        reason = coded.code
        if not coded.verified:
            unverified.append("leaving_reason")
    end = min(to or data.last_day, data.last_day)
    days = _days_absent(record.absences, data, max(period.from_, data.first_day), end)
    unverified += [c.column for c in data.absence_categories if not c.verified and days.get(c.id)]
    agency = _agency(record, data.agency)
    if agency != data.agency.not_known and not data.agency.verified:
        unverified.append("agency")
    hours = in_force(record)  # a retracted working pattern counts for nothing
    return CensusRow(
        worker_id=record.id if key is None else pseudonym(key, record.id),
        swe_registration=record.swe if key is None else None,
        council=period.council or record.council,
        start_date=period.from_,
        leaving_date=left,
        leaving_reason=reason,
        in_post_at_reference=in_post,
        fte_at_reference=hours.fte_on(ref) if in_post else None,
        days_absent=days,
        agency=agency,
        ecf_stage=_stage_on(record, ref if in_post else end),
        unverified=tuple(unverified),
        reason_mapped=mapped,
    )
