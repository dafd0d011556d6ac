"""The SQLite export written by its workers (issue 14, item 2): the same database, row for row.

Each worker of ``ecf export --format sqlite`` writes its records' rows to a file of its own
(:class:`ecf.database.ExportParts`), and the parent merges those files in file order.  These
tests hold that database to the one :func:`ecf.database.write_database` writes for the same
records (every table's rows in rowid order, every view's rows, the schema), on generated
cohorts and on the shipped example cohort, with one worker and two, records left out (ids
several files hold), records whose rows fail half way, and more workers' files than may be
attached at once; and they hold a failed export to leaving nothing on disk (a worker that
dies, a target that is not ecf's database, a full disk).  Seen failing: merging places that
do not follow each other (``and run[2] == place[1]`` left out of ``_Merge.add``), leaving out
``chunk_end()`` in ``cohort._scan_chunk``, or the ``rmtree`` in ``ExportParts.__exit__``.  (The
rows a failed record made are dropped from the buffer, ``del`` in ``_PartWriter.add``, to keep
the files small; no place names them, so the outcome does not depend on it.)
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ecf import cohort, database, sources, timeline
from ecf.cohort import ScanContext, ScanOptions
from ecf.council import load_council
from ecf.errors import EcfError
from ecf.framework import FrameworkRegistry
from ecf.records import record_from_dict
from ecf.store import render
from ecf.testing.strategies import records

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ecf.records import Record

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synth  # the benchmarks folder is put on the path just above

ROOT = Path(__file__).resolve().parent.parent
COHORT = ROOT / "examples" / "cohort"
COUNCIL = ROOT / "examples" / "councils" / "baseline.toml"
REGISTRY = FrameworkRegistry.default()
TODAY = synth.TODAY
AS_OF = dt.date(2026, 11, 24)
KEY = b"0123456789abcdef0123"
MADE = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _no_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_DISABLE_PLUGIN_AUTOLOAD", "1")


def contents(path: Path) -> dict[str, Any]:
    """Every table's rows in rowid order, every view's rows, and the schema, of a database."""
    with sqlite3.connect(path) as db:
        found: dict[str, Any] = {}
        for name, kind, sql in db.execute("SELECT name, type, sql FROM sqlite_master"):
            found[f"schema {name}"] = sql
            order = " ORDER BY rowid" if kind == "table" else ""
            if kind in {"table", "view"}:
                found[name] = db.execute(f"SELECT * FROM {name}{order}").fetchall()  # noqa: S608
        return found


def merged(
    chunks: Iterable[list[Record]],
    out: Path,
    *,
    key: bytes | None = None,
    skip: frozenset[str] = frozenset(),
    council: Any = None,
) -> dict[str, int]:
    """The database of the records through :class:`ExportParts` in this process, chunk by chunk.

    The places of the ids in ``skip`` are left out, as a scan leaves out ids several files hold.
    """
    funding = database.database_funding(AS_OF)
    context = ScanContext(REGISTRY, AS_OF, TODAY, council)
    with database.ExportParts(out, key=key, funding=funding) as parts:
        places = []
        for chunk in chunks:
            for record in chunk:
                place = parts.each(record, context)
                if record.id not in skip:
                    places.append(place)
            parts.chunk_end()
        return parts.write(places, AS_OF, council=council, generated=MADE)


def _unique(items: list[Record]) -> list[Record]:
    return [attrs.evolve(r, id=f"r{n:03d}") for n, r in enumerate(items)]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    found=st.lists(records(today=TODAY, max_evidence=8), max_size=7).map(_unique),
    cuts=st.lists(st.integers(1, 3), max_size=7),
    skipped=st.sets(st.integers(0, 6), max_size=3),
    pseudonymise=st.booleans(),
)
def test_the_merged_database_is_the_database_of_the_records(
    tmp_path_factory: pytest.TempPathFactory,
    found: list[Record],
    cuts: list[int],
    skipped: set[int],
    pseudonymise: bool,
) -> None:
    tmp = tmp_path_factory.mktemp("db")
    key = KEY if pseudonymise else None
    skip = frozenset(r.id for n, r in enumerate(found) if n in skipped)
    kept = [r for r in found if r.id not in skip]
    chunks, rest = [], list(found)
    for cut in cuts:
        chunks.append(rest[:cut])
        rest = rest[cut:]
    chunks.append(rest)
    counts = merged(chunks, tmp / "new.db", key=key, skip=skip)
    want = database.write_database(kept, tmp / "old.db", REGISTRY, AS_OF, key=key, generated=MADE)
    assert contents(tmp / "new.db") == contents(tmp / "old.db")
    assert counts == want
    assert sorted(p.name for p in tmp.iterdir()) == ["new.db", "old.db"]


def test_a_record_whose_rows_fail_half_way_leaves_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record's rows are kept all or none: one failing after its first tables leaves none."""
    loaded = sources.load_folder(COHORT / "batch-0000", REGISTRY, TODAY).records[:6]
    real = database._Rows._items

    def failing(rows: Any, record: Record, rid: str) -> None:
        real(rows, record, rid)
        if record.id == loaded[2].id:
            raise EcfError("no such framework")

    monkeypatch.setattr(database._Rows, "_items", failing)
    funding = database.database_funding(AS_OF)
    context = ScanContext(REGISTRY, AS_OF, TODAY)
    with database.ExportParts(tmp_path / "new.db", funding=funding) as parts:
        places = []
        for record in loaded:
            try:
                places.append(parts.each(record, context))
            except EcfError:
                continue
        parts.chunk_end()
        parts.write(places, AS_OF, generated=MADE)
    monkeypatch.undo()
    kept = [r for r in loaded if r.id != loaded[2].id]
    database.write_database(kept, tmp_path / "old.db", REGISTRY, AS_OF, generated=MADE)
    assert contents(tmp_path / "new.db") == contents(tmp_path / "old.db")


