"""The reporting database: a cohort as long-format SQLite tables, for Power BI, Excel and SQL.

``ecf export DIR --format sqlite --out cohort.db`` writes one table per kind of fact (records,
enrolments, prior stages, employment, working patterns, absences, evidence and its standards,
milestones with their due, agreed and held dates, decisions, appeals, assignments, findings,
funding), each with its primary key, foreign keys to ``records`` (and to ``enrolments`` and
``evidence`` where an item belongs to one), indexes on what a workforce team filters by, and
views: ``record_overview`` (one row per record: where each practitioner stands) and
``support_gaps`` (the employer's support findings missed).  ``docs/sqlite.md`` documents every
table and the queries a workforce team asks.

What it never holds: the practitioner's name, their registration number, free-text notes, and
attachment references.  Colleagues' names (assessors, supervisors) are kept for the queries
"who is overdue by assessor", except when pseudonymised: ids then become keyed hashes
(:func:`ecf.export.pseudonym`, the same as the other exports, so tables join across exports),
colleagues' names and leaving reasons are left out, and an absence kind that reveals health
becomes a neutral kind with the same effect on due dates (:func:`ecf.privacy.neutral_absence_kind`).

The file is written atomically: built in a temporary file beside the target, then renamed over
it, so a reader never sees half a database; an existing file is replaced only when it is a
database ecf wrote (its ``ecf_export`` table says so), never another file.

This module is long because the layout is declared here, table by table, next to the code that
fills it: a column added in one place and not the other would be found by reading one page.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import functools
import itertools
import os
import shutil
import sqlite3
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from ecf._version import __version__
from ecf.assessors import assess
from ecf.errors import EcfError, Problem
from ecf.export import pseudonym
from ecf.funding import FundingError, funding_for, funding_year, year_of
from ecf.items import item_ids
from ecf.privacy import neutral_absence_kind
from ecf.progression import framework_for, stage_state, timeline_for
from ecf.status import CLOSED, MilestoneStatus, status

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from ecf.assessors import Assessment, Plugins
    from ecf.cohort import ScanContext
    from ecf.council import Council
    from ecf.framework import FrameworkRegistry
    from ecf.funding import FundingYear
    from ecf.records import Record

__all__ = [
    "DATABASE_VERSION",
    "TABLES",
    "VIEWS",
    "ExportParts",
    "database_funding",
    "flush_part",
    "part_rows",
    "record_tables",
    "write_database",
    "write_tables",
]

#: The layout's version (the ``ecf_export`` table holds it); it changes when a query would break.
DATABASE_VERSION = 1
_SQLITE_HEADER = b"SQLite format 3\x00"

#: Every table, in creation order (a table's foreign keys name tables above it).
TABLES: dict[str, str] = {
    "ecf_export": """
        key TEXT PRIMARY KEY,
        value TEXT
    """,
    "records": """
        record_id TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        council TEXT,
        team TEXT,
        qualified TEXT NOT NULL,
        registered TEXT,
        began TEXT,
        left_date TEXT,
        left_reason TEXT
    """,
    "enrolments": """
        record_id TEXT NOT NULL REFERENCES records(record_id),
        stage TEXT NOT NULL,
        seq INTEGER NOT NULL,
        start TEXT NOT NULL,
        framework TEXT NOT NULL,
        state TEXT NOT NULL,
        expected_end TEXT NOT NULL,
        current INTEGER NOT NULL CHECK (current IN (0, 1)),
        PRIMARY KEY (record_id, stage)
    """,
    "status": """
        record_id TEXT PRIMARY KEY REFERENCES records(record_id),
        stage TEXT NOT NULL,
        state TEXT NOT NULL,
        expected_end TEXT NOT NULL,
        next_milestone TEXT,
        next_due TEXT,
        overdue INTEGER NOT NULL,
        assessor TEXT,
        recommendation TEXT NOT NULL,
        support_gaps INTEGER NOT NULL,
        FOREIGN KEY (record_id, stage) REFERENCES enrolments(record_id, stage)
    """,
    "prior_stages": """
        record_id TEXT NOT NULL REFERENCES records(record_id),
        stage TEXT NOT NULL,
        passed TEXT NOT NULL,
        PRIMARY KEY (record_id, stage)
    """,
    "employment": """
        record_id TEXT NOT NULL REFERENCES records(record_id),
        item_id TEXT NOT NULL,
        council TEXT,
        from_date TEXT NOT NULL,
        to_date TEXT,
        PRIMARY KEY (record_id, item_id)
    """,
    "working_patterns": """
        record_id TEXT NOT NULL REFERENCES records(record_id),
        item_id TEXT NOT NULL,
        from_date TEXT NOT NULL,
        fte REAL NOT NULL,
        fte_exact TEXT NOT NULL,
        retracted INTEGER NOT NULL CHECK (retracted IN (0, 1)),
        PRIMARY KEY (record_id, item_id)
    """,
    "absences": """
        record_id TEXT NOT NULL REFERENCES records(record_id),
        item_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        first_day TEXT NOT NULL,
        last_day TEXT NOT NULL,
        days INTEGER NOT NULL,
        kind_pauses INTEGER,
        counts_as_service INTEGER,
        retracted INTEGER NOT NULL CHECK (retracted IN (0, 1)),
        PRIMARY KEY (record_id, item_id)
    """,
    "evidence": """
        record_id TEXT NOT NULL REFERENCES records(record_id),
        evidence_id TEXT NOT NULL,
        stage TEXT,
        kind TEXT NOT NULL,
        date TEXT NOT NULL,
        retracted INTEGER NOT NULL CHECK (retracted IN (0, 1)),
        PRIMARY KEY (record_id, evidence_id)
    """,
    "evidence_standards": """
        record_id TEXT NOT NULL,
        evidence_id TEXT NOT NULL,
        standard TEXT NOT NULL,
        standard_set TEXT NOT NULL,
        PRIMARY KEY (record_id, evidence_id, standard),
        FOREIGN KEY (record_id, evidence_id) REFERENCES evidence(record_id, evidence_id)
    """,
    "milestones": """
        record_id TEXT NOT NULL,
        stage TEXT NOT NULL,
        milestone TEXT NOT NULL,
        title TEXT NOT NULL,
        months INTEGER,
        optional INTEGER NOT NULL CHECK (optional IN (0, 1)),
        computed_due TEXT,
        agreed_due TEXT,
        due TEXT,
        held TEXT,
        overdue INTEGER NOT NULL CHECK (overdue IN (0, 1)),
        before_record INTEGER NOT NULL CHECK (before_record IN (0, 1)),
        PRIMARY KEY (record_id, stage, milestone),
        FOREIGN KEY (record_id, stage) REFERENCES enrolments(record_id, stage)
    """,
    "decisions": """
        record_id TEXT NOT NULL,
        decision_id TEXT NOT NULL,
        stage TEXT NOT NULL,
        outcome TEXT NOT NULL,
        date TEXT NOT NULL,
        reason TEXT,
        until TEXT,
        corrects TEXT,
        in_force INTEGER NOT NULL CHECK (in_force IN (0, 1)),
        PRIMARY KEY (record_id, decision_id),
        FOREIGN KEY (record_id, stage) REFERENCES enrolments(record_id, stage)
    """,
    "appeals": """
        record_id TEXT NOT NULL,
        decision_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        lodged TEXT NOT NULL,
        outcome TEXT,
        date TEXT,
        PRIMARY KEY (record_id, seq),
        FOREIGN KEY (record_id, decision_id) REFERENCES decisions(record_id, decision_id)
    """,
    "assignments": """
        record_id TEXT NOT NULL REFERENCES records(record_id),
        item_id TEXT NOT NULL,
        role TEXT NOT NULL,
        name TEXT,
        from_date TEXT NOT NULL,
        to_date TEXT,
        PRIMARY KEY (record_id, item_id)
    """,
    "findings": """
        finding_id INTEGER PRIMARY KEY,
        record_id TEXT NOT NULL,
        stage TEXT NOT NULL,
        rule TEXT NOT NULL,
        assessor TEXT NOT NULL,
        version TEXT NOT NULL,
        category TEXT NOT NULL,
        status TEXT NOT NULL,
        deadline TEXT,
        behind INTEGER NOT NULL CHECK (behind IN (0, 1)),
        message TEXT NOT NULL,
        evidence TEXT NOT NULL,
        FOREIGN KEY (record_id, stage) REFERENCES enrolments(record_id, stage)
    """,
    "funding": """
        funding_id INTEGER PRIMARY KEY,
        record_id TEXT NOT NULL,
        stage TEXT NOT NULL,
        year TEXT NOT NULL,
        scheme TEXT,
        payment TEXT,
        eligible INTEGER CHECK (eligible IN (0, 1)),
        amount_gbp INTEGER,
        claimable_from TEXT,
        reason TEXT NOT NULL,
        verified INTEGER NOT NULL CHECK (verified IN (0, 1)),
        FOREIGN KEY (record_id, stage) REFERENCES enrolments(record_id, stage)
    """,
}

#: Indexes on what a workforce team filters and groups by.
INDEXES: tuple[str, ...] = (
    "CREATE INDEX enrolments_current ON enrolments(current, stage, state)",
    "CREATE INDEX milestones_due ON milestones(due, overdue)",
    "CREATE INDEX evidence_kind ON evidence(kind, date)",
    "CREATE INDEX evidence_standards_standard ON evidence_standards(standard)",
    "CREATE INDEX absences_kind ON absences(kind, first_day)",
    "CREATE INDEX assignments_role ON assignments(role, name)",
    "CREATE INDEX findings_rule ON findings(rule, status, category)",
    "CREATE INDEX findings_record ON findings(record_id, stage)",
    "CREATE INDEX decisions_outcome ON decisions(outcome, date)",
    "CREATE INDEX funding_payment ON funding(payment, eligible)",
    "CREATE INDEX records_team ON records(council, team)",
)

#: The views: one row per record, and the support gaps with each record's team.
VIEWS: dict[str, str] = {
    "record_overview": """
        SELECT r.record_id, r.service, r.council, r.team, r.qualified, r.left_date,
               s.stage, e.start AS stage_start, e.framework, s.state, s.expected_end,
               s.next_milestone, s.next_due, s.overdue, s.assessor, s.recommendation,
               s.support_gaps,
               (SELECT count(*) FROM findings f
                 WHERE f.record_id = s.record_id AND f.category = 'practitioner'
                   AND f.status = 'missed') AS findings_missed,
               (SELECT count(*) FROM evidence v
                 WHERE v.record_id = s.record_id AND v.stage = s.stage
                   AND v.retracted = 0) AS evidence_items
          FROM records r
          JOIN status s ON s.record_id = r.record_id
          JOIN enrolments e ON e.record_id = s.record_id AND e.stage = s.stage
    """,
    "support_gaps": """
        SELECT f.record_id, r.council, r.team, f.stage, f.rule, f.assessor, f.deadline,
               f.message
          FROM findings f JOIN records r ON r.record_id = f.record_id
         WHERE f.category = 'support' AND f.status = 'missed'
    """,
}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


#: Each standard's set (``pcf`` of ``pcf:7``), as found by :func:`_standard_set`.
_STANDARD_SETS: dict[str, str] = {}


def _standard_set(standard: str) -> str:
    """The set a standard belongs to: the part of its id before the ``:`` (remembered)."""
    found = standard.partition(":")[0]
    if len(_STANDARD_SETS) < 4096:  # noqa: PLR2004 - a bound: a framework has a few hundred
        _STANDARD_SETS[standard] = found
    return found


class _Rows:
    """The rows of every table for a cohort, record by record."""

    def __init__(
        self,
        registry: FrameworkRegistry,
        as_of: dt.date,
        council: Council | None,
        plugins: Plugins | None,
        key: bytes | None,
        funding: FundingYear | None,
    ) -> None:
        self.registry = registry
        self.as_of = as_of
        self.council = council
        self.plugins = plugins
        self.key = key
        self.funding = funding
        self.tables: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}

    def rid(self, record: Record) -> str:
        return record.id if self.key is None else pseudonym(self.key, record.id)

    def name(self, name: str | None) -> str | None:
        return None if self.key is not None else name

    def add(self, record: Record) -> None:
        rid = self.rid(record)
        settings = self.council.settings if self.council else None
        team = record.extra.get("team")
        self.tables["records"].append(
            (
                rid,
                record.service,
                record.council,
                team if isinstance(team, str) else None,
                _iso(record.qualified),
                _iso(record.registered),
                _iso(record.began_on),
                _iso(record.left.date) if record.left else None,
                record.left.reason if record.left and self.key is None else None,
            )
        )
        current = status(record, self.registry, self.as_of, settings=settings)
        for seq, enrolment in enumerate(record.enrolments, 1):
            fw = framework_for(enrolment, self.registry, settings)
            tl = timeline_for(record, enrolment, self.registry, self.as_of, framework=fw)
            state = stage_state(record, tl, self.as_of, fw)
            is_current = enrolment.stage == current.stage
            self.tables["enrolments"].append(
                (
                    rid,
                    enrolment.stage,
                    seq,
                    _iso(enrolment.start),
                    enrolment.framework,
                    state,
                    _iso(tl.expected_end),
                    int(is_current),
                )
            )
            for ms in tl.milestones:
                shown = MilestoneStatus.of(ms, self.as_of, record.began)
                overdue = shown.overdue and state not in CLOSED
                self.tables["milestones"].append(
                    (
                        rid,
                        enrolment.stage,
                        ms.id,
                        ms.title,
                        ms.months,
                        int(ms.optional),
                        _iso(ms.computed),
                        _iso(ms.agreed),
                        _iso(ms.due),
                        _iso(shown.held),
                        int(overdue),
                        int(shown.before_record),
                    )
                )
        for prior in record.prior:
            self.tables["prior_stages"].append((rid, prior.stage, _iso(prior.passed)))
        self._items(record, rid)
        result = assess(
            record, self.registry, self.as_of, council=self.council, plugins=self.plugins
        )
        nxt = current.next
        self.tables["status"].append(
            (
                rid,
                current.stage,
                current.state,
                _iso(current.expected_end),
                nxt.id if nxt else None,
                _iso(nxt.due) if nxt else None,
                len(current.overdue),
                self.name(current.assessor),
                result.recommendation,
                result.support_gaps,
            )
        )
        self._findings(record, rid, result)

    def _items(self, record: Record, rid: str) -> None:
        frameworks = [self.registry.get(v) for v in {e.framework for e in record.enrolments}]
        periods = record.periods()
        for item_id, period in zip(item_ids(periods, "em"), periods, strict=True):
            self.tables["employment"].append(
                (rid, item_id, period.council, _iso(period.from_), _iso(period.to))
            )
        for item_id, change in zip(item_ids(record.hours, "hr"), record.hours, strict=True):
            fte = change.fte
            self.tables["working_patterns"].append(
                (
                    rid,
                    item_id,
                    _iso(change.from_),
                    float(fte),
                    f"{fte.numerator}/{fte.denominator}",
                    int(change.retracted is not None),
                )
            )
        for item_id, absence in zip(item_ids(record.absences, "ab"), record.absences, strict=True):
            kind = absence.kind
            if self.key is not None:
                kind = neutral_absence_kind(kind, frameworks)
            known = next((k for fw in frameworks if (k := fw.absence_kind(kind))), None)
            self.tables["absences"].append(
                (
                    rid,
                    item_id,
                    kind,
                    _iso(absence.first),
                    _iso(absence.last),
                    absence.days,
                    _bool(known.pauses if known else None),
                    _bool(known.counts_as_service if known else None),
                    int(absence.retracted is not None),
                )
            )
        self._evidence(record, rid)
        refs = item_ids(record.decisions, "dec")
        corrected = {d.corrects for d in record.decisions if d.corrects is not None}
        for index, (ref, decision) in enumerate(zip(refs, record.decisions, strict=True)):
            self.tables["decisions"].append(
                (
                    rid,
                    ref,
                    decision.stage,
                    decision.outcome,
                    _iso(decision.date),
                    decision.reason,
                    _iso(decision.until),
                    refs[decision.corrects] if decision.corrects is not None else None,
                    int(index not in corrected),
                )
            )
        for seq, appeal in enumerate(record.appeals, 1):
            self.tables["appeals"].append(
                (rid, appeal.decision, seq, _iso(appeal.lodged), appeal.outcome, _iso(appeal.date))
            )
        people = record.assignments
        for item_id, person in zip(item_ids(people, "as"), people, strict=True):
            self.tables["assignments"].append(
                (
                    rid,
                    item_id,
                    person.role,
                    self.name(person.name),
                    _iso(person.from_),
                    _iso(person.to),
                )
            )

    def _evidence(self, record: Record, rid: str) -> None:
        """The evidence rows and their standards' (most of a record's rows: made in one pass).

        Each piece's stage is the last enrolment started on or before its date; a standard's
        set is the part of its id before the ``:``, found once per standard (issue 14).
        """
        starts = [e.start for e in record.enrolments]
        stages = [e.stage for e in record.enrolments]
        ordered = all(a <= b for a, b in itertools.pairwise(starts))
        latest = list(zip(reversed(starts), reversed(stages), strict=True))
        rows = self.tables["evidence"].append
        standards = self.tables["evidence_standards"].extend
        sets = _STANDARD_SETS
        days: dict[dt.date, str] = {}
        for evidence in record.evidence:
            date = evidence.date
            if ordered:  # the last enrolment started on or before the date
                at = bisect.bisect_right(starts, date)
                stage = stages[at - 1] if at else None
            else:
                stage = next((s for start, s in latest if start <= date), None)
            iso = days.get(date)
            if iso is None:
                iso = days[date] = date.isoformat()
            eid = evidence.id
            rows((rid, eid, stage, evidence.kind, iso, 0 if evidence.retracted is None else 1))
            standards(
                [
                    (rid, eid, standard, sets.get(standard) or _standard_set(standard))
                    for standard in dict.fromkeys(evidence.standards)
                ]
            )

    def _findings(self, record: Record, rid: str, result: Assessment) -> None:
        for finding in result.findings:
            self.tables["findings"].append(
                (
                    None,
                    rid,
                    result.stage,
                    finding.rule,
                    finding.assessor,
                    finding.version,
                    finding.category,
                    finding.status,
                    _iso(finding.deadline),
                    int(finding.behind),
                    finding.message,
                    "; ".join(finding.evidence),
                )
            )
        if self.funding is None:
            return
        for item in funding_for(record, self.funding, self.as_of):
            self.tables["funding"].append(
                (
                    None,
                    rid,
                    item.stage,
                    self.funding.year,
                    item.scheme,
                    item.payment,
                    _bool(item.eligible),
                    item.amount_gbp,
                    _iso(item.claimable_from),
                    item.reason,
                    int(item.verified),
                )
            )


def _check_target(path: Path) -> None:
    """Refuse to replace anything but a database ecf wrote (a missing file is fine).

    A folder, a FIFO or a device is refused before it is opened (opening a FIFO would wait for
    a writer forever).
    """
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise EcfError(
                [
                    Problem(
                        "is not a regular file; give a file name for the database", file=str(path)
                    )
                ]
            )
        with path.open("rb") as fh:
            header = fh.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise EcfError([Problem(f"cannot read: {exc.strerror}", file=str(path))]) from exc
    ours = False
    if header == _SQLITE_HEADER:
        try:
            with contextlib.closing(
                sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            ) as db:
                found = db.execute("SELECT value FROM ecf_export WHERE key = 'format'").fetchone()
                ours = found is not None and found[0] == "ecf-export"
        except sqlite3.Error:
            ours = False
    if not ours:
        raise EcfError(
            [
                Problem(
                    "exists and is not a database ecf wrote; not replaced (remove it or "
                    "choose another --out)",
                    file=str(path),
                )
            ]
        )


def write_database(
    records: Sequence[Record],
    path: str | os.PathLike[str],
    registry: FrameworkRegistry,
    as_of: dt.date,
    *,
    council: Council | None = None,
    plugins: Plugins | None = None,
    key: bytes | None = None,
    funding: FundingYear | None = None,
    generated: dt.datetime | None = None,
) -> dict[str, int]:
    """Write the cohort's reporting database to ``path``, atomically.

    Args:
        records: Valid records (one per id).
        path: The database file: a new file, or a database ecf wrote before (replaced whole).
        registry: The frameworks.
        as_of: The date statuses, overdue milestones and findings are as of.
        council: A council's configuration: its settings apply to the dates, its assessors
            judge (default: the national baseline).
        plugins: The plugin manager (default: the installed plugins).
        key: Pseudonymise with this key: ids become keyed hashes, colleagues' names and leaving
            reasons are left out, health-revealing absence kinds become neutral ones.
        funding: The funding year to list (default: the year of ``as_of``, if ecf has it).
        generated: When the export was made (default: now, UTC), kept in ``ecf_export``.

    Returns:
        The number of rows written to each table.

    Raises:
        EcfError: the target is not a database ecf wrote, it cannot be written, or a record's
            framework is unknown; nothing is written then.
    """
    target = Path(path)
    _check_target(target)
    if funding is None:
        funding = database_funding(as_of)
    rows = _Rows(registry, as_of, council, plugins, key, funding)
    for record in records:
        rows.add(record)
    return _finish(target, rows.tables, as_of, council, key, funding, generated, len(records))


def database_funding(as_of: dt.date) -> FundingYear | None:
    """The funding year a database as of ``as_of`` lists by default: its year, if ecf has it."""
    with contextlib.suppress(FundingError):
        return funding_year(year_of(as_of))
    return None


def record_tables(
    record: Record,
    context: ScanContext,
    *,
    key: bytes | None = None,
    funding: FundingYear | None = None,
) -> dict[str, list[tuple[Any, ...]]]:
    """One record's rows of every table, in a scan (:func:`ecf.cohort.scan_records`).

    Use it as ``functools.partial(record_tables, key=..., funding=...)``, and
    :func:`write_tables` to write what the scan gives: the database :func:`write_database`
    writes for the same records.  The context's council judges, as ``council`` there.

    Raises:
        EcfError: when a record's framework is unknown.
    """
    rows = _Rows(context.registry, context.as_of, context.council, context.plugins, key, funding)
    rows.add(record)
    return {name: values for name, values in rows.tables.items() if values}


def write_tables(
    parts: Iterable[dict[str, list[tuple[Any, ...]]]],
    path: str | os.PathLike[str],
    as_of: dt.date,
    *,
    council: Council | None = None,
    key: bytes | None = None,
    funding: FundingYear | None = None,
    generated: dt.datetime | None = None,
) -> dict[str, int]:
    """Write the database of each record's :func:`record_tables`, in order, to ``path``.

    The other arguments are :func:`write_database`'s, and must be those the parts were made
    with (``funding``: :func:`database_funding` of ``as_of`` by default, as there).

    Returns:
        The number of rows written to each table.

    Raises:
        EcfError: the target is not a database ecf wrote, or it cannot be written; nothing is
            written then.
    """
    target = Path(path)
    _check_target(target)
    if funding is None:
        funding = database_funding(as_of)
    counts = dict.fromkeys(TABLES, 0)

    def batches() -> Iterator[dict[str, list[tuple[Any, ...]]]]:
        """The parts a few hundred records at a time, then the ``ecf_export`` table."""
        count = 0
        batch: dict[str, list[tuple[Any, ...]]] = {}
        for part in parts:
            count += 1
            for name, values in part.items():
                batch.setdefault(name, []).extend(values)
                counts[name] += len(values)
            if count % _BATCH == 0:
                yield batch
                batch = {}
        yield batch
        meta = _export_rows(as_of, council, key, funding, generated, count)
        counts["ecf_export"] = len(meta)
        yield {"ecf_export": meta}

    _write_batches(target, batches())
    return counts


#: Records whose rows are written to the database at once by :func:`write_tables`.
_BATCH = 200


# Each worker writes its own rows (issue 14): the rows of a scan's records are written by the
# workers that made them, each to a file of its own, and merged by SQLite, in file order, into
# the database.  Before, every row was pickled by a worker, unpickled and inserted by this
# process, while the workers waited for it.

#: The tables a worker fills: every one but ``ecf_export``, which the merge writes.
_PART_TABLES: tuple[str, ...] = tuple(name for name in TABLES if name != "ecf_export")

#: Where a record's rows are in a worker's file: ``(file name, rows before, rows after)``, the
#: numbers of rows of each of :data:`_PART_TABLES` in that file before and after the record's
#: (its rows are the rowids ``before + 1`` to ``after``).
Place = tuple[str, tuple[int, ...], tuple[int, ...]]


def _columns(name: str) -> tuple[str, ...]:
    """A table's column names, in order, from its declaration in :data:`TABLES`."""
    names = (line.split(maxsplit=1)[0] for line in TABLES[name].strip().splitlines())
    return tuple(n for n in names if n not in {"PRIMARY", "FOREIGN"})


