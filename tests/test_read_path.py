"""The per-file read path of a scan (issue 14): as fast as can be, and refusing as it did.

``ecf.limits.parse_toml`` parses a small text first and checks its data after, instead of
scanning the text before; ``ecf.limits.read_limited`` reads just the file's size.  Property
tests hold both to the code they replaced (``tests/limits_reference.py``): the same texts and
files accepted with the same data, the same refused with the same problems, under the shipped
limits and under lowered ones, so that the near-limit shapes are small enough to generate.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import limits_reference as reference
from ecf import limits
from ecf.errors import EcfError, RecordError

if TYPE_CHECKING:
    from collections.abc import Callable

# --- TOML texts: valid ones of every shape near the limits, and broken ones -----------------

#: Characters a string may hold: those that the scan of the text must not take for syntax.
_INSIDE = st.text(alphabet="ab.[]{}#\"'\\ \n,=", max_size=12)


def _basic(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@st.composite
def _string(draw: st.DrawFn) -> str:
    text = draw(_INSIDE)
    kind = draw(st.sampled_from(["basic", "literal", "multi-basic", "multi-literal"]))
    if kind == "literal" and "'" not in text and "\n" not in text:
        return f"'{text}'"
    if kind == "multi-basic":
        return '"""' + text.replace("\\", "\\\\").replace('"', '\\"') + '"""'
    if kind == "multi-literal" and "'''" not in text and not text.endswith("'"):
        return f"'''\n{text}'''"
    return _basic(text)


_SCALAR = st.one_of(
    st.integers(-5, 99).map(str),
    st.sampled_from(["1.5", "6.626e-34", "true", "2026-06-01", "07:32:00.5", "inf"]),
    _string(),
)


def _key(names: list[str]) -> st.SearchStrategy[str]:
    part = st.one_of(st.sampled_from(names), _string().filter(lambda s: "\n" not in s))
    return st.lists(part, min_size=1, max_size=5).map(".".join)


@st.composite
def _value(draw: st.DrawFn, depth: int) -> str:
    if depth <= 0 or draw(st.integers(0, 2)) == 0:
        return draw(_SCALAR)
    items = draw(st.lists(_value(depth - 1), max_size=4))
    if draw(st.booleans()):
        dots = draw(st.lists(st.sampled_from(["", ".x", ".y.z"]), min_size=len(items)))
        pairs = [f"k{i}{dot} = {v}" for i, (dot, v) in enumerate(zip(dots, items, strict=False))]
        return "{" + ", ".join(pairs) + "}"
    if draw(st.booleans()):
        lines = "".join(f"\n  {v}, # [c.d.e]" for v in items)
        return f"[{lines}\n]"
    return "[" + ", ".join(items) + "]"


@st.composite
def toml_texts(draw: st.DrawFn) -> str:
    """A text that is mostly valid TOML (names may clash), with strings full of syntax."""
    names = ["a", "b", "c", "d"]
    lines: list[str] = []
    for n in range(draw(st.integers(0, 6))):
        header = draw(_key(names))
        lines.append(draw(st.sampled_from(["[{}]", "[[{}]]", "  [ {} ]"])).format(header))
        for i in range(draw(st.integers(0, 3))):
            key = draw(st.sampled_from([f"v{n}{i}", f"v{n}{i}.w", f'"q.{n}{i}"']))
            lines.append(f"{key} = {draw(_value(draw(st.integers(0, 5))))}")
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["# [x.y.z]", "", "# '''"])))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))


#: Pieces of broken or hostile TOML, run together at random.
_PIECES = ["[", "]", "[[", "]]", "{", "}", ".", "a", " = ", "1", ",", '"', "'", '"""', "'''"]
broken_texts = st.lists(st.sampled_from([*_PIECES, "#", "\n", "\\", "x = [", "[a.b.c]"])).map(
    "".join
)

#: Lowered limits, so that every refusal is reachable with a short text; the depth and the
#: dotted parts as ``ecf.limits`` relates them (the parts one less than the depth).
LOWERED = {
    "depth-4": {"MAX_DEPTH": 4, "MAX_KEY_PARTS": 3, "MAX_ENTRIES": 3},
    "depth-3": {"MAX_DEPTH": 3, "MAX_KEY_PARTS": 3, "MAX_ENTRIES": 200},
    "entries": {"MAX_ENTRIES": 2},
    "lines": {"MAX_LINE_CHARS": 10},
    "strings": {"MAX_STRING_CHARS": 10, "MAX_LINE_CHARS": 200, "MAX_CONTAINERS": 200},
    "sizes": {"MAX_STRING_CHARS": 40, "MAX_LINE_CHARS": 60, "MAX_CONTAINERS": 8, "MAX_ENTRIES": 4},
    "parts-1": {"MAX_DEPTH": 5, "MAX_KEY_PARTS": 1},  # parts below the depth: scanned first
}


