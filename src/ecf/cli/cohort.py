"""The cohort commands: cohort (who is where, what is due) and workforce figures.

This module is long because ``ecf cohort`` is the widest command: filters checked before any
file is read, six output formats (table, CSV, JSON, JSON Lines, xlsx, the HTML page) and the
workforce figures that share its scan; each helper is small and local to the command it serves.
"""

from __future__ import annotations

import itertools
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
from ecf.cli.scans import scan_options
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
    from collections.abc import Iterable, Iterator

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
    files = cohort_.listing([folder])  # held compactly: a cohort of any size in little memory
    options = cohort_.ScanOptions(
        as_of=when,
        today=today(),
        framework_files=tuple(str(f) for f in shared.framework_files),
        council_file=str(council_file) if council_file else None,
        cache_dir=None if no_cache else str(default_cache_dir()),
    )
    each: Any = cohort_.cohort_row
    if fmt == "html":  # the page's due dates are made with each row, in the same workers
        from ecf.html_cohort import page_item

        each = page_item
    interactive = sys.stdout.isatty() and sys.stderr.isatty() and files.named > 200  # noqa: PLR2004
    if interactive:
        with click.progressbar(length=files.named, label="Reading records", file=sys.stderr) as bar:
            scanned = cohort_.scan_records(
                files, options, each, workers=workers, progress=bar.update
            )
    else:
        scanned = cohort_.scan_records(files, options, each, workers=workers)
    with scanned:
        _report(
            _Rows(scanned) if fmt == "html" else scanned,
            scanned,
            fmt,
            _Report(
                folder=folder,
                when=when,
                key=key,
                out=out,
                excel=excel,
                described=wanted.describe(
                    councils=councils,
                    teams=teams,
                    due_within=due_within,
                    overdue=overdue,
                    with_gaps=with_gaps,
                    assessor=assessor,
                ),
                assessor=assessor,
                filters={
                    "stage": wanted.stage,
                    "state": wanted.state,
                    "council": councils,
                    "team": teams,
                    "recommendation": wanted.recommendation,
                    "due_within": due_within,
                    "overdue": overdue,
                    "assessor": assessor,
                    "support_gaps": with_gaps,
                },
            ),
        )
    if scanned.failures:
        echo(f"{len(scanned.failures)} of {files.named} records could not be read", err=True)
        raise click.exceptions.Exit(EXIT_SOME_FAILED)


class _Report:
    """What ``ecf cohort`` writes, besides the rows: the options that shape the output."""

    def __init__(
        self,
        *,
        folder: Path,
        when: dt.date,
        key: bytes | None,
        out: Path | None,
        excel: bool,
        described: str,
        assessor: str | None,
        filters: dict[str, Any],
    ) -> None:
        self.folder = folder
        self.when = when
        self.key = key
        self.out = out
        self.excel = excel
        self.described = described
        self.assessor = assessor
        self.filters = filters

    def chosen(self, rows: Iterable[Any]) -> Iterator[Any]:
        """The rows the filters keep, in order."""
        from ecf.cohort import matches

        return (r for r in rows if matches(r, as_of=self.when, **self.filters))

    def data(self, rows: Iterable[Any]) -> Iterator[dict[str, Any]]:
        """The chosen rows' output form (pseudonymised with a key), in order."""
        from ecf import export
        from ecf._convert import to_json

        key = self.key
        for row in self.chosen(rows):
            item = to_json(row)
            yield item if key is None else export.pseudonymise(item, key)


class _Rows:
    """The rows of a scan that made (row, due dates) pairs for the HTML page."""

    def __init__(self, scanned: Iterable[tuple[Any, Any]]) -> None:
        self.scanned = scanned

    def __iter__(self) -> Iterator[Any]:
        return (row for row, _ in self.scanned)


def _report(scanned: Iterable[Any], made: Any, fmt: str, report: _Report) -> None:
    """Write the report of a scan, reading its rows back as often as the format needs.

    Only the HTML page, JSON and xlsx hold every chosen row at once; the table, CSV and JSON
    Lines are written row by row, so memory does not grow with the cohort.

    Args:
        scanned: The rows, read back as often as needed.
        made: What the scan made (:class:`ecf.cohort.Scanned`): its failures, and for the HTML
            page each row with its due dates.
        fmt: The output format.
        report: The options that shape it.
    """
    from ecf import cohort as cohort_
    from ecf import export

    for failure in made.failures:
        for line in failure.lines():
            echo(f"error: {line}", err=True)
    when = report.when
    first = _FirstPass(report, measure=fmt == "table")
    summary = cohort_.summarise(first.count(scanned), when, failed=len(made.failures))
    if report.assessor is not None and not first.assessor_seen:
        echo(f"note: no record has this assessor on {when}", err=True)
    described = report.described
    if described and fmt in ("csv", "jsonl", "xlsx"):
        echo(f"note: {first.matched} of {summary.total} records match: {described}", err=True)
    columns = COLUMNS
    if report.key is not None:
        columns = [c for c in COLUMNS if c not in export.NAMES]
    if fmt == "html":
        chosen = list(report.chosen(scanned))
        wanted = {r.id for r in chosen}
        due = {row.id: dates for row, dates in made if row.id in wanted}
        _write_html(report.folder, chosen, summary, when, due, report.key, report.out)
    elif fmt == "json":
        from ecf.schemas import tag

        filtered = {"filters": described or None, "matched": first.matched}
        echo(
            dumps(
                {
                    "schema": tag("cohort"),
                    "as_of": when.isoformat(),
                    "summary": summary,
                    **filtered,
                    "records": list(report.data(scanned)),
                }
            )
        )
    elif fmt == "jsonl":
        _echo_lines(export.json_lines(report.data(scanned)), data=False)
    elif fmt == "csv":
        from ecf.sheets import BOM

        rows = export.csv_rows(report.data(scanned), columns)
        _echo_lines(itertools.chain([BOM], rows) if report.excel else rows, data=True, end="")
    elif fmt in SPREADSHEET_FORMATS:
        write_rows(list(report.data(scanned)), columns, fmt, excel=report.excel, sheet="cohort")
    else:
        _print_cohort(summary, first, report.data(scanned), when, (described, first.matched))


