"""One record in a blink: each command's cold start against ``python -c "import click"``.

Run: python benchmarks/startup.py [--runs 21] [--before OLD/src]

Every command runs in a fresh process on a scratch copy of a shipped example record, paired with
its yardstick in the same run (A B A B ...), and the median of each is compared.  The machine's
load average is printed before and after, since the figures mean little on a busy machine.
Byte code is compiled first (as an installed package has it), so the first run does not pay for
compiling the sources.

Each line gives the ratio of the medians of wall time (the target's) and, as ``cpu``, of CPU
time (user and system), which a busy machine disturbs less.

The two ``floor`` lines run no ecf code: ``import click, attrs``, then the same and building
attrs classes shaped as those ``ecf status`` builds (names, fields, defaults, frozen, slotted;
the list is taken from a run of the command).  They show what the attrs classes alone cost
against the yardstick, whatever ecf does.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import resource
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


def timed(args: list[str], env: dict[str, str], fresh: Path | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``args`` in a fresh process (on a fresh record copy).

    CPU time (user and system, of the child) moves less than wall time on a busy machine.
    """
    if fresh is not None:
        shutil.copy(RECORD, fresh)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


#: A child that runs ``ecf status FILE`` and prints, as JSON, every attrs class it built: its
#: name, its fields (name, has a default, keyword only, in ``__init__``) and whether it is
#: frozen and slotted.
CLASSES_CHILD = """
import json, sys
import attr._make as make
built = []
real = make._ClassBuilder.build_class
def build(self):
    cls = real(self)
    fields = [(a.name, a.default is not make.NOTHING, a.kw_only, a.init)
              for a in cls.__attrs_attrs__]
    frozen = cls.__setattr__ is make._frozen_setattrs
    built.append((cls.__qualname__, fields, frozen, "__slots__" in cls.__dict__))
    return cls
make._ClassBuilder.build_class = build
from ecf.cli import main
try:
    main(["status", sys.argv[1]], standalone_mode=False)
finally:
    print(json.dumps(built), file=sys.stderr)
"""

#: The floor attrs sets: click, attrs, and classes shaped as the command's (same names,
#: fields, defaults, frozen and slotted), built without any ecf code.
FLOOR_SCRIPT = """
import json, sys
import attrs
import click
for name, fields, frozen, slots in json.loads(sys.argv[1]):
    these = {f: attrs.field(default=None, kw_only=kw, init=i) if d
                else attrs.field(kw_only=kw, init=i) for f, d, kw, i in fields}
    attrs.make_class(name, these, frozen=frozen, slots=slots)
"""


def classes_of_status(record: Path, env: dict[str, str]) -> str:
    """The attrs classes ``ecf status`` builds, as the JSON :data:`FLOOR_SCRIPT` reads."""
    run = subprocess.run(
        [sys.executable, "-c", CLASSES_CHILD, str(record)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return run.stderr.strip().splitlines()[-1]


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes)."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> None:
    """Print each command's median cold start and its ratio to ``import click``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument(
        "--before",
        type=Path,
        help="the src folder of an earlier ecf (a copy: git archive REV src | tar -x): each "
        "command also runs from it, in the same loop (before, after, import click)",
    )
    args = parser.parse_args()
    import ecf  # noqa: PLC0415 - only to find the sources to compile

    compileall.compile_dir(Path(ecf.__file__).parent, quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["ECF_CACHE_DIR"] = tempfile.mkdtemp(prefix="ecf-bench-cache-")
    variants = {"": env}
    if args.before is not None:
        compileall.compile_dir(args.before / "ecf", quiet=1)
        variants["  before"] = {**env, "PYTHONPATH": str(args.before.resolve())}
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
        classes = classes_of_status(record, env)
        commands["floor: click+attrs"] = [py, "-c", "import click, attrs"]
        commands[f"floor: +{len(json.loads(classes))} classes"] = [py, "-c", FLOOR_SCRIPT, classes]
        yardstick = [py, "-c", "import click"]
        print(f"{platform.python_version()} {platform.machine()}, {os.cpu_count()} cores")
        print(f"load average before: {load()}")
        print(f"{'command':<22}{'median':>10}{'import click':>14}{'ratio':>8}{'cpu':>7}  target")
        for name, command in commands.items():
            fresh = record if name.startswith("ecf add") else None
            runs = {v: e for v, e in variants.items() if not v or name.startswith("ecf")}
            for variant_env in runs.values():
                timed(command, variant_env, fresh)  # one warm-up run: file system caches
            ours: dict[str, list[tuple[float, float]]] = {v: [] for v in runs}
            theirs = []
            for _ in range(args.runs):
                for variant, variant_env in runs.items():
                    ours[variant].append(timed(command, variant_env, fresh))
                theirs.append(timed(yardstick, env))
            b = statistics.median(t[0] for t in theirs)
            b_cpu = statistics.median(t[1] for t in theirs)
            for variant, times in ours.items():
                a = statistics.median(t[0] for t in times)
                cpu = statistics.median(t[1] for t in times) / b_cpu
                label = variant or name
                line = f"{label:<22}{a * 1000:>8.1f}ms{b * 1000:>12.1f}ms{a / b:>8.2f}{cpu:>7.2f}"
                if name.startswith("floor") or variant:  # no target: a floor, or the before
                    print(line)
                    continue
                target = 1.15 if name == "ecf --help" else TARGET
                verdict = "met" if a / b <= target else "NOT met"
                print(f"{line}  <= {target} {verdict}")
        print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
