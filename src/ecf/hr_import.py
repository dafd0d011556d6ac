"""Import an HR export (CSV) into a folder of record files: plan first, then write.

This module is long because an import is one plan: reading the CSV, matching rows to files,
working out each change and writing it share the row numbers every error names.

Each row of the CSV is one practitioner: ``id, name, qualified, stage, start, service`` are
required columns; ``council, swe, fte, team, prior, registered`` are optional ones (a missing
column or an empty cell leaves that field as it is).  Other columns are ignored.  A row whose id
has no record file in the folder creates ``FOLDER/<id>.toml`` in its stage; a row whose id has
one (found as ``FOLDER/<id>.toml`` or as any file in the folder holding that id) updates it:

* an existing member of staff starts in any stage, with the stages they passed before the
  record began in ``prior`` (``asye:2024-08-30``, several split by ``;``);
* ``name``, ``swe``, ``registered`` and ``team`` (kept in the record's ``extra`` table) are
  replaced, and ``council`` for a record without employment periods (a move between councils
  is a transfer: ``ecf transfer``);
* a different ``fte`` adds a working-pattern change from the as-of date;
* ``qualified``, ``service``, ``stage``, ``start`` and ``prior`` must match the record: the
  import never rewrites the path of stages, so a difference is an error for that row.

:func:`plan_import` reads and checks everything and writes nothing; :func:`apply` writes the
plan, each file atomically (``store.create`` / ``store.save``), refusing a file that changed
since the plan read it.  Row numbers are the spreadsheet's: the header is row 1.

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
import re
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import attrs

from ecf import limits
from ecf._convert import fraction_to_toml
from ecf.editor import write_planned
from ecf.errors import EcfError, Problem
from ecf.framework import SERVICES, Framework, FrameworkRegistry, Service
from ecf.parsing import DATE_FORMAT, ParseError, parse_date, parse_fte
from ecf.progression import new_record
from ecf.records import RECORD_ID, SWE_NUMBER, PatternChange, PriorStage, Record
from ecf.sources import load
from ecf.store import RecordFile, open_record
from ecf.validation import check_record

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterator

    from ecf.records import HistoryEntry

__all__ = [
    "COLUMNS",
    "REQUIRED",
    "Action",
    "Applied",
    "Change",
    "ImportPlan",
    "Row",
    "apply",
    "plan_import",
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
)
#: The columns a file must have.
REQUIRED = ("id", "name", "qualified", "stage", "start", "service")
#: The action written in the history of every record the import creates or changes.
ACTION = "import"

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
class ImportPlan:
    """Everything an import would do, and every problem found; nothing is written yet.

    Attributes:
        source: The CSV file, as given.
        actions: One per good row, in row order.
        problems: One per problem found, each naming ``SOURCE: row N`` and the column.
        bad_rows: The numbers of the rows with a problem; they have no action.
        ignored_columns: Columns of the file the import does not read.
        warnings: Files in the folder that could not be read, so no row can match them.
    """

    source: str
    actions: tuple[Action, ...]
    problems: tuple[Problem, ...] = ()
    bad_rows: tuple[int, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    warnings: tuple[Problem, ...] = ()

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


def _header(cells: list[str], source: str) -> tuple[dict[str, int], tuple[str, ...]]:
    """The index of each known column, and the columns ignored; missing ones are an error."""
    names = [c.strip().lower() for c in cells]
    problems: list[Problem] = []
    for name in sorted({n for n in names if n in COLUMNS and names.count(n) > 1}):
        problems.append(Problem(f"column '{name}' appears more than once", file=source))
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        problems.append(
            Problem(
                f"missing columns: {', '.join(missing)} (the columns are {', '.join(COLUMNS)})",
                file=source,
            )
        )
    if problems:
        raise EcfError(problems)
    ignored = tuple(
        n or f"(column {i + 1} has no name)" for i, n in enumerate(names) if n not in COLUMNS
    )
    return {n: i for i, n in enumerate(names) if n in COLUMNS}, ignored


def _date(value: str, column: str, out: list[Problem]) -> dt.date | None:
    if not value:
        out.append(Problem(f"must not be empty ({DATE_FORMAT})", column, value))
        return None
    try:
        return parse_date(value)
    except ParseError as exc:
        out.append(Problem(exc.message, column, exc.value))
        return None


def _fte(value: str, out: list[Problem]) -> Fraction | None:
    try:
        return parse_fte(value, in_range=True)
    except ParseError as exc:  # "1e999999999" too: refused at once, never made exact
        out.append(Problem(exc.message, "fte", exc.value))
        return None


def _parse_row(
    number: int, cells: list[str], columns: dict[str, int], registry: FrameworkRegistry
) -> tuple[Row | None, list[Problem]]:
    """A row's values, checked one by one; every problem in the row is reported."""
    out: list[Problem] = []
    value = {c: (cells[i].strip() if i < len(cells) else "") for c, i in columns.items()}
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
    qualified = _date(value["qualified"], "qualified", out)
    start = _date(value["start"], "start", out)
    fw = registry.get()
    stage_def = fw.stage(value["stage"])
    if stage_def is None:
        out.append(
            Problem(f"unknown stage (known: {', '.join(fw.stage_ids())})", "stage", value["stage"])
        )
    service = value["service"].lower()
    if service not in SERVICES:
        out.append(
            Problem(f"unknown service (known: {', '.join(SERVICES)})", "service", value["service"])
        )
    swe = value.get("swe") or None
    if swe is not None and not SWE_NUMBER.fullmatch(swe):
        out.append(Problem("a Social Work England number is 'SW' followed by digits", "swe", swe))
    fte = _fte(value["fte"], out) if value.get("fte") else None
    prior = _prior(value.get("prior", ""), fw, out)
    registered = _date(value["registered"], "registered", out) if value.get("registered") else None
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
    return attrs.evolve(
        problem,
        message=f"{problem.message} (got a text of {len(value)} characters, not shown: a cell "
        "may hold personal data)",
        value=None,
    )


