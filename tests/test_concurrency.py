"""Concurrent writers: processes appending to one record at once lose nothing, and wait briefly.

Two worker processes (multiprocessing, ``spawn``) each run ``ecf add evidence`` on the same file
many times, in-process through click's runner, so each append takes the real lock, reads,
changes, validates and saves exactly as the command does.  Afterwards every note is in the file
exactly once, the evidence ids are unique, the history has one entry per append, and the file
validates.  A writer that cannot get the lock in ``$ECF_LOCK_TIMEOUT`` seconds stops with a clear
error instead of hanging; one that gets it in time waits, then writes.  And the writer of one
record leaves alone the temporary files of another whose name starts with the same characters
(``r.toml`` and ``r.toml.old.toml``), which it used to delete mid-write.

Profiles: 2 x 40 appends by default; ``ECF_DURABILITY=long`` runs 2 x 200 (with
``benchmarks/durability.py``, which prints the figures).
"""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing
import os
import queue
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from ecf import store
from ecf.cli import main

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Barrier

LONG = os.environ.get("ECF_DURABILITY") == "long"
WRITERS = 2
APPENDS = 200 if LONG else 40
DAY = "2026-01-05"
#: The workers wait as long as it takes: the lock is not fair (a waiter polls it every 50 ms,
#: and a writer looping in one process takes it again within a millisecond), so one worker may
#: wait for most of the other's appends; that is measured (``slowest``), not failed.
ENV = {"ECF_USER": "tester", "ECF_FRAMEWORK_PATH": None, "ECF_LOCK_TIMEOUT": "600"}


def cli(*args: str) -> tuple[int, str]:
    """Run ``ecf`` in this process: exit code and output (stdout and stderr)."""
    result = CliRunner().invoke(main, list(args), env=ENV)
    return result.exit_code, result.output


def append(path: Path, note: str) -> tuple[int, str]:
    """``ecf add evidence FILE --kind pdp --date 2026-01-05 --note NOTE``."""
    return cli("add", "evidence", str(path), "--kind", "pdp", "--date", DAY, "--note", note)


def make_record(path: Path) -> None:
    """A new valid record, through the CLI."""
    args = ["new", str(path), "--id", "r1", "--name", "Alex Example", "--qualified"]
    code, output = cli(*args, "2025-06-01", "--stage", "asye", "--start", "2025-09-01")
    assert code == 0, output


@dataclasses.dataclass
class Finished:
    """What one worker reports: its failures and timings."""

    writer: int
    failures: list[str]
    started: float
    ended: float
    slowest: float


def appender(path: str, writer: int, count: int, barrier: Barrier, out: Queue[Finished]) -> None:
    """Append ``count`` notes ``W{writer}-{i}`` to ``path`` (a worker process)."""
    failures: list[str] = []
    slowest = 0.0
    barrier.wait()
    started = time.time()
    for number in range(count):
        before = time.perf_counter()
        code, output = append(Path(path), f"W{writer}-{number}")
        slowest = max(slowest, time.perf_counter() - before)
        if code != 0:
            failures.append(f"W{writer}-{number}: exit {code}: {output.strip()}")
    out.put(Finished(writer, failures, started, time.time(), slowest))


@dataclasses.dataclass
class ConcurrentRun:
    """The figures of a run of concurrent appends."""

    writers: int
    appends: int
    kept: int
    #: Times the history switches from one writer's append to the other's: they interleaved.
    interleavings: int
    #: Seconds during which every writer was appending.
    overlap: float
    #: The longest single append, waiting for the lock included.
    slowest: float
    seconds: float