class _PartWriter:
    """One process's rows of an export: buffered for a chunk, then appended to its own file.

    The file has the tables' columns only (no keys, no indexes, no types: a value is kept as
    it was given, and the database's columns convert it as they would have on a direct insert).
    """

    def __init__(self, folder: Path, rows: _Rows) -> None:
        self.path = folder / f"part-{os.getpid()}.db"
        self.rows = rows
        self.lists = [rows.tables[name] for name in _PART_TABLES]
        self.written = [0] * len(_PART_TABLES)
        self.created = False

    def add(self, record: Record) -> Place:
        """Make a record's rows (all or none of them) and say where they will be."""
        before = tuple(w + len(v) for w, v in zip(self.written, self.lists, strict=True))
        try:
            self.rows.add(record)
        except BaseException:
            for values, count, first in zip(self.lists, self.written, before, strict=True):
                del values[first - count :]
            raise
        after = tuple(w + len(v) for w, v in zip(self.written, self.lists, strict=True))
        return self.path.name, before, after

    def flush(self) -> None:
        """Append the buffered rows to this process's file, one transaction."""
        with contextlib.closing(sqlite3.connect(self.path)) as db:
            # A scratch file, removed with its folder: no journal, no syncing.
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            with db:
                if not self.created:
                    for name in _PART_TABLES:
                        db.execute(f"CREATE TABLE {name} ({', '.join(_columns(name))})")
                    self.created = True
                for index, (name, values) in enumerate(zip(_PART_TABLES, self.lists, strict=True)):
                    if values:
                        marks = ", ".join("?" * len(values[0]))
                        db.executemany(f"INSERT INTO {name} VALUES ({marks})", values)  # noqa: S608 - names are this module's constants
                        self.written[index] += len(values)
                        values.clear()


