"""Declarative evidence rules in TOML, and the findings they make.

This module is long because it is the whole rule language: the built-in kinds, their loading and
their checks share helpers for messages and deadlines (the findings it makes are in
:mod:`ecf.findings`).

A rule file is data, never code: no ``eval``, no expressions.  Each ``[[rules]]`` entry has an
``id``, a ``kind`` and the fields of that kind; it may be limited to some ``stages`` and
``services`` and name the ``standards`` it rests on.  Kinds shipped here:

``count``
    at least ``min`` pieces of ``evidence`` (kinds), optionally citing ``standard``, by ``by``
    (a milestone id, or ``end`` for the stage's expected end), dated on or after ``after``;
    each milestone of ``held`` recorded as held (``ecf add review``) counts as one more piece.
``coverage``
    every standard of the standard ``sets`` evidenced at least ``min`` times, by ``by``.
``frequency``
    at least one piece of ``evidence`` in every window of a schedule given by ``periods``
    (``every`` N days until day ``until``; the last period runs monthly to the end), by
    calendar time from the stage start shifted by pauses.
``presence``
    for each milestone in ``at``, a piece of ``evidence`` dated on or after its due date, found
    within ``grace_days`` of it.
``distinct-authors``
    pieces of ``evidence`` by at least ``min`` different people, by ``by``.
``per-registration-year``
    in each Social Work England registration year that overlaps the stage up to the as-of date,
    at least ``min`` CPD records and ``peer`` of them reflected on with a peer (default: the
    framework's ``[cpd]`` data), judged as :mod:`ecf.cpd` judges them.
``all-of`` / ``any-of``
    groups of other rules of the same file, by id.

A Python plugin adds a kind by registering an attrs class with an ``evaluate`` method (see
:class:`RuleKind`).  A rule sees the career facts of a record and the personal fields its kind
declares in ``ECF_FIELDS`` (the authors, ``evidence.by``, for ``distinct-authors`` and for a
``count`` with an ``author``): see :mod:`ecf.privacy`.  Every finding says which rule made it,
its status, a sentence a practitioner understands, the evidence ids and standards it used, and
the deadline it concerns.
"""

from __future__ import annotations

import bisect
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import attrs

from ecf._compiled import load_toml as load_compiled
from ecf._convert import structure, unstructure
from ecf._replace import replace
from ecf.cpd import cpd_year, registration_years
from ecf.errors import EcfError, Problem
from ecf.findings import (
    CATEGORIES,
    FINDING_STATUSES,
    RECOMMENDATIONS,
    Category,
    Context,
    Finding,
    FindingStatus,
    Override,
    Recommendation,
    recommend,
)
from ecf.framework import SERVICES, Framework, StandardSet, natural_key
from ecf.records import Evidence, HeldMilestone  # noqa: TC001
from ecf.timeline import Period, judged_windows

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from ecf.council import RuleOverride
    from ecf.timeline import Window

__all__ = [
    "FINDING_STATUSES",
    "RECOMMENDATIONS",
    "Context",
    "Finding",
    "FindingStatus",
    "Recommendation",
    "RuleBase",
    "RuleError",
    "RuleKind",
    "RuleSet",
    "evaluate",
    "load_rules",
    "recommend",
    "tune",
]


class RuleError(EcfError, ValueError):
    """A rule file is malformed or refers to something unknown."""


def _status(met: bool, deadline: dt.date | None, as_of: dt.date) -> FindingStatus:
    if met:
        return "met"
    return "pending" if deadline is None or as_of <= deadline else "missed"


def _behind(have: int, need: int, start: dt.date, deadline: dt.date | None, as_of: dt.date) -> bool:
    """Behind pace: fewer than the share of ``need`` that the elapsed share of time calls for."""
    if deadline is None or have >= need or deadline <= start:
        return False
    elapsed = min(1.0, max(0.0, (as_of - start).days / (deadline - start).days))
    return have < int(need * elapsed)


@runtime_checkable
class RuleKind(Protocol):
    """A kind of rule: an attrs class structured from a ``[[rules]]`` table.

    ``kind`` is the value of the table's ``kind`` key; ``evaluate`` returns one finding (its
    ``assessor`` and ``version`` are filled in by the rule set).
    """

    kind: ClassVar[str]

    @property
    def id(self) -> str:
        """The rule's id, unique in its file."""
        ...

    @property
    def stages(self) -> tuple[str, ...]:
        """The stages it applies to (all when empty)."""
        ...

    @property
    def services(self) -> tuple[str, ...]:
        """The services it applies to (all when empty)."""
        ...

    @property
    def standards(self) -> tuple[str, ...]:
        """The standards it rests on."""
        ...

    def evaluate(self, ctx: Context, results: Mapping[str, Finding]) -> Finding:
        """Judge the record in ``ctx``; ``results`` holds the findings of rules already run."""
        ...


def _finding(rule: RuleKind, status: FindingStatus, message: str, **kw: Any) -> Finding:
    return Finding(rule.id, "", "", status, message, **kw)


