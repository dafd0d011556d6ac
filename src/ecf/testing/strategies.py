"""Hypothesis strategies of valid ecf values, up to whole practitioner records.

This module is long because a valid record is drawn field by field, each strategy within the
constraints of the ones before it; split, the order of drawing would be lost.

Every strategy draws values directly within their constraints (no filtering), so generation
stays fast.  :func:`records` draws records that :func:`ecf.validation.check_record` accepts:
any path through the framework's stages, with working-pattern changes, absences (some long
enough to pause the clock), evidence, held milestones, decisions and history.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import string
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs
from hypothesis import strategies as st

from ecf.framework import QUALIFICATION, SERVICES, FrameworkRegistry
from ecf.progression import timeline_for
from ecf.records import (
    SCHEMA_VERSION,
    Absence,
    Attachment,
    Decision,
    Enrolment,
    Evidence,
    HeldMilestone,
    HistoryEntry,
    Leaving,
    Outcome,
    PatternChange,
    Record,
)
from ecf.validation import MAX_ABSENCE_DAYS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hypothesis.strategies import DrawFn, SearchStrategy

    from ecf.framework import Framework, Service

__all__ = [
    "COMMON_FTES",
    "absences",
    "dates",
    "evidence_items",
    "ftes",
    "held_milestones",
    "history_entries",
    "pattern_changes",
    "records",
]

ONE_DAY = dt.timedelta(days=1)

#: Working patterns people write as decimals: full time, four days, three days, term time...
COMMON_FTES: tuple[Fraction, ...] = tuple(
    Fraction(text)
    for text in (
        "1",
        "0.9",
        "0.8",
        "0.75",
        "0.7",
        "0.6",
        "0.5",
        "0.4",
        "0.3",
        "0.25",
        "0.2",
        "0.1",
        "0.05",
        "0.35",
        "0.45",
        "0.55",
        "0.65",
        "0.85",
        "0.95",
        "0.625",
        "0.875",
    )
)

#: Time zones a history entry may be written in; an instant compares equal across them.
_ZONES = (
    dt.UTC,
    dt.timezone(dt.timedelta(hours=1)),
    dt.timezone(dt.timedelta(hours=-5)),
    dt.timezone(dt.timedelta(hours=5, minutes=30)),
)

#: Decisions that keep a stage open.
_KEEP_OPEN: tuple[Outcome, ...] = ("extended", "deferred")
_CLOSING: tuple[Outcome | None, ...] = (None, "pass", "fail", "withdrawn")

_ID_FIRST = string.ascii_letters + string.digits
_ID_REST = _ID_FIRST + "._-"


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def _joined(parts: tuple[str, str]) -> str:
    return parts[0] + parts[1]


# Strategies built once: building them inside a draw costs more than drawing from them.

#: Any UTF-8 text: quotes, backslashes, control characters and non-Latin letters included.
_TEXT = st.text(st.characters(codec="utf-8"), max_size=30)
_NOTES = st.none() | st.text(st.characters(codec="utf-8"), max_size=60)
#: Text that is not blank: a letter, then anything.
_NAMES = st.tuples(st.sampled_from(string.ascii_letters), _TEXT).map(_joined)
_MAYBE_NAMES = st.none() | _NAMES
_IDS = st.tuples(st.sampled_from(_ID_FIRST), st.text(_ID_REST, max_size=20)).map(_joined)
_SWE = st.none() | st.integers(0, 10**8).map(lambda n: f"SW{n}")
_COUNCILS = st.none() | st.integers(0, 10**8 - 1).map(lambda n: f"E{n:08d}")
_ZONE = st.sampled_from(_ZONES)
_MICROSECONDS = st.just(0) | st.integers(0, 999_999)
_ATTACHMENTS = st.none() | st.tuples(
    st.one_of(
        st.integers(1, 999).map(lambda n: f"attachments/evidence-{n}.pdf"),
        st.integers(1, 999).map(lambda n: f"https://docs.example.org/ecf/{n}"),
    ),
    st.binary(max_size=8).map(lambda b: hashlib.sha256(b).hexdigest()),
).map(lambda t: Attachment(*t))
_EXTRA = st.dictionaries(
    st.text(string.ascii_lowercase + "_-", min_size=1, max_size=12),
    st.one_of(_TEXT, st.integers(-(2**63), 2**63 - 1), st.booleans(), st.dates()),
    max_size=3,
)


@st.composite
def _month_ends(draw: DrawFn, min_value: dt.date, max_value: dt.date) -> dt.date:
    """A date in range, moved to the 28th-31st of its month when that stays in range."""
    day = draw(st.dates(min_value, max_value))
    last = calendar.monthrange(day.year, day.month)[1]
    moved = day.replace(day=min(draw(st.sampled_from((28, 29, 30, 31))), last))
    return moved if min_value <= moved <= max_value else day


def dates(min_value: dt.date, max_value: dt.date) -> SearchStrategy[dt.date]:
    """Dates in a range, often at the end of a month (where adding months clamps).

    Args:
        min_value: The earliest date, inclusive.
        max_value: The latest date, inclusive.

    Returns:
        A strategy of dates from ``min_value`` to ``max_value``.

    Raises:
        ValueError: when ``max_value`` is before ``min_value``.
    """
    if max_value < min_value:
        raise ValueError(f"empty range: {min_value} to {max_value}")
    return st.one_of(st.dates(min_value, max_value), _month_ends(min_value, max_value))


def _fraction(denominator: int) -> SearchStrategy[Fraction]:
    return st.integers(1, denominator).map(lambda n: Fraction(n, denominator))


def ftes() -> SearchStrategy[Fraction]:
    """Working patterns: exact fractions in (0, 1].

    Returns:
        A strategy of common decimal patterns (``0.6``, ``0.875``) and fractions with a
        denominator up to 10 (``1/3``, ``3/7``), shrinking towards full time.
    """
    return st.one_of(st.sampled_from(COMMON_FTES), st.integers(1, 10).flatmap(_fraction))


@st.composite
def pattern_changes(
    draw: DrawFn, start: dt.date, end: dt.date, *, max_size: int = 4
) -> tuple[PatternChange, ...]:
    """Working-pattern changes on distinct days from ``start`` to ``end``, in date order.

    Args:
        draw: Supplied by hypothesis.
        start: The earliest change, inclusive.
        end: The latest change, inclusive.
        max_size: The most changes to draw.

    Returns:
        A strategy of tuples of :class:`~ecf.records.PatternChange` (empty when ``end`` is
        before ``start``).
    """
    span = (end - start).days
    if span < 0:
        return ()
    offsets = draw(st.lists(st.integers(0, span), unique=True, max_size=max_size))
    return tuple(PatternChange(start + _days(n), draw(ftes())) for n in sorted(offsets))


@st.composite
def absences(
    draw: DrawFn, framework: Framework, start: dt.date, end: dt.date, *, max_size: int = 5
) -> tuple[Absence, ...]:
    """Non-overlapping absences from ``start`` to ``end``, in date order.

    Any kind of the framework; about half are long spells of a pausing kind (the framework's
    pause threshold or longer), and some follow the previous one without a gap.

    Args:
        draw: Supplied by hypothesis.
        framework: Gives the absence kinds and the pause threshold.
        start: The earliest first day, inclusive.
        end: The latest last day, inclusive.
        max_size: The most absences to draw.

    Returns:
        A strategy of tuples of :class:`~ecf.records.Absence`.
    """
    kinds = sorted(k.id for k in framework.absence_kinds)
    pausing = sorted(k.id for k in framework.absence_kinds if k.pauses)
    threshold = framework.pause_threshold_days
    out: list[Absence] = []
    cursor = start
    for _ in range(draw(st.integers(0, max_size)) if kinds else 0):
        remaining = (end - cursor).days
        if remaining < 0:
            break
        gap = draw(st.one_of(st.integers(0, min(60, remaining)), st.integers(0, remaining)))
        first = cursor + _days(gap)
        if draw(st.booleans()) and pausing:
            kind = draw(st.sampled_from(pausing))
            length = draw(st.integers(threshold, threshold + 180))
        else:
            kind = draw(st.sampled_from(kinds))
            length = draw(st.integers(1, threshold + 30))
        last = min(first + _days(length - 1), end)
        out.append(Absence(kind, first, last))
        cursor = last + ONE_DAY
    return tuple(out)


@st.composite
def evidence_items(
    draw: DrawFn,
    framework: Framework,
    service: Service,
    start: dt.date,
    end: dt.date,
    *,
    max_size: int = 20,
    first_number: int = 1,
) -> tuple[Evidence, ...]:
    """Evidence dated from ``start`` to ``end``, in date order, with ids ``ev-001`` on.

    Args:
        draw: Supplied by hypothesis.
        framework: Gives the evidence kinds and the standards.
        service: Only the standard sets of this service are cited.
        start: The earliest date, inclusive.
        end: The latest date, inclusive.
        max_size: The most pieces to draw.
        first_number: The number of the first id (``ev-NNN``).

    Returns:
        A strategy of tuples of :class:`~ecf.records.Evidence` with unique ids (empty when
        ``end`` is before ``start``).
    """
    kinds = sorted(framework.evidence_kind_ids())
    standards = sorted(s for sset in framework.standard_sets_for(service) for s in sset.ids())
    span = (end - start).days
    if span < 0 or not kinds:
        return ()
    offsets = sorted(draw(st.lists(st.integers(0, span), max_size=max_size)))
    cited = st.lists(st.sampled_from(standards), unique=True, max_size=4) if standards else None
    kind = st.sampled_from(kinds)
    return tuple(
        Evidence(
            id=f"ev-{first_number + i:03d}",
            kind=draw(kind),
            date=start + _days(offset),
            standards=tuple(draw(cited)) if cited is not None else (),
            by=draw(_MAYBE_NAMES),
            attachment=draw(_ATTACHMENTS),
            note=draw(_NOTES),
        )
        for i, offset in enumerate(offsets)
    )


def _clamped(day: dt.date, low: dt.date, high: dt.date) -> dt.date:
    return max(low, min(day, high))


@st.composite
def held_milestones(
    draw: DrawFn, record: Record, registry: FrameworkRegistry, today: dt.date
) -> tuple[HeldMilestone, ...]:
    """Some milestones of each of the record's stages, held near their due dates.

    Args:
        draw: Supplied by hypothesis.
        record: Its enrolments, working pattern, absences and decisions give the due dates.
        registry: Holds the framework versions the enrolments pin.
        today: No milestone is held after this day.

    Returns:
        A strategy of tuples of :class:`~ecf.records.HeldMilestone`, each dated from its
        stage's start to ``today`` and each held once.
    """
    out: list[HeldMilestone] = []
    for enrolment in record.enrolments:
        if enrolment.start > today:
            continue
        timeline = timeline_for(record, enrolment, registry)
        for ms in timeline.milestones:
            if not draw(st.booleans()):
                continue
            near = ms.due or timeline.expected_end
            day = near + _days(draw(st.integers(-30, 60)))
            out.append(HeldMilestone(enrolment.stage, ms.id, _clamped(day, enrolment.start, today)))
    return tuple(out)


@st.composite
def history_entries(
    draw: DrawFn, after: dt.date, actions: Sequence[tuple[str, str]]
) -> tuple[HistoryEntry, ...]:
    """History entries for ``actions`` (action, detail), in order, at times that never go back.

    Args:
        draw: Supplied by hypothesis.
        after: The first entry is on this day or later.
        actions: What each entry records, such as ``("decide", "asye pass 2026-09-01")``.

    Returns:
        A strategy of tuples of :class:`~ecf.records.HistoryEntry` with times in several UTC
        offsets, some with microseconds, never earlier than the entry before.
    """
    at = dt.datetime.combine(after, dt.time(9), tzinfo=dt.UTC)
    out: list[HistoryEntry] = []
    by = draw(_NAMES)
    for action, detail in actions:
        at += dt.timedelta(
            seconds=draw(st.integers(0, 40 * 86_400)),
            microseconds=draw(_MICROSECONDS),
        )
        who = by if draw(st.booleans()) else draw(_NAMES)
        out.append(HistoryEntry(at.astimezone(draw(_ZONE)), who, action, detail))
    return tuple(out)


def _later(draw: DrawFn, low: dt.date, high: dt.date, near: dt.date | None = None) -> dt.date:
    """A day from ``low`` to ``high`` (which must not be before ``low``), often near ``near``."""
    if near is not None and draw(st.booleans()):
        return _clamped(near + _days(draw(st.integers(-30, 90))), low, high)
    return low + _days(draw(st.integers(0, min((high - low).days, 500))))


@st.composite
def _decisions(
    draw: DrawFn,
    record: Record,
    enrolment: Enrolment,
    registry: FrameworkRegistry,
    today: dt.date,
    closing: Outcome | None,
) -> tuple[Decision, ...]:
    """Extensions and deferrals on the record's current stage, then ``closing`` if given."""
    out: list[Decision] = []
    last = enrolment.start
    for _ in range(draw(st.integers(0, 2))):
        outcome = draw(st.sampled_from(_KEEP_OPEN))
        so_far = attrs.evolve(record, decisions=(*record.decisions, *out))
        end = timeline_for(so_far, enrolment, registry).expected_end
        day = _later(draw, last, today, end)
        until: dt.date | None
        if outcome == "extended" and (max(end, day) - day).days + 365 > MAX_ABSENCE_DAYS:
            outcome = "deferred"  # an extension reaches at most 10 years past its decision
        if outcome == "extended":  # decide() wants the end moved later
            until = max(end, day) + _days(draw(st.integers(1, 365)))
        else:
            until = day + _days(draw(st.integers(1, 365))) if draw(st.booleans()) else None
        reason = _reason(draw, registry, enrolment, outcome)
        out.append(
            Decision(
                enrolment.stage,
                outcome,
                day,
                draw(_NAMES),
                draw(_MAYBE_NAMES),
                until,
                reason=reason,
            )
        )
        last = day
    if closing is not None:
        so_far = attrs.evolve(record, decisions=(*record.decisions, *out))
        end = timeline_for(so_far, enrolment, registry).expected_end
        day = _later(draw, last, today, end)
        reason = _reason(draw, registry, enrolment, closing)
        out.append(
            Decision(enrolment.stage, closing, day, draw(_NAMES), draw(_MAYBE_NAMES), reason=reason)
        )
    return tuple(out)


