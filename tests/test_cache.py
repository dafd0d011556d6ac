"""The record cache: an unchanged file is not parsed again, a changed one is; the cache is
private to its owner, and a cache that is shared, corrupted or from another version is ignored
without changing a single result.

Every cache here lives in the test's own folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import sqlite3
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
import pytest
from click.testing import CliRunner

import ecf.cache
import ecf.limits
import ecf.records
import ecf.store
from ecf import cohort
from ecf.cache import RecordCache, default_cache_dir
from ecf.cli import main
from ecf.cohort import CohortRow, Failure, ScanOptions

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ecf.errors import EcfError
    from ecf.records import Record

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import synth  # the benchmarks folder is put on the path just above

TODAY = synth.TODAY
AS_OF = dt.date(2026, 6, 1)
COUNT = 5
DB = "records.3.sqlite3"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a test forgets to say, the default cache is the test's own."""
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "default-cache"))


@pytest.fixture(autouse=True)
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by a test are trusted by identity at once (the settle tests undo this)."""
    monkeypatch.setattr(ecf.cache, "SETTLE_NS", 0)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files parsed (``cohort._scan_chunk`` imports ``parse_record`` when it runs)."""
    calls: list[str] = []
    real = ecf.store.parse_record

    def counting(data: bytes, path: Path) -> Record:
        calls.append(str(path))
        return real(data, path)

    monkeypatch.setattr(ecf.store, "parse_record", counting)
    return calls


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "records"
    synth.generate(folder, COUNT)
    return folder


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def scan(
    root: Path, cache: Path | None, *, today: dt.date = TODAY, workers: int = 1
) -> tuple[list[CohortRow], list[Failure]]:
    options = ScanOptions(as_of=AS_OF, today=today, cache_dir=None if cache is None else str(cache))
    return cohort.scan(cohort.record_files(root), options, workers=workers, chunk=2)


def files(root: Path) -> list[str]:
    return [str(p) for p in cohort.record_files(root)]


