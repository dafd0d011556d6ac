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
4. Migrate killed (``tests/test_migrate_recovery.py``): ``ecf migrate`` of a schema-2 record
   is killed with SIGKILL after a random delay, ``--migrate-kills`` times; after each kill the
   record must be the old file or the migrated one, whole, and a second ``ecf migrate`` must
   finish: the record at the current schema, intact under ``ecf verify``, the backup holding
   the bytes as they were.  Prints where the kills landed.
5. The cost of the seal and the signature: ``--appends`` changes through ``ecf.edit`` without
   a key and with an Ed25519 key, and ``ecf verify`` (with the public key) of the result.

``--trust-only`` runs parts 4 and 5 alone.  Any broken promise stops the run with the failed
check (an ``AssertionError``).  ``--dir`` runs in another folder (e.g. ``/dev/shm``, where
fsync costs nothing and writes are shortest).
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

FIXTURE = HERE.parent / "tests" / "fixtures" / "schema-2.toml"


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


def migrate_kills(folder: Path, kills: int, seed: int) -> dict[str, int]:
    """Kill ``ecf migrate`` at random moments; check each record and finish the migration."""
    import random  # noqa: PLC0415 - only this part draws delays

    from ecf.history import verify  # noqa: PLC0415
    from ecf.store import read_record  # noqa: PLC0415

    draw = random.Random(seed)
    original = FIXTURE.read_bytes()
    command = [sys.executable, "-c", "from ecf.cli import main; main()", "migrate"]
    landed = {"before the backup": 0, "between the writes": 0, "after the record": 0, "done": 0}
    calibration = folder / "calibration.toml"
    calibration.write_bytes(original)
    start = time.perf_counter()
    subprocess.run([*command, str(calibration)], capture_output=True, check=True)
    whole = time.perf_counter() - start  # one migrate, Python's start included
    for i in range(kills):
        file = folder / f"m{i}.toml"
        file.write_bytes(original)
        backup = file.with_name(f"{file.name}.schema2.bak")
        process = subprocess.Popen([*command, str(file)], stdout=subprocess.DEVNULL)
        if i % 2:  # half at a random moment of the run, half on sight of the backup
            time.sleep(draw.uniform(0.5 * whole, 1.1 * whole))
        else:
            deadline = time.perf_counter() + 5 * whole
            while not backup.exists() and time.perf_counter() < deadline:
                time.sleep(0.0005)
            time.sleep(draw.uniform(0, 0.005))
        process.kill()
        code = process.wait()
        data = file.read_bytes()
        if code == 0:
            landed["done"] += 1
        elif data != original:
            landed["after the record"] += 1
        elif backup.exists():
            landed["between the writes"] += 1
        else:
            landed["before the backup"] += 1
        assert data == original or read_record(file).schema_version == 3  # noqa: PLR2004, S101
        again = subprocess.run([*command, str(file)], capture_output=True, check=False)
        assert again.returncode == 0, again.stderr  # noqa: S101
        record = read_record(file)
        assert record.schema_version == 3, file  # noqa: PLR2004, S101
        assert verify(record) == [], file  # noqa: S101
        assert backup.read_bytes() == original  # noqa: S101
        assert not list(folder.glob(".*.tmp"))  # noqa: S101
    return landed


def seal_cost(folder: Path, appends: int) -> list[tuple[str, float, float]]:
    """Seconds for ``appends`` changes without and with a key, and to verify the result."""
    import ecf  # noqa: PLC0415
    from ecf.history import verify  # noqa: PLC0415
    from ecf.signing import load_public_key, new_key_pair, using  # noqa: PLC0415
    from ecf.store import read_record  # noqa: PLC0415

    private, public, _ = new_key_pair(folder)
    keys = [load_public_key(public)]
    out = []
    for label, key in (("unsigned", None), ("signed", private)):
        path = folder / f"{label}.toml"
        test_concurrency.make_record(path)
        with using(key):
            start = time.perf_counter()
            for n in range(appends):
                with ecf.edit(path, by="benchmark") as editor:
                    editor.add_evidence("supervision", dt.date(2025, 10, 1), note=f"n{n}")
            took = time.perf_counter() - start
        record = read_record(path)
        start = time.perf_counter()
        problems = verify(record, keys if key else None)
        checked = time.perf_counter() - start
        assert problems == [], problems  # noqa: S101
        out.append((label, took, checked))
    return out


def trust(folder: Path, kills: int, appends: int, seed: int) -> None:
    """Parts 4 and 5: migrate killed, and the cost of the seal and the signature."""
    print(f"\n4. migrate killed: {kills} SIGKILLs of `ecf migrate` (seed {seed})")
    migrations = folder / "migrate"
    migrations.mkdir()
    start = time.perf_counter()
    landed = migrate_kills(migrations, kills, seed)
    print(
        f"   records usable, and finished by a second migrate (intact, backup the old bytes):"
        f" {kills} of {kills}"
    )
    for where, count in landed.items():
        print(f"     killed {where}: {count}")
    print(f"   time: {time.perf_counter() - start:.1f} s")

    print(f"\n5. the seal and the signature: {appends} changes through ecf.edit")
    sealing = folder / "seal"
    sealing.mkdir()
    for label, took, checked in seal_cost(sealing, appends):
        per = took / appends * 1000
        print(
            f"   {label}: {took:.1f} s ({per:.0f} ms a change); "
            f"ecf verify of the {appends + 1} entries: {checked * 1000:.0f} ms"
        )


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=500)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--migrate-kills", type=int, default=60)
    parser.add_argument("--appends", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--trust-only", action="store_true", help="Run parts 4 and 5 only.")
    return parser.parse_args()


def main() -> None:
    args = _options()
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

        if args.trust_only:
            trust(folder, args.migrate_kills, args.appends, seed)
            return
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

        trust(folder, args.migrate_kills, args.appends, seed)


if __name__ == "__main__":
    main()
