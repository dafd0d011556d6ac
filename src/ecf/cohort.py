"""Cohorts for council HR tools: many records at once, as of a date.

Load a cohort from a folder of record files (recursively) or from plain rows an HR database
produces; one bad record never sinks the cohort: it is reported with its source and field, and
the rest is processed.  For each record, a :class:`CohortRow` holds what HR tools ask for: stage,
state, expected end, next milestone and its due date, overdue count, and, with a council
configuration, the assessors' recommendation and its top reasons.

Example::

    import datetime as dt
    from ecf import cohort

    result = cohort.load_folder("records/")
    rows = cohort.rows(result.records, as_of=dt.date(2026, 12, 1))
    due = [r for r in rows if cohort.matches(r, due_within=30)]
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ecf.errors import EcfError, Problem
from ecf.framework import FrameworkRegistry
from ecf.records import Record, record_from_dict
from ecf.status import status
from ecf.store import read_record
from ecf.validation import check_record

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from ecf.assessors import Plugins
    from ecf.council import Council

__all__ = [
    "CohortRow",
    "Failure",
    "Loaded",
    "Summary",
    "load_folder",
    "load_rows",
    "matches",
    "rows",
    "scan",
    "stream",
    "summarise",
]


@attrs.frozen
class Failure:
    """A record that could not be used, with where it came from and every problem found."""

    source: str
    problems: tuple[Problem, ...]

    def lines(self) -> list[str]:
        """One line per problem."""
        return [str(p.with_file(self.source)) for p in self.problems]


@attrs.frozen
class Loaded:
    """The valid records of a cohort, and the failures (each reported once)."""

    records: tuple[Record, ...]
    failures: tuple[Failure, ...]
    sources: tuple[str, ...] = ()


def _check(record: Record, registry: FrameworkRegistry, today: dt.date) -> list[Problem]:
    return check_record(record, registry, today)


def record_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Every ``*.toml`` file under a folder, recursively, in a stable order (not hidden ones)."""
    root = Path(folder)
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(
            Path(dirpath) / f
            for f in sorted(filenames)
            if f.endswith(".toml") and not f.startswith(".")
        )
    return found


