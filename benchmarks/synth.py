"""Realistic synthetic cohorts: records at every stage, with evidence, absences and pattern changes.

Run: python benchmarks/synth.py DIR [N] [--seed S]

Each record is valid (``ecf validate`` passes): 30 to 60 evidence items of every kind citing
real standards, a few absences (some long enough to pause), working-pattern changes, milestones
held, decisions and advances along the path.  The same seed gives the same cohort.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecf.framework import FrameworkRegistry, Service
from ecf.history import upgrade
from ecf.progression import timeline_for
from ecf.records import Enrolment, HistoryEntry, Record, record_from_dict
from ecf.store import render

if TYPE_CHECKING:
    from collections.abc import Iterator

TODAY = dt.date(2026, 11, 24)
MIGRATED = HistoryEntry(dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC), "hr", "migrate")
KINDS = [
    "direct-observation",
    "feedback-person",
    "feedback-professional",
    "written-report",
    "critical-reflection",
    "supervision",
    "self-assessment",
    "pdp",
    "review",
    "cpd",
    "training",
]
ABSENCES = ["sickness", "parental", "bereavement", "annual-leave", "training", "unpaid"]
COUNCILS = ["E09000030", "E08000025", "E10000014", "E06000023", "E08000006", "E10000008"]
TEAMS = ["north", "south", "east", "west", "front door", "children in care"]
NAMES = ["Amira", "Daniel", "Grace", "Tom", "Sofia", "Joe", "Priya", "Kofi", "Mei", "Liam"]
SURNAMES = ["Okafor", "Hughes", "Mensah", "Whitfield", "Rossi", "Barker", "Shah", "Boateng", "Chen"]


def _day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def make_record(rng: random.Random, number: int, registry: FrameworkRegistry) -> dict[str, Any]:
    """One valid record as plain data (the shape of a record file)."""
    fw = registry.get()
    standards = sorted(fw.standard_ids())
    qualified = _day(rng, dt.date(2021, 6, 1), dt.date(2026, 6, 30))
    service: Service = "adults" if rng.random() < 0.2 else "children"  # noqa: PLR2004
    first_stage = "asye" if service == "adults" or rng.random() < 0.5 else "ecf-1"  # noqa: PLR2004
    start = min(qualified + dt.timedelta(days=rng.randint(20, 120)), TODAY - dt.timedelta(days=30))
    enrolments: list[dict[str, Any]] = [
        {"stage": first_stage, "start": start, "framework": fw.version}
    ]
    decisions: list[dict[str, Any]] = []
    milestones: list[dict[str, Any]] = []
    path = [first_stage, "ecf-2", "expert"] if service == "children" else [first_stage]
    hours = []
    if rng.random() < 0.3:  # noqa: PLR2004
        hours.append({"from": start, "fte": rng.choice([0.6, 0.8, 0.5])})
    if rng.random() < 0.2 and start + dt.timedelta(days=200) < TODAY:  # noqa: PLR2004
        hours.append(
            {"from": start + dt.timedelta(days=rng.randint(100, 200)), "fte": rng.choice([1, 0.6])}
        )
    absences = []
    cursor = start + dt.timedelta(days=rng.randint(10, 90))
    for _ in range(rng.randint(0, 3)):
        kind = rng.choice(ABSENCES)
        length = (
            rng.choice([3, 10, 14, 30, 60, 120])
            if kind in ("sickness", "parental")
            else rng.randint(1, 15)
        )
        last = cursor + dt.timedelta(days=length - 1)
        if last >= TODAY:
            break
        absences.append({"kind": kind, "first": cursor, "last": last})
        cursor = last + dt.timedelta(days=rng.randint(20, 200))
    draft = Record(
        1,
        f"r{number:06d}",
        "x",
        qualified,
        service,
        enrolments=(Enrolment(first_stage, start, fw.version),),
    )
    for index, stage in enumerate(path):
        tl = timeline_for(draft, draft.enrolments[-1], registry)
        end = tl.expected_end
        for ms in tl.milestones:
            if ms.due is not None and ms.due < TODAY and rng.random() < 0.9:  # noqa: PLR2004
                milestones.append(
                    {
                        "stage": stage,
                        "id": ms.id,
                        "date": ms.due + dt.timedelta(days=rng.randint(0, 9)),
                    }
                )
        decided = end + dt.timedelta(days=rng.randint(10, 40))
        if decided >= TODAY or index + 1 == len(path) or rng.random() < 0.35:  # noqa: PLR2004
            if decided < TODAY and rng.random() < 0.5:  # noqa: PLR2004
                decisions.append(
                    {"stage": stage, "outcome": "pass", "date": decided, "by": "Panel chair"}
                )
            break
        decisions.append(
            {
                "stage": stage,
                "outcome": "pass",
                "date": decided,
                "by": "Panel chair",
                "panel": "ASYE panel",
            }
        )
        nxt = path[index + 1]
        nstart = decided + dt.timedelta(days=1)  # stages never overlap
        if nstart >= TODAY:
            break
        enrolments.append({"stage": nxt, "start": nstart, "framework": fw.version})
        draft = Record(
            1,
            draft.id,
            "x",
            qualified,
            service,
            enrolments=tuple(Enrolment(e["stage"], e["start"], e["framework"]) for e in enrolments),
        )
    last_day = min(TODAY - dt.timedelta(days=1), start + dt.timedelta(days=900))
    evidence = []
    for i in range(rng.randint(30, 60)):
        item: dict[str, Any] = {
            "id": f"ev-{i + 1:03d}",
            "kind": rng.choice(KINDS),
            "date": _day(rng, start, last_day),
            "standards": rng.sample(standards, rng.randint(0, 3)),
            "by": rng.choice(["M. Reid", "S. Khan", "J. Patel", "L. Brown"]),
        }
        if rng.random() < 0.3:  # noqa: PLR2004
            item["note"] = "Observed a home visit; reflected in supervision afterwards."
        evidence.append(item)
    milestones = [m for m in milestones if m["date"] < TODAY]
    return {
        "schema_version": 1,
        "id": f"r{number:06d}",
        "name": f"{rng.choice(NAMES)} {rng.choice(SURNAMES)}",
        "qualified": qualified,
        "service": service,
        "swe": f"SW{100000 + number}",
        "council": rng.choice(COUNCILS),
        "enrolments": enrolments,
        "hours": hours,
        "absences": absences,
        "evidence": evidence,
        "milestones": milestones,
        "decisions": [d for d in decisions if d["date"] < TODAY],
        "history": [
            {"at": dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC), "by": "hr", "action": "import"}
        ],
        "extra": {"team": rng.choice(TEAMS)},
    }


def _value(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date | int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    msg = f"cannot write {type(value).__name__}"
    raise TypeError(msg)


def to_toml(data: dict[str, Any]) -> str:
    """A record's plain data as TOML (the subset record files use)."""
    lines = []
    tables = []
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            tables.append((key, value))
        elif isinstance(value, dict):
            tables.append((key, [value]))
        elif isinstance(value, list) and not value:
            continue
        else:
            lines.append(f"{key} = {_value(value)}")
    for key, entries in tables:
        for entry in entries:
            header = f"[{key}]" if key == "extra" else f"[[{key}]]"
            lines.extend(("", header))
            lines.extend(f"{k} = {_value(v)}" for k, v in entry.items())
    return "\n".join(lines) + "\n"


