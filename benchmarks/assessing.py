"""The reports that assess every record, against parsing the same files with tomli in one process.

Run: python benchmarks/assessing.py [--files 5000] [--pairs 2] [--before OLD/src]

Each report runs in a fresh process on N synthetic files (``synth.generate``), every core, and
its wall time is divided by the time to merely parse the same files with tomli in this process
(issue 14, item 2: "the same order" as ``ecf cohort``, i.e. <= 1.0 without the cache):

* ``ecf export FOLDER --format sqlite`` (reads without the cache; every record assessed);
* ``ecf cohort FOLDER --council FILE --no-cache`` (every record assessed for its row);
* ``ecf funding FOLDER --no-cache``, and warm (the cache filled by a first run), where the
  ecf run has ``--no-cache`` (an older ecf, run for a "before" figure, reads one by one).

``--before OLD/src`` runs an older copy of ecf's sources (``PYTHONPATH``) in the same loop,
before and after alternating (B A B A ...), so both share the machine's load; the CPU time
(user and system, the workers included) is printed beside the wall time, since on a shared
machine the wall time is mostly waiting for a core.  The load average is printed before and
after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402 - the generator sits beside this script
from cohort import load, parse_only  # noqa: E402 - so does the cohort benchmark

AS_OF = str(synth.TODAY)
COUNCIL = HERE.parent / "examples" / "councils" / "baseline.toml"

#: Each report as run on FOLDER (its output thrown away), and whether it reads through the cache.
REPORTS: dict[str, tuple[list[str], bool]] = {
    "export sqlite": (
        ["export", "FOLDER", "--format", "sqlite", "--out", "OUT", "--as-of", AS_OF],
        False,
    ),
    "cohort --council": (
        ["cohort", "FOLDER", "--council", str(COUNCIL), "--format", "jsonl", "--as-of", AS_OF],
        False,
    ),
    "funding": (["funding", "FOLDER", "--format", "csv", "--as-of", AS_OF], False),
    "funding, warm": (["funding", "FOLDER", "--format", "csv", "--as-of", AS_OF], True),
}


def has_no_cache(command: str, source: str | None) -> bool:
    """Whether ``ecf COMMAND`` (of these sources) has ``--no-cache``."""
    shown = subprocess.run(
        [sys.executable, "-m", "ecf", command, "--help"],
        check=True,
        capture_output=True,
        text=True,
        env=environment(source, None),
    ).stdout
    return "--no-cache" in shown


def environment(source: str | None, cache: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = source
    if cache is not None:
        env["ECF_CACHE_DIR"] = str(cache)
    return env


def run(args: list[str], source: str | None, cache: Path | None) -> tuple[float, float]:
    """Wall and CPU seconds (the workers included) of ``ecf ARGS`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ecf", *args],
        check=False,  # exit 1: some files failed (none do here); anything else is a bug
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environment(source, cache),
    ).check_returncode()
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return took, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--before", help="An older copy of ecf's src folder, run alternately.")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"load average before: {load()}")
    sides: list[tuple[str, str | None]] = [("after", None)]
    if args.before:
        sides.insert(0, ("before", str(Path(args.before).resolve())))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "cohort"
        paths = synth.generate(folder, args.files)
        out = Path(tmp) / "out.db"
        parse = min(parse_only(paths) for _ in range(2))
        print(f"{args.files} files; parse only (tomli, 1 process): {parse:.2f} s\n")
        print(f"{'report':<18} {'side':<7} {'wall s':>8} {'/ tomli':>8} {'CPU s':>8}")
        for name, (template, warm) in REPORTS.items():
            found: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in sides}
            for _ in range(args.pairs):
                for label, source in sides:
                    cache = Path(tmp) / f"cache-{label}" if warm else None
                    argv = [
                        str(folder) if a == "FOLDER" else str(out) if a == "OUT" else a
                        for a in template
                    ]
                    if not warm and has_no_cache(argv[0], source):
                        argv.append("--no-cache")
                    if warm:
                        run(argv, source, cache)  # fills the cache
                    out.unlink(missing_ok=True)
                    found[label].append(run(argv, source, cache))
            for label, _ in sides:
                wall = statistics.median(w for w, _ in found[label])
                cpu = statistics.median(c for _, c in found[label])
                print(f"{name:<18} {label:<7} {wall:8.2f} {wall / parse:8.2f} {cpu:8.2f}")
    print(f"\nload average after: {load()}")


if __name__ == "__main__":
    main()
