"""Import an HR export (CSV) into a folder of record files: plan first, then write.

This module is long because an import is one plan: reading the CSV, matching rows to files,
working out each change and writing it share the row numbers every error names.

Each row of the CSV is one practitioner: ``id, name, qualified, stage, start, service`` are
required columns; ``council, swe, fte, team, prior, registered, left, leaving_reason`` are
optional ones (a missing column or an empty cell leaves that field as it is).  Other columns
are ignored.  A mapping file (:mod:`ecf.hr_mapping`) names the columns and values as an HR
system exports them (``Employee ID``, ``NQSW``).  Values are read as HR writes them: dates
ISO or day first (``02/02/2026``; another layout with ``date_format``), stages by id or alias
in any case (``Asye``, ``ECF-1``), an FTE as ``0.6``, ``3/5``, ``60%`` or ``22.5 of 37
hours``.  A row that repeats an earlier one exactly is counted once (a note says so); rows of
one id that differ are all bad.  A row whose id
has no record file in the folder creates ``FOLDER/<id>.toml`` in its stage; a row whose id has
one (found as ``FOLDER/<id>.toml`` or as any file in the folder holding that id) updates it:

* an existing member of staff starts in any stage, with the stages they passed before the
  record began in ``prior`` (``asye:2024-08-30``, several split by ``;``);
* ``name``, ``swe``, ``registered`` and ``team`` (kept in the record's ``extra`` table) are
  replaced, and ``council`` for a record without employment periods (a move between councils
  is a transfer: ``ecf transfer``);
* a different ``fte`` adds a working-pattern change from the as-of date;
* ``qualified``, ``service``, ``stage``, ``start`` and ``prior`` must match the record: the
  import never rewrites the path of stages, so a difference is an error for that row;
* a ``left`` date closes an open record as ``ecf leave`` does, with ``leaving_reason`` (special
  data: never shown); a new record cannot begin closed.

:func:`plan_import` reads and checks everything and writes nothing; :func:`apply` writes the
plan, each file atomically (``store.create`` / ``store.save``), refusing a file that changed
since the plan read it.  Row numbers are the spreadsheet's: the header is row 1.
:func:`error_rows_csv` gives the bad rows back with an ``error`` column, to fix and import
again; :func:`plan_json` the plan as JSON (``import-plan/1``).

Example::

    import datetime as dt
    from ecf import hr_import
    from ecf.framework import FrameworkRegistry
    from ecf.records import HistoryEntry

    def entry(action: str, detail: str) -> HistoryEntry:
        return HistoryEntry(dt.datetime.now(dt.UTC), "hr-sync", action, detail)

    plan = hr_import.plan_import(
        "hr.csv", "records/", FrameworkRegistry.default(), as_of=dt.date.today(), entry=entry
    )
    for action in plan.actions:
        print(action.describe())
    hr_import.apply(plan, skip_bad=True)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import attrs

from ecf import limits, tombstones
from ecf._convert import fraction_to_toml
from ecf.editor import write_planned
from ecf.errors import EcfError, Problem
from ecf.export import safe_cell
from ecf.fields import shown_in_errors
from ecf.filters import stage_named, stage_names
from ecf.framework import SERVICES, Framework, FrameworkRegistry, Service
from ecf.parsing import SHEET_DATE_FORMAT, ParseError, parse_sheet_date, parse_sheet_fte
from ecf.progression import leave as leave_record
from ecf.progression import new_record
from ecf.records import RECORD_ID, SWE_NUMBER, PatternChange, PriorStage, Record
from ecf.schemas import tag
from ecf.sources import load
from ecf.store import RecordFile, open_record
from ecf.validation import check_record

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable, Iterator

    from ecf.hr_mapping import Mapping
    from ecf.records import HistoryEntry

__all__ = [
    "COLUMNS",
    "REQUIRED",
    "Action",
    "Applied",
    "Change",
    "FailedRow",
    "ImportPlan",
    "Row",
    "apply",
    "error_rows_csv",
    "plan_import",
    "plan_json",
]

#: The columns the import reads, in the order an export usually has them.
COLUMNS = (
    "id",
    "name",
    "qualified",
    "stage",
    "start",
    "service",
    "council",
    "swe",
    "fte",
    "team",
    "prior",
    "registered",
    "left",
    "leaving_reason",
)
#: The columns a file must have.
REQUIRED = ("id", "name", "qualified", "stage", "start", "service")
#: The action written in the history of every record the import creates or changes.
ACTION = "import"
#: The name and version of the plan's JSON (``ecf import --json``).
PLAN_SCHEMA = tag("import-plan")
#: The column the error file adds to the failed rows.
ERROR_COLUMN = "error"
#: Where each import column's value sits in a record, for deciding whether an error may show it.
_RECORD_PATH = {
    "team": "extra.team",
    "start": "enrolments.start",
    "stage": "enrolments.stage",
    "left": "left.date",
    "leaving_reason": "left.reason",
}
#: The reason recorded for a leaving date that comes without one.
LEFT_UNSAID = "left (HR import: no reason given)"

Kind = Literal["create", "update", "unchanged"]


@attrs.frozen
class Row:
    """One well-formed row of the CSV; ``None`` for an optional cell left empty."""

    number: int
    id: str
    name: str
    qualified: dt.date
    stage: str
    start: dt.date
    service: Service
    council: str | None = None
    swe: str | None = None
    fte: Fraction | None = None
    team: str | None = None
    prior: tuple[PriorStage, ...] = ()
    registered: dt.date | None = None
    left: dt.date | None = None
    leaving_reason: str | None = None


@attrs.frozen
class Change:
    """One field an update changes: its old and new value as a person reads them.

    Attributes:
        personal: The values are personal data (a name): shown as ``changed`` only.
    """

    field: str
    old: str
    new: str
    personal: bool = False

    def __str__(self) -> str:
        if self.personal:
            return f"{self.field}: changed (not shown: personal data)"
        return f"{self.field}: {self.old} -> {self.new}"


@attrs.frozen
class Action:
    """What one row does to the folder.

    Attributes:
        row: The row's number in the spreadsheet (the header is row 1).
        id: The record's id.
        kind: ``create``, ``update`` or ``unchanged``.
        path: The record file.
        record: The record as it will be written (as it is, when unchanged).
        changes: For an update, each field changed.
        opened: For an update, the file as read: a save refuses if it changed since.
    """

    row: int
    id: str
    kind: Kind
    path: Path
    record: Record
    changes: tuple[Change, ...] = ()
    opened: RecordFile | None = attrs.field(default=None, eq=False, repr=False)

    def describe(self) -> str:
        """One line for a person: ``row 3: ph-0001: update FILE: team: - -> North``."""
        head = f"row {self.row}: {self.id}: "
        if self.kind == "create":
            first = self.record.enrolments[0]
            return f"{head}create {self.path} ({first.stage} from {first.start})"
        if self.kind == "unchanged":
            return f"{head}unchanged ({self.path})"
        return f"{head}update {self.path}: " + "; ".join(str(c) for c in self.changes)


@attrs.frozen
class FailedRow:
    """A row with a problem, as it was read, for the error file HR fixes and imports again.

    Attributes:
        number: The row's number in the spreadsheet (the header is row 1).
        cells: The row's cells as read.
        problems: What is wrong with it, each naming the column as the file names it.
    """

    number: int
    cells: tuple[str, ...]
    problems: tuple[Problem, ...]


@attrs.frozen
class ImportPlan:
    """Everything an import would do, and every problem found; nothing is written yet.

    Attributes:
        source: The CSV file, as given.
        actions: One per good row, in row order.
        problems: One per problem found, each naming ``SOURCE: row N`` and the column.
        bad_rows: The numbers of the rows with a problem; they have no action.
        ignored_columns: Columns of the file the import does not read.
        warnings: Files in the folder that could not be read, so no row can match them.
        notes: Rows counted once (a row that repeats an earlier one exactly), and optional
            columns the mapping names that the file does not have.
        header: The file's header row as read.
        failed: The bad rows as read, with their problems (for :func:`error_rows_csv`).
        mapping: The mapping file used, or None.
        repeated: The rows counted once: each repeats an earlier row exactly.
    """

    source: str
    actions: tuple[Action, ...]
    problems: tuple[Problem, ...] = ()
    bad_rows: tuple[int, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    warnings: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    failed: tuple[FailedRow, ...] = ()
    mapping: str | None = None
    repeated: tuple[int, ...] = ()

    def count(self, kind: Kind) -> int:
        """How many rows do this."""
        return sum(1 for a in self.actions if a.kind == kind)


@attrs.frozen
class Applied:
    """What :func:`apply` wrote, and the writes that were refused."""

    written: tuple[Action, ...]
    failures: tuple[Problem, ...] = ()


# --- reading the CSV ---------------------------------------------------------------------------


def _read_csv(path: Path, source: str) -> Iterator[tuple[int, list[str]]]:
    """Each line of the CSV with its spreadsheet row number (1 for the header)."""
    try:
        with limits.open_text(  # a regular file, never a pipe; measured before it is read
            path, EcfError, limit=limits.MAX_TABLE_BYTES, encoding="utf-8-sig"
        ) as fh:
            if fh.read(4) == "PK\x03\x04":  # a zip file: an .xlsx workbook
                raise EcfError(
                    [
                        Problem(
                            "a spreadsheet workbook, not CSV: save it as 'CSV UTF-8'", file=source
                        )
                    ]
                )
            fh.seek(0)  # a regular file (checked on opening); the byte order mark is read again
            reader = csv.reader(fh, strict=True)
            try:
                yield from enumerate(reader, start=1)
            except csv.Error as exc:
                raise EcfError(
                    [Problem(f"not valid CSV (line {reader.line_num}): {exc}", file=source)]
                ) from None
    except UnicodeDecodeError as exc:
        raise EcfError([Problem(f"not UTF-8 text (byte {exc.start})", file=source)]) from None
    except OSError as exc:
        raise EcfError([Problem(f"cannot read: {exc.strerror}", file=source)]) from exc


def _fields_of_header(cells: list[str], mapping: Mapping | None) -> list[str | None]:
    """The import column each header cell fills: by the mapping, else by its own name."""
    mapped = {mapping.field_of(c) for c in cells} if mapping is not None else set()
    fields: list[str | None] = []
    for cell in cells:
        field = mapping.field_of(cell) if mapping is not None else None
        if field is None:
            name = cell.strip().lower()
            # A column named as ecf names it is read too, unless the mapping fills that field.
            field = name if name in COLUMNS and name not in mapped else None
        fields.append(field)
    return fields


def _header(
    cells: list[str], source: str, mapping: Mapping | None = None
) -> tuple[dict[str, int], tuple[str, ...]]:
    """The index of each known column, and the columns ignored; missing ones are an error."""
    fields = _fields_of_header(cells, mapping)
    problems: list[Problem] = []
    for field in sorted({f for f in fields if f is not None and fields.count(f) > 1}):
        written = [cells[i].strip() for i, f in enumerate(fields) if f == field]
        where = f"columns {', '.join(repr(w) for w in written)} all fill" if mapping else "column"
        problems.append(Problem(f"{where} '{field}': it appears more than once", file=source))
    missing = [c for c in REQUIRED if c not in fields]
    if missing and mapping is not None:
        for field in missing:
            column = mapping.column_for(field)
            why = (
                f"missing column '{column}' (mapped to {field} in {mapping.source})"
                if column is not None
                else f"no column for {field}: {mapping.source} maps none, and there is no "
                f"column named {field}"
            )
            problems.append(Problem(why, file=source))
    elif missing:
        problems.append(
            Problem(
                f"missing columns: {', '.join(missing)} (the columns are {', '.join(COLUMNS)})",
                file=source,
            )
        )
    if problems:
        raise EcfError(problems)
    ignored = tuple(
        c.strip() or f"(column {i + 1} has no name)"
        for i, (c, f) in enumerate(zip(cells, fields, strict=True))
        if f is None
    )
    return {f: i for i, f in enumerate(fields) if f is not None}, ignored


def _date(
    value: str, column: str, out: list[Problem], date_format: str | None = None
) -> dt.date | None:
    if not value:
        out.append(Problem(f"must not be empty ({SHEET_DATE_FORMAT})", column, value))
        return None
    try:
        return parse_sheet_date(value, date_format)
    except ParseError as exc:
        out.append(Problem(exc.message, column, exc.value))
        return None


def _fte(value: str, out: list[Problem]) -> Fraction | None:
    try:
        return parse_sheet_fte(value)
    except ParseError as exc:  # "1e999999999" too: refused at once, never made exact
        out.append(Problem(exc.message, "fte", exc.value))
        return None


def _parse_row(
    number: int,
    cells: list[str],
    columns: dict[str, int],
    registry: FrameworkRegistry,
    mapping: Mapping | None = None,
    date_format: str | None = None,
) -> tuple[Row | None, list[Problem]]:
    """A row's values, checked one by one; every problem in the row is reported."""
    out: list[Problem] = []
    value = {c: (cells[i].strip() if i < len(cells) else "") for c, i in columns.items()}
    if mapping is not None:
        for field in ("stage", "service", "council"):
            if value.get(field):
                value[field] = mapping.value(field, value[field])
    record_id = value["id"]
    if not RECORD_ID.fullmatch(record_id):
        out.append(
            Problem(
                "an id is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
                "id",
                record_id,
            )
        )
    if not value["name"]:
        out.append(Problem("must not be empty", "name", value["name"]))
    qualified = _date(value["qualified"], "qualified", out, date_format)
    start = _date(value["start"], "start", out, date_format)
    fw = registry.get()
    stage_def = stage_named(fw, value["stage"])
    if stage_def is None:
        out.append(Problem(f"unknown stage (known: {stage_names(fw)})", "stage", value["stage"]))
    service = value["service"].strip().lower()
    if service not in SERVICES:
        out.append(
            Problem(f"unknown service (known: {', '.join(SERVICES)})", "service", value["service"])
        )
    swe = value.get("swe") or None
    if swe is not None and not SWE_NUMBER.fullmatch(swe):
        out.append(Problem("a Social Work England number is 'SW' followed by digits", "swe", swe))
    fte = _fte(value["fte"], out) if value.get("fte") else None
    prior = _prior(value.get("prior", ""), fw, out, mapping, date_format)
    registered = (
        _date(value["registered"], "registered", out, date_format)
        if value.get("registered")
        else None
    )
    left = _date(value["left"], "left", out, date_format) if value.get("left") else None
    reason = value.get("leaving_reason") or None
    if reason is not None:
        reason = mapping.value("leaving_reason", reason) if mapping is not None else reason
        if left is None and not value.get("left"):
            out.append(Problem("a leaving reason needs the leaving date (left)", "leaving_reason"))
    out = [_cell_problem(p) for p in out]
    if out or qualified is None or start is None or stage_def is None:
        return None, out
    return (
        Row(
            number=number,
            id=record_id,
            name=value["name"],
            qualified=qualified,
            stage=stage_def.id,
            start=start,
            service="adults" if service == "adults" else "children",
            council=value.get("council") or None,
            swe=swe,
            fte=fte,
            team=value.get("team") or None,
            prior=prior,
            registered=registered,
            left=left,
            leaving_reason=reason,
        ),
        out,
    )