def query(cache: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    db = sqlite3.connect(cache / DB)
    try:
        with db:
            return list(db.execute(sql, args))
    finally:
        db.close()


@pytest.fixture
def umask_zero() -> Iterator[None]:
    """No umask: the modes seen are the ones the cache asked for."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


# --- parse once -----------------------------------------------------------------------------


def test_an_unchanged_file_is_not_parsed_again(root: Path, cache: Path, parses: list[str]) -> None:
    want = scan(root, None)
    parses.clear()
    first = scan(root, cache)
    assert sorted(parses) == sorted(files(root))
    parses.clear()
    second = scan(root, cache)
    assert parses == []
    assert first == second == want
    assert len(want[0]) == COUNT


def test_an_unchanged_file_is_not_even_read(
    root: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    want = scan(root, cache)
    reads: list[str] = []
    real = ecf.limits.read_limited

    def counting(path: Path, error: type[EcfError], **how: Any) -> bytes:
        if path.is_relative_to(root):  # record files only, not the framework's
            reads.append(str(path))
        return real(path, error, **how)

    monkeypatch.setattr(ecf.limits, "read_limited", counting)
    assert scan(root, cache) == want
    assert reads == []


def test_a_changed_file_is_parsed_again(root: Path, cache: Path, parses: list[str]) -> None:
    scan(root, cache)
    target = Path(files(root)[2])
    text = target.read_text(encoding="utf-8")
    team = next(line for line in text.splitlines() if line.startswith("team = "))
    target.write_text(text.replace(team, 'team = "a new team"'), encoding="utf-8")
    parses.clear()
    rows, failures = scan(root, cache)
    assert parses == [str(target)]
    assert failures == []
    assert rows[2].team == "a new team"
    parses.clear()
    assert scan(root, cache)[0] == rows
    assert parses == []


def test_a_touched_but_identical_file_is_found_by_its_content(
    root: Path, cache: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    want = scan(root, cache)
    target = Path(files(root)[1])
    before = target.stat()
    later = before.st_mtime_ns - 5_000_000_000  # another identity (earlier: settled at once)
    os.utime(target, ns=(before.st_atime_ns, later))
    reads: list[str] = []
    real = ecf.limits.read_limited

    def counting(path: Path, error: type[EcfError], **how: Any) -> bytes:
        if path.is_relative_to(root):  # record files only, not the framework's
            reads.append(str(path))
        return real(path, error, **how)

    monkeypatch.setattr(ecf.limits, "read_limited", counting)
    parses.clear()
    assert scan(root, cache) == want
    assert parses == []
    assert reads == [str(target)]  # read to take its digest, not parsed
    assert query(cache, "SELECT mtime FROM files WHERE path = ?", str(target)) == [(later,)]
    reads.clear()
    assert scan(root, cache) == want
    assert reads == []  # its new identity is known now


def test_a_copy_of_a_known_file_is_not_parsed(root: Path, cache: Path, parses: list[str]) -> None:
    scan(root, cache)
    source = Path(files(root)[0])
    copy = root / "zz-copy.toml"
    copy.write_bytes(source.read_bytes())
    parses.clear()
    rows, failures = scan(root, cache)
    assert parses == []
    # The copy holds the same record id: one failure naming both files, and no row for either.
    (failure,) = failures
    (line,) = failure.lines()
    assert str(source) in line
    assert str(copy) in line
    assert failure.problems[0].path == "id"
    assert len(rows) == COUNT - 1


def test_the_meaning_checks_run_again_on_a_cached_record(
    tmp_path: Path, cache: Path, parses: list[str]
) -> None:
    folder = tmp_path / "one"
    record = synth.records(1)[0]
    record["evidence"][0]["date"] = TODAY + dt.timedelta(days=10)
    folder.mkdir()
    (folder / "r.toml").write_text(synth.to_toml(record), encoding="utf-8")
    rows, failures = scan(folder, cache)
    assert rows == []
    assert [f.problems[0].path for f in failures] == ["evidence[0].date"]
    parses.clear()
    rows, failures = scan(folder, cache, today=TODAY + dt.timedelta(days=10))
    assert parses == []
    assert (len(rows), failures) == (1, [])


def test_a_file_that_fails_to_parse_is_reported_every_time(
    root: Path, cache: Path, parses: list[str]
) -> None:
    bad = root / "bad.toml"
    bad.write_text("id = [\n", encoding="utf-8")
    for _ in range(2):
        parses.clear()
        _, failures = scan(root, cache)
        assert [f.source for f in failures] == [str(bad)]
        assert str(bad) in parses


def test_entries_made_by_worker_processes_are_stored(
    root: Path, cache: Path, parses: list[str]
) -> None:
    want = scan(root, cache, workers=2)
    parses.clear()
    assert scan(root, cache) == want
    assert parses == []


# --- a private folder -----------------------------------------------------------------------


@pytest.mark.usefixtures("umask_zero")
def test_the_cache_folder_is_0700_and_its_file_0600(root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "deep" / "er" / "cache"
    scan(root, cache)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE((cache / DB).stat().st_mode) == 0o600
    for extra in cache.iterdir():
        assert stat.S_IMODE(extra.stat().st_mode) == 0o600, extra


@pytest.mark.parametrize("mode", [0o770, 0o730, 0o703, 0o777])
def test_a_cache_folder_others_can_write_to_is_not_used(
    root: Path, cache: Path, parses: list[str], mode: int
) -> None:
    want = scan(root, None)
    cache.mkdir()
    cache.chmod(mode)
    for _ in range(2):
        parses.clear()
        assert scan(root, cache) == want
        assert len(parses) == COUNT
    assert list(cache.iterdir()) == []
    assert stat.S_IMODE(cache.stat().st_mode) == mode


@pytest.mark.skipif(not IS_ROOT, reason="only root can give a folder to someone else")
def test_a_cache_folder_someone_else_owns_is_not_used(
    root: Path, cache: Path, parses: list[str]
) -> None:
    want = scan(root, None)
    cache.mkdir(mode=0o700)
    os.chown(cache, 65534, -1)
    parses.clear()
    assert scan(root, cache) == want
    assert len(parses) == COUNT
    assert list(cache.iterdir()) == []


def test_a_cache_path_that_is_a_file_is_not_used(root: Path, tmp_path: Path) -> None:
    want = scan(root, None)
    not_a_folder = tmp_path / "cache-file"
    not_a_folder.write_text("x", encoding="utf-8")
    assert scan(root, not_a_folder) == want
    assert not_a_folder.read_text(encoding="utf-8") == "x"


def test_a_readonly_cache_creates_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "nothing-here"
    readonly = RecordCache(folder, readonly=True)
    assert readonly.db is None
    assert readonly.digest_for("x", tmp_path.stat()) is None
    assert readonly.lookup("0" * 64) is None
    readonly.close()
    readonly.close()
    assert not folder.exists()


# --- corrupted, or from another version ------------------------------------------------------


def test_a_corrupted_cache_file_is_ignored(root: Path, cache: Path, parses: list[str]) -> None:
    want = scan(root, cache)
    for extra in cache.iterdir():
        extra.unlink()
    (cache / DB).write_bytes(b"this is not a database at all" * 100)
    (cache / DB).chmod(0o600)
    for _ in range(2):
        parses.clear()
        assert scan(root, cache) == want
        assert len(parses) == COUNT


@pytest.mark.parametrize(
    "blob",
    [
        b"garbage",
        b"",
        pickle.dumps("not a record"),
        pickle.dumps({"id": "r000000"}),
        b"cno_such_module_for_ecf_tests\nThing\n(tR.",
        b"\x81\xa2id\xa7r000000",  # MessagePack of a dict that is not a record
        b"\xa5hello",  # MessagePack of a string
    ],
    ids=[
        "garbage",
        "empty",
        "a-string",
        "a-dict",
        "a-missing-module",
        "msgpack-dict",
        "msgpack-str",
    ],
)
def test_corrupted_cache_entries_are_ignored(
    root: Path, cache: Path, parses: list[str], blob: bytes
) -> None:
    want = scan(root, cache)
    query(cache, "UPDATE records SET data = ?", blob)
    parses.clear()
    assert scan(root, cache) == want
    assert len(parses) == COUNT
    parses.clear()
    assert scan(root, cache) == want  # the entries were written again
    assert parses == []


def test_entries_from_another_format_version_are_ignored(
    root: Path, cache: Path, parses: list[str]
) -> None:
    want = scan(root, cache)
    query(cache, "UPDATE records SET format = ?", "0.0.1/1")
    parses.clear()
    assert scan(root, cache) == want
    assert len(parses) == COUNT
    assert {f for (f,) in query(cache, "SELECT format FROM records")} == {ecf.cache._FORMAT}
    parses.clear()
    assert scan(root, cache) == want
    assert parses == []


def test_a_new_version_ignores_the_entries_of_the_old(
    root: Path, cache: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    want = scan(root, cache)
    monkeypatch.setattr(ecf.cache, "_FORMAT", "99.0.0/1")
    parses.clear()
    assert scan(root, cache) == want
    assert len(parses) == COUNT


# --- where the cache lives, and the command line -------------------------------------------


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("ECF_CACHE_DIR")
    assert default_cache_dir() == tmp_path / "xdg" / "ecf"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "ecf"


def test_ecf_cohort_fills_the_cache_in_ecf_cache_dir(
    root: Path, cache: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECF_CACHE_DIR", str(cache))
    args = ["cohort", str(root), "--as-of", "2026-06-01", "--format", "jsonl"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.stderr
    assert len(parses) == COUNT
    assert (cache / DB).is_file()
    parses.clear()
    second = CliRunner().invoke(main, args)
    assert second.stdout == first.stdout
    assert parses == []
    parses.clear()
    uncached = CliRunner().invoke(main, [*args, "--no-cache"])
    assert uncached.stdout == first.stdout
    assert len(parses) == COUNT


def test_ecf_cohort_no_cache_creates_no_cache(
    root: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECF_CACHE_DIR", str(cache))
    result = CliRunner().invoke(main, ["cohort", str(root), "--no-cache", "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    assert not cache.exists()


def test_ecf_cohort_with_a_shared_cache_folder_still_works(
    root: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECF_CACHE_DIR", str(cache))
    cache.mkdir()
    cache.chmod(0o777)
    args = ["cohort", str(root), "--as-of", "2026-06-01", "--format", "jsonl"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == COUNT
    assert list(cache.iterdir()) == []


# --- data only: a planted entry runs nothing and is never trusted ----------------------------


class _Planted:
    """Unpickling this runs ``os.system``: what a planted pickle did to ecf before format 2."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def test_a_planted_pickle_runs_nothing_and_is_rebuilt(
    root: Path, cache: Path, parses: list[str], tmp_path: Path
) -> None:
    want = scan(root, cache)
    marker = tmp_path / "ran"
    blob = pickle.dumps(_Planted(marker))
    # Planted with a correct checksum: only the format stops it.
    query(
        cache, "UPDATE records SET data = ?, checksum = ?", blob, hashlib.sha256(blob).hexdigest()
    )
    parses.clear()
    assert scan(root, cache) == want
    assert not marker.exists()
    assert len(parses) == COUNT
    parses.clear()
    assert scan(root, cache) == want  # rebuilt: the sound entries were written again
    assert parses == []