def _category(rule: Any, finding: Finding) -> Category:
    """A rule's category: its ``category`` field, else the finding's (a plugin kind may lack it)."""
    category = getattr(rule, "category", finding.category)
    return category if category in CATEGORIES else finding.category


def _ids(items: Iterable[Evidence]) -> tuple[str, ...]:
    return tuple(e.id for e in items)


def _cited(items: Iterable[Evidence], rests_on: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({*rests_on, *(s for e in items for s in e.standards)}))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _kinds(ctx: Context, value: tuple[str, ...]) -> str:
    return " or ".join(ctx.framework.evidence_plural(k) for k in value)


def _milestone(ctx: Context, milestone: str) -> str:
    """A milestone as people name it; ``end`` is the stage's last dated review."""
    last = ctx.stage.last_dated
    found = last if milestone == "end" else ctx.stage.milestone(milestone)
    return found.title.lower() if found else milestone


def _by_text(ctx: Context, by: str, deadline: dt.date | None) -> str:
    name = f"the {_milestone(ctx, by)}"
    return f"by {name} (due {deadline})" if deadline else f"by {name}"


@attrs.frozen
class RuleBase:
    """The fields every rule kind has, after its own (keyword-only, so kinds may add required ones).

    Attributes:
        title: What the rule asks, for people.
        stages: The stages it applies to (all when empty; ids or aliases).
        services: The services it applies to (all when empty).
        standards: The standards it rests on; findings report them.
        category: ``practitioner`` (evidence the practitioner must show, the default) or
            ``support`` (what the employer must give, as supervision): a missed support rule is
            a support gap, never counted towards the recommendation (BASELINE.md).
    """

    title: str = attrs.field(default="", kw_only=True)
    stages: tuple[str, ...] = attrs.field(default=(), kw_only=True)
    services: tuple[str, ...] = attrs.field(default=(), kw_only=True)
    standards: tuple[str, ...] = attrs.field(default=(), kw_only=True)
    category: Category = attrs.field(default="practitioner", kw_only=True)


@attrs.frozen
class CountRule(RuleBase):
    """At least ``min`` pieces of evidence of ``evidence`` kinds, by a deadline."""

    kind: ClassVar[str] = "count"
    id: str
    evidence: tuple[str, ...]
    min: int
    by: str = "end"
    after: str | None = None
    standard: str | None = None
    author: str | None = None
    held: tuple[str, ...] = ()

    @property
    def ECF_FIELDS(self) -> frozenset[str]:  # noqa: N802 - the name every assessor declares with
        """The evidence's authors, when the rule counts only one person's."""
        return frozenset({"evidence.by"}) if self.author is not None else frozenset()

    def evaluate(self, ctx: Context, results: Mapping[str, Finding]) -> Finding:  # noqa: ARG002
        """Count the matching evidence up to the as-of date."""
        deadline = ctx.due(self.by)
        since = ctx.due(self.after) if self.after else None
        used = [
            e
            for e in ctx.evidence(self.evidence)
            if (self.standard is None or self.standard in e.standards)
            and (self.author is None or e.by == self.author)
            and (since is None or e.date >= since)
            and (deadline is None or e.date <= deadline)
        ]
        held = self._held(ctx, {e.date for e in used}, since, deadline)
        have = len(used) + len(held)
        status = _status(have >= self.min, deadline, ctx.as_of)
        what = _kinds(ctx, self.evidence) + (f" citing {self.standard}" if self.standard else "")
        missing = f"; missing {self.min - have}" if have < self.min else ""
        by = _by_text(ctx, self.by, deadline)
        counted = (
            "; counted as held: "
            + " and ".join(f"{_milestone(ctx, m.id)} on {m.date}" for m in held)
            if held
            else ""
        )
        message = f"{min(have, self.min)} of {self.min} {what} {by}{missing}{counted}"
        behind = status == "pending" and _behind(
            have, self.min, ctx.counted_from, deadline, ctx.as_of
        )
        return _finding(
            self,
            status,
            message,
            evidence=_ids(used),
            standards=_cited(used, self.standards),
            deadline=deadline,
            behind=behind,
        )

    def _held(
        self,
        ctx: Context,
        dated: set[dt.date],
        since: dt.date | None,
        deadline: dt.date | None,
    ) -> list[HeldMilestone]:
        """The milestones of ``held`` recorded as held in the window, one piece each.

        A held milestone counts once, as a piece of evidence would; one held on the day of a
        piece of counted evidence is that meeting's own record, counted already.
        """
        if not self.held:
            return []
        found: dict[str, HeldMilestone] = {}
        for m in ctx.record.milestones:
            if (
                m.stage == ctx.stage.id
                and m.id in self.held
                and m.retracted is None
                and ctx.enrolment.start <= m.date <= ctx.as_of
                and (since is None or m.date >= since)
                and (deadline is None or m.date <= deadline)
                and m.date not in dated
            ):
                found.setdefault(m.id, m)
        return sorted(found.values(), key=lambda m: m.date)