#: A cell an error may show: short, without capitals or spaces, as a date, an FTE, a stage or
#: a service is.  A cell that holds a name (a column shifted by a missing comma puts one in
#: ``qualified``) is described, never shown.
_SHOWN_CELL = re.compile(r"[0-9a-z./:_;+-]{0,30}")


def _cell_problem(problem: Problem) -> Problem:
    """The problem with its cell's value shown only when it cannot be a name or a note."""
    value = problem.value
    if not isinstance(value, str) or _SHOWN_CELL.fullmatch(value):
        return problem
    if not shown_in_errors(_RECORD_PATH.get(problem.path, problem.path), value):
        return problem  # a personal field's value: hidden, and said so, by _at_column
    return attrs.evolve(
        problem,
        message=f"{problem.message} (got a text of {len(value)} characters, not shown: a cell "
        "may hold personal data)",
        value=None,
    )


def _prior(
    cell: str,
    fw: Framework,
    out: list[Problem],
    mapping: Mapping | None = None,
    date_format: str | None = None,
) -> tuple[PriorStage, ...]:
    """Stages passed before the record began: ``asye:2024-08-30``, several split by ``;``."""
    found: list[PriorStage] = []
    for part in (p.strip() for p in cell.split(";")):
        if not part:
            continue
        name, _, day = part.partition(":")
        if mapping is not None:
            name = mapping.value("stage", name)
        stage = stage_named(fw, name)
        if stage is None:
            known = stage_names(fw)
            out.append(
                Problem(f"unknown stage (known: {known}), as in asye:2024-08-30", "prior", part)
            )
            continue
        passed = _date(day.strip(), "prior", out, date_format)
        if passed is not None:
            found.append(PriorStage(stage.id, passed))
    return tuple(found)


