"""Issue 14 (memory at 100k files): the compact listing of a scan, and what a scan keeps.

:func:`ecf.sources.listing` must give exactly the paths the listing of strings gave before it
(kept below as :func:`reference`: the code it replaced), in the same order, each file once,
however the files are named (folders, files, links to either, twice, missing); and it must
hold far less than those strings.  A worker's retained allocations must not grow with the
records it reads.
"""

from __future__ import annotations

import gc
import os
import stat
import sys
import tracemalloc
from pathlib import Path

import hypothesis.strategies as st
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from ecf import cache as cache_module
from ecf import cohort, sources
from ecf.cache import RecordCache
from ecf.cli import main
from ecf.cohort import ScanOptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synth  # the benchmarks folder is put on the path just above

# --- the listing as it was: a list of strings, and a set of every real path seen -----------


def _ref_walk(path: str, real: str, found: list[tuple[str, str]]) -> None:
    try:
        with os.scandir(path) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError:
        return
    folders = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            is_folder = entry.is_dir()
        except OSError:
            is_folder = False
        if is_folder:
            if not entry.is_symlink():
                folders.append(entry)
        elif entry.name.endswith(".toml"):
            link = entry.is_symlink()
            found.append(
                (
                    entry.path,
                    os.path.realpath(entry.path) if link else f"{real}{os.sep}{entry.name}",
                )
            )
    for entry in folders:
        _ref_walk(entry.path, f"{real}{os.sep}{entry.name}", found)


def reference(paths: list[str]) -> list[str]:
    """``unique_paths`` before the compact listing (commit 2d0d6f0), verbatim in substance."""
    seen: set[str] = set()
    found: list[str] = []
    folders: dict[str, str] = {}
    for path in paths:
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            mode = 0
        named: list[tuple[str, str]]
        if stat.S_ISDIR(mode) or (stat.S_ISLNK(mode) and Path(path).is_dir()):
            named = []
            _ref_walk(path, os.path.realpath(path), named)
        elif stat.S_ISLNK(mode):
            named = [(path, os.path.realpath(path))]
        else:
            head, name = os.path.split(path)
            if head not in folders:
                folders[head] = os.path.realpath(head or os.curdir)
            named = [(path, f"{folders[head]}{os.sep}{name}")]
        for file, key in named:
            if key not in seen:
                seen.add(key)
                found.append(file)
    return found


# --- trees of files, folders and links ------------------------------------------------------

NAMES = st.sampled_from(["a.toml", "b.toml", "c.toml", ".h.toml", "n.txt", "z.toml", "m.toml"])
FOLDERS = st.sampled_from(["x", "y", ".hid", "x/deep", "y/deep", "x/deep/er"])


@st.composite
def trees(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """Files and links to make (relative paths), and what to name to the listing."""
    files = draw(
        st.lists(
            st.one_of(NAMES, st.builds(lambda f, n: f"{f}/{n}", FOLDERS, NAMES)),
            max_size=14,
            unique=True,
        )
    )
    places = [*files, "x", "y", "x/deep", "missing.toml", "x/missing.toml", "."]
    links = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["l1.toml", "x/l2.toml", "y/ly", "lx", "x/deep/l3.toml"]),
                st.sampled_from(places),
            ),
            max_size=4,
            unique_by=lambda link: link[0],
        )
    )
    made = [f"link:{name}>{target}" for name, target in links if name not in files]
    named = draw(
        st.lists(
            st.sampled_from(
                [
                    ".",
                    "x",
                    "y",
                    "x/deep",
                    "lx",
                    "y/ly",
                    "l1.toml",
                    "x/l2.toml",
                    "missing.toml",
                    "x/",
                    "./x",
                    *files,
                ]
            ),
            min_size=1,
            max_size=6,
        )
    )
    return files + made, named


