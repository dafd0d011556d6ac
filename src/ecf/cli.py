"""The ``ecf`` command line: a thin layer over the library for one record.

Exit codes:

* ``0``: success.
* ``1``: reserved for commands over many records (cohorts): some failed, the rest ran.
* ``2``: bad input: a usage error, a malformed or invalid file, a refused change, a file that
  changed while the command ran.  Nothing on disk changes.
* ``3``: an internal error (a bug in ecf): please report it with the output of ``--debug``.

The library is imported inside each command, so ``ecf --help`` costs little more than click.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import click

if TYPE_CHECKING:
    from collections.abc import Callable
    from fractions import Fraction

    from ecf.assessors import Assessment
    from ecf.council import Council
    from ecf.framework import FrameworkRegistry
    from ecf.records import HistoryEntry, Record
    from ecf.store import RecordFile

P = ParamSpec("P")
R = TypeVar("R")

EXIT_SOME_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3

#: Who made a change, for the record's history (default: the login name).
USER_ENV = "ECF_USER"


class DateType(click.ParamType):  # type: ignore[type-arg]
    """An ISO date (YYYY-MM-DD)."""

    name = "date"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.date:
        """Parse the value or fail with a usage error naming it."""
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"invalid date {value!r}, expected YYYY-MM-DD", param, ctx)


class FteType(click.ParamType):  # type: ignore[type-arg]
    """A full-time equivalent in (0, 1]: ``0.6`` or ``3/5``."""

    name = "fte"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Fraction:
        """Parse the value exactly or fail with a usage error naming it."""
        from fractions import Fraction

        try:
            fte = Fraction(str(value).strip())
        except (ValueError, ZeroDivisionError):
            self.fail(f"invalid FTE {value!r}, expected a number such as 0.6 or 3/5", param, ctx)
        if not 0 < fte <= 1:
            self.fail(f"FTE must be more than 0 and at most 1 (got {value!r})", param, ctx)
        return fte


DATE = DateType()
FTE = FteType()
RECORD = click.Path(dir_okay=False, path_type=Path)


class _State:
    def __init__(self, debug: bool, frameworks: tuple[Path, ...], user: str | None) -> None:
        self.debug = debug
        self.framework_files = frameworks
        self.user = user
        self._registry: FrameworkRegistry | None = None

    @property
    def registry(self) -> FrameworkRegistry:
        if self._registry is None:
            from ecf.framework import FrameworkRegistry

            self._registry = FrameworkRegistry.default(list(self.framework_files))
        return self._registry

    def entry(self, action: str, detail: str) -> HistoryEntry:
        from ecf.records import HistoryEntry

        by = self.user or os.environ.get(USER_ENV) or _login()
        return HistoryEntry(dt.datetime.now(dt.UTC).replace(microsecond=0), by, action, detail)


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        return "unknown"


def _state() -> _State:
    return click.get_current_context().ensure_object(_State)


def _today() -> dt.date:
    return dt.date.today()  # noqa: DTZ011 - a person's local date is what "today" means here


def _json(data: object, indent: int = 2) -> str:
    import json

    return json.dumps(data, indent=indent)


def _fail(lines: list[str], code: int = EXIT_BAD_INPUT) -> NoReturn:
    for line in lines:
        click.echo(f"error: {line}", err=True)
    sys.exit(code)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn library errors into one line per problem and their exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from ecf.errors import EcfError

        try:
            return func(*args, **kwargs)
        except EcfError as exc:
            if _state().debug:
                raise
            _fail(exc.lines(), exc.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # output piped into `head`: stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(0)
        except Exception as exc:
            if _state().debug:
                raise
            _fail(
                [
                    # Only the type: the message of an unexpected error may hold personal data.
                    f"internal error ({type(exc).__name__}); run again with --debug and report it"
                ],
                EXIT_INTERNAL,
            )

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ecf")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@click.option(
    "--framework",
    "frameworks",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="A framework file (or folder of them) to add; the last one is used for new stages.",
)
@click.option(
    "--user", help=f"Who is making the change, for the history (default: ${USER_ENV} or login)."
)
@click.pass_context
def main(ctx: click.Context, debug: bool, frameworks: tuple[Path, ...], user: str | None) -> None:
    """Track a social worker's early career: ASYE, ECF years 1-2, expert practitioner.

    Exit codes: 0 success; 2 bad input (nothing is changed); 3 internal error.
    """
    ctx.obj = _State(debug, frameworks, user)


def _edit(file: Path, change: Callable[[Record], Record]) -> RecordFile:
    """Open, change, validate and save a record; nothing is written if any step fails."""
    from ecf.store import open_record, save
    from ecf.validation import ensure_valid

    opened = open_record(file)
    state = _state()
    ensure_valid(opened.record, state.registry, _today(), file=str(file))
    try:
        changed = change(opened.record)
    except Exception as exc:
        from ecf.errors import EcfError

        if isinstance(exc, EcfError):
            raise exc.with_file(file) from exc
        raise
    ensure_valid(changed, state.registry, _today(), file=str(file))
    return save(opened, changed)


@main.command()
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
@handle_errors
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
    from ecf.store import create
    from ecf.validation import ensure_valid

    state = _state()
    if file.exists():
        _fail([f"{file}: already exists; not replaced"])
    try:
        record = new_record(
            id=record_id,
            name=name,
            qualified=qualified,
            service="adults" if service == "adults" else "children",
            stage=stage,
            start=start,
            registry=state.registry,
            entry=state.entry("new", f"started {stage} on {start}"),
            fte=fte,
            council=council,
            swe=swe,
        )
    except EcfError as exc:  # name the file, as every other refusal does
        raise exc.with_file(file) from exc
    ensure_valid(record, state.registry, _today(), file=str(file))
    create(file, record)
    click.echo(f"{record.id}: created {file} in {record.enrolments[0].stage} from {start}")


@main.group()
def add() -> None:
    """Add working hours, an absence, evidence or a review to a record."""


@add.command("hours")
@click.argument("file", type=RECORD)
@click.option("--from", "from_", required=True, type=DATE, help="The first day of the new pattern.")
@click.option("--fte", required=True, type=FTE, help="Full-time equivalent, e.g. 0.6 or 3/5.")
@handle_errors
def add_hours(file: Path, from_: dt.date, fte: Fraction) -> None:
    """Record a working-pattern change from a date on."""
    from ecf.records import PatternChange

    def change(record: Record) -> Record:
        return record.changed(
            _state().entry("add-hours", f"{float(fte):g} FTE from {from_}"),
            hours=tuple(sorted((*record.hours, PatternChange(from_, fte)), key=lambda c: c.from_)),
        )

    saved = _edit(file, change)
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
@handle_errors
def add_absence(file: Path, kind: str, first: dt.date, last: dt.date) -> None:
    """Record an absence; a long one of a pausing kind moves the due dates."""
    from ecf.records import Absence

    absence = Absence(kind, first, last)

    def change(record: Record) -> Record:
        return record.changed(
            _state().entry("add-absence", f"{kind} {first} to {last}"),
            absences=tuple(sorted((*record.absences, absence), key=lambda a: a.first)),
        )

    saved = _edit(file, change)
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
@handle_errors
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
    from ecf.records import Attachment, Evidence

    attachment = None
    if attach is not None:
        ref = os.path.relpath(attach.resolve(), file.resolve().parent)
        attachment = Attachment(Path(ref).as_posix(), _sha256(attach))
    new_id: list[str] = []

    def change(record: Record) -> Record:
        evidence = Evidence(record.next_evidence_id(), kind, when, standards, by, attachment, note)
        new_id.append(evidence.id)
        return record.changed(
            _state().entry("add-evidence", f"{evidence.id} {kind} {when}"),
            evidence=(*record.evidence, evidence),
        )

    _edit(file, change)
    click.echo(new_id[0])


@add.command("review")
@click.argument("file", type=RECORD)
@click.argument("milestone_id")
@click.option("--date", "when", required=True, type=DATE, help="When the review was held.")
@handle_errors
def add_review(file: Path, milestone_id: str, when: dt.date) -> None:
    """Record that a milestone (review point) of the current stage was held."""
    from ecf.records import HeldMilestone

    def change(record: Record) -> Record:
        assert record.current is not None  # noqa: S101 - a valid record has an enrolment
        held = HeldMilestone(record.current.stage, milestone_id, when)
        return record.changed(
            _state().entry("add-review", f"{held.stage} {milestone_id} {when}"),
            milestones=(*record.milestones, held),
        )

    saved = _edit(file, change)
    click.echo(f"{saved.record.id}: {milestone_id} held on {when}")


@main.command()
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
@handle_errors
def decide(
    file: Path, outcome: str, when: dt.date, by: str, panel: str | None, until: dt.date | None
) -> None:
    """Record a decision on the current stage; it is never overwritten."""
    from ecf.progression import decide as decide_
    from ecf.records import Decision

    def change(record: Record) -> Record:
        assert record.current is not None  # noqa: S101 - a valid record has an enrolment
        decision = Decision(record.current.stage, outcome, when, by, panel, until)  # type: ignore[arg-type]
        entry = _state().entry("decide", f"{decision.stage} {outcome} {when}")
        return decide_(record, decision, _state().registry, entry)

    saved = _edit(file, change)
    assert saved.record.current is not None  # noqa: S101
    click.echo(f"{saved.record.id}: {saved.record.current.stage} {outcome} on {when}")


@main.command()
@click.argument("file", type=RECORD)
@click.option("--stage", required=True, help="The next stage, e.g. ecf-2.")
@click.option("--start", required=True, type=DATE, help="Its first day.")
@handle_errors
def advance(file: Path, stage: str, start: dt.date) -> None:
    """Start the next stage after a pass."""
    from ecf.progression import advance as advance_

    def change(record: Record) -> Record:
        entry = _state().entry("advance", f"started {stage} on {start}")
        return advance_(record, stage, start, _state().registry, entry)

    saved = _edit(file, change)
    assert saved.record.current is not None  # noqa: S101
    click.echo(f"{saved.record.id}: started {saved.record.current.stage} on {start}")


@main.command()
@click.argument("file", type=RECORD)
@click.option("--date", "when", required=True, type=DATE, help="The last day of employment.")
@click.option("--reason", required=True, help="Why: resigned, moved council, retired...")
@handle_errors
def leave(file: Path, when: dt.date, reason: str) -> None:
    """Record that the practitioner left employment; the record is closed after."""
    from ecf.progression import leave as leave_

    def change(record: Record) -> Record:
        return leave_(record, when, reason, _state().entry("leave", f"left on {when}"))

    saved = _edit(file, change)
    click.echo(f"{saved.record.id}: left on {when}")


@main.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--pseudonymise", is_flag=True, help="Replace ids with a keyed hash.")
@click.option("--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@handle_errors
def workforce(
    folder: Path,
    council_file: Path | None,
    as_of: dt.date | None,
    agency_rules: str | None,
    fmt: str,
    pseudonymise: bool,
    key_file: Path | None,
) -> None:
    """Workforce figures: agency eligibility, CPD readiness, and leavers by stage.

    Exit 0 when every record was read, 1 when any failed.
    """
    from ecf import cohort as cohort_
    from ecf import export
    from ecf import workforce as wf

    key = export.read_key(key_file) if pseudonymise else None
    council = _council(council_file)
    rules = agency_rules or (council.settings.agency_rules if council else "statutory-2024")
    registry = _state().registry
    when = as_of or _today()
    loaded = cohort_.load_folder(folder, registry, _today())
    for failure in loaded.failures:
        for line in failure.lines():
            click.echo(f"error: {line}", err=True)
    rows: list[dict[str, Any]] = []
    for record in loaded.records:
        agency = wf.agency_eligibility(record, registry, when, rules)  # type: ignore[arg-type]
        cpd = wf.cpd_readiness(record, when)
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
    if fmt == "json":
        click.echo(
            _json(
                {
                    "as_of": when.isoformat(),
                    "agency_rules": rules,
                    "records": rows,
                    "retention": kept.to_json(),
                }
            )
        )
    elif fmt == "csv":
        click.echo(export.csv_text(rows, list(rows[0]) if rows else ["id"]), nl=False)
    else:
        click.echo(f"{len(rows)} records as of {when}; agency rules {rules}")
        for row in rows:
            eligible = {True: "eligible", False: "not yet", None: "n/a"}[row["agency_eligible"]]
            ready = "CPD ready" if row["cpd_ready"] else "CPD not ready"
            click.echo(f"  {row['id']}: agency {eligible} ({row['agency_reason']}); {ready}")
        stages = ", ".join(f"{k} {v}" for k, v in kept.by_stage.items()) or "none"
        click.echo(f"Leavers: {kept.leavers} of {kept.total} (by stage: {stages})")
    if loaded.failures:
        sys.exit(EXIT_SOME_FAILED)


def _load_valid(file: Path) -> Record:
    from ecf.store import read_record
    from ecf.validation import ensure_valid

    return ensure_valid(read_record(file), _state().registry, _today(), file=str(file))


def _fmt(day: dt.date | None) -> str:
    return day.isoformat() if day else "-"


@main.command()
@click.argument("file", type=RECORD)
@click.option("--as-of", type=DATE, help="The date to report as of (default: today).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
@click.option(
    "--council",
    "council_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A council.toml: adds the assessors' recommendation.",
)
@handle_errors
def status(file: Path, as_of: dt.date | None, as_json: bool, council_file: Path | None) -> None:
    """Show the current stage, what is overdue, what is next, and every milestone."""
    from ecf.status import status as status_

    record = _load_valid(file)
    st = status_(record, _state().registry, as_of or _today())
    recommendation = None
    if council_file is not None:
        from ecf.assessors import assess as assess_

        council = _council(council_file)
        recommendation = assess_(
            record, _state().registry, st.as_of, council=council
        ).recommendation
    if as_json:
        data = st.to_json()
        if recommendation is not None:
            data["recommendation"] = recommendation
        click.echo(_json(data, indent=2))
        return
    click.echo(
        f"{st.id}: {st.stage} ({st.stage_title}), started {st.stage_start}, "
        f"framework {st.framework}"
    )
    click.echo(f"State: {st.state}; expected end {st.expected_end} (as of {st.as_of})")
    if recommendation is not None:
        click.echo(f"Recommendation: {recommendation} (see `ecf assess`)")
    for ms in st.overdue:
        click.secho(f"Overdue: {ms.title} ({ms.id}), due {ms.due}", fg="red")
    nxt = st.next
    if nxt is not None:
        click.echo(f"Next: {nxt.title} ({nxt.id}), due {_fmt(nxt.due)}")
    rows = [("milestone", "due", "held", "")]
    for ms in st.milestones:
        flag = "OVERDUE" if ms.overdue else "next" if nxt is not None and ms.id == nxt.id else ""
        flag = flag or ("optional" if ms.optional and ms.held is None else "")
        rows.append((ms.id, _fmt(ms.due), _fmt(ms.held), flag))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    click.echo()
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(w) for cell, w in zip(row, [*widths, 0], strict=True)).rstrip()
        )


@main.command()
@click.argument("file", type=RECORD)
@click.option("--json", "as_json", is_flag=True, help="A JSON list of events, for scripts.")
@handle_errors
def timeline(file: Path, as_json: bool) -> None:
    """Show everything dated in the record, stage by stage, with due dates to come."""
    from ecf.status import events

    record = _load_valid(file)
    items = events(record, _state().registry)
    if as_json:
        click.echo(_json({"id": record.id, "events": [e.to_json() for e in items]}, indent=2))
        return
    click.echo(f"{record.id}: timeline")
    today = _today()
    for event in items:
        stage = f"[{event.stage}] " if event.stage else ""
        late = (
            " OVERDUE"
            if not event.done and event.date < today and "optional" not in event.text
            else ""
        )
        click.echo(f"  {event.date}  {stage}{event.text}{late}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=RECORD)
@handle_errors
def validate(files: tuple[Path, ...]) -> None:
    """Check record files; print every problem, one per line.

    Exit 0 when every file is valid, 2 when any is not.
    """
    from ecf.errors import EcfError

    bad = 0
    for file in files:
        try:
            record = _load_valid(file)
        except EcfError as exc:
            bad += 1
            for line in exc.lines():
                click.echo(f"error: {line}", err=True)
        else:
            click.echo(f"{file}: ok ({record.id})")
    if bad:
        click.echo(f"{bad} of {len(files)} files invalid", err=True)
        sys.exit(EXIT_BAD_INPUT)


@main.command()
@click.option("--version", "version", help="Show the stages of this framework version.")
@handle_errors
def frameworks(version: str | None) -> None:
    """List the framework versions, or the stages and milestones of one."""
    registry = _state().registry
    if version is None:
        for v in registry.versions():
            fw = registry.get(v)
            mark = " (current)" if v == registry.current else ""
            click.echo(f"{v}{mark}: {fw.title}")
        return
    fw = registry.get(version)
    for stage in fw.stages:
        follows = ", ".join(stage.follows)
        click.echo(f"{stage.id}: {stage.title} (follows {follows})")
        for ms in stage.milestones:
            at = f"{ms.months} months" if ms.months else "no due date"
            flags = " optional" if ms.optional else ""
            flags += "" if ms.verified else " (unverified)"
            click.echo(f"  {ms.id}: {ms.title}, {at}{flags}")


def _council(path: Path | None) -> Council | None:
    if path is None:
        return None
    from ecf.council import load_council

    return load_council(path)


COUNCIL = click.Path(exists=True, dir_okay=False, path_type=Path)


@main.command()
@click.argument("file", type=RECORD)
@click.option("--council", "council_file", type=COUNCIL, help="The council's council.toml.")
@click.option("--as-of", type=DATE, help="The date to assess as of (default: today).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
@click.option(
    "--rules",
    "proposed",
    type=COUNCIL,
    help="What if: judge with this rule file instead of the current rule files; writes nothing.",
)
@click.option(
    "--diff", is_flag=True, help="With --rules: show only what differs from the current rules."
)
@handle_errors
def assess(
    file: Path,
    council_file: Path | None,
    as_of: dt.date | None,
    as_json: bool,
    proposed: Path | None,
    diff: bool,
) -> None:
    """Run the assessors on a record and explain the recommendation.

    Exit 0 whatever the recommendation: the library recommends, people decide.
    """
    from ecf.assessors import assess as assess_
    from ecf.assessors import what_if
    from ecf.rules import load_rules

    record = _load_valid(file)
    council = _council(council_file)
    registry = _state().registry
    when = as_of or _today()
    current = assess_(record, registry, when, council=council)
    if proposed is None:
        if diff:
            _fail(["--diff needs --rules NEW.toml"])
        _print_assessment(current, as_json)
        return
    enrolment = current.stage
    fw = registry.get(next(e.framework for e in record.enrolments if e.stage == enrolment))
    rules = load_rules(proposed, fw)
    after = assess_(record, registry, when, council=council, rules=[rules])
    if not diff:
        _print_assessment(after, as_json)
        return
    changes = what_if(current, after)
    if as_json:
        click.echo(
            _json(
                {
                    "id": record.id,
                    "before": current.recommendation,
                    "after": after.recommendation,
                    "changes": [c.to_json() for c in changes],
                }
            )
        )
        return
    click.echo(f"{record.id}: {current.recommendation} -> {after.recommendation} with {proposed}")
    for change in changes:
        before = change.before.status if change.before else "(no rule)"
        now = change.after.status if change.after else "(no rule)"
        text = (
            change.after.message if change.after else change.before.message if change.before else ""
        )
        click.echo(f"  {change.rule}: {before} -> {now}  {text}")


_MARK = {"met": "ok", "pending": "..", "missed": "!!", "not-applicable": "--", "error": "ERR"}


def _print_assessment(result: Assessment, as_json: bool) -> None:
    if as_json:
        click.echo(_json(result.to_json(), indent=2))
        return
    click.echo(
        f"{result.id}: {result.stage} as of {result.as_of}: recommendation {result.recommendation}"
    )
    click.echo("(a recommendation only: the decision is people's, recorded with `ecf decide`)")
    order = {"error": 0, "missed": 1, "pending": 2, "met": 3, "not-applicable": 4}
    for f in sorted(result.findings, key=lambda f: (order[f.status], not f.behind)):
        if f.status == "not-applicable":
            continue
        behind = " (behind pace)" if f.behind else ""
        click.echo(
            f"  {_MARK[f.status]:<3} {f.rule} [{f.assessor} {f.version}]: {f.message}{behind}"
        )
        if f.evidence:
            click.echo(f"      evidence: {', '.join(f.evidence)}")
        if f.standards:
            click.echo(f"      standards: {', '.join(f.standards)}")


@main.command()
@click.option(
    "--council", "council_file", type=COUNCIL, help="Show which plugins this council allows."
)
@click.option("--json", "as_json", is_flag=True, help="A JSON list, for scripts.")
@handle_errors
def plugins(council_file: Path | None, as_json: bool) -> None:
    """List the assessor plugins: installed, allowed, version, origin, and load failures."""
    from ecf.assessors import get_plugins

    council = _council(council_file)
    found = get_plugins()
    allowed = set(found.allowed(council.plugins if council else None))
    rows: list[dict[str, Any]] = []
    for info in sorted(found.infos.values(), key=lambda i: i.name):
        rows.append(
            {
                "name": info.name,
                "version": info.version,
                "origin": info.origin,
                "loaded": info.loaded,
                "allowed": info.name in allowed,
                "hooks": list(info.hooks),
                "error": info.error,
            }
        )
    if as_json:
        click.echo(_json(rows, indent=2))
        return
    for row in rows:
        state = "allowed" if row["allowed"] else "not allowed" if row["loaded"] else "not loaded"
        why = f": {row['error']}" if row["error"] else ""
        hooks = f" [{', '.join(row['hooks'])}]" if row["hooks"] else ""
        click.echo(f"{row['name']} {row['version']} ({row['origin']}): {state}{why}{hooks}")
    if council is None:
        click.echo("(without --council, only 'baseline' is allowed)")


@main.group()
def rules() -> None:
    """Work with rule files in ecf's TOML rule language."""