def load_folder(
    folder: str | os.PathLike[str],
    registry: FrameworkRegistry | None = None,
    today: dt.date | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> Loaded:
    """Load every record file under ``folder``; bad files are failures, not exceptions.

    Args:
        folder: The folder to search recursively for ``*.toml`` files.
        registry: The frameworks (default: the shipped ones).
        today: Dates after this are in the future (default: today).
        progress: Called with 1 after each file (for a progress bar).

    Returns:
        The valid records and one failure per unreadable, malformed or invalid file.

    Raises:
        EcfError: when ``folder`` is not a folder.
    """
    root = Path(folder)
    if not root.is_dir():
        raise EcfError([Problem("not a folder", file=str(root))])
    registry = registry or FrameworkRegistry.default()
    today = today or dt.date.today()  # noqa: DTZ011 - the local date
    records: list[Record] = []
    sources: list[str] = []
    failures: list[Failure] = []
    for path in record_files(root):
        try:
            record = read_record(path)
            problems = _check(record, registry, today)
        except EcfError as exc:
            failures.append(
                Failure(str(path), tuple(attrs.evolve(p, file=None) for p in exc.problems))
            )
        else:
            if problems:
                failures.append(Failure(str(path), tuple(problems)))
            else:
                records.append(record)
                sources.append(str(path))
        if progress is not None:
            progress(1)
    return Loaded(tuple(records), tuple(failures), tuple(sources))


def load_rows(
    rows: Iterable[Mapping[str, Any]],
    registry: FrameworkRegistry | None = None,
    today: dt.date | None = None,
) -> Loaded:
    """Load records from plain rows (dicts as an HR database gives them, dates as ISO strings).

    Each row is structured with the same strict converter as a record file; a bad row is a
    failure named ``row N`` (1-based) with its field paths, and the rest is loaded.
    """
    registry = registry or FrameworkRegistry.default()
    today = today or dt.date.today()  # noqa: DTZ011 - the local date
    records: list[Record] = []
    sources: list[str] = []
    failures: list[Failure] = []
    for number, row in enumerate(rows, start=1):
        source = f"row {number}"
        try:
            record = record_from_dict(dict(row))
            problems = _check(record, registry, today)
        except EcfError as exc:
            failures.append(Failure(source, exc.problems))
            continue
        if problems:
            failures.append(Failure(source, tuple(problems)))
        else:
            records.append(record)
            sources.append(source)
    return Loaded(tuple(records), tuple(failures), tuple(sources))


@attrs.frozen
class CohortRow:
    """One record of a cohort as of a date: the columns of ``ecf cohort``.

    Attributes:
        team: The record's ``extra.team``, if any.
        next_milestone: The next milestone not yet held (and its due date).
        overdue: How many milestones are overdue.
        recommendation: The assessors' recommendation, when a council was given.
        reasons: The top reasons for it: the rules missed, in error or behind pace.
    """

    id: str
    council: str | None
    team: str | None
    stage: str
    stage_start: dt.date
    expected_end: dt.date
    state: str
    next_milestone: str | None
    next_due: dt.date | None
    overdue: int
    overdue_milestones: tuple[str, ...] = ()
    recommendation: str | None = None
    reasons: tuple[str, ...] = ()


def _reasons(findings: Iterable[Any], limit: int = 3) -> tuple[str, ...]:
    order = {"error": 0, "missed": 1, "pending": 2}
    worrying = [
        f
        for f in findings
        if f.status in ("error", "missed") or (f.status == "pending" and f.behind)
    ]
    worrying.sort(key=lambda f: order.get(f.status, 3))
    return tuple(f"{f.rule}: {f.status}" for f in worrying[:limit])


def row_for(
    record: Record,
    registry: FrameworkRegistry,
    as_of: dt.date,
    *,
    council: Council | None = None,
    plugins: Plugins | None = None,
) -> CohortRow:
    """One record's row as of a date (with the recommendation when a council is given).

    Raises:
        EcfError: when the record's framework is unknown or an assessor's rule file is invalid.
    """
    st = status(record, registry, as_of)
    nxt = st.next
    recommendation = None
    reasons: tuple[str, ...] = ()
    if council is not None:
        from ecf.assessors import assess  # noqa: PLC0415 - only with a council

        result = assess(record, registry, as_of, council=council, plugins=plugins)
        recommendation = result.recommendation
        reasons = _reasons(result.findings)
    team = record.extra.get("team")
    return CohortRow(
        id=record.id,
        council=record.council,
        team=team if isinstance(team, str) else None,
        stage=st.stage,
        stage_start=st.stage_start,
        expected_end=st.expected_end,
        state=st.state,
        next_milestone=nxt.id if nxt else None,
        next_due=nxt.due if nxt else None,
        overdue=len(st.overdue),
        overdue_milestones=tuple(m.id for m in st.overdue),
        recommendation=recommendation,
        reasons=reasons,
    )


def rows(
    records: Iterable[Record],
    as_of: dt.date,
    registry: FrameworkRegistry | None = None,
    *,
    council: Council | None = None,
    plugins: Plugins | None = None,
) -> Iterator[CohortRow]:
    """Each record's row as of a date, lazily (a cohort of any size streams)."""
    registry = registry or FrameworkRegistry.default()
    if council is not None and plugins is None:
        from ecf.assessors import get_plugins  # noqa: PLC0415

        plugins = get_plugins()
    for record in records:
        yield row_for(record, registry, as_of, council=council, plugins=plugins)


def matches(
    row: CohortRow,
    *,
    as_of: dt.date | None = None,
    stage: Iterable[str] = (),
    state: Iterable[str] = (),
    council: Iterable[str] = (),
    team: Iterable[str] = (),
    recommendation: Iterable[str] = (),
    due_within: int | None = None,
    overdue: bool = False,
) -> bool:
    """Whether a row passes the filters (each given filter must hold; empty ones are ignored).

    Args:
        row: The row.
        as_of: The date ``due_within`` counts from (default: the row's own next due date passes
            only if it is not before today).
        stage: Any of these stages.
        state: Any of these states.
        council: Any of these council codes.
        team: Any of these teams.
        recommendation: Any of these recommendations.
        due_within: The next milestone is due within this many days of ``as_of``.
        overdue: At least one milestone is overdue.
    """
    checks: list[tuple[Iterable[str], str | None]] = [
        (stage, row.stage),
        (state, row.state),
        (council, row.council),
        (team, row.team),
        (recommendation, row.recommendation),
    ]
    for wanted, value in checks:
        allowed = set(wanted)
        if allowed and value not in allowed:
            return False
    if overdue and row.overdue == 0:
        return False
    if due_within is not None:
        start = as_of or dt.date.today()  # noqa: DTZ011 - the local date
        if row.next_due is None or not start <= row.next_due <= start + dt.timedelta(
            days=due_within
        ):
            return False
    return True


def stream(
    data: Iterable[Mapping[str, Any]],
    as_of: dt.date,
    registry: FrameworkRegistry | None = None,
    *,
    today: dt.date | None = None,
    council: Council | None = None,
    plugins: Plugins | None = None,
) -> Iterator[CohortRow | Failure]:
    """Rows from plain records (as an HR database gives them), one at a time.

    Nothing is kept: memory stays flat however many records pass through.  Each item is the
    record's :class:`CohortRow`, or a :class:`Failure` named ``row N`` for a bad one.
    """
    registry = registry or FrameworkRegistry.default()
    today = today or dt.date.today()  # noqa: DTZ011 - the local date
    if council is not None and plugins is None:
        from ecf.assessors import get_plugins  # noqa: PLC0415

        plugins = get_plugins()
    for number, item in enumerate(data, start=1):
        try:
            record = record_from_dict(dict(item))
            problems = check_record(record, registry, today)
            if problems:
                yield Failure(f"row {number}", tuple(problems))
                continue
            yield row_for(record, registry, as_of, council=council, plugins=plugins)
        except EcfError as exc:
            yield Failure(f"row {number}", exc.problems)


@attrs.frozen
class Summary:
    """Counts over a cohort: by stage, by state, due soon, overdue, by recommendation."""

    total: int
    by_stage: dict[str, int]
    by_state: dict[str, int]
    due_soon: int
    overdue: int
    by_recommendation: dict[str, int]
    failed: int = 0


def summarise(
    cohort_rows: Iterable[CohortRow], as_of: dt.date, *, days: int = 30, failed: int = 0
) -> Summary:
    """Counts by stage and state, how many are due within ``days``, how many are overdue."""
    by_stage: dict[str, int] = {}
    by_state: dict[str, int] = {}
    by_rec: dict[str, int] = {}
    total = due = late = 0
    for row in cohort_rows:
        total += 1
        by_stage[row.stage] = by_stage.get(row.stage, 0) + 1
        by_state[row.state] = by_state.get(row.state, 0) + 1
        if row.recommendation is not None:
            by_rec[row.recommendation] = by_rec.get(row.recommendation, 0) + 1
        due += matches(row, as_of=as_of, due_within=days)
        late += row.overdue > 0
    return Summary(
        total,
        dict(sorted(by_stage.items())),
        dict(sorted(by_state.items())),
        due,
        late,
        by_rec,
        failed,
    )


@attrs.frozen
class ScanOptions:
    """What a worker process needs to rebuild the context of a scan (all picklable)."""

    as_of: dt.date
    today: dt.date
    framework_files: tuple[str, ...] = ()
    council_file: str | None = None
    cache_dir: str | None = None


_WORKER: dict[str, Any] = {}


def _init_worker(options: ScanOptions) -> None:
    from ecf.cache import RecordCache  # noqa: PLC0415

    registry = FrameworkRegistry.default([Path(p) for p in options.framework_files])
    council = None
    plugins = None
    if options.council_file is not None:
        from ecf.assessors import get_plugins  # noqa: PLC0415
        from ecf.council import load_council  # noqa: PLC0415

        council = load_council(options.council_file)
        plugins = get_plugins()
    cache = RecordCache(Path(options.cache_dir), readonly=True) if options.cache_dir else None
    _WORKER.update(
        options=options, registry=registry, council=council, plugins=plugins, cache=cache
    )


CacheEntry = tuple[str, tuple[int, int, int], str, bytes | None]


def _scan_chunk(paths: list[str]) -> tuple[list[CohortRow], list[Failure], list[CacheEntry]]:
    """Read, parse (or take from the cache), check and report on each file of a chunk."""
    import hashlib  # noqa: PLC0415
    import pickle  # noqa: PLC0415

    from ecf import limits  # noqa: PLC0415
    from ecf.cache import identity  # noqa: PLC0415
    from ecf.errors import RecordError  # noqa: PLC0415
    from ecf.store import parse_record  # noqa: PLC0415

    options: ScanOptions = _WORKER["options"]
    registry: FrameworkRegistry = _WORKER["registry"]
    cache = _WORKER["cache"]
    found: list[CohortRow] = []
    failures: list[Failure] = []
    entries: list[CacheEntry] = []
    for path in paths:
        try:
            ident = identity(os.stat(path))  # noqa: PTH116 - a str path is cheaper in this loop
            record = None
            digest = cache.digest_for(path, ident) if cache else None
            if digest is not None:
                record = cache.lookup(digest)
            if record is None:
                data = limits.read_limited(Path(path), RecordError)  # a huge file is not read
                digest = hashlib.sha256(data).hexdigest()
                record = cache.lookup(digest) if cache else None
                blob = None
                if record is None:
                    record = parse_record(data, Path(path))
                    blob = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL) if cache else None
                entries.append((path, ident, digest, blob))
            problems = check_record(record, registry, options.today)
            if problems:
                failures.append(Failure(path, tuple(problems)))
                continue
            found.append(
                row_for(
                    record,
                    registry,
                    options.as_of,
                    council=_WORKER["council"],
                    plugins=_WORKER["plugins"],
                )
            )
        except EcfError as exc:
            failures.append(Failure(path, tuple(attrs.evolve(p, file=None) for p in exc.problems)))
        except OSError as exc:
            failures.append(Failure(path, (Problem(f"cannot read: {exc.strerror}"),)))
    return found, failures, entries


