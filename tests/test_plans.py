"""Issue 14 item 2: the plans of a record's stages remembered with the cached record, never stale.

A remembered plan is the computed one, as of any date (:mod:`ecf.plans`); it is kept under the
record's content, every framework file, ecf's version (:func:`ecf.cache.plan_context`), the
council's settings and the enrolment (:func:`ecf.plans.slot`), so that any other of them counts
the plan again; an entry that is corrupt, planted or of another stage is refused, counted again
and written anew; and a warm scan gives the very rows and calendar of a cold one.
"""

from __future__ import annotations

import datetime as dt
import functools
import pickle
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecf import cache as cache_module
from ecf import cohort, ical, plans
from ecf.council_settings import CouncilSettings
from ecf.framework import FrameworkRegistry
from ecf.plans import PlanBook, decode_plans, encode_plans, slot
from ecf.progression import stage_plan, timeline_for
from ecf.records import AgreedDate, Employment, record_from_dict
from ecf.status import status
from ecf.store import render
from ecf.testing import strategies

if TYPE_CHECKING:
    from ecf.records import Enrolment, Record
    from ecf.timeline import StagePlan

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synth  # the benchmarks folder is put on the path just above

TODAY = synth.TODAY
REGISTRY = FrameworkRegistry.default()
BASELINE = Path(cohort.__file__).parent / "data" / "frameworks" / "baseline-2026.toml"
DB = f"records.{cache_module.FORMAT}.sqlite3"
DAYS_30 = dt.timedelta(days=30)
DAYS_100 = dt.timedelta(days=100)
#: Settings that change the dates (a shorter pause threshold, reviews by calendar months).
COUNCILS = (
    None,
    CouncilSettings(pause_threshold_days=14),
    CouncilSettings(review_cadence="calendar"),
)


def items(count: int, seed: int = 5) -> list[dict[str, Any]]:
    return list(synth.records(count, seed=seed))