def test_more_workers_files_than_may_be_attached_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file is attached when its rows are next, the oldest detached (here one at a time)."""
    monkeypatch.setattr(database, "_MOST_ATTACHED", 1)
    folder = tmp_path / "records"
    shutil.copytree(COHORT / "batch-0000", folder)
    want = _old_database(folder, tmp_path / "old.db")
    _scanned_database(folder, tmp_path / "new.db", workers=2, chunk=3)
    assert contents(tmp_path / "new.db") == want


def _old_database(
    folder: Path, out: Path, *, key: bytes | None = None, council_file: Path | None = None
) -> dict[str, Any]:
    loaded = sources.load_folder(folder, REGISTRY, TODAY)
    council = load_council(council_file) if council_file else None
    database.write_database(
        loaded.records, out, REGISTRY, AS_OF, key=key, council=council, generated=MADE
    )
    return contents(out)


def _scanned_database(
    folder: Path,
    out: Path,
    *,
    workers: int,
    chunk: int,
    key: bytes | None = None,
    council_file: Path | None = None,
    each: Callable[[Record, ScanContext], Any] | None = None,
    chunk_end: Callable[[], None] | None = None,
) -> tuple[dict[str, int], list[sources.Failure]]:
    """The export's own path: the parallel scan, each worker writing its file, the merge."""
    options = ScanOptions(
        as_of=AS_OF, today=TODAY, council_file=str(council_file) if council_file else None
    )
    council = load_council(council_file) if council_file else None
    funding = database.database_funding(AS_OF)
    with (
        database.ExportParts(out, key=key, funding=funding) as parts,
        cohort.scan_records(
            cohort.record_files(folder),
            options,
            each or parts.each,
            workers=workers,
            chunk=chunk,
            chunk_end=chunk_end or parts.chunk_end,
        ) as scanned,
    ):
        counts = parts.write(scanned, AS_OF, council=council, generated=MADE)
        return counts, scanned.failures


@pytest.mark.parametrize(("workers", "chunk"), [(1, 250), (2, 7), (2, 1)])
def test_the_example_cohort_through_the_workers_is_the_database_of_its_records(
    tmp_path: Path, workers: int, chunk: int
) -> None:
    want = _old_database(COHORT, tmp_path / "old.db", key=KEY, council_file=COUNCIL)
    counts, failures = _scanned_database(
        COHORT, tmp_path / "new.db", workers=workers, chunk=chunk, key=KEY, council_file=COUNCIL
    )
    assert failures == []
    assert contents(tmp_path / "new.db") == want
    assert counts["records"] == len(want["records"]) == 150
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db", "old.db"]


