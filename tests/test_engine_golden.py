"""The engine's outputs, byte for byte, against those of the code before the speed work.

``tests/golden/engine.json.gz`` holds what ``ecf cohort --format jsonl``, ``ecf status``,
``ecf assess --json``, ``ecf timeline`` and ``ecf validate`` printed for the example records,
120 synthetic ones and 30 broken on purpose (with and without a council, as of three dates),
written by the engine as it stood before issue 14's per-record speed work (commit fc6965b; how:
``tests/golden/engine.py``).  The faster engine must print the very same bytes.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "golden"))
import engine  # the golden folder is put on the path just above


def test_outputs_are_those_of_the_engine_before_the_speed_work(tmp_path: Path) -> None:
    golden = engine.load()
    now = engine.outputs(tmp_path)
    assert sorted(now) == sorted(golden)
    differ = [name for name in sorted(golden) if now[name] != golden[name]]
    if differ:
        first = differ[0]
        diff = "".join(
            difflib.unified_diff(
                golden[first].splitlines(keepends=True), now[first].splitlines(keepends=True)
            )
        )
        msg = f"{len(differ)} outputs differ, first {first}:\n{diff}"
        raise AssertionError(msg)