# --- matching rows to record files -------------------------------------------------------------


@attrs.frozen
class _Folder:
    """The record files of the import folder, by the id they hold."""

    root: Path
    by_id: dict[str, list[Path]]
    unreadable: dict[Path, tuple[Problem, ...]]

    @classmethod
    def scan(cls, root: Path, registry: FrameworkRegistry) -> _Folder:
        # Read only: a row reports the problems of the record it updates, in its own words.
        loaded = load([root], registry, check=False)
        by_id: dict[str, list[Path]] = {}
        for record, source in zip(loaded.records, loaded.sources, strict=True):
            by_id[record.id] = [Path(source)]
        for duplicate in loaded.duplicates:
            by_id[duplicate.id] = [Path(s) for s in duplicate.sources]
        reported = {d.sources[0] for d in loaded.duplicates}
        unreadable = {
            Path(f.source): f.problems for f in loaded.failures if f.source not in reported
        }
        return cls(root, by_id, unreadable)

    def locate(self, record_id: str) -> tuple[Path, bool, str | None]:
        """The file for an id, whether it exists, and why it cannot be used (or None)."""
        found = self.by_id.get(record_id, [])
        if len(found) > 1:
            where = ", ".join(str(p) for p in found)
            return found[0], True, f"several record files hold this id: {where}"
        if found:
            return found[0], True, None
        target = self.root / f"{record_id}.toml"
        if target in self.unreadable:
            first = self.unreadable[target][0]
            return target, True, f"{target} cannot be read: {first.message}"
        if target.exists():
            held = next((i for i, paths in self.by_id.items() if target in paths), "?")
            return target, True, f"{target} holds record '{held}'; not replaced"
        return target, False, None