def _write_layout(root: Path, layout: list[int | None]) -> None:
    """One file per item: a synthetic record with that number's id, or a bad file (``None``)."""
    root.mkdir()
    base = synth.records(7, seed=3)
    for place, number in enumerate(layout):
        path = root / f"f{place:03d}.toml"
        if number is None:
            path.write_text("not = [toml\n", encoding="utf-8")
        else:
            data = dict(base[number])
            data["id"] = f"p{number:03d}"
            path.write_text(render(record_from_dict(data)), encoding="utf-8")


@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    layout=st.lists(st.one_of(st.none(), st.integers(0, 6)), min_size=1, max_size=10),
    chunk=st.integers(1, 3),
)
def test_ids_several_files_hold_and_bad_files_are_left_out_as_before(
    tmp_path_factory: pytest.TempPathFactory, layout: list[int | None], chunk: int
) -> None:
    """Two workers, small chunks: the kept records' rows, in file order, and nothing else."""
    tmp = tmp_path_factory.mktemp("layout")
    _write_layout(tmp / "records", layout)
    counts, failures = _scanned_database(tmp / "records", tmp / "new.db", workers=2, chunk=chunk)
    loaded = sources.load_folder(tmp / "records", REGISTRY, TODAY)
    database.write_database(loaded.records, tmp / "old.db", REGISTRY, AS_OF, generated=MADE)
    assert contents(tmp / "new.db") == contents(tmp / "old.db")
    assert [f.source for f in failures] == [f.source for f in loaded.failures]
    assert counts["records"] == len(loaded.records)


def _dies(record: Record, context: ScanContext) -> Any:  # noqa: ARG001 - a scan's signature
    """A scan's function of each record that kills the worker running it."""
    os._exit(3)


def _dies_at_chunk_end() -> None:
    os._exit(3)


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_nothing_is_left_when_a_worker_dies(tmp_path: Path) -> None:
    from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

    out = tmp_path / "out"
    out.mkdir()
    for each, end in ((_dies, None), (None, _dies_at_chunk_end)):
        with pytest.raises(BrokenProcessPool):
            _scanned_database(COHORT, out / "c.db", workers=2, chunk=20, each=each, chunk_end=end)
        assert _left(out) == []  # the workers' folder was made there, and is gone


def test_nothing_is_left_when_the_target_is_not_ecfs(tmp_path: Path) -> None:
    target = tmp_path / "report.db"
    target.write_text("someone's notes\n", encoding="utf-8")
    with pytest.raises(EcfError, match="is not a database ecf wrote"):
        _scanned_database(COHORT / "batch-0000", target, workers=2, chunk=20)
    assert _left(tmp_path) == ["report.db"]
    assert target.read_text(encoding="utf-8") == "someone's notes\n"


def test_a_full_disk_in_a_worker_is_one_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: Any) -> None:  # noqa: ARG001 - the method it replaces
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(database._PartWriter, "flush", full)
    for workers in (1, 2):
        with pytest.raises(EcfError) as raised:
            _scanned_database(COHORT, tmp_path / "c.db", workers=workers, chunk=20)
        assert raised.value.lines() == [
            f"{tmp_path / 'c.db'}: cannot write the database: database or disk is full"
        ]
        assert _left(tmp_path) == []


FULL_DISK = """
import resource, signal, sys
from ecf.cli import main
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
main(sys.argv[2:])
"""