def _outcome(parse: Callable[[str, str, type[EcfError]], Any], text: str) -> object:
    try:
        return ("read", parse(text, "f.toml", RecordError))
    except EcfError as exc:
        return ("refused", type(exc), exc.problems)


def same_verdict(text: str) -> None:
    want = _outcome(reference.parse_toml, text)
    assert _outcome(limits.parse_toml, text) == want, text


@pytest.fixture
def lowered(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, int]], None]:
    def lower(values: dict[str, int]) -> None:
        for name, value in values.items():
            monkeypatch.setattr(limits, name, value)

    return lower


@given(text=st.one_of(toml_texts(), broken_texts))
@example(text="a = " + "[" * 31 + "]" * 31)
@example(text="a = " + "[" * 33 + "]" * 33)
@example(text="[" + ".".join("k" * 31) + "]\nx = 1")
@example(text="[" + ".".join("k" * 33) + "]\nx = 1")
@example(text="a = [\n" + ("  [" + ", ".join(["1.5"] * 40) + "],\n") * 3 + "]")
@example(text="a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.A.B.C.D.E.F.G = 1")
def test_the_shipped_limits_give_the_same_verdicts(text: str) -> None:
    same_verdict(text)


@pytest.mark.parametrize("values", LOWERED.values(), ids=LOWERED.keys())
@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(toml_texts(), broken_texts))
@example(text="a = [1, 2, 3]")
@example(text='a = "abcdefghijkl"')
@example(text="[a.b]\nc.d = [[{e = 1}]]")
@example(text="a = [[], [], []]\nb = [[], []]\nc = [[]]")
def test_lowered_limits_give_the_same_verdicts(
    lowered: Callable[[dict[str, int]], None], values: dict[str, int], text: str
) -> None:
    lowered(values)
    same_verdict(text)


def test_many_tables_of_one_name_under_several_parents_are_refused_as_before(
    lowered: Callable[[dict[str, int]], None],
) -> None:
    # Each [[a.b]] array holds three tables, so only the scan of the text counts six of them.
    lowered({"MAX_ENTRIES": 3})
    text = ("[[a]]\n" + "[[a.b]]\n" * 3) * 2
    with pytest.raises(RecordError, match=r"more than 3 \[\[a.b\]\] tables \(6\)"):
        limits.parse_toml(text, "f.toml", RecordError)
    same_verdict(text)


def test_a_record_file_is_read_by_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped examples never need the scan (were it needed, the speed would be lost)."""
    root = Path(__file__).resolve().parent.parent / "examples" / "records"

    def scanned(*_: object) -> None:
        raise AssertionError

    monkeypatch.setattr(limits, "check_text", scanned)
    for path in sorted(root.glob("*.toml")):
        limits.parse_toml(path.read_text(encoding="utf-8"), path, RecordError)


def test_a_text_over_the_fast_path_size_is_scanned_first(monkeypatch: pytest.MonkeyPatch) -> None:
    scans: list[int] = []
    real = limits.check_text

    def counting(text: str, file: object, error: type[EcfError]) -> None:
        scans.append(len(text))
        real(text, file, error)  # type: ignore[arg-type]

    monkeypatch.setattr(limits, "check_text", counting)
    big = "a = 1\n" + "# a comment\n" * (limits.MAX_LINE_CHARS // 10)
    assert limits.parse_toml(big, "f.toml", RecordError) == {"a": 1}
    assert scans == [len(big)]


# --- reading a file -------------------------------------------------------------------------


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(0, 3000), limit=st.sampled_from([None, 0, 1, 999, 1000, 1001, 5000]))
def test_a_file_reads_as_it_did(tmp_path: Path, size: int, limit: int | None) -> None:
    path = tmp_path / "f.toml"
    path.write_bytes(os.urandom(size))

    def outcome(read: Callable[..., bytes]) -> object:
        try:
            return read(path, RecordError, limit=limit)
        except EcfError as exc:
            return exc.problems

    assert outcome(limits.read_limited) == outcome(reference.read_limited)


@pytest.mark.parametrize("limit", [None, 100])
def test_a_file_that_grows_after_fstat_is_read_to_its_end_or_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int | None
) -> None:
    path = tmp_path / "f.toml"
    path.write_bytes(b"x" * 10)
    real = os.fstat

    def fstat_then_grow(fd: int) -> os.stat_result:
        found = real(fd)
        with path.open("ab") as fh:  # written between fstat and the read
            fh.write(b"y" * 200_000)
        return found

    monkeypatch.setattr(os, "fstat", fstat_then_grow)
    if limit is None:
        assert limits.read_limited(path, RecordError) == b"x" * 10 + b"y" * 200_000
    else:
        with pytest.raises(RecordError, match="too large: 101 bytes or more, the limit is 100"):
            limits.read_limited(path, RecordError, limit=limit)