def concurrent_run(folder: Path, writers: int, appends: int) -> ConcurrentRun:
    """Run ``writers`` processes x ``appends`` appends on one record and check it after.

    Raises:
        AssertionError: an append failed, a note is missing or doubled, ids repeat, the history
            does not have one entry per append, or the file does not validate.
    """
    began = time.perf_counter()
    path = folder / "r.toml"
    make_record(path)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(writers)
    out: Queue[Finished] = context.Queue()
    workers = [
        context.Process(target=appender, args=(str(path), w, appends, barrier, out))
        for w in range(writers)
    ]
    for worker in workers:
        worker.start()
    finished: list[Finished] = []
    while len(finished) < writers:
        try:
            finished.append(out.get(timeout=1))
        except queue.Empty:
            broken = [w.exitcode for w in workers if w.exitcode not in {None, 0}]
            assert not broken, f"a worker ended with {broken[0]} before reporting"
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0, f"a worker ended with {worker.exitcode}"
    failures = [line for f in finished for line in f.failures]
    assert failures == [], "\n".join(failures)

    record = store.read_record(path)
    expected = sorted(f"W{w}-{i}" for w in range(writers) for i in range(appends))
    notes = sorted(e.note or "" for e in record.evidence)
    assert notes == expected, "notes lost or doubled"
    ids = [e.id for e in record.evidence]
    assert len(set(ids)) == len(ids), "evidence ids repeat"
    added = [h for h in record.history if h.action == "add-evidence"]
    assert len(added) == writers * appends, "not one history entry per append"
    assert sorted((h.detail or "").split()[0] for h in added) == sorted(ids)
    assert cli("validate", str(path)) == (0, f"{path}: ok (r1)\n")
    assert sorted(folder.glob(".r.toml.*.tmp")) == [], "a temporary file was left"

    by_note = {e.id: (e.note or "").split("-")[0] for e in record.evidence}
    order = [by_note[(h.detail or "").split()[0]] for h in added]
    return ConcurrentRun(
        writers=writers,
        appends=writers * appends,
        kept=len(notes),
        interleavings=sum(a != b for a, b in itertools.pairwise(order)),
        overlap=min(f.ended for f in finished) - max(f.started for f in finished),
        slowest=max(f.slowest for f in finished),
        seconds=time.perf_counter() - began,
    )


# --- the tests -------------------------------------------------------------------------------


def test_concurrent_appends_through_the_cli_lose_nothing(tmp_path: Path) -> None:
    run = concurrent_run(tmp_path, WRITERS, APPENDS)
    assert run.kept == WRITERS * APPENDS
    assert run.overlap > 0, f"the writers did not append at the same time: {run}"


def lock_env(timeout: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "ECF_FRAMEWORK_PATH"}
    return {**env, "ECF_USER": "tester", "ECF_LOCK_TIMEOUT": timeout}


def add_command(path: Path, note: str) -> list[str]:
    args = ["add", "evidence", str(path), "--kind", "pdp", "--date", DAY, "--note", note]
    return [sys.executable, "-m", "ecf", *args]


def test_a_writer_that_waits_too_long_gets_a_clear_error_not_a_hang(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    make_record(path)
    before = path.read_bytes()
    with store.locked(path):
        start = time.perf_counter()
        done = subprocess.run(
            add_command(path, "late"),
            capture_output=True,
            text=True,
            env=lock_env("0.5"),
            timeout=10,  # a hang fails here
            check=False,
        )
        took = time.perf_counter() - start
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"error: {path}: another process is writing this record; gave up after 0.5 s\n"
    )
    assert path.read_bytes() == before
    assert 0.5 <= took < 5


def test_a_writer_waits_for_the_lock_then_writes(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    make_record(path)
    before = path.read_bytes()
    with store.locked(path):
        child = subprocess.Popen(
            add_command(path, "queued"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=lock_env("30"),
        )
        time.sleep(0.5)
        assert child.poll() is None, "the writer did not wait for the lock"
        assert path.read_bytes() == before
    out, err = child.communicate(timeout=60)
    assert (child.returncode, out, err) == (0, "ev-001\n", "")
    assert store.read_record(path).evidence[-1].note == "queued"


def test_a_writer_leaves_the_temporary_files_of_other_records_alone(tmp_path: Path) -> None:
    # `r.toml.old.toml` is another record, written under its own lock: the temporary file of a
    # write of it in progress (named as atomic_write names it) starts with `.r.toml.` too.
    path = tmp_path / "r.toml"
    other = tmp_path / "r.toml.old.toml"
    fd, name = tempfile.mkstemp(prefix=f".{other.name}.", suffix=".tmp", dir=tmp_path)
    os.close(fd)
    in_progress = Path(name)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=tmp_path)
    os.close(fd)
    stale = Path(name)
    with store.locked(path):
        assert not stale.exists()  # this record's leftover is cleared
        assert in_progress.exists()  # the other record's write is left alone
    with store.locked(other):
        assert not in_progress.exists()  # and cleared under its own lock


@pytest.mark.parametrize("name", ["r.toml", "r[1].toml", "r*.toml"])
def test_leftovers_are_cleared_whatever_the_record_is_called(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    fd, stale = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=tmp_path)
    os.close(fd)
    with store.locked(path):
        assert not Path(stale).exists()