@pytest.mark.parametrize("limit", [64 * 1024, 2 * 1024 * 1024])
def test_a_real_full_disk_fails_the_export_and_leaves_nothing(tmp_path: Path, limit: int) -> None:
    """Files may not grow past ``limit`` (RLIMIT_FSIZE): the worker's file (1.3 MB) fails at
    64 KiB, the merged database (2.5 MB) at 2 MiB."""
    out = tmp_path / "out"
    out.mkdir()
    ran = subprocess.run(
        [
            sys.executable,
            "-c",
            FULL_DISK,
            str(limit),
            "export",
            str(COHORT),
            "--format",
            "sqlite",
            "--out",
            str(out / "c.db"),
            "--as-of",
            str(AS_OF),
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "ECF_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.startswith(f"error: {out / 'c.db'}: cannot write the database: "), ran.stderr
    assert ran.stderr.count("\n") == 1
    assert _left(out) == []


def test_the_workers_files_have_every_column_of_each_table() -> None:
    with sqlite3.connect(":memory:") as db:
        for name in database._PART_TABLES:
            db.execute(f"CREATE TABLE {name} ({database.TABLES[name].strip()})")
            info = db.execute(f"PRAGMA table_info({name})").fetchall()
            assert database._columns(name) == tuple(row[1] for row in info)
    assert "ecf_export" not in database._PART_TABLES


# The supervision rule's windows (``timeline.judged_windows``, about 45 % of the rules' time):
# the days away counted span by span instead of as a set of days, and the last window's uncut
# length found with the schedule instead of by making it again up to three times.  These are
# the functions as they were, to hold the new ones to.


def _old_days_away(first: dt.date, last: dt.date, away: list[tuple[dt.date, dt.date]]) -> int:
    covered: set[dt.date] = set()
    for a, b in away:
        day, stop = max(a, first), min(b, last)
        while day <= stop:
            covered.add(day)
            day += dt.timedelta(days=1)
    return len(covered)


def _old_full_length(start: dt.date, first: dt.date, periods: Any, paused: Any) -> int:
    for extra in (62, 400, 4000):
        later = first + dt.timedelta(days=extra)
        found = [
            (a, b)
            for a, b in timeline.frequency_windows(start, later, periods, paused)
            if a == first
        ]
        if found and found[0][1] < later:
            return (found[0][1] - first).days + 1
    return extra


def _old_judged_windows(
    start: dt.date, end: dt.date, periods: Any, paused: Any, away: Any
) -> tuple[timeline.Window, ...]:
    raw = list(timeline.frequency_windows(start, end, periods, paused))
    joined = False
    if len(raw) >= 2:
        first, last = raw[-1]
        if ((last - first).days + 1) * 2 < _old_full_length(start, first, periods, paused):
            raw[-2:] = [(raw[-2][0], last)]
            joined = True
    spells = [*away, *((p.first, p.last) for p in paused)]
    out = []
    for index, (first, last) in enumerate(raw):
        days_away = _old_days_away(first, last, spells)
        length = (last - first).days + 1
        out.append(
            timeline.Window(
                first,
                last,
                days_away,
                exempt=(length - days_away) * 2 < length,
                joined=joined and index == len(raw) - 1,
            )
        )
    return tuple(out)


START = dt.date(2025, 1, 1)
_spells = st.lists(
    st.tuples(st.integers(-30, 900), st.integers(0, 120)).map(
        lambda t: (START + dt.timedelta(days=t[0]), START + dt.timedelta(days=t[0] + t[1]))
    ),
    max_size=5,
)
_periods = st.one_of(
    st.just(timeline.SUPERVISION),
    st.lists(
        st.one_of(
            st.builds(
                timeline.Period,
                every=st.one_of(st.integers(1, 60), st.integers(3000, 9000)),
                until=st.one_of(st.none(), st.integers(1, 400)),
            ),
            st.builds(
                timeline.Period,
                every_months=st.integers(1, 13),
                until_months=st.one_of(st.none(), st.integers(1, 30)),
            ),
        ),
        min_size=1,
        max_size=3,
    ).map(tuple),
)


@settings(max_examples=300)
@example(  # a last window longer than the longest period a rule may have: counted as 4000 days
    length=3000,
    periods=(timeline.Period(every=10, until=20), timeline.Period(every=9000)),
    paused=[],
    away=[],
)
@given(
    length=st.one_of(st.integers(0, 1200), st.integers(2000, 6000)),
    periods=_periods,
    paused=_spells,
    away=_spells,
)
def test_the_judged_windows_are_those_they_were(
    length: int, periods: Any, paused: list[tuple[dt.date, dt.date]], away: Any
) -> None:
    pauses = tuple(
        timeline.Pause(a, b) for a, b in sorted(paused) if a >= START
    )  # pauses in order, within the stage, not overlapping (as timeline.pauses makes them)
    kept: list[timeline.Pause] = []
    for p in pauses:
        if not kept or p.first > kept[-1].last:
            kept.append(p)
    end = START + dt.timedelta(days=length)
    got = timeline.judged_windows(START, end, periods, tuple(kept), away)
    assert got == _old_judged_windows(START, end, periods, tuple(kept), away)