@rules.command("check")
@click.argument("files", nargs=-1, required=True, type=COUNCIL)
@click.option(
    "--version", "version", help="The framework version to check against (default: current)."
)
@handle_errors
def rules_check(files: tuple[Path, ...], version: str | None) -> None:
    """Check rule files before any record is assessed; exit 2 if any is invalid."""
    from ecf.assessors import get_plugins
    from ecf.errors import EcfError
    from ecf.rules import load_rules

    registry = _state().registry
    found = get_plugins()
    kinds, _ = found.rule_kinds(n for n, i in found.infos.items() if i.loaded)
    bad = 0
    for file in files:
        try:
            data_version = version
            if data_version is None:
                import tomli

                with file.open("rb") as fh:
                    declared = tomli.load(fh).get("framework")
                data_version = (
                    declared
                    if isinstance(declared, str) and declared in registry.versions()
                    else None
                )
            rs = load_rules(file, registry.get(data_version), kinds)
        except EcfError as exc:
            bad += 1
            for line in exc.lines():
                click.echo(f"error: {line}", err=True)
        except Exception as exc:  # noqa: BLE001 - a malformed file is bad input, reported like one
            bad += 1
            click.echo(f"error: {file}: not valid TOML: {exc}", err=True)
        else:
            click.echo(f"{file}: ok ({rs.version}, {len(rs.rules)} rules)")
    if bad:
        sys.exit(EXIT_BAD_INPUT)


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
]