# --- the plan ----------------------------------------------------------------------------------

_COLUMN_OF_PATH = re.compile(r"enrolments\[\d+\]\.(stage|start)|hours\[\d+\]\.(fte)|extra\.(team)")


def _column(path: str) -> str:
    """The CSV column a record field path comes from, or the path itself when none does."""
    if path in COLUMNS:
        return path
    match = _COLUMN_OF_PATH.fullmatch(path)
    if match:
        return next(g for g in match.groups() if g)
    return path


def _shown(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, Fraction):
        return str(fraction_to_toml(value))
    return str(value)


class _RowFailed(Exception):  # noqa: N818 - a control-flow signal inside this module, not an error
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__()
        self.problems = problems


def _refuse(message: str, column: str = "", value: object = None) -> _RowFailed:
    return _RowFailed([Problem(message, column, value)])


def _checked(record: Record, registry: FrameworkRegistry, today: dt.date) -> Record:
    problems = check_record(record, registry, today)
    if problems:
        raise _RowFailed([attrs.evolve(p, path=_column(p.path)) for p in problems])
    return record


def _create(
    row: Row,
    path: Path,
    registry: FrameworkRegistry,
    today: dt.date,
    entry: Callable[[str, str], HistoryEntry],
    source_name: str,
) -> Action:
    if row.left is not None:
        raise _refuse(
            "no record holds this id, and a new record cannot begin closed: import the row "
            "without the leaving date first, or leave this practitioner out",
            "left",
            row.left,
        )
    try:
        record = new_record(
            id=row.id,
            name=row.name,
            qualified=row.qualified,
            service=row.service,
            stage=row.stage,
            start=row.start,
            registry=registry,
            entry=entry(
                ACTION, f"{source_name} row {row.number}: started {row.stage} on {row.start}"
            ),
            fte=row.fte,
            council=row.council,
            swe=row.swe,
            registered=row.registered,
            prior=row.prior,
        )
    except EcfError as exc:
        raise _RowFailed(list(exc.problems)) from exc
    if row.team is not None:
        record = attrs.evolve(record, extra={"team": row.team})
    return Action(row.number, row.id, "create", path, _checked(record, registry, today))


