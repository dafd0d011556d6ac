"""The record's lock: ``fcntl.flock`` on POSIX, filelock where flock is not to be had (issue 14).

``ecf add`` took filelock's lock, and filelock imports :mod:`logging` (with ``dataclasses``,
``secrets``...): about 9 ms of a change's start.  The lock is now ``flock`` on the same lock file,
with the same timeout and poll; Windows, or a file system without ``flock``, keeps filelock.

To see the tests fail: make ``ecf.store._flock`` return ``None`` at its top (filelock always):
the import test fails; make it ``return os.open(lock, _LOCK_FLAGS, 0o666)`` (no lock taken): the
exclusion tests fail.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ecf import store
from ecf.errors import ConflictError

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys
from ecf.cli import main
main(["add", "evidence", sys.argv[1], "--kind", "supervision", "--date", "2026-03-02"],
     standalone_mode=False)
print(json.dumps([m for m in ("filelock", "logging", "tomlkit", "secrets", "random")
                  if m in sys.modules]),
      file=sys.stderr)
"""


def test_ecf_add_imports_no_filelock_logging_tomlkit_nor_secrets(tmp_path: Path) -> None:
    record = tmp_path / "r.toml"
    record.write_bytes((ROOT / "examples" / "records" / "full-time.toml").read_bytes())
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(record)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HOME": str(tmp_path), "ECF_COUNCIL": ""},
    )
    assert json.loads(run.stderr.strip().splitlines()[-1]) == []
    assert "supervision" in record.read_text(encoding="utf-8")


@pytest.fixture(params=["flock", "filelock"])
def lock_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs with the flock lock and with filelock's (as on Windows)."""
    if request.param == "filelock":
        monkeypatch.setattr(store, "_flock", lambda *_: None)
    return str(request.param)


def test_a_second_writer_waits_for_the_first(tmp_path: Path, lock_kind: str) -> None:
    path = tmp_path / "r.toml"
    order: list[str] = []
    holding = threading.Event()

    def first() -> None:
        with store.locked(path, timeout=5):
            holding.set()
            time.sleep(0.3)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    assert holding.wait(5)
    with store.locked(path, timeout=5):
        order.append(f"second in ({lock_kind})")
    thread.join()
    assert order == ["first done", f"second in ({lock_kind})"]
    assert store.lock_path(path).exists()  # left in place, as filelock leaves it


def test_a_writer_that_waits_too_long_is_refused(tmp_path: Path, lock_kind: str) -> None:
    path = tmp_path / "r.toml"
    with store.locked(path, timeout=5):
        start = time.monotonic()
        with pytest.raises(ConflictError) as caught, store.locked(path, timeout=0.2):
            pass
        assert 0.2 <= time.monotonic() - start < 3
    said = f"{path}: another process is writing this record; gave up after 0.2 s"
    assert (lock_kind, caught.value.lines()) == (lock_kind, [said])
    with store.locked(path, timeout=0):  # released
        pass


def test_the_lock_file_is_made_as_filelock_makes_it(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    mask = os.umask(0o022)
    try:
        with store.locked(path, timeout=1):
            pass
    finally:
        os.umask(mask)
    assert store.lock_path(path).stat().st_mode & 0o777 == 0o644  # 0666 less the umask


def test_a_lock_file_removed_while_a_writer_waits_is_locked_anew(tmp_path: Path) -> None:
    # ecf anonymise removes the lock file: a writer that waited on the removed file must not
    # hold its lock while another writer locks the new file.
    path = tmp_path / "r.toml"
    lock = store.lock_path(path)
    got = threading.Event()
    release = threading.Event()

    def waiter() -> None:
        with store.locked(path, timeout=5):
            got.set()
            release.wait(5)

    with store.locked(path, timeout=1):
        thread = threading.Thread(target=waiter)
        thread.start()
        time.sleep(0.1)
        lock.unlink()
    assert got.wait(5)
    with pytest.raises(ConflictError), store.locked(path, timeout=0.1):
        pass  # the waiter holds the lock of the file that is there now
    release.set()
    thread.join()


def test_a_file_system_without_flock_takes_filelocks_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib  # noqa: PLC0415 - this test only
    import fcntl  # noqa: PLC0415 - POSIX only, as the code under test

    def no_flock(*_: object) -> None:
        raise OSError(errno.ENOSYS, "Function not implemented")

    taken: list[Path] = []

    @contextlib.contextmanager
    def filelocked(path: Path, *_: object) -> Iterator[None]:
        taken.append(path)
        yield

    monkeypatch.setattr(fcntl, "flock", no_flock)
    monkeypatch.setattr(store, "_filelocked", filelocked)
    path = tmp_path / "r.toml"
    with store.locked(path, timeout=1):
        assert taken == [path]