def test_a_planted_record_under_another_id_is_refused(
    root: Path, cache: Path, parses: list[str]
) -> None:
    want = scan(root, cache)
    rows = query(cache, "SELECT digest, record_id, data FROM records ORDER BY record_id")
    (first, first_id, _), (_, _, other) = rows[0], rows[1]
    assert isinstance(other, bytes)
    assert isinstance(first_id, str)
    # Another record's data under the first one's digest and id, with a correct checksum.
    query(
        cache,
        "UPDATE records SET data = ?, checksum = ? WHERE digest = ?",
        other,
        hashlib.sha256(other).hexdigest(),
        first,
    )
    parses.clear()
    assert scan(root, cache) == want
    assert len(parses) == 1
    assert first_id in parses[0]


def test_an_entry_decodes_to_the_record_it_encodes() -> None:
    for plain in synth.records(3):
        record = ecf.records.record_from_dict(plain)
        assert ecf.cache.decode(ecf.cache.encode(record), record.id) == record
        assert ecf.cache.decode(ecf.cache.encode(record), "someone-else") is None


# --- the fast path is not fooled by the timestamp's resolution ------------------------------


def test_a_fresh_file_is_not_trusted_by_its_identity(
    root: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ecf.cache, "SETTLE_NS", 2_000_000_000)
    want = scan(root, cache)
    reads: list[str] = []
    real = ecf.limits.read_limited

    def counting(path: Path, error: type[EcfError], **how: Any) -> bytes:
        if path.is_relative_to(root):
            reads.append(str(path))
        return real(path, error, **how)

    monkeypatch.setattr(ecf.limits, "read_limited", counting)
    assert scan(root, cache) == want
    assert sorted(reads) == sorted(files(root))  # written within 2 s of the scan: read again