def _prior_text(prior: tuple[PriorStage, ...]) -> str:
    return "; ".join(f"{p.stage}:{p.passed}" for p in prior)


def _changes(old: Record, row: Row, as_of: dt.date) -> tuple[list[Change], dict[str, object]]:
    changes: list[Change] = []
    fields: dict[str, object] = {}
    if row.name != old.name:
        changes.append(Change("name", old.name, row.name, personal=True))
        fields["name"] = row.name
    if row.registered is not None and row.registered != old.registered:
        changes.append(Change("registered", _shown(old.registered), _shown(row.registered)))
        fields["registered"] = row.registered
    for field, new in (("swe", row.swe), ("council", row.council)):
        before = getattr(old, field)
        if new is not None and new != before:
            changes.append(Change(field, _shown(before), new))
            fields[field] = new
    team = old.extra.get("team")
    if row.team is not None and row.team != team:
        changes.append(Change("team", _shown(team), row.team))
        fields["extra"] = {**old.extra, "team": row.team}
    if row.fte is not None and row.fte != old.fte_on(as_of):
        changes.append(Change("fte", _shown(old.fte_on(as_of)), f"{_shown(row.fte)} from {as_of}"))
        change = PatternChange(as_of, row.fte)
        fields["hours"] = tuple(sorted((*old.hours, change), key=lambda c: c.from_))
    return changes, fields