def generate(folder: Path, count: int, seed: int = 2026, *, current: bool = False) -> list[Path]:
    """Write ``count`` record files under ``folder`` (100 to a subfolder); return their paths.

    Records are written as schema 1 (as councils' older files are, and fast to write), or with
    ``current`` as ecf writes them today (schema 2, history chained; slower: through tomlkit).
    """
    rng = random.Random(seed)
    registry = FrameworkRegistry.default()
    paths = []
    for number in range(count):
        sub = folder / f"batch-{number // 100:04d}"
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"r{number:06d}.toml"
        data = make_record(rng, number, registry)
        if current:
            migrated = upgrade(record_from_dict(data), MIGRATED)
            path.write_text(render(migrated), encoding="utf-8")
        else:
            path.write_text(to_toml(data), encoding="utf-8")
        paths.append(path)
    return paths


def records(count: int, seed: int = 2026) -> list[dict[str, Any]]:
    """``count`` records as plain data, as an HR database would hand them over."""
    rng = random.Random(seed)
    registry = FrameworkRegistry.default()
    return [make_record(rng, n, registry) for n in range(count)]


def _earlier(value: Any, by: dt.timedelta) -> Any:
    """``value`` with every date in it ``by`` earlier (a new copy of its dicts and lists)."""
    if type(value) is dt.date:
        return value - by
    if isinstance(value, dict):
        return {k: _earlier(v, by) for k, v in value.items()}
    if isinstance(value, list):
        return [_earlier(v, by) for v in value]
    return value


def distinct_records(
    count: int, made: list[float], seed: int = 7, *, distinct: int = 1000
) -> Iterator[dict[str, Any]]:
    """``count`` records as plain data, no two sharing their dates, made a thousand at a time.

    ``distinct`` records are made by :func:`records`, then made again for each thousand that
    follows with every date a day earlier than in the thousand before (new dicts, new ids), so
    a library that remembered what it worked out for a record seen before would find nothing
    to reuse, as in a real cohort.  Only one thousand is held at a time.  The wall and CPU
    seconds spent making them are added to ``made[0]`` and ``made[1]``: a benchmark takes them
    off the time it measures around the stream.
    """
    wall, used = time.perf_counter(), time.process_time()
    base = records(distinct, seed=seed)
    made[0] += time.perf_counter() - wall
    made[1] += time.process_time() - used
    for first in range(0, count, distinct):
        wall, used = time.perf_counter(), time.process_time()
        by = dt.timedelta(days=first // distinct)
        fresh = [_earlier(item, by) for item in base[: count - first]]
        for i, item in enumerate(fresh):
            item["id"] = f"s{first + i:07d}"
        made[0] += time.perf_counter() - wall
        made[1] += time.process_time() - used
        yield from fresh
        del fresh  # one thousand at a time


def peak_kib() -> int:
    """This process's own peak resident size, KiB (a benchmark's child reports it).

    ``VmHWM`` where Linux gives it: ``ru_maxrss`` counts the parent's size when the child was
    started too, since Linux keeps it across ``exec``.
    """
    import resource  # noqa: PLC0415 - only the children that report their memory need it

    try:
        with Path("/proc/self/status").open(encoding="ascii") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("count", type=int, nargs="?", default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--current", action="store_true", help="write schema 2, as ecf does")
    args = parser.parse_args()
    paths = generate(args.folder, args.count, args.seed, current=args.current)
    print(f"{len(paths)} records in {args.folder}")


if __name__ == "__main__":
    main()