def _echo_lines(lines: Iterable[str], *, data: bool, end: str = "\n") -> None:
    """Print lines a batch at a time (each ended by ``end``): one write per batch, not per row."""
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= _BATCH:
            echo(end.join(batch) + end, nl=False, data=data)
            batch.clear()
    if batch:
        echo(end.join(batch) + end, nl=False, data=data)


#: Lines printed at once by a streamed report.
_BATCH = 500


class _FirstPass:
    """A first read of a scan's rows: the summary, and what the output needs before any row.

    Counts the rows the filters keep, whether any row has the ``--assessor`` asked for, and,
    for the table, each column's width and which optional columns any chosen row fills.
    """

    def __init__(self, report: _Report, *, measure: bool) -> None:
        self.report = report
        self.measure = measure
        self.matched = 0
        self.assessor_seen = False
        self.widths: dict[str, int] = {}
        self.has_assessor = False
        self.has_recommendation = False

    def count(self, rows: Iterable[Any]) -> Iterator[Any]:
        """The rows, unchanged, noting what the output needs as they pass."""
        from ecf.agreements import same_name
        from ecf.cohort import matches

        report = self.report
        wanted = report.assessor
        for row in rows:
            if wanted is not None and not self.assessor_seen:
                self.assessor_seen = same_name(row.assessor, wanted)
            if matches(row, as_of=report.when, **report.filters):
                self.matched += 1
                if self.measure:
                    self._measure(row)
            yield row

    def _measure(self, row: Any) -> None:
        from ecf import export
        from ecf._convert import to_json

        item = to_json(row)
        if self.report.key is not None:
            item = export.pseudonymise(item, self.report.key)
        self.has_assessor = self.has_assessor or bool(item.get("assessor"))
        self.has_recommendation = self.has_recommendation or bool(item.get("recommendation"))
        widths = self.widths
        for column in _TABLE:
            size = len(_cell(item.get(column)))
            if size > widths.get(column, 0):
                widths[column] = size


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
    due: dict[str, Any],
    key: bytes | None,
    out: Path | None,
) -> None:
    """The cohort picture: the chosen rows, and their milestones due by month (``due``)."""
    from ecf import html_cohort
    from ecf.cli.html import write_page

    title = f"Cohort: {folder.resolve().name}" if key is None else "Cohort"
    page = html_cohort.cohort_view(chosen, summary, when, due=due, key=key, title=title)
    write_page(out, html_cohort.render_cohort(page))
    if out is not None:
        echo(f"{out}: {len(chosen)} of {summary.total} records as of {when}")


#: The table's columns: those always shown, then the assessor, then the assessors' verdict
#: (each shown when a chosen row fills it).
_SHOWN = [
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
_TABLE = [*_SHOWN, "assessor", "support_gaps", "recommendation", "reasons"]


def _print_cohort(
    summary: Any,
    first: _FirstPass,
    data: Iterable[dict[str, Any]],
    when: dt.date,
    filtered: tuple[str, int],
) -> None:
    """The table: the summary, then one line per chosen row (widths from the first pass)."""
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
    shown = list(_SHOWN)
    if first.has_assessor:
        shown += ["assessor"]
    if first.has_recommendation:
        shown += ["support_gaps", "recommendation", "reasons"]
    widths = [max(len(c), first.widths.get(c, 0)) for c in shown]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()

    echo(line(shown))
    _echo_lines((line([_cell(d.get(c)) for c in shown]) for d in data), data=False)


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
@scan_options
def workforce(
    folder: Path,
    council_file: Path | None,
    as_of: dt.date | None,
    agency_rules: str | None,
    fmt: str,
    excel: bool,
    pseudonymise: bool,
    key_file: Path | None,
    workers: int | None,
    no_cache: bool,
) -> None:
    """Workforce figures: agency eligibility, CPD readiness, and leavers by stage.

    Exit 0 when every record was read, 1 when any failed.
    """
    import functools

    from ecf import export
    from ecf import workforce as wf
    from ecf.cli.scans import report_failures, scan

    fmt = table_format(fmt, excel=excel)
    key = export.read_key(key_file) if pseudonymise else None
    council = council_config(council_file)
    rules = agency_rules or (council.settings.agency_rules if council else "statutory-2024")
    when = as_of or today()
    each = functools.partial(wf.workforce_item, rules=rules)  # type: ignore[arg-type]
    with scan([folder], each, as_of=when, workers=workers, no_cache=no_cache) as scanned:
        report_failures(scanned)
        items = list(scanned)
    rows: list[dict[str, Any]] = [
        {
            "id": item.id if key is None else export.pseudonym(key, item.id),
            "council": item.council,
            "agency_eligible": item.agency.eligible,
            "agency_from": item.agency.from_date.isoformat() if item.agency.from_date else None,
            "agency_reason": item.agency.reason,
            "cpd_ready": item.cpd.ready,
            "cpd": item.cpd.message,
            "left": item.career.left.isoformat() if item.career.left else None,
        }
        for item in items
    ]
    careers = [item.career for item in items]
    kept = wf.retention_of(careers)
    head = wf.headline_of(careers, [i.agency for i in items], [i.cpd for i in items], when)
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
    if scanned.failures:
        raise click.exceptions.Exit(EXIT_SOME_FAILED)
