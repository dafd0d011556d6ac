"""What makes a record valid beyond its shape: dates, kinds, standards and the path of stages.

This module is long because it checks every field of a record in one pass, so that a person
sees every problem at once; each part of the record has its own function.

:func:`check_record` is a pure function of the record, the frameworks its enrolments pin and
today's date; it returns every problem it finds, each with its field path and value, so that a
person fixes all of them at once.  The path of stages is checked with the transition rules of
:mod:`ecf.progression` (``may_follow``, ``passed``, ``closes``...), the same predicates the
functions that change a record obey, so a file edited by hand is held to the same rules.
"""

from __future__ import annotations

import contextlib
from fractions import Fraction
from typing import TYPE_CHECKING

from ecf._convert import fraction_to_toml
from ecf.agreements import check_people
from ecf.employment import check_employment
from ecf.errors import EcfError, Problem, RecordError
from ecf.framework import QUALIFICATION, Framework, FrameworkRegistry, StageDef
from ecf.items import PREFIXES, id_attr, item_ids
from ecf.progression import (
    born_before_overlap_rule,
    closed_to,
    closes,
    ended_on,
    ends_path,
    first_stages,
    may_follow,
    missing_prior,
    needs_reason,
    needs_until,
    open_to,
    overturned,
    passed,
    starts_after,
    takes_until,
)
from ecf.records import (
    RECORD_ID,
    SCHEMA_VERSION,
    SHA256,
    SWE_NUMBER,
    Decision,
    Enrolment,
    Record,
    decision_by_ref,
)

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable

__all__ = ["check_record", "ensure_valid", "evidence_warnings"]

#: The smallest working pattern: at 1/100 FTE a 36-month stage takes 300 years.
MIN_FTE = Fraction(1, 100)
#: The longest absence, and the furthest an extension reaches: HR's "no end date"
#: (9999-12-31) is not a date to count to.
MAX_ABSENCE_DAYS = 3660


def _frameworks(
    record: Record, registry: FrameworkRegistry, out: list[Problem]
) -> list[Framework | None]:
    pinned: list[Framework | None] = []
    for i, enrolment in enumerate(record.enrolments):
        try:
            pinned.append(registry.get(enrolment.framework))
        except EcfError as exc:
            pinned.append(None)
            out.extend(
                Problem(p.message, f"enrolments[{i}].framework", enrolment.framework)
                for p in exc.problems
            )
    return pinned


def _check_identity(record: Record, today: dt.date, out: list[Problem]) -> None:
    if record.schema_version > SCHEMA_VERSION:
        out.append(
            Problem(
                f"written by a newer ecf (this one reads schema {SCHEMA_VERSION}); upgrade ecf",
                "schema_version",
                record.schema_version,
            )
        )
    elif record.schema_version < 1:
        out.append(Problem("unknown schema version", "schema_version", record.schema_version))
    if not RECORD_ID.fullmatch(record.id):
        out.append(
            Problem(
                "an id is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
                "id",
                record.id,
            )
        )
    if not record.name.strip():
        out.append(Problem("must not be empty", "name", record.name))
    if record.swe is not None and not SWE_NUMBER.fullmatch(record.swe):
        out.append(
            Problem("a Social Work England number is 'SW' followed by digits", "swe", record.swe)
        )
    if record.council is not None and not record.council.strip():
        out.append(Problem("must not be empty", "council", record.council))
    if record.qualified > today:
        out.append(Problem(f"is in the future (today is {today})", "qualified", record.qualified))


def _first_stages(fw: Framework, record: Record) -> tuple[str, ...]:
    """:func:`~ecf.progression.first_stages` of the record (remembered by ``fw`` without prior)."""
    if record.prior:
        return first_stages(fw, record.prior, record.service)
    return fw.first_stage_ids(record.service)


