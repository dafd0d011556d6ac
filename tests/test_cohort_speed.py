"""Issue 14 (a cohort, and throughput): what the speed work must keep, tested without a clock.

The workers of a scan write the cache themselves, and the parent receives rows only; a warm
scan (everything from the cache) gives the very rows of a cold one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ecf import cache as cache_module
from ecf import cohort
from ecf.cohort import ScanOptions
from ecf.framework import FrameworkRegistry
from ecf.records import record_from_dict
from ecf.store import render

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synth  # the benchmarks folder is put on the path just above

REGISTRY = FrameworkRegistry.default()
TODAY = synth.TODAY


def cohort_folder(root: Path, count: int) -> Path:
    """``count`` synthetic record files in ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for number, item in enumerate(synth.records(count, seed=11)):
        (root / f"r{number:04d}.toml").write_text(render(record_from_dict(item)), encoding="utf-8")
    return root


@pytest.fixture
def stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each call of ``RecordCache.store`` leaves a file named by the process that made it."""
    marks = tmp_path / "stores"
    marks.mkdir()
    original = cache_module.RecordCache.store

    def store(self: cache_module.RecordCache, entries: object, verdicts: object = ()) -> None:
        kept = list(entries)  # type: ignore[call-overload]
        if kept:
            (marks / f"{os.getpid()}-{len(list(marks.iterdir()))}").write_text(
                str(len(kept)), encoding="utf-8"
            )
        original(self, kept, verdicts)  # type: ignore[arg-type]

    monkeypatch.setattr(cache_module.RecordCache, "store", store)
    return marks


@pytest.mark.parametrize("workers", [1, 2])
def test_the_workers_write_the_cache_and_a_warm_scan_gives_the_same_rows(
    tmp_path: Path, stores: Path, workers: int
) -> None:
    root = cohort_folder(tmp_path / "records", 12)
    options = ScanOptions(as_of=TODAY, today=TODAY, cache_dir=str(tmp_path / "cache"))
    cold, cold_failures = cohort.scan(cohort.record_files(root), options, workers=workers, chunk=3)
    writers = {mark.name.split("-")[0] for mark in stores.iterdir()}
    stored = sum(int(mark.read_text(encoding="utf-8")) for mark in stores.iterdir())
    assert stored == 12  # every file's entry, each stored once
    if workers > 1:
        assert str(os.getpid()) not in writers  # the parent stores nothing
    for mark in stores.iterdir():
        mark.unlink()
    warm, warm_failures = cohort.scan(cohort.record_files(root), options, workers=workers, chunk=3)
    assert warm == cold
    assert warm_failures == cold_failures == []
    # Warm: every record came from the cache by its content, so the only entries are the files'
    # identities (not yet settled), without the record's data.
    assert sum(int(mark.read_text(encoding="utf-8")) for mark in stores.iterdir()) <= 12


def test_a_scan_in_one_process_leaves_no_cache_open(tmp_path: Path) -> None:
    root = cohort_folder(tmp_path / "records", 3)
    options = ScanOptions(as_of=TODAY, today=TODAY, cache_dir=str(tmp_path / "cache"))
    cohort.scan(cohort.record_files(root), options, workers=1)
    assert cohort._WORKER == {}