def test_a_same_size_edit_within_the_timestamp_resolution_is_seen(
    root: Path, cache: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ecf.cache, "SETTLE_NS", 2_000_000_000)
    target = Path(files(root)[0])
    text = target.read_text(encoding="utf-8")
    team = next(line for line in text.splitlines() if line.startswith("team = "))
    edited = text.replace(team, "team = " + '"' + "Z" * (len(team) - 9) + '"')
    assert len(edited) == len(text)
    scan(root, cache)
    before = target.stat()
    # The same size, and the modification time of a file system that keeps whole seconds.
    target.write_text(edited, encoding="utf-8")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    parses.clear()
    rows, _ = scan(root, cache)
    assert parses == [str(target)]
    assert rows[0].team == "Z" * (len(team) - 9)


def test_an_old_identity_is_trusted_and_a_touch_is_not(root: Path, cache: Path) -> None:
    target = Path(files(root)[0])
    an_hour_ago = target.stat().st_mtime_ns - 3_600_000_000_000
    os.utime(target, ns=(an_hour_ago, an_hour_ago))
    st = target.stat()
    entry = ecf.cache.Entry(
        str(target), ecf.cache.identity(st), "d" * 64, st.st_ctime_ns + 3_000_000_000, "r", None
    )
    db = RecordCache(cache)
    db.store([entry])
    ecf.cache.SETTLE_NS = 2_000_000_000  # (the autouse fixture restores it)
    assert db.digest_for(str(target), st, now=entry.checked) == "d" * 64
    # Checked less than 2 s after the file's last change: not trusted.
    assert db.digest_for(str(target), st, now=st.st_ctime_ns + 1_000_000_000) is None
    os.utime(target, ns=(an_hour_ago, an_hour_ago))  # the same times, but a new change time
    assert db.digest_for(str(target), target.stat(), now=entry.checked) is None
    db.close()


