"""Cohorts for council HR tools: many records at once, as of a date.

This module is long because a cohort row, its filters, its summary and the parallel scan that
makes rows on every core are read together by every report over many records.

Load a cohort from a folder of record files (recursively) or from plain rows an HR database
produces; :mod:`ecf.sources` reads them (:func:`load_folder`, :func:`load_rows` and
:func:`record_files` are its own, named here too).  One bad record never sinks the cohort: it
is reported with its source and field, and the rest is processed.  For each record, a
:class:`CohortRow` holds what HR tools ask for: stage, state, expected end, next milestone and
its due date, overdue count, and, with a council configuration, the assessors' recommendation
and its top reasons.

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
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from ecf.agreements import same_name
from ecf.errors import EcfError
from ecf.framework import FrameworkRegistry
from ecf.parsing import LAST_DATE
from ecf.records import c_record
from ecf.sources import (
    CacheEntry,
    Duplicate,
    Failure,
    Listing,
    Loaded,
    listing,
    load_folder,
    load_rows,
    one_per_id,
    read_files,
    read_row,
    record_files,
    record_paths,
)
from ecf.status import brief
from ecf.validation import check_record

if TYPE_CHECKING:
    import concurrent.futures
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from ecf.assessors import Plugins
    from ecf.cache import RecordCache, Verdict
    from ecf.council import Council
    from ecf.records import Record

T = TypeVar("T")

__all__ = [
    "CohortRow",
    "Failure",
    "Listing",
    "Loaded",
    "ScanContext",
    "ScanOptions",
    "Scanned",
    "Summary",
    "cohort_row",
    "listing",
    "load_folder",
    "load_rows",
    "matches",
    "record_files",
    "record_paths",
    "rows",
    "scan",
    "scan_items",
    "scan_records",
    "stream",
    "summarise",
]


@attrs.frozen
class CohortRow:
    """One record of a cohort as of a date: the columns of ``ecf cohort``.

    Attributes:
        team: The record's ``extra.team``, if any.
        next_milestone: The next milestone not yet held (and its due date).
        overdue: How many milestones are overdue.
        recommendation: The assessors' recommendation, when a council was given.
        reasons: The top reasons for it: the rules missed, in error or behind pace.
        assessor: The practitioner's assessor on the date (a colleague's name: personal data,
            dropped from pseudonymised exports).
        support_gaps: The support rules missed (supervision...), when a council was given: the
            employer's gaps, never counted towards the recommendation (BASELINE.md).
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
    assessor: str | None = None
    support_gaps: int | None = None


