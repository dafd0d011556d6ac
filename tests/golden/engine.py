"""What the engine prints, kept byte for byte across speed work (issue 14, items 2 and 3).

``outputs(folder)`` runs ``ecf cohort --format jsonl``, ``ecf status`` (text and ``--json``)
and ``ecf assess --json`` over the example records and a few hundred synthetic ones, with and
without a council, as of three dates, and returns every output by a name.  The committed
``engine.json.gz`` beside this file was written by the code as it stood *before* the speed
work of issue 14 (commit fc6965b), so ``tests/test_engine_golden.py`` compares the engine of
today against the engine of then, not against itself.

Run ``python tests/golden/engine.py --write`` only when an output is meant to change (and say
why in the commit).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
from pathlib import Path

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


def outputs(root: Path) -> dict[str, str]:
    """Every compared output by name (``command|council|as-of|file``): exit code and stdout."""
    from ecf.cli import main  # noqa: PLC0415

    folder = _folder(root)
    runner = CliRunner()
    out: dict[str, str] = {}

    def run(name: str, args: list[str]) -> None:
        result = runner.invoke(main, args, env={"ECF_CACHE_DIR": str(root / "cache")})
        text = result.stdout.replace(str(root), "ROOT")  # the temporary folder's name varies
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
