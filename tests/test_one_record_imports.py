"""One record's commands import only what they use (issue 14, item 1): what they import is pinned.

``benchmarks/startup.py --census`` lists what ``ecf status``, ``ecf assess`` and ``ecf add``
import and build; these tests keep the path as it is now, and check that each thing taken off
it changed nothing but the time:

* ``ecf status FILE`` imports exactly the ecf modules listed here, and, beyond what ``import
  click, attrs`` imports, only the standard modules listed (a module pulled back onto the
  path fails the test: add it here only if the command uses it);
* SHA-256 without ``hashlib`` (:mod:`ecf._hashing`: OpenSSL's load cost more than all the
  hashing a command does) gives ``hashlib``'s digest, and falls back on it;
* the CLI's :func:`~ecf.cli.escape` compiles its pattern only for a text that may need it, and
  escapes every text as the pattern does;
* an edit imports :mod:`ecf.signing` only when a key may be in use, and signs with
  ``$ECF_SIGNING_KEY`` as before;
* a one-record command runs with the cyclic garbage collector paused, gives it back when it
  ends (even when it fails), and freezes what is alive at the interpreter's exit; a command
  over folders does neither.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ecf import _hashing, editor, signing
from ecf.cli import COMMANDS, ONE_RECORD, _control, _escaped, escape, main

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "examples" / "records" / "full-time.toml"

#: Every ecf module ``ecf status FILE`` imports on a valid record without a council
#: (``benchmarks/README.md``, "One record, fifth part", says which each is there for).
STATUS_MODULES = frozenset(
    {
        "ecf",
        "ecf._compiled",
        "ecf._convert",
        "ecf._hashing",
        "ecf._hints",
        "ecf._logs",
        "ecf._replace",
        "ecf._arguments",  # ecf.items imports it
        "ecf._version",  # the plugin manager: the baseline plugin's version
        "ecf.agreements",
        "ecf.appeals",
        "ecf.assessors",
        "ecf.cli",
        "ecf.cli.report",
        "ecf.cli.types",
        "ecf.council_settings",
        "ecf.cpd",
        "ecf.employment",
        "ecf.errors",
        "ecf.fields",
        "ecf.findings",
        "ecf.framework",
        "ecf.guidance",
        "ecf.history",
        "ecf.hookspecs",
        "ecf.items",
        "ecf.limits",
        "ecf.parsing",
        "ecf.plugin_manager",
        "ecf.plugins",
        "ecf.plugins.baseline",
        "ecf.privacy",
        "ecf.progression",
        "ecf.project",
        "ecf.records",
        "ecf.rules",
        "ecf.status",
        "ecf.store",
        "ecf.timeline",
        "ecf.tuning",
        "ecf.validation",
    }
)

#: The other modules ``ecf status FILE`` may import beyond those of ``import click, attrs``, by
#: their top-level name: what it uses (paths, exact FTEs, the compiled data as JSON, TOML, the
#: plugin manager), what those import, and what click imports when a command runs (``locale``,
#: through ``gettext``).  Never ``hashlib`` (OpenSSL), ``glob``, ``logging``, ``tomlkit``...
STATUS_OTHERS = frozenset(
    {
        "pathlib",
        "fnmatch",
        "ntpath",
        "urllib",
        "ipaddress",
        "locale",
        "fractions",
        "decimal",
        "numbers",
        "json",
        "calendar",
        "bisect",
        "tomli",
        "pluggy",
        "_sha2",  # CPython's own SHA-256 (ecf._hashing), 3.12 on
        "_sha256",  # the same, 3.11
        "gc",  # built in: the collector paused (ecf.cli._pause_collector)
        "atexit",  # built in: the collector's last pass skipped
    }
)

#: Run a command, then print the modules imported, as JSON, on stderr.
CHILD = """
import json, sys
from ecf.cli import main
try:
    main(json.loads(sys.argv[1]), standalone_mode=False)
finally:
    print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _imported(args: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> set[str]:
    run = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(args)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HOME": str(tmp_path), "ECF_COUNCIL": "", **(env or {})},
        cwd=tmp_path,
    )
    return set(json.loads(run.stderr.strip().splitlines()[-1]))


