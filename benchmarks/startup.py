"""One record in a blink: each command's cold start against ``python -c "import click"``.

Run: python benchmarks/startup.py [--runs 21] [--before OLD/src]

Every command runs in a fresh process on a scratch copy of a shipped example record, paired with
its yardstick in the same run (A B A B ...), and the median of each is compared.  The machine's
load average is printed before and after, since the figures mean little on a busy machine.
Byte code is compiled first (as an installed package has it), so the first run does not pay for
compiling the sources.

Each line gives the ratio of the medians of wall time (the target's) and, as ``cpu``, of CPU
time (user and system), which a busy machine disturbs less.

The ``floor`` lines run no ecf code: ``import click, attrs``, then, for each command, the same
and building attrs classes shaped as exactly those the command builds (names, fields,
defaults, frozen, slotted; the list is taken from a run of the command in this run, so it stays
true as the code changes).  They show what the attrs classes alone cost against the yardstick,
whatever ecf does: each command is followed by its own ``floor (N cls)`` line, and by the same
floor with the garbage collector treated as a one-record command treats it (``floor, gc
paused``: paused once click is imported, what is alive frozen at exit), the floor of the
command as it runs.

``--census`` prints, instead of timing, what each command imports beyond ``import click,
attrs`` and the attrs classes it builds, each marked with whether the command used it on the
example record (a module: one of its functions ran; a class: an instance was made), as the
Markdown table ``benchmarks/README.md`` shows.
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
from typing import Any

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


#: A child that runs one command (its arguments as JSON) and prints, as JSON: every attrs
#: class it built (its module and name, its fields: name, has a default, keyword only, in
#: ``__init__``; frozen; slotted; whether an instance was made), and every module imported, with
#: whether one of its functions ran (a comprehension run at import does not count).  The
#: profile hook sees attrs' generated ``__init__`` by its file name (``<attrs generated ...
#: module.Class>``) and any other function by its file.
CENSUS_CHILD = """
import json, sys
import attr._make as make
built = []
real = make._ClassBuilder.build_class
def build(self):
    cls = real(self)
    fields = [(a.name, a.default is not make.NOTHING, a.kw_only, a.init, a.eq)
              for a in cls.__attrs_attrs__]
    methods = sorted(n for n, f in vars(cls).items()
                     if getattr(getattr(f, "__code__", None), "co_filename", "")
                     .startswith("<attrs generated"))
    built.append({"module": cls.__module__, "name": cls.__qualname__, "fields": fields,
                  "frozen": cls.__setattr__ is make._frozen_setattrs,
                  "slots": "__slots__" in cls.__dict__, "methods": methods})
    return cls
make._ClassBuilder.build_class = build
made, ran = set(), set()
def watch(frame, event, arg):
    if event == "call":
        code = frame.f_code
        if code.co_filename.startswith("<attrs generated"):
            if code.co_name == "__init__":
                made.add(code.co_filename.rstrip(">").rsplit(" ", 1)[-1])
        elif not code.co_name.startswith("<"):  # not a module's code, nor a comprehension's
            ran.add(code.co_filename)
sys.setprofile(watch)
from ecf.cli import main
try:
    main(json.loads(sys.argv[1]), standalone_mode=False)
finally:
    sys.setprofile(None)
    classes = [{**c, "made": f"{c['module']}.{c['name']}" in made} for c in built]
    modules = [(name, getattr(mod, "__file__", None) in ran)
               for name, mod in list(sys.modules.items())]
    print(json.dumps({"classes": classes, "modules": modules}), file=sys.stderr)
"""

#: The floor attrs sets: click, attrs, and classes shaped as the command's (same names,
#: fields with their defaults, keyword-only, ``init`` and ``eq`` flags; frozen, slotted; the same
#: methods generated: ``__init__``, ``__repr__``, ``__eq__``..., never ordering ones, which
#: ``attrs.make_class`` adds by default and ecf's classes do not have), built without ecf code.
FLOOR_SCRIPT = """
import json, sys
import click
{collector}import attrs
for c in json.loads(sys.argv[1]):
    these = {f: attrs.field(default=None, kw_only=kw, init=i, eq=e) if d
                else attrs.field(kw_only=kw, init=i, eq=e) for f, d, kw, i, e in c["fields"]}
    made = set(c["methods"])
    attrs.make_class(c["name"], these, frozen=c["frozen"], slots=c["slots"], order=False,
                     init="__init__" in made, repr="__repr__" in made, eq="__eq__" in made)
