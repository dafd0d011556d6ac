"""The compiled form of the shipped framework and rule files (issue 14: one record in a blink).

What :mod:`ecf._compiled` promises: a shipped file read from its compiled form gives exactly
what parsing it gives; a file without one (edited, a council's own) is parsed; a compiled form
that is stale, corrupt or planted under another digest is never used for other bytes.
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
from hypothesis import given
from hypothesis import strategies as st

from ecf import _compiled, limits
from ecf.errors import FrameworkError
from ecf.framework import FrameworkRegistry
from ecf.rules import RuleError, load_rules

DATA = Path(_compiled.__file__).parent / "data"
SHIPPED = sorted(p for folder in _compiled.SHIPPED for p in (DATA / folder).glob("*.toml"))


_typed = _compiled.exact


def test_every_shipped_file_has_its_compiled_form_and_nothing_else_is_shipped() -> None:
    expected = {_compiled.compiled_path(p.read_bytes()) for p in SHIPPED}
    assert set(_compiled.COMPILED.glob("*.json")) == expected, "run: python -m ecf._compiled"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_shipped_file_read_compiled_gives_exactly_its_parse(path: Path) -> None:
    parsed = limits.load_toml(path, FrameworkError)
    assert _compiled._compiled(path.read_bytes()) is not None  # the compiled form is used
    compiled = _compiled.load_toml(path, FrameworkError)
    assert _typed(compiled) == _typed(parsed)
    assert list(compiled) == list(parsed)  # the order of keys too


def test_the_frameworks_and_rules_built_from_the_compiled_form_equal_those_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def built() -> tuple[object, ...]:
        registry = FrameworkRegistry.default()
        frameworks = [registry.get(v) for v in registry.versions()]
        rules = [load_rules(p, registry.get()) for p in sorted((DATA / "rules").glob("*.toml"))]
        return (*frameworks, *rules)

    compiled = built()
    monkeypatch.setattr(_compiled, "_compiled", lambda _content: None)
    assert built() == compiled


def test_an_edited_copy_of_a_shipped_file_is_parsed(tmp_path: Path) -> None:
    source = DATA / "frameworks" / "baseline-2026.toml"
    edited = tmp_path / "baseline-2026.toml"
    edited.write_bytes(source.read_bytes().replace(b'title = "', b'title = "Edited: ', 1))
    assert not _compiled.compiled_path(edited.read_bytes()).exists()
    got = _compiled.load_toml(edited, FrameworkError)
    assert got == limits.load_toml(edited, FrameworkError)
    assert got != limits.load_toml(source, FrameworkError)


def test_a_corrupt_or_foreign_compiled_form_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = DATA / "rules" / "baseline-2026.toml"
    monkeypatch.setattr(_compiled, "COMPILED", tmp_path)
    target = _compiled.compiled_path(source.read_bytes())
    parsed = limits.load_toml(source, RuleError)
    for planted in ("not json", '{"format": 0, "data": {}}', '{"format": 1, "data": []}', "\xff"):
        target.write_text(planted, encoding="utf-8")
        assert _compiled.load_toml(source, RuleError) == parsed
    target.unlink()
    target.mkdir()  # not a file
    assert _compiled.load_toml(source, RuleError) == parsed
    target.rmdir()
    if hasattr(os, "mkfifo"):  # a FIFO is refused, never waited on (ecf.limits.open_regular)
        os.mkfifo(target)
        child = (
            "import sys; from pathlib import Path; from ecf import _compiled, limits\n"
            "from ecf.rules import RuleError\n"
            "_compiled.COMPILED = Path(sys.argv[1])\n"
            "source = Path(sys.argv[2])\n"
            "assert _compiled.load_toml(source, RuleError) == limits.load_toml(source, RuleError)\n"
        )
        # In a child with a timeout: a regression fails rather than hangs.
        subprocess.run(
            [sys.executable, "-c", child, str(tmp_path), str(source)], check=True, timeout=20
        )


def test_errors_are_the_parses(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"version = \n")
    with pytest.raises(RuleError) as ours:
        _compiled.load_toml(bad, RuleError)
    with pytest.raises(RuleError) as theirs:
        limits.load_toml(bad, RuleError)
    assert ours.value.lines() == theirs.value.lines()
    with pytest.raises(RuleError) as missing:
        _compiled.load_toml(tmp_path / "missing.toml", RuleError)
    assert "cannot read" in missing.value.lines()[0]


SCALARS = (
    st.text(max_size=6)
    | st.integers()
    | st.booleans()
    | st.floats()
    | st.dates()
    | st.datetimes(timezones=st.none() | st.timezones())
    | st.times()
)
TOML_DATA = st.dictionaries(
    st.text(max_size=6),
    st.recursive(
        SCALARS,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
        max_leaves=10,
    ),
    max_size=5,
)


@given(TOML_DATA)
def test_the_compiled_form_carries_any_data_exactly_or_not_at_all(data: dict[str, Any]) -> None:
    text = _compiled.compile_data(data)
    if text is None:  # a table shaped like a tag, a fold, a named time zone: parsed instead
        return
    back = _compiled._decode(text)
    assert back is not None
    assert _typed(back) == _typed(data)


def test_a_table_shaped_like_a_tag_is_not_compiled() -> None:
    assert _compiled.compile_data({"a": {"$date": "2026-01-01"}}) is None
    assert _compiled.compile_data({"a": {"$date": "2026-01-01", "b": 1}}) is not None
    assert _compiled.compile_data({"a": dt.date(2026, 1, 1)}) is not None
    assert json.loads(_compiled.compile_data({"a": dt.date(2026, 1, 1)}) or "") == {
        "format": _compiled.FORMAT,
        "data": {"a": {"$date": "2026-01-01"}},
    }