def _update(
    row: Row,
    path: Path,
    registry: FrameworkRegistry,
    as_of: dt.date,
    today: dt.date,
    entry: Callable[[str, str], HistoryEntry],
    source_name: str,
) -> Action:
    try:
        opened = open_record(path)
    except EcfError as exc:
        raise _RowFailed([p.with_file(path) for p in exc.problems]) from exc
    old = opened.record
    problems = check_record(old, registry, today)
    if problems:
        raise _RowFailed([p.with_file(path) for p in problems])
    current = old.current
    assert current is not None  # noqa: S101 - a valid record has an enrolment
    mismatches: list[Problem] = []
    for column, ours, theirs in (
        ("qualified", row.qualified, old.qualified),
        ("service", row.service, old.service),
        ("stage", row.stage, current.stage),
        ("start", row.start, current.start),
        ("prior", _prior_text(row.prior) or None, _prior_text(old.prior) or None),
    ):
        if column == "prior" and ours is None:
            continue  # an empty cell changes nothing
        if ours != theirs:
            what = "current stage" if column in ("stage", "start") else "record"
            mismatches.append(
                Problem(
                    f"differs from the {what} in {path} ({_shown(theirs)}); the import never "
                    "changes it: record the change with ecf (advance, decide) or fix the row",
                    column,
                    _shown(ours),
                )
            )
    if row.council is not None and old.employment and row.council != old.council:
        mismatches.append(
            Problem(
                f"differs from the current employer in {path} ({_shown(old.council)}); the "
                "import never moves a practitioner between councils: record it with ecf "
                "transfer, or fix the row",
                "council",
                row.council,
            )
        )
    if mismatches:
        raise _RowFailed(mismatches)
    if row.left is not None and old.left is not None and row.left != old.left.date:
        raise _refuse(
            f"differs from the leaving date in {path} ({old.left.date}); the import never "
            "changes it: fix the row (or ecf rejoin, then import)",
            "left",
            row.left,
        )
    changes, fields = _changes(old, row, as_of)
    leaving = row.left is not None and old.left is None
    if not changes and not leaving:
        return Action(row.number, row.id, "unchanged", path, old, opened=opened)
    if old.left is not None:
        raise _refuse(
            f"the practitioner left on {old.left.date}; {path} is closed to changes "
            f"(would change: {', '.join(c.field for c in changes)})"
        )
    changed = old
    if changes:
        detail = f"{source_name} row {row.number}: " + ", ".join(
            f"fte {_shown(row.fte)} from {as_of}" if c.field == "fte" else c.field for c in changes
        )
        changed = old.changed(entry(ACTION, detail), **fields)
    if row.left is not None and leaving:
        changed = _leave(changed, row, source_name, entry)
        changes.append(Change("left", "-", f"{row.left} (reason not shown: special data)"))
    return Action(
        row.number,
        row.id,
        "update",
        path,
        _checked(changed, registry, today),
        tuple(changes),
        opened,
    )


def _leave(
    record: Record, row: Row, source_name: str, entry: Callable[[str, str], HistoryEntry]
) -> Record:
    """The record closed on the row's leaving date, as ``ecf leave`` closes it."""
    assert row.left is not None  # noqa: S101 - called only for a row with a leaving date
    try:
        return leave_record(
            record,
            row.left,
            row.leaving_reason or LEFT_UNSAID,
            entry("leave", f"{source_name} row {row.number}: left on {row.left}"),
        )
    except EcfError as exc:
        raise _RowFailed(
            [attrs.evolve(p, path="left") if p.path == "date" else p for p in exc.problems]
        ) from exc


def plan_import(
    rows_file: str | os.PathLike[str],
    into: str | os.PathLike[str],
    registry: FrameworkRegistry,
    *,
    as_of: dt.date,
    entry: Callable[[str, str], HistoryEntry],
    today: dt.date | None = None,
    mapping: Mapping | None = None,
    date_format: str | None = None,
    include_anonymised: bool = False,
) -> ImportPlan:
    """Read an HR export and work out what it would change in a folder; writes nothing.

    Args:
        rows_file: The CSV file (UTF-8, with a header row; a byte order mark is read too).
        into: The folder of record files; new records are created in it as ``<id>.toml``.
        registry: The frameworks; new records start under its current version.
        as_of: The first day of a working-pattern change that a different ``fte`` adds.
        entry: Makes the history entry of a change from an action and a detail.
        today: Dates after this are in the future (default: today).
        mapping: The export's column names and values (:func:`ecf.hr_mapping.load_mapping`).
        date_format: A strptime layout for dates other than ISO and ``dd/mm/yyyy`` (default:
            the mapping's, if any).
        include_anonymised: Create a record for a row whose id (or registration number) the
            folder's tombstone holds (:mod:`ecf.tombstones`): a person anonymised there.  By
            default such a row is skipped, with a warning naming its row only.

    Returns:
        The plan: one action per good row, one problem per thing wrong in a bad row (naming
        the column as the file names it), and a note for each row that repeats an earlier
        one exactly (counted once).

    Raises:
        EcfError: when the file cannot be read, is not CSV, or lacks a required column, or
            ``into`` is not a folder.
    """
    path = Path(rows_file)
    source = str(rows_file)
    root = Path(into)
    if not root.is_dir():
        raise EcfError([Problem("not a folder", file=str(root))])
    today = today or dt.date.today()  # noqa: DTZ011 - the local date
    date_format = date_format or (mapping.date_format if mapping is not None else None)
    lines = _read_csv(path, source)
    first = next(lines, None)
    if first is None:
        raise EcfError([Problem("empty file: expected a header row", file=source)])
    header = first[1]
    columns, ignored = _header(header, source, mapping)
    parsed, problems, cells_of, rows_of = _read_rows(lines, columns, registry, mapping, date_format)
    repeats, repeated = _duplicates(rows_of, cells_of, columns, header, problems)
    notes = [*_absent(mapping, columns), *repeated]
    folder = _Folder.scan(root, registry)
    actions: list[Action] = []
    skipped: list[Problem] = []
    for row in parsed:
        if row.number in problems or row.number in repeats:
            continue
        target, exists, refusal = folder.locate(row.id)
        if not exists and not include_anonymised and tombstones.anonymised(root, row.id, row.swe):
            skipped.append(
                Problem(
                    f"row {row.number}: a person anonymised in this folder: not created again "
                    "(--include-anonymised to create it)",
                    file=source,
                )
            )
            continue
        try:
            if refusal is not None:
                raise _refuse(refusal, "id", row.id)
            if exists:
                action = _update(row, target, registry, as_of, today, entry, path.name)
            else:
                action = _create(row, target, registry, today, entry, path.name)
        except _RowFailed as failed:
            problems[row.number] = failed.problems
        else:
            actions.append(action)
    named = {f: header[i].strip() or f for f, i in columns.items()}
    bad = tuple(
        FailedRow(n, tuple(cells_of[n]), tuple(_at_column(p, named) for p in problems[n]))
        for n in sorted(problems)
    )
    return ImportPlan(
        source=source,
        actions=tuple(actions),
        problems=tuple(
            attrs.evolve(p, file=": ".join(w for w in (f"{source}: row {f.number}", p.file) if w))
            for f in bad
            for p in f.problems
        ),
        bad_rows=tuple(f.number for f in bad),
        ignored_columns=ignored,
        warnings=tuple(  # an unreadable FOLDER/<id>.toml of a row is that row's problem
            Problem(f"cannot be read, so no row can match it: {probs[0].message}", file=str(p))
            for p, probs in folder.unreadable.items()
            if p not in {root / f"{r.id}.toml" for r in parsed}
        )
        + tuple(skipped),
        notes=tuple(notes),
        header=tuple(header),
        failed=bad,
        mapping=mapping.source if mapping is not None else None,
        repeated=tuple(sorted(repeats)),
    )