def _check_enrolments(record: Record, pinned: list[Framework | None], out: list[Problem]) -> None:
    if not record.enrolments:
        out.append(Problem("a record needs at least one enrolment", "enrolments"))
    previous = QUALIFICATION
    stages = [e.stage for e in record.enrolments]
    for i, (enrolment, fw) in enumerate(zip(record.enrolments, pinned, strict=True)):
        path = f"enrolments[{i}]"
        if enrolment.start < record.qualified:
            out.append(
                Problem(
                    f"is before qualification ({record.qualified})",
                    f"{path}.start",
                    enrolment.start,
                )
            )
        before_fw = pinned[i - 1] if i else None
        if before_fw is not None and not starts_after(
            before_fw, record, record.enrolments[i - 1], enrolment.start
        ):
            before = record.enrolments[i - 1]
            why = (
                "must be after the previous stage's start"
                if born_before_overlap_rule(record)
                else f"must be after '{before.stage}' was passed "
                f"({ended_on(before_fw, record, before)}): stages never overlap"
            )
            out.append(Problem(why, f"{path}.start", enrolment.start))
        if stages.count(enrolment.stage) > 1:  # (two equal enrolments share their stage)
            out.append(
                Problem("a stage appears only once in a record", f"{path}.stage", enrolment.stage)
            )
        if fw is None:
            previous = enrolment.stage
            continue
        stage = fw.stage(enrolment.stage)
        if stage is None:
            known = ", ".join(fw.stage_ids())
            out.append(
                Problem(
                    f"unknown stage (known in {fw.version}: {known})",
                    f"{path}.stage",
                    enrolment.stage,
                )
            )
        else:
            if stage.id != enrolment.stage:
                out.append(
                    Problem(
                        f"use the stage id '{stage.id}', not an alias",
                        f"{path}.stage",
                        enrolment.stage,
                    )
                )
            if i == 0 and stage.id not in _first_stages(fw, record):
                if open_to(stage, record.service):
                    out.append(Problem(missing_prior(fw, stage.id), f"{path}.stage", stage.id))
            elif i and not may_follow(fw, previous, stage.id):
                allowed = ", ".join(fw.next_stages(previous)) or "none"
                out.append(
                    Problem(
                        f"cannot follow '{previous}' (allowed after '{previous}': {allowed})",
                        f"{path}.stage",
                        enrolment.stage,
                    )
                )
            if not open_to(stage, record.service):
                out.append(
                    Problem(
                        f"is not open to the '{record.service}' service",
                        f"{path}.stage",
                        enrolment.stage,
                    )
                )
            elif (closed := closed_to(stage, record.service, enrolment.start)) is not None:
                out.append(Problem(closed, f"{path}.start", enrolment.start))
        if (
            fw is not None
            and i + 1 < len(record.enrolments)
            and not passed(fw, record, enrolment.stage)
        ):
            last = record.decision(enrolment.stage)
            got = last.outcome if last else "no decision"
            out.append(
                Problem(
                    f"a next stage starts only after a pass of '{enrolment.stage}' (it has: {got})",
                    f"enrolments[{i + 1}].stage",
                    record.enrolments[i + 1].stage,
                )
            )
        previous = enrolment.stage


def _check_prior(record: Record, fw: Framework | None, today: dt.date, out: list[Problem]) -> None:
    """Stages passed before the record began: known, in order, each after a stage it follows."""
    seen: list[str] = []
    enrolled = {e.stage for e in record.enrolments}
    for i, prior in enumerate(record.prior):
        path = f"prior[{i}]"
        if prior.passed < record.qualified:
            out.append(
                Problem(
                    f"is before qualification ({record.qualified})", f"{path}.passed", prior.passed
                )
            )
        if prior.passed > today:
            out.append(
                Problem(f"is in the future (today is {today})", f"{path}.passed", prior.passed)
            )
        if i and prior.passed < record.prior[i - 1].passed:
            out.append(
                Problem("must be in date order (oldest first)", f"{path}.passed", prior.passed)
            )
        if prior.stage in seen or prior.stage in enrolled:
            out.append(
                Problem("a stage appears only once in a record", f"{path}.stage", prior.stage)
            )
        if fw is not None:
            stage = fw.stage(prior.stage)
            if stage is None:
                known = ", ".join(fw.stage_ids())
                out.append(
                    Problem(
                        f"unknown stage (known in {fw.version}: {known})",
                        f"{path}.stage",
                        prior.stage,
                    )
                )
            elif stage.id not in first_stages(fw, record.prior[:i], record.service):
                out.append(Problem(missing_prior(fw, stage.id), f"{path}.stage", prior.stage))
        seen.append(prior.stage)
    if record.prior and record.enrolments:
        last = record.prior[-1].passed
        first = record.enrolments[0]
        if first.start <= last:
            out.append(
                Problem(
                    f"must be after the last prior stage's pass ({last}): stages never overlap",
                    "enrolments[0].start",
                    first.start,
                )
            )


