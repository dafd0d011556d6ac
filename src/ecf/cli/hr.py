"""The HR commands of the ``ecf`` CLI: ``ecf calendar`` and ``ecf import``.

``ecf.cli`` loads this module only when one of its commands runs; the helpers the commands
share (error handling, the shared state, the date type, "today") come from ``ecf.cli``.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import click

from ecf.cli import (
    DATE,
    EXIT_BAD_INPUT,
    EXIT_SOME_FAILED,
    MAX_DAYS,
    council_config,
    dumps,
    echo,
    state,
    today,
)
from ecf.cli.scans import scan_options
from ecf.cli.types import COUNCIL

__all__ = ["calendar_command", "import_command"]


# --- ecf calendar ------------------------------------------------------------------------------


def _write(out: Path, data: bytes) -> None:
    from ecf.errors import EcfError, Problem

    try:
        with click.open_file(str(out), "wb", atomic=True) as fh:
            fh.write(data)
    except OSError as exc:
        raise EcfError([Problem(f"cannot write: {exc.strerror}", file=str(out))]) from exc


@click.command("calendar")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--as-of", type=DATE, help="The first day of the calendar (default: today).")
@click.option(
    "--days",
    type=click.IntRange(0, MAX_DAYS),
    default=365,
    show_default=True,
    help="How many days after --as-of to include.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the calendar to this file (replaced atomically) instead of standard output.",
)
@click.option(
    "--pseudonymise",
    is_flag=True,
    help="Replace ids with a keyed hash (--key-file or $ECF_PSEUDONYM_KEY).",
)
@click.option("--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--council",
    "council_file",
    type=COUNCIL,
    help="A council.toml: its settings (pause threshold) apply to the dates.",
)
@click.option(
    "--assessor",
    help="Only the records this person assesses on --as-of (the name, ignoring case): an "
    "assessor's own calendar.",
)
@scan_options
def calendar_command(
    paths: tuple[Path, ...],
    as_of: dt.date | None,
    days: int,
    out: Path | None,
    pseudonymise: bool,
    key_file: Path | None,
    council_file: Path | None,
    assessor: str | None,
    workers: int | None,
    no_cache: bool,
) -> None:
    """Export upcoming milestones of records (files or folders) as an iCalendar (.ics) file.

    One all-day event per milestone due from --as-of to --days later, not yet held, in a stage
    still open.  Events name the record by its id (or pseudonym), never by the person's name;
    with --assessor, only that assessor's records, and the calendar does not hold the
    assessor's name either.

    Exit 0 when every record was read, 1 when any failed (the rest is exported), 2 on bad input.
    """
    import attrs

    from ecf import export, ical
    from ecf.cli.scans import report_failures, scan

    key = export.read_key(key_file) if pseudonymise else None
    council = council_config(council_file)
    settings = council.settings if council else None
    when = as_of or today()
    each = functools.partial(ical.calendar_item, days=days, settings=settings, assessor=assessor)
    with scan(paths, each, as_of=when, workers=workers, no_cache=no_cache) as scanned:
        chosen = [due for due in scanned if due is not None]
    if assessor is not None and not chosen:
        echo(f"note: no record has this assessor on {when}", err=True)
    items = [item for due in chosen for item in due]
    if key is not None:
        items = [attrs.evolve(i, record_id=export.pseudonym(key, i.record_id)) for i in items]
    items.sort(key=lambda i: (i.due, i.record_id, i.stage, i.milestone))
    text = ical.calendar(items, stamp=dt.datetime.now(dt.UTC).replace(microsecond=0))
    report_failures(scanned)
    data = text.encode("utf-8")
    summary = f"{len(items)} events from {len(chosen)} records, {when} to "
    summary += f"{when + dt.timedelta(days=days)}"
    if out is None:
        echo(data, nl=False, data=True)
        echo(summary, err=True)
    else:
        _write(out, data)
        echo(f"{out}: {summary}")
    if scanned.failures:
        echo(f"{len(scanned.failures)} records could not be read", err=True)
        raise click.exceptions.Exit(EXIT_SOME_FAILED)


# --- ecf import --------------------------------------------------------------------------------


@click.command("import")
@click.argument("rows", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--into",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The folder of record files: rows update the record with their id, or create <id>.toml.",
)
@click.option(
    "--apply", "apply_", is_flag=True, help="Write the changes (default: only show them)."
)
@click.option(
    "--skip-bad", is_flag=True, help="With --apply: write the good rows even if some are bad."
)
@click.option(
    "--as-of", type=DATE, help="The first day of a changed FTE's new pattern (default: today)."
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A mapping file (TOML): the export's column names and values (docs/hr-import.md).",
)
@click.option(
    "--date-format",
    help="A strptime layout for dates other than YYYY-MM-DD and DD/MM/YYYY, such as '%d %b %Y'.",
)
@click.option(
    "--errors-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the bad rows to this CSV with an added error column, to fix and import again.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON object.")
@click.option(
    "--include-anonymised",
    is_flag=True,
    help="Create a record for a row of a person anonymised earlier (default: skip the row).",
)
def import_command(
    rows: Path,
    into: Path,
    apply_: bool,
    skip_bad: bool,
    as_of: dt.date | None,
    mapping: Path | None,
    date_format: str | None,
    errors_out: Path | None,
    as_json: bool,
    include_anonymised: bool,
) -> None:
    """Create and update records from an HR export (CSV); a dry run unless --apply.

    Columns: id, name, qualified, stage, start, service (required); council, swe, fte, team,
    prior, registered, left, leaving_reason (optional: an empty cell changes nothing);
    --mapping names them as the export does, and translates its stage, service, council and
    leaving reason values (docs/hr-import.md).  Dates are YYYY-MM-DD
    or DD/MM/YYYY (or --date-format); stages by id or alias in any case; an FTE as 0.6, 3/5,
    60% or "22.5 of 37 hours".  A row repeating an earlier one exactly is counted once; rows
    of one id that differ are all bad.  Existing staff start in their stage with the stages
    passed before in prior (asye:2024-08-30; several split by ;).  An update may change the
    name, swe, registered and team; a different fte adds a working-pattern change from
    --as-of.  A row whose qualified, service, stage, start or prior differs from the record is
    an error: the import never rewrites the path of stages (nor moves a practitioner between
    councils: ecf transfer); a left date closes the record, as ecf leave.  Row numbers are the
    spreadsheet's (the header is row 1).

    --errors-out writes the bad rows as read, with an error column, even on a dry run: fix
    them in the spreadsheet and import that file again.  A row of a person anonymised in the
    folder (ecf anonymise) is skipped with a warning, unless --include-anonymised.

    Exit 0 when every row is good; 2 when any row is bad (nothing is written, unless --apply
    --skip-bad); 1 when --apply --skip-bad wrote the good rows but some were bad or refused.
    """
    from ecf import hr_import
    from ecf.hr_mapping import load_mapping

    if errors_out is not None and errors_out.resolve() in (
        rows.resolve(),
        mapping and mapping.resolve(),
    ):
        msg = "--errors-out must not be the export or the mapping file: it would replace it"
        raise click.UsageError(msg)
    shared = state()
    now = today()
    mapped = load_mapping(mapping, shared.registry, hr_import.COLUMNS) if mapping else None
    plan = hr_import.plan_import(
        rows,
        into,
        shared.registry,
        as_of=as_of or now,
        entry=shared.entry,
        today=now,
        mapping=mapped,
        date_format=date_format,
        include_anonymised=include_anonymised,
    )
    if plan.ignored_columns:
        ignored = ", ".join(plan.ignored_columns)
        echo(f"note: {rows}: columns not imported: {ignored}", err=True)
    for note in plan.notes:
        echo(f"note: {rows}: {note}", err=True)
    for warning in plan.warnings:
        echo(f"warning: {warning}", err=True)
    if as_json:
        echo(dumps(hr_import.plan_json(plan)))
    else:
        for action in plan.actions:
            echo(action.describe())
    for problem in plan.problems:
        echo(f"error: {problem}", err=True)
    if errors_out is not None:
        _write(errors_out, hr_import.error_rows_csv(plan).encode("utf-8"))
        echo(f"{errors_out}: {len(plan.failed)} bad rows to fix and import again", err=True)
    repeated = f", {len(plan.repeated)} repeated rows counted once" if plan.repeated else ""
    counts = (
        f"{plan.count('create')} to create, {plan.count('update')} to update, "
        f"{plan.count('unchanged')} unchanged, {len(plan.bad_rows)} bad rows{repeated}"
    )
    report = functools.partial(click.echo, err=as_json)  # stdout holds only the JSON
    if not apply_:
        report(f"dry run: {counts}; nothing written (add --apply to write)")
        if plan.problems:
            raise click.exceptions.Exit(EXIT_BAD_INPUT)
        return
    if plan.problems and not skip_bad:
        echo(
            f"{counts}; nothing written: fix the bad rows, or add --skip-bad to write the rest",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_BAD_INPUT)
    applied = hr_import.apply(plan, skip_bad=skip_bad)
    for failure in applied.failures:
        echo(f"error: {failure}", err=True)
    created = sum(1 for a in applied.written if a.kind == "create")
    updated = len(applied.written) - created
    skipped = f", skipped {len(plan.bad_rows)} bad rows" if plan.bad_rows else ""
    refused = f", {len(applied.failures)} refused" if applied.failures else ""
    report(
        f"created {created}, updated {updated}, {plan.count('unchanged')} unchanged"
        f"{skipped}{refused}{repeated}"
    )
    if plan.problems or applied.failures:
        raise click.exceptions.Exit(EXIT_SOME_FAILED if applied.written else EXIT_BAD_INPUT)