def _read_rows(
    lines: Iterable[tuple[int, list[str]]],
    columns: dict[str, int],
    registry: FrameworkRegistry,
    mapping: Mapping | None,
    date_format: str | None,
) -> tuple[list[Row], dict[int, list[Problem]], dict[int, list[str]], dict[str, list[int]]]:
    """Every non-blank row parsed: the rows, each bad row's problems, the cells, rows by id."""
    parsed: list[Row] = []
    problems: dict[int, list[Problem]] = {}
    cells_of: dict[int, list[str]] = {}
    rows_of: dict[str, list[int]] = {}
    for number, cells in lines:
        if not any(c.strip() for c in cells):
            continue  # a blank line, or an empty spreadsheet row
        cells_of[number] = cells
        if columns["id"] < len(cells) and cells[columns["id"]].strip():
            rows_of.setdefault(cells[columns["id"]].strip(), []).append(number)
        row, found = _parse_row(number, cells, columns, registry, mapping, date_format)
        if found:
            problems[number] = found
        if row is not None:
            parsed.append(row)
    return parsed, problems, cells_of, rows_of


def _absent(mapping: Mapping | None, columns: dict[str, int]) -> list[str]:
    """A note naming the optional columns the mapping names that the file does not have."""
    absent = [c for c, f in (mapping.columns.items() if mapping else ()) if f not in columns]
    if mapping is None or not absent:
        return []
    return [f"columns in {mapping.source} not in the file: {', '.join(absent)}"]


def _at_column(problem: Problem, named: dict[str, str]) -> Problem:
    """A row's problem under the column's name in the file, its value hidden if personal.

    Whether a value may be shown is decided by the record field it fills (``name`` is
    personal), before the path becomes the file's own column name (``Full Name``), which the
    classification of fields does not know.
    """
    if problem.path not in named:
        return problem
    value = problem.value
    message = problem.message
    record_path = _RECORD_PATH.get(problem.path, problem.path)
    if value is not None and not shown_in_errors(record_path, value):
        value = None
        message += " (not shown: personal data)"
    return attrs.evolve(problem, path=named[problem.path], message=message, value=value)