def _reasons(findings: Iterable[Any], limit: int = 3) -> tuple[str, ...]:
    order = {"error": 0, "missed": 1, "pending": 2}
    worrying = [
        f
        for f in findings
        if getattr(f, "category", "practitioner") != "support"  # the employer's, shown apart
        and (f.status in ("error", "missed") or (f.status == "pending" and f.behind))
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

    A council's settings apply to the row's dates as to its assessment, so the expected end
    shown is the one the recommendation was made against.

    Raises:
        EcfError: when the record's framework is unknown or an assessor's rule file is invalid.
    """
    st = brief(record, registry, as_of, settings=council.settings if council else None)
    tl, nxt = st.timeline, st.next
    recommendation = None
    reasons: tuple[str, ...] = ()
    gaps = None
    if council is not None:
        from ecf.assessors import assess  # noqa: PLC0415 - only with a council

        result = assess(record, registry, as_of, council=council, plugins=plugins)
        recommendation = result.recommendation
        reasons = _reasons(result.findings)
        gaps = result.support_gaps
    team = record.extra.get("team")
    overdue = st.overdue
    return CohortRow(
        id=record.id,
        council=record.council,
        team=team if isinstance(team, str) else None,
        stage=tl.stage,
        stage_start=tl.start,
        expected_end=tl.expected_end,
        state=st.state,
        next_milestone=nxt[0] if nxt else None,
        next_due=nxt[1] if nxt else None,
        overdue=len(overdue),
        overdue_milestones=overdue,
        recommendation=recommendation,
        reasons=reasons,
        assessor=st.assessor,
        support_gaps=gaps,
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
    assessor: str | None = None,
    support_gaps: bool = False,
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
        assessor: The record's assessor on the date is this person (the same name, ignoring
            case and outer spaces).
        support_gaps: At least one support gap (needs the assessors: rows without a council
            have none known, and do not pass).
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
    if support_gaps and not row.support_gaps:
        return False
    if assessor is not None and not same_name(row.assessor, assessor):
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
        read = _read(number, item, registry, today)
        if isinstance(read, Failure):
            yield read
            continue
        try:
            yield row_for(read, registry, as_of, council=council, plugins=plugins)
        except EcfError as exc:
            yield Failure(f"row {number}", exc.problems)


#: The record lists whose dates validation holds between dates the C path checks and today: a
#: piece of evidence on or after the qualification date, a review held on or after its stage's
#: start; both on or before today.
_BOUNDED = frozenset({"evidence", "milestones"})
#: From which row on :func:`_read` takes the C path (as :func:`ecf.records.record_from_dict`
#: does: msgspec's import and mirrors cost about 25 ms once), unless msgspec is imported.
_READ_NATIVE_FROM = 64


def _read(
    number: int, item: Mapping[str, Any], registry: FrameworkRegistry, today: dt.date
) -> Record | Failure:
    """:func:`ecf.sources.read_row`, with the dates of :data:`_BOUNDED` checked once.

    The C path checks that every date of a record is in range (1950 to 2100); validation then
    holds each piece of evidence and each review held between the qualification date or its
    stage's start (in range, checked) and today.  So when today is in range and the record is
    valid, those dates were in range, and the C path need not gather them (about 50 of a
    record's 60 dates).  Anything else, a record the C path declines or validation finds a
    problem in, is read again by ``read_row``: the same record, or the same failure with the
    same problems, as ever (``tests/test_throughput.py``).
    """
    if (
        type(item) is dict
        and today <= LAST_DATE
        and (number >= _READ_NATIVE_FROM or "msgspec" in sys.modules)
    ):
        record = c_record(item, deferred=_BOUNDED)
        if record is not None and not check_record(record, registry, today):
            return record
    return read_row(number, item, registry, today)


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
    support_gaps: int = 0


def summarise(
    cohort_rows: Iterable[CohortRow], as_of: dt.date, *, days: int = 30, failed: int = 0
) -> Summary:
    """Counts by stage and state, how many are due within ``days``, how many are overdue."""
    by_stage: dict[str, int] = {}
    by_state: dict[str, int] = {}
    by_rec: dict[str, int] = {}
    total = due = late = gaps = 0
    for row in cohort_rows:
        total += 1
        gaps += row.support_gaps or 0
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
        gaps,
    )


@attrs.frozen
class ScanOptions:
    """What a worker process needs to rebuild the context of a scan (all picklable)."""

    as_of: dt.date
    today: dt.date
    framework_files: tuple[str, ...] = ()
    council_file: str | None = None
    cache_dir: str | None = None


@attrs.frozen
class ScanContext:
    """What each valid record of a scan is reported against, in the process that read it.

    The function a scan applies to each record (:func:`scan_records`) receives the record and
    this: the frameworks, the dates, the council's configuration when a council file was given,
    and the plugins (found once per process).
    """

    registry: FrameworkRegistry
    as_of: dt.date
    today: dt.date
    council: Council | None = None
    plugins: Plugins | None = None


def cohort_row(record: Record, context: ScanContext) -> CohortRow:
    """A record's :class:`CohortRow` in a scan (:func:`row_for` with the scan's context)."""
    return row_for(
        record, context.registry, context.as_of, council=context.council, plugins=context.plugins
    )


_WORKER: dict[str, Any] = {}


def _init_worker(
    options: ScanOptions,
    each: Callable[[Record, ScanContext], Any] = cohort_row,
    chunk_end: Callable[[], None] | None = None,
) -> None:
    from ecf.assessors import get_plugins  # noqa: PLC0415
    from ecf.cache import RecordCache  # noqa: PLC0415

    registry = FrameworkRegistry.default([Path(p) for p in options.framework_files])
    council = None
    if options.council_file is not None:
        from ecf.council import load_council  # noqa: PLC0415

        council = load_council(options.council_file)
    # Found once per process (nothing is imported until used): a report that assesses every
    # record, such as the database export, must not look for them again for each record.
    plugins = get_plugins()
    # Each worker writes what it parsed to the cache itself, a chunk at a time, so nothing
    # parsed travels back to the parent (issue 14: the parent's memory stays flat).
    cache = RecordCache(Path(options.cache_dir)) if options.cache_dir else None
    context = _verdict_context(registry, options) if cache is not None else None
    _WORKER.update(
        options=options,
        registry=registry,
        council=council,
        plugins=plugins,
        cache=cache,
        context=context,
        scope=ScanContext(registry, options.as_of, options.today, council, plugins),
        each=each,
        chunk_end=chunk_end,
    )


def _verdict_context(registry: FrameworkRegistry, options: ScanOptions) -> str | None:
    """The context the cache remembers validation verdicts in, or ``None`` to remember none.

    Made from the files this worker loaded (every framework file, the council file), ecf's
    version and today (:func:`ecf.cache.verdict_context`).
    """
    import hashlib  # noqa: PLC0415

    from ecf.cache import verdict_context  # noqa: PLC0415
    from ecf.limits import read_limited  # noqa: PLC0415

    frameworks = registry.digest()
    if frameworks is None:
        return None
    council = None
    if options.council_file is not None:
        try:
            data = read_limited(options.council_file, EcfError)
        except (OSError, EcfError):
            return None
        council = hashlib.sha256(data).hexdigest()
    return verdict_context(frameworks, council, options.today)


#: How many chunks per worker a scan keeps in flight: enough to keep every worker busy, few
#: enough that what waits for the parent stays small.
_AHEAD = 4

#: One file's outcome in a scan: ``(file, record id, value)``, or the file's failure.
_Outcome = tuple[str, str, T] | Failure

#: What a worker sends back for a chunk: each file's record id or failure, in file order, and
#: the values of the valid ones, pickled together (the parent of a streamed scan only spills
#: them to disk, without unpickling them).
_Chunk = tuple[list[str | Failure], bytes]


def _scan_chunk(paths: list[str]) -> _Chunk:
    """Read (through the cache), check and report on each file of a chunk, in order.

    What the cache lacked is stored by this process, in one transaction for the chunk.
    """
    import pickle  # noqa: PLC0415

    options: ScanOptions = _WORKER["options"]
    registry: FrameworkRegistry = _WORKER["registry"]
    cache: RecordCache | None = _WORKER["cache"]
    each: Callable[[Record, ScanContext], Any] = _WORKER["each"]
    scope: ScanContext = _WORKER["scope"]
    outcomes: list[str | Failure] = []
    values: list[Any] = []
    entries: list[CacheEntry] = []
    verdicts: list[Verdict] = []
    reads = read_files(paths, registry, options.today, cache=cache, context=_WORKER["context"])
    for path, read in zip(paths, reads, strict=True):
        if read.entry is not None:
            entries.append(read.entry)
        if read.verdict is not None:
            verdicts.append(read.verdict)
        if read.record is None:
            outcomes.append(read.failure or Failure(path, ()))
            continue
        try:
            value = each(read.record, scope)
        except EcfError as exc:
            outcomes.append(Failure(path, tuple(attrs.evolve(p, file=None) for p in exc.problems)))
        else:
            outcomes.append(read.record.id)
            values.append(value)
    if cache is not None and (entries or verdicts):
        cache.store(entries, verdicts)
    chunk_end: Callable[[], None] | None = _WORKER.get("chunk_end")
    if chunk_end is not None:
        chunk_end()
    return outcomes, pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL)


def _chunks(
    paths: Listing,
    options: ScanOptions,
    each: Callable[[Record, ScanContext], Any],
    *,
    workers: int | None,
    progress: Callable[[int], None] | None,
    chunk: int,
    chunk_end: Callable[[], None] | None = None,
) -> Iterator[tuple[int, list[str], _Chunk]]:
    """Each chunk of files (its first file's place, its files) and what its worker sent back.

    The chunks come in file order, each as soon as it and those before it are done.
    At most a few chunks per worker are in flight at a time, so what waits in this process
    does not grow with the cohort.
    """
    import collections  # noqa: PLC0415
    import concurrent.futures  # noqa: PLC0415
    import multiprocessing  # noqa: PLC0415

    from ecf.cache import RecordCache  # noqa: PLC0415

    chunks = paths.parts(chunk)  # made as they are sent: the paths are never all strings
    count = -(-len(paths) // chunk)
    workers = max(1, min(workers or os.cpu_count() or 1, count or 1))
    if options.cache_dir is not None:
        # Create the cache (folder, file, tables) once here, so the workers that write to it
        # do not race to create it.
        RecordCache(Path(options.cache_dir)).close()
    if workers == 1:
        _init_worker(options, each, chunk_end)
        try:
            for number, part in enumerate(chunks):
                result = _scan_chunk(part)
                if progress:
                    progress(len(part))
                yield number * chunk, part, result
        finally:
            if _WORKER.get("cache") is not None:
                _WORKER["cache"].close()
            _WORKER.clear()
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = concurrent.futures.ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context(method),
        initializer=_init_worker,
        initargs=(options, each, chunk_end),
    )
    try:
        waiting = enumerate(chunks)
        flight: collections.deque[tuple[int, list[str], concurrent.futures.Future[_Chunk]]]
        flight = collections.deque()
        for number, part in waiting:
            if flight:
                flight.append((number, part, pool.submit(_scan_chunk, part)))
            else:
                flight.append((number, part, _first(pool, part)))
            if len(flight) >= _AHEAD * workers:
                break
        while flight:
            number, part, future = flight.popleft()
            result = future.result()
            following = next(waiting, None)
            if following is not None:
                flight.append((*following, pool.submit(_scan_chunk, following[1])))
            if progress:
                progress(len(part))
            yield number * chunk, part, result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _first(
    pool: concurrent.futures.ProcessPoolExecutor, part: list[str]
) -> concurrent.futures.Future[_Chunk]:
    """Submit a scan's first chunk: the workers are forked now, with this process's objects frozen.

    A forked worker shares this process's memory until either writes to it; Python's garbage
    collector, walking every object it tracks, would write to (and so copy) the pages of every
    object inherited.  Frozen (:func:`gc.freeze`), those are left out of the worker's
    collections; here they are collected as before once the workers are started.  A program
    that froze objects itself (a server forking its own workers) keeps its freeze: it is left
    as it is, neither added to nor undone.
    """
    import gc  # noqa: PLC0415

    if gc.get_freeze_count():
        return pool.submit(_scan_chunk, part)
    gc.freeze()
    try:
        return pool.submit(_scan_chunk, part)
    finally:
        gc.unfreeze()


def scan_items(
    files: Iterable[str | os.PathLike[str]],
    options: ScanOptions,
    each: Callable[[Record, ScanContext], T],
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    chunk: int = 250,
) -> Iterator[tuple[str, str, T] | Failure]:
    """Each file's ``(file, record id, each(record, context))``, or its failure, in file order.

    The files are read as :func:`scan` reads them; ids held by several files are not sorted out
    here (see :func:`ecf.sources.one_per_id` and :func:`scan_records`).  An :class:`EcfError`
    raised by ``each`` is the file's failure.
    """
    import pickle  # noqa: PLC0415

    paths = listing(files)
    for _, part, (outcomes, data) in _chunks(
        paths, options, each, workers=workers, progress=progress, chunk=chunk
    ):
        values = iter(pickle.loads(data))  # noqa: S301 - made by this scan's own workers
        for path, outcome in zip(part, outcomes, strict=True):
            if isinstance(outcome, Failure):
                yield outcome
            else:
                yield path, outcome, next(values)


def scan(
    files: Iterable[str | os.PathLike[str]],
    options: ScanOptions,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    chunk: int = 250,
) -> tuple[list[CohortRow], list[Failure]]:
    """The rows of many record files, using every core and the record cache.

    Each file is read by :func:`ecf.sources.read_file`, once however many times it is named
    (a folder stands for its record files).  :func:`scan_records` gives the same rows without
    keeping them all in memory.

    Args:
        files: The record files.
        options: The as-of date, today, the framework and council files, the cache folder
            (``None``: no cache).
        workers: Processes to use (default: the number of cores); 1 runs in this process.
        progress: Called with the number of files done after each chunk.
        chunk: Files per task.

    Returns:
        The rows of the valid records and the failures, both in file order; a record id that
        several files hold is one failure naming them all, and none of them has a row.
    """
    kept, failures, _ = one_per_id(
        scan_items(files, options, cohort_row, workers=workers, progress=progress, chunk=chunk)
    )
    return [row for _, row in kept], failures


class Scanned(Generic[T]):
    """What a streamed scan kept: each valid record's value, on disk, read back in file order.

    The values were written to an anonymous temporary file (owner-only, already unlinked: it
    is gone when closed, or when the process ends) as the workers sent them, so memory does not
    grow with the cohort; iterating reads them back, as often as needed, leaving out every id
    that several files hold.  Use it as a context manager, or :meth:`close` it.

    Attributes:
        failures: One per file that could not be used, and one per id held by several files
            (naming them all) in the place of its first file: as :func:`scan` gives them.
        duplicates: The ids held by several files; none of their values is given.
        files: How many files were read.
    """

    def __init__(
        self,
        spill: IO[bytes],
        failures: list[Failure],
        duplicates: tuple[Duplicate, ...],
        files: int,
    ) -> None:
        self._spill = spill
        self.failures = failures
        self.duplicates = duplicates
        self.files = files
        self._skip = frozenset(d.id for d in duplicates)

    def __iter__(self) -> Iterator[T]:
        """Each value held once, in file order (read back from the spill file)."""
        import pickle  # noqa: PLC0415

        spill = self._spill
        spill.seek(0)
        skip = self._skip
        while True:
            try:
                ids, data = pickle.load(spill)  # noqa: S301 - written by this scan, unlinked
            except EOFError:
                return
            values: list[T] = pickle.loads(data)  # noqa: S301 - made by this scan's workers
            if skip:
                yield from (v for i, v in zip(ids, values, strict=True) if i not in skip)
            else:
                yield from values

    def close(self) -> None:
        """Drop the spill file."""
        self._spill.close()

    def __enter__(self) -> Scanned[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Ids:
    """Each record id of a scan and the place of its file, in a temporary SQLite database.

    A dict of 100,000 ids would grow this process by about 14 MiB; the database keeps them
    on disk (a private temporary file SQLite deletes when closed) behind a small page cache.
    """

    def __init__(self) -> None:
        import sqlite3  # noqa: PLC0415

        self._db = sqlite3.connect("")  # "": a private temporary database, deleted when closed
        # A small page cache (SQLite's default is 2 MiB): the ids are written once, in order,
        # and read once, so a cache the size of the table would only grow this process.
        self._db.execute("PRAGMA cache_size = -256")  # KiB
        self._db.execute("CREATE TABLE held (id TEXT NOT NULL, place INTEGER NOT NULL)")

    def add(self, ids: list[str], places: list[int]) -> None:
        """Note that the files at ``places`` hold the records ``ids``."""
        self._db.executemany("INSERT INTO held VALUES (?, ?)", zip(ids, places, strict=True))

    def several(self) -> list[tuple[str, list[int]]]:
        """The ids several files hold, with the places of those files, in the order of the first.

        Each id comes once, with its places in file order; the ids come in the order of their
        first file, as :func:`ecf.sources.one_per_id` gives them.
        """
        found: dict[str, list[int]] = {}
        for record_id, place in self._db.execute(
            "SELECT id, place FROM held WHERE id IN "
            "(SELECT id FROM held GROUP BY id HAVING count(*) > 1) ORDER BY place"
        ):
            found.setdefault(record_id, []).append(place)
        return list(found.items())

    def close(self) -> None:
        self._db.close()


def scan_records(
    files: Iterable[str | os.PathLike[str]],
    options: ScanOptions,
    each: Callable[[Record, ScanContext], T],
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    chunk: int = 250,
    chunk_end: Callable[[], None] | None = None,
) -> Scanned[T]:
    """Scan record files as :func:`scan` does, giving ``each(record, context)`` of each one.

    The values stream to a temporary file as the workers send them; this process keeps only
    each record id's first file (to find the ids several files hold) and the failures.  The
    result gives the values in file order, the failures and the duplicated ids exactly as
    :func:`scan` and :func:`ecf.sources.one_per_id` would.

    Args:
        files: The record files (a folder stands for its record files; each file once).
        options: The as-of date, today, the framework and council files, the cache folder.
        each: What to compute from each valid record, in the worker that read it; it must be
            picklable (a module's function, or a :func:`functools.partial` of one), and an
            :class:`EcfError` it raises is that file's failure.
        workers: Processes to use (default: the number of cores); 1 runs in this process.
        progress: Called with the number of files done after each chunk.
        chunk: Files per task.
        chunk_end: Called (with no argument) in the worker after each chunk's values are made,
            before they are sent back; it must be picklable, as ``each``.  The database export
            writes each worker's buffered rows to that worker's own file there
            (:class:`ecf.database.ExportParts`); an exception it raises stops the scan.
    """
    import pickle  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    paths = listing(files)
    failed: list[tuple[int, Failure]] = []
    spill = tempfile.TemporaryFile()  # noqa: SIM115 - the Scanned returned closes it
    held = _Ids()
    try:
        for start, _, (outcomes, data) in _chunks(
            paths,
            options,
            each,
            workers=workers,
            progress=progress,
            chunk=chunk,
            chunk_end=chunk_end,
        ):
            ids: list[str] = []
            places: list[int] = []
            for place, outcome in enumerate(outcomes, start):
                if isinstance(outcome, Failure):
                    failed.append((place, outcome))
                else:
                    ids.append(outcome)
                    places.append(place)
            held.add(ids, places)
            pickle.dump((ids, data), spill, protocol=pickle.HIGHEST_PROTOCOL)
        several = held.several()
    except BaseException:
        spill.close()
        raise
    finally:
        held.close()
    duplicates = tuple(
        Duplicate(record_id, tuple(paths[p] for p in places)) for record_id, places in several
    )
    failed.extend(
        (places[0], d.failure()) for d, (_, places) in zip(duplicates, several, strict=True)
    )
    failed.sort(key=lambda item: item[0])
    return Scanned(spill, [f for _, f in failed], duplicates, len(paths))
