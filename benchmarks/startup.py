"""One record in a blink: each command's cold start against ``python -c "import click"``.

Run: python benchmarks/startup.py [--runs 21]

Every command runs in a fresh process on a scratch copy of a shipped example record, paired with
its yardstick in the same run (A B A B ...), and the median of each is compared.  The machine's
load average is printed before and after, since the figures mean little on a busy machine.
Byte code is compiled first (as an installed package has it), so the first run does not pay for
compiling the sources.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECORD = HERE.parent / "examples" / "records" / "full-time.toml"
TARGET = 1.5


def timed(args: list[str], env: dict[str, str], fresh: Path | None = None) -> float:
    """Wall seconds of one run of ``args`` in a fresh process (on a fresh copy of the record)."""
    if fresh is not None:
        shutil.copy(RECORD, fresh)
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes)."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> None:
    """Print each command's median cold start and its ratio to ``import click``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    import ecf  # noqa: PLC0415 - only to find the sources to compile

    compileall.compile_dir(Path(ecf.__file__).parent, quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["ECF_CACHE_DIR"] = tempfile.mkdtemp(prefix="ecf-bench-cache-")
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "r.toml"
        shutil.copy(RECORD, record)
        commands = {
            "ecf --help": [py, "-m", "ecf", "--help"],
            "ecf status FILE": [py, "-m", "ecf", "status", str(record)],
            "ecf assess FILE": [py, "-m", "ecf", "assess", str(record)],
            "ecf add evidence FILE": [
                py, "-m", "ecf", "add", "evidence", str(record), "--kind", "supervision",
                "--date", "2026-03-02", "--standard", "kss-cf:1", "--by", "A. Bench",
            ],
        }  # fmt: skip
        yardstick = [py, "-c", "import click"]
        print(f"{platform.python_version()} {platform.machine()}, {os.cpu_count()} cores")
        print(f"load average before: {load()}")
        print(f"{'command':<22}{'median':>10}{'import click':>14}{'ratio':>8}  target")
        for name, command in commands.items():
            fresh = record if name.startswith("ecf add") else None
            timed(command, env, fresh)  # one warm-up run: file system caches
            ours, theirs = [], []
            for _ in range(args.runs):
                ours.append(timed(command, env, fresh))
                theirs.append(timed(yardstick, env))
            a, b = statistics.median(ours), statistics.median(theirs)
            target = 1.15 if name == "ecf --help" else TARGET
            verdict = "met" if a / b <= target else "NOT met"
            line = f"{name:<22}{a * 1000:>8.1f}ms{b * 1000:>12.1f}ms{a / b:>8.2f}"
            print(f"{line}  <= {target} {verdict}")
        print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