def _reason(
    draw: DrawFn, registry: FrameworkRegistry, enrolment: Enrolment, outcome: str
) -> str | None:
    """A reason code of the framework's list for ``outcome`` (one is needed for a fail...)."""
    codes = registry.get(enrolment.framework).reasons_for(outcome)
    return draw(st.sampled_from(codes)) if codes else None


def _first_stages(framework: Framework, service: Service) -> list[str]:
    return [s.id for s in framework.stages if QUALIFICATION in s.follows and service in s.services]


@st.composite
def _records(
    draw: DrawFn, registry: FrameworkRegistry, today: dt.date, max_evidence: int
) -> Record:
    fw = registry.get()
    stages = {s.id: s for s in fw.stages}
    service = draw(st.sampled_from([s for s in SERVICES if _first_stages(fw, s)]))
    qualified = draw(dates(dt.date(today.year - 10, 1, 1), today))
    stage = draw(st.sampled_from(_first_stages(fw, service)))
    start = qualified + _days(draw(st.integers(0, 400)))
    horizon = max(start, today) + _days(3 * 365)
    record = Record(
        schema_version=SCHEMA_VERSION,
        id=draw(_IDS),
        name=draw(_NAMES),
        qualified=qualified,
        service=service,
        swe=draw(_SWE),
        council=draw(_COUNCILS),
        enrolments=(Enrolment(stage, start, fw.version),),
        hours=draw(pattern_changes(qualified, horizon)),
        absences=draw(absences(fw, max(qualified, start - _days(60)), horizon)),
    )
    actions = [("new", f"started {stage} on {start}")]
    # The path: each stage is decided, and after a pass the next one may start.
    while record.current is not None and record.current.start <= today:
        current = record.current
        used = {e.stage for e in record.enrolments}
        after = [
            s
            for s in fw.next_stages(current.stage)
            if s not in used and service in stages[s].services
        ]
        go_on = bool(after) and draw(st.booleans())
        closing: Outcome | None = "pass" if go_on else draw(st.sampled_from(_CLOSING))
        decided = draw(_decisions(record, current, registry, today, closing))
        record = attrs.evolve(record, decisions=(*record.decisions, *decided))
        actions += [("decide", f"{d.stage} {d.outcome} {d.date}") for d in decided]
        if not go_on:
            break
        nxt = draw(st.sampled_from(after))
        passed = decided[-1].date
        nxt_start = max(passed + _days(draw(st.integers(1, 90))), current.start + ONE_DAY)
        record = attrs.evolve(
            record, enrolments=(*record.enrolments, Enrolment(nxt, nxt_start, fw.version))
        )
        actions.append(("advance", f"started {nxt} on {nxt_start}"))
    first = record.enrolments[0].start
    evidence = draw(
        evidence_items(fw, service, max(qualified, first - _days(30)), today, max_size=max_evidence)
    )
    milestones = draw(held_milestones(record, registry, today))
    left = None
    latest = max([record.enrolments[-1].start, *(d.date for d in record.decisions)])
    if latest <= today and draw(st.integers(0, 4)) == 0:
        left = Leaving(_later(draw, latest, today), draw(_NAMES))
    actions += [("add-hours", f"{float(h.fte):g} FTE from {h.from_}") for h in record.hours]
    actions += [("add-absence", f"{a.kind} {a.first} to {a.last}") for a in record.absences]
    actions += [("add-evidence", f"{e.id} {e.kind} {e.date}") for e in evidence]
    actions += [("add-review", f"{m.stage} {m.id} {m.date}") for m in milestones]
    if left is not None:
        actions.append(("leave", f"left on {left.date}"))
    extra = draw(_EXTRA)
    return attrs.evolve(
        record,
        evidence=evidence,
        milestones=milestones,
        left=left,
        history=draw(history_entries(min(qualified, first), actions)),
        extra=extra,
    )


def records(
    registry: FrameworkRegistry | None = None,
    today: dt.date | None = None,
    *,
    max_evidence: int = 30,
) -> SearchStrategy[Record]:
    """Valid practitioner records: ``check_record(record, registry, today) == []``.

    Each record starts in a first stage open to its service (``asye`` or ``ecf-1`` in the
    baseline) and may be passed and advanced along the framework's path (``ecf-2``, then
    ``expert``); its last stage may be undecided, extended, deferred, passed, failed or
    withdrawn, and the practitioner may have left.  Working-pattern changes, absences (some
    pausing the clock), evidence, held milestones and history are consistent with it, and an
    extension always moves the stage's expected end later, as
    :func:`ecf.progression.decide` requires.

    Args:
        registry: The frameworks; stages start under its current version (default: the
            shipped frameworks, ``FrameworkRegistry.default()``).
        today: No evidence, milestone, decision or leaving is dated after it (default: the
            local date when the strategy is built).
        max_evidence: The most pieces of evidence in a record.

    Returns:
        A strategy of :class:`~ecf.records.Record`.
    """
    registry = registry or FrameworkRegistry.default()
    today = today or dt.date.today()  # noqa: DTZ011 - records are valid as of the local date
    return _records(registry, today, max_evidence)
