"""The cohort commands: cohort (who is where, what is due) and workforce figures.

This module is long because ``ecf cohort`` is the widest command: filters checked before any
file is read, six output formats (table, CSV, JSON, JSON Lines, xlsx, the HTML page) and the
workforce figures that share its scan; each helper is small and local to the command it serves.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ecf.cli import (
    DATE,
    EXIT_SOME_FAILED,
    MAX_DAYS,
    council_config,
    dumps,
    echo,
    state,
    today,
    warn_unavailable,
)
from ecf.cli.tables import (
    EXCEL_HELP,
    SPREADSHEET_FORMATS,
    row_report_options,
    table_format,
    write_rows,
)
from ecf.cli.types import COUNCIL, FOLDER

if TYPE_CHECKING:
    import datetime as dt

COLUMNS = [
    "id",
    "council",
    "team",
    "stage",
    "stage_start",
    "expected_end",
    "state",
    "next_milestone",
    "next_due",
    "overdue",
    "recommendation",
    "reasons",
    "support_gaps",
    "assessor",
]


@click.command()
@click.argument("folder", type=FOLDER)
@click.option(
    "--council", "council_file", type=COUNCIL, help="A council.toml: adds recommendations."
)
@click.option("--as-of", type=DATE, help="The date to report as of (default: today).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "jsonl", "xlsx", "html"]),
    default="table",
    show_default=True,
    help=(
        "xlsx: a workbook on standard output (needs ecf-social-work[xlsx]); html: one page with"
        " the summary, charts and a sortable table (see --out)."
    ),
)
@click.option("--excel", is_flag=True, help=EXCEL_HELP)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --format html: write the page to this file (replaced atomically).",
)
@click.option(
    "--stage",
    "stages",
    multiple=True,
    help="Only these stages (repeatable; an id or alias, any case).",
)
@click.option("--state", "states", multiple=True, help="Only these states (repeatable).")
@click.option("--council-code", "councils", multiple=True, help="Only records of these councils.")
@click.option("--team", "teams", multiple=True, help="Only these teams (the records' extra.team).")
@click.option(
    "--recommendation", "recommendations", multiple=True, help="Only these recommendations."
)
@click.option(
    "--due-within",
    type=click.IntRange(0, MAX_DAYS),
    help="Only those with a milestone due within N days.",
)
@click.option("--overdue", is_flag=True, help="Only those with an overdue milestone.")
@click.option(
    "--support-gaps",
    "with_gaps",
    is_flag=True,
    help="Only those with a support gap (the employer's: needs --council).",
)
@click.option(
    "--assessor",
    help="Only the records this person assesses on the date (the name, ignoring case).",
)
@click.option(
    "--pseudonymise",
    is_flag=True,
    help="Replace ids with a keyed hash (--key-file or $ECF_PSEUDONYM_KEY); drop names.",
)
@click.option("--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--workers", type=click.IntRange(min=1), help="Processes to use (default: every core)."
)
@click.option(
    "--no-cache", is_flag=True, help="Parse every file; do not use or fill the record cache."
)
def cohort(
    folder: Path,
    council_file: Path | None,
    as_of: dt.date | None,
    fmt: str,
    excel: bool,
    out: Path | None,
    stages: tuple[str, ...],
    states: tuple[str, ...],
    councils: tuple[str, ...],
    teams: tuple[str, ...],
    recommendations: tuple[str, ...],
    due_within: int | None,
    overdue: bool,
    with_gaps: bool,
    assessor: str | None,
    pseudonymise: bool,
    key_file: Path | None,
    workers: int | None,
    no_cache: bool,
) -> None:
    """Report on every record under FOLDER: who is where, what is due, who is at risk.

    Each bad file is reported once on stderr with its path and reason; the rest is processed.
    Parsed records are cached by content (in $ECF_CACHE_DIR or the platform's cache folder,
    owner-only, data only; `ecf cache clear` empties it), so an unchanged file is not parsed
    again.  Exit 0 when every record was read, 1 when any
    failed, 2 on bad options.
    """
    from ecf import cohort as cohort_
    from ecf import export
    from ecf._convert import to_json
    from ecf.cache import default_cache_dir

    fmt = _check_out(fmt=table_format(fmt, excel=excel), out=out)
    shared = state()
    wanted = _checked_filters(stages, states, recommendations, council_file, with_gaps=with_gaps)
    key = export.read_key(key_file) if pseudonymise else None
    council = council_config(council_file)  # checked here, once, before any worker starts
    if council is not None:
        from ecf.assessors import get_plugins

        warn_unavailable(council, get_plugins())  # once; each record's row names it too
    shared.registry.get()  # the framework files are checked here too
    when = as_of or today()
    files = cohort_.record_files(folder)
    options = cohort_.ScanOptions(
        as_of=when,
        today=today(),
        framework_files=tuple(str(f) for f in shared.framework_files),
        council_file=str(council_file) if council_file else None,
        cache_dir=None if no_cache else str(default_cache_dir()),
    )
    interactive = sys.stdout.isatty() and sys.stderr.isatty() and len(files) > 200  # noqa: PLR2004
    if interactive:
        with click.progressbar(length=len(files), label="Reading records", file=sys.stderr) as bar:
            every, failures = cohort_.scan(files, options, workers=workers, progress=bar.update)
    else:
        every, failures = cohort_.scan(files, options, workers=workers)
    for failure in failures:
        for line in failure.lines():
            echo(f"error: {line}", err=True)
    summary = cohort_.summarise(every, when, failed=len(failures))
    chosen = [
        r
        for r in every
        if cohort_.matches(
            r,
            as_of=when,
            stage=wanted.stage,
            state=wanted.state,
            council=councils,
            team=teams,
            recommendation=wanted.recommendation,
            due_within=due_within,
            overdue=overdue,
            assessor=assessor,
            support_gaps=with_gaps,
        )
    ]
    _note_unknown_assessor(every, assessor, when)
    described = wanted.describe(
        councils=councils,
        teams=teams,
        due_within=due_within,
        overdue=overdue,
        with_gaps=with_gaps,
        assessor=assessor,
    )
    if described and fmt in ("csv", "jsonl", "xlsx"):
        echo(f"note: {len(chosen)} of {len(every)} records match: {described}", err=True)
    data = [to_json(r) for r in chosen]
    columns = COLUMNS
    if key is not None:
        data = [export.pseudonymise(d, key) for d in data]
        columns = [c for c in COLUMNS if c not in export.NAMES]
    if fmt == "html":
        _write_html(folder, chosen, summary, when, council, key, out)
    elif fmt == "json":
        from ecf.schemas import tag

        filtered = {"filters": described or None, "matched": len(chosen)}
        echo(
            dumps(
                {
                    "schema": tag("cohort"),
                    "as_of": when.isoformat(),
                    "summary": summary,
                    **filtered,
                    "records": data,
                }
            )
        )
    elif fmt == "jsonl":
        for line in export.json_lines(data):
            echo(line)
    elif fmt in SPREADSHEET_FORMATS:
        write_rows(data, columns, fmt, excel=excel, sheet="cohort")
    else:
        _print_cohort(summary, data, when, (described, len(chosen)))
    if failures:
        echo(f"{len(failures)} of {len(files)} records could not be read", err=True)
        raise click.exceptions.Exit(EXIT_SOME_FAILED)


def _print_headline(head: Any, transfers: int) -> None:
    """The workforce headline: eligible n of N, CPD-ready n of N, leavers by stage."""
    not_covered = head.in_post - head.agency_judged
    covered = f" ({not_covered} more not covered by the agency rules)" if not_covered else ""
    echo(
        f"Agency eligible: {head.agency_eligible} of {head.agency_judged} in post in child and "
        f"family work{covered}"
    )
    echo(f"CPD ready: {head.cpd_ready} of {head.in_post} in post")
    stages = ", ".join(f"{k} {v}" for k, v in head.leavers_by_stage.items()) or "none"
    moved = f"; moved council: {transfers}" if transfers else ""
    echo(f"Leavers: {head.leavers} of {head.total} (by stage: {stages}){moved}")


def _checked_filters(
    stages: tuple[str, ...],
    states: tuple[str, ...],
    recommendations: tuple[str, ...],
    council_file: Path | None,
    *,
    with_gaps: bool,
) -> Any:
    """The filters as the data spells them, checked before any file is read.

    A value no row can have is an error listing the values allowed, never an empty report.
    """
    from ecf.filters import check_filters

    if with_gaps and council_file is None:
        msg = "--support-gaps needs --council: support gaps come from the assessors"
        raise click.UsageError(msg)
    return check_filters(
        state().registry,
        stage=stages,
        state=states,
        recommendation=recommendations,
        has_council=council_file is not None,
    )


def _note_unknown_assessor(every: list[Any], assessor: str | None, when: dt.date) -> None:
    """Say so when no record has the ``--assessor`` asked for (the filter is not an error)."""
    from ecf.agreements import same_name

    if assessor is not None and not any(same_name(r.assessor, assessor) for r in every):
        echo(f"note: no record has this assessor on {when}", err=True)


def _check_out(*, fmt: str, out: Path | None) -> str:
    """The format, once ``--out`` is known to go with it (only ``--format html`` takes it)."""
    if out is not None and fmt != "html":
        msg = "--out is for --format html (the other formats go to standard output)"
        raise click.UsageError(msg)
    return fmt


def _write_html(
    folder: Path,
    chosen: list[Any],
    summary: Any,
    when: dt.date,
    council: Any,
    key: bytes | None,
    out: Path | None,
) -> None:
    """The cohort picture: the chosen rows, and their milestones due by month."""
    from ecf import html_cohort
    from ecf.cli.html import write_page
    from ecf.sources import load_folder

    registry = state().registry
    wanted = {r.id for r in chosen}
    loaded = load_folder(folder, registry, today())  # the failures were reported by the scan
    due = html_cohort.due_dates(
        (r for r in loaded.records if r.id in wanted),
        registry,
        when,
        settings=council.settings if council else None,
    )
    title = f"Cohort: {folder.resolve().name}" if key is None else "Cohort"
    page = html_cohort.cohort_view(chosen, summary, when, due=due, key=key, title=title)
    write_page(out, html_cohort.render_cohort(page))
    if out is not None:
        echo(f"{out}: {len(chosen)} of {summary.total} records as of {when}")


def _print_cohort(
    summary: Any, data: list[dict[str, Any]], when: dt.date, filtered: tuple[str, int]
) -> None:
    stages = ", ".join(f"{k} {v}" for k, v in summary.by_stage.items()) or "none"
    states = ", ".join(f"{k} {v}" for k, v in summary.by_state.items()) or "none"
    echo(f"{summary.total} records as of {when}: {stages}")
    echo(f"States: {states}")
    echo(f"Due in the next 30 days: {summary.due_soon}; overdue: {summary.overdue}")
    if summary.by_recommendation:
        recs = ", ".join(f"{k} {v}" for k, v in sorted(summary.by_recommendation.items()))
        echo(f"Recommendations: {recs}")
        echo(f"Support gaps (the employer's, not counted): {summary.support_gaps}")
    described, matched = filtered
    if described:
        echo(f"Filters: {described}: {matched} of {summary.total} records shown")
    echo()
    shown = [
        "id",
        "council",
        "stage",
        "stage_start",
        "expected_end",
        "state",
        "next_milestone",
        "next_due",
        "overdue",
    ]
    if any(d.get("assessor") for d in data):
        shown += ["assessor"]
    if any(d.get("recommendation") for d in data):
        shown += ["support_gaps", "recommendation", "reasons"]
    table = [shown] + [[_cell(d.get(c)) for c in shown] for d in data]
    widths = [max(len(row[i]) for row in table) for i in range(len(shown))]
    for row in table:
        echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value) or "-"
    return str(value)


@click.command()
@click.argument("folder", type=FOLDER)
@click.option(
    "--council",
    "council_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A council.toml: its agency rule set.",
)
@click.option("--as-of", type=DATE, help="The date to report as of (default: today).")
@click.option(
    "--rules",
    "agency_rules",
    type=click.Choice(["statutory-2024", "consultation-2023"]),
    help="The agency rule set (default: the council's, else statutory-2024).",
)
@row_report_options
def workforce(
    folder: Path,
    council_file: Path | None,
    as_of: dt.date | None,
    agency_rules: str | None,
    fmt: str,
    excel: bool,
    pseudonymise: bool,
    key_file: Path | None,
) -> None:
    """Workforce figures: agency eligibility, CPD readiness, and leavers by stage.

    Exit 0 when every record was read, 1 when any failed.
    """
    from ecf import cohort as cohort_
    from ecf import export
    from ecf import workforce as wf

    fmt = table_format(fmt, excel=excel)
    key = export.read_key(key_file) if pseudonymise else None
    council = council_config(council_file)
    rules = agency_rules or (council.settings.agency_rules if council else "statutory-2024")
    registry = state().registry
    when = as_of or today()
    loaded = cohort_.load_folder(folder, registry, today())
    for failure in loaded.failures:
        for line in failure.lines():
            echo(f"error: {line}", err=True)
    rows: list[dict[str, Any]] = []
    agencies: list[wf.AgencyEligibility] = []
    cpds: list[wf.CpdReadiness] = []
    for record in loaded.records:
        agency = wf.agency_eligibility(record, registry, when, rules)  # type: ignore[arg-type]
        cpd = wf.cpd_readiness(record, when, registry)
        agencies.append(agency)
        cpds.append(cpd)
        rows.append(
            {
                "id": record.id if key is None else export.pseudonym(key, record.id),
                "council": record.council,
                "agency_eligible": agency.eligible,
                "agency_from": agency.from_date.isoformat() if agency.from_date else None,
                "agency_reason": agency.reason,
                "cpd_ready": cpd.ready,
                "cpd": cpd.message,
                "left": record.left.date.isoformat() if record.left else None,
            }
        )
    kept = wf.retention(loaded.records)
    head = wf.headline(loaded.records, agencies, cpds, when)
    if fmt == "json":
        from ecf.schemas import tag

        echo(
            dumps(
                {
                    "schema": tag("workforce"),
                    "as_of": when.isoformat(),
                    "agency_rules": rules,
                    "headline": head,
                    "records": rows,
                    "retention": kept,
                }
            )
        )
    elif fmt in SPREADSHEET_FORMATS:
        write_rows(rows, list(rows[0]) if rows else ["id"], fmt, excel=excel, sheet="workforce")
    else:
        echo(f"{len(rows)} records as of {when}; agency rules {rules}")
        _print_headline(head, kept.transfers)
        for row in rows:
            eligible = {True: "eligible", False: "not yet", None: "n/a"}[row["agency_eligible"]]
            ready = "CPD ready" if row["cpd_ready"] else "CPD not ready"
            echo(f"  {row['id']}: agency {eligible} ({row['agency_reason']}); {ready}")
    if loaded.failures:
        raise click.exceptions.Exit(EXIT_SOME_FAILED)
