"""Cohort speed at national scale: every figure of the cohort issue, as ratios measured in one run.

Run: python benchmarks/cohort.py [--files 20000] [--quick]

1. ``ecf cohort`` on N record files, wall time divided by the time to merely parse the same
   files with tomli in one process: without the cache (target <= 1.0), filling it (<= 1.2), and
   warm (<= 0.25); and the peak memory of each run (sampled: the largest process, and all the
   processes together) against the same run on a tenth of the files (issue 14: <= 1.5 at
   100k / 10k, filling the cache included).  Not ``wait4``'s maximum resident size: Linux keeps
   it across ``exec``, so a child's counts the benchmark's own size when it was started.
   The other reports over a folder, against the same yardstick: ``ecf workforce`` and
   ``ecf calendar`` without the cache and warm (the same targets), and the export
   ``ecf export --format sqlite`` (which reads without the cache: target <= 1.0).  The export
   is also measured against the floor of the same work: tomli parsing the files, then the
   rows the export wrote (read back from its own database) written into a fresh SQLite file
   with the same tables and indexes, in one process (:func:`export_floor`).
2. Library throughput (records per second, from dicts, no I/O) at 1k, 10k and 100k records, and
   the cost per record at 100k relative to 1k (linear: about 1.0; issue 14: >= 10,000 a second).
3. Peak memory of streaming 100k records relative to 10k (target <= 1.5).
4. ``ecf --help`` cold start relative to ``python -c "import click"`` (target <= 1.15).

Every target is printed with "met" or "NOT met", and a list of them all at the end.
``--quick`` uses 2,000 files and 10k records at most, for a check that the benchmark runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomli

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402 - the generator sits beside this script

AS_OF = synth.TODAY


def parse_only(paths: list[Path]) -> float:
    """Seconds to read and parse every file with tomli, in this process."""
    start = time.perf_counter()
    for path in paths:
        with path.open("rb") as fh:
            tomli.load(fh)
    return time.perf_counter() - start


def export_floor(paths: list[Path], exported: Path) -> float:
    """Seconds to parse every file with tomli and write the export's rows, in this process.

    The floor of the export's work (issue 14: "our command against the floor of the same
    work"): the rows are those the export wrote (read back from its database ``exported``
    before the clock starts), written into a fresh SQLite file with the export's own tables
    (keys included) and indexes, built after the rows as the export builds them, in one
    transaction without syncing (as the export writes).  Nothing is assessed or checked.
    """
    with sqlite3.connect(exported) as db:
        made = db.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
        ).fetchall()
        tables = [(name, sql) for kind, name, sql in made if kind == "table"]
        indexes = [sql for kind, _, sql in made if kind == "index"]
        rows = {name: db.execute(f"SELECT * FROM {name}").fetchall() for name, _ in tables}  # noqa: S608 - the export's own table names
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for path in paths:
            with path.open("rb") as fh:
                tomli.load(fh)
        db = sqlite3.connect(Path(tmp) / "floor.db")
        db.execute("PRAGMA synchronous = OFF")
        with db:
            for _, sql in tables:
                db.execute(sql)
            for name, values in rows.items():
                if values:
                    marks = ", ".join("?" * len(values[0]))
                    db.executemany(f"INSERT INTO {name} VALUES ({marks})", values)  # noqa: S608
            for sql in indexes:
                db.execute(sql)
        db.close()
        return time.perf_counter() - start


def run_cohort(folder: Path, cache: Path | None, *, sample: bool = False) -> float:
    """Wall seconds of ``ecf cohort FOLDER --format jsonl``, a fresh process (see run_ecf)."""
    return run_ecf(
        ["cohort", str(folder), "--format", "jsonl", "--as-of", str(AS_OF)], cache, sample=sample
    )


#: The other reports over a folder, each as run on FOLDER (its output thrown away).
REPORTS: dict[str, list[str]] = {
    "workforce": ["workforce", "FOLDER", "--format", "csv", "--as-of", str(AS_OF)],
    "calendar": ["calendar", "FOLDER", "--as-of", str(AS_OF)],
    "export sqlite": [
        "export",
        "FOLDER",
        "--format",
        "sqlite",
        "--out",
        "OUT",
        "--as-of",
        str(AS_OF),
    ],
}


class TreeSampler:
    """The peak of a process tree's memory, all its processes together, sampled every 5 ms.

    Each process's proportional set size (Linux's ``Pss``: its private pages, and its share of
    the pages it shares with others) is summed over the process and its descendants, so memory
    the workers share with the parent they were forked from is counted once.  ``largest`` is the
    largest resident size (``Rss``) of any one of them.  Both are 0 where
    ``/proc/PID/smaps_rollup`` is not available (not Linux).
    """

    def __init__(self, pid: int) -> None:
        import threading  # noqa: PLC0415 - only while sampling

        self.pid = pid
        self.peak = 0  # KiB
        self.largest = 0  # KiB
        self.processes = 0  # the most seen at once
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self, pid: int) -> list[int]:
        found = [pid]
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                children = (task / "children").read_text(encoding="ascii")
                for child in children.split():
                    found.extend(self._tree(int(child)))
        except OSError:
            pass
        return found

    @staticmethod
    def _sizes(pid: int) -> tuple[int, int]:
        """The process's ``Pss`` and ``Rss`` (KiB); 0 for one gone or not to be read."""
        found = {"Pss:": 0, "Rss:": 0}
        try:
            with Path(f"/proc/{pid}/smaps_rollup").open(encoding="ascii") as fh:
                for line in fh:
                    key, _, rest = line.partition(" ")
                    if key in found:
                        found[key] = int(rest.split()[0])
        except OSError:
            pass
        return found["Pss:"], found["Rss:"]

    def _run(self) -> None:
        while not self._done.wait(0.005):
            tree = self._tree(self.pid)
            self.processes = max(self.processes, len(tree))
            sizes = [self._sizes(p) for p in tree]
            self.peak = max(self.peak, sum(pss for pss, _ in sizes))
            self.largest = max(self.largest, *(rss for _, rss in sizes))

    def stop(self) -> int:
        """Stop sampling; the peak (KiB)."""
        self._done.set()
        self._thread.join()
        return self.peak