def _check_dates(record: Record, today: dt.date, out: list[Problem]) -> None:
    """The registration date and the day the record began."""
    if record.registered is not None:
        if record.registered < record.qualified:
            out.append(
                Problem(
                    f"is before qualification ({record.qualified})", "registered", record.registered
                )
            )
        if record.registered > today:
            out.append(
                Problem(f"is in the future (today is {today})", "registered", record.registered)
            )
    if record.began is not None and record.enrolments:
        first = record.enrolments[0].start
        if record.began < first:
            out.append(
                Problem(f"is before the first stage started ({first})", "began", record.began)
            )


#: The lists whose ids :func:`_check_ids` checks (the evidence's are checked with it): each
#: field, the prefix of its ids and the attribute holding them.
_ID_FIELDS = tuple((f, p, id_attr(f)) for f, p in PREFIXES.items() if f != "evidence")


def _check_ids(record: Record, out: list[Problem]) -> None:
    """Each item's stable id (``ecf correct`` names items by it) is held once."""
    for field, prefix, attr in _ID_FIELDS:
        items = getattr(record, field)
        if not items:
            continue
        stored = [getattr(x, attr, None) for x in items]
        if stored.count(None) == len(stored):
            continue  # every id derived from its place: each one is held once
        if None not in stored and len(set(stored)) == len(stored):
            continue  # every id stored (item_ids gives them as they are), none twice
        seen: set[str] = set()
        for i, item_id in enumerate(item_ids(items, prefix, id_attr(field))):
            if item_id in seen:
                out.append(
                    Problem("the id is held twice", f"{field}[{i}].{id_attr(field)}", item_id)
                )
            seen.add(item_id)


def _fte_ok(fte: Fraction) -> bool:
    """Whether an FTE is at least :data:`MIN_FTE` and at most 1, by its numerator and denominator.

    The same answer as the comparisons of :func:`_check_hours` for a :class:`Fraction`
    (tests/test_throughput.py); False for anything else, which they then compare.
    """
    if type(fte) is not Fraction:
        return False
    numerator, denominator = fte.numerator, fte.denominator  # denominator > 0
    least = MIN_FTE.numerator * denominator
    return numerator <= denominator and numerator * MIN_FTE.denominator >= least


def _check_hours(record: Record, out: list[Problem]) -> None:
    previous = None  # the change before in force: a retracted one counts for nothing
    for i, change in enumerate(record.hours):
        if _fte_ok(change.fte):  # the common case, without a Fraction compared three times
            pass
        elif not 0 < change.fte <= 1:
            out.append(
                Problem(
                    "FTE must be more than 0 and at most 1",
                    f"hours[{i}].fte",
                    fraction_to_toml(change.fte),  # as a file spells it: 1.5, not '3/2'
                )
            )
        elif change.fte < MIN_FTE:
            out.append(
                Problem(
                    f"FTE must be at least {MIN_FTE} (about 22 minutes a week): below that, "
                    "due dates fall centuries away",
                    f"hours[{i}].fte",
                    fraction_to_toml(change.fte),
                )
            )
        if change.from_ < record.qualified:
            out.append(
                Problem(
                    f"is before qualification ({record.qualified})",
                    f"hours[{i}].from",
                    change.from_,
                )
            )
        if change.retracted is not None:
            continue
        if previous is not None and change.from_ <= previous.from_:
            out.append(
                Problem(
                    "must be after the previous change's date", f"hours[{i}].from", change.from_
                )
            )
        previous = change