#: This process's writers, by (parts folder, process id): a forked worker makes its own.
_WRITERS: dict[tuple[str, int], _PartWriter] = {}


def part_rows(
    record: Record,
    context: ScanContext,
    *,
    folder: str,
    key: bytes | None = None,
    funding: FundingYear | None = None,
) -> Place:
    """A record's rows of every table, kept for this process's file (:class:`ExportParts`).

    Raises:
        EcfError: when a record's framework is unknown (no row of it is kept).
    """
    writer = _WRITERS.get((folder, os.getpid()))
    if writer is None:
        rows = _Rows(
            context.registry, context.as_of, context.council, context.plugins, key, funding
        )
        writer = _WRITERS[folder, os.getpid()] = _PartWriter(Path(folder), rows)
    return writer.add(record)


def flush_part(folder: str, target: str) -> None:
    """Write this process's buffered rows to its file (a scan's ``chunk_end``).

    Raises:
        EcfError: the file cannot be written (a full disk); it names the export's ``target``.
    """
    writer = _WRITERS.get((folder, os.getpid()))
    if writer is None:
        return
    try:
        writer.flush()
    except (OSError, sqlite3.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise EcfError([Problem(f"cannot write the database: {reason}", file=target)]) from exc


class ExportParts:
    """The private folder of an export's per-worker files, and the merge that writes the database.

    Use it as a context manager around a scan (:func:`ecf.cohort.scan_records`) with
    :attr:`each` and :attr:`chunk_end`, then :meth:`write` what the scan kept::

        with ExportParts(out, key=key, funding=funding) as parts:
            with scan_records(files, options, parts.each, chunk_end=parts.chunk_end) as kept:
                counts = parts.write(kept, as_of, council=council)

    The database is the one :func:`write_database` writes for the same records, row for row.
    The folder (beside the target when it can be made there, else in the system's temporary
    folder; the owner's only) is removed on leaving, whatever happened.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        key: bytes | None = None,
        funding: FundingYear | None = None,
    ) -> None:
        self.target = Path(path)
        self.key = key
        self.funding = funding
        self.folder: Path | None = None

    def __enter__(self) -> Self:
        name = self.target.name
        try:
            made = tempfile.mkdtemp(prefix=f".{name}.parts.", dir=self.target.parent)
        except OSError:  # its folder is missing or read-only: the write says so, as before
            made = tempfile.mkdtemp(prefix="ecf-export-")
        self.folder = Path(made)
        return self

    def __exit__(self, *exc: object) -> None:
        folder = self._folder()
        for place in [k for k in _WRITERS if k[0] == str(folder)]:
            del _WRITERS[place]
        shutil.rmtree(folder, ignore_errors=True)

    def _folder(self) -> Path:
        if self.folder is None:
            msg = "ExportParts is used as a context manager"
            raise RuntimeError(msg)
        return self.folder

    @property
    def each(self) -> Callable[[Record, ScanContext], Place]:
        """The scan's function of each record: :func:`part_rows` into this folder."""
        return functools.partial(
            part_rows, folder=str(self._folder()), key=self.key, funding=self.funding
        )

    @property
    def chunk_end(self) -> Callable[[], None]:
        """The scan's end of each chunk: :func:`flush_part` of this folder."""
        return functools.partial(flush_part, str(self._folder()), str(self.target))

    def write(
        self,
        places: Iterable[Place],
        as_of: dt.date,
        *,
        council: Council | None = None,
        generated: dt.datetime | None = None,
    ) -> dict[str, int]:
        """Write the database of the records at ``places`` (in order) to the target, atomically.

        The arguments are :func:`write_tables`'s; the places are what the scan kept, each id
        once (a record left out leaves its rows unused).

        Returns:
            The number of rows written to each table.

        Raises:
            EcfError: the target is not a database ecf wrote, or it cannot be written; nothing
                is written then.
        """
        _check_target(self.target)
        funding = self.funding if self.funding is not None else database_funding(as_of)
        folder = self._folder()
        counts = dict.fromkeys(TABLES, 0)

        def fill(db: sqlite3.Connection) -> None:
            db.isolation_level = None  # transactions are begun and ended here: ATTACH is not
            for name, columns in TABLES.items():  # allowed inside one
                db.execute(f"CREATE TABLE {name} ({columns.strip()})")
            merge = _Merge(db, folder, counts)
            count = 0
            for place in places:
                merge.add(place)
                count += 1
            merge.finish()
            meta = _export_rows(as_of, council, self.key, funding, generated, count)
            counts["ecf_export"] = len(meta)
            db.execute("BEGIN")
            db.executemany("INSERT INTO ecf_export VALUES (?, ?)", meta)
            _finish_schema(db)
            db.execute("COMMIT")

        _atomic(self.target, fill)
        return counts


#: The most workers' files attached to the database at a time (SQLite allows 10 by default);
#: with more workers, the oldest is detached to attach the next.
_MOST_ATTACHED = 8


class _Merge:
    """Copy the places' rows from the workers' files into the database, in order, in C.

    Consecutive places of one file whose rows follow each other are copied by one statement a
    table (a chunk's records are; so are a worker's chunks that follow each other).
    """

    def __init__(self, db: sqlite3.Connection, folder: Path, counts: dict[str, int]) -> None:
        self.db = db
        self.folder = folder
        self.counts = counts
        self.run: Place | None = None
        self.attached: dict[str, str] = {}  # file name -> schema name, oldest first
        self.limit = max(1, min(_MOST_ATTACHED, db.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED)))
        self.open = False
        self.made = 0

    def add(self, place: Place) -> None:
        run = self.run
        if run is not None and run[0] == place[0] and run[2] == place[1]:
            self.run = (run[0], run[1], place[2])
            return
        self._copy()
        self.run = place

    def finish(self) -> None:
        self._copy()
        if self.open:
            self.db.execute("COMMIT")
            self.open = False
        for schema in self.attached.values():
            self.db.execute("DETACH DATABASE ?", (schema,))
        self.attached.clear()

    def _schema(self, file: str) -> str:
        schema = self.attached.get(file)
        if schema is not None:
            return schema
        if self.open:  # ATTACH and DETACH need no transaction in progress
            self.db.execute("COMMIT")
            self.open = False
        if len(self.attached) >= self.limit:
            oldest = next(iter(self.attached))
            self.db.execute("DETACH DATABASE ?", (self.attached.pop(oldest),))
        schema = f"part{self.made}"
        self.made += 1
        self.db.execute("ATTACH DATABASE ? AS ?", (str(self.folder / file), schema))
        self.attached[file] = schema
        return schema

    def _copy(self) -> None:
        run = self.run
        if run is None:
            return
        file, before, after = run
        schema = self._schema(file)
        if not self.open:
            self.db.execute("BEGIN")
            self.open = True
        for name, first, last in zip(_PART_TABLES, before, after, strict=True):
            if last > first:
                self.db.execute(
                    f"INSERT INTO main.{name} SELECT * FROM {schema}.{name} "  # noqa: S608 - names are this module's constants
                    "WHERE rowid > ? AND rowid <= ? ORDER BY rowid",
                    (first, last),
                )
                self.counts[name] += last - first
        self.run = None


