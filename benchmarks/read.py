"""One worker's read path per file, against parsing the same files with tomli: ratios in one run.

Run: python benchmarks/read.py [--files 3000] [--pairs 3] [--against SRC]

Writes synthetic record files (``benchmarks/synth.py``), then, in a fresh process per run, times
per file what a cohort worker does (``ecf.sources.read_files`` a chunk of 250 at a time, as
``ecf.cohort.scan`` does): without the cache, filling a new one (the records and verdicts
stored a chunk at a time) and warm (the files' identities settled, so that they are trusted);
and, in the same process, reading and parsing each file
with tomli alone (the yardstick of issue 14).  With ``--against SRC`` (a ``src`` folder of
another checkout, such as one of the commit before issue 14's read path) each pair runs that
code and this one, A B A B, so both are measured under the same load; the medians of the CPU
time per file are printed,
with the machine's load before and after.
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

#: Run in a fresh process with ``PYTHONPATH`` set to the code measured: prints four figures,
#: microseconds of CPU per file (tomli, no cache, filling, warm).  CPU time, not wall time: the
#: machine is shared, and one process's CPU time moves far less with the load than its wall.
CHILD = r"""
import sys, tempfile, time
from pathlib import Path
import tomli
sys.path.insert(0, {here!r})
import synth
from ecf import cache as C, sources
from ecf.framework import FrameworkRegistry

paths = sorted(str(p) for p in Path({folder!r}).rglob("*.toml"))
registry = FrameworkRegistry.default()
context = C.verdict_context(registry.digest() or "", None, synth.TODAY)
chunks = [paths[i : i + 250] for i in range(0, len(paths), 250)]


def reads(part, cache):
    many = getattr(sources, "read_files", None)  # (code before issue 14: file by file)
    if many is not None:
        return list(many(part, registry, synth.TODAY, cache=cache, context=context))
    return [
        sources.read_file(p, registry, synth.TODAY, cache=cache, context=context) for p in part
    ]


def tomli_only():
    for path in paths:
        with open(path, "rb") as fh:
            tomli.load(fh)


def no_cache():
    for part in chunks:
        reads(part, None)


def through(folder):
    cache = C.RecordCache(Path(folder))
    for part in chunks:
        done = reads(part, cache)
        entries = [r.entry for r in done if r.entry is not None]
        verdicts = [r.verdict for r in done if r.verdict is not None]
        if entries or verdicts:
            cache.store(entries, verdicts)
    cache.close()


def per_file(run, *args):
    start = time.process_time()
    run(*args)
    return (time.process_time() - start) / len(paths) * 1e6


folder = tempfile.mkdtemp()
tomli_only()  # the files in the page cache, as for every run after
figures = per_file(tomli_only), per_file(no_cache), per_file(through, folder)
print(*figures, per_file(through, folder))
"""


#: Seconds to wait after writing the files: more than ``ecf.cache.SETTLE_NS``.
SETTLE = 2.5


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(src: Path, folder: Path) -> list[float]:
    """One child run of the code in ``src``: microseconds per file, as :data:`CHILD` prints."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(here=str(HERE), folder=str(folder))],
        env={**os.environ, "PYTHONPATH": str(src)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return [float(x) for x in out]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout's src folder (A)")
    args = parser.parse_args()
    trees = {"this": HERE.parent / "src"}
    if args.against is not None:
        trees = {"against": args.against, **trees}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "records"
        synth.generate(folder, args.files)
        time.sleep(SETTLE)  # so that a warm run trusts the files' identities (ecf.cache)
        print(f"{args.files} files, {args.pairs} pairs; load before: {load()}")
        results: dict[str, list[list[float]]] = {name: [] for name in trees}
        for _ in range(args.pairs):
            for name, src in trees.items():
                results[name].append(run(src, folder))
        print(f"load after: {load()}")
    print("CPU per file, medians (ratio to tomli reading and parsing the same file):")
    for name, rows in results.items():
        tomli, cold, filling, warm = (statistics.median(c) for c in zip(*rows, strict=True))
        print(
            f"  {name:8} tomli {tomli:5.0f} us | no cache {cold:5.0f} us ({cold / tomli:.2f})"
            f" | filling {filling:5.0f} us ({filling / tomli:.2f})"
            f" | warm {warm:5.0f} us ({warm / tomli:.2f})"
        )


if __name__ == "__main__":
    main()
