"""Durability: the long profiles of the crash and concurrency tests, with their figures.

Run: python benchmarks/durability.py [--kills 500] [--writers 2] [--appends 200] [--seed N]
     [--dir FOLDER]

1. Crash safety (``tests/test_crash.py``): a writer saving a record in a loop is killed with
   SIGKILL after a random delay, ``--kills`` times; after each kill the record must be one of
   the versions written, whole, and the next write must succeed and leave no temporary file.
   Prints the kills survived, how many fell inside a write (a temporary file was there), how
   many of those left a torn temporary file, and the time taken.
2. Concurrent writers (``tests/test_concurrency.py``): ``--writers`` processes each run
   ``ecf add evidence`` ``--appends`` times on one record; every append must be kept once.
   Prints the appends kept, how often the writers took turns, the longest single append
   (waiting for the lock included) and the time taken.
3. A writer that cannot get the lock: ``ECF_LOCK_TIMEOUT=0.5``, the time until it gives up.

Any broken promise stops the run with the failed check (an ``AssertionError``).  ``--dir``
runs in another folder (e.g. ``/dev/shm``, where fsync costs nothing and writes are shortest).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import test_concurrency  # noqa: E402 - the tests' machinery, from the folder beside this one
import test_crash  # noqa: E402
from ecf import store  # noqa: E402


def give_up(folder: Path) -> tuple[int, float]:
    """Exit code and seconds of ``ecf add evidence`` while this process holds the lock."""
    path = folder / "r.toml"
    test_concurrency.make_record(path)
    env = test_concurrency.lock_env("0.5")
    with store.locked(path):
        start = time.perf_counter()
        done = subprocess.run(
            test_concurrency.add_command(path, "late"),
            capture_output=True,
            env=env,
            check=False,
        )
        return done.returncode, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=500)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--appends", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    os.environ["ECF_USER"] = "benchmark"
    os.environ.pop("ECF_FRAMEWORK_PATH", None)
    seed = test_crash.seed_of_run() if args.seed is None else args.seed
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        print(f"folder: {folder}")

        print(f"\n1. crash safety: {args.kills} SIGKILLs of a writer (seed {seed})")
        crashes = folder / "crash"
        crashes.mkdir()
        run = test_crash.crash_run(crashes, args.kills, seed)
        random_kills = run.kills - run.kills // 2
        print(f"   kills survived (record whole, next write clean): {run.kills} of {run.kills}")
        print(f"   kills inside a write (a temporary file was there): {run.mid_write}")
        on_sight = run.mid_write - run.mid_write_random
        print(f"     at a random moment:   {run.mid_write_random} of {random_kills}")
        print(f"     on sight of the file: {on_sight} of {run.kills // 2}")
        print(f"     torn (the temporary file incomplete): {run.torn}")
        print(f"   reads while the writer ran, each a whole version: {run.reads}")
        landed = ", ".join(f"{v}: {n}" for v, n in sorted(run.landed_on.items()))
        print(f"   record found in version ({run.versions} possible, 0 the first): {landed}")
        print(f"   time: {run.seconds:.1f} s ({run.seconds / run.kills * 1000:.0f} ms a kill)")

        total = args.writers * args.appends
        print(f"\n2. concurrent writers: {args.writers} processes x {args.appends} appends")
        appends = folder / "appends"
        appends.mkdir()
        together = test_concurrency.concurrent_run(appends, args.writers, args.appends)
        print(f"   appends kept (each note once, unique ids, valid): {together.kept} of {total}")
        print(f"   turns (the history switching writer): {together.interleavings}")
        print(f"   writers appending at the same time: {together.overlap:.1f} s")
        print(f"   longest append (waiting for the lock included): {together.slowest:.2f} s")
        per = together.seconds / total * 1000
        print(f"   time: {together.seconds:.1f} s ({per:.0f} ms an append, all writers together)")

        print("\n3. a writer that cannot get the lock (ECF_LOCK_TIMEOUT=0.5)")
        waiting = folder / "waiting"
        waiting.mkdir()
        code, took = give_up(waiting)
        print(f"   exit {code} after {took:.2f} s")


if __name__ == "__main__":
    main()