def _prior(cell: str, fw: Framework, out: list[Problem]) -> tuple[PriorStage, ...]:
    """Stages passed before the record began: ``asye:2024-08-30``, several split by ``;``."""
    found: list[PriorStage] = []
    for part in (p.strip() for p in cell.split(";")):
        if not part:
            continue
        name, _, day = part.partition(":")
        stage = fw.stage(name.strip())
        if stage is None:
            known = ", ".join(fw.stage_ids())
            out.append(
                Problem(f"unknown stage (known: {known}), as in asye:2024-08-30", "prior", part)
            )
            continue
        passed = _date(day.strip(), "prior", out)
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
    changes, fields = _changes(old, row, as_of)
    if not changes:
        return Action(row.number, row.id, "unchanged", path, old, opened=opened)
    if old.left is not None:
        raise _refuse(
            f"the practitioner left on {old.left.date}; {path} is closed to changes "
            f"(would change: {', '.join(c.field for c in changes)})"
        )
    detail = f"{source_name} row {row.number}: " + ", ".join(
        f"fte {_shown(row.fte)} from {as_of}" if c.field == "fte" else c.field for c in changes
    )
    changed = old.changed(entry(ACTION, detail), **fields)
    return Action(
        row.number,
        row.id,
        "update",
        path,
        _checked(changed, registry, today),
        tuple(changes),
        opened,
    )


def plan_import(
    rows_file: str | os.PathLike[str],
    into: str | os.PathLike[str],
    registry: FrameworkRegistry,
    *,
    as_of: dt.date,
    entry: Callable[[str, str], HistoryEntry],
    today: dt.date | None = None,
) -> ImportPlan:
    """Read an HR export and work out what it would change in a folder; writes nothing.

    Args:
        rows_file: The CSV file (UTF-8, with a header row).
        into: The folder of record files; new records are created in it as ``<id>.toml``.
        registry: The frameworks; new records start under its current version.
        as_of: The first day of a working-pattern change that a different ``fte`` adds.
        entry: Makes the history entry of a change from an action and a detail.
        today: Dates after this are in the future (default: today).

    Returns:
        The plan: one action per good row, one problem per thing wrong in a bad row.

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
    lines = _read_csv(path, source)
    first = next(lines, None)
    if first is None:
        raise EcfError([Problem("empty file: expected a header row", file=source)])
    columns, ignored = _header(first[1], source)
    parsed: list[Row] = []
    problems: dict[int, list[Problem]] = {}
    rows_of: dict[str, list[int]] = {}
    for number, cells in lines:
        if not any(c.strip() for c in cells):
            continue  # a blank line, or an empty spreadsheet row
        if columns["id"] < len(cells) and cells[columns["id"]].strip():
            rows_of.setdefault(cells[columns["id"]].strip(), []).append(number)
        row, found = _parse_row(number, cells, columns, registry)
        if found:
            problems[number] = found
        if row is not None:
            parsed.append(row)
    _flag_duplicates(rows_of, problems)
    folder = _Folder.scan(root, registry)
    actions: list[Action] = []
    for row in parsed:
        if row.number in problems:
            continue
        target, exists, refusal = folder.locate(row.id)
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
    where = {n: f"{source}: row {n}" for n in problems}
    return ImportPlan(
        source=source,
        actions=tuple(actions),
        problems=tuple(
            attrs.evolve(p, file=f"{where[n]}: {p.file}" if p.file else where[n])
            for n in sorted(problems)
            for p in problems[n]
        ),
        bad_rows=tuple(sorted(problems)),
        ignored_columns=ignored,
        warnings=tuple(  # an unreadable FOLDER/<id>.toml of a row is that row's problem
            Problem(f"cannot be read, so no row can match it: {probs[0].message}", file=str(p))
            for p, probs in folder.unreadable.items()
            if p not in {root / f"{r.id}.toml" for r in parsed}
        ),
    )


def _flag_duplicates(rows_of: dict[str, list[int]], problems: dict[int, list[Problem]]) -> None:
    """Every row whose id is also another row's is a problem: which one is right is unknown."""
    for record_id, numbers in rows_of.items():
        if len(numbers) < 2:  # noqa: PLR2004 - a duplicate is two or more
            continue
        for number in numbers:
            others = ", ".join(str(n) for n in numbers if n != number)
            problems.setdefault(number, []).append(
                Problem(f"duplicate id: also in row {others}", "id", record_id)
            )


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
