"""Speed where people wait (issue 14): what the fast paths promise, never how fast they are.

The benchmarks (``benchmarks/startup.py``, ``benchmarks/throughput.py``) measure; these tests
check that the fast paths change nothing:

* the fast structuring path (:func:`ecf._convert.fast_structure`) returns exactly what the
  cattrs converter returns for the same data, and gives up (so the converter reports the
  errors, with their field paths) whenever the converter would refuse the data;
* the shipped framework, rule and council data and valid records all take it, so no cattrs code
  is generated for them;
* reading and checking one record, as ``ecf status`` does, imports neither cattrs nor tomlkit
  nor sqlite3 (the writers' and the cache's libraries).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tomli
from hypothesis import given
from hypothesis import strategies as st

import plain_data
from ecf import _convert
from ecf.errors import RecordError
from ecf.framework import Framework, FrameworkRegistry
from ecf.records import Record, record_to_dict
from ecf.testing import records

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "records").glob("*.toml"))
REGISTRY = FrameworkRegistry.default()
TODAY = dt.date(2026, 11, 30)

#: Values a hand edit or an HR export may put anywhere.
ODD: list[Any] = [
    None,
    "",
    "x",
    "2025-02-30",
    "2025-03-01",
    "3/5",
    0,
    1,
    -1,
    True,
    1.5,
    [],
    ["x"],
    {},
    {"x": 1},
    dt.date(1900, 1, 1),
    dt.date(2025, 3, 1),
    dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC),
    dt.datetime(2025, 3, 1, 9, 0),  # noqa: DTZ001 - a time without an offset, refused
]


def slow(data: Any, cls: type) -> Any:
    """What the cattrs converter makes of ``data``: the value, or the exception it raised."""
    try:
        return _convert.get_converter().structure(data, cls)
    except Exception as exc:  # noqa: BLE001 - the refusal itself is the result compared
        return exc


def agree(data: Any, cls: type) -> None:
    """The fast path returns the converter's value, or gives up where the converter refuses."""
    fast = _convert.fast_structure(data, cls)
    expected = slow(data, cls)
    if isinstance(expected, Exception):
        assert fast is _convert._MISS, f"the fast path accepted what the converter refused: {data}"
    elif fast is not _convert._MISS:
        assert fast == expected
        assert type(fast) is type(expected)


@given(records(REGISTRY, TODAY))
def test_a_valid_record_takes_the_fast_path_to_the_same_value(record: Record) -> None:
    data = record_to_dict(record)
    fast = _convert.fast_structure(data, Record)
    assert fast is not _convert._MISS
    assert fast == record == _convert.get_converter().structure(data, Record)


@given(records(REGISTRY, TODAY, max_evidence=5), st.data())
def test_changed_data_gets_the_converter_s_answer(record: Record, data: st.DataObject) -> None:
    """Any one value replaced, removed or added: the same record, or the converter's errors."""
    plain = record_to_dict(record)
    path = data.draw(st.sampled_from(plain_data.paths(plain)[1:]))
    how = data.draw(st.sampled_from(["replace", "drop", "add"]))
    new = data.draw(st.sampled_from(ODD))
    changed = plain_data.changed(plain, path, new, how)
    agree(changed, Record)


@pytest.mark.parametrize("new", ODD, ids=repr)
@pytest.mark.parametrize("key", ["id", "qualified", "service", "enrolments", "evidence"])
def test_a_bad_value_in_an_example_gets_the_converter_s_errors(key: str, new: Any) -> None:
    with EXAMPLES[0].open("rb") as fh:
        data = tomli.load(fh)
    agree({**data, key: new}, Record)
    if isinstance(slow({**data, key: new}, Record), Exception):  # the errors name the field
        with pytest.raises(RecordError) as caught:
            _convert.structure({**data, key: new}, Record, file="r.toml")
        assert all(p.file == "r.toml" for p in caught.value.problems)
        assert any(p.path.startswith(key) for p in caught.value.problems)


