"""Issue 14 item 2: filling the cache asks it a few queries a chunk, not one or two a file.

A scan's worker reads a chunk's files the cache does not hold by their identity ahead (within
a budget), and asks the cache about their contents in one query (``remember_contents``); a
record just parsed asks for no remembered verdict (the cache did not hold it: nor a verdict).
What is read is what a file read alone gives (``tests/test_read_path.py`` checks that under
every kind of spoilt entry); these tests check the queries, the budget and content found
under another path.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from ecf import cache as cache_module
from ecf import cohort, sources, store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synth  # the benchmarks folder is put on the path just above

TODAY = synth.TODAY


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL statement the caches opened in this process run (``set_trace_callback``)."""
    seen: list[str] = []
    original = cache_module.RecordCache.__init__

    def traced(self: cache_module.RecordCache, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self.db is not None:
            self.db.set_trace_callback(seen.append)

    monkeypatch.setattr(cache_module.RecordCache, "__init__", traced)
    return seen


def scan(root: Path, cache: Path | None, chunk: int = 10) -> tuple[list[Any], list[Any]]:
    where = None if cache is None else str(cache)
    options = cohort.ScanOptions(as_of=TODAY, today=TODAY, cache_dir=where)
    return cohort.scan(cohort.record_files(root), options, workers=1, chunk=chunk)


def one_by_one(found: list[str]) -> list[str]:
    """The queries that ask about one record or one verdict (not a chunk's ``IN (...)``)."""
    return [s for s in found if s.startswith("SELECT") and "IN (" not in s]


def test_filling_asks_the_cache_a_few_queries_a_chunk(
    tmp_path: Path, statements: list[str]
) -> None:
    root = tmp_path / "records"
    synth.generate(root, 30)
    cold = scan(root, None)  # no cache: the yardstick
    statements.clear()
    filled = scan(root, tmp_path / "cache")
    assert filled == cold
    assert one_by_one(statements) == []
    chunks = [s for s in statements if "FROM records WHERE digest IN" in s]
    assert len(chunks) == 3  # one a chunk of 10: the contents read ahead
    assert not [s for s in statements if "FROM verdicts WHERE key IN" in s]  # no file known


def test_files_beyond_the_budget_are_read_in_their_turn(
    tmp_path: Path, statements: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "records"
    paths = synth.generate(root, 12)
    size = paths[0].stat().st_size
    cold = scan(root, tmp_path / "cold")
    monkeypatch.setattr(sources, "_AHEAD_BYTES", size * 2)  # about two files a chunk
    statements.clear()
    assert scan(root, tmp_path / "cache", chunk=6) == cold
    lone = one_by_one(statements)
    assert lone  # the files beyond the budget asked about one by one, as alone
    assert all("FROM records WHERE digest = " in s for s in lone)


def test_content_known_under_another_path_is_not_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "records"
    synth.generate(root, 8)
    first = scan(root, tmp_path / "cache")
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)  # new paths and identities, the same contents
    parsed: list[str] = []
    original = store.parse_record

    def counting(data: bytes, path: Path) -> Any:
        parsed.append(str(path))
        return original(data, path)

    monkeypatch.setattr(store, "parse_record", counting)
    again = scan(copy, tmp_path / "cache")
    assert parsed == []
    assert again[0] == first[0]
