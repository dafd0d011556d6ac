"""One record in a blink (issue 14, item 1): what the start-up changes promise, never a time.

``benchmarks/startup.py`` measures; these tests check that nothing but the time changed:

* the fast unstructuring path (:func:`ecf._convert.fast_unstructure`) gives what the cattrs
  converter gives, so history digests and seals are byte for byte the same, and hands anything
  it does not know to the converter;
* ``ecf status`` reads one record without importing the cohort's modules (``ecf.sources``,
  ``ecf.cache``), and ``ecf add`` changes one without importing cattrs;
* an edit parses the file with tomlkit once (it used to parse it twice: at open, and again
  to copy the document the save patches);
* ``ecf status`` and ``ecf assess`` import nothing a read of one record does not use (logging,
  the writers' modules, the council's classes without ``--council``, cattrs, msgspec), and a
  warning logged after the CLI deferred its logging setup is printed as before;
* ``ecf add`` makes its temporary file as :func:`tempfile.mkstemp` does, without importing it;
* the plugin scan lists the metadata folders in the order the path sort gave.

The compiled framework and rule data have their own tests (``tests/test_compiled.py``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
import tomlkit
from hypothesis import given
from hypothesis import strategies as st

import ecf
from ecf import _convert, store
from ecf.framework import FrameworkRegistry
from ecf.records import Record, canonical, digest
from ecf.testing import records

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "records").glob("*.toml"))
REGISTRY = FrameworkRegistry.default()
TODAY = dt.date(2026, 11, 30)

#: Values a record's ``extra`` table may hold, as a TOML file gives them.
TOML_VALUES = st.recursive(
    st.text(max_size=5) | st.integers() | st.booleans() | st.dates() | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)


def _both(value: object) -> tuple[Any, Any]:
    fast = _convert.fast_unstructure(value)
    assert fast is not _convert._MISS
    return fast, _convert.get_converter().unstructure(value)


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


@given(records(REGISTRY, TODAY, max_evidence=8), st.dictionaries(st.text(max_size=4), TOML_VALUES))
def test_the_fast_unstructure_gives_what_the_converter_gives(
    record: Record, extra: dict[str, Any]
) -> None:
    if extra:
        record = attrs.evolve(record, extra=extra)
    fast, slow = _both(record)
    assert fast == slow
    assert _json(fast) == _json(slow)
    for item in (*record.evidence, *record.history, *record.absences, *record.enrolments):
        fast, slow = _both(item)
        assert fast == slow
        assert _json(fast) == _json(slow)


@given(records(REGISTRY, TODAY, max_evidence=5))
def test_digests_and_seals_are_byte_for_byte_the_converters(record: Record) -> None:
    conv = _convert.get_converter()
    for item in (record, *record.evidence, *record.history):
        text = json.dumps(
            conv.unstructure(item), sort_keys=True, default=_iso, separators=(",", ":")
        )
        assert digest(item).removeprefix("sha256:") == _sha(text)[:32]
    both: dict[str, object] = {
        "entry": record.history[0] if record.history else None,
        "record": record,
    }
    assert canonical(both) == canonical_by_converter(both)


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _sha(text: str) -> str:
    import hashlib  # noqa: PLC0415 - this helper only

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_by_converter(value: dict[str, object]) -> bytes:
    conv = _convert.get_converter()
    plain = {k: conv.unstructure(v) for k, v in value.items()}
    return json.dumps(plain, sort_keys=True, default=_iso, separators=(",", ":")).encode("utf-8")


def test_the_shipped_examples_take_the_fast_unstructure() -> None:
    for path in EXAMPLES:
        fast, slow = _both(store.read_record(path))
        assert fast == slow


class _Colour(enum.Enum):
    RED = "red"


@attrs.frozen
class _Painted:
    colour: _Colour


@attrs.frozen
class _Later:
    name: str
    kept: tuple[str, ...] = attrs.field(factory=tuple)
    count: int = attrs.field(default=0, init=False)


def test_a_type_the_fast_unstructure_does_not_know_goes_to_the_converter() -> None:
    painted = _Painted(_Colour.RED)
    assert _convert.fast_unstructure(painted) is _convert._MISS
    assert _convert.unstructure(painted) == {"colour": "red"}


def test_defaults_and_fields_init_does_not_take_are_left_out_as_the_converter_does() -> None:
    for value in (_Later("a"), _Later("a", ("x",))):
        fast, slow = _both(value)
        assert fast == slow


STATUS_CHILD = """
import json, sys
from ecf.cli import main
try:
    main(["status", sys.argv[1], "--as-of", "2026-11-30"], standalone_mode=False)
