"""The commands that change one record: new, add, decide, advance, leave."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ecf.cli import (
    DATE,
    FTE,
    edit,
    fail,
    state,
    today,
)
from ecf.cli.types import RECORD

if TYPE_CHECKING:
    import datetime as dt
    from fractions import Fraction

    from ecf.records import Record


@click.command()
@click.argument("file", type=RECORD)
@click.option("--id", "record_id", required=True, help="The record's id (letters, digits, . _ -).")
@click.option("--name", required=True, help="The practitioner's name.")
@click.option("--qualified", required=True, type=DATE, help="Qualification date.")
@click.option("--stage", required=True, help="The first stage: asye or ecf-1.")
@click.option("--start", required=True, type=DATE, help="The stage's first day.")
@click.option(
    "--fte", type=FTE, help="Working pattern from the start, e.g. 0.6 or 3/5 (default 1)."
)
@click.option(
    "--service", type=click.Choice(["children", "adults"]), default="children", show_default=True
)
@click.option("--council", help="The employer council's code.")
@click.option("--swe", help="Social Work England registration number (SW and digits).")
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
) -> None:
    """Start a new record FILE in its first stage."""
    from ecf.errors import EcfError
    from ecf.progression import new_record
    from ecf.store import create, locked
    from ecf.validation import ensure_valid

    shared = state()
    if file.exists():
        fail([f"{file}: already exists; not replaced"])
    try:
        record = new_record(
            id=record_id,
            name=name,
            qualified=qualified,
            service="adults" if service == "adults" else "children",
            stage=stage,
            start=start,
            registry=shared.registry,
            entry=shared.entry("new", f"started {stage} on {start}"),
            fte=fte,
            council=council,
            swe=swe,
        )
    except EcfError as exc:  # name the file, as every other refusal does
        raise exc.with_file(file) from exc
    ensure_valid(record, shared.registry, today(), file=str(file))
    with locked(file):
        create(file, record)
    click.echo(f"{record.id}: created {file} in {record.enrolments[0].stage} from {start}")


@click.group()
def add() -> None:
    """Add working hours, an absence, evidence or a review to a record."""


@add.command("hours")
@click.argument("file", type=RECORD)
@click.option("--from", "from_", required=True, type=DATE, help="The first day of the new pattern.")
@click.option("--fte", required=True, type=FTE, help="Full-time equivalent, e.g. 0.6 or 3/5.")
def add_hours(file: Path, from_: dt.date, fte: Fraction) -> None:
    """Record a working-pattern change from a date on."""
    from ecf.records import PatternChange

    def change(record: Record) -> Record:
        return record.changed(
            state().entry("add-hours", f"{float(fte):g} FTE from {from_}"),
            hours=tuple(sorted((*record.hours, PatternChange(from_, fte)), key=lambda c: c.from_)),
        )

    saved = edit(file, change)
    click.echo(f"{saved.record.id}: {float(fte):g} FTE from {from_}")


@add.command("absence")
@click.argument("file", type=RECORD)
@click.option(
    "--kind",
    required=True,
    help="sickness, parental, bereavement, unpaid, career-break, other, annual-leave, training.",
)
@click.option("--from", "first", required=True, type=DATE, help="First day of absence.")
@click.option("--to", "last", required=True, type=DATE, help="Last day of absence (inclusive).")
def add_absence(file: Path, kind: str, first: dt.date, last: dt.date) -> None:
    """Record an absence; a long one of a pausing kind moves the due dates."""
    from ecf.records import Absence

    absence = Absence(kind, first, last)

    def change(record: Record) -> Record:
        return record.changed(
            state().entry("add-absence", f"{kind} {first} to {last}"),
            absences=tuple(sorted((*record.absences, absence), key=lambda a: a.first)),
        )

    saved = edit(file, change)
    click.echo(f"{saved.record.id}: {kind} absence of {absence.days} days recorded")


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


@add.command("evidence")
@click.argument("file", type=RECORD)
@click.option("--kind", required=True, help="An evidence kind, e.g. direct-observation.")
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
    from ecf.records import Attachment, Evidence, digest

    attachment = None
    if attach is not None:
        from ecf.errors import EcfError
        from ecf.limits import attachment_file

        folder, target = file.resolve().parent, attach.resolve()
        if not target.is_relative_to(folder):  # also when a symbolic link leads out
            fail([f"{file}: --attach: {attach} is outside the record's folder {folder}"])
        if not target.is_file():
            fail([f"{file}: --attach: {attach} is not a regular file"])
        ref = target.relative_to(folder).as_posix()
        try:
            attachment_file(ref, folder)  # the rule `ecf validate --attachments` applies
        except EcfError as exc:
            raise exc.with_file(file) from exc
        attachment = Attachment(ref, _sha256(target))
    new_id: list[str] = []

    def change(record: Record) -> Record:
        evidence = Evidence(record.next_evidence_id(), kind, when, standards, by, attachment, note)
        new_id.append(evidence.id)
        return record.changed(
            state().entry("add-evidence", f"{evidence.id} {kind} {when}", digest(evidence)),
            evidence=(*record.evidence, evidence),
        )

    edit(file, change)
    click.echo(new_id[0])


@add.command("review")
@click.argument("file", type=RECORD)
@click.argument("milestone_id")
@click.option("--date", "when", required=True, type=DATE, help="When the review was held.")
def add_review(file: Path, milestone_id: str, when: dt.date) -> None:
    """Record that a milestone (review point) of the current stage was held."""
    from ecf.records import HeldMilestone, digest

    def change(record: Record) -> Record:
        assert record.current is not None  # noqa: S101 - a valid record has an enrolment
        held = HeldMilestone(record.current.stage, milestone_id, when)
        return record.changed(
            state().entry("add-review", f"{held.stage} {milestone_id} {when}", digest(held)),
            milestones=(*record.milestones, held),
        )

    saved = edit(file, change)
    click.echo(f"{saved.record.id}: {milestone_id} held on {when}")


@click.command()
@click.argument("file", type=RECORD)
@click.option(
    "--outcome",
    required=True,
    type=click.Choice(["pass", "fail", "extended", "deferred", "withdrawn"]),
)
@click.option("--date", "when", required=True, type=DATE, help="The date of the decision.")
@click.option("--by", required=True, help="Who decided.")
@click.option("--panel", help="The panel that confirmed it.")
@click.option("--until", type=DATE, help="The new end date (extended, deferred).")
@click.option(
    "--corrects",
    type=click.IntRange(min=0),
    help="Correct decision number N (as `ecf timeline` numbers them): both stay recorded.",
)
def decide(
    file: Path,
    outcome: str,
    when: dt.date,
    by: str,
    panel: str | None,
    until: dt.date | None,
    corrects: int | None,
) -> None:
    """Record a decision on the current stage; it is never overwritten."""
    from ecf.progression import decide as decide_
    from ecf.records import Decision

    def change(record: Record) -> Record:
        assert record.current is not None  # noqa: S101 - a valid record has an enrolment
        decision = Decision(record.current.stage, outcome, when, by, panel, until, corrects)  # type: ignore[arg-type]
        note = f" correcting decision {corrects}" if corrects is not None else ""
        entry = state().entry("decide", f"{decision.stage} {outcome} {when}{note}")
        return decide_(record, decision, state().registry, entry)

    saved = edit(file, change)
    assert saved.record.current is not None  # noqa: S101
    click.echo(f"{saved.record.id}: {saved.record.current.stage} {outcome} on {when}")


@click.command()
@click.argument("file", type=RECORD)
@click.option("--stage", required=True, help="The next stage, e.g. ecf-2.")
@click.option("--start", required=True, type=DATE, help="Its first day.")
def advance(file: Path, stage: str, start: dt.date) -> None:
    """Start the next stage after a pass."""
    from ecf.progression import advance as advance_

    def change(record: Record) -> Record:
        entry = state().entry("advance", f"started {stage} on {start}")
        return advance_(record, stage, start, state().registry, entry)

    saved = edit(file, change)
    assert saved.record.current is not None  # noqa: S101
    click.echo(f"{saved.record.id}: started {saved.record.current.stage} on {start}")


@click.command()
@click.argument("file", type=RECORD)
@click.option("--date", "when", required=True, type=DATE, help="The last day of employment.")
@click.option("--reason", required=True, help="Why: resigned, moved council, retired...")
def leave(file: Path, when: dt.date, reason: str) -> None:
    """Record that the practitioner left employment; the record is closed after."""
    from ecf.progression import leave as leave_

    def change(record: Record) -> Record:
        return leave_(record, when, reason, state().entry("leave", f"left on {when}"))

    saved = edit(file, change)
    click.echo(f"{saved.record.id}: left on {when}")