def test_the_shipped_data_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Frameworks, rules, example records and councils: none falls back to the converter."""
    missed: list[str] = []
    fast = _convert.fast_structure

    def spy(data: object, cls: type) -> Any:
        value = fast(data, cls)
        if value is _convert._MISS:
            missed.append(cls.__name__)
        return value

    monkeypatch.setattr(_convert, "fast_structure", spy)
    registry = FrameworkRegistry.default()
    assert isinstance(registry.get(), Framework)
    from ecf import assessors, council, store  # noqa: PLC0415 - after the spy is in place

    for path in EXAMPLES:
        record = store.read_record(path)
        assessors.assess(record, registry, TODAY)
    for path in sorted((ROOT / "examples" / "councils").glob("*.toml")):
        council.load_council(path)
    assert missed == []


def test_a_type_the_fast_path_does_not_know_goes_to_the_converter() -> None:
    import attrs  # noqa: PLC0415 - a class made for this test only

    @attrs.frozen
    class Listed:
        values: list[int]

    assert _convert.fast_structure({"values": [1]}, Listed) is _convert._MISS
    assert _convert.structure({"values": [1]}, Listed) == Listed([1])


CHILD = """
import sys
from ecf.cli import main
try:
    main(["status", sys.argv[1], "--as-of", "2026-11-30"], standalone_mode=False)
finally:
    import json
    print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in
                            ("cattrs", "tomlkit", "sqlite3", "msgspec"))), file=sys.stderr)
"""


def test_reading_one_record_imports_no_writer_and_no_converter(tmp_path: Path) -> None:
    record = tmp_path / "r.toml"
    record.write_bytes(EXAMPLES[0].read_bytes())
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(record)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert json.loads(run.stderr.strip().splitlines()[-1]) == []


# --- The plugin scan without importlib.metadata -----------------------------------------------

PLUGINS_CHILD = """
import json, sys
from ecf import plugin_manager
quick = plugin_manager.get_plugins()
quick_used = "importlib.metadata" not in sys.modules
import importlib.metadata
full = plugin_manager.get_plugins()
print(json.dumps([quick_used, repr(quick.found()), repr(full.found())]))
"""


def test_the_quick_plugin_scan_finds_what_importlib_metadata_finds() -> None:
    run = subprocess.run(
        [sys.executable, "-c", PLUGINS_CHILD], capture_output=True, text=True, check=True
    )
    quick_used, quick, full = json.loads(run.stdout)
    assert quick_used  # this environment has no plugin installed: the quick scan answered
    assert quick == full


def _dist(folder: Path, name: str, entry_points: str | None) -> None:
    info = folder / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n\n")
    if entry_points is not None:
        (info / "entry_points.txt").write_text(entry_points)


@pytest.mark.parametrize("group", ["ecf_social_work.assessors", "ecf"])
def test_an_installed_plugin_sends_the_scan_to_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group: str
) -> None:
    from ecf import plugin_manager  # noqa: PLC0415 - the module under test

    monkeypatch.delitem(sys.modules, "importlib.metadata", raising=False)
    _dist(tmp_path, "ecf_caseload", f"[console_scripts]\nx = y:z\n\n[{group}]\ncaseload = c:d\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert plugin_manager._only_ecf_installed() is None


def test_a_distribution_without_an_ecf_plugin_leaves_the_quick_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecf import plugin_manager  # noqa: PLC0415 - the module under test

    monkeypatch.delitem(sys.modules, "importlib.metadata", raising=False)
    _dist(tmp_path, "other", "[console_scripts]\nother = other:main\n")
    _dist(tmp_path, "plain", None)
    monkeypatch.syspath_prepend(str(tmp_path))
    from ecf._version import __version__  # noqa: PLC0415

    assert plugin_manager._only_ecf_installed() == __version__
    monkeypatch.setitem(sys.modules, "importlib.metadata", object())  # imported: not sure
    assert plugin_manager._only_ecf_installed() is None
