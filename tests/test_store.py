"""Record files on disk: atomic writes, no clobbering, and edits that keep what people wrote."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
from fractions import Fraction
from pathlib import Path

import pytest
import tomli
from click.testing import CliRunner

import ecf.store
from ecf.cli import main
from ecf.errors import ConflictError, RecordError
from ecf.framework import FrameworkRegistry
from ecf.progression import new_record
from ecf.records import (
    Absence,
    Attachment,
    Decision,
    Evidence,
    HeldMilestone,
    HistoryEntry,
    PatternChange,
    Record,
    digest,
    record_from_dict,
)
from ecf.store import atomic_write, create, open_record, read_record, render, save

AT = dt.datetime(2025, 9, 1, 9, 0, tzinfo=dt.UTC)

#: Written by hand: comments everywhere, keys out of the usual order, an FTE as a fraction.
HAND = """\
# Alex's record. Kept by the north team; ask Sam before editing.
name = "Alex Example"   # as on the SWE register
id = "r1"
schema_version = 3
qualified = 2025-06-01
service = "children"

# First stage.
[[enrolments]]
framework = "baseline-2026"
stage = "asye"
start = 2025-09-01

[[hours]]
from = 2025-09-01
fte = "3/5"  # three days a week

[[evidence]]
id = "ev-001"
kind = "direct-observation"
date = 2025-10-01
standards = ["kss-cf:1"]  # home visit

