"""``ecf migrate`` writes the backup and the record as one recoverable step (issue 11, item 3).

A kill at any point leaves a record every command reads, and a second ``ecf migrate`` finishes;
a full disk on the second write leaves nothing changed; a link planted as the backup's name is
never followed.

To see these tests fail, make :func:`ecf.migration._write_backup` refuse any backup that exists
(``if found is not None: raise _conflict(...)``): the rerun after a kill between the writes is
refused for ever.  Or write the backup with ``backup.write_bytes(data)``: the planted link is
followed.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ecf.cli import main
from ecf.errors import Problem, RecordError
from ecf.history import verify
from ecf.migration import migrate
from ecf.store import read_record

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_USER", "tester")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(params=["schema-1.toml", "schema-2.toml"])
def old(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    file = tmp_path / "r.toml"
    shutil.copy(FIXTURES / request.param, file)
    return file


def backup_of(file: Path) -> Path:
    found = sorted(file.parent.glob(f"{file.name}.schema*.bak"))
    assert len(found) <= 1
    schema = read_record(file).schema_version
    return found[0] if found else file.with_name(f"{file.name}.schema{schema}.bak")


#: Where a kill lands: the call it replaces, in the process that migrates.
KILL_POINTS = {
    "while writing the backup": "os.link",
    "between the backup and the record": "ecf.store.save",
    "while replacing the record": "os.replace",
}


def migrate_killed_at(file: Path, point: str) -> int:
    """Run ``ecf migrate FILE`` in a process killed (SIGKILL) when it reaches ``point``."""
    module, _, name = point.rpartition(".")
    code = f"""
import os, signal, sys, importlib
from click.testing import CliRunner
target = importlib.import_module({module!r})
import ecf.migration  # the modules it uses are loaded before the kill is armed
def kill(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
setattr(target, {name!r}, kill)
from ecf.cli import main
result = CliRunner().invoke(main, ["migrate", {str(file)!r}])
print(result.output)
sys.exit(result.exit_code)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    return done.returncode


@pytest.mark.parametrize("where", KILL_POINTS)
def test_a_kill_anywhere_in_migrate_leaves_a_usable_record_and_a_rerun_finishes(
    old: Path, where: str
) -> None:
    original = old.read_bytes()
    code = migrate_killed_at(old, KILL_POINTS[where])
    assert code == -9, "the process was killed"
    # Usable as it is: the old file, whole, or the new one, whole.
    assert old.read_bytes() == original or read_record(old).schema_version == 3
    assert run("status", old, "--as-of", "2026-01-01").exit_code in (0, 2)
    assert "Traceback" not in run("status", old).output
    result = run("migrate", old)
    assert result.exit_code == 0, result.output
    record = read_record(old)
    assert record.schema_version == 3
    assert verify(record) == []
    assert backup_of(old).read_bytes() == original
    assert not list(old.parent.glob(".*.tmp")), "no temporary file is left behind"
    assert run("add", "hours", old, "--from", "2026-06-01", "--fte", "0.8").exit_code == 0


def test_a_full_disk_on_the_record_write_changes_nothing(
    old: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = old.read_bytes()

    def full(*_: object, **__: object) -> None:
        raise RecordError([Problem("cannot write: No space left on device", file=str(old))])

    monkeypatch.setattr("ecf.migration.store.save", full)
    result = run("migrate", old)
    assert result.exit_code == 2
    assert "No space left" in result.output
    assert old.read_bytes() == original
    assert not list(old.parent.glob("*.bak")), "the backup made is removed again"
    assert not list(old.parent.glob(".*.tmp"))
    monkeypatch.undo()
    assert run("migrate", old).exit_code == 0


def test_a_full_disk_on_the_backup_write_changes_nothing(
    old: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = old.read_bytes()

    def full(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("ecf.migration.tempfile.mkstemp", full)
    result = run("migrate", old)
    assert result.exit_code == 2
    assert "cannot write the backup: No space left" in result.output
    assert old.read_bytes() == original
    assert not list(old.parent.glob("*.bak"))
    monkeypatch.undo()
    assert run("migrate", old).exit_code == 0


def test_a_kill_between_the_writes_no_longer_locks_the_record_out(
    old: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = old.read_bytes()

    def killed(*_: object, **__: object) -> None:
        raise KeyboardInterrupt  # no cleanup runs, as after a kill

    monkeypatch.setattr("ecf.migration.store.save", killed)
    with pytest.raises(KeyboardInterrupt):
        migrate(old, by="tester")
    monkeypatch.undo()
    assert backup_of(old).read_bytes() == original == old.read_bytes()
    assert (
        "run `ecf migrate"
        in run("add", "hours", old, "--from", "2026-06-01", "--fte", "0.8").output
    )
    done = run("migrate", old)
    assert done.exit_code == 0, done.output
    assert read_record(old).schema_version == 3


@pytest.mark.parametrize("target_exists", [False, True])
def test_a_link_planted_as_the_backup_name_is_never_followed(
    old: Path, tmp_path: Path, target_exists: bool
) -> None:
    original = old.read_bytes()
    target = tmp_path / "elsewhere" / "planted"
    target.parent.mkdir()
    if target_exists:
        target.write_bytes(b"someone else's file\n")
    backup = backup_of(old)
    backup.symlink_to(target)
    result = run("migrate", old)
    assert result.exit_code == 2
    assert "not followed" in result.output or "exists already" in result.output
    assert old.read_bytes() == original
    if target_exists:
        assert target.read_bytes() == b"someone else's file\n"
    else:
        assert not target.exists()
    assert backup.is_symlink()


def test_another_backup_under_the_name_is_never_replaced(old: Path) -> None:
    original = old.read_bytes()
    backup = backup_of(old)
    backup.write_bytes(b"an older backup\n")
    result = run("migrate", old)
    assert result.exit_code == 2
    assert "exists already" in result.output
    assert backup.read_bytes() == b"an older backup\n"
    assert old.read_bytes() == original


def test_the_backup_keeps_the_files_mode_and_is_never_made_through_a_fifo(old: Path) -> None:
    old.chmod(0o640)
    assert run("migrate", old).exit_code == 0
    assert backup_of(old).stat().st_mode & 0o777 == 0o640