def _floor(tmp_path: Path) -> set[str]:
    code = "import json, sys, click, attrs; print(json.dumps(sorted(sys.modules)))"
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    return set(json.loads(run.stdout))


def test_ecf_status_imports_exactly_what_it_uses(tmp_path: Path) -> None:
    record = tmp_path / "r.toml"
    record.write_bytes(RECORD.read_bytes())
    imported = _imported(["status", str(record)], tmp_path)
    assert {m for m in imported if m.split(".")[0] == "ecf"} == STATUS_MODULES
    others = {m.split(".")[0] for m in imported - _floor(tmp_path) if m.split(".")[0] != "ecf"}
    allowed = STATUS_OTHERS | {f"_{m}" for m in STATUS_OTHERS}  # their C parts: _decimal...
    unexpected = {m for m in others if m not in allowed and not m.endswith("__mypyc")}
    assert unexpected == set()  # (tomli's compiled helper module is named by a hash)


@pytest.mark.parametrize("command", [["status"], ["assess"]])
def test_one_records_read_commands_load_no_openssl_nor_writers_modules(
    tmp_path: Path, command: list[str]
) -> None:
    record = tmp_path / "r.toml"
    record.write_bytes(RECORD.read_bytes())
    imported = _imported([*command, str(record)], tmp_path)
    off_the_path = {"hashlib", "_hashlib", "glob", "ecf._append", "ecf.signing", "base64"}
    assert imported & off_the_path == set()


def test_ecf_add_loads_neither_openssl_nor_the_signing_keys_without_a_key(tmp_path: Path) -> None:
    record = tmp_path / "r.toml"
    record.write_bytes(RECORD.read_bytes())
    add = ["add", "evidence", str(record), "--kind", "supervision", "--date", "2026-03-02"]
    imported = _imported([*add, "--by", "A. Test"], tmp_path)
    off_the_path = {"hashlib", "_hashlib", "ecf.signing", "base64", "ecf.appeals", "ecf.privacy"}
    assert imported & off_the_path == set()
    assert "supervision" in record.read_text(encoding="utf-8")


@given(st.binary(max_size=300))
def test_sha256_without_hashlib_is_hashlibs(data: bytes) -> None:
    assert _hashing.sha256_hex(data) == hashlib.sha256(data).hexdigest()


def test_sha256_falls_back_on_hashlib_without_cpythons_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(name: str) -> object:
        raise ImportError(name)

    monkeypatch.setattr(importlib, "import_module", missing)  # (the one _hashing calls)
    assert _hashing._sha256() is hashlib.sha256


#: Text with what the pattern escapes, and what it leaves: ASCII controls, tab, newline, carriage
#: returns before a newline or not, DEL, C1 controls, bidirectional marks, lone surrogates.
ASCII = st.sampled_from(["a", " ", "~", "\t", "\n", "\r", "\r\n", "\x00", "\x1b", "\x7f"])
TEXT = st.lists(ASCII, max_size=12).map("".join) | st.lists(
    ASCII
    | st.sampled_from(["\x85", "\x9b", "\u061c", "\u200f", "\u202e", "\u2066", "\ud800", "é"])
    | st.characters(),
    max_size=20,
).map("".join)


@given(TEXT)
def test_escape_escapes_every_text_as_the_pattern_does(text: str) -> None:
    control = _control()
    assert escape(text) == control.sub(_escaped, text)


def test_escape_compiles_no_pattern_for_plain_text() -> None:
    _control.cache_clear()
    assert escape("ph-0001: asye\tstarted 2026-02-02\n") == "ph-0001: asye\tstarted 2026-02-02\n"
    assert _control.cache_info().currsize == 0
    assert escape("a\rb") == "a\\x0db"
    assert _control.cache_info().currsize == 1


def test_the_editor_names_the_signing_keys_variable_as_signing_does() -> None:
    assert editor._SIGNING_KEY_ENV == signing.SIGNING_KEY_ENV