@attrs.frozen
class CoverageRule(RuleBase):
    """Every standard of the given sets evidenced at least ``min`` times, by a deadline.

    Only the sets for the record's service that are in force during the stage (from its start
    to the deadline) count.  A set named stands for its successors too: the set that
    ``succeeds`` it (``kss-cf`` until 2027-03-31, then ``ecs-cf``) replaces it, and a stage
    spanning the change is covered by either.
    """

    kind: ClassVar[str] = "coverage"
    id: str
    sets: tuple[str, ...]
    min: int = 1
    by: str = "end"

    def evaluate(self, ctx: Context, results: Mapping[str, Finding]) -> Finding:  # noqa: ARG002
        """Count citations of each standard in the record's service's sets in force."""
        deadline = ctx.due(self.by)
        last = deadline or ctx.timeline.expected_end
        named = _with_successors(ctx.framework, self.sets)
        sets = [
            s
            for s in ctx.framework.standard_sets_for(ctx.record.service)
            if s.id in named and s.in_force_during(ctx.enrolment.start, last)
        ]
        used = [e for e in ctx.evidence() if deadline is None or e.date <= deadline]
        candidates = {sid for s in sets for sid in s.ids()}
        counts = _citations(used, candidates)
        chosen: list[StandardSet] = []
        others: list[str] = []
        for chain in _successions(sets):
            ranked = sorted(chain, key=lambda s: _coverage_rank(s, counts, self.min), reverse=True)
            chosen.append(ranked[0])
            others.extend(
                f"{s.id}: {_covered(s, counts, self.min)} of {len(s.standards)}" for s in ranked[1:]
            )
        wanted = [sid for s in chosen for sid in s.ids()]
        short = [sid for sid in wanted if counts[sid] < self.min]
        status = _status(bool(wanted) and not short, deadline, ctx.as_of)
        if not wanted:
            status = "not-applicable"
        covered = len(wanted) - len(short)
        either = f" (or {', '.join(others)})" if others else ""
        message = (
            f"{covered} of {len(wanted)} standards of {', '.join(s.id for s in chosen)}{either} "
            f"evidenced at least {self.min} time{'s' if self.min > 1 else ''} "
            f"{_by_text(ctx, self.by, deadline)}"
            + (f"; not yet: {', '.join(short)}" if short else "")
        )
        citing = [e for e in used if any(s in counts for s in e.standards)]
        behind = status == "pending" and _behind(
            covered, len(wanted), ctx.counted_from, deadline, ctx.as_of
        )
        return _finding(
            self,
            status,
            message,
            evidence=_ids(citing),
            # The standards it found evidenced, in their natural order (kss-cf:2 before :10).
            standards=tuple(sorted((sid for sid, n in counts.items() if n), key=natural_key)),
            deadline=deadline,
            behind=behind,
        )


def _citations(used: Iterable[Evidence], candidates: set[str]) -> dict[str, int]:
    """How many pieces of evidence cite each candidate standard (a piece counts once).

    ``{sid: sum(sid in e.standards for e in used) for sid in candidates}``, in one pass over
    the evidence instead of one per standard (issue 14: the coverage rule's main cost).
    """
    counts = dict.fromkeys(candidates, 0)
    for evidence in used:
        for sid in set(evidence.standards):
            if sid in counts:
                counts[sid] += 1
    return counts


def _with_successors(fw: Framework, names: Iterable[str]) -> set[str]:
    """The set ids named, and every set that succeeds one of them (``ecs-cf`` for ``kss-cf``)."""
    found = set(names)
    while more := {s.id for s in fw.standard_sets if s.succeeds in found} - found:
        found |= more
    return found


def _covered(sset: StandardSet, counts: Mapping[str, int], least: int) -> int:
    return sum(counts[sid] >= least for sid in sset.ids())


def _coverage_rank(
    sset: StandardSet, counts: Mapping[str, int], least: int
) -> tuple[bool, float, dt.date]:
    """Complete first, then the larger share covered, then the later set (the one in force)."""
    covered = _covered(sset, counts, least)
    share = covered / len(sset.standards) if sset.standards else 0.0
    return covered == len(sset.standards), share, sset.in_force_from or dt.date.min


def _successions(sets: list[StandardSet]) -> list[list[StandardSet]]:
    """The sets grouped by succession (``kss-cf`` then ``ecs-cf``), in the order given."""
    by_id = {s.id: s for s in sets}

    def root(sset: StandardSet) -> str:
        seen = {sset.id}
        while sset.succeeds in by_id and sset.succeeds not in seen:
            sset = by_id[sset.succeeds]
            seen.add(sset.id)
        return sset.id

    chains: dict[str, list[StandardSet]] = {}
    for sset in sets:
        chains.setdefault(root(sset), []).append(sset)
    return list(chains.values())