def _check_absences(record: Record, kinds: frozenset[str], out: list[Problem]) -> None:
    for i, absence in enumerate(record.absences):
        path = f"absences[{i}]"
        if kinds and absence.kind not in kinds:
            out.append(
                Problem(
                    f"unknown absence kind (known: {', '.join(sorted(kinds))})",
                    f"{path}.kind",
                    absence.kind,
                )
            )
        if absence.last < absence.first:
            out.append(
                Problem(f"ends before it starts ({absence.first})", f"{path}.last", absence.last)
            )
        elif absence.days > MAX_ABSENCE_DAYS:
            out.append(
                Problem(
                    "an absence of more than 10 years: with no end date yet, record it to a "
                    "known date and extend it later",
                    f"{path}.last",
                    absence.last,
                )
            )
        if absence.first < record.qualified:
            out.append(
                Problem(
                    f"is before qualification ({record.qualified})", f"{path}.first", absence.first
                )
            )
        for j in range(i):
            other = record.absences[j]
            counted = absence.retracted is None and other.retracted is None
            if counted and absence.first <= other.last and other.first <= absence.last:
                out.append(
                    Problem(
                        f"overlaps absences[{j}] ({other.first} to {other.last})",
                        path,
                        f"{absence.first} to {absence.last}",
                    )
                )


def _check_evidence(
    record: Record,
    kinds: frozenset[str],
    standards: frozenset[str],
    today: dt.date,
    out: list[Problem],
) -> None:
    seen: set[str] = set()
    add = seen.add
    qualified = record.qualified
    # (looked up once: the loop runs for every piece of evidence of every record of a cohort)
    known = standards.issuperset if standards else None
    for i, ev in enumerate(record.evidence):
        # The paths are spelled only for a problem: most pieces have none.
        ev_id = ev.id
        if ev_id in seen:
            out.append(Problem("duplicate evidence id", f"evidence[{i}].id", ev_id))
        add(ev_id)
        if kinds and ev.kind not in kinds:
            out.append(
                Problem(
                    f"unknown evidence kind (known: {', '.join(sorted(kinds))})",
                    f"evidence[{i}].kind",
                    ev.kind,
                )
            )
        date = ev.date
        if date < qualified:
            out.append(
                Problem(f"is before qualification ({qualified})", f"evidence[{i}].date", date)
            )
        if date > today:
            out.append(Problem(f"is in the future (today is {today})", f"evidence[{i}].date", date))
        if known is not None and not known(ev.standards):
            out.extend(
                Problem(
                    "unknown standard (ids look like kss-cf:6, pcf:7, swe:3)",
                    f"evidence[{i}].standards[{j}]",
                    std,
                )
                for j, std in enumerate(ev.standards)
                if std not in standards
            )
        if ev.attachment is not None and not SHA256.fullmatch(ev.attachment.sha256):
            out.append(
                Problem(
                    "a sha256 is 64 lower-case hex digits",
                    f"evidence[{i}].attachment.sha256",
                    ev.attachment.sha256,
                )
            )


def _check_milestones(
    record: Record, pinned: list[Framework | None], today: dt.date, out: list[Problem]
) -> None:
    frameworks = {e.stage: fw for e, fw in zip(record.enrolments, pinned, strict=True)}
    enrolments = _enrolments(record)
    seen: set[tuple[str, str]] = set()
    stages: dict[str, StageDef | None] = {}  # each stage's definition, looked up once
    for i, held in enumerate(record.milestones):
        # The paths are spelled only for a problem: most reviews held have none.
        enrolment = enrolments.get(held.stage)
        if enrolment is None:
            out.append(Problem("no enrolment in this stage", f"milestones[{i}].stage", held.stage))
            continue
        if held.stage in stages:
            stage = stages[held.stage]
        else:
            fw = frameworks[held.stage]
            stage = stages[held.stage] = fw.stage(held.stage) if fw else None
        if stage is not None and held.id not in stage.milestone_ids:
            known = ", ".join(m.id for m in stage.milestones)
            out.append(
                Problem(
                    f"unknown milestone of '{stage.id}' (known: {known})",
                    f"milestones[{i}].id",
                    held.id,
                )
            )
        key = (held.stage, held.id)
        if key in seen:
            out.append(
                Problem("this milestone is already recorded", f"milestones[{i}].id", held.id)
            )
        seen.add(key)
        if held.date < enrolment.start:
            out.append(
                Problem(
                    f"is before the stage started ({enrolment.start})",
                    f"milestones[{i}].date",
                    held.date,
                )
            )
        if held.date > today:
            out.append(
                Problem(f"is in the future (today is {today})", f"milestones[{i}].date", held.date)
            )


