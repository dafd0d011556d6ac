"""A warm cohort scan with and without the remembered validation verdicts, pair by pair.

Run: python benchmarks/verdicts.py [--files 5000] [--workers 2] [--pairs 5]

Writes synthetic record files, fills a cache, waits for the files' identities to settle, then
times ``ecf.cohort.scan`` warm in this process, A B A B: without the verdicts (every record
checked again, as before issue 14's item 2) and with them; prints the medians of wall and CPU
time (workers included) and the load before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402 - the generator sits beside this script

from ecf import cohort  # noqa: E402 - after the path is set, as the other benchmarks
from ecf.records import record_from_dict  # noqa: E402 - as above
from ecf.store import render  # noqa: E402 - as above


def cpu() -> float:
    """CPU seconds of this process and its waited-for children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    """Print the medians of a warm scan without and with the verdicts."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "records"
        root.mkdir()
        for number, item in enumerate(synth.records(args.files, seed=3)):
            text = render(record_from_dict(item))
            (root / f"r{number:06d}.toml").write_text(text, encoding="utf-8")
        options = cohort.ScanOptions(
            as_of=synth.TODAY, today=synth.TODAY, cache_dir=str(Path(tmp) / "cache")
        )
        files = cohort.record_files(root)
        cohort.scan(files, options, workers=args.workers)  # fills the cache
        time.sleep(2.1)  # the files' identities settle (ecf.cache.SETTLE_NS)
        remembered = cohort._verdict_context  # noqa: SLF001 - switched off for the A runs
        ways = {"without verdicts": lambda *_: None, "with verdicts": remembered}
        print(f"load average before: {os.getloadavg()}")
        took: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
        for _ in range(args.pairs):
            for name, context in ways.items():
                cohort._verdict_context = context  # noqa: SLF001 - switched per run
                wall, used = time.perf_counter(), cpu()
                cohort.scan(files, options, workers=args.workers)
                took[name].append((time.perf_counter() - wall, cpu() - used))
        cohort._verdict_context = remembered  # noqa: SLF001 - restored
        print(f"load average after: {os.getloadavg()}")
    print(f"warm scan of {args.files} files, {args.workers} worker(s), median of {args.pairs}:")
    for name, runs in took.items():
        wall = statistics.median(r[0] for r in runs)
        used = statistics.median(r[1] for r in runs)
        print(f"   {name:18} wall {wall:6.3f} s   cpu {used:6.3f} s")


if __name__ == "__main__":
    main()