@attrs.frozen
class FrequencyRule(RuleBase):
    """At least one piece of evidence in every window of a schedule."""

    kind: ClassVar[str] = "frequency"
    id: str
    evidence: tuple[str, ...]
    periods: tuple[Period, ...]
    by: str = "end"

    def evaluate(self, ctx: Context, results: Mapping[str, Finding]) -> Finding:  # noqa: ARG002
        """Check each window that has closed by the as-of date; the open one is pending."""
        deadline = ctx.due(self.by) or ctx.timeline.expected_end
        away = [(a.first, a.last) for a in ctx.record.absences]
        windows = judged_windows(
            ctx.enrolment.start, deadline, self.periods, ctx.timeline.pauses, away
        )
        items = ctx.evidence(self.evidence)
        holding = _holding(windows, items)  # each window's pieces, in one pass over the dates
        held = [w for w, inside in zip(windows, holding, strict=True) if inside]
        closed = [
            (w, inside) for w, inside in zip(windows, holding, strict=True) if w.last < ctx.as_of
        ]
        exempt = [w for w, inside in closed if w.exempt and not inside]
        empty = [w for w, inside in closed if not w.exempt and not inside]
        dated = {id(e) for inside in holding for e in inside}
        used = [e for e in items if id(e) in dated]
        what = _kinds(ctx, self.evidence)
        counted = len(closed) - len(exempt)
        excused = f"; {_plural(len(exempt), 'period')} exempt (away most of it)" if exempt else ""
        if empty:
            first = empty[0]
            status: FindingStatus = "missed"
            more = len(empty) - 1
            message = (
                f"{what} in {counted - len(empty)} of {_plural(counted, 'period')} so far; "
                f"none from {first.first} to {first.last}"
                + (f" and in {_plural(more, 'more period')}" if more else "")
                + excused
            )
        else:
            # Met once every window holds one (or is exempt), even on the deadline day itself.
            needed = len(windows) - len(exempt)
            status = "met" if len(held) >= needed else "pending"
            message = (
                f"{what} in {len(held)} of {_plural(needed, 'period')} "
                f"{_by_text(ctx, self.by, deadline)}, none missed so far" + excused
            )
        return _finding(
            self,
            status,
            message,
            evidence=_ids(used),
            standards=_cited([], self.standards),
            deadline=deadline,
        )


def _holding(windows: Sequence[Window], items: Iterable[Evidence]) -> list[list[Evidence]]:
    """The pieces dated in each window (first to last day, inclusive), window by window.

    The windows of a schedule (:func:`ecf.timeline.judged_windows`) follow one another in date
    order without overlapping, so each piece can only be in the window that opens last on or
    before its date: found by a binary search, not by looking in every window.
    """
    firsts = [w.first for w in windows]
    out: list[list[Evidence]] = [[] for _ in windows]
    for e in items:
        index = bisect.bisect_right(firsts, e.date) - 1
        if index >= 0 and e.date <= windows[index].last:
            out[index].append(e)
    return out


@attrs.frozen
class PresenceRule(RuleBase):
    """For each milestone in ``at``, evidence dated on or after its due date, within the grace."""

    kind: ClassVar[str] = "presence"
    id: str
    evidence: tuple[str, ...]
    at: tuple[str, ...]
    grace_days: int = 0
    before_days: int = 0

    def evaluate(self, ctx: Context, results: Mapping[str, Finding]) -> Finding:  # noqa: ARG002
        """Look for one distinct piece of evidence per milestone."""
        items = sorted(ctx.evidence(self.evidence), key=lambda e: e.date)
        used: list[Evidence] = []
        missing: list[str] = []
        missed = False
        deadline = None
        for milestone in self.at:
            due = ctx.due(milestone)
            if due is None:
                continue
            window_start = due - dt.timedelta(days=self.before_days)
            window_end = due + dt.timedelta(days=self.grace_days)
            deadline = window_end
            found = next(
                (e for e in items if window_start <= e.date <= window_end and e not in used), None
            )
            if found is not None:
                used.append(found)
            else:
                missing.append(f"the {_milestone(ctx, milestone)} (due {due})")
                missed = missed or ctx.as_of > window_end
        what = _kinds(ctx, self.evidence)
        status: FindingStatus = "met" if not missing else "missed" if missed else "pending"
        message = f"{what} at or after {len(used)} of {len(self.at)} milestones" + (
            f"; still needed at: {', '.join(missing)}" if missing else ""
        )
        return _finding(
            self,
            status,
            message,
            evidence=_ids(used),
            standards=_cited(used, self.standards),
            deadline=deadline,
        )


@attrs.frozen
class DistinctAuthorsRule(RuleBase):
    """Evidence of the given kinds by at least ``min`` different people."""

    kind: ClassVar[str] = "distinct-authors"
    #: It counts the authors of the evidence.
    ECF_FIELDS: ClassVar[frozenset[str]] = frozenset({"evidence.by"})
    id: str
    evidence: tuple[str, ...]
    min: int
    by: str = "end"

    def evaluate(self, ctx: Context, results: Mapping[str, Finding]) -> Finding:  # noqa: ARG002
        """Count the distinct authors (``by``) of the matching evidence."""
        deadline = ctx.due(self.by)
        used = [
            e
            for e in ctx.evidence(self.evidence)
            if e.by and (deadline is None or e.date <= deadline)
        ]
        authors = {e.by for e in used}
        status = _status(len(authors) >= self.min, deadline, ctx.as_of)
        message = (
            f"{_kinds(ctx, self.evidence)} by {len(authors)} of {self.min} different people "
            f"{_by_text(ctx, self.by, deadline)}"
        )
        return _finding(
            self,
            status,
            message,
            evidence=_ids(used),
            standards=_cited(used, self.standards),
            deadline=deadline,
        )


