"""The cohort picture: a cohort as one self-contained HTML page (``ecf cohort --format html``).

For a workforce team: the summary, four charts read at a glance (people by stage and state;
milestones due and overdue by month for the next 12 months; support gaps by team; the load per
assessor) and the table of every record, sortable and filterable in the page by a small inline
script.  Nothing is loaded from the network.

Pure functions: :func:`cohort_view` turns cohort rows (:class:`ecf.cohort.CohortRow`) into a
:class:`CohortPage`, and :func:`render_cohort` renders it with the package's templates
(:func:`ecf.html_report.render`), escaping every value.  With a pseudonymisation key the ids
become keyed hashes and the assessors' names are left out, as in the other cohort formats.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs

from ecf import _charts
from ecf.export import pseudonym
from ecf.html_report import render
from ecf.status import status

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from ecf.cohort import CohortRow, ScanContext, Summary
    from ecf.council import CouncilSettings
    from ecf.framework import FrameworkRegistry
    from ecf.records import Record

__all__ = ["COLUMNS", "CohortPage", "Column", "cohort_view", "due_dates", "render_cohort"]


@attrs.frozen
class Column:
    """A column of the table: its key, its heading, and whether it holds numbers or dates."""

    key: str
    heading: str
    kind: str = "text"


#: The table's columns (``assessor`` is left out of a pseudonymised page).
COLUMNS: tuple[Column, ...] = (
    Column("id", "Record"),
    Column("council", "Council"),
    Column("team", "Team"),
    Column("stage", "Stage"),
    Column("stage_start", "Started", "date"),
    Column("expected_end", "Expected end", "date"),
    Column("state", "State"),
    Column("next_milestone", "Next"),
    Column("next_due", "Due", "date"),
    Column("overdue", "Overdue", "number"),
    Column("recommendation", "Recommendation"),
    Column("support_gaps", "Support gaps", "number"),
    Column("assessor", "Assessor"),
)


@attrs.frozen
class CohortPage:
    """Everything the cohort page shows, as plain values (the template's only input).

    Attributes:
        rows: One tuple of cells per record, in the order of :attr:`columns`; each cell is the
            text shown (``""`` for nothing).
        stages: The stages present, for the table's filter.
        states: The states present, for the table's filter.
    """

    as_of: dt.date
    title: str
    summary: Summary
    pseudonymised: bool
    assessed: bool
    charts: tuple[_charts.Chart, ...]
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    stages: tuple[str, ...]
    states: tuple[str, ...]


def due_dates(
    records: Iterable[Record],
    registry: FrameworkRegistry,
    as_of: dt.date,
    *,
    settings: CouncilSettings | None = None,
) -> dict[str, tuple[tuple[dt.date, bool], ...]]:
    """Each record's required milestones not yet held: (due date, overdue), by record id.

    For the chart of milestones due by month; optional milestones and those due before the
    record began are left out, as :func:`ecf.status.status` leaves them out of what is overdue.
    """
    out: dict[str, tuple[tuple[dt.date, bool], ...]] = {}
    for record in records:
        st = status(record, registry, as_of, settings=settings)
        if st.state in {"passed", "progressed", "failed", "withdrawn", "left"}:
            out[record.id] = ()
            continue
        out[record.id] = tuple(
            (m.due, m.overdue)
            for m in st.milestones
            if m.due is not None and m.held is None and not m.optional and not m.before_record
        )
    return out


def page_item(
    record: Record, context: ScanContext
) -> tuple[CohortRow, tuple[tuple[dt.date, bool], ...]]:
    """A record's cohort row and its :func:`due_dates`, in a scan's worker (the page's data).

    ``ecf cohort --format html`` scans with it, so the page needs no second reading of the
    records (:func:`ecf.cohort.scan_records`).
    """
    from ecf.cohort import cohort_row  # noqa: PLC0415 - the page's one use of the scan

    settings = context.council.settings if context.council is not None else None
    due = due_dates([record], context.registry, context.as_of, settings=settings)
    return cohort_row(record, context), due[record.id]


def _month(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


def _by_month(
    rows: Sequence[CohortRow],
    as_of: dt.date,
    due: Mapping[str, Sequence[tuple[dt.date, bool]]] | None,
) -> list[tuple[str, dict[str, int]]]:
    months = [_month(as_of, i) for i in range(12)]
    counts = dict.fromkeys(months, 0)
    overdue = 0
    for row in rows:
        dates = due.get(row.id, ()) if due is not None else ()
        if due is None:  # only the rows themselves: the next milestone and the overdue count
            overdue += row.overdue
            dates = ((row.next_due, False),) if row.next_due is not None else ()
        for day, late in dates:
            if late:
                overdue += 1
                continue
            start = day.replace(day=1)
            if start in counts and day >= as_of:
                counts[start] += 1
    out: list[tuple[str, dict[str, int]]] = [("now", {"overdue": overdue, "due": 0})]
    out += [
        (m.strftime("%b %Y" if m.month == 1 or i == 0 else "%b"), {"overdue": 0, "due": counts[m]})
        for i, m in enumerate(months)
    ]
    return out


def _count(
    rows: Iterable[tuple[str, str]], *, by_name: bool = False
) -> list[tuple[str, dict[str, int]]]:
    """Rows counted by name and series: the most first, or by name (stages: path order)."""
    table: dict[str, dict[str, int]] = {}
    for name, series in rows:
        bucket = table.setdefault(name, {})
        bucket[series] = bucket.get(series, 0) + 1
    if by_name:
        return sorted(table.items())
    return sorted(table.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def cohort_view(
    rows: Sequence[CohortRow],
    summary: Summary,
    as_of: dt.date,
    *,
    due: Mapping[str, Sequence[tuple[dt.date, bool]]] | None = None,
    key: bytes | None = None,
    title: str = "Cohort",
) -> CohortPage:
    """Everything the cohort page shows.

    Args:
        rows: The rows to show (after any filter); the charts count them.
        summary: The summary of the whole cohort (:func:`ecf.cohort.summarise`).
        as_of: The date of the rows.
        due: Each record's milestones not yet held (:func:`due_dates`), by record id; without
            it, the chart by month counts each row's next milestone only.
        key: A pseudonymisation key: ids become keyed hashes, assessors' names are left out.
        title: The page's heading.

    Returns:
        The page's values.
    """
    assessed = any(r.recommendation is not None for r in rows)
    gap_rows = [r for r in rows if r.support_gaps]
    by_stage = _charts.stacked_bars(
        "by-stage",
        "People by stage and state",
        _count(((r.stage, r.state) for r in rows), by_name=True),
        empty="No records.",
    )
    by_month = _charts.columns(
        "by-month",
        "Milestones due and overdue, next 12 months",
        _by_month(rows, as_of, due),
        empty="Nothing due in the next 12 months.",
    )
    per_team: dict[str, int] = {}
    for r in gap_rows:
        team = r.team or "no team"
        per_team[team] = per_team.get(team, 0) + (r.support_gaps or 0)
    gaps = _charts.stacked_bars(
        "support-gaps",
        "Support gaps by team (the employer's)",
        [(t, {"gaps": n}) for t, n in sorted(per_team.items(), key=lambda kv: (-kv[1], kv[0]))],
        empty="No support gaps." if assessed else "Support gaps are judged with --council.",
    )
    if key is None:
        load = _charts.stacked_bars(
            "assessor-load",
            "Load per assessor (records by state)",
            _count((r.assessor or "no assessor", r.state) for r in rows),
            empty="No records.",
        )
    else:
        load = _charts.Chart(
            "assessor-load",
            "Load per assessor",
            440,
            40,
            empty="Assessors' names are left out of a pseudonymised page.",
        )
    columns = tuple(c for c in COLUMNS if key is None or c.key != "assessor")
    if not assessed:
        columns = tuple(c for c in columns if c.key not in {"recommendation", "support_gaps"})
    table = []
    for row in rows:
        cells = []
        for column in columns:
            value = getattr(row, column.key)
            if column.key == "id" and key is not None:
                value = pseudonym(key, row.id)
            cells.append(_cell(value))
        table.append(tuple(cells))
    return CohortPage(
        as_of=as_of,
        title=title,
        summary=summary,
        pseudonymised=key is not None,
        assessed=assessed,
        charts=(by_stage, by_month, gaps, load),
        columns=columns,
        rows=tuple(table),
        stages=tuple(sorted({r.stage for r in rows})),
        states=tuple(sorted({r.state for r in rows})),
    )


def render_cohort(page: CohortPage) -> str:
    """The cohort picture as one self-contained HTML page."""
    return render("cohort.html.j2", page=page)