def _duplicates(
    rows_of: dict[str, list[int]],
    cells_of: dict[int, list[str]],
    columns: dict[str, int],
    header: list[str],
    problems: dict[int, list[Problem]],
) -> tuple[set[int], list[str]]:
    """Rows sharing an id: exact repeats are counted once, with a note; others are all bad.

    Two rows repeat each other when every column the import reads holds the same text (outer
    spaces aside); then the first stands for both.  Rows of one id that differ are each a
    problem naming the other rows and the columns that differ (never their values): which
    one is right is unknown.

    Returns:
        The numbers of the repeats (left out of the plan), and one note per repeat.
    """
    repeats: set[int] = set()
    notes: list[str] = []

    def values(number: int) -> dict[str, str]:
        cells = cells_of[number]
        return {f: (cells[i].strip() if i < len(cells) else "") for f, i in columns.items()}

    for numbers in rows_of.values():
        if len(numbers) < 2:  # noqa: PLR2004 - a duplicate is two or more
            continue
        first = values(numbers[0])
        differ = [f for f in columns if any(values(n)[f] != first[f] for n in numbers[1:])]
        if not differ:
            for number in numbers[1:]:
                repeats.add(number)
                problems.pop(number, None)  # the first row's problems stand for both
                notes.append(f"row {number} repeats row {numbers[0]} exactly: counted once")
            continue
        shown = ", ".join(header[columns[f]].strip() or f for f in differ)
        for number in numbers:
            others = ", ".join(str(n) for n in numbers if n != number)
            problems.setdefault(number, []).append(
                Problem(
                    f"duplicate id: also in row {others}, with other values in: {shown}",
                    "id",
                    values(number)["id"],
                )
            )
    return repeats, notes


def error_rows_csv(plan: ImportPlan) -> str:
    """The bad rows as CSV, as they were read, with an ``error`` column saying what is wrong.

    HR fixes the rows in a spreadsheet and imports this file again (with the same mapping): the
    ``error`` column is not read by the import, and an ``error`` column already there (a file
    imported before) is replaced, not repeated.  The error text names columns, never a
    personal value.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    keep = [i for i, c in enumerate(plan.header) if c.strip().lower() != ERROR_COLUMN]
    writer.writerow([plan.header[i] for i in keep] + [ERROR_COLUMN])
    for row in plan.failed:
        cells = [row.cells[i] if i < len(row.cells) else "" for i in keep]
        writer.writerow([*cells, safe_cell("; ".join(str(p) for p in row.problems))])
    return out.getvalue()


def plan_json(plan: ImportPlan) -> dict[str, object]:
    """The plan as JSON-ready data (``ecf import --json``): no personal value in it.

    The top-level ``schema`` key names the shape (``import-plan/1``).  Each action gives its
    row, id, kind, file and changes (a personal one as ``changed`` only); each problem its row,
    column, message and the value when it may be shown.
    """
    return {
        "schema": PLAN_SCHEMA,
        "source": plan.source,
        "mapping": plan.mapping,
        "counts": {
            "create": plan.count("create"),
            "update": plan.count("update"),
            "unchanged": plan.count("unchanged"),
            "bad_rows": len(plan.bad_rows),
            "repeated_rows": len(plan.repeated),
        },
        "actions": [
            {
                "row": a.row,
                "id": a.id,
                "kind": a.kind,
                "path": str(a.path),
                "changes": [
                    {"field": c.field, "old": None, "new": None, "personal": True}
                    if c.personal
                    else {"field": c.field, "old": c.old, "new": c.new, "personal": False}
                    for c in a.changes
                ],
            }
            for a in plan.actions
        ],
        "problems": [
            {
                "row": row.number,
                "column": p.path or None,
                "message": p.message,
                "value": None
                if p.value is None or not shown_in_errors(p.path, p.value)
                else _text(p.value),
                "text": str(p),
            }
            for row in plan.failed
            for p in row.problems
        ],
        "notes": list(plan.notes),
        "ignored_columns": list(plan.ignored_columns),
        "warnings": [str(w) for w in plan.warnings],
    }


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def apply(plan: ImportPlan, *, skip_bad: bool = False) -> Applied:
    """Write a plan: create and update each record file atomically.

    Args:
        plan: The plan from :func:`plan_import`.
        skip_bad: Write the good rows even when some rows have problems.

    Returns:
        The actions written, and a problem for each file that could not be written (changed
        on disk since the plan read it, created meanwhile, or a failed write).

    Raises:
        EcfError: the plan has problems and ``skip_bad`` is false; nothing is written.
    """
    if plan.problems and not skip_bad:
        raise EcfError(plan.problems)
    written: list[Action] = []
    failures: list[Problem] = []
    for action in plan.actions:
        if action.kind not in ("create", "update"):
            continue
        try:  # through the editor, like every writer: under the lock, refusing a changed file
            write_planned(
                action.path,
                action.record,
                opened=action.opened if action.kind == "update" else None,
            )
        except EcfError as exc:
            failures.extend(
                attrs.evolve(p, file=f"{plan.source}: row {action.row}: {p.file or action.path}")
                for p in exc.problems
            )
        else:
            written.append(action)
    return Applied(tuple(written), tuple(failures))