@attrs.frozen
class PerRegistrationYearRule(RuleBase):
    """CPD in each Social Work England registration year the stage has run through.

    Each registration year that overlaps the stage, from its start up to the as-of date, needs
    ``min`` CPD records and ``peer`` of them reflected on with a peer (default: the framework's
    ``[cpd]`` table), judged by :func:`ecf.cpd.cpd_year`, as the workforce report judges them.
    A year is exempt when it began before the record began (ecf does not hold the whole year:
    an existing member of staff's CPD before onboarding is not in it) or when the practitioner
    first registered in it on or after the day renewal opens (no CPD is due at its renewal).
    A year that has ended short is missed; the open one is pending until its end.
    """

    kind: ClassVar[str] = "per-registration-year"
    #: A peer reflection is a CPD record that names who it was with.
    ECF_FIELDS: ClassVar[frozenset[str]] = frozenset({"evidence.by"})
    id: str
    min: int | None = None
    peer: int | None = None

    def evaluate(self, ctx: Context, results: Mapping[str, Finding]) -> Finding:  # noqa: ARG002
        """Judge each registration year from the stage start to the as-of date."""
        rules = ctx.framework.cpd
        if self.min is not None:
            rules = attrs.evolve(rules, min_records=self.min)
        if self.peer is not None:
            rules = attrs.evolve(rules, min_peer_reflected=self.peer)
        began = ctx.record.began
        judged = []
        exempt = []
        for start, end in registration_years(ctx.enrolment.start, ctx.as_of, rules):
            year = cpd_year(ctx.record, start, ctx.as_of, rules)
            if began is not None and start < began:
                exempt.append(f"{start} to {end} (begun before the record)")
            elif not year.due:
                opens = year.renewal_opens
                exempt.append(f"{start} to {end} (first registered on or after {opens})")
            else:
                judged.append(year)
        short = [y for y in judged if not y.met and y.end < ctx.as_of]
        open_year = next((y for y in judged if y.end >= ctx.as_of), None)
        used = [e for y in judged for e in y.records]
        need = f"{rules.min_records} CPD records, {rules.min_peer_reflected} with a peer"
        status: FindingStatus
        behind = False
        deadline: dt.date | None
        if short:
            status = "missed"
            first = short[0]
            message = (
                f"short in the registration year {first.start} to {first.end}: "
                f"{_plural(len(first.records), 'CPD record')}, {len(first.peer)} with a peer; "
                f"it needed {' and '.join(first.missing())}"
                + (f"; {_plural(len(short) - 1, 'more year')} short" if len(short) > 1 else "")
            )
            deadline = first.end
        elif open_year is not None and not open_year.met:
            status = "pending"
            message = (
                f"{_plural(len(open_year.records), 'CPD record')}, {len(open_year.peer)} with a "
                f"peer, in the registration year {open_year.start} to {open_year.end}; needs "
                f"{' and '.join(open_year.missing())} by {open_year.end}"
            )
            deadline = open_year.end
            behind = _behind(
                len(open_year.records),
                rules.min_records,
                open_year.start,
                open_year.end,
                ctx.as_of,
            )
        else:
            status = "met"
            message = (
                f"{need} in each of {_plural(len(judged), 'registration year')} so far"
                if judged
                else "no registration year to judge so far"
            )
            deadline = judged[-1].end if judged else None
        if exempt:
            message += "; not judged: " + ", ".join(exempt)
        return _finding(
            self,
            status,
            message,
            evidence=_ids(used),
            standards=_cited(used, self.standards),
            deadline=deadline,
            behind=behind,
        )


@attrs.frozen
class GroupRule(RuleBase):
    """All (``all-of``) or any (``any-of``) of other rules of the same file."""

    kind: ClassVar[str] = "all-of"
    id: str
    rules: tuple[str, ...]

    def combine(self, statuses: list[FindingStatus]) -> FindingStatus:
        """All of: met when all are met, missed when any is missed."""
        if "error" in statuses:
            return "error"
        if not statuses:
            return "not-applicable"
        if all(s == "met" for s in statuses):
            return "met"
        return "missed" if "missed" in statuses else "pending"

    def evaluate(self, ctx: Context, results: Mapping[str, Finding]) -> Finding:  # noqa: ARG002
        """Combine the findings of the member rules."""
        members = [
            results[r] for r in self.rules if r in results and results[r].status != "not-applicable"
        ]
        status = self.combine([m.status for m in members])
        met = sum(m.status == "met" for m in members)
        word = "all" if self.kind == "all-of" else "any"
        message = f"{met} of {len(members)} rules met ({word} of: {', '.join(self.rules)})"
        deadlines = [m.deadline for m in members if m.deadline]
        return _finding(
            self,
            status,
            message,
            evidence=tuple(dict.fromkeys(i for m in members for i in m.evidence)),
            standards=tuple(
                sorted({s for m in members for s in m.standards} | set(self.standards))
            ),
            deadline=max(deadlines) if deadlines else None,
        )