# Everything below is written by ecf.
[[history]]
at = 2025-09-01T09:00:00Z
by = "tester"
action = "new"
"""


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_USER", "tester")
    monkeypatch.delenv("ECF_FRAMEWORK_PATH", raising=False)


@pytest.fixture
def hand(tmp_path: Path) -> Path:
    path = tmp_path / "r.toml"
    path.write_text(HAND, encoding="utf-8")
    return path


def entry(action: str) -> HistoryEntry:
    return HistoryEntry(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "tester", action)


def a_record(**fields: object) -> Record:
    record = new_record(
        id="r1",
        name="Alex Example",
        qualified=dt.date(2025, 6, 1),
        service="children",
        stage="asye",
        start=dt.date(2025, 9, 1),
        registry=FrameworkRegistry.default(),
        entry=HistoryEntry(AT, "tester", "new", "started asye on 2025-09-01"),
    )
    return record.changed(entry("edit"), **fields) if fields else record


def leftovers(folder: Path, keep: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != keep)


def is_subsequence(lines: list[str], within: list[str]) -> bool:
    it = iter(within)
    return all(line in it for line in lines)


# --- atomic_write ----------------------------------------------------------------------------


def test_atomic_write_creates_a_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "r.toml"
    atomic_write(target, b"id = 1\n", expect_digest=None)
    assert target.read_bytes() == b"id = 1\n"
    assert leftovers(tmp_path, "r.toml") == []
    assert target.stat().st_mode & 0o777 == 0o600


def test_atomic_write_replaces_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "r.toml"
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    atomic_write(target, b"new\n", expect_digest=hashlib.sha256(b"old\n").hexdigest())
    assert target.read_bytes() == b"new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert leftovers(tmp_path, "r.toml") == []


def _boom(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.EIO, "disk on fire")


@pytest.mark.parametrize("where", ["os.replace", "Path.replace", "os.fsync"])
def test_atomic_write_failure_leaves_the_target_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    target = tmp_path / "r.toml"
    target.write_bytes(b"old\n")
    if where == "Path.replace":
        monkeypatch.setattr(Path, "replace", _boom)
    else:
        monkeypatch.setattr(os, where.split(".")[1], _boom)
    with pytest.raises(RecordError) as caught:
        atomic_write(target, b"new\n", expect_digest=hashlib.sha256(b"old\n").hexdigest())
    assert caught.value.lines() == [f"{target}: cannot write: disk on fire"]
    assert not isinstance(caught.value, ConflictError)
    assert target.read_bytes() == b"old\n"
    assert leftovers(tmp_path, "r.toml") == []


def test_atomic_create_failure_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "link", _boom)
    target = tmp_path / "r.toml"
    with pytest.raises(RecordError, match="disk on fire"):
        atomic_write(target, b"new\n", expect_digest=None)
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_in_a_missing_folder(tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "r.toml"
    with pytest.raises(RecordError, match="cannot write in"):
        atomic_write(target, b"new\n", expect_digest=None)
    assert not target.parent.exists()


def test_atomic_write_refuses_an_unexpected_digest(tmp_path: Path) -> None:
    target = tmp_path / "r.toml"
    target.write_bytes(b"theirs\n")
    with pytest.raises(ConflictError, match="changed on disk since it was read"):
        atomic_write(target, b"mine\n", expect_digest=hashlib.sha256(b"old\n").hexdigest())
    assert target.read_bytes() == b"theirs\n"
    assert leftovers(tmp_path, "r.toml") == []


# --- create / save ---------------------------------------------------------------------------


def test_create_refuses_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "r.toml"
    target.write_bytes(b"someone else's\n")
    with pytest.raises(ConflictError) as caught:
        create(target, a_record())
    assert caught.value.lines() == [f"{target}: already exists; not replaced"]
    assert target.read_bytes() == b"someone else's\n"
    assert leftovers(tmp_path, "r.toml") == []


def test_create_writes_an_owner_only_file_that_reads_back(tmp_path: Path) -> None:
    target = tmp_path / "r.toml"
    record = a_record()
    opened = create(target, record)
    assert target.stat().st_mode & 0o777 == ecf.store.NEW_FILE_MODE == 0o600
    assert read_record(target) == record
    assert opened.digest == hashlib.sha256(target.read_bytes()).hexdigest()
    assert leftovers(tmp_path, "r.toml") == []


def test_save_refuses_a_file_changed_on_disk(hand: Path) -> None:
    opened = open_record(hand)
    theirs = HAND.replace('name = "Alex Example"', 'name = "Alex Q. Example"')
    hand.write_text(theirs, encoding="utf-8")
    changed = opened.record.changed(entry("add-hours"))
    with pytest.raises(ConflictError) as caught:
        save(opened, changed)
    assert caught.value.lines() == [
        f"{hand}: changed on disk since it was read; not written, run the command again"
    ]
    assert hand.read_text(encoding="utf-8") == theirs
    assert leftovers(hand.parent, "r.toml") == []


def test_save_refuses_a_removed_file(hand: Path) -> None:
    opened = open_record(hand)
    hand.unlink()
    with pytest.raises(ConflictError) as caught:
        save(opened, opened.record.changed(entry("add-hours")))
    assert caught.value.lines() == [f"{hand}: was removed since it was read; not written"]
    assert list(hand.parent.iterdir()) == []  # not recreated, no temporary left


def test_save_twice_from_the_returned_file(hand: Path) -> None:
    opened = open_record(hand)
    first = save(opened, opened.record.changed(entry("one")))
    second = save(first, first.record.changed(entry("two")))
    assert [h.action for h in read_record(hand).history] == ["new", "one", "two"]
    assert second.digest == hashlib.sha256(hand.read_bytes()).hexdigest()
    with pytest.raises(ConflictError):  # the first revision is stale now
        save(opened, opened.record.changed(entry("stale")))


def test_open_record_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(RecordError) as caught:
        open_record(missing)
    assert caught.value.lines() == [f"{missing}: no such file"]
    with pytest.raises(RecordError) as caught:
        open_record(tmp_path)
    assert caught.value.lines() == [f"{tmp_path}: is a folder, not a record file"]
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'name = "Al\xe9x"\n')
    with pytest.raises(RecordError) as caught:
        read_record(latin)
    assert caught.value.lines() == [f"{latin}: not UTF-8 text (byte 10)"]


# --- edits keep what people wrote ------------------------------------------------------------


def _run(*args: str | Path) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def test_comments_and_key_order_survive_cli_edits(hand: Path) -> None:
    assert _run("add", "evidence", hand, "--kind", "pdp", "--date", "2025-11-01") == "ev-002\n"
    _run("add", "hours", hand, "--from", "2026-01-05", "--fte", "0.8")
    _run("add", "absence", hand, "--kind", "sickness", "--from", "2026-02-02", "--to", "2026-02-03")
    text = hand.read_text(encoding="utf-8")
    assert is_subsequence(HAND.splitlines(), text.splitlines()), text
    assert text.startswith(HAND.partition("[[hours]]")[0])
    assert 'fte = "3/5"  # three days a week' in text  # not rewritten as 0.6
    data = tomli.loads(text)
    assert list(data)[:5] == ["name", "id", "schema_version", "qualified", "service"]
    assert list(data["enrolments"][0]) == ["framework", "stage", "start"]
    assert [h["from"] for h in data["hours"]] == [dt.date(2025, 9, 1), dt.date(2026, 1, 5)]
    assert data["hours"][0]["fte"] == "3/5"
    assert [e["id"] for e in data["evidence"]] == ["ev-001", "ev-002"]
    assert [h["action"] for h in data["history"]] == [
        "new",
        "add-evidence",
        "add-hours",
        "add-absence",
    ]


def test_save_changes_only_the_changed_value(hand: Path) -> None:
    opened = open_record(hand)
    save(opened, opened.record.changed(entry("rename"), name="Alex B. Example"))
    text = hand.read_text(encoding="utf-8")
    assert 'name = "Alex B. Example"   # as on the SWE register' in text
    unchanged = HAND.partition("[[history]]")[0]
    assert text.replace("Alex B. Example", "Alex Example").startswith(unchanged)


def test_new_sections_go_before_history(hand: Path) -> None:
    opened = open_record(hand)
    record = opened.record.changed(
        entry("edit"),
        absences=(Absence("sickness", dt.date(2025, 10, 1), dt.date(2025, 10, 3)),),
        milestones=(HeldMilestone("asye", "review-3m", dt.date(2025, 12, 1)),),
        decisions=(Decision("asye", "deferred", dt.date(2026, 1, 5), "Pat"),),
    )
    save(opened, record)
    text = hand.read_text(encoding="utf-8")
    history = text.index("[[history]]")
    for section in ("[[absences]]", "[[milestones]]", "[[decisions]]"):
        assert text.count(section) == 1
        assert text.index(section) < history, text
    headers = [line for line in text.splitlines() if line.startswith("[")]
    assert headers == [  # in a record's field order
        "[[enrolments]]",
        "[[hours]]",
        "[[absences]]",
        "[[evidence]]",
        "[[milestones]]",
        "[[decisions]]",
        "[[history]]",
        "[[history]]",
    ]
    for section in ("[[absences]]", "[[evidence]]", "[[decisions]]", "[[history]]"):
        assert f"\n\n{section}\n" in text  # a blank line before every table, old or new
    chained = digest(opened.record.history[-1])
    sealed = record.history[-1].state
    assert text.rstrip().endswith(f'action = "edit"\nprev = "{chained}"\nstate = "{sealed}"')
    assert read_record(hand) == record  # parses back to the same record


def test_a_new_top_level_key_is_added(hand: Path) -> None:
    opened = open_record(hand)
    record = opened.record.changed(entry("edit"), council="E09", swe="SW1")
    save(opened, record)
    assert read_record(hand) == record
    assert "# Alex's record." in hand.read_text(encoding="utf-8")


# --- render ----------------------------------------------------------------------------------


def _full_record() -> Record:
    return a_record(
        swe="SW123456",
        council="E09",
        hours=(
            PatternChange(dt.date(2025, 9, 1), Fraction(3, 5)),
            PatternChange(dt.date(2026, 1, 5), Fraction(1, 3)),
        ),
        absences=(Absence("parental", dt.date(2025, 11, 1), dt.date(2026, 1, 4)),),
        evidence=(
            Evidence(
                "ev-001",
                "direct-observation",
                dt.date(2025, 10, 1),
                ("kss-cf:1", "pcf:7"),
                "J. Smith",
                Attachment("docs/obs.pdf", "0" * 64),
                'a "quoted" note',
            ),
        ),
        milestones=(HeldMilestone("asye", "review-3m", dt.date(2025, 12, 1)),),
        decisions=(
            Decision("asye", "extended", dt.date(2026, 8, 1), "Pat", "Panel", dt.date(2026, 12, 1)),
        ),
        extra={"team": "north", "badge": {"colour": "green"}},
    )


def test_render_parses_back_with_tomli() -> None:
    record = _full_record()
    text = render(record)
    assert text.startswith("# ecf record file: one practitioner.")
    data = tomli.loads(text)
    assert record_from_dict(data) == record
    assert data["hours"] == [
        {"from": dt.date(2025, 9, 1), "fte": 0.6},
        {"from": dt.date(2026, 1, 5), "fte": "1/3"},
    ]
    assert data["evidence"][0]["attachment"] == {"ref": "docs/obs.pdf", "sha256": "0" * 64}
    assert data["extra"] == {"team": "north", "badge": {"colour": "green"}}
    order = [line for line in text.splitlines() if line.startswith("[")]
    assert order == [
        "[[enrolments]]",
        "[[employment]]",
        "[[hours]]",
        "[[hours]]",
        "[[absences]]",
        "[[evidence]]",
        "[[milestones]]",
        "[[decisions]]",
        "[[history]]",
        "[[history]]",
        "[extra]",
        "[extra.badge]",
    ]


def test_render_of_a_minimal_record() -> None:
    record = a_record()
    data = tomli.loads(render(record))
    assert set(data) == {
        "schema_version",
        "id",
        "name",
        "qualified",
        "service",
        "enrolments",
        "employment",
        "history",
    }
    assert record_from_dict(data) == record