def _enrolments(record: Record) -> dict[str, Enrolment]:
    """Each stage's enrolment, as :meth:`~ecf.records.Record.enrolment` finds it (the first)."""
    found: dict[str, Enrolment] = {}
    for enrolment in record.enrolments:
        found.setdefault(enrolment.stage, enrolment)
    return found


def _check_correction(record: Record, i: int, out: list[Problem]) -> None:
    decision = record.decisions[i]
    j = decision.corrects
    if j is None:
        return
    path = f"decisions[{i}].corrects"
    if not 0 <= j < i:
        out.append(Problem("must name an earlier decision (its index)", path, j))
    elif record.decisions[j].stage != decision.stage:
        out.append(Problem(f"decisions[{j}] is on another stage", path, j))
    elif any(d.corrects == j for d in record.decisions[:i]):
        out.append(Problem(f"decisions[{j}] was already corrected", path, j))


def _check_decisions(
    record: Record, frameworks: dict[str, Framework], today: dt.date, out: list[Problem]
) -> None:
    closed: dict[str, tuple[str, int]] = {}
    last_date: dict[str, dt.date] = {}
    corrected = {d.corrects for d in record.decisions if d.corrects is not None}
    enrolments = _enrolments(record)
    for i, decision in enumerate(record.decisions):
        path = f"decisions[{i}]"
        enrolment = enrolments.get(decision.stage)
        fw = frameworks.get(decision.stage)
        if enrolment is None or fw is None:
            if enrolment is None:
                out.append(Problem("no enrolment in this stage", f"{path}.stage", decision.stage))
            continue
        _check_correction(record, i, out)
        _check_reason(record, fw, decision, path, out)
        if decision.stage in closed and closed[decision.stage][1] == decision.corrects:
            del closed[decision.stage]  # a correction of the closing decision reopens it
        if decision.stage in closed:
            out.append(
                Problem(
                    f"the stage was already closed by '{closed[decision.stage][0]}'",
                    path,
                    decision.outcome,
                )
            )
        if closes(fw, decision.outcome) and not overturned(record, decision):
            closed[decision.stage] = (decision.outcome, i)
        if decision.date < enrolment.start:
            out.append(
                Problem(
                    f"is before the stage started ({enrolment.start})",
                    f"{path}.date",
                    decision.date,
                )
            )
        if decision.date > today:
            out.append(
                Problem(f"is in the future (today is {today})", f"{path}.date", decision.date)
            )
        if decision.date < last_date.get(decision.stage, decision.date):
            out.append(
                Problem("is before the stage's previous decision", f"{path}.date", decision.date)
            )
        last_date[decision.stage] = decision.date
        if not decision.by.strip():
            out.append(Problem("a decision names who made it", f"{path}.by", decision.by))
        if needs_until(fw, decision.outcome) and decision.until is None:
            out.append(Problem("an extension needs its new end date", f"{path}.until"))
        if decision.until is not None:
            if not takes_until(fw, decision.outcome):
                out.append(
                    Problem(
                        "only an extension or a deferral has an end date",
                        f"{path}.until",
                        decision.until,
                    )
                )
            elif decision.until <= decision.date:
                out.append(
                    Problem(
                        f"must be after the decision ({decision.date})",
                        f"{path}.until",
                        decision.until,
                    )
                )
            elif (decision.until - decision.date).days > MAX_ABSENCE_DAYS:
                out.append(
                    Problem(
                        "must be within 10 years of the decision", f"{path}.until", decision.until
                    )
                )
        if (
            ends_path(fw, decision.outcome)
            and i not in corrected
            and not overturned(record, decision)
            and record.enrolments[-1].stage != decision.stage
        ):
            out.append(
                Problem(
                    f"'{decision.outcome}' ends the path, but a later stage follows",
                    path,
                    decision.outcome,
                )
            )


