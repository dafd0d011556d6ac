"""The plans of a record's stages, remembered with the cached record: data only, checked.

A stage's plan (:func:`ecf.progression.stage_plan`, a :class:`~ecf.timeline.StagePlan`) is
the part of its timeline that depends on no date: the due dates follow from the record and the
framework alone, and the as-of date only decides which extensions count.  A warm cohort run
reads every unchanged record from the cache (:mod:`ecf.cache`); its plans can come from there
too instead of being counted again for every row (issue 14, item 2).

What a plan depends on decides where it is kept:

* the record's content: the cache keeps plans by the sha256 of the file's bytes, as records;
* the frameworks: by the digest of every framework file (:meth:`FrameworkRegistry.digest
  <ecf.framework.FrameworkRegistry.digest>`), and ecf's version and the cache's format
  (:func:`ecf.cache.plan_context`);
* the council's settings (the pause threshold and the review cadence change the framework the
  dates are counted under, :func:`ecf.progression.framework_for`) and the enrolment: each plan
  of an entry is under its slot, the enrolment's place in the record and every field of the
  settings (:func:`slot`);
* never the as-of date, nor today.

An entry is data: MessagePack of lists, text, whole numbers, booleans and ISO dates, read back
by msgspec into those types only (:func:`decode_plans`), never code.  An entry that does not
read back as plans, holds a date out of range, or a plan that does not fit the enrolment asked
about (another stage, start, framework version or milestones), is refused: the plan is counted
again, and the entry written anew.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import TYPE_CHECKING, Any

import attrs

from ecf.parsing import FIRST_DATE, LAST_DATE
from ecf.progression import framework_for, stage_plan
from ecf.timeline import MilestoneDue, Pause, StagePlan, StageTimeline

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ecf.council_settings import CouncilSettings
    from ecf.framework import Framework, FrameworkRegistry
    from ecf.records import Enrolment, Record

__all__ = ["PlanBook", "Slot", "decode_plans", "encode_plans", "slot"]

#: Where a plan sits in an entry: the enrolment's index in the record, and :func:`slot`'s text
#: of the council settings it was counted under.
Slot = tuple[int, str]


def slot(index: int, settings: CouncilSettings | None) -> Slot:
    """The slot of the plan of the enrolment at ``index``, counted under ``settings``.

    Every field of the settings counts (a field that cannot change a plan only costs a plan
    counted again), so a setting added later can never make a remembered plan stale.
    """
    return index, "-" if settings is None else repr(attrs.astuple(settings))


def _plan_data(plan: StagePlan) -> list[Any]:
    tl = plan.timeline
    return [
        tl.stage,
        tl.title,
        tl.start,
        tl.framework,
        [
            [m.id, m.title, m.months, m.optional, m.due, m.held, m.computed, m.agreed]
            for m in tl.milestones
        ],
        tl.expected_end,
        [[p.first, p.last] for p in tl.pauses],
        plan.last,
        [list(e) for e in plan.extensions],
    ]


def _dates(plan: StagePlan) -> list[dt.date]:
    """Every date of a plan."""
    tl = plan.timeline
    found = [tl.start, tl.expected_end]
    for m in tl.milestones:
        found.extend(d for d in (m.due, m.held, m.computed, m.agreed) if d is not None)
    for p in tl.pauses:
        found.extend((p.first, p.last))
    for decided, until in plan.extensions:
        found.extend((decided, until))
    return found


def _in_range(plan: StagePlan) -> bool:
    """Whether every date of the plan is one a record may hold (1950 to 2100)."""
    dates = _dates(plan)
    return min(dates) >= FIRST_DATE and max(dates) <= LAST_DATE


def _exact(plan: StagePlan) -> bool:
    """Whether every value of the plan has exactly the type its class declares, dates in range.

    What :func:`decode_plans` reads back equal: a subclass, a list for a tuple or a date and
    time for a date would be read back as something else, or refused.
    """
    tl = plan.timeline
    milestones, pauses, extensions = tl.milestones, tl.pauses, plan.extensions
    if not (
        type(plan) is StagePlan
        and type(tl) is StageTimeline
        and {type(milestones), type(pauses), type(extensions)} == {tuple}
        and {type(plan.last)} <= {str, type(None)}
        and {type(m) for m in milestones} <= {MilestoneDue}
        and {type(p) for p in pauses} <= {Pause}
        and {(type(e), len(e)) for e in extensions} <= {(tuple, 2)}
    ):
        return False
    texts = [tl.stage, tl.title, tl.framework]
    texts += [m.id for m in milestones]
    texts += [m.title for m in milestones]
    dates = [tl.start, tl.expected_end, *itertools.chain.from_iterable(extensions)]
    dates += itertools.chain.from_iterable((p.first, p.last) for p in pauses)
    dates += filter(
        None,
        itertools.chain.from_iterable((m.due, m.held, m.computed, m.agreed) for m in milestones),
    )
    return (
        set(map(type, texts)) == {str}
        and {type(m.optional) for m in milestones} <= {bool}
        and {type(m.months) for m in milestones} <= {int, type(None)}
        and set(map(type, dates)) == {dt.date}
        and min(dates) >= FIRST_DATE
        and max(dates) <= LAST_DATE
    )


def encode_plans(plans: Mapping[Slot, StagePlan]) -> bytes | None:
    """Plans as data (MessagePack), or ``None`` when they would not read back as they are.

    Not kept (so counted again each time they are needed): a plan holding a date out of
    :func:`decode_plans`' range, or a value of another type than its class declares
    (:func:`_exact`: read back, it would not be equal).
    """
    import msgspec  # noqa: PLC0415 - only the cache needs it

    if not all(_exact(p) for p in plans.values()):
        return None
    try:
        return msgspec.msgpack.encode(
            [[index, settings, _plan_data(plan)] for (index, settings), plan in plans.items()]
        )
    except (msgspec.EncodeError, OverflowError):  # a slot that is not one: an integer too big
        return None


#: The types of a plan's data (:func:`_plan_data`), as msgspec checks them.
_Span = tuple[dt.date, dt.date]
_MilestoneData = tuple[
    str, str, int | None, bool, dt.date | None, dt.date | None, dt.date | None, dt.date | None
]
_PlanData = tuple[
    str,
    str,
    dt.date,
    str,
    tuple[_MilestoneData, ...],
    dt.date,
    tuple[_Span, ...],
    str | None,
    tuple[_Span, ...],
]

_DECODER: Any = None


def _decoder() -> Any:
    """The msgspec decoder of an entry: the types each value must have, checked in C."""
    global _DECODER  # noqa: PLW0603 - made once per process, on first use
    if _DECODER is None:
        import msgspec  # noqa: PLC0415 - only the cache needs it

        _DECODER = msgspec.msgpack.Decoder(tuple[tuple[int, str, _PlanData], ...])
    return _DECODER


def decode_plans(data: bytes) -> dict[Slot, StagePlan] | None:
    """The plans in ``data``, or ``None`` if it is not what :func:`encode_plans` wrote.

    msgspec reads the data into the declared types only (text, whole numbers, booleans, ISO
    dates, arrays of fixed lengths); every date must lie from 1950 to 2100.
    """
    import msgspec  # noqa: PLC0415 - only the cache needs it

    try:
        entries = _decoder().decode(data)
    except (msgspec.DecodeError, RecursionError, ValueError, TypeError):
        return None
    plans: dict[Slot, StagePlan] = {}
    for index, settings, item in entries:
        stage, title, start, version, milestones, end, paused, last, extensions = item
        plan = StagePlan(
            StageTimeline(
                stage,
                title,
                start,
                version,
                tuple(MilestoneDue(*m) for m in milestones),
                end,
                tuple(Pause(first, until) for first, until in paused),
            ),
            last,
            extensions,
        )
        if not _in_range(plan):
            return None
        plans[index, settings] = plan
    return plans


def _fits(plan: StagePlan, enrolment: Enrolment, fw: Framework) -> bool:
    """Whether a remembered plan is one of this enrolment under this framework (a cheap check).

    The rest it depends on is in the entry's key (the record's content, the frameworks).
    """
    stage = fw.stage(enrolment.stage)
    tl = plan.timeline
    return (
        stage is not None
        and tl.stage == stage.id
        and tl.start == enrolment.start
        and tl.framework == fw.version
        and len(tl.milestones) == len(stage.milestones)
        and all(m.id == s.id for m, s in zip(tl.milestones, stage.milestones, strict=True))
    )


class PlanBook:
    """The plans of the record a scan's worker is reporting on: remembered, else counted.

    A :class:`ecf.progression.PlanSource`.  For each record, :meth:`begin` with what the cache
    holds for it (or ``None``), then the report asks :meth:`plan` for the plans it needs
    (:func:`ecf.progression.timeline_for`), then :meth:`finish` gives the entry to store when a
    plan was counted (a new slot, or a refused entry), else ``None``.  Asked about any other
    record, it counts the plan and remembers nothing.
    """

    __slots__ = ("_changed", "_data", "_plans", "_record")

    def __init__(self) -> None:
        self._record: Record | None = None
        self._data: bytes | None = None
        self._plans: dict[Slot, StagePlan] | None = None
        self._changed = False

    def begin(self, record: Record, data: bytes | None) -> None:
        """Start on ``record``, with the entry the cache holds for its content (or ``None``)."""
        self._record = record
        self._data = data
        self._plans = None
        self._changed = False

    def finish(self) -> bytes | None:
        """The entry to store for the record begun (``None``: nothing new); then forget it."""
        plans, changed = self._plans, self._changed
        self._record = self._data = self._plans = None
        self._changed = False
        return encode_plans(plans) if changed and plans else None

    def _remembered(self) -> dict[Slot, StagePlan]:
        if self._plans is None:
            found = None if self._data is None else decode_plans(self._data)
            if found is None and self._data is not None:
                self._changed = True  # a refused entry is written anew
            self._plans = found or {}
        return self._plans

    def plan(
        self,
        record: Record,
        enrolment: Enrolment,
        registry: FrameworkRegistry,
        settings: CouncilSettings | None,
    ) -> StagePlan:
        """The enrolment's plan: the one remembered when it fits, else counted (and noted)."""
        fw = framework_for(enrolment, registry, settings)
        index = next((i for i, e in enumerate(record.enrolments) if e is enrolment), None)
        if record is not self._record or index is None:
            return stage_plan(record, enrolment, registry, framework=fw)
        plans = self._remembered()
        where = slot(index, settings)
        found = plans.get(where)
        if found is not None and _fits(found, enrolment, fw):
            return found
        plan = stage_plan(record, enrolment, registry, framework=fw)
        plans[where] = plan
        self._changed = True
        return plan