@attrs.frozen
class AnyOfRule(GroupRule):
    """Any of other rules of the same file."""

    kind: ClassVar[str] = "any-of"

    def combine(self, statuses: list[FindingStatus]) -> FindingStatus:
        """Any of: met when one is met, missed when all are missed."""
        if not statuses:
            return "not-applicable"
        if "met" in statuses:
            return "met"
        if "error" in statuses:
            return "error"
        return "missed" if all(s == "missed" for s in statuses) else "pending"


#: The rule kinds this library ships, by ``kind``; plugins add their own.
BUILTIN_KINDS: dict[str, type[Any]] = {
    cls.kind: cls
    for cls in (
        CountRule,
        CoverageRule,
        FrequencyRule,
        PresenceRule,
        DistinctAuthorsRule,
        PerRegistrationYearRule,
        GroupRule,
        AnyOfRule,
    )
}


@attrs.frozen
class RuleSet:
    """A versioned set of rules, loaded from one file.

    Attributes:
        version: The rule set's version (``baseline-2026.2``); each finding carries it.
        framework: The framework version it was written for.
        rules: The rules, in an order where a group comes after its members.
        overrides: A council's overrides of its rules, by rule id (:func:`tune`): each
            finding of such a rule carries its override.
    """

    version: str
    title: str
    framework: str
    rules: tuple[Any, ...]
    file: str | None = None
    overrides: dict[str, Override] = attrs.field(factory=dict, hash=False)

    def applies(self, rule: Any, ctx: Context) -> bool:
        """Whether a rule is for this stage (named by id or alias) and service."""
        stages = {st.id for s in rule.stages if (st := ctx.framework.stage(s)) is not None}
        return (not rule.stages or ctx.stage.id in stages) and (
            not rule.services or ctx.record.service in rule.services
        )


def _order(rules: list[Any], file: str | None) -> tuple[Any, ...]:
    by_id = {r.id: r for r in rules}
    index = {r.id: i for i, r in enumerate(rules)}
    done: dict[str, bool] = {}
    out: list[Any] = []

    def visit(rule: Any, chain: tuple[str, ...]) -> None:
        if done.get(rule.id):
            return
        if rule.id in chain:
            cycle = " -> ".join((*chain[chain.index(rule.id) :], rule.id))
            first = chain[chain.index(rule.id)]
            raise RuleError(
                [
                    Problem(
                        f"rule '{first}': circular group: {cycle}",
                        f"rules[{index[first]}].rules",
                        None,
                        file,
                    )
                ]
            )
        for member in getattr(rule, "rules", ()):
            visit(by_id[member], (*chain, rule.id))
        done[rule.id] = True
        out.append(rule)

    for rule in rules:
        visit(rule, ())
    return tuple(out)


#: The most days (ten years) and months a rule's grace, window or schedule may span.
MAX_DAYS = 3660
MAX_MONTHS = 120


def _check_refs(
    rule: Any, index: int, fw: Framework, ids: set[str], file: str | None
) -> list[Problem]:
    path = f"rules[{index}]"
    out: list[Problem] = []
    known_kinds = fw.evidence_kind_ids()
    for j, kind in enumerate(getattr(rule, "evidence", ())):
        if kind not in known_kinds:
            out.append(
                Problem(
                    f"rule '{rule.id}': unknown evidence kind", f"{path}.evidence[{j}]", kind, file
                )
            )
    known_standards = fw.standard_ids()
    for j, std in enumerate(rule.standards):
        if std not in known_standards:
            out.append(
                Problem(f"rule '{rule.id}': unknown standard", f"{path}.standards[{j}]", std, file)
            )
    standard = getattr(rule, "standard", None)
    if standard is not None and standard not in known_standards:
        out.append(
            Problem(f"rule '{rule.id}': unknown standard", f"{path}.standard", standard, file)
        )
    set_ids = {s.id for s in fw.standard_sets}
    for j, sid in enumerate(getattr(rule, "sets", ())):
        if sid not in set_ids:
            out.append(
                Problem(f"rule '{rule.id}': unknown standard set", f"{path}.sets[{j}]", sid, file)
            )
    for j, service in enumerate(rule.services):
        if service not in SERVICES:
            out.append(
                Problem(
                    f"rule '{rule.id}': unknown service (known: {', '.join(SERVICES)})",
                    f"{path}.services[{j}]",
                    service,
                    file,
                )
            )
    stages = [fw.stage(s) for s in rule.stages] if rule.stages else list(fw.stages)
    for j, (sid, stage) in enumerate(zip(rule.stages, stages, strict=False)):
        if stage is None:
            out.append(
                Problem(f"rule '{rule.id}': unknown stage", f"{path}.stages[{j}]", sid, file)
            )
    milestones = {m.id for s in stages if s is not None for m in s.milestones} | {"end"}
    for field in ("by", "after"):
        value = getattr(rule, field, None)
        if value is not None and value not in milestones:
            out.append(
                Problem(f"rule '{rule.id}': unknown milestone", f"{path}.{field}", value, file)
            )
    for field in ("at", "held"):
        for j, ms in enumerate(getattr(rule, field, ())):
            if ms not in milestones or (field == "held" and ms == "end"):
                out.append(
                    Problem(
                        f"rule '{rule.id}': unknown milestone", f"{path}.{field}[{j}]", ms, file
                    )
                )
    for j, member in enumerate(getattr(rule, "rules", ())):
        if member not in ids:
            out.append(
                Problem(
                    f"rule '{rule.id}': unknown rule in group", f"{path}.rules[{j}]", member, file
                )
            )
    if (least := getattr(rule, "min", 1)) is not None and least < 1:
        out.append(Problem(f"rule '{rule.id}': must be at least 1", f"{path}.min", rule.min, file))
    peer = getattr(rule, "peer", None)
    if peer is not None and not 0 <= peer <= (getattr(rule, "min", None) or fw.cpd.min_records):
        out.append(Problem(f"rule '{rule.id}': must be from 0 to min", f"{path}.peer", peer, file))
    # Bounded, so that evaluating never loops without end (every <= 0) nor leaves the calendar.
    for field in ("grace_days", "before_days"):
        days: int = getattr(rule, field, 0)
        if not 0 <= days <= MAX_DAYS:
            message = f"rule '{rule.id}': must be from 0 to {MAX_DAYS}"
            out.append(Problem(message, f"{path}.{field}", days, file))
    for j, period in enumerate(getattr(rule, "periods", ())):
        for field, most in (
            ("every", MAX_DAYS),
            ("until", MAX_DAYS),
            ("every_months", MAX_MONTHS),
            ("until_months", MAX_MONTHS),
        ):
            amount: int | None = getattr(period, field)
            if amount is not None and not 1 <= amount <= most:
                out.append(
                    Problem(
                        f"rule '{rule.id}': must be from 1 to {most}",
                        f"{path}.periods[{j}].{field}",
                        amount,
                        file,
                    )
                )
    return out


