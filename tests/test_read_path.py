"""The per-file read path of a scan (issue 14): as fast as can be, and refusing as it did.

The cache is asked about a whole chunk of files at once (``RecordCache.remember``); a chunk
read so trusts exactly the entries that the queries file by file trust.

``ecf.limits.parse_toml`` parses a small text first and checks its data after, instead of
scanning the text before; ``ecf.limits.read_limited`` reads just the file's size.  Property
tests hold both to the code they replaced (``tests/limits_reference.py``): the same texts and
files accepted with the same data, the same refused with the same problems, under the shipped
limits and under lowered ones, so that the near-limit shapes are small enough to generate.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import limits_reference as reference
from ecf import cache as cache_module
from ecf import limits, sources
from ecf.cache import RecordCache, verdict_context
from ecf.errors import EcfError, RecordError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synth  # the benchmarks folder is put on the path just above

if TYPE_CHECKING:
    from collections.abc import Callable

    from ecf.framework import FrameworkRegistry

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


# --- the cache asked once a chunk -----------------------------------------------------------

#: What is done to one file's cache entries, or to the file, before a warm read.
SPOILS = {
    "nothing": [],
    "record checksum": ["UPDATE records SET checksum = 'x' WHERE digest = :digest"],
    "record format": ["UPDATE records SET format = '0/0' WHERE digest = :digest"],
    "record under another id": ["UPDATE records SET record_id = 'other' WHERE digest = :digest"],
    "record data": ["UPDATE records SET data = x'00' WHERE digest = :digest"],
    "record gone": ["DELETE FROM records WHERE digest = :digest"],
    "identity": ["UPDATE files SET ino = ino + 1 WHERE path = :path"],
    "not settled": ["UPDATE files SET checked = 0 WHERE path = :path"],
    "checked not a number": ["UPDATE files SET checked = 'soon' WHERE path = :path"],
    "file row gone": ["DELETE FROM files WHERE path = :path"],
    "verdicts": ["UPDATE verdicts SET checksum = 'x' WHERE record_id = :id"],
    "verdicts gone": ["DELETE FROM verdicts WHERE record_id = :id"],
    "edited file": [],
}


@pytest.fixture(scope="module")
def chunk(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("chunk")
    synth.generate(folder, len(SPOILS))
    return sorted(str(p) for p in folder.rglob("*.toml"))


def _warm(folder: Path, paths: list[str], registry: FrameworkRegistry) -> str:
    """Fill a cache for ``paths`` (as a scan does) and return the verdicts' context."""
    context = verdict_context(registry.digest() or "", None, synth.TODAY)
    cache = RecordCache(folder)
    reads = [
        sources.read_file(p, registry, synth.TODAY, cache=cache, context=context) for p in paths
    ]
    cache.store(
        [r.entry for r in reads if r.entry is not None],
        [r.verdict for r in reads if r.verdict is not None],
    )
    cache.close()
    return context


def _plain(read: sources.Read) -> object:
    """A read without the moment it was taken (the clock moves between two reads)."""
    entry = None if read.entry is None else read.entry._replace(checked=0)
    return attrs.evolve(read, entry=entry)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spoils=st.lists(st.sampled_from(list(SPOILS)), min_size=len(SPOILS), max_size=len(SPOILS)))
def test_a_chunk_read_at_once_reads_as_file_by_file(
    tmp_path_factory: pytest.TempPathFactory,
    chunk: list[str],
    registry: FrameworkRegistry,
    monkeypatch: pytest.MonkeyPatch,
    spoils: list[str],
) -> None:
    """Whatever is wrong with an entry, the batched read trusts exactly what one query would."""
    monkeypatch.setattr(cache_module, "SETTLE_NS", 0)
    folder = tmp_path_factory.mktemp("cache")
    work = tmp_path_factory.mktemp("files")
    paths = []
    for i, source in enumerate(chunk):
        copy = work / f"r{i}.toml"
        copy.write_bytes(Path(source).read_bytes())
        paths.append(str(copy))
    context = _warm(folder, paths, registry)
    db = sqlite3.connect(folder / f"records.{cache_module.FORMAT}.sqlite3")
    with db:
        for path, spoil in zip(paths, spoils, strict=True):
            digest, record_id = db.execute(
                "SELECT digest, record_id FROM files WHERE path = ?", (path,)
            ).fetchone()
            for sql in SPOILS[spoil]:
                db.execute(sql, {"digest": digest, "path": path, "id": record_id})
            if spoil == "edited file":
                text = Path(path).read_text(encoding="utf-8")
                Path(path).write_text(
                    text.replace("name = ", "name = 'x'\nold = ", 1), encoding="utf-8"
                )
    db.close()
    one, many = RecordCache(folder), RecordCache(folder)
    try:
        want = [
            _plain(sources.read_file(p, registry, synth.TODAY, cache=one, context=context))
            for p in paths
        ]
        got = sources.read_files(paths, registry, synth.TODAY, cache=many, context=context)
        assert [_plain(r) for r in got] == want
    finally:
        one.close()
        many.close()


def test_a_warm_chunk_costs_three_queries_not_three_a_file(
    tmp_path: Path, chunk: list[str], registry: FrameworkRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "SETTLE_NS", 0)
    context = _warm(tmp_path, chunk, registry)
    cache = RecordCache(tmp_path)
    assert cache.db is not None
    queries: list[str] = []
    cache.db.set_trace_callback(queries.append)
    reads = list(sources.read_files(chunk, registry, synth.TODAY, cache=cache, context=context))
    cache.close()
    assert all(r.record is not None and r.entry is None and r.verdict is None for r in reads)
    assert len(queries) == 3, queries


def test_a_chunk_larger_than_one_query_binds_is_asked_in_parts(
    tmp_path: Path, chunk: list[str], monkeypatch: pytest.MonkeyPatch, registry: FrameworkRegistry
) -> None:
    monkeypatch.setattr(cache_module, "SETTLE_NS", 0)
    monkeypatch.setattr(cache_module, "_BATCH", 2)
    context = _warm(tmp_path, chunk, registry)
    cache = RecordCache(tmp_path)
    assert cache.db is not None
    queries: list[str] = []
    cache.db.set_trace_callback(queries.append)
    reads = list(sources.read_files(chunk, registry, synth.TODAY, cache=cache, context=context))
    cache.close()
    assert all(r.record is not None and r.entry is None for r in reads)
    assert len(queries) == 3 * -(-len(chunk) // 2)


def test_what_a_chunk_remembered_is_let_go_by_the_next_and_by_a_write(
    tmp_path: Path, chunk: list[str], registry: FrameworkRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "SETTLE_NS", 0)
    context = _warm(tmp_path, chunk, registry)
    cache = RecordCache(tmp_path)
    cache.remember(chunk, context)
    cache.remember(chunk[:1], context)
    assert cache.db is not None
    queries: list[str] = []
    cache.db.set_trace_callback(queries.append)
    found = Path(chunk[1]).stat()
    assert cache.digest_for(chunk[1], found) is not None  # asked again, not from the first chunk
    assert len(queries) == 1
    cache.remember(chunk, context)
    cache.store([])
    queries.clear()
    assert cache.digest_for(chunk[1], found) is not None  # after a write, the database answers
    cache.close()
    assert len(queries) == 1


def test_a_cache_commits_without_waiting_for_the_disk(tmp_path: Path) -> None:
    cache = RecordCache(tmp_path)
    assert cache.db is not None
    assert cache.db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert cache.db.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
    cache.close()
