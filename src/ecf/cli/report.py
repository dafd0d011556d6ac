"""The commands that read records: status, timeline, validate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ecf.cli import (
    DATE,
    EXIT_BAD_INPUT,
    council_config,
    dumps,
    echo,
    load_valid,
    state,
    today,
)
from ecf.cli.types import COUNCIL, RECORD

if TYPE_CHECKING:
    import datetime as dt

    from ecf.assessors import Assessment
    from ecf.status import MilestoneStatus, Status


def _fmt(day: dt.date | None) -> str:
    return day.isoformat() if day else "-"


def _due(ms: MilestoneStatus) -> str:
    """A milestone's due date, with the computed one beside an agreed date that differs."""
    if ms.agreed is None or ms.due == ms.computed:
        return _fmt(ms.due)
    moved = f"agreed {ms.agreed}, moved by pauses; " if ms.agreed != ms.due else "agreed; "
    return f"{_fmt(ms.due)} ({moved}computed {_fmt(ms.computed)})"


@click.command()
@click.argument("file", type=RECORD)
@click.option("--as-of", type=DATE, help="The date to report as of (default: today).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
@click.option(
    "--council",
    "council_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A council.toml: its settings apply to the dates; adds the assessors' recommendation.",
)
def status(file: Path, as_of: dt.date | None, as_json: bool, council_file: Path | None) -> None:
    """Show the current stage, what is overdue, what is next, and every milestone."""
    from ecf._convert import to_json
    from ecf.status import status as status_

    record = load_valid(file)
    council = council_config(council_file)
    settings = council.settings if council else None
    st = status_(record, state().registry, as_of or today(), settings=settings)
    recommendation = None
    gaps = 0
    assessed = None
    if council is not None or not as_json:
        from ecf.assessors import assess as assess_
        from ecf.status import CLOSED

        if council is not None or st.state not in CLOSED:  # the evidence still needed
            assessed = assess_(record, state().registry, st.as_of, council=council)
    if council is not None and assessed is not None:
        recommendation, gaps = assessed.recommendation, assessed.support_gaps
    if as_json:
        extra = (
            {}
            if recommendation is None
            else {"recommendation": recommendation, "support_gaps": gaps}
        )
        from ecf.schemas import tag

        echo(dumps({"schema": tag("status"), **to_json(st), **extra}))
        return
    echo(
        f"{st.id}: {st.stage} ({st.stage_title}), started {st.stage_start}, "
        f"framework {st.framework}"
    )
    echo(f"State: {st.state}; expected end {st.expected_end} (as of {st.as_of})")
    if st.assessor is not None:
        echo(f"Assessor: {st.assessor}")
    if recommendation is not None:
        echo(f"Recommendation: {recommendation} (see `ecf assess`)")
        if gaps:
            echo(f"Support gaps (the employer's, not the practitioner's): {gaps}")
    if st.appeal is not None:
        echo(f"Appeal: against {st.appeal.decision}, lodged {st.appeal.lodged}, open")
    if st.appeal_until is not None:
        echo(f"Appeal window: an appeal may be lodged until {st.appeal_until}")
    for ms in st.overdue:
        echo(f"Overdue: {ms.title} ({ms.id}), due {_due(ms)}", fg="red")
    nxt = st.next
    if nxt is not None:
        echo(f"Next: {nxt.title} ({nxt.id}), due {_due(nxt)}")
    rows = [("milestone", "due", "held", "")]
    for ms in st.milestones:
        flag = "OVERDUE" if ms.overdue else "next" if nxt is not None and ms.id == nxt.id else ""
        flag = flag or ("optional" if ms.optional and ms.held is None else "")
        flag = flag or ("before the record" if ms.before_record and ms.held is None else "")
        rows.append((ms.id, _due(ms), _fmt(ms.held), flag))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    echo()
    for row in rows:
        echo("  ".join(cell.ljust(w) for cell, w in zip(row, [*widths, 0], strict=True)).rstrip())
    _guidance(st, assessed, file)


def _guidance(st: Status, assessed: Assessment | None, file: Path) -> None:
    """The evidence still needed, and the command to run next (:func:`ecf.guidance.guide`)."""
    from ecf.guidance import guide

    shown = str(file)
    advice = guide(st, assessed, shown if shown.isprintable() and " " not in shown else "FILE")
    if advice.needed:
        echo()
        echo("Evidence still needed:")
        for finding in advice.needed:
            echo(f"  - {finding.message}")
    if advice.command is not None:
        echo()
        echo(f"Try: {advice.command}")
        echo(f"     ({advice.why})")


@click.command()
@click.argument("file", type=RECORD)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='One JSON object ("schema": "timeline/1"): the record\'s id and its events.',
)
@click.option(
    "--council",
    "council_file",
    type=COUNCIL,
    help="A council.toml: its settings (pause threshold) apply to the dates.",
)
def timeline(file: Path, as_json: bool, council_file: Path | None) -> None:
    """Show everything dated in the record, stage by stage, with due dates to come."""
    from ecf.status import events

    record = load_valid(file)
    council = council_config(council_file)
    items = events(record, state().registry, settings=council.settings if council else None)
    if as_json:
        from ecf.schemas import tag

        echo(dumps({"schema": tag("timeline"), "id": record.id, "events": items}))
        return
    echo(f"{record.id}: timeline")
    now = today()
    for event in items:
        stage = f"[{event.stage}] " if event.stage else ""
        late = (
            " OVERDUE"
            if not event.done and event.date < now and "optional" not in event.text
            else ""
        )
        echo(f"  {event.date}  {stage}{event.text}{late}")