#: The whole process tree's peak (KiB, :class:`TreeSampler`) of each sampled :func:`run_ecf`, in
#: order, how many processes it had at most, and the largest one's peak (KiB).
TREE_PEAKS: list[tuple[int, int, int]] = []


def run_ecf(args: list[str], cache: Path | None, *, sample: bool = False) -> float:
    """Wall seconds of ``ecf ARGS`` in a fresh process.

    ``cache`` None adds ``--no-cache`` (but to the export, which reads without it).  With
    ``sample``, the whole tree's peak is sampled too (:data:`TREE_PEAKS`): not on a run that is
    timed, since the sampling takes CPU from the run it measures (about a tenth of a 2-core
    machine: ``ecf cohort`` on 20,000 files 7.7 s alone, 8.6 s sampled).  Its memory is only
    sampled: ``wait4``'s maximum resident size would count the benchmark's own, which Linux
    keeps in a child's across ``exec``.
    """
    env = dict(os.environ)
    command = args[0]
    args = [sys.executable, "-m", "ecf", *args]
    if cache is None:
        if takes_no_cache(command):
            args.append("--no-cache")
    else:
        env["ECF_CACHE_DIR"] = str(cache)
    start = time.perf_counter()
    quiet = subprocess.DEVNULL if command == "calendar" else None  # its summary line
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=quiet, env=env)
    sampler = TreeSampler(child.pid) if sample else None
    _, status, _ = os.wait4(child.pid, 0)
    took = time.perf_counter() - start
    if sampler is not None:
        TREE_PEAKS.append((sampler.stop(), sampler.processes, sampler.largest))
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, args)
    return took