def scan(
    files: Iterable[Path],
    options: ScanOptions,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    chunk: int = 250,
) -> tuple[list[CohortRow], list[Failure]]:
    """The rows of many record files, using every core and the record cache.

    Args:
        files: The record files.
        options: The as-of date, today, the framework and council files, the cache folder
            (``None``: no cache).
        workers: Processes to use (default: the number of cores); 1 runs in this process.
        progress: Called with the number of files done after each chunk.
        chunk: Files per task.

    Returns:
        The rows of the valid records and the failures, both in file order.
    """
    import concurrent.futures  # noqa: PLC0415
    import multiprocessing  # noqa: PLC0415

    from ecf.cache import RecordCache  # noqa: PLC0415

    paths = [str(f) for f in files]
    chunks = [paths[i : i + chunk] for i in range(0, len(paths), chunk)]
    workers = max(1, min(workers or os.cpu_count() or 1, len(chunks) or 1))
    results: list[tuple[list[CohortRow], list[Failure], list[CacheEntry]]] = []
    if workers == 1:
        _init_worker(options)
        for part in chunks:
            results.append(_scan_chunk(part))
            if progress:
                progress(len(part))
    else:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with concurrent.futures.ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_init_worker,
            initargs=(options,),
        ) as pool:
            for part, result in zip(chunks, pool.map(_scan_chunk, chunks), strict=True):
                results.append(result)
                if progress:
                    progress(len(part))
    if options.cache_dir is not None:
        cache = RecordCache(Path(options.cache_dir))
        cache.store(entry for _, _, entries in results for entry in entries)
        cache.close()
    return [r for rows_, _, _ in results for r in rows_], [
        f for _, fails, _ in results for f in fails
    ]