SIGNED_CHILD = """
import json, sys
from ecf.cli import main
main(json.loads(sys.argv[1]), standalone_mode=False)
"""


def test_an_edit_signs_with_the_key_of_the_variable_without_importing_signing_first(
    tmp_path: Path,
) -> None:
    pytest.importorskip("cryptography")
    key, _, fingerprint = signing.new_key_pair(tmp_path)
    record = tmp_path / "r.toml"
    record.write_bytes(RECORD.read_bytes())
    add = ["add", "evidence", str(record), "--kind", "supervision", "--date", "2026-03-02"]
    subprocess.run(
        [sys.executable, "-c", SIGNED_CHILD, json.dumps([*add, "--by", "A. Test"])],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HOME": str(tmp_path), "ECF_COUNCIL": "", "ECF_SIGNING_KEY": str(key)},
    )
    text = record.read_text(encoding="utf-8")
    assert f'key = "{fingerprint}"' in text


# --- the collector paused while a one-record command runs ---------------------------------


def test_a_one_record_command_runs_with_the_collector_paused_and_gives_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc  # noqa: PLC0415 - these tests only

    record = tmp_path / "r.toml"
    record.write_bytes(RECORD.read_bytes())
    seen: list[bool] = []
    module = importlib.import_module("ecf.status")  # (ecf.status is the facade's function)
    real = module.status

    def watched(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "status", watched)
    assert gc.isenabled()
    result = CliRunner().invoke(main, ["status", str(record)])
    assert result.exit_code == 0, result.output
    assert seen == [False]
    assert gc.isenabled()
    # a command that fails gives it back too
    result = CliRunner().invoke(main, ["status", str(tmp_path / "missing.toml")])
    assert result.exit_code == 2
    assert gc.isenabled()


#: Run ``ecf status`` three times in one process; count the exit handlers that freeze.
ONCE_CHILD = """
import atexit, gc, sys
real = atexit.register
freezes = []
def register(func, *args, **kwargs):
    freezes.extend([func] if func is gc.freeze else [])
    return real(func, *args, **kwargs)
atexit.register = register
from ecf.cli import main
for _ in range(3):
    main(["status", sys.argv[1]], standalone_mode=False)
print(f"freezes registered: {len(freezes)}", file=sys.stderr)
"""


def test_the_freeze_at_exit_is_registered_once_however_many_commands_run(tmp_path: Path) -> None:
    record = tmp_path / "r.toml"
    record.write_bytes(RECORD.read_bytes())
    run = subprocess.run(
        [sys.executable, "-c", ONCE_CHILD, str(record)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HOME": str(tmp_path), "ECF_COUNCIL": ""},
    )
    assert run.stderr.splitlines()[-1] == "freezes registered: 1"


def test_only_one_records_commands_pause_the_collector() -> None:
    assert {"add", "new", "decide", "status", "assess", "timeline", "report"} <= ONE_RECORD
    folders = {"cohort", "workforce", "calendar", "census", "export", "import", "validate"}
    assert not folders & ONE_RECORD
    assert ONE_RECORD.issubset(COMMANDS)


#: Run ``ecf status``; at the very end of the exit (an exit handler registered first runs last),
#: say whether the objects alive were frozen, so that the collector's last pass scans none.
FREEZE_CHILD = """
import atexit, gc, sys
atexit.register(lambda: print(f"frozen at exit: {gc.get_freeze_count() > 0}", file=sys.stderr))
from ecf.cli import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize(("command", "frozen"), [("status", True), ("validate", False)])
def test_a_one_record_command_freezes_what_is_alive_at_exit(
    tmp_path: Path, command: str, frozen: bool
) -> None:
    record = tmp_path / "r.toml"
    record.write_bytes(RECORD.read_bytes())
    run = subprocess.run(
        [sys.executable, "-c", FREEZE_CHILD, command, str(record)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HOME": str(tmp_path), "ECF_COUNCIL": ""},
    )
    assert run.stderr.splitlines()[-1] == f"frozen at exit: {frozen}"