def _check_reason(
    record: Record, fw: Framework, decision: Decision, path: str, out: list[Problem]
) -> None:
    """The outcome is one the stage's framework takes; a reason given is one of its codes.

    A decision whose outcome needs a reason (``fail``...) has one, in a record born in schema 3:
    one written before (or migrated since) has decisions made before reason codes were data,
    and stays valid as it was (:func:`ecf.progression.born_before_overlap_rule`, the same test).
    """
    allowed = fw.outcomes_for(decision.stage)
    if decision.outcome not in allowed:
        out.append(
            Problem(
                f"not an outcome of '{decision.stage}' (allowed: {', '.join(allowed)})",
                f"{path}.outcome",
                decision.outcome,
            )
        )
    codes = fw.reasons_for(decision.outcome)
    if (
        decision.reason is None
        and needs_reason(fw, decision.outcome)
        and not born_before_overlap_rule(record)
    ):
        listed = ", ".join(codes) or "none"
        out.append(
            Problem(
                f"a '{decision.outcome}' decision gives a reason code "
                f"(for '{decision.outcome}': {listed})",
                f"{path}.reason",
            )
        )
    if decision.reason is not None and decision.reason not in codes:
        listed = ", ".join(codes) or "none"
        out.append(
            Problem(
                f"not a reason code for '{decision.outcome}' (allowed: {listed})",
                f"{path}.reason",
                decision.reason,
            )
        )


def _check_appeals(record: Record, today: dt.date, out: list[Problem]) -> None:
    """Each appeal names a decision in force, once, and its dates follow one another."""
    seen: set[str] = set()
    for i, appeal in enumerate(record.appeals):
        path = f"appeals[{i}]"
        found = decision_by_ref(record, appeal.decision)
        if found is None:
            out.append(Problem("unknown decision", f"{path}.decision", appeal.decision))
            continue
        if appeal.decision in seen:
            out.append(Problem("already appealed", f"{path}.decision", appeal.decision))
        seen.add(appeal.decision)
        if appeal.lodged < found[1].date:
            out.append(
                Problem(
                    f"is before the decision ({found[1].date})", f"{path}.lodged", appeal.lodged
                )
            )
        if appeal.lodged > today:
            out.append(
                Problem(f"is in the future (today is {today})", f"{path}.lodged", appeal.lodged)
            )
        # (who decided is required when it is recorded, and blanked when the record is
        # anonymised: an outcome and its date go together, a name only with them.)
        if (appeal.outcome is None) != (appeal.date is None) or (
            appeal.by is not None and appeal.outcome is None
        ):
            out.append(Problem("an appeal's outcome has its date", path, appeal.outcome))
        if appeal.by is not None and not appeal.by.strip():
            out.append(Problem("an appeal's outcome names who decided it", f"{path}.by", appeal.by))
        if appeal.date is not None:
            if appeal.date < appeal.lodged:
                out.append(
                    Problem(
                        f"is before it was lodged ({appeal.lodged})", f"{path}.date", appeal.date
                    )
                )
            if appeal.date > today:
                out.append(
                    Problem(f"is in the future (today is {today})", f"{path}.date", appeal.date)
                )