def build(root: Path, made: list[str]) -> None:
    for item in made:
        if item.startswith("link:"):
            name, target = item[len("link:") :].split(">")
            link = root / name
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists() and not link.is_symlink():
                link.symlink_to(root / target)
        else:
            path = root / item
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("", encoding="utf-8")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=trees(), absolute=st.booleans())
def test_the_listing_gives_the_paths_the_list_of_strings_gave(
    tmp_path_factory: pytest.TempPathFactory,
    tree: tuple[list[str], list[str]],
    absolute: bool,
) -> None:
    made, named = tree
    root = tmp_path_factory.mktemp("tree")
    build(root, made)
    given_paths = [str(root / n) if absolute else n for n in named]
    here = Path.cwd()
    os.chdir(root)
    try:
        want = reference(given_paths)
        listed = sources.listing(given_paths)
        assert list(listed) == want
        assert sources.unique_paths(given_paths) == want
        assert len(listed) == len(want)
        assert [listed[i] for i in range(len(want))] == want
        assert [listed[-1 - i] for i in range(len(want))] == want[::-1]
        assert [p for part in listed.parts(2) for p in part] == want
        assert all(len(part) == 2 for part in list(listed.parts(2))[:-1])
    finally:
        os.chdir(here)


def test_a_listing_is_indexed_iterated_again_and_given_back_as_it_is(tmp_path: Path) -> None:
    for folder in ("a", "a/b", "c"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        for name in ("one.toml", "two.toml"):
            (tmp_path / folder / name).write_text("", encoding="utf-8")
    listed = sources.listing([tmp_path])
    want = [str(p) for p in sources.record_files(tmp_path)]
    assert list(listed) == want
    assert list(listed) == want  # again
    assert sources.listing(listed) is listed
    assert cohort.listing([tmp_path / "a" / "one.toml", tmp_path]).__len__() == len(want)
    for wrong in (len(want), -len(want) - 1):
        with pytest.raises(IndexError):
            listed[wrong]
    assert list(sources.listing([tmp_path / "missing.toml"])) == [str(tmp_path / "missing.toml")]
    empty = sources.listing([tmp_path / "missing"] * 0)
    assert len(empty) == 0
    assert list(empty) == []
    assert list(empty.parts(3)) == []


def test_ecf_cohort_counts_the_files_it_found_as_before(tmp_path: Path) -> None:
    """ "N of M records could not be read": M counts a file found twice (through a link) twice.

    The listing keeps each file once; the count printed is the files the folder holds, as
    :func:`ecf.sources.record_paths` gives them, as it was before the listing was compact.
    """
    folder = tmp_path / "records"
    folder.mkdir()
    for number, item in enumerate(synth.records(2, seed=3)):
        (folder / f"r{number}.toml").write_text(synth.to_toml(item), encoding="utf-8")
    (folder / "bad.toml").write_text("broken = [", encoding="utf-8")
    (folder / "link.toml").symlink_to(folder / "r0.toml")
    assert len(sources.record_paths(folder)) == 4  # the four names
    assert len(sources.listing([folder])) == 3  # three files
    result = CliRunner().invoke(
        main,
        ["cohort", str(folder), "--format", "jsonl", "--no-cache", "--as-of", str(synth.TODAY)],
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1] == "1 of 4 records could not be read"
    assert len(result.stdout.splitlines()) == 2  # the two records, once each


def test_a_listing_holds_far_less_than_its_paths_as_strings(tmp_path: Path) -> None:
    """5,000 files in 50 folders: the listing retains under a quarter of what strings did."""
    for folder in range(50):
        sub = tmp_path / f"batch-{folder:04d}"
        sub.mkdir()
        for number in range(100):
            (sub / f"r{folder * 100 + number:06d}.toml").touch()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        listed = sources.listing([tmp_path])
        gc.collect()
        compact = tracemalloc.get_traced_memory()[0] - before
        strings = list(listed)
        gc.collect()
        as_strings = tracemalloc.get_traced_memory()[0] - before - compact
    finally:
        tracemalloc.stop()
    assert len(strings) == 5000
    assert compact * 4 < as_strings, (compact, as_strings)


def test_a_worker_retains_nothing_per_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker holds no more blocks of memory after 480 more records than before them.

    The records are read through the cache (filling it, then warm), so the cache's connection
    and the worker's state are in the measure.  Blocks are counted, not bytes: a table that
    doubles (Python's own, such as its interned strings) is one block for another, where
    anything kept per record (a dict, a cache or a list that outlives its chunk) is a block or
    more for each of the 480 records.  What is bounded but not constant is allowed for: the
    last chunk's rows the cache remembers (the same before and after), and the weak
    references to spent cursors that :mod:`sqlite3` drops every 200 cursors.
    """
    # Files trusted by their identity at once: else whether a chunk is read ahead and its rows
    # remembered depends on how long ago the files were written, and so differs between the
    # snapshots by a chunk's rows (the test then failed now and then).
    monkeypatch.setattr(cache_module, "SETTLE_NS", 0)
    folder = tmp_path / "records"
    folder.mkdir()
    items = synth.records(20, seed=5)
    for number in range(1200):
        item = dict(items[number % len(items)])
        item["id"] = f"w{number:05d}"
        (folder / f"r{number:05d}.toml").write_text(synth.to_toml(item), encoding="utf-8")
    paths = list(sources.listing([folder]))
    options = ScanOptions(as_of=synth.TODAY, today=synth.TODAY, cache_dir=str(tmp_path / "cache"))
    RecordCache(tmp_path / "cache").close()  # made once, as a scan's parent makes it

    def read(first: int, last: int) -> None:
        for start in range(first, last, 40):
            cohort._scan_chunk(paths[start : start + 40])

    cohort._init_worker(options)
    try:
        read(0, 240)  # the worker's first records: what it keeps for good is made here
        read(0, 240)
        tracemalloc.start()  # what the chunks keep until the next one is traced from here
        try:
            read(240, 720)  # filling the cache, then warm
            read(240, 720)
            gc.collect()
            before = tracemalloc.take_snapshot()
            read(720, 1200)  # the same again, on as many other records
            read(720, 1200)
            gc.collect()
            after = tracemalloc.take_snapshot()
        finally:
            tracemalloc.stop()
    finally:
        if cohort._WORKER.get("cache") is not None:
            cohort._WORKER["cache"].close()
        cohort._WORKER.clear()
    grown = sum(stat.count_diff for stat in after.compare_to(before, "lineno"))
    assert grown < 240, [str(s) for s in after.compare_to(before, "lineno")[:5]]


def _records(tmp_path: Path, count: int) -> Path:
    """A folder of ``count`` synthetic record files."""
    folder = tmp_path / "records"
    folder.mkdir()
    for number, item in enumerate(synth.records(count, seed=9)):
        (folder / f"r{number}.toml").write_text(synth.to_toml(item), encoding="utf-8")
    return folder


def frozen(record: object, context: object) -> int:
    """How many objects the collector leaves alone in this process (each record's value)."""
    del record, context
    return gc.get_freeze_count()


def test_the_workers_are_forked_with_the_parent_s_objects_frozen(tmp_path: Path) -> None:
    """The workers inherit the parent's objects frozen; the parent collects its own as before."""
    folder = _records(tmp_path, 4)
    options = ScanOptions(as_of=synth.TODAY, today=synth.TODAY)
    assert gc.get_freeze_count() == 0
    found = list(cohort.scan_items([folder], options, frozen, workers=2, chunk=1))
    assert len(found) == 4
    assert all(isinstance(item, tuple) and item[2] > 0 for item in found), found
    assert gc.get_freeze_count() == 0


def test_a_program_s_own_freeze_is_left_as_it_is(tmp_path: Path) -> None:
    """A program that froze its objects itself still has them frozen after a scan."""
    folder = _records(tmp_path, 2)
    options = ScanOptions(as_of=synth.TODAY, today=synth.TODAY)
    gc.freeze()
    try:
        ours = gc.get_freeze_count()
        found = list(cohort.scan_items([folder], options, frozen, workers=2, chunk=1))
        assert len(found) == 2
        assert gc.get_freeze_count() == ours
    finally:
        gc.unfreeze()