@functools.cache
def takes_no_cache(command: str) -> bool:
    """Whether ``ecf COMMAND`` has ``--no-cache`` (an older ecf, run for a "before" figure,
    reads without the cache where it has none, so its warm and cold runs are alike).
    """
    shown = subprocess.run(
        [sys.executable, "-m", "ecf", command, "--help"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return "--no-cache" in shown


def run_report(name: str, folder: Path, cache: Path | None, out: Path) -> float:
    """``run_ecf`` of one of :data:`REPORTS` on ``folder`` (an export written to ``out``)."""
    out.unlink(missing_ok=True)
    args = [str(folder) if a == "FOLDER" else str(out) if a == "OUT" else a for a in REPORTS[name]]
    return run_ecf(args, cache)


#: Every target checked in the run, as printed: (what, ratio, target); the end lists them.
VERDICTS: list[tuple[str, float, float, bool]] = []


def verdict(what: str, ratio: float, target: float, *, at_least: bool = False) -> str:
    """Whether a ratio meets its target ("met" or "NOT met"), noted for the list at the end."""
    met = ratio >= target if at_least else ratio <= target
    VERDICTS.append((what, ratio, target, at_least))
    sign = ">=" if at_least else "<="
    return f"(target {sign} {target:g}: {'met' if met else 'NOT met'})"


STREAM_CHILD = """
import sys, time, datetime as dt
sys.path.insert(0, {here!r})
import synth
from ecf import cohort
from ecf.framework import FrameworkRegistry
n = int(sys.argv[1])
made = [0.0, 0.0]  # the time spent making the records, taken off the stream's
registry = FrameworkRegistry.default()
start = time.perf_counter()
count = sum(1 for row in cohort.stream(synth.distinct_records(n, made), synth.TODAY, registry,
                                       today=synth.TODAY)
            if isinstance(row, cohort.CohortRow))
took = time.perf_counter() - start - made[0]
print(count, took, synth.peak_kib())
"""


def stream(n: int) -> tuple[int, float, int]:
    """(records, seconds, peak RSS in KiB) of streaming ``n`` records in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", STREAM_CHILD.format(here=str(HERE)), str(n)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[0]), float(out[1]), int(out[2])


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes)."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def cold_start(args: list[str], runs: int = 15) -> float:
    """Median wall seconds of a command in a fresh process."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def reports(files: int) -> None:
    """Part 1: ``ecf cohort`` and the other reports over a folder, against tomli alone."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "cohort"
        paths = synth.generate(folder, files)
        tenth = Path(tmp) / "tenth"
        synth.generate(tenth, max(1, files // 10))
        size = sum(p.stat().st_size for p in paths) / len(paths)
        print(f"\n1. ecf cohort on {files} files ({size / 1024:.1f} KiB each), against tomli alone")
        parse = min(parse_only(paths) for _ in range(2))
        print(f"   parse only (tomli, 1 process): {parse:6.2f} s")
        targets = {"no cache": 1.0, "filling the cache": 1.2, "warm cache": 0.25}
        peaks: dict[str, tuple[int, int, int]] = {}
        # Timed runs: two of each, the faster kept (as tomli's), never sampled; each filling
        # run fills a cache of its own.  Then one sampled run of each for the memory, on a
        # cache of its own ("cache-memory": filled by its filling run, warm for its warm run).
        timed = {
            "no cache": (None, None),
            "filling the cache": (Path(tmp) / "cache", Path(tmp) / "cache-again"),
            "warm cache": (Path(tmp) / "cache", Path(tmp) / "cache"),
        }
        for label, where, on in (
            ("no cache", None, folder),
            ("filling the cache", Path(tmp) / "cache-memory", folder),
            ("warm cache", Path(tmp) / "cache-memory", folder),
            ("no cache", None, tenth),
            ("filling the cache", Path(tmp) / "cache-tenth", tenth),
            ("warm cache", Path(tmp) / "cache-tenth", tenth),
        ):
            if on is folder:
                took = min(run_cohort(on, cache) for cache in timed[label])
            run_cohort(on, where, sample=True)
            tree, processes, peak = TREE_PEAKS[-1]
            if on is folder:
                peaks[label] = peak, tree, processes
                print(
                    f"   ecf cohort, {label:<18} {took:6.2f} s   ratio {took / parse:4.2f}"
                    f" {verdict(f'ecf cohort, {label}', took / parse, targets[label])}"
                    f"   peak {peak / 1024:6.1f} MiB, all processes {tree / 1024:6.1f} MiB"
                )
            else:
                big, big_tree, big_processes = peaks[label]
                print(
                    f"   peak memory, {label:<17} {files} / {files // 10} files: "
                    f"{big / 1024:6.1f} / {peak / 1024:6.1f} MiB = {big / peak:4.2f}"
                    f"  {verdict(f'peak memory of ecf cohort, {label}', big / peak, 1.5)}"
                )
                if tree:
                    what = f"peak memory of ecf cohort, {label}, all processes"
                    # A tenth small enough for one chunk is read in one process: no verdict.
                    told = (
                        verdict(what, big_tree / tree, 1.5)
                        if processes == big_processes
                        else f"(not compared: {big_processes} processes against {processes})"
                    )
                    print(
                        f"   {'':<17}  all processes: "
                        f"{big_tree / 1024:6.1f} / {tree / 1024:6.1f} MiB = {big_tree / tree:4.2f}"
                        f"  {told}"
                    )
        print(f"   the other reports on the {files} files (the cache warm from ecf cohort):")
        out = Path(tmp) / "export.db"
        for name in REPORTS:
            modes: list[tuple[str, Path | None]] = [("no cache", None)]
            if name != "export sqlite":
                modes.append(("warm cache", Path(tmp) / "cache"))
            for label, where in modes:
                # The faster of two, as the yardstick and ecf cohort's timed runs.
                took = min(run_report(name, folder, where, out) for _ in range(2))
                what = f"ecf {name}, {label}"
                print(
                    f"   {what:<29} {took:6.2f} s   ratio {took / parse:4.2f}"
                    f" {verdict(what, took / parse, targets[label])}"
                )
            if name == "export sqlite":
                floor = min(export_floor(paths, out) for _ in range(2))
                what = "floor: tomli + its rows"
                print(
                    f"   {what:<29} {floor:6.2f} s   ratio {floor / parse:4.2f}"
                    f" (one process, {row_count(out)} rows into SQLite)"
                )
                print(f"   the export / the floor of the same work: {took / floor:4.2f}")


def row_count(exported: Path) -> int:
    """How many rows a database's tables hold."""
    with sqlite3.connect(exported) as db:
        names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return sum(db.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names)  # noqa: S608


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--reports-only", action="store_true", help="Only part 1 (the reports over a folder)."
    )
    args = parser.parse_args()
    files = 2000 if args.quick else args.files
    sizes = [1000, 10000] if args.quick else [1000, 10000, 100000]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")

    print(f"load average before: {load()}")
    reports(files)
    if args.reports_only:
        print_targets()
        return

    print("\n2. library throughput from dicts (no I/O), and 3. peak memory")
    results = {n: stream(n) for n in sizes}
    first = sizes[0]
    for n, (count, took, rss) in results.items():
        per = took / count * 1e6
        base = results[first][1] / results[first][0] * 1e6
        print(
            f"   {n:>7} records: {count / took:8.0f} records/s, {per:6.1f} us each "
            f"(x{per / base:4.2f} of {first}), peak RSS {rss / 1024:6.1f} MiB"
        )
    big, ten = results[sizes[-1]][2], results[10000][2]
    print(
        f"   peak memory {sizes[-1]} / 10000 records: {big / ten:4.2f}"
        f"  {verdict(f'peak memory of streaming {sizes[-1]} / 10000 records', big / ten, 1.5)}"
    )
    rate = results[sizes[-1]][0] / results[sizes[-1]][1]
    print(
        f"   records/s at {sizes[-1]}: {rate:8.0f}  "
        f"{verdict('library throughput, records/s', rate, 10000, at_least=True)}"
    )

    print("\n4. cold start (with ecf's bytecode compiled, as a wheel install leaves it)")
    # An editable install under PYTHONDONTWRITEBYTECODE=1 recompiles ecf on every start; pip
    # compiles a wheel's modules when it installs them, so that is what users run.
    import ecf  # noqa: PLC0415

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(ecf.__file__).parent)], check=True
    )
    click_only = cold_start([sys.executable, "-c", "import click"])
    script = Path(sys.executable).parent / "ecf"
    ecf_help = cold_start(
        [str(script), "--help"] if script.exists() else [sys.executable, "-m", "ecf", "--help"]
    )
    print(f"   python -c 'import click' {click_only * 1000:6.1f} ms")
    ratio = ecf_help / click_only
    print(
        f"   ecf --help               {ecf_help * 1000:6.1f} ms   ratio {ratio:4.2f}"
        f"  {verdict('ecf --help / import click', ratio, 1.15)}"
    )
    print_targets()


def print_targets() -> None:
    """Every target of the run, met or not, and the load after it."""
    print("\ntargets:")
    for what, value, target, at_least in VERDICTS:
        met = value >= target if at_least else value <= target
        sign = ">=" if at_least else "<="
        shown = f"{value:.0f}" if at_least else f"{value:.2f}"
        print(f"   {'met    ' if met else 'NOT met'}  {what}: {shown} ({sign} {target:g})")
    print(f"\nload average after: {load()}")


if __name__ == "__main__":
    main()
