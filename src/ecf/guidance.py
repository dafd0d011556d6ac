"""What to do next: the evidence still needed, and the one command that moves a record on.

``ecf status`` ends with these, so a practitioner or assessor who reads it knows what is
missing and what to type, without knowing the rule language.  Pure functions of a status
(:mod:`ecf.status`) and an assessment (:mod:`ecf.assessors`).

The next step, first that applies:

1. a closed stage (passed, failed, withdrawn, left) or an open appeal: none from here;
2. a milestone overdue: record it if it was held (``ecf add review``), or agree a date;
3. a stage awaiting its decision: ``ecf decide``;
4. evidence still needed: ``ecf add evidence`` (and ``ecf assess`` says what counts);
5. the next milestone: ``ecf add review`` once it is held.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ecf.status import CLOSED

if TYPE_CHECKING:
    from ecf.assessors import Assessment
    from ecf.findings import Finding
    from ecf.status import Status

__all__ = ["Guidance", "guide", "needed"]


@attrs.frozen
class Guidance:
    """What is still needed and what to do next.

    Attributes:
        needed: The practitioner's findings not yet met (pending or missed), soonest deadline
            first: each says what is missing in words.
        command: The command that moves the record on (``FILE`` stands for the record's file,
            ``YYYY-MM-DD`` for a date to fill in), or ``None`` when there is none to suggest.
        why: Why that command, in a few words.
    """

    needed: tuple[Finding, ...]
    command: str | None
    why: str = ""


def needed(assessment: Assessment | None) -> tuple[Finding, ...]:
    """The practitioner's findings not yet met, soonest deadline first (support gaps apart)."""
    if assessment is None:
        return ()
    waiting = [
        f
        for f in assessment.findings
        if f.category == "practitioner" and f.status in {"pending", "missed"}
    ]
    return tuple(sorted(waiting, key=lambda f: (f.deadline is None, f.deadline, f.rule)))


def guide(status: Status, assessment: Assessment | None, file: str = "FILE") -> Guidance:
    """The evidence still needed and the next command for one record (see the module's list).

    Args:
        status: The record's status as of a date.
        assessment: Its assessment as of the same date (``None``: not assessed, so no evidence
            is listed as needed).
        file: How to name the record's file in the command.

    Returns:
        The guidance: the command uses ``file`` and ``YYYY-MM-DD`` for a date to fill in.
    """
    missing = needed(assessment)
    if status.state in CLOSED or status.appeal is not None:
        return Guidance(missing, None, "")
    if status.overdue:
        first = status.overdue[0]
        return Guidance(
            missing,
            f"ecf add review {file} {first.id} --date YYYY-MM-DD",
            f"{first.id} was due {first.due}: record it if it was held, or agree a new date "
            f"(ecf agree {file} {first.id} --due YYYY-MM-DD)",
        )
    if status.state == "awaiting-decision":
        return Guidance(
            missing,
            f"ecf decide {file} --outcome OUTCOME --date YYYY-MM-DD --by NAME",
            "every milestone is held: the stage awaits its decision",
        )
    if missing:
        return Guidance(
            missing,
            f"ecf add evidence {file} --kind KIND --date YYYY-MM-DD --standard STANDARD",
            f"evidence still needed; `ecf assess {file}` explains each rule",
        )
    nxt = status.next
    if nxt is not None:
        return Guidance(
            missing,
            f"ecf add review {file} {nxt.id} --date YYYY-MM-DD",
            f"once {nxt.id} is held (due {nxt.due})",
        )
    return Guidance(missing, None, "")
