"""Agreed due dates and the people around the practitioner: pure functions of a record.

People set the dates (FACTS.md 6: the review and moderation dates are "set at the support and
assessment agreement meeting"); the computed ones are a proposal.  An :class:`AgreedDate`
replaces the computed date of one milestone (:func:`ecf.timeline.agreed_due` moves it by the
pauses that start before it); a record holds at most one per milestone, and a later agreement
replaces the one in force (the history entry says the old date and the new).

An :class:`Assignment` puts a colleague in a role (``assessor``, ``supervisor``,
``coordinator``) from a day on; a new assignment of a role ends the one before it the day
before.  :func:`assessor_on` answers "who assesses this practitioner on that day", which status,
cohort rows and an assessor's own calendar use.

The names of colleagues and the notes of agreements are personal data (:data:`ecf.fields.FIELDS`):
errors never show them, and anonymisation removes them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs

from ecf.errors import Problem, RecordError
from ecf.records import ROLES, AgreedDate, Assignment

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ecf.framework import Framework
    from ecf.records import HistoryEntry, Record, Role

__all__ = [
    "MAX_AGREED_DAYS",
    "agree",
    "agreed_for",
    "agreement",
    "assessor_on",
    "assign",
    "check_people",
    "in_role",
    "latest",
    "same_name",
]

ONE_DAY = dt.timedelta(days=1)
#: The furthest after its stage's start a date may be agreed (ten years): a typo such as
#: 2205-01-01 is refused, not counted to.
MAX_AGREED_DAYS = 3660


def agreed_for(record: Record, stage: str) -> dict[str, dt.date]:
    """The agreed dates of one stage: milestone id to the date agreed."""
    return {a.milestone: a.due for a in record.agreed if a.stage == stage}


def in_role(record: Record, role: Role, day: dt.date) -> Assignment | None:
    """The assignment of ``role`` in force on ``day`` (from its first to its last day), or None."""
    found = None
    for assignment in record.assignments:
        if (
            assignment.role == role
            and assignment.from_ <= day
            and (assignment.to is None or day <= assignment.to)
        ):
            found = assignment
    return found


def assessor_on(record: Record, day: dt.date) -> str | None:
    """The name of the practitioner's assessor on ``day``, or None when none is assigned."""
    assignment = in_role(record, "assessor", day)
    return assignment.name if assignment is not None else None


def same_name(a: str | None, b: str) -> bool:
    """Whether two names are the same person's: exact, ignoring case and outer spaces."""
    return a is not None and a.strip().casefold() == b.strip().casefold()


def agreement(record: Record, stage: str, milestone: str) -> AgreedDate | None:
    """The agreement in force for a milestone of a stage, or None."""
    return next((a for a in record.agreed if (a.stage, a.milestone) == (stage, milestone)), None)


def latest(record: Record, role: Role) -> Assignment | None:
    """The latest assignment of ``role`` (ended or not), or None."""
    return next((a for a in reversed(record.assignments) if a.role == role), None)


def agree(record: Record, agreed: AgreedDate, entry: HistoryEntry) -> Record:
    """The record with ``agreed`` in force for its milestone, and ``entry`` in its history.

    A later agreement for the same milestone replaces the earlier one where it stood (the
    caller's ``entry`` says the old date and the new in its detail).
    """
    replaced = agreement(record, agreed.stage, agreed.milestone)
    if replaced is None:
        items = (*record.agreed, agreed)
    else:
        items = tuple(agreed if a is replaced else a for a in record.agreed)
    return record.changed(entry, agreed=items)


def assign(record: Record, assignment: Assignment, entry: HistoryEntry) -> Record:
    """The record with ``assignment`` added and ``entry`` in its history.

    The latest assignment of the same role ends the day before the new one starts (when it
    was still open then).

    Raises:
        RecordError: the new one does not start after the latest one of its role started.
    """
    before = latest(record, assignment.role)
    items = list(record.assignments)
    if before is not None:
        if assignment.from_ <= before.from_:
            raise RecordError(
                [
                    Problem(
                        f"must be after the current {assignment.role}'s first day "
                        f"({before.from_}): assignments of a role follow one another",
                        "assignments.from",
                        assignment.from_,
                    )
                ]
            )
        if before.to is None or before.to >= assignment.from_:
            items[items.index(before)] = attrs.evolve(before, to=assignment.from_ - ONE_DAY)
    items.append(assignment)
    return record.changed(entry, assignments=tuple(items))


def check_people(
    record: Record, frameworks: Mapping[str, Framework | None], out: list[Problem]
) -> None:
    """Append a problem for each bad agreed date or assignment.

    Args:
        record: The record.
        frameworks: Each enrolled stage's pinned framework (None: unknown, reported already).
        out: Where the problems go.
    """
    seen: set[tuple[str, str]] = set()
    for i, agreed in enumerate(record.agreed):
        path = f"agreed[{i}]"
        enrolment = record.enrolment(agreed.stage)
        if enrolment is None:
            out.append(Problem("no enrolment in this stage", f"{path}.stage", agreed.stage))
            continue
        fw = frameworks.get(agreed.stage)
        stage = fw.stage(agreed.stage) if fw else None
        if stage is not None and stage.milestone(agreed.milestone) is None:
            known = ", ".join(m.id for m in stage.milestones)
            out.append(
                Problem(
                    f"unknown milestone of '{stage.id}' (known: {known})",
                    f"{path}.milestone",
                    agreed.milestone,
                )
            )
        if (agreed.stage, agreed.milestone) in seen:
            out.append(
                Problem(
                    "a milestone has one agreed date (a new agreement replaces the old)",
                    f"{path}.milestone",
                    agreed.milestone,
                )
            )
        seen.add((agreed.stage, agreed.milestone))
        if agreed.due < enrolment.start:
            out.append(
                Problem(
                    f"is before the stage started ({enrolment.start})", f"{path}.due", agreed.due
                )
            )
        elif (agreed.due - enrolment.start).days > MAX_AGREED_DAYS:
            out.append(
                Problem(
                    f"is more than {MAX_AGREED_DAYS} days after the stage started "
                    f"({enrolment.start})",
                    f"{path}.due",
                    agreed.due,
                )
            )
    _check_assignments(record, out)


def _check_assignments(record: Record, out: list[Problem]) -> None:
    latest: dict[str, tuple[int, Assignment]] = {}
    for i, assignment in enumerate(record.assignments):
        path = f"assignments[{i}]"
        if assignment.role not in ROLES:  # pragma: no cover - the record's shape checks it
            continue
        if not assignment.name.strip():
            out.append(Problem("must not be empty", f"{path}.name", assignment.name))
        if assignment.to is not None and assignment.to < assignment.from_:
            out.append(
                Problem(
                    f"is before its first day ({assignment.from_})", f"{path}.to", assignment.to
                )
            )
        before = latest.get(assignment.role)
        if before is not None:
            j, previous = before
            if assignment.from_ <= previous.from_:
                out.append(
                    Problem(
                        f"must be after the previous {assignment.role}'s first day "
                        f"({previous.from_})",
                        f"{path}.from",
                        assignment.from_,
                    )
                )
            elif previous.to is None or previous.to >= assignment.from_:
                out.append(
                    Problem(
                        f"must end before the next {assignment.role} starts ({assignment.from_})",
                        f"assignments[{j}].to",
                        previous.to,
                    )
                )
        latest[assignment.role] = (i, assignment)