# --- owner-only files -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o666])
def test_a_cache_file_others_can_open_is_not_used(
    root: Path, cache: Path, parses: list[str], mode: int
) -> None:
    want = scan(root, cache)
    (cache / DB).chmod(mode)
    parses.clear()
    assert scan(root, cache) == want
    assert len(parses) == COUNT
    assert stat.S_IMODE((cache / DB).stat().st_mode) == mode


def test_a_cache_file_that_is_a_link_is_not_followed(
    root: Path, cache: Path, tmp_path: Path, parses: list[str]
) -> None:
    want = scan(root, None)
    cache.mkdir(mode=0o700)
    elsewhere = tmp_path / "elsewhere.sqlite3"
    (cache / DB).symlink_to(elsewhere)
    parses.clear()
    assert scan(root, cache) == want
    assert len(parses) == COUNT
    assert not elsewhere.exists()


def test_the_default_cache_is_the_platforms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ECF_CACHE_DIR")
    assert default_cache_dir() == Path(platformdirs.user_cache_dir("ecf", appauthor=False))


# --- forget one record, clear the cache -----------------------------------------------------


def test_forget_removes_one_records_entries_and_every_trace_of_it(
    root: Path, cache: Path, parses: list[str]
) -> None:
    want = scan(root, cache)
    target = Path(files(root)[0])
    record_id = ecf.store.read_record(target).id
    assert ecf.cache.forget(record_id, cache) == 1
    assert query(cache, "SELECT count(*) FROM records WHERE record_id = ?", record_id) == [(0,)]
    assert query(cache, "SELECT count(*) FROM files WHERE record_id = ?", record_id) == [(0,)]
    for file in cache.iterdir():
        assert record_id.encode() not in file.read_bytes(), file
    parses.clear()
    assert scan(root, cache) == want
    assert parses == [str(target)]
    assert ecf.cache.forget("no-such-record", cache) == 0
    assert ecf.cache.forget(record_id, cache / "missing") == 0


def test_ecf_cache_clear(root: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_CACHE_DIR", str(cache))
    scan(root, cache)
    record_id = ecf.store.read_record(Path(files(root)[1])).id
    one = CliRunner().invoke(main, ["cache", "clear", "--record", record_id])
    assert one.exit_code == 0, one.stderr
    assert one.stdout.startswith(f"removed 1 cached record(s) of {record_id}")
    assert query(cache, "SELECT count(*) FROM records") == [(COUNT - 1,)]
    every = CliRunner().invoke(main, ["cache", "clear"])
    assert every.exit_code == 0, every.stderr
    assert not (cache / DB).exists()
    assert cache.is_dir()  # the folder stays; only the cache's files go
    again = CliRunner().invoke(main, ["cache", "clear"])
    assert again.stdout.startswith("removed 0 cache file(s)")


def test_an_old_pickle_cache_is_removed_by_the_next_cohort_and_by_forget(
    root: Path, cache: Path
) -> None:
    cache.mkdir(mode=0o700)
    old = cache / "records.sqlite3"
    old.write_bytes(b"an old cache of pickles, holding names")
    scan(root, cache)
    assert not old.exists()
    old.write_bytes(b"again")
    assert ecf.cache.forget("r000000", cache) == 1
    assert not old.exists()
