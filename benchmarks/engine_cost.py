"""The engine's cost per record (issue 14, items 2 and 3): what a record costs once structured.

Run: python benchmarks/engine_cost.py [--records 1000] [--rounds 7]

Synthetic records (``benchmarks/synth.py``) are structured once, outside the timing; then each
step of a cohort row is timed over all of them, alternating with its yardstick, tomli parsing
the same records from their TOML text (A B A B, the best round of each, CPU time of this
process, so that other processes on a shared machine weigh less):

* ``check_record``: the validation of a record read (:func:`ecf.validation.check_record`);
* ``status``: where it stands as of a date (:func:`ecf.status.status`, the timeline in it);
* ``row_for``: its cohort row (:func:`ecf.cohort.row_for`: the status and the columns);
* ``row_for --council``: the row with the baseline assessment (``examples/councils/baseline.toml``).

Printed: microseconds a record and the ratio to tomli's.  The target of issue 14 for the engine's
share of ``benchmarks/throughput.py`` is ``check_record`` + ``row_for`` <= 70 us.  Run it with
``PYTHONPATH=OLD/src`` to measure another version of ecf on the same records.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import tomli

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402 - the benchmarks folder is put on the path just above

if TYPE_CHECKING:
    from collections.abc import Callable


def best(step: Callable[[object], object], items: list[object], rounds: int) -> float:
    """The best of ``rounds`` CPU times of ``step`` over every item, in microseconds an item."""
    times = []
    for _ in range(rounds):
        start = time.process_time()
        for item in items:
            step(item)
        times.append(time.process_time() - start)
    return min(times) / len(items) * 1e6


def main() -> None:
    """Print each step's cost a record beside tomli's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    from ecf.assessors import get_plugins  # noqa: PLC0415 - after the path is set
    from ecf.council import load_council  # noqa: PLC0415
    from ecf.framework import FrameworkRegistry  # noqa: PLC0415
    from ecf.records import record_from_dict  # noqa: PLC0415
    from ecf.store import render  # noqa: PLC0415

    cohort = importlib.import_module("ecf.cohort")
    status = importlib.import_module("ecf.status")  # the facade's ecf.status is a function
    validation = importlib.import_module("ecf.validation")
    registry = FrameworkRegistry.default()
    council = load_council(HERE.parent / "examples" / "councils" / "baseline.toml")
    plugins = get_plugins()
    records: list[object] = [record_from_dict(d) for d in synth.records(args.records, seed=7)]
    texts: list[object] = [render(r) for r in records]  # type: ignore[arg-type]
    today = synth.TODAY

    steps: dict[str, Callable[[object], object]] = {
        "check_record": lambda r: validation.check_record(r, registry, today),
        "status": lambda r: status.status(r, registry, today),
        "row_for": lambda r: cohort.row_for(r, registry, today),
        "row_for --council": lambda r: cohort.row_for(
            r, registry, today, council=council, plugins=plugins
        ),
    }
    print(f"Python {platform.python_version()} {platform.machine()}, {os.cpu_count()} cores")
    print(f"ecf from {Path(validation.__file__ or '?').parents[1]}")
    one, five, fifteen = os.getloadavg()
    print(f"load average before: {one:.2f} {five:.2f} {fifteen:.2f}")
    for step in steps.values():  # warm: every lookup made once, as in a long scan
        step(records[0])
    rows = []
    for name, step in steps.items():
        rounds = max(1, args.rounds // 3) if "council" in name else args.rounds
        ecf_us = best(step, records, rounds)
        tomli_us = best(tomli.loads, texts, rounds)  # type: ignore[arg-type]
        rows.append((name, ecf_us, tomli_us))
    print(f"{'step':>20} {'us/record':>10} {'tomli us':>9} {'ratio':>6}")
    for name, ecf_us, tomli_us in rows:
        print(f"{name:>20} {ecf_us:10.1f} {tomli_us:9.1f} {ecf_us / tomli_us:6.3f}")
    share = rows[0][1] + rows[2][1]
    print(f"check_record + row_for: {share:.1f} us a record (target <= 70)")
    one, five, fifteen = os.getloadavg()
    print(f"load average after: {one:.2f} {five:.2f} {fifteen:.2f}")


if __name__ == "__main__":
    main()
