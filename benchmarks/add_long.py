"""``ecf add`` on long records: the cost of one change against reading the same record.

Run: python benchmarks/add_long.py [--runs 7] [--sizes 10 50 200 1000] [--before OLD/src]

For each size, a record with that many history entries (one evidence item added per entry, as
``ecf add evidence`` adds them) is written with the library's own editor.  Then, paired in one
loop (A B A B ...), each in a fresh process: ``ecf add evidence FILE`` on a fresh copy of it, and
``ecf validate FILE`` (reading and checking the record: what an add does before it changes
anything).  The ratio of their medians is printed at each size: an add that costs little more
than reading stays near a constant ratio as the record grows.  ``--before`` runs the add from
an earlier ecf's sources too (a copy: ``git archive REV src | tar -x``), in the same loop.

In one process, ``save`` is the store's write alone (the change's text and the atomic write),
and ``patch`` what the tomlkit round trip of the whole file costs at that size (the path every
change took before issue 14's fourth part; still the path of a change that is not an append).
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ecf
from ecf import store
from ecf.records import record_to_dict

HERE = Path(__file__).resolve().parent
SIZES = (10, 50, 200, 1000)
KINDS = ("supervision", "direct-observation", "feedback-professional", "written-report")


def make_record(path: Path, entries: int) -> None:
    """A valid record of ``entries`` history entries: the start, then evidence added one by one."""
    start = dt.date(2026, 2, 2)
    moment = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
    ecf.create(
        path,
        by="bench",
        id="ph-bench",
        name="Bench Example",
        qualified=dt.date(2025, 7, 10),
        stage="asye",
        start=start,
        council="E09000030",
        today=dt.date(2026, 11, 24),
        clock=lambda: moment,
    )
    with ecf.edit(path, by="bench", today=dt.date(2026, 11, 24), clock=lambda: moment) as editor:
        for n in range(entries - 1):
            editor.add_evidence(
                KINDS[n % len(KINDS)],
                start + dt.timedelta(days=n % 290),
                standards=["kss-cf:9", "pcf:6"],
                by="S. Khan",
                note=f"session {n}",
            )


def timed(args: list[str], env: dict[str, str], fresh: tuple[Path, Path] | None = None) -> float:
    """Wall seconds of one run of ``args`` in a fresh process (on a fresh copy of a record)."""
    if fresh is not None:
        shutil.copy(*fresh)
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def in_process(source: Path, scratch: Path, rounds: int) -> tuple[float, float, float]:
    """Median seconds of reading the record, of saving an added entry, of the tomlkit patch."""
    reads, saves, patches = [], [], []
    for _ in range(rounds):
        shutil.copy(source, scratch)
        start = time.perf_counter()
        opened = store.open_record(scratch)
        reads.append(time.perf_counter() - start)
        entry = opened.record.history[-1]
        record = opened.record.changed(
            entry.__class__(entry.at, "bench", "add-evidence", "one more")
        )
        start = time.perf_counter()
        store.save(opened, record)
        saves.append(time.perf_counter() - start)
        start = time.perf_counter()
        assert isinstance(opened.document, str)  # noqa: S101 - the benchmark's own premise
        store.patched(opened.document, record_to_dict(opened.record), record_to_dict(record))
        patches.append(time.perf_counter() - start)
    return statistics.median(reads), statistics.median(saves), statistics.median(patches)


def main() -> None:
    """Print, at each size, the add's median, the read's, and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--before", type=Path, help="the src folder of an earlier ecf")
    args = parser.parse_args()
    compileall.compile_dir(Path(ecf.__file__).parent, quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["ECF_USER"] = "bench"
    variants = {"add": env}
    if args.before is not None:
        compileall.compile_dir(args.before / "ecf", quiet=1)
        variants["add, before"] = {**env, "PYTHONPATH": str(args.before.resolve())}
    py = sys.executable
    print(f"{platform.python_version()} {platform.machine()}, {os.cpu_count()} cores")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{'entries':>7} {'KB':>5} {'validate':>9} "
        + "".join(f"{v:>12} {'ratio':>6}" for v in variants)
        + f"   in one process: {'read':>7} {'save':>7} {'patch':>7}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            source = Path(tmp) / f"r{size}.toml"
            make_record(source, size)
            record = Path(tmp) / "scratch.toml"
            shutil.copy(source, record)
            add = [
                py, "-m", "ecf", "add", "evidence", str(record), "--kind", "supervision",
                "--date", "2026-03-02", "--standard", "kss-cf:1", "--by", "A. Bench",
            ]  # fmt: skip
            read = [py, "-m", "ecf", "validate", str(source)]
            for variant_env in variants.values():
                timed(add, variant_env, (source, record))  # warm-up: file system caches
            timed(read, env)
            adds: dict[str, list[float]] = {v: [] for v in variants}
            reads = []
            for _ in range(args.runs):
                for variant, variant_env in variants.items():
                    adds[variant].append(timed(add, variant_env, (source, record)))
                reads.append(timed(read, env))
            r = statistics.median(reads)
            cells = "".join(
                f"{statistics.median(t) * 1000:>10.1f}ms {statistics.median(t) / r:>6.2f}"
                for t in adds.values()
            )
            one = in_process(source, record, args.runs)
            kb = source.stat().st_size / 1024
            print(
                f"{size:>7} {kb:>5.0f} {r * 1000:>7.1f}ms {cells}   "
                f"{'':>17}{one[0] * 1000:>5.1f}ms{one[1] * 1000:>6.1f}ms{one[2] * 1000:>6.1f}ms"
            )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