finally:
    print(json.dumps(sorted(m for m in sys.modules if m in ("ecf.sources", "ecf.cache"))),
          file=sys.stderr)
"""

ADD_CHILD = """
import json, sys
from ecf.cli import main
try:
    main(["add", "evidence", sys.argv[1], "--kind", "supervision", "--date", "2026-03-02",
          "--standard", "kss-cf:1", "--by", "A. Test"], standalone_mode=False)
finally:
    print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "cattrs"
                            or m in ("ecf.sources", "ecf.cache"))), file=sys.stderr)
"""


@pytest.mark.parametrize("child", [STATUS_CHILD, ADD_CHILD], ids=["status", "add"])
def test_one_records_commands_import_neither_the_cohorts_modules_nor_cattrs(
    tmp_path: Path, child: str
) -> None:
    record = tmp_path / "r.toml"
    record.write_bytes((ROOT / "examples" / "records" / "full-time.toml").read_bytes())
    before = record.read_bytes()
    run = subprocess.run(
        [sys.executable, "-c", child, str(record)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert json.loads(run.stderr.strip().splitlines()[-1]) == []
    assert (record.read_bytes() != before) == (child is ADD_CHILD)


def test_an_edit_parses_the_file_with_tomlkit_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "r.toml"
    record.write_bytes((ROOT / "examples" / "records" / "full-time.toml").read_bytes())
    parses: list[int] = []
    real = tomlkit.parse

    def counted(text: str | bytes) -> tomlkit.TOMLDocument:
        parses.append(len(text))
        return real(text)

    monkeypatch.setattr(tomlkit, "parse", counted)
    with ecf.edit(record, by="A. Test", today=TODAY) as editor:
        editor.add_hours(dt.date(2026, 6, 1), "0.6")
    assert len(parses) == 1
    assert "2026-06-01" in record.read_text(encoding="utf-8")


@given(
    st.lists(
        st.tuples(
            st.text(st.sampled_from("aAbZz-_1"), min_size=1, max_size=5),
            st.sampled_from([".dist-info", ".egg-info", ".DIST-INFO", ".py", ""]),
        ),
        max_size=8,
        unique=True,
    )
)
def test_the_plugin_scan_lists_metadata_folders_as_the_path_sort_did(
    names: list[tuple[str, str]],
) -> None:
    import tempfile  # noqa: PLC0415 - this test only

    from ecf.plugin_manager import _infos  # noqa: PLC0415 - the function under test

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for stem, suffix in names:
            with contextlib.suppress(FileExistsError):
                (folder / f"{stem}{suffix}").mkdir()
        before = [
            p
            for p in sorted(folder.iterdir())
            if p.name.lower().endswith((".dist-info", ".egg-info"))
        ]
        assert _infos(folder) == before
    assert _infos(folder / "gone") == []


LAZY_CHILD = """
import json, sys
from ecf.cli import main
try:
    main([*sys.argv[3:], sys.argv[2]], standalone_mode=False)
finally:
    print(json.dumps(sorted(m for m in sys.modules if m in json.loads(sys.argv[1]))),
          file=sys.stderr)
"""

#: What one record's read-only commands need not import (issue 14: one record in a blink).
NOT_IMPORTED = (
    "logging",
    "traceback",
    "tomlkit",
    "filelock",
    "tempfile",
    "importlib.metadata",
    "ecf.council",  # without --council: only its settings (ecf.council_settings)
    "secrets",  # only anonymising and writing need it
    "random",
    "cattrs",  # no structuring code generated: valid data takes ecf._convert's fast path
    "msgspec",  # the cohort cache's, never one record's (importing it costs more than a parse)
    "ecf.sources",
    "ecf.cache",
)


@pytest.mark.parametrize("command", [["status"], ["assess"], ["status", "--json"]])
def test_one_records_read_commands_import_no_logging_nor_writers(
    tmp_path: Path, command: list[str]
) -> None:
    record = tmp_path / "r.toml"
    record.write_bytes((ROOT / "examples" / "records" / "full-time.toml").read_bytes())
    run = subprocess.run(
        [sys.executable, "-c", LAZY_CHILD, json.dumps(NOT_IMPORTED), str(record), *command],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HOME": str(tmp_path), "ECF_COUNCIL": ""},
    )
    assert json.loads(run.stderr.strip().splitlines()[-1]) == []


WARN_CHILD = """
import sys
import click
from ecf.cli import main