@main.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--council", "council_file", type=COUNCIL, help="A council.toml: adds recommendations."
)
@click.option("--as-of", type=DATE, help="The date to report as of (default: today).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "jsonl"]),
    default="table",
    show_default=True,
)
@click.option("--stage", "stages", multiple=True, help="Only these stages (repeatable).")
@click.option("--state", "states", multiple=True, help="Only these states (repeatable).")
@click.option("--council-code", "councils", multiple=True, help="Only records of these councils.")
@click.option("--team", "teams", multiple=True, help="Only these teams (the records' extra.team).")
@click.option(
    "--recommendation", "recommendations", multiple=True, help="Only these recommendations."
)
@click.option(
    "--due-within",
    type=click.IntRange(min=0),
    help="Only those with a milestone due within N days.",
)
@click.option("--overdue", is_flag=True, help="Only those with an overdue milestone.")
@click.option(
    "--pseudonymise",
    is_flag=True,
    help="Replace ids with a keyed hash (--key-file or $ECF_PSEUDONYM_KEY).",
)
@click.option("--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--workers", type=click.IntRange(min=1), help="Processes to use (default: every core)."
)
@click.option(
    "--no-cache", is_flag=True, help="Parse every file; do not use or fill the record cache."
)
@handle_errors
def cohort(
    folder: Path,
    council_file: Path | None,
    as_of: dt.date | None,
    fmt: str,
    stages: tuple[str, ...],
    states: tuple[str, ...],
    councils: tuple[str, ...],
    teams: tuple[str, ...],
    recommendations: tuple[str, ...],
    due_within: int | None,
    overdue: bool,
    pseudonymise: bool,
    key_file: Path | None,
    workers: int | None,
    no_cache: bool,
) -> None:
    """Report on every record under FOLDER: who is where, what is due, who is at risk.

    Each bad file is reported once on stderr with its path and reason; the rest is processed.
    Parsed records are cached by content (in $ECF_CACHE_DIR or ~/.cache/ecf, owner-only), so
    an unchanged file is not parsed again.  Exit 0 when every record was read, 1 when any
    failed, 2 on bad options.
    """
    from ecf import cohort as cohort_
    from ecf import export
    from ecf.cache import default_cache_dir

    key = export.read_key(key_file) if pseudonymise else None
    _council(council_file)  # checked here, once, before any worker starts
    state = _state()
    state.registry.get()  # the framework files are checked here too
    when = as_of or _today()
    files = cohort_.record_files(folder)
    options = cohort_.ScanOptions(
        as_of=when,
        today=_today(),
        framework_files=tuple(str(f) for f in state.framework_files),
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
            click.echo(f"error: {line}", err=True)
    summary = cohort_.summarise(every, when, failed=len(failures))
    chosen = [
        r
        for r in every
        if cohort_.matches(
            r,
            as_of=when,
            stage=stages,
            state=states,
            council=councils,
            team=teams,
            recommendation=recommendations,
            due_within=due_within,
            overdue=overdue,
        )
    ]
    data = [r.to_json() for r in chosen]
    if key is not None:
        data = [export.pseudonymise(d, key) for d in data]
    if fmt == "json":
        click.echo(
            _json({"as_of": when.isoformat(), "summary": summary.to_json(), "records": data})
        )
    elif fmt == "jsonl":
        for line in export.json_lines(data):
            click.echo(line)
    elif fmt == "csv":
        click.echo(export.csv_text(data, COLUMNS), nl=False)
    else:
        _print_cohort(summary, data, when)
    if failures:
        click.echo(f"{len(failures)} of {len(files)} records could not be read", err=True)
        sys.exit(EXIT_SOME_FAILED)


def _print_cohort(summary: Any, data: list[dict[str, Any]], when: dt.date) -> None:
    stages = ", ".join(f"{k} {v}" for k, v in summary.by_stage.items()) or "none"
    states = ", ".join(f"{k} {v}" for k, v in summary.by_state.items()) or "none"
    click.echo(f"{summary.total} records as of {when}: {stages}")
    click.echo(f"States: {states}")
    click.echo(f"Due in the next 30 days: {summary.due_soon}; overdue: {summary.overdue}")
    if summary.by_recommendation:
        recs = ", ".join(f"{k} {v}" for k, v in sorted(summary.by_recommendation.items()))
        click.echo(f"Recommendations: {recs}")
    click.echo()
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
    if any(d.get("recommendation") for d in data):
        shown += ["recommendation", "reasons"]
    table = [shown] + [[_cell(d.get(c)) for c in shown] for d in data]
    widths = [max(len(row[i]) for row in table) for i in range(len(shown))]
    for row in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value) or "-"
    return str(value)


from ecf._cli_hr import calendar_command, import_command  # noqa: E402 - registered last

main.add_command(calendar_command, "calendar")
main.add_command(import_command, "import")