def _for_framework(rules: list[Any], declared: object, framework: Framework) -> list[Any]:
    """The rules that can apply under ``framework``.

    A rule file is checked in full against the framework version it declares (``ecf rules
    check`` does so).  Judged under another version, a rule only for stages that version does
    not have never applies there, and is left out: the ECDP's rules (``ecdp-2027``) beside a
    ``baseline-2026`` ASYE.
    """
    if declared == framework.version:
        return rules
    return [r for r in rules if not r.stages or any(framework.stage(s) for s in r.stages)]


def load_rules_data(
    data: dict[str, Any],
    framework: Framework,
    *,
    file: str | None = None,
    kinds: Mapping[str, type[Any]] | None = None,
) -> RuleSet:
    """Build and check a rule set from parsed TOML.

    Args:
        data: The parsed file: ``version``, ``title``, ``framework`` and ``[[rules]]``.
        framework: The framework its references are checked against.
        file: The file's name, for messages.
        kinds: Rule kinds by name (default: the built-in ones).

    Raises:
        RuleError: naming the file, the rule id and the field of every problem.
    """
    kinds = dict(BUILTIN_KINDS if kinds is None else kinds)
    problems: list[Problem] = []
    for key in ("version", "framework"):
        if not isinstance(data.get(key), str):
            problems.append(Problem("required, a string", key, data.get(key), file))
    unknown = sorted(set(data) - {"version", "title", "framework", "rules"})
    if unknown:
        problems.append(Problem(f"unknown keys: {', '.join(unknown)}", "", None, file))
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        problems.append(
            Problem("expected [[rules]] tables", "rules", type(raw_rules).__name__, file)
        )
        raw_rules = []
    rules: list[Any] = []
    for i, raw in enumerate(raw_rules):
        if not isinstance(raw, dict):
            problems.append(Problem("expected a table", f"rules[{i}]", None, file))
            continue
        rid = raw.get("id", f"#{i}")
        kind = raw.get("kind")
        if not isinstance(kind, str) or kind not in kinds:
            problems.append(
                Problem(
                    f"rule '{rid}': unknown kind (known: {', '.join(sorted(kinds))})",
                    f"rules[{i}].kind",
                    kind,
                    file,
                )
            )
            continue
        body = {k: v for k, v in raw.items() if k != "kind"}
        try:
            rules.append(structure(body, kinds[kind], error=RuleError, file=file))
        except EcfError as exc:
            problems.extend(
                attrs.evolve(
                    p, path=f"rules[{i}].{p.path}".rstrip("."), message=f"rule '{rid}': {p.message}"
                )
                for p in exc.problems
            )
    rules = _for_framework(rules, data.get("framework"), framework)
    ids: set[str] = set()
    for i, rule in enumerate(rules):
        if rule.id in ids:
            problems.append(Problem("duplicate rule id", f"rules[{i}].id", rule.id, file))
        ids.add(rule.id)
    if not problems:
        for i, rule in enumerate(rules):
            problems.extend(_check_refs(rule, i, framework, ids, file))
    if problems:
        raise RuleError(problems)
    return RuleSet(
        version=data["version"],
        title=str(data.get("title", "")),
        framework=data["framework"],
        rules=_order(rules, file),
        file=file,
    )