@main.command("log-test")
def log_test():
    loaded = "logging" in sys.modules
    from ecf import _logs
    _logs.logger("ecf.test").warning("careful: %s", "ph-0001")
    _logs.logger("ecf.test").info("said with -v only")
    print(f"logging imported before: {loaded}")

main(sys.argv[1:], standalone_mode=False)
"""


@pytest.mark.parametrize("verbose", [False, True])
def test_a_warning_logged_after_the_deferred_setup_is_printed_as_before(
    tmp_path: Path, verbose: bool
) -> None:
    run = subprocess.run(
        [sys.executable, "-c", WARN_CHILD, *(["-v"] if verbose else []), "log-test"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HOME": str(tmp_path), "ECF_COUNCIL": ""},
    )
    assert run.stdout == f"logging imported before: {verbose}\n"
    said = ["warning: careful: ph-0001", *(["info: said with -v only"] if verbose else [])]
    assert run.stderr.splitlines() == said


def test_ecf_add_imports_neither_tempfile_nor_completion(tmp_path: Path) -> None:
    record = tmp_path / "r.toml"
    record.write_bytes((ROOT / "examples" / "records" / "full-time.toml").read_bytes())
    # (logging, filelock and tomlkit neither: tests/test_lock.py)
    unwanted = ("tempfile", "shutil", "click.shell_completion", "importlib.metadata")
    add = ["add", "evidence", "--kind", "supervision", "--date", "2026-03-02", "--by", "A. T"]
    child = LAZY_CHILD.replace(
        "[*sys.argv[3:], sys.argv[2]]", "[*sys.argv[3:5], sys.argv[2], *sys.argv[5:]]"
    )
    run = subprocess.run(
        [sys.executable, "-c", child, json.dumps(unwanted), str(record), *add],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HOME": str(tmp_path), "ECF_COUNCIL": ""},
    )
    assert json.loads(run.stderr.strip().splitlines()[-1]) == []
    assert run.stdout.startswith("ev-")
    assert "supervision" in record.read_text(encoding="utf-8")


def test_a_writers_temporary_file_is_made_as_mkstemp_makes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stat  # noqa: PLC0415 - this test only

    fd, name = store._temporary(tmp_path, "r.toml")
    os.close(fd)
    made = Path(name)
    assert made.is_absolute()
    assert made.parent == tmp_path
    tail = made.name.removeprefix(".r.toml.").removesuffix(".tmp")
    assert len(tail) == 8
    assert set(tail) <= set("abcdefghijklmnopqrstuvwxyz0123456789_")
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    store._remove_stale_temporaries(tmp_path / "r.toml")  # what a killed writer leaves: removed
    assert not made.exists()
    monkeypatch.setattr(store, "_TEMPORARY_CHARS", "a")  # every name taken: an error, no loop
    fd, _ = store._temporary(tmp_path, "r.toml")
    os.close(fd)
    with pytest.raises(FileExistsError):
        store._temporary(tmp_path, "r.toml")


PLUGIN_CHILD = """
import importlib.metadata as md
import sys
sys.path.insert(0, sys.argv[1])
from ecf.cli import main

@main.command("plugin-test")
def plugin_test():
    from ecf.plugin_manager import get_plugins
    before = "logging" in sys.modules
    ep = md.EntryPoint(name="noisy", value="noisy_mod", group="ecf_social_work.assessors")
    loaded = get_plugins([ep]).load(["noisy"])["noisy"].loaded
    print(f"logging imported before: {before}; loaded: {loaded}")

main(["plugin-test"], standalone_mode=False)
"""


def test_a_plugin_logging_as_it_loads_is_shown_as_before(tmp_path: Path) -> None:
    (tmp_path / "noisy_mod.py").write_text(
        "import logging\nlogging.getLogger('ecf.noisy').warning('noisy at import')\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, "-c", PLUGIN_CHILD, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HOME": str(tmp_path), "ECF_COUNCIL": ""},
    )
    assert run.stdout == "logging imported before: False; loaded: True\n"
    assert run.stderr.splitlines() == ["warning: noisy at import"]
