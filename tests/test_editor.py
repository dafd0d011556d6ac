"""Records changed through the library (``ecf.edit``, ``ecf.create``, ``ecf.migrate``).

What an HR tool gets from ``import ecf`` must write exactly what the command line writes, under
the same guarantees: the record's lock, a refusal of a file changed meanwhile, nothing written
on an error or a refused change, errors that name the file and no personal value.

To see a guarantee's test fail, break the guarantee (each was tried this way):

* the lock: make ``ecf.store.locked`` yield without taking it -> the concurrent editors fail;
* the conflict check: make ``ecf.store.atomic_write`` ignore ``expect_digest`` -> the other
  writer's change is lost;
* nothing written on an exception: call ``editor._write()`` in the ``finally`` of
  ``ecf.editor.edit`` -> the bytes change;
* the history the CLI wrote: change a detail text in ``ecf.editor`` -> the same-bytes test;
* errors name the file: drop ``with_file`` in ``ecf.editor._naming`` -> the refusals;
* an attachment stays in the folder: drop the confinement checks -> the refusals;
* a pipe never blocks: drop ``O_NONBLOCK`` in ``ecf.attachments.sha256_regular`` -> the alarm ends
  the test after 5 s instead of hanging;
* a backup is never replaced, and removed when the migration fails -> the migrate tests;
* anonymise writes once without comments: ``save(..., fresh=False)`` -> the comment survives;
  a second write -> the count of writes is 2.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import os
import shutil
import signal
import threading
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

import ecf
import ecf.history
import ecf.store
from ecf.cli import main
from ecf.records import SCHEMA_VERSION as SCHEMA
from ecf.records import digest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

FIXTURES = Path(__file__).parent / "fixtures"
USER = "hr-tool"
#: A personal value: it must never appear in an error.
NAME = "Zed Qx7MARKER Example"
DECIDER = "Pat Qx7DECIDER"
ENV = {"ECF_USER": None, "ECF_FRAMEWORK_PATH": None, "ECF_LOCK_TIMEOUT": "60"}


def create(path: Path, **extra: Any) -> ecf.Record:
    """A record started in the ASYE through the library."""
    return ecf.create(
        path,
        id="r1",
        name=NAME,
        qualified=dt.date(2024, 6, 1),
        stage="asye",
        start=dt.date(2024, 9, 2),
        by=USER,
        **extra,
    )


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    folder = tmp_path / "records"
    folder.mkdir()
    path = folder / "r.toml"
    create(path)
    return path


@pytest.fixture
def passed(rec: Path) -> Path:
    with ecf.edit(rec, by=USER) as editor:
        editor.decide("pass", dt.date(2025, 9, 1), by=DECIDER)
    return rec


# --- (a) the library writes what the CLI writes -------------------------------------------------


def _cli(*args: str | Path) -> str:
    result = CliRunner().invoke(main, ["--user", USER, *map(str, args)], env=ENV)
    assert result.exit_code == 0, result.output
    return result.output


def _folder_with_attachment(root: Path) -> tuple[Path, Path]:
    folder = root / "records"
    (folder / "docs").mkdir(parents=True)
    doc = folder / "docs" / "observation.pdf"
    doc.write_bytes(b"%PDF-1.4 home visit")
    return folder / "amira.toml", doc


def test_a_script_writes_the_same_bytes_as_the_cli(tmp_path: Path) -> None:
    by_cli, doc = _folder_with_attachment(tmp_path / "cli")
    _cli(
        "new", by_cli, "--id", "ph-0001", "--name", NAME, "--qualified", "2024-06-10",
        "--stage", "asye", "--start", "2024-09-02", "--fte", "0.8", "--council", "E09000030",
        "--swe", "SW140001",
    )  # fmt: skip
    _cli("add", "hours", by_cli, "--from", "2024-12-02", "--fte", "3/5")
    _cli(
        "add", "absence", by_cli, "--kind", "sickness", "--from", "2025-01-06", "--to", "2025-02-14"
    )
    assert _cli(
        "add", "evidence", by_cli, "--kind", "direct-observation", "--date", "2025-03-18",
        "--standard", "kss-cf:1", "--standard", "pcf:7", "--by", "M. Reid", "--note", "home visit",
        "--attach", doc,
    ) == "ev-001\n"  # fmt: skip
    _cli("add", "review", by_cli, "review-3m", "--date", "2025-01-10")
    _cli("decide", by_cli, "--outcome", "pass", "--date", "2025-10-01", "--by", DECIDER,
         "--panel", "Moderation")  # fmt: skip
    _cli("advance", by_cli, "--stage", "ecf-2", "--start", "2025-11-03")
    # The entries the CLI wrote before it went through the library (both share the code now).
    cli_record = ecf.read_record(by_cli)
    assert [(h.by, h.action, h.detail) for h in cli_record.history] == [
        (USER, "new", "started asye on 2024-09-02"),
        (USER, "add-hours", "0.6 FTE from 2024-12-02"),
        (USER, "add-absence", "sickness 2025-01-06 to 2025-02-14"),
        (USER, "add-evidence", "ev-001 direct-observation 2025-03-18"),
        (USER, "add-review", "asye review-3m 2025-01-10"),
        (USER, "decide", "asye pass 2025-10-01"),
        (USER, "advance", "started ecf-2 on 2025-11-03"),
    ]
    assert [h.item for h in cli_record.history if h.item] == [
        digest(cli_record.evidence[0]),
        digest(cli_record.milestones[0]),
        digest(cli_record.decisions[0]),
    ]
    assert ecf.history.verify(cli_record) == []

    # The same, from a script that knows only `ecf`, with the times the CLI recorded.
    by_script, doc = _folder_with_attachment(tmp_path / "script")
    times = iter([entry.at for entry in ecf.read_record(by_cli).history])
    created = ecf.create(
        by_script,
        id="ph-0001",
        name=NAME,
        qualified=dt.date(2024, 6, 10),
        stage="asye",
        start=dt.date(2024, 9, 2),
        by=USER,
        fte="0.8",
        council="E09000030",
        swe="SW140001",
        clock=lambda: next(times),
    )
    assert created == ecf.read_record(by_script)
    with ecf.edit(by_script, by=USER, clock=lambda: next(times)) as editor:
        assert editor.path == by_script
        added = editor.add_hours(dt.date(2024, 12, 2), "3/5")
        assert added == ecf.PatternChange(dt.date(2024, 12, 2), Fraction(3, 5), "hr-2")
        editor.add_absence("sickness", dt.date(2025, 1, 6), dt.date(2025, 2, 14))
        evidence = editor.add_evidence(
            "direct-observation",
            dt.date(2025, 3, 18),
            standards=["kss-cf:1", "pcf:7"],
            by="M. Reid",
            note="home visit",
            attach=doc,
        )
        assert evidence.id == "ev-001"
        assert evidence.attachment == ecf.Attachment(
            "docs/observation.pdf", hashlib.sha256(b"%PDF-1.4 home visit").hexdigest()
        )
        editor.add_review("review-3m", dt.date(2025, 1, 10))
        editor.decide("pass", dt.date(2025, 10, 1), by=DECIDER, panel="Moderation")
        assert editor.advance("ecf-2", dt.date(2025, 11, 3)).stage == "ecf-2"
        assert editor.changed
    assert next(times, None) is None  # one time per history entry, in order
    assert by_script.read_bytes() == by_cli.read_bytes()
    assert editor.record == ecf.read_record(by_script)


# --- (b) an exception in the block writes nothing -----------------------------------------------


class _StopError(Exception):
    pass


def test_an_exception_in_the_block_writes_nothing(rec: Path) -> None:
    before = rec.read_bytes()

    def change_then_fail() -> None:
        with ecf.edit(rec, by=USER) as editor:
            editor.add_hours(dt.date(2024, 12, 2), 0.5)
            editor.add_evidence("pdp", dt.date(2025, 1, 5))
            raise _StopError

    with pytest.raises(_StopError):
        change_then_fail()
    assert rec.read_bytes() == before
    assert sorted(p.name for p in rec.parent.iterdir()) == sorted(
        [ecf.store.lock_path(rec).name, rec.name]
    )


def test_an_unchanged_record_is_not_written(rec: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writes = _count_writes(monkeypatch)
    with ecf.edit(rec, by=USER) as editor:
        assert not editor.changed
    assert writes == []


def test_a_refused_change_keeps_the_changes_before_it(rec: Path) -> None:
    with ecf.edit(rec, by=USER) as editor:
        editor.add_hours(dt.date(2024, 12, 2), "1/2")
        kept = editor.record
        with pytest.raises(ecf.RecordError):
            editor.add_evidence("no-such-kind", dt.date(2025, 1, 5))
        assert editor.record is kept
    record = ecf.read_record(rec)
    assert [h.action for h in record.history] == ["new", "add-hours"]
    assert record.evidence == ()


def test_the_editor_is_closed_after_the_block(rec: Path) -> None:
    with ecf.edit(rec, by=USER) as editor:
        pass
    before = rec.read_bytes()
    with pytest.raises(ecf.EcfError, match="this edit is over"):
        editor.add_hours(dt.date(2024, 12, 2), 1)
    assert rec.read_bytes() == before


# --- (c) a file changed meanwhile ---------------------------------------------------------------


def test_a_file_changed_meanwhile_is_not_replaced(rec: Path) -> None:
    other = rec.read_bytes() + b"# another writer's line\n"

    def change_while_another_writes() -> None:
        with ecf.edit(rec, by=USER) as editor:
            editor.add_hours(dt.date(2024, 12, 2), "1/2")
            rec.write_bytes(other)  # a writer that did not take the lock (a person's editor)

    with pytest.raises(ecf.ConflictError) as refused:
        change_while_another_writes()
    assert rec.read_bytes() == other
    assert refused.value.lines() == [
        f"{rec}: changed on disk since it was read; not written, run the command again"
    ]


# --- (d) every method refuses bad input, naming the file, and writes nothing --------------------


def _fifo(editor: ecf.Editor) -> object:
    fifo = editor.path.parent / "pipe"
    os.mkfifo(fifo)
    return editor.add_evidence("pdp", dt.date(2025, 1, 5), attach=fifo)


def _outside(editor: ecf.Editor) -> object:
    secret = editor.path.parent.parent / f"{NAME}.pdf"
    secret.write_bytes(b"secret")
    return editor.add_evidence("pdp", dt.date(2025, 1, 5), attach=secret)


def _link_out(editor: ecf.Editor) -> object:
    secret = editor.path.parent.parent / "secret.pdf"
    secret.write_bytes(b"secret")
    link = editor.path.parent / f"{NAME}.pdf"
    link.symlink_to(secret)
    return editor.add_evidence("pdp", dt.date(2025, 1, 5), attach=link)


def _folder(editor: ecf.Editor) -> object:
    (editor.path.parent / "docs").mkdir()
    return editor.add_evidence("pdp", dt.date(2025, 1, 5), attach=editor.path.parent / "docs")


def _missing(editor: ecf.Editor) -> object:
    missing = editor.path.parent / f"{NAME}.pdf"
    return editor.add_evidence("pdp", dt.date(2025, 1, 5), attach=missing)


REFUSALS: dict[str, tuple[Callable[[ecf.Editor], object], str]] = {
    "hours: FTE over 1": (
        lambda e: e.add_hours(dt.date(2024, 12, 2), 1.5),
        "fte: must be more than 0 and at most 1 (got 1.5)",
    ),
    "hours: FTE not a number": (
        lambda e: e.add_hours(dt.date(2024, 12, 2), "most days"),
        "fte: expected a number or a fraction, such as 0.6 or 3/5",
    ),
    "hours: a date and time": (
        lambda e: e.add_hours(dt.datetime(2024, 12, 2, tzinfo=dt.UTC), 1),
        "from: expected a date without a time",
    ),
    "absence: ends before it starts": (
        lambda e: e.add_absence("sickness", dt.date(2025, 2, 1), dt.date(2025, 1, 1)),
        "absences[0].last: ends before it starts (2025-02-01) (got 2025-01-01)",
    ),
    "evidence: unknown kind": (
        lambda e: e.add_evidence("gossip", dt.date(2025, 1, 5), by=NAME, note=NAME),
        "evidence[0].kind: unknown evidence kind",
    ),
    "evidence: a date as text": (
        lambda e: e.add_evidence("pdp", "2025-01-05"),  # type: ignore[arg-type]
        "date: expected a date (datetime.date), not str",
    ),
    "evidence: one standard as a text": (
        lambda e: e.add_evidence("pdp", dt.date(2025, 1, 5), standards="pcf:7"),
        "standards: expected a list of texts",
    ),
    "evidence: in the future": (
        lambda e: e.add_evidence("pdp", dt.date.today() + dt.timedelta(days=2)),  # noqa: DTZ011
        "evidence[0].date: is in the future",
    ),
    "evidence: attachment outside the folder": (_outside, "attach: is outside the record's folder"),
    "evidence: a link out of the folder": (_link_out, "attach: is outside the record's folder"),
    "evidence: a pipe as attachment": (_fifo, "attach: is a named pipe (FIFO), not a file"),
    "evidence: a folder as attachment": (_folder, "attach: is a folder, not a file"),
    "evidence: a missing attachment": (_missing, "attach: no such file"),
    "evidence: an attachment that is not a path": (
        lambda e: e.add_evidence("pdp", dt.date(2025, 1, 5), attach=5),  # type: ignore[arg-type]
        "attach: expected a path, not int",
    ),
    "review: unknown milestone": (
        lambda e: e.add_review("review-99m", dt.date(2025, 1, 5)),
        "milestones[0].id: unknown milestone",
    ),
    "decide: unknown outcome": (
        lambda e: e.decide("maybe", dt.date(2025, 9, 1), by=DECIDER),  # type: ignore[arg-type]
        "outcome: unknown outcome",
    ),
    "decide: before the stage": (
        lambda e: e.decide("pass", dt.date(2024, 1, 1), by=DECIDER),
        "date: is before the stage started (2024-09-02)",
    ),
    "advance: without a pass": (
        lambda e: e.advance("ecf-2", dt.date(2025, 11, 3)),
        "stage: 'asye' has no decision yet; only a pass lets the next stage start",
    ),
    "leave: before the stage": (
        lambda e: e.leave(dt.date(2024, 1, 1), "moved council"),
        "date: is before the current stage started (2024-09-02)",
    ),
    "anonymise: no reason": (lambda e: e.anonymise("  "), "reason: say why"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_refusal_names_the_file_and_writes_nothing(rec: Path, case: str) -> None:
    action, expected = REFUSALS[case]
    before = rec.read_bytes()
    with _alarm(5), ecf.edit(rec, by=USER) as editor:
        with pytest.raises(ecf.EcfError) as refused:
            action(editor)
        assert not editor.changed
    assert rec.read_bytes() == before
    assert all(p.file == str(rec) for p in refused.value.problems)
    lines = refused.value.lines()
    assert any(line.startswith(f"{rec}: {expected}") for line in lines), lines
    assert all(NAME not in line and DECIDER not in line for line in lines), lines


def test_a_decision_on_a_closed_stage_is_refused(passed: Path) -> None:
    before = passed.read_bytes()
    with ecf.edit(passed, by=USER) as editor, pytest.raises(ecf.TransitionError) as refused:
        editor.decide("fail", dt.date(2025, 9, 2), by=DECIDER)
    assert passed.read_bytes() == before
    assert refused.value.lines()[0].startswith(
        f"{passed}: outcome: stage 'asye' is closed: 'pass' on 2025-09-01"
    )


def test_edit_and_migrate_need_to_know_who(rec: Path) -> None:
    before = rec.read_bytes()
    with pytest.raises(ecf.RecordError) as refused, ecf.edit(rec, by=" "):
        pass
    assert refused.value.lines() == [
        f"{rec}: by: say who makes the change (a user name, for the history)"
    ]
    with pytest.raises(ecf.RecordError, match="by: say who makes the change"):
        ecf.migrate(rec, by="")
    assert rec.read_bytes() == before


def test_a_clock_without_a_time_zone_is_refused(rec: Path) -> None:
    before = rec.read_bytes()
    naive = dt.datetime(2026, 1, 5)  # noqa: DTZ001 - the point: no time zone
    with ecf.edit(rec, by=USER, clock=lambda: naive) as editor:
        with pytest.raises(ecf.RecordError) as refused:
            editor.add_hours(dt.date(2024, 12, 2), 1)
        assert refused.value.lines() == [
            f"{rec}: clock: the clock must give an aware date and time (in UTC)"
        ]
    assert rec.read_bytes() == before


def test_create_never_replaces_a_file(rec: Path) -> None:
    before = rec.read_bytes()
    with pytest.raises(ecf.ConflictError) as refused:
        create(rec)
    assert refused.value.lines() == [f"{rec}: already exists; not replaced"]
    assert rec.read_bytes() == before


def test_create_refuses_bad_values_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "new.toml"
    with pytest.raises(ecf.RecordError) as refused:
        create(path, swe="12345", fte=0)
    assert refused.value.lines() == [f"{path}: fte: must be more than 0 and at most 1 (got 0)"]
    with pytest.raises(ecf.RecordError) as refused:
        create(path, swe="12345")
    assert refused.value.lines() == [
        (
            f"{path}: swe: a Social Work England number is 'SW' followed by digits "
            "(got a text, not shown: personal data)"
        )
    ]
    with pytest.raises(ecf.TransitionError, match="start: is before qualification"):
        ecf.create(
            path,
            id="r1",
            name=NAME,
            qualified=dt.date(2024, 6, 1),
            stage="asye",
            start=dt.date(2024, 1, 1),
            by=USER,
        )
    assert not path.exists()


# --- (e) concurrent writers lose nothing --------------------------------------------------------


def test_concurrent_editors_lose_nothing(rec: Path) -> None:
    writers, appends = 3, 15
    failures: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(writer: int) -> None:
        start.wait()
        for i in range(appends):
            try:
                with ecf.edit(rec, by=f"writer-{writer}") as editor:
                    editor.add_evidence("pdp", dt.date(2025, 1, 5), note=f"W{writer}-{i}")
            except BaseException as exc:  # noqa: BLE001 - every failure is reported below
                failures.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    record = ecf.read_record(rec)
    notes = sorted(e.note or "" for e in record.evidence)
    assert notes == sorted(
        f"W{w}-{i}" for w, i in itertools.product(range(writers), range(appends))
    )
    assert len({e.id for e in record.evidence}) == writers * appends
    assert len(record.history) == 1 + writers * appends
    assert ecf.history.verify(record) == []


# --- (f) migrate --------------------------------------------------------------------------------


def test_migrate_a_schema_1_file(tmp_path: Path) -> None:
    path = tmp_path / "old.toml"
    shutil.copy(FIXTURES / "schema-1.toml", path)
    before = path.read_bytes()
    with pytest.raises(ecf.RecordError, match=r"run `ecf migrate .*old\.toml` first"):
        ecf.edit(path, by=USER).__enter__()

    dry = ecf.migrate(path, by=USER, dry_run=True)
    backup = tmp_path / "old.toml.schema1.bak"
    assert dry == ecf.Migration(path, 1, SCHEMA, backup, written=False)
    assert path.read_bytes() == before
    assert not backup.exists()

    done = ecf.migrate(path, by=USER)
    assert done == ecf.Migration(path, 1, SCHEMA, backup, written=True)
    assert done.needed
    assert backup.read_bytes() == before
    migrated = ecf.read_record(path)
    assert migrated.schema_version == SCHEMA
    assert (migrated.history[-1].action, migrated.history[-1].by) == ("migrate", USER)
    assert ecf.history.verify(migrated) == []

    again = ecf.migrate(path, by=USER)
    assert again == ecf.Migration(path, SCHEMA, SCHEMA, None, written=False)
    assert not again.needed
    with ecf.edit(path, by=USER) as editor:  # now it can be changed
        editor.add_evidence("pdp", dt.date(2026, 1, 5))
    assert ecf.history.verify(ecf.read_record(path)) == []


def test_migrate_never_replaces_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "old.toml"
    shutil.copy(FIXTURES / "schema-1.toml", path)
    backup = tmp_path / "old.toml.schema1.bak"
    backup.write_text("an earlier backup", encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(ecf.ConflictError) as refused:
        ecf.migrate(path, by=USER)
    assert refused.value.lines() == [
        f"{path}: a backup old.toml.schema1.bak exists already; not replaced"
    ]
    assert path.read_bytes() == before
    assert backup.read_text(encoding="utf-8") == "an earlier backup"


def test_a_failed_migration_leaves_no_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.toml"
    shutil.copy(FIXTURES / "schema-1.toml", path)
    before = path.read_bytes()

    def refused(*_: object, **__: object) -> ecf.store.RecordFile:
        raise ecf.ConflictError([ecf.Problem("changed on disk", file=str(path))])

    monkeypatch.setattr(ecf.store, "save", refused)
    with pytest.raises(ecf.ConflictError):
        ecf.migrate(path, by=USER)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [ecf.store.lock_path(path).name, "old.toml"]
    )


# --- (g) anonymise ------------------------------------------------------------------------------


def test_anonymise_leaves_no_comment_and_stays_verifiable(
    passed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = passed.read_text(encoding="utf-8")
    comment = f"# {NAME} moved from the north team after a long illness.\n"
    passed.write_text(text.replace("[[enrolments]]", comment + "[[enrolments]]", 1), "utf-8")
    with ecf.edit(passed, by=USER) as editor:
        editor.add_evidence("pdp", dt.date(2025, 1, 5), by=NAME, note=f"{NAME} wrote it")
    assert ecf.history.verify(ecf.read_record(passed)) == []
    writes = _count_writes(monkeypatch)
    with ecf.edit(passed, by=USER) as editor:
        anonymised = editor.anonymise("retention period ended")
    assert writes == [passed]  # one write
    written = passed.read_text(encoding="utf-8")
    assert NAME not in written
    assert [line for line in written.splitlines() if line.lstrip().startswith("#")] == [
        f"# {ecf.store._HEADER}"
    ]  # only the header every new file has: no comment a person wrote
    record = ecf.read_record(passed)
    assert record == anonymised
    assert record.name == "anonymised"
    assert record.id.startswith("anon-")
    assert (record.history[-1].action, record.history[-1].by) == ("anonymise", USER)
    assert ecf.history.verify(record) == []
    assert CliRunner().invoke(main, ["verify", str(passed)], env=ENV).exit_code == 0


# --- helpers ------------------------------------------------------------------------------------


def _count_writes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record every path ``ecf.store.atomic_write`` writes from now on."""
    writes: list[Path] = []
    real = ecf.store.atomic_write

    def counting(path: Path, data: bytes, *, expect_digest: str | None) -> None:
        writes.append(path)
        real(path, data, expect_digest=expect_digest)

    monkeypatch.setattr(ecf.store, "atomic_write", counting)
    return writes


@contextlib.contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    """Fail the test (instead of hanging) if the block takes longer than ``seconds``."""

    def expired(*_: object) -> None:
        raise TimeoutError(f"blocked for {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
