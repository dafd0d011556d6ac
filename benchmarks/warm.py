"""A cohort scan's work per file, filling the cache and warm, against tomli: ratios in one run.

Run: python benchmarks/warm.py [--files 5000] [--pairs 3] [--against SRC] [--report cohort]

Writes synthetic record files (``benchmarks/synth.py``), then, in a fresh process per run, times
the CPU per file of ``ecf.cohort.scan_items`` in one process (``workers=1``: exactly a worker's
loop, ``ecf.cohort._scan_chunk`` over chunks of 250, with the little the parent adds), with a
new cache (filling it) and again (warm: the files' identities settled), and reading and
parsing each file with tomli alone in the same process (the yardstick of issue 14).  The
report made for each record is the cohort row (``--report cohort``, as ``ecf cohort``) or the
calendar's milestones (``--report calendar``, as ``ecf calendar``).  With ``--against SRC`` (the
``src`` folder of another checkout) each pair runs that code and this one, A B A B, so both
are measured under the same load; the medians are printed with the load before and after.
CPU time, not wall time: the machine is shared, and one process's CPU moves far less with the
load than its wall time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402 - the generator sits beside this script

#: Run in a fresh process with ``PYTHONPATH`` set to the code measured: prints three figures,
#: microseconds of CPU per file (tomli, filling the cache, warm).
CHILD = r"""
import functools, sys, tempfile, time
from pathlib import Path
import tomli
sys.path.insert(0, {here!r})
import synth
from ecf import cohort, ical

paths = sorted(str(p) for p in Path({folder!r}).rglob("*.toml"))
report = {report!r}
each = cohort.cohort_row if report == "cohort" else functools.partial(ical.calendar_item, days=365)


def tomli_only():
    for path in paths:
        with open(path, "rb") as fh:
            tomli.load(fh)


def scan(folder):
    options = cohort.ScanOptions(
        as_of=synth.TODAY, today=synth.TODAY, cache_dir=folder
    )
    for _ in cohort.scan_items(paths, options, each, workers=1):
        pass


def per_file(run, *args):
    start = time.process_time()
    run(*args)
    return (time.process_time() - start) / len(paths) * 1e6


folder = tempfile.mkdtemp()
tomli_only()  # the files in the page cache, as for every run after
print(per_file(tomli_only), per_file(scan, folder), per_file(scan, folder))
"""


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(src: Path, folder: Path, report: str) -> list[float]:
    """One child run of the code in ``src``: microseconds per file, as :data:`CHILD` prints."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(here=str(HERE), folder=str(folder), report=report)],
        env={**os.environ, "PYTHONPATH": str(src)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return [float(x) for x in out]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout's src folder (A)")
    parser.add_argument("--report", choices=("cohort", "calendar"), default="cohort")
    args = parser.parse_args()
    trees = {"this": HERE.parent / "src"}
    if args.against is not None:
        trees = {"against": args.against, **trees}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "records"
        synth.generate(folder, args.files)
        time.sleep(2.5)  # so that a warm run trusts the files' identities (ecf.cache.SETTLE_NS)
        print(f"{args.files} files, {args.report}, {args.pairs} pairs; load before: {load()}")
        results: dict[str, list[list[float]]] = {name: [] for name in trees}
        for _ in range(args.pairs):
            for name, src in trees.items():
                results[name].append(run(src, folder, args.report))
        print(f"load after: {load()}")
    print("CPU per file, medians (ratio to tomli reading and parsing the same file):")
    for name, rows in results.items():
        tomli, filling, warm = (statistics.median(c) for c in zip(*rows, strict=True))
        print(
            f"  {name:8} tomli {tomli:5.0f} us | filling {filling:5.0f} us ({filling / tomli:.2f})"
            f" | warm {warm:5.0f} us ({warm / tomli:.3f})"
        )


if __name__ == "__main__":
    main()