def check_record(record: Record, registry: FrameworkRegistry, today: dt.date) -> list[Problem]:
    """Every problem with a structurally sound record, as of ``today``.

    Args:
        record: The record.
        registry: The frameworks; each enrolment is checked against the version it pins.
        today: Dates after this are in the future.

    Returns:
        One :class:`~ecf.errors.Problem` per problem found, in field order; empty when valid.
    """
    out: list[Problem] = []
    pinned = _frameworks(record, registry, out)
    one = pinned[0] if pinned else None
    if one is not None and all(fw is one for fw in pinned):
        known = [one]  # (the table below, for the one framework of most records)
    else:
        known = list({id(fw): fw for fw in pinned if fw is not None}.values())
    if len(known) == 1:  # the common case: one framework's sets, made once for it
        evidence_kinds = known[0].evidence_kind_ids()
        absence_kinds = known[0].absence_kind_ids()
        standards = known[0].standard_ids()
    else:
        evidence_kinds = frozenset(k for fw in known for k in fw.evidence_kind_ids())
        absence_kinds = frozenset(k for fw in known for k in fw.absence_kind_ids())
        standards = frozenset(s for fw in known for s in fw.standard_ids())
    _check_identity(record, today, out)
    _check_enrolments(record, pinned, out)
    _check_prior(record, pinned[0] if pinned else None, today, out)
    _check_dates(record, today, out)
    _check_ids(record, out)
    _check_hours(record, out)
    _check_absences(record, absence_kinds, out)
    _check_evidence(record, evidence_kinds, standards, today, out)
    _check_milestones(record, pinned, today, out)
    if record.decisions:  # (the checks below look at nothing else)
        _check_decisions(
            record,
            {
                e.stage: fw
                for e, fw in zip(record.enrolments, pinned, strict=True)
                if fw is not None
            },
            today,
            out,
        )
    _check_appeals(record, today, out)
    if record.agreed or record.assignments:  # (the only lists check_people looks at)
        stages = dict(zip((e.stage for e in record.enrolments), pinned, strict=True))
        check_people(record, stages, out)
    out.extend(check_employment(record))
    if record.left is not None:
        first = record.enrolments[0].start if record.enrolments else record.qualified
        if record.left.date < first:
            out.append(
                Problem(
                    f"is before the first stage started ({first})", "left.date", record.left.date
                )
            )
        if record.left.date > today:
            out.append(
                Problem(f"is in the future (today is {today})", "left.date", record.left.date)
            )
        if not record.left.reason.strip():
            out.append(Problem("give a reason for leaving", "left.reason", record.left.reason))
        later = [d for d in record.decisions if d.date > record.left.date]
        if later or (record.enrolments and record.enrolments[-1].start > record.left.date):
            out.append(
                Problem("a stage or a decision comes after leaving", "left.date", record.left.date)
            )
    for i in range(1, len(record.history)):
        if record.history[i].at < record.history[i - 1].at:
            out.append(
                Problem("is before the previous entry", f"history[{i}].at", record.history[i].at)
            )
    return out


def evidence_warnings(
    record: Record, registry: FrameworkRegistry, only: Iterable[str] | None = None
) -> list[Problem]:
    """Warnings, never refusals, about the standards a record's evidence cites.

    A citation of a standard set outside its in-force dates on the evidence's date (``kss-cf``
    after 2027-03-31, ``ecs-cf`` before 2027-04-01), or of a set for another service (``kss-cf``
    on an adults record), is kept: people may have reasons (a piece written against the old
    standards in the month of the change).  Each warning names the field path and the standard.

    Args:
        record: The record.
        registry: The frameworks its enrolments pin (a version that does not load is skipped:
            :func:`check_record` reports it).
        only: The evidence ids to look at (default: every piece).

    Returns:
        One :class:`~ecf.errors.Problem` per warning, in field order.
    """
    frameworks: list[Framework] = []
    for enrolment in reversed(record.enrolments):
        with contextlib.suppress(EcfError):
            frameworks.append(registry.get(enrolment.framework))
    wanted = None if only is None else set(only)
    out: list[Problem] = []
    for i, ev in enumerate(record.evidence):
        if wanted is not None and ev.id not in wanted:
            continue
        for j, std in enumerate(ev.standards):
            sset = next((s for fw in frameworks if (s := fw.set_of(std)) is not None), None)
            if sset is None:
                continue
            path = f"evidence[{i}].standards[{j}]"
            if not sset.in_force_on(ev.date):
                out.append(
                    Problem(
                        f"'{sset.id}' is in force {sset.dates()}, not on {ev.date}: kept, "
                        "but check the standards in force then",
                        path,
                        std,
                    )
                )
            if record.service not in sset.services:
                out.append(
                    Problem(
                        f"'{sset.id}' is a standard set for {' and '.join(sset.services)} "
                        f"services, not {record.service}: kept, but check the set",
                        path,
                        std,
                    )
                )
    return out


def ensure_valid(
    record: Record, registry: FrameworkRegistry, today: dt.date, *, file: str | None = None
) -> Record:
    """Return ``record`` if it is valid, else raise.

    Raises:
        RecordError: every problem found, naming ``file``.
    """
    problems = check_record(record, registry, today)
    if problems:
        raise RecordError(p.with_file(file) for p in problems)
    return record
