"""Library throughput (issue 14, item 3): records checked and reported from dicts on one core.

Run: python benchmarks/throughput.py [--sizes 1000 10000 100000] [--pairs 2]

For each size N, a fresh process streams N synthetic records through :func:`ecf.cohort.stream`: each
record structured from plain data, validated, and its cohort row made.  The records are 1,000
distinct ones (``benchmarks/synth.py``), made again for each thousand with every date a day earlier
than the thousand before, so that no two records share their dates (a library that remembered what
it worked out for a record seen before would otherwise be measured on records it had seen); the time
spent making them is taken off.  Its yardstick, in the same run and alternating with it (A B A B),
is a fresh process that merely parses the same N records from their TOML text with tomli.  Printed:
records per second, the ratio to the yardstick, the cost per record relative to the smallest size
(linear: about 1.0), and peak memory at the largest size relative to 10,000 (target <= 1.5).  The
load average is printed before and after: on a shared machine the absolute figures move with it; the
ratios less.

``--before SRC`` also streams the same records with the ecf sources in ``SRC`` (say, a ``git
archive`` of an older commit's ``src``), in the same loop (before, after, tomli, in turn), and
prints both in CPU time of the child process (which another engineer's jobs on a shared machine
inflate less than the wall clock) with their ratio.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = """
import sys, time
sys.path.insert(0, {here!r})
import synth
n, mode = int(sys.argv[1]), sys.argv[2]
if mode == "ecf":
    from ecf import cohort
    from ecf.framework import FrameworkRegistry
    registry = FrameworkRegistry.default()
    made = [0.0, 0.0]  # the time spent making the records, taken off the stream's
    start, cpu = time.perf_counter(), time.process_time()
    rows = cohort.stream(synth.distinct_records(n, made), synth.TODAY, registry, today=synth.TODAY)
    count = sum(1 for row in rows if isinstance(row, cohort.CohortRow))
    start, cpu = start + made[0], cpu + made[1]
else:
    import tomli
    base = synth.records(1000, seed=7)
    from ecf.records import record_from_dict
    from ecf.store import render
    texts = [render(record_from_dict(item)) for item in base]
    start, cpu = time.perf_counter(), time.process_time()
    count = sum(1 for i in range(n) if tomli.loads(texts[i % len(texts)]))
took, cpu = time.perf_counter() - start, time.process_time() - cpu
print(count, took, synth.peak_kib(), cpu)
"""


def run(n: int, mode: str, source: str | None = None) -> tuple[int, float, int, float]:
    """(records, seconds, peak RSS in KiB, CPU seconds) of one fresh process.

    ``source``: the ecf sources it imports (default: the installed ecf).
    """
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(here=str(HERE)), str(n), mode],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout.split()
    return int(out[0]), float(out[1]), int(out[2]), float(out[3])


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes)."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> None:
    """Print throughput, linearity and memory, each beside its yardstick."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--pairs", type=int, default=2, help="A B pairs per size")
    parser.add_argument("--before", help="older ecf sources, streamed in the same loop")
    args = parser.parse_args()
    print(f"Python {platform.python_version()} {platform.machine()}, {os.cpu_count()} cores")
    print(f"load average before: {load()}")
    print(f"{'records':>8} {'ecf rec/s':>10} {'tomli rec/s':>12} {'ratio':>6} {'us/rec':>7}"
          f" {'x smallest':>10} {'peak MiB':>9} {'CPU us/rec':>10}"
          + (f" {'before CPU':>10} {'/ before':>8}" if args.before else ""))  # fmt: skip
    per: dict[int, float] = {}
    rss: dict[int, int] = {}
    for n in args.sizes:
        ours, theirs, peaks, cpus, befores = [], [], [], [], []
        for _ in range(args.pairs):
            if args.before:
                count, _, _, cpu = run(n, "ecf", args.before)
                befores.append(cpu / count)
            count, took, peak, cpu = run(n, "ecf")
            ours.append(took / count)
            cpus.append(cpu / count)
            peaks.append(peak)
            count, took, _, _ = run(n, "tomli")
            theirs.append(took / count)
        per[n], rss[n] = statistics.median(ours), max(peaks)
        smallest = per[args.sizes[0]]
        yard = statistics.median(theirs)
        cpu = statistics.median(cpus)
        line = (
            f"{n:>8} {1 / per[n]:>10.0f} {1 / yard:>12.0f} {per[n] / yard:>6.2f} "
            f"{per[n] * 1e6:>7.1f} {per[n] / smallest:>10.2f} {rss[n] / 1024:>9.1f}"
            f" {cpu * 1e6:>10.1f}"
        )
        if befores:
            before = statistics.median(befores)
            line += f" {before * 1e6:>10.1f} {cpu / before:>8.2f}"
        print(line)
    best = 1 / min(per.values())
    print(f"records per second (best size): {best:.0f}  (target >= 10,000)")
    if 10000 in rss and max(args.sizes) > 10000:  # noqa: PLR2004 - the issue's reference size
        big = max(args.sizes)
        print(f"peak memory {big} / 10000 records: {rss[big] / rss[10000]:.2f}  (target <= 1.5)")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