@click.command()
@click.argument("files", nargs=-1, required=True, type=RECORD)
@click.option(
    "--attachments",
    is_flag=True,
    help="Also check attached files: inside the record's folder, present, sha256 unchanged "
    "(URLs are not fetched, so not checked).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='One JSON object ("schema": "validate/1"): each file, its id, its problems.',
)
def validate(files: tuple[Path, ...], attachments: bool, as_json: bool) -> None:
    """Check record files; print every problem, one per line.

    Exit 0 when every file is valid, 2 when any is not.  Attached files are read only with
    --attachments.  A warning (evidence citing a standard set outside its in-force dates, or a
    set for another service) is printed and does not make the file invalid.
    """
    from ecf.errors import EcfError

    if as_json:
        _validate_json(files, attachments=attachments)
        return
    bad = 0
    for file in files:
        try:
            record = load_valid(file)
        except EcfError as exc:
            bad += 1
            for line in exc.lines():
                echo(f"error: {line}", err=True)
            continue
        from ecf.validation import evidence_warnings

        for warning in evidence_warnings(record, state().registry):
            echo(f"warning: {warning.with_file(file)}", err=True)
        if not attachments:
            echo(f"{file}: ok ({record.id})")
            continue
        from ecf.attachments import check_attachments, is_url

        problems = check_attachments(record, file.resolve().parent)
        for problem in problems:
            echo(f"error: {problem.with_file(file)}", err=True)
        refs = [e.attachment.ref for e in record.evidence if e.attachment is not None]
        urls = sum(is_url(ref) for ref in refs)
        if problems:
            bad += 1
        else:
            echo(
                f"{file}: ok ({record.id}; {len(refs) - urls} attached files checked, "
                f"{urls} URLs not checked)"
            )
    if bad:
        echo(f"{bad} of {len(files)} files invalid", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT)


def _validate_json(files: tuple[Path, ...], *, attachments: bool) -> None:
    """``ecf validate --json``: one object on stdout, the same exit code as the text output."""
    from ecf.cli import problems_json
    from ecf.errors import EcfError, Problem

    rows: list[dict[str, object]] = []
    for file in files:
        problems: list[Problem] = []
        record_id = None
        try:
            record = load_valid(file)
        except EcfError as exc:
            problems = list(exc.problems)
        else:
            record_id = record.id
            if attachments:
                from ecf.attachments import check_attachments

                problems = [
                    p.with_file(file) for p in check_attachments(record, file.resolve().parent)
                ]
        rows.append(
            {
                "file": str(file),
                "id": record_id,
                "valid": not problems,
                "problems": problems_json(problems),
            }
        )
    from ecf.schemas import tag

    invalid = sum(not row["valid"] for row in rows)
    echo(dumps({"schema": tag("validate"), "files": rows, "invalid": invalid}))
    if invalid:
        raise click.exceptions.Exit(EXIT_BAD_INPUT)
