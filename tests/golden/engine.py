"""What the engine prints, kept byte for byte across speed work (issue 14, items 2 and 3).

``outputs(folder)`` runs ``ecf cohort --format jsonl``, ``ecf status`` (text and ``--json``),
``ecf assess --json``, ``ecf timeline`` and ``ecf validate`` over the example records, a few
hundred synthetic ones and synthetic ones broken on purpose (:data:`BREAKS`), with and without
a council, as of three dates, and returns every output (exit code, stdout, stderr) by a name.

The committed ``engine.json.gz`` beside this file was written by the code as it stood *before*
the speed work of issue 14 (commit fc6965b), so ``tests/test_engine_golden.py`` compares the
engine of today against the engine of then, not against itself::

    mkdir OLD && git archive fc6965b | tar -x -C OLD
    PYTHONPATH=OLD/src python tests/golden/engine.py --write

Run ``python tests/golden/engine.py`` to list the outputs that differ.  Write the file again
only when an output is meant to change (and say why in the commit).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import gzip
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().with_name("engine.json.gz")
sys.path.insert(0, str(ROOT / "benchmarks"))
import synth  # noqa: E402 - the benchmarks folder is put on the path just above

#: Synthetic records compared (besides every example record).
COUNT = 120
SEED = 1414
AS_OF = ("2025-03-01", synth.TODAY.isoformat(), "2027-09-15")
COUNCILS = (None, "baseline.toml", "tuned.toml")


def _folder(root: Path) -> Path:
    """The example records and ``COUNT`` synthetic ones, as files in one folder."""
    from ecf.records import record_from_dict  # noqa: PLC0415 - after the path is set
    from ecf.store import render  # noqa: PLC0415

    folder = root / "records"
    folder.mkdir()
    for source in (ROOT / "examples" / "records", ROOT / "examples" / "councils" / "records"):
        for path in sorted(source.glob("*.toml")):
            shutil.copy(path, folder / f"example-{path.name}")
    for number, item in enumerate(synth.records(COUNT, seed=SEED)):
        text = render(record_from_dict(item))
        (folder / f"s{number:04d}.toml").write_text(text, encoding="utf-8")
    return folder


#: Changes that make a synthetic record invalid (or retract an item), one per broken record.
FAR = "2031-01-01"  # in the future for years: the problems stay those of every day of them


def _dup_evidence_id(data: dict[str, Any]) -> None:
    data["evidence"][3]["id"] = data["evidence"][1]["id"]


def _bad_evidence(data: dict[str, Any]) -> None:
    data["evidence"][0]["kind"] = "gossip"
    data["evidence"][2]["standards"] = ["kss-cf:99", "pcf:1", "nope"]
    data["evidence"][4]["date"] = dt.date.fromisoformat(FAR)
    data["evidence"][5]["date"] = dt.date(1999, 1, 1)


def _bad_absences(data: dict[str, Any]) -> None:
    first = dt.date.fromisoformat(str(data["enrolments"][0]["start"])) + dt.timedelta(days=40)
    data["absences"] = [
        {"kind": "sickness", "first": first, "last": first + dt.timedelta(days=35)},
        {"kind": "holiday", "first": first + dt.timedelta(days=10), "last": first},
        {
            "kind": "parental",
            "first": first + dt.timedelta(days=20),
            "last": first + dt.timedelta(days=60),
        },
    ]


def _bad_hours(data: dict[str, Any]) -> None:
    start = dt.date.fromisoformat(str(data["enrolments"][0]["start"]))
    data["hours"] = [
        {"from": start, "fte": 0.5},
        {"from": start, "fte": 1.5},
        {"from": start + dt.timedelta(days=30), "fte": 0.001},
    ]


def _stored_ids(data: dict[str, Any]) -> None:
    start = dt.date.fromisoformat(str(data["enrolments"][0]["start"]))
    data["hours"] = [
        {"from": start, "fte": 0.5, "id": "hr-2"},
        {"from": start + dt.timedelta(days=30), "fte": 0.8},
        {"from": start + dt.timedelta(days=60), "fte": 1.0, "id": "hr-2"},
    ]
    data["employment"] = [
        {"from": start, "council": "E09000030", "id": "em-1"},
    ]


def _bad_milestones(data: dict[str, Any]) -> None:
    held = data.setdefault("milestones", [])
    stage = data["enrolments"][0]["stage"]
    held.append({"stage": stage, "id": "review-99m", "date": data["enrolments"][0]["start"]})
    held.append({"stage": "ecdp-x", "id": "review-3m", "date": data["enrolments"][0]["start"]})
    held.append({"stage": stage, "id": "review-3m", "date": dt.date(1999, 1, 1)})


def _bad_decisions(data: dict[str, Any]) -> None:
    stage = data["enrolments"][-1]["stage"]
    start = data["enrolments"][-1]["start"]
    data.setdefault("decisions", []).extend(
        [
            {"stage": stage, "outcome": "pass", "date": start, "by": " ", "until": start},
            {"stage": stage, "outcome": "fail", "date": start, "by": "Panel", "reason": "nope"},
            {"stage": stage, "outcome": "extended", "date": start, "by": "Panel"},
        ]
    )


def _bad_enrolments(data: dict[str, Any]) -> None:
    data["enrolments"].append(dict(data["enrolments"][0]))
    data["enrolments"][0]["framework"] = "baseline-1999"


def _retracted(data: dict[str, Any]) -> None:
    when = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    data["evidence"][0]["retracted"] = when
    for field in ("milestones", "hours"):
        if data.get(field):
            data[field][0]["retracted"] = when
    start = dt.date.fromisoformat(str(data["enrolments"][0]["start"])) + dt.timedelta(days=40)
    data["absences"] = [
        {"kind": "sickness", "first": start, "last": start + dt.timedelta(days=35)},
        {
            "kind": "sickness",
            "first": start,
            "last": start + dt.timedelta(days=50),
            "retracted": when,
        },
    ]


def _left_early(data: dict[str, Any]) -> None:
    data["left"] = {"date": dt.date(2000, 1, 1), "reason": " "}
    data["qualified"] = dt.date.fromisoformat(FAR)


BREAKS = (
    _dup_evidence_id,
    _bad_evidence,
    _bad_absences,
    _bad_hours,
    _stored_ids,
    _bad_milestones,
    _bad_decisions,
    _bad_enrolments,
    _retracted,
    _left_early,
)


def _broken(root: Path) -> Path:
    """Synthetic records each changed by one of :data:`BREAKS` (written as they are)."""
    from ecf.records import record_from_dict  # noqa: PLC0415 - after the path is set
    from ecf.store import render  # noqa: PLC0415

    folder = root / "broken"
    folder.mkdir()
    for number, item in enumerate(synth.records(3 * len(BREAKS), seed=SEED + 1)):
        data = copy.deepcopy(item)
        BREAKS[number % len(BREAKS)](data)
        text = render(record_from_dict(data))
        (folder / f"b{number:04d}.toml").write_text(text, encoding="utf-8")
    return folder


def outputs(root: Path) -> dict[str, str]:
    """Every compared output by name (``command|council|as-of|file``): exit code and text."""
    from ecf.cli import main  # noqa: PLC0415

    folder = _folder(root)
    runner = CliRunner()
    out: dict[str, str] = {}

    def run(name: str, args: list[str]) -> None:
        result = runner.invoke(main, args, env={"ECF_CACHE_DIR": str(root / "cache")})
        text = f"{result.stdout}--- stderr\n{result.stderr}"
        text = text.replace(str(root), "ROOT")  # the temporary folder's name varies
        text = text.replace(str(dt.date.today()), "TODAY")  # noqa: DTZ011 - as ecf validate
        out[name] = f"{result.exit_code}\n{text}"

    files = sorted(folder.glob("*.toml"))
    for council in COUNCILS:
        with_council = (
            ["--council", str(ROOT / "examples" / "councils" / council)] if council else []
        )
        for as_of in AS_OF:
            key = f"{council}|{as_of}"
            run(
                f"cohort|{key}",
                [
                    "cohort",
                    str(folder),
                    "--format",
                    "jsonl",
                    "--as-of",
                    as_of,
                    "--workers",
                    "1",
                    "--no-cache",
                    *with_council,
                ],
            )
            for path in files:
                args = [str(path), "--as-of", as_of, *with_council]
                if council is None or as_of == AS_OF[1]:
                    run(f"status-json|{key}|{path.name}", ["status", *args, "--json"])
                if council is None and as_of == AS_OF[1]:
                    run(f"status|{key}|{path.name}", ["status", *args])
                if council == COUNCILS[1] or (council is not None and as_of == AS_OF[1]):
                    run(f"assess-json|{key}|{path.name}", ["assess", *args, "--json"])
    for path in sorted(_broken(root).glob("*.toml")):
        run(f"validate|{path.name}", ["validate", str(path)])
        run(f"status-json|{path.name}", ["status", str(path), "--as-of", AS_OF[1], "--json"])
        run(f"timeline|{path.name}", ["timeline", str(path)])
    for path in files[::7]:
        run(f"timeline|{path.name}", ["timeline", str(path)])
    return out


def load() -> dict[str, str]:
    """The committed outputs."""
    return dict(json.loads(gzip.decompress(GOLDEN.read_bytes())))


def main() -> None:
    """Write the golden outputs (``--write``), or compare with them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        now = outputs(Path(tmp))
    if args.write:
        text = json.dumps(now, sort_keys=True, indent=0).encode()
        GOLDEN.write_bytes(gzip.compress(text, mtime=0))
        print(f"{len(now)} outputs written to {GOLDEN}")  # noqa: T201 - a script's report
        return
    golden = load()
    differ = sorted(k for k in golden.keys() | now.keys() if golden.get(k) != now.get(k))
    print(f"{len(now)} outputs, {len(differ)} differ", *differ[:20], sep="\n")  # noqa: T201 - a script's report


if __name__ == "__main__":
    main()