def load_rules(
    path: str | Path, framework: Framework, kinds: Mapping[str, type[Any]] | None = None
) -> RuleSet:
    """Read and check a rule file.

    Raises:
        RuleError: the file is missing, malformed, over a limit of :mod:`ecf.limits`, or any
            rule is invalid.
    """
    path = Path(path)
    data = load_compiled(path, RuleError)  # a shipped file from its compiled form (issue 14)
    return load_rules_data(data, framework, file=str(path), kinds=kinds)


def evaluate(rules: RuleSet, ctx: Context, assessor: str = "baseline") -> tuple[Finding, ...]:
    """Every rule of a set judged on one context, in file order (groups after their members)."""
    results: dict[str, Finding] = {}
    for rule in rules.rules:
        override = rules.overrides.get(rule.id)
        if not rules.applies(rule, ctx):
            override = None  # the rule is not this stage's: its override is not either
            finding = Finding(
                rule.id, "", "", "not-applicable", f"not applicable to {ctx.stage.id}"
            )
        elif override is not None and not override.enabled:
            finding = Finding(rule.id, "", "", "not-applicable", override.describe())
        else:
            finding = rule.evaluate(ctx, results)
        results[rule.id] = replace(
            finding,
            {
                "assessor": assessor,
                "version": rules.version,
                "category": _category(rule, finding),
                "override": override,
            },
        )
    return tuple(results.values())


#: The fields of a rule a council may not override: its identity, and whom it judges (a support
#: rule made a practitioner one would count the employer's gaps against the practitioner).
FIXED_FIELDS = frozenset({"id", "category"})


def _tuned(
    rule: Any, params: Mapping[str, Any], framework: Framework, ids: set[str], file: str | None
) -> tuple[Any, list[Problem]]:
    """A rule with a council's parameters, checked as its rule file's rules are checked."""
    cls = type(rule)
    where = f"rules.{rule.id}"
    names = [a.name for a in attrs.fields(cls)]
    problems: list[Problem] = []
    for key, value in params.items():
        if key in FIXED_FIELDS:
            message = f"rule '{rule.id}': {key} may not be overridden"
            problems.append(Problem(message, f"{where}.{key}", value, file))
        elif key not in names:
            known = ", ".join(sorted(set(names) - FIXED_FIELDS))
            kind = getattr(cls, "kind", cls.__name__)
            message = f"rule '{rule.id}': unknown parameter of a {kind} rule (known: {known})"
            problems.append(Problem(message, f"{where}.{key}", value, file))
    if problems:
        return rule, problems
    body = unstructure(rule)
    body.update(params)
    try:
        tuned = structure(body, cls, error=RuleError, file=file)
    except EcfError as exc:
        return rule, [
            attrs.evolve(
                p, path=f"{where}.{p.path}".rstrip("."), message=f"rule '{rule.id}': {p.message}"
            )
            for p in exc.problems
        ]
    checked = _check_refs(tuned, 0, framework, ids, file)
    return tuned, [attrs.evolve(p, path=where + p.path.removeprefix("rules[0]")) for p in checked]


def tune(
    rules: RuleSet,
    overrides: Iterable[RuleOverride],
    council: str,
    framework: Framework,
    *,
    file: str | None = None,
) -> RuleSet:
    """A rule set with a council's overrides of single rules (``[rules.ID]`` in council.toml).

    A rule switched off makes a ``not-applicable`` finding that gives the council's reason; a
    rule with other parameters is rebuilt with them and checked as a rule file is (types,
    milestones, evidence kinds, standards, bounds).  Every finding of an overridden rule says
    how the council changed it (:class:`ecf.findings.Override`).  An override naming a rule
    this set does not hold is left for the other sets (:func:`ecf.tuning.check_council`
    reports one that no set holds).

    Args:
        rules: The rule set as shipped (a plugin's, or the council's own).
        overrides: The council's overrides (:attr:`ecf.council.Council.overrides`).
        council: The council's code, which each override names.
        framework: The framework the rules are checked against.
        file: The council file, for messages.

    Raises:
        RuleError: naming the file, the entry (``rules.ID``) and the field of every problem:
            an unknown parameter, a value of the wrong type or out of bounds, a reference to
            an unknown milestone, evidence kind or standard, a fixed field (``id``,
            ``category``).
    """
    by_id = {r.id: r for r in rules.rules}
    ids = set(by_id)
    applied: dict[str, Override] = {}
    problems: list[Problem] = []
    for override in overrides:
        rule = by_id.get(override.rule)
        if rule is None:
            continue
        if not override.enabled:
            applied[rule.id] = Override(council, enabled=False, reason=override.reason)
            continue
        tuned, bad = _tuned(rule, override.params, framework, ids, file)
        problems.extend(bad)
        was = {k: unstructure(getattr(rule, k, None)) for k in override.params}
        by_id[rule.id] = tuned
        applied[rule.id] = Override(
            council, reason=override.reason, params=dict(override.params), was=was
        )
    if problems:
        raise RuleError(problems)
    if not applied:
        return rules
    return attrs.evolve(
        rules,
        rules=_order(list(by_id.values()), rules.file),
        overrides={**rules.overrides, **applied},
    )