"""

#: How a one-record command treats the cyclic garbage collector (``ecf.cli._pause_collector``),
#: once click is imported: paused, and what is alive frozen at exit.  The floor with it is the
#: floor of the command as it runs; without it, as Python's defaults have it.
PAUSED = "import atexit, gc\ngc.disable()\natexit.register(gc.freeze)\n"


def census(command: list[str], env: dict[str, str], fresh: Path | None = None) -> dict[str, Any]:
    """What ``ecf COMMAND`` builds and imports (:data:`CENSUS_CHILD`), on a fresh record copy."""
    if fresh is not None:
        shutil.copy(RECORD, fresh)
    run = subprocess.run(
        [sys.executable, "-c", CENSUS_CHILD, json.dumps(command)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    found: dict[str, Any] = json.loads(run.stderr.strip().splitlines()[-1])
    return found


def floor_modules(env: dict[str, str]) -> set[str]:
    """The modules ``import click, attrs`` imports: the floor's, never counted as a command's."""
    code = "import json, sys, click, attrs; print(json.dumps(sorted(sys.modules)))"
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    return set(json.loads(run.stdout))


def print_census(found: dict[str, dict[str, Any]], floor: set[str]) -> None:
    """Each command's modules beyond the floor's and its attrs classes, as Markdown.

    A name in brackets was not used on the example record: a module none of whose functions
    ran (C modules never show as run: tomli, hashlib's), a class never instantiated.
    """
    for name, what in found.items():
        mods = [(m, used) for m, used in what["modules"] if m not in floor]
        own = [(m, u) for m, u in mods if m.split(".")[0] == "ecf"]
        other = [(m, u) for m, u in mods if m.split(".")[0] != "ecf" and not m.startswith("_")]
        classes = what["classes"]
        by_module: dict[str, list[str]] = {}
        for c in classes:
            name_ = c["name"] if c["made"] else f"[{c['name']}]"
            by_module.setdefault(c["module"], []).append(name_)
        unused = sum(1 for c in classes if not c["made"])
        print(
            f"### {name}: {len(classes)} attrs classes ({unused} not instantiated), "
            f"{len(own)} ecf modules ({sum(1 for _, u in own if not u)} with nothing run), "
            f"{len(other)} other modules beyond `import click, attrs`"
        )
        print("| module | attrs classes built ([not instantiated]) |")
        print("| --- | --- |")
        for module, used in own:
            names = ", ".join(by_module.get(module, [])) or "-"
            print(f"| {module if used else f'[{module}]'} | {names} |")
        others = " ".join(m if used else f"[{m}]" for m, used in other)
        print(f"| other | {others} |")
        print()


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes)."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def measure(
    commands: dict[str, list[str]],
    variants: dict[str, dict[str, str]],
    floors: dict[str, list[tuple[str, list[str]]]],
    record: Path,
    runs_each: int,
) -> None:
    """Time each command against ``import click`` (A B A B), with its before and its floor.

    ``ecf add`` runs on a fresh copy of the record each time; a floor runs no ecf code.
    """
    env = variants[""]
    py = sys.executable
    yardstick = [py, "-c", "import click"]
    print(f"{platform.python_version()} {platform.machine()}, {os.cpu_count()} cores")
    print(f"load average before: {load()}")
    print(f"{'command':<22}{'median':>10}{'import click':>14}{'ratio':>8}{'cpu':>7}  target")
    for name, command in commands.items():
        fresh = record if name.startswith("ecf add") else None
        runs = {"": (command, env)}
        if name.startswith("ecf"):
            runs.update({v: (command, e) for v, e in variants.items() if v})
        runs.update({label: (floor, env) for label, floor in floors.get(name, [])})
        for variant, (argv, variant_env) in runs.items():
            # one warm-up run: file system caches
            timed(argv, variant_env, fresh if variant in variants else None)
        ours: dict[str, list[tuple[float, float]]] = {v: [] for v in runs}
        theirs = []
        for _ in range(runs_each):
            for variant, (argv, variant_env) in runs.items():
                copy = fresh if variant in variants else None
                ours[variant].append(timed(argv, variant_env, copy))
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


def main() -> None:
    """Print each command's median cold start and its ratio to ``import click``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument(
        "--census",
        action="store_true",
        help="print what each command imports and builds (a Markdown table), and time nothing",
    )
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
        fresh_copy = Path(tmp) / "census.toml"
        found = {
            name.removeprefix("ecf ").removesuffix(" FILE"): census(
                [str(fresh_copy) if c == str(record) else c for c in command[3:]], env, fresh_copy
            )
            for name, command in commands.items()
            if name != "ecf --help"
        }
        if args.census:
            print_census(found, floor_modules(env))
            return
        #: Each command's floor: click, attrs and the classes that command builds.
        floors = {
            f"ecf {name} FILE": [
                (
                    label,
                    [
                        py,
                        "-c",
                        FLOOR_SCRIPT.replace("{collector}", code),
                        json.dumps(what["classes"]),
                    ],
                )
                for label, code in (
                    (f"  floor ({len(what['classes'])} cls)", ""),
                    ("  floor, gc paused", PAUSED),
                )
            ]
            for name, what in found.items()
            for shapes in [what["classes"]]
        }
        commands["floor: click+attrs"] = [py, "-c", "import click, attrs"]
        measure(commands, variants, floors, record, args.runs)
        print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