def write(root: Path, records: list[dict[str, Any]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for number, item in enumerate(records):
        (root / f"r{number:04d}.toml").write_text(render(record_from_dict(item)), encoding="utf-8")
    return root


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the records whose plans ``ecf.plans`` counted (``stage_plan`` called)."""
    seen: list[str] = []

    def counting(record: Record, enrolment: Enrolment, *args: Any, **kwargs: Any) -> StagePlan:
        seen.append(record.id)
        return stage_plan(record, enrolment, *args, **kwargs)

    monkeypatch.setattr(plans, "stage_plan", counting)
    return seen


def scan(root: Path, options: cohort.ScanOptions, each: Any = cohort.cohort_row) -> list[Any]:
    return list(cohort.scan_items(cohort.record_files(root), options, each, workers=1, chunk=4))


def remembered(cache: Path) -> dict[str, bytes]:
    """The plans the cache holds, by record id."""
    db = sqlite3.connect(cache / DB)
    try:
        return dict(db.execute("SELECT record_id, data FROM plans").fetchall())
    finally:
        db.close()


def plant(cache: Path, data: bytes, *, checksum: bool = True) -> None:
    """Every plans entry replaced by ``data`` (with its right checksum, unless told)."""
    db = sqlite3.connect(cache / DB)
    digest = cache_module._checksum(data) if checksum else "0" * 64
    with db:
        db.execute("UPDATE plans SET data = ?, checksum = ?", (data, digest))
    db.close()


# --- The remembered plan is the computed one -----------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    strategies.records(REGISTRY, TODAY, max_evidence=3),
    st.sampled_from(COUNCILS),
    st.lists(st.dates(dt.date(2018, 1, 1), dt.date(2032, 12, 31)), min_size=1, max_size=4),
)
def test_a_remembered_plan_is_the_computed_one_as_of_any_date(
    record: Record, council: CouncilSettings | None, days: list[dt.date]
) -> None:
    computed = {
        slot(i, council): stage_plan(record, e, REGISTRY, settings=council)
        for i, e in enumerate(record.enrolments)
    }
    data = encode_plans(computed)
    assert data is not None
    back = decode_plans(data)
    assert back == computed
    book = PlanBook()
    for day in days:
        for i, enrolment in enumerate(record.enrolments):
            book.begin(record, data)
            tl = timeline_for(record, enrolment, REGISTRY, day, settings=council, plans=book)
            assert tl == computed[slot(i, council)].as_of(day)
            assert tl == timeline_for(record, enrolment, REGISTRY, day, settings=council)
            assert book.finish() is None  # nothing counted: nothing to store
        book.begin(record, data)
        assert status(record, REGISTRY, day, settings=council, plans=book) == status(
            record, REGISTRY, day, settings=council
        )
        assert book.finish() is None
        book.begin(record, data)
        assert ical.upcoming(record, REGISTRY, day, settings=council, plans=book) == (
            ical.upcoming(record, REGISTRY, day, settings=council)
        )
        assert book.finish() is None


def test_the_plans_of_synthetic_records_come_back_as_they_were() -> None:
    """Agreed dates, gaps between employers, extensions: what the strategy does not draw."""
    for number, item in enumerate(items(60, seed=11)):
        record = record_from_dict(item)
        if number % 2:  # a date agreed for the second milestone, and a gap between employers
            current = record.enrolments[-1]
            stage = REGISTRY.get(current.framework).stage(current.stage)
            assert stage is not None
            first = record.enrolments[0].start
            record = attrs.evolve(
                record,
                agreed=(
                    AgreedDate(current.stage, stage.milestones[1].id, current.start + DAYS_100),
                ),
                employment=(
                    Employment(first, "E09000030", first + DAYS_30),
                    Employment(first + DAYS_100, "E08000025"),
                ),
            )
            assert record.gaps()
        for council in COUNCILS:
            computed = {
                slot(i, council): stage_plan(record, e, REGISTRY, settings=council)
                for i, e in enumerate(record.enrolments)
            }
            data = encode_plans(computed)
            assert data is not None
            assert decode_plans(data) == computed


def test_a_book_counts_and_notes_what_it_was_not_given() -> None:
    record = record_from_dict(items(1)[0])
    enrolment = record.enrolments[-1]
    book = PlanBook()
    book.begin(record, None)
    tl = timeline_for(record, enrolment, REGISTRY, TODAY, plans=book)
    data = book.finish()
    assert data is not None
    assert tl == timeline_for(record, enrolment, REGISTRY, TODAY)
    back = decode_plans(data)
    assert back == {slot(len(record.enrolments) - 1, None): stage_plan(record, enrolment, REGISTRY)}
    # Another record than the one begun: counted, nothing noted.
    other = attrs.evolve(record, id="someone-else")
    book.begin(record, data)
    assert timeline_for(other, other.enrolments[-1], REGISTRY, TODAY, plans=book) == tl
    assert book.finish() is None


# --- Never stale -----------------------------------------------------------------------------


def test_a_warm_scan_counts_no_plan_again_and_gives_the_same_rows_and_calendar(
    tmp_path: Path, counted: list[str]
) -> None:
    records = items(9)
    records[3]["enrolments"][0]["framework"] = "nowhere-1"  # a failure: nothing remembered
    root = write(tmp_path / "records", records)
    options = cohort.ScanOptions(as_of=TODAY, today=TODAY, cache_dir=str(tmp_path / "cache"))
    cold = scan(root, options)
    assert len(counted) == 8
    assert len(remembered(tmp_path / "cache")) == 8
    counted.clear()
    assert scan(root, options) == cold
    assert counted == []  # every plan came from the cache
    assert scan(root, cohort.ScanOptions(as_of=TODAY, today=TODAY)) == cold  # no cache
    # Another as-of date: the same plans serve it.
    later = attrs.evolve(options, as_of=TODAY + dt.timedelta(days=400))
    assert scan(root, later) == scan(root, attrs.evolve(later, cache_dir=None))
    assert counted == []
    # The calendar asks for every stage's plan: those not remembered yet are counted, once.
    calendar = functools.partial(ical.calendar_item, days=365)
    cold_calendar = scan(root, attrs.evolve(options, cache_dir=None), calendar)
    counted.clear()
    assert scan(root, options, calendar) == cold_calendar
    assert len(counted) <= sum(len(r["enrolments"]) for r in records)
    counted.clear()
    assert scan(root, options, calendar) == cold_calendar
    assert counted == []


@pytest.mark.parametrize("council", COUNCILS[1:])
def test_other_council_settings_count_the_plans_again(
    tmp_path: Path, counted: list[str], council: CouncilSettings
) -> None:
    root = write(tmp_path / "records", items(3))
    options = cohort.ScanOptions(as_of=TODAY, today=TODAY, cache_dir=str(tmp_path / "cache"))
    plain = functools.partial(ical.calendar_item, days=3650)
    local = functools.partial(ical.calendar_item, days=3650, settings=council)
    scan(root, options, plain)
    scan(root, options, local)
    counted.clear()
    assert scan(root, options, local) == scan(root, attrs.evolve(options, cache_dir=None), local)
    assert scan(root, options, plain) == scan(root, attrs.evolve(options, cache_dir=None), plain)
    assert counted == []  # both remembered, side by side
    book = PlanBook()
    record = record_from_dict(items(1)[0])
    data = encode_plans({slot(0, None): stage_plan(record, record.enrolments[0], REGISTRY)})
    book.begin(record, data)
    counted.clear()
    timeline_for(record, record.enrolments[0], REGISTRY, TODAY, settings=council, plans=book)
    assert counted == [record.id]  # under other settings: counted, not the one remembered


def test_a_changed_framework_file_counts_every_plan_again(
    tmp_path: Path, counted: list[str]
) -> None:
    framework = tmp_path / "local.toml"
    text = BASELINE.read_text(encoding="utf-8")
    framework.write_text(text.replace('"baseline-2026"', '"local-2026"', 1), encoding="utf-8")
    records = items(3)
    for item in records:
        item["enrolments"] = item["enrolments"][:1]
        item["enrolments"][0]["framework"] = "local-2026"
        item["decisions"] = []
        item.pop("milestones", None)
    root = write(tmp_path / "records", records)
    options = cohort.ScanOptions(
        as_of=TODAY,
        today=TODAY,
        framework_files=(str(framework),),
        cache_dir=str(tmp_path / "cache"),
    )
    first = scan(root, options)
    counted.clear()
    assert scan(root, options) == first
    assert counted == []
    # The same version, the last review a month later: every expected end moves.
    changed = text.replace('"baseline-2026"', '"local-2026"', 1).replace(
        "months = 12\n", "months = 13\n"
    )
    assert changed != text
    framework.write_text(changed, encoding="utf-8")
    after = scan(root, options)
    assert len(counted) == 3
    assert after == scan(root, attrs.evolve(options, cache_dir=None))
    assert after != first


def test_another_ecf_version_counts_every_plan_again(
    tmp_path: Path, counted: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write(tmp_path / "records", items(3))
    options = cohort.ScanOptions(as_of=TODAY, today=TODAY, cache_dir=str(tmp_path / "cache"))
    scan(root, options)
    context = cache_module.plan_context("frameworks")
    monkeypatch.setattr(cache_module, "_FORMAT", f"{cache_module.FORMAT}/0.0.0-another")
    assert cache_module.plan_context("frameworks") != context
    counted.clear()
    scan(root, options)
    assert len(counted) == 3


# --- Refused, counted again, written anew ----------------------------------------------------


class _Planted:
    """A pickle that would run code when loaded: the cache must never load it."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (print, ("planted code ran",))


_another_stage = msgspec.msgpack.encode(
    [[0, "-", ["expert", "Expert", "2020-01-01", "baseline-2026", [], "2021-01-01", [], None, []]]]
)

PLANTED = {
    "not MessagePack": b"\xc1",
    "a pickle": pickle.dumps(_Planted()),
    "a string": msgspec.msgpack.encode("plans"),
    "a plan of another stage": _another_stage,
    "a date out of range": _another_stage.replace(b"2021-01-01", b"2999-01-01"),
    "a milestone with a wrong type": _another_stage.replace(b"\x90", b"\x91\x91\x01", 1),
}


@pytest.mark.parametrize("data", PLANTED.values(), ids=PLANTED.keys())
def test_a_corrupt_or_planted_entry_is_refused_counted_and_written_anew(
    tmp_path: Path,
    counted: list[str],
    capsys: pytest.CaptureFixture[str],
    data: bytes,
) -> None:
    root = write(tmp_path / "records", items(3))
    options = cohort.ScanOptions(as_of=TODAY, today=TODAY, cache_dir=str(tmp_path / "cache"))
    cold = scan(root, options)
    good = remembered(tmp_path / "cache")
    plant(tmp_path / "cache", data)
    counted.clear()
    assert scan(root, options) == cold
    assert len(counted) == 3
    assert "planted" not in capsys.readouterr().out
    # Written anew: the next scan takes the plans from the cache.
    if decode_plans(data) is None:
        assert remembered(tmp_path / "cache") == good
    counted.clear()
    assert scan(root, options) == cold
    assert counted == []


def test_an_entry_whose_checksum_is_wrong_is_refused(tmp_path: Path, counted: list[str]) -> None:
    root = write(tmp_path / "records", items(2))
    options = cohort.ScanOptions(as_of=TODAY, today=TODAY, cache_dir=str(tmp_path / "cache"))
    cold = scan(root, options)
    good = remembered(tmp_path / "cache")
    plant(tmp_path / "cache", next(iter(good.values())), checksum=False)
    counted.clear()
    assert scan(root, options) == cold
    assert len(counted) == 2
    assert remembered(tmp_path / "cache") == good


def test_another_records_plans_are_refused(tmp_path: Path, counted: list[str]) -> None:
    """One record's plans planted under another's key: not its stage, start or id: refused."""
    root = write(tmp_path / "records", items(2))
    options = cohort.ScanOptions(as_of=TODAY, today=TODAY, cache_dir=str(tmp_path / "cache"))
    cold = scan(root, options)
    db = sqlite3.connect(tmp_path / "cache" / DB)
    with db:
        (first,), (second,) = db.execute("SELECT key FROM plans ORDER BY key").fetchall()
        db.execute("UPDATE plans SET key = 'moved' WHERE key = ?", (first,))
        db.execute("UPDATE plans SET key = ? WHERE key = ?", (first, second))
        db.execute("UPDATE plans SET key = ? WHERE key = 'moved'", (second,))
    db.close()
    counted.clear()
    assert scan(root, options) == cold
    assert len(counted) == 2


def test_forget_removes_the_plans_of_a_record(tmp_path: Path) -> None:
    records = items(2)
    root = write(tmp_path / "records", records)
    options = cohort.ScanOptions(as_of=TODAY, today=TODAY, cache_dir=str(tmp_path / "cache"))
    scan(root, options)
    assert cache_module.forget(records[0]["id"], tmp_path / "cache") == 1
    assert list(remembered(tmp_path / "cache")) == [records[1]["id"]]


def test_a_plan_that_would_not_come_back_is_not_kept() -> None:
    record = record_from_dict(items(1)[0])
    plan = stage_plan(record, record.enrolments[0], REGISTRY)
    late = attrs.evolve(plan, extensions=((dt.date(2100, 1, 1), dt.date(2101, 1, 1)),))
    assert encode_plans({(0, "-"): late}) is None
    odd = attrs.evolve(plan, last=dt.date(2026, 1, 1))  # type: ignore[arg-type] # not a str
    assert encode_plans({(0, "-"): odd}) is None
