"""The commands that change one record: new, add, decide, advance, leave, transfer, rejoin...

This module is long because each command that changes one record is here, each a thin
wrapper over one method of :class:`ecf.editor.Editor`: one place to read what the CLI can change.

``agree`` records a due date agreed by people, ``assign`` the people around the practitioner.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ecf.cli import DATE, FTE, complete, echo, editing, fail, state, today
from ecf.cli.types import RECORD

if TYPE_CHECKING:
    import datetime as dt
    from fractions import Fraction

    from ecf.records import AppealOutcome, Outcome, PriorStage, Record, Role


@click.command()
@click.argument("file", type=RECORD)
@click.option("--id", "record_id", required=True, help="The record's id (letters, digits, . _ -).")
@click.option("--name", required=True, help="The practitioner's name.")
@click.option("--qualified", required=True, type=DATE, help="Qualification date.")
@click.option(
    "--stage",
    required=True,
    help="The first stage: asye, ecdp or ecf-1.",
    shell_complete=complete.stages,
)
@click.option("--start", required=True, type=DATE, help="The stage's first day.")
@click.option(
    "--fte", type=FTE, help="Working pattern from the start, e.g. 0.6 or 3/5 (default 1)."
)
@click.option(
    "--service", type=click.Choice(["children", "adults"]), default="children", show_default=True
)
@click.option("--council", help="The employer council's code.")
@click.option("--swe", help="Social Work England registration number (SW and digits).")
@click.option(
    "--prior",
    "priors",
    multiple=True,
    metavar="STAGE:DATE",
    help="A stage passed before the record began, and when (repeatable), e.g. asye:2024-08-30: "
    "existing staff start in a later stage.",
)
@click.option(
    "--prior-note",
    "prior_notes",
    multiple=True,
    help="Where, which certificate: one per --prior, in the same order.",
)
@click.option("--registered", type=DATE, help="Social Work England registration date.")
@click.option(
    "--began",
    type=DATE,
    help="The day the record begins in ecf, for existing staff onboarded mid-stage: nothing "
    "due before it is overdue (default: the stage's start).",
)
@click.option(
    "--employed-from",
    type=DATE,
    help="The first day employed at the council (default: the stage's start).",
)
def new(
    file: Path,
    record_id: str,
    name: str,
    qualified: dt.date,
    stage: str,
    start: dt.date,
    fte: Fraction | None,
    service: str,
    council: str | None,
    swe: str | None,
    priors: tuple[str, ...],
    prior_notes: tuple[str, ...],
    registered: dt.date | None,
    began: dt.date | None,
    employed_from: dt.date | None,
) -> None:
    """Start a new record FILE in its first stage.

    An existing member of staff starts in the stage they are in, with the stages they passed
    before (--prior asye:2024-08-30); the record then begins today, so nothing due before it is
    overdue (--began sets another day).
    """
    from ecf.editor import create

    shared = state()
    record = create(
        file,
        id=record_id,
        name=name,
        qualified=qualified,
        stage=stage,
        start=start,
        by=shared.user_name(),
        fte=fte,
        service="adults" if service == "adults" else "children",
        council=council,
        swe=swe,
        registered=registered,
        began=began,
        employed_from=employed_from,
        prior=_priors(priors, prior_notes),
        registry=shared.registry,
        today=today(),
    )
    echo(f"{record.id}: created {file} in {record.enrolments[0].stage} from {start}")
    _warn_superseded(file, record, 0)


@click.group()
def add() -> None:
    """Add working hours, an absence, evidence or a review to a record."""


@add.command("hours")
@click.argument("file", type=RECORD)
@click.option("--from", "from_", required=True, type=DATE, help="The first day of the new pattern.")
@click.option("--fte", required=True, type=FTE, help="Full-time equivalent, e.g. 0.6 or 3/5.")
def add_hours(file: Path, from_: dt.date, fte: Fraction) -> None:
    """Record a working-pattern change from a date on."""
    with editing(file) as editor:
        change = editor.add_hours(from_, fte)
    echo(f"{editor.record.id}: {float(change.fte):g} FTE from {change.from_}")


@add.command("absence")
@click.argument("file", type=RECORD)
@click.option(
    "--kind",
    required=True,
    help="sickness, parental, bereavement, unpaid, career-break, other, annual-leave, training.",
    shell_complete=complete.absence_kinds,
)
@click.option("--from", "first", required=True, type=DATE, help="First day of absence.")
@click.option("--to", "last", required=True, type=DATE, help="Last day of absence (inclusive).")
def add_absence(file: Path, kind: str, first: dt.date, last: dt.date) -> None:
    """Record an absence; a long one of a pausing kind moves the due dates."""
    with editing(file) as editor:
        absence = editor.add_absence(kind, first, last)
    echo(f"{editor.record.id}: {kind} absence of {absence.days} days recorded")


@add.command("evidence")
@click.argument("file", type=RECORD)
@click.option(
    "--kind",
    required=True,
    help="An evidence kind, e.g. direct-observation.",
    shell_complete=complete.evidence_kinds,
)
@click.option("--date", "when", required=True, type=DATE, help="When it happened or was written.")
@click.option(
    "--standard",
    "standards",
    multiple=True,
    help="A standard it evidences, e.g. kss-cf:6 (repeatable).",
)
@click.option("--by", help="Who wrote or observed it.")
@click.option("--note", help="A short note.")
@click.option(
    "--attach",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file to reference (its sha256 is kept).",
)
def add_evidence(
    file: Path,
    kind: str,
    when: dt.date,
    standards: tuple[str, ...],
    by: str | None,
    note: str | None,
    attach: Path | None,
) -> None:
    """Log a piece of evidence; prints the new evidence id."""
    with editing(file) as editor:
        evidence = editor.add_evidence(
            kind, when, standards=standards, by=by, note=note, attach=attach
        )
    echo(evidence.id)
    from ecf.validation import evidence_warnings

    for warning in evidence_warnings(editor.record, state().registry, only=[evidence.id]):
        echo(f"warning: {warning.with_file(file)}", err=True)


@add.command("review")
@click.argument("file", type=RECORD)
@click.argument("milestone_id", shell_complete=complete.milestones)
@click.option("--date", "when", required=True, type=DATE, help="When the review was held.")
def add_review(file: Path, milestone_id: str, when: dt.date) -> None:
    """Record that a milestone (review point) of the current stage was held."""
    with editing(file) as editor:
        held = editor.add_review(milestone_id, when)
    echo(f"{editor.record.id}: {held.id} held on {held.date}")


@click.command()
@click.argument("file", type=RECORD)
@click.option(
    "--outcome",
    required=True,
    type=click.Choice(["pass", "progressed", "fail", "extended", "deferred", "withdrawn"]),
    help="What people decided (the framework's outcomes; progressed ends ecf-1 only).",
    shell_complete=complete.outcomes,
)
@click.option(
    "--reason",
    help="A reason code of the framework's list (needed for fail, extended, deferred, "
    "withdrawn; `ecf frameworks` lists them).",
)
@click.option("--date", "when", required=True, type=DATE, help="The date of the decision.")
@click.option("--by", required=True, help="Who decided.")
@click.option("--panel", help="The panel that confirmed it.")
@click.option("--until", type=DATE, help="The new end date (extended, deferred).")
@click.option(
    "--corrects",
    metavar="dec-N",
    help="The decision this one corrects, by its id as `ecf timeline` shows it (dec-1): both "
    "stay recorded.  A bare number is still read as the old 0-based index.",
)
def decide(
    file: Path,
    outcome: Outcome,
    when: dt.date,
    by: str,
    panel: str | None,
    until: dt.date | None,
    corrects: str | None,
    reason: str | None,
) -> None:
    """Record a decision on the current stage; it is never overwritten."""
    named: str | int | None = corrects
    if corrects is not None and corrects.strip().isdigit():
        named = int(corrects.strip())  # the 0-based index of earlier versions
    with editing(file) as editor:
        decision = editor.decide(
            outcome, when, by=by, panel=panel, until=until, corrects=named, reason=reason
        )
    echo(f"{editor.record.id}: {decision.stage} {decision.outcome} on {decision.date}")


@click.command()
@click.argument("file", type=RECORD)
@click.argument("decision")
@click.option("--lodged", type=DATE, help="The day the appeal was lodged.")
@click.option("--outcome", type=click.Choice(["upheld", "dismissed"]), help="How the appeal ended.")
@click.option("--date", "when", type=DATE, help="The day of the appeal's outcome.")
@click.option("--by", help="Who decided the appeal.")
def appeal(
    file: Path,
    decision: str,
    lodged: dt.date | None,
    outcome: AppealOutcome | None,
    when: dt.date | None,
    by: str | None,
) -> None:
    """Record an appeal against a decision: lodged, then upheld or dismissed.

    DECISION is dec-N, the N-th decision of the record (1-based, as `ecf timeline` lists
    them).  Give --lodged DATE to record the appeal (within the framework's window: 20 working
    days after the decision, bank holidays in England not counted), then --outcome
    upheld|dismissed --date DATE --by NAME.  An upheld appeal sets the decision aside: after
    an upheld appeal against a fail the stage awaits a new decision (ecf decide).
    """
    with editing(file) as editor:
        done = editor.appeal(decision, lodged=lodged, outcome=outcome, date=when, by=by)
    how = f"{done.outcome} on {done.date}" if done.outcome else f"lodged on {done.lodged}"
    echo(f"{editor.record.id}: appeal against {done.decision} {how}")


@click.command()
@click.argument("file", type=RECORD)
@click.option(
    "--stage", required=True, help="The next stage, e.g. ecf-2.", shell_complete=complete.stages
)
@click.option("--start", required=True, type=DATE, help="Its first day.")
def advance(file: Path, stage: str, start: dt.date) -> None:
    """Start the next stage after a pass."""
    with editing(file) as editor:
        enrolment = editor.advance(stage, start)
    echo(f"{editor.record.id}: started {enrolment.stage} on {enrolment.start}")
    _warn_superseded(file, editor.record, len(editor.record.enrolments) - 1)


def _warn_superseded(file: Path, record: Record, index: int) -> None:
    """A ``warning:`` line when the new enrolment is in a superseded stage (never a refusal)."""
    from ecf.errors import Problem
    from ecf.progression import superseded

    enrolment = record.enrolments[index]
    warning = superseded(state().registry.get(enrolment.framework), enrolment.stage)
    if warning is not None:
        moved = Problem(warning.message, f"enrolments[{index}].stage", warning.value, str(file))
        echo(f"warning: {moved}", err=True)


@click.command()
@click.argument("file", type=RECORD)
@click.option("--date", "when", required=True, type=DATE, help="The last day of employment.")
@click.option("--reason", required=True, help="Why: resigned, moved council, retired...")
def leave(file: Path, when: dt.date, reason: str) -> None:
    """Record that the practitioner left employment; the record is closed after."""
    with editing(file) as editor:
        left = editor.leave(when, reason)
    echo(f"{editor.record.id}: left on {left.date}")


@click.command()
@click.argument("file", type=RECORD)
@click.option("--to", "to", required=True, help="The new council's code.")
@click.option("--left", "left", required=True, type=DATE, help="The last day at the old council.")
@click.option("--joined", required=True, type=DATE, help="The first day at the new council.")
def transfer(file: Path, to: str, left: dt.date, joined: dt.date) -> None:
    """Move the practitioner to another council: service carries over, the gap stops the clock."""
    with editing(file) as editor:
        period = editor.transfer(to, left, joined)
    gap = (joined - left).days - 1
    echo(
        f"{editor.record.id}: left on {left}, joined {period.council} on {period.from_}"
        f" (the clock stops for {gap} days between)"
    )


@click.command()
@click.argument("file", type=RECORD)
@click.option("--council", required=True, help="The council the practitioner joins.")
@click.option("--date", "when", required=True, type=DATE, help="Their first day back.")
def rejoin(file: Path, council: str, when: dt.date) -> None:
    """Reopen the record of a practitioner who left and came back."""
    with editing(file) as editor:
        period = editor.rejoin(council, when)
    echo(f"{editor.record.id}: rejoined {period.council} on {period.from_}")


@click.command()
@click.argument("file", type=RECORD)
@click.argument("milestone", shell_complete=complete.milestones)
@click.option("--due", required=True, type=DATE, help="The date agreed.")
@click.option("--note", help="Why, or who agreed it (a short note).")
def agree(file: Path, milestone: str, due: dt.date, note: str | None) -> None:
    """Record the due date agreed for a milestone of the current stage.

    The agreed date replaces the computed one (status shows both); a pausing absence that
    starts before it moves it by the paused days.  A new agreement for the same milestone
    replaces the one in force (the history keeps both dates).
    """
    with editing(file) as editor:
        agreed = editor.agree(milestone, due, note=note)
    echo(f"{editor.record.id}: {agreed.stage} {agreed.milestone} agreed for {agreed.due}")


@click.command()
@click.argument("file", type=RECORD)
@click.argument("item_id", metavar="[ID]", required=False)
@click.option(
    "--registered",
    type=DATE,
    help="The record's Social Work England registration date (give no ID).",
)
@click.option("--date", "when", type=DATE, help="Evidence, review held: the date.")
@click.option("--kind", help="Evidence, absence: the kind.")
@click.option(
    "--standard",
    "standards",
    multiple=True,
    help="Evidence: a standard it evidences (repeatable; the list given replaces the old one).",
)
@click.option("--note", help="Evidence: the note.")
@click.option("--by", help="Evidence: who wrote or observed it.")
@click.option("--from", "from_", type=DATE, help="Absence, working pattern, employment: from.")
@click.option("--to", "to", type=DATE, help="Absence, employment: the last day.")
@click.option("--fte", type=FTE, help="Working pattern: the full-time equivalent.")
@click.option("--council", help="Employment: the council's code.")
@click.option("--name", help="Assignment: the colleague's name.")
@click.option("--reason", required=True, help="Why: kept in the history.")
def correct(
    file: Path,
    item_id: str | None,
    registered: dt.date | None,
    when: dt.date | None,
    kind: str | None,
    standards: tuple[str, ...],
    note: str | None,
    by: str | None,
    from_: dt.date | None,
    to: dt.date | None,
    fte: Fraction | None,
    council: str | None,
    name: str | None,
    reason: str,
) -> None:
    """Correct fields of one item by its id, keeping the old values in the history.

    ID is the item's id as `ecf timeline` shows it (ev-1, ab-1, hr-1, rv-1, em-1, as-1).  The
    correction is sealed in the history (`ecf verify` stays intact) and allowed on a closed
    record.  A decision is corrected by a new decision: `ecf decide --corrects dec-N`.
    """
    given: dict[str, object] = {
        "date": when,
        "kind": kind,
        "standards": standards or None,
        "note": note,
        "by": by,
        "from_": from_,
        "to": to,
        "fte": fte,
        "council": council,
        "name": name,
    }
    fields = {name: value for name, value in given.items() if value is not None}
    if (item_id is None) == (registered is None):
        fail(["give an item's ID (and its fields), or --registered DATE for the record"])
    with editing(file) as editor:
        if item_id is None:
            assert registered is not None  # noqa: S101 - one of the two, checked above
            editor.correct_registered(registered, reason=reason)
        else:
            editor.correct(item_id, reason=reason, **fields)
    echo(f"{editor.record.id}: {editor.record.history[-1].detail}")


@click.command()
@click.argument("file", type=RECORD)
@click.option("--role", required=True, type=click.Choice(["assessor", "supervisor", "coordinator"]))
@click.option("--name", required=True, help="The colleague's name.")
@click.option("--from", "from_", required=True, type=DATE, help="Their first day in the role.")
def assign(file: Path, role: Role, name: str, from_: dt.date) -> None:
    """Name the practitioner's assessor, supervisor or coordinator from a date on.

    A new assignment of a role ends the previous one of that role the day before.
    """
    with editing(file) as editor:
        assignment = editor.assign(role, name, from_)
    echo(f"{editor.record.id}: {assignment.role} from {assignment.from_}")


@click.command()
@click.argument("file", type=RECORD)
@click.argument("item_id", metavar="ID")
@click.option("--reason", required=True, help="Why: kept in the history.")
def retract(file: Path, item_id: str, reason: str) -> None:
    """Withdraw one item recorded in error: it stays, marked, and counts for nothing.

    ID is the item's id as `ecf timeline` shows it (evidence, absence, working pattern, review
    held).  The retraction is sealed in the history and allowed on a closed record; a decision
    is never retracted (`ecf decide --corrects dec-N`).
    """
    with editing(file) as editor:
        editor.retract(item_id, reason=reason)
    echo(f"{editor.record.id}: {editor.record.history[-1].detail}")


def _priors(priors: tuple[str, ...], notes: tuple[str, ...]) -> list[PriorStage]:
    """``--prior STAGE:DATE`` options, each with its ``--prior-note`` by position."""
    from ecf.parsing import ParseError, parse_date
    from ecf.records import PriorStage

    if len(notes) > len(priors):
        fail(["--prior-note: one note per --prior (more notes than prior stages)"])
    out = []
    for i, given in enumerate(priors):
        stage, _, day = given.partition(":")
        try:
            passed = parse_date(day.strip())
        except ParseError as exc:
            fail([f"--prior: {exc.message} after the stage, as in asye:2024-08-30 (got {given!r})"])
        out.append(PriorStage(stage.strip(), passed, notes[i] if i < len(notes) else None))
    return out
