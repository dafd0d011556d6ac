"""Crash safety: a writer killed (SIGKILL) at any point never leaves a broken record behind.

A child process saves one record over and over through the real write path (``store.locked``,
``open_record``, ``save``), cycling it through a few known versions; the test kills it after a
random delay, many times, and after each kill checks that the file parses and holds, byte for
byte, one of the versions the child could have written, and that the next write (which takes
the lock) succeeds and leaves no temporary file behind.

Every write is a pure function of the bytes it reads (the next version of the cycle, patched
into the document as read), so the set of files the child can produce is computed beforehand,
in this process, by following the cycle from the first file until it repeats.

While it waits to kill, the test reads the record again and again, as a reader would, and
each read must be one of the versions too (a reader sees the old file or the new one).

Half of the kills fall at a random moment; the other half wait a random moment, then until a
temporary file appears, then kill at once: a write is a small part of each loop (the temporary
file lives about 1.4 ms of a 5 ms loop on ext4, 0.15 ms of 4 ms on tmpfs, where fsync is free),
and those kills make sure the window between creating the temporary file and renaming it is
hit in every run.  The record is kept small on purpose: a larger one lengthens the tomlkit
parsing and patching of each loop far more than the write, so fewer kills would land in it.

Profiles: 30 kills by default (a few seconds); ``ECF_DURABILITY=long`` runs 500.
``ECF_DURABILITY_SEED`` repeats a run's timings.  ``benchmarks/durability.py`` prints the figures
of the long profile.

Run as a script (``python tests/test_crash.py FILE``) this module is the writer being killed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest

from ecf import store
from ecf.records import Evidence

if TYPE_CHECKING:
    from collections.abc import Container

    from ecf.records import Record

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

#: Kills in a run: the quick profile for every test run, the long one on demand.
LONG = os.environ.get("ECF_DURABILITY") == "long"
KILLS = 500 if LONG else 30
#: The longest random delay before a kill (seconds); a loop of the writer takes a few ms.
MAX_DELAY = 0.05
#: How long a targeted kill waits for a temporary file before killing anyway (seconds).
SIGHT_TIMEOUT = 2.0
#: The versions the writer cycles through: the first file plus 0, 1, ... added evidence items.
VERSIONS = 3
#: Evidence items in the record before the writer adds its own.
BASE_EVIDENCE = 2
DAY = dt.date(2026, 1, 5)


def next_version(record: Record) -> Record:
    """The next version in the cycle: one more evidence item, or back to the first ones."""
    extra = len(record.evidence) - BASE_EVIDENCE
    if extra + 1 < VERSIONS:
        number = len(record.evidence) + 1
        added = Evidence(id=f"ev-{number:03d}", kind="pdp", date=DAY, note=f"v{extra + 1}")
        evidence = (*record.evidence, added)
    else:
        evidence = record.evidence[:BASE_EVIDENCE]
    name = record.name.split(" v", 1)[0]
    return attrs.evolve(record, evidence=evidence, name=f"{name} v{(extra + 1) % VERSIONS}")


def write_next(path: Path) -> None:
    """One write through the real path: lock, read for editing, change, save."""
    with store.locked(path):
        opened = store.open_record(path)
        store.save(opened, next_version(opened.record))


def temporaries(path: Path) -> list[Path]:
    """The temporary files of writes to ``path`` (``.NAME.*.tmp`` beside it)."""
    return sorted(path.parent.glob(f".{path.name}.*.tmp"))


def orbit(path: Path, scratch: Path) -> dict[bytes, bytes]:
    """Every file the writer can leave, from ``path``'s content: each mapped to the next one.

    Computed by writing, in ``scratch``, through the same path as the writer, until a file
    repeats; a write depends only on the bytes it reads, so no other file can come out.
    """
    scratch.mkdir()
    copy = scratch / path.name
    copy.write_bytes(path.read_bytes())
    following: dict[bytes, bytes] = {}
    current = copy.read_bytes()
    for _ in range(10 * VERSIONS):
        write_next(copy)
        following[current] = current = copy.read_bytes()
        if current in following:
            return following
    msg = f"the writer's versions did not repeat after {10 * VERSIONS} writes"
    raise AssertionError(msg)


@dataclasses.dataclass
class CrashRun:
    """The figures of a run of kills."""

    kills: int = 0
    #: Kills after which a temporary file was there: the kill fell inside a write.
    mid_write: int = 0
    #: Of those, kills at a purely random moment (not waiting for a temporary file).
    mid_write_random: int = 0
    #: Kills that left a temporary file shorter than the version being written (torn).
    torn: int = 0
    #: Kills after which the record held each version, by index in the cycle.
    landed_on: dict[int, int] = dataclasses.field(default_factory=dict)
    versions: int = 0
    #: Reads of the record while the writer ran, each one of the versions.
    reads: int = 0
    seconds: float = 0.0


def start_writer(path: Path) -> subprocess.Popen[bytes]:
    """Start the writer on ``path``; returns once it is about to loop."""
    child = subprocess.Popen(
        [sys.executable, __file__, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    if child.stdout.readline() != b"ready\n":
        child.kill()
        _, err = child.communicate()
        msg = f"the writer did not start: {err.decode(errors='replace')}"
        raise AssertionError(msg)
    return child


def kill(
    child: subprocess.Popen[bytes],
    path: Path,
    delay: float,
    *,
    on_sight: bool,
    versions: Container[bytes] | None = None,
) -> int:
    """SIGKILL the writer after ``delay`` s (and, ``on_sight``, once a temporary file shows).

    While it waits, it reads the record again and again, as a reader would: with ``versions``,
    each read must be one of them (a reader sees the old file or the new one, never half).

    Returns:
        How many reads it checked.
    """
    reads = 0
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        if versions is not None:
            seen = path.read_bytes()
            assert seen in versions, f"a reader saw {len(seen)} bytes, not a version written"
            reads += 1
    if on_sight:
        deadline = time.monotonic() + SIGHT_TIMEOUT
        while not temporaries(path) and time.monotonic() < deadline:
            pass
    os.kill(child.pid, signal.SIGKILL)
    child.communicate()
    assert child.returncode == -signal.SIGKILL, f"the writer ended on its own: {child.returncode}"
    return reads


def crash_run(folder: Path, kills: int, seed: int) -> CrashRun:
    """Kill a writer of a record in ``folder`` ``kills`` times, checking the file after each.

    Raises:
        AssertionError: a kill left a file that is not one of the versions, a temporary file
            survived the next write, or the next write failed.
    """
    rng = random.Random(seed)  # noqa: S311 - timings, not secrets
    began = time.perf_counter()
    path = folder / "r.toml"
    make_record(path)
    following = orbit(path, folder / "scratch")
    versions = list(following)
    run = CrashRun(versions=len(versions))
    where = f"(seed {seed})"
    for number in range(kills):
        on_sight = number % 2 == 1
        child = start_writer(path)
        delay = rng.uniform(0, MAX_DELAY)
        run.reads += kill(child, path, delay, on_sight=on_sight, versions=following)
        run.kills += 1

        data = path.read_bytes()
        assert data in following, f"kill {number}: the record is not a version written {where}"
        store.read_record(path)  # and it parses, with its fields
        run.landed_on[versions.index(data)] = run.landed_on.get(versions.index(data), 0) + 1
        left = temporaries(path)
        assert len(left) <= 1, f"kill {number}: {len(left)} temporary files {where}"
        if left:
            run.mid_write += 1
            run.mid_write_random += not on_sight
            written = left[0].read_bytes()
            assert following[data].startswith(written), (
                f"kill {number}: the temporary file is not the next version: was the record "
                f"written in place? {where}"
            )
            run.torn += len(written) < len(following[data])

        write_next(path)  # the next write takes the lock: a leftover never makes it fail
        assert temporaries(path) == [], f"kill {number}: a temporary file survived {where}"
        assert path.read_bytes() == following[data], f"kill {number}: wrong next write {where}"
    run.seconds = time.perf_counter() - began
    return run


def make_record(path: Path) -> None:
    """A valid record with a few evidence items, through the CLI."""
    args = ["new", str(path), "--id", "r1", "--name", "Alex Example", "--qualified"]
    code, output = cli(*args, "2025-06-01", "--stage", "asye", "--start", "2025-09-01")
    assert code == 0, output
    for number in range(BASE_EVIDENCE):
        args = ["add", "evidence", str(path), "--kind", "pdp", "--date", str(DAY)]
        code, output = cli(*args, "--note", f"base {number}")
        assert code == 0, output


def seed_of_run() -> int:
    """``$ECF_DURABILITY_SEED``, or a new random seed (shown when a check fails)."""
    return int(os.environ.get("ECF_DURABILITY_SEED") or random.randrange(2**32))  # noqa: S311


def cli(*args: str) -> tuple[int, str]:
    """Run ``ecf`` in this process: exit code and output."""
    from click.testing import CliRunner  # noqa: PLC0415 - the writer script does not need it

    from ecf.cli import main  # noqa: PLC0415

    env = {"ECF_USER": "tester", "ECF_FRAMEWORK_PATH": None}
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


# --- the tests -------------------------------------------------------------------------------


def test_a_writer_killed_at_random_points_leaves_a_whole_version(tmp_path: Path) -> None:
    seed = seed_of_run()
    run = crash_run(tmp_path, KILLS, seed)
    assert run.kills == KILLS
    # The run exercised the window: some kills fell between the temporary file and the rename.
    assert run.mid_write > 0, f"no kill fell inside a write (seed {seed}): {run}"
    # And the writer made progress between kills: they found the record in several versions.
    assert len(run.landed_on) > 1, f"every kill found the same version (seed {seed}): {run}"


def test_a_temporary_file_left_by_a_kill_never_blocks_the_next_cli_write(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    make_record(path)
    for _ in range(50):
        kill(start_writer(path), path, 0.0, on_sight=True)
        if temporaries(path):
            break
    else:
        pytest.fail("no kill left a temporary file in 50 tries")
    store.read_record(path)

    args = ["add", "evidence", str(path), "--kind", "pdp", "--date", str(DAY)]
    code, output = cli(*args, "--note", "after the crash")
    assert code == 0, output
    assert temporaries(path) == []
    assert store.read_record(path).evidence[-1].note == "after the crash"
    assert cli("validate", str(path)) == (0, f"{path}: ok (r1)\n")


def _writer(path: Path) -> None:
    """Write ``path`` in a loop until killed (the child process)."""
    store.open_record(path)  # the first read warms tomlkit and cattrs up
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        write_next(path)


if __name__ == "__main__":
    _writer(Path(sys.argv[1]))
