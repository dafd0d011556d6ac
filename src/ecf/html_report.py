"""The progress record: one record as a self-contained HTML page (``ecf report --out``).

For the practitioner, their assessor and a moderation panel: who, the stage path with a
timeline chart (stages, pauses, part-time periods, milestones due, agreed and held), the
evidence indexed by standard, every finding with its explanation, the support gaps, the
decisions and appeals, and whether the history verifies.  The page loads nothing from the
network (its style sheet is inline, its charts are inline SVG) and prints to PDF from a
browser (print CSS).

This module is long because the page's view model is one small frozen class per table the
page shows, read together with the function that fills them all.

Pure functions: :func:`record_view` turns a record into a :class:`RecordPage` (plain values),
and :func:`render_record` renders it with the package's Jinja2 templates, escaping every
value.  What the page shows of a person is what the page needs: the practitioner's name and
the names of the colleagues who wrote evidence and decided, never notes, SWE numbers or the
kind of an absence (it may reveal health: a pause is shown as a pause).  ``key`` pseudonymises:
the id becomes a keyed hash and every personal field is left out (:func:`ecf.privacy.view`).

Example::

    from ecf import html_report, sources
    page = html_report.record_view(record, registry, dt.date(2026, 12, 1))
    Path("amira.html").write_text(html_report.render_record(page))
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Any

import attrs

from ecf import _charts
from ecf.agreements import assessor_on
from ecf.export import pseudonym
from ecf.history import verify
from ecf.items import PREFIXES, id_attr, item_ids, items_of
from ecf.privacy import view
from ecf.progression import framework_for, stage_state, timeline_for
from ecf.records import decision_ref
from ecf.status import status

if TYPE_CHECKING:
    from collections.abc import Sequence

    import jinja2

    from ecf.assessors import Plugins
    from ecf.council import Council
    from ecf.findings import Finding
    from ecf.framework import Framework, FrameworkRegistry
    from ecf.records import Record
    from ecf.timeline import StageTimeline

__all__ = [
    "DecisionRow",
    "EvidenceRow",
    "FindingRow",
    "MilestoneRow",
    "RecordPage",
    "StageRow",
    "StandardRow",
    "environment",
    "record_view",
    "render_record",
]


@attrs.frozen
class MilestoneRow:
    """A milestone of a stage: due (agreed or computed), held, overdue."""

    id: str
    title: str
    due: dt.date | None
    computed: dt.date | None
    agreed: dt.date | None
    held: dt.date | None
    overdue: bool
    optional: bool


@attrs.frozen
class StageRow:
    """One stage of the path: its dates, its state and its milestones."""

    stage: str
    title: str
    framework: str
    start: dt.date
    end: dt.date | None
    expected_end: dt.date
    state: str
    milestones: tuple[MilestoneRow, ...]
    paused_days: int


@attrs.frozen
class EvidenceRow:
    """A piece of evidence: id, kind, date, standards and author (``None``: not shown)."""

    id: str
    kind: str
    date: dt.date
    standards: tuple[str, ...]
    by: str | None
    retracted: bool


@attrs.frozen
class StandardRow:
    """One standard and, for each evidence column, whether that evidence cites it."""

    id: str
    title: str
    cells: tuple[bool, ...]
    count: int


@attrs.frozen
class FindingRow:
    """One finding with its explanation."""

    rule: str
    assessor: str
    version: str
    status: str
    message: str
    evidence: tuple[str, ...]
    standards: tuple[str, ...]
    deadline: dt.date | None
    behind: bool


@attrs.frozen
class DecisionRow:
    """A decision (``dec-N``) and what became of any appeal against it."""

    ref: str
    stage: str
    outcome: str
    date: dt.date
    by: str | None
    panel: str | None
    reason: str | None
    until: dt.date | None


@attrs.frozen
class AppealRow:
    """An appeal against a decision."""

    decision: str
    lodged: dt.date
    outcome: str | None
    date: dt.date | None
    by: str | None


@attrs.frozen
class RecordPage:
    """Everything the progress record shows, as plain values (the template's only input).

    Attributes:
        name: The practitioner's name; ``None`` when pseudonymised.
        assessor: The assessor on the date; ``None`` when pseudonymised or none assigned.
        evidence_ids: The columns of the grid: evidence in force, by date.
        grid: The rows of the grid: every standard of the sets that apply, and any other
            standard the evidence cites.
        verified: The history verifies (``ecf verify``); ``problems`` says what does not.
    """

    id: str
    name: str | None
    pseudonymised: bool
    council: str | None
    service: str
    qualified: dt.date
    as_of: dt.date
    stage: str
    stage_title: str
    state: str
    expected_end: dt.date
    assessor: str | None
    next_milestone: str | None
    next_due: dt.date | None
    overdue: tuple[str, ...]
    recommendation: str
    assessed_with: str
    prior: tuple[tuple[str, dt.date], ...]
    stages: tuple[StageRow, ...]
    chart: _charts.Chart
    hours: tuple[tuple[dt.date, str], ...]
    pauses: tuple[tuple[dt.date, dt.date, int], ...]
    evidence: tuple[EvidenceRow, ...]
    evidence_ids: tuple[str, ...]
    grid: tuple[StandardRow, ...]
    findings: tuple[FindingRow, ...]
    support: tuple[FindingRow, ...]
    decisions: tuple[DecisionRow, ...]
    appeals: tuple[AppealRow, ...]
    left: dt.date | None
    verified: bool
    problems: tuple[str, ...]
    history_entries: int
    last_change: dt.date | None


def _stage_end(record: Record, index: int, tl: StageTimeline, state: str) -> dt.date | None:
    """The last day of a stage: the day before the next began, or its closing decision."""
    if index + 1 < len(record.enrolments):
        return record.enrolments[index + 1].start - dt.timedelta(days=1)
    if state in {"passed", "progressed", "failed", "withdrawn"}:
        decided = record.decisions_for(tl.stage)
        return decided[-1].date if decided else None
    if state == "left" and record.left is not None:
        return record.left.date
    return None


def _stages(
    record: Record, registry: FrameworkRegistry, as_of: dt.date, council: Council | None
) -> list[tuple[StageRow, StageTimeline]]:
    settings = council.settings if council else None
    out = []
    for index, enrolment in enumerate(record.enrolments):
        fw = framework_for(enrolment, registry, settings)
        tl = timeline_for(record, enrolment, registry, as_of, framework=fw)
        state = stage_state(record, tl, as_of, fw) if enrolment.start <= as_of else "not started"
        closed = state in {"passed", "progressed", "failed", "withdrawn", "left"}
        milestones = tuple(
            MilestoneRow(
                m.id,
                m.title,
                m.due,
                m.computed,
                m.agreed,
                m.held if m.held is not None and m.held <= as_of else None,
                m.overdue(as_of)
                and not closed
                and not (record.began is not None and m.due is not None and m.due < record.began),
                m.optional,
            )
            for m in tl.milestones
        )
        paused = sum((p.last - p.first).days + 1 for p in tl.pauses if p.first <= as_of)
        row = StageRow(
            enrolment.stage,
            tl.title,
            tl.framework,
            tl.start,
            _stage_end(record, index, tl, state),
            tl.expected_end,
            state,
            milestones,
            paused,
        )
        out.append((row, tl))
    return out


def _lanes(
    record: Record, stages: Sequence[tuple[StageRow, StageTimeline]], as_of: dt.date
) -> list[_charts.Lane]:
    lanes: list[_charts.Lane] = []
    for row, tl in stages:
        end = row.end or max(as_of, row.start)
        spans: list[tuple[dt.date, dt.date, str, str]] = []
        if row.end is None and row.expected_end > end:
            spans.append(
                (row.start, row.expected_end, "projected", f"expected end {row.expected_end}")
            )
        series = row.state if row.state in _charts.PALETTE else "in-progress"
        spans.append((row.start, end, series, f"{row.stage}: {row.state} from {row.start}"))
        spans.extend(
            (p.first, p.last, "paused", f"paused {p.first} to {p.last}")
            for p in tl.pauses
            if p.first <= end
        )
        points: list[tuple[dt.date, str, str, str]] = []
        for m in row.milestones:
            if m.held is not None:
                points.append((m.held, "held", "held", f"{m.title} held {m.held}"))
            elif m.due is not None:
                kind = "overdue" if m.overdue else "due"
                shape = "agreed" if m.agreed is not None else "due"
                points.append((m.due, shape, kind, f"{m.title} due {m.due}"))
        points.extend(
            (d.date, "decision", "decision", f"decision: {d.outcome} on {d.date}")
            for d in record.decisions_for(row.stage)
            if d.date <= as_of
        )
        lanes.append(_charts.Lane(f"{row.stage} ({row.framework})", tuple(spans), tuple(points)))
    hours = [h for h in record.hours if h.retracted is None]
    if hours:
        spans = []
        ends = [h.from_ - dt.timedelta(days=1) for h in hours[1:]]
        last = max(as_of, *(r.end or r.expected_end for r, _ in stages), *(h.from_ for h in hours))
        for h, until in zip(hours, [*ends, last], strict=True):
            if h.fte < 1:
                spans.append((h.from_, until, "part-time", f"{float(h.fte):g} FTE from {h.from_}"))
        if spans:
            lanes.append(_charts.Lane("part-time", tuple(spans)))
    return lanes


def _grid(record: Record, fw: Framework, shown: Sequence[EvidenceRow]) -> tuple[StandardRow, ...]:
    titles = {f"{s.id}:{std.id}": std.title for s in fw.standard_sets for std in s.standards}
    wanted = [i for s in fw.standard_sets_for(record.service) for i in s.ids()]
    cited = sorted({c for e in shown for c in e.standards} - set(wanted))
    out = []
    for standard in (*wanted, *cited):
        cells = tuple(standard in e.standards for e in shown)
        out.append(StandardRow(standard, titles.get(standard, ""), cells, sum(cells)))
    return tuple(out)


def _finding(f: Finding) -> FindingRow:
    return FindingRow(
        f.rule,
        f.assessor,
        f.version,
        f.status,
        f.message,
        f.evidence,
        f.standards,
        f.deadline,
        f.behind,
    )


def record_view(
    record: Record,
    registry: FrameworkRegistry,
    as_of: dt.date,
    *,
    council: Council | None = None,
    plugins: Plugins | None = None,
    key: bytes | None = None,
) -> RecordPage:
    """Everything the progress record shows, as of a date.

    Args:
        record: A valid record.
        registry: The frameworks.
        as_of: The date the page reports as of.
        council: A council configuration: its settings apply to the dates, its rules to the
            assessment (default: the national baseline rules alone).
        plugins: The plugin manager (default: :func:`ecf.assessors.get_plugins`).
        key: A pseudonymisation key: the id becomes its keyed hash (as in ``ecf cohort
            --pseudonymise``) and no personal field is shown.

    Returns:
        The page's values.

    Raises:
        EcfError: the record's framework is unknown, or a council rule file is invalid.
    """
    from ecf.assessors import assess  # noqa: PLC0415 - the plugins load only when asked

    settings = council.settings if council else None
    st = status(record, registry, as_of, settings=settings)
    assessed = assess(record, registry, as_of, council=council, plugins=plugins)
    problems = verify(record)
    fw = registry.get(st.framework)
    shown = view(record, frameworks=[fw]) if key is not None else record
    stages = _stages(record, registry, as_of, council)
    ids = item_ids(items_of(record, "evidence"), PREFIXES["evidence"], id_attr("evidence"))
    evidence = tuple(
        sorted(
            (
                EvidenceRow(
                    item_id, e.kind, e.date, e.standards, e.by or None, e.retracted is not None
                )
                for item_id, e in zip(ids, shown.evidence, strict=True)
                if e.date <= as_of
            ),
            key=lambda e: (e.date, e.id),
        )
    )
    in_force = [e for e in evidence if not e.retracted]
    decisions = tuple(
        DecisionRow(
            decision_ref(i),
            d.stage,
            d.outcome,
            d.date,
            d.by or None,
            d.panel,
            d.reason,
            d.until,
        )
        for i, d in enumerate(shown.decisions)
        if d.date <= as_of
    )
    appeals = tuple(
        AppealRow(a.decision, a.lodged, a.outcome, a.date, a.by or None)
        for a in shown.appeals
        if a.lodged <= as_of
    )
    pauses = tuple(
        (p.first, p.last, (p.last - p.first).days + 1)
        for _, tl in stages
        for p in tl.pauses
        if p.first <= as_of
    )
    nxt = st.next
    shown_id = record.id if key is None else pseudonym(key, record.id)
    lanes = _lanes(record, stages, as_of)
    title = "Stages, pauses, part-time periods, milestones and decisions"
    chart = _charts.timeline("timeline", title, lanes, today=as_of)
    return RecordPage(
        id=shown_id,
        name=None if key is not None else record.name,
        pseudonymised=key is not None,
        council=record.council,
        service=record.service,
        qualified=record.qualified,
        as_of=as_of,
        stage=st.stage,
        stage_title=st.stage_title,
        state=st.state,
        expected_end=st.expected_end,
        assessor=None if key is not None else assessor_on(record, as_of),
        next_milestone=nxt.title if nxt else None,
        next_due=nxt.due if nxt else None,
        overdue=tuple(m.title for m in st.overdue),
        recommendation=assessed.recommendation,
        assessed_with=f"council {council.code}" if council else "the national baseline rules",
        prior=tuple((p.stage, p.passed) for p in record.prior),
        stages=tuple(row for row, _ in stages),
        chart=chart,
        hours=tuple(
            (h.from_, f"{float(h.fte):g}")
            for h in record.hours
            if h.retracted is None and h.from_ <= as_of
        ),
        pauses=pauses,
        evidence=evidence,
        evidence_ids=tuple(e.id for e in in_force),
        grid=_grid(record, fw, in_force),
        findings=tuple(_finding(f) for f in assessed.findings if f.category != "support"),
        support=tuple(_finding(f) for f in assessed.findings if f.category == "support"),
        decisions=decisions,
        appeals=appeals,
        left=record.left.date if record.left and record.left.date <= as_of else None,
        verified=not problems,
        problems=tuple(str(p) for p in problems),
        history_entries=len(record.history),
        last_change=record.history[-1].at.date() if record.history else None,
    )


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the package's templates: autoescaped, strict about names."""
    import jinja2  # noqa: PLC0415 - only the HTML reports need it

    return jinja2.Environment(
        loader=jinja2.PackageLoader("ecf", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **values: Any) -> str:
    """Render one of the package's templates with ``values`` (every value escaped)."""
    return environment().get_template(template).render(**values)


def render_record(page: RecordPage) -> str:
    """The progress record as one self-contained HTML page."""
    return render("record.html.j2", page=page)