def _finish(
    target: Path,
    tables: dict[str, list[tuple[Any, ...]]],
    as_of: dt.date,
    council: Council | None,
    key: bytes | None,
    funding: FundingYear | None,
    generated: dt.datetime | None,
    count: int,
) -> dict[str, int]:
    """Add the ``ecf_export`` table (what was exported, how, when) and write the database."""
    tables["ecf_export"] = _export_rows(as_of, council, key, funding, generated, count)
    _write(target, tables)
    return {name: len(values) for name, values in tables.items()}


def _export_rows(
    as_of: dt.date,
    council: Council | None,
    key: bytes | None,
    funding: FundingYear | None,
    generated: dt.datetime | None,
    count: int,
) -> list[tuple[Any, ...]]:
    """The ``ecf_export`` table: what was exported, how, when."""
    made = generated or dt.datetime.now(dt.UTC).replace(microsecond=0)
    return [
        ("format", "ecf-export"),
        ("version", str(DATABASE_VERSION)),
        ("ecf", __version__),
        ("as_of", as_of.isoformat()),
        ("generated", made.isoformat()),
        ("council", council.code if council else None),
        ("pseudonymised", "yes" if key is not None else "no"),
        ("funding_year", funding.year if funding else None),
        ("records", str(count)),
    ]


def _write(target: Path, tables: dict[str, list[tuple[Any, ...]]]) -> None:
    _write_batches(target, [tables])


def _write_batches(target: Path, batches: Iterable[dict[str, list[tuple[Any, ...]]]]) -> None:
    """Write the tables' rows, batch after batch (each table's rows in order), atomically."""

    def fill(db: sqlite3.Connection) -> None:
        with db:
            for name, columns in TABLES.items():
                db.execute(f"CREATE TABLE {name} ({columns.strip()})")
            for tables in batches:
                for name in TABLES:
                    values = tables.get(name)
                    if values:
                        marks = ", ".join("?" * len(values[0]))
                        db.executemany(f"INSERT INTO {name} VALUES ({marks})", values)  # noqa: S608 - names are this module's constants
            _finish_schema(db)

    _atomic(target, fill)


def _finish_schema(db: sqlite3.Connection) -> None:
    """Build the indexes and the views, once every row is in."""
    for index in INDEXES:
        db.execute(index)
    for name, query in VIEWS.items():
        db.execute(f"CREATE VIEW {name} AS {query.strip()}")


def _atomic(target: Path, fill: Callable[[sqlite3.Connection], None]) -> None:
    """Make the database with ``fill`` in a temporary file beside ``target``, then rename it.

    The keys are checked once ``fill`` is done; nothing is left but the target (as it was, when
    anything fails).
    """
    folder = target.parent if str(target.parent) else Path()
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise EcfError(
            [Problem(f"cannot write in {folder}: {exc.strerror}", file=str(target))]
        ) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with contextlib.closing(sqlite3.connect(tmp)) as db:
            # The keys are checked once, after the last row (``foreign_key_check`` below), not
            # at every insert (issue 14: a tenth of the writing process's time); and the file
            # is a temporary one, synced once before it replaces the target, so SQLite need
            # not sync it at every spill of its cache.
            db.execute("PRAGMA foreign_keys = OFF")
            db.execute("PRAGMA journal_mode = DELETE")
            db.execute("PRAGMA synchronous = OFF")
            fill(db)
            problems = db.execute("PRAGMA foreign_key_check").fetchall()
            if problems:  # pragma: no cover - a bug in this module, not bad input
                msg = f"foreign keys broken: {problems[:3]}"
                raise RuntimeError(msg)
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        tmp.replace(target)
        with contextlib.suppress(OSError):
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except (OSError, sqlite3.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise EcfError([Problem(f"cannot write the database: {reason}", file=str(target))]) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
