"""Every byte sealed, and signed history (issue 11, item 2).

Each history entry seals the record's whole content as its change left it, so any change not
made through ecf is found by ``ecf verify``, at the entry whose seal it broke; with a council's
Ed25519 key every entry is signed, and ``ecf verify --public-key`` finds a chain rewritten
consistently.

To see the table-driven test fail, make :func:`ecf.records.content_seal` leave a field out
(``content = attrs.evolve(record, history=(), absences=())``) and run this file: the rows that
edit absences pass verification.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
import tomlkit
from click.testing import CliRunner, Result

import ecf
from ecf.cli import main
from ecf.errors import EcfError
from ecf.history import sign, verify
from ecf.records import Record, content_seal, digest
from ecf.signing import (
    SIGNING_KEY_ENV,
    load_public_key,
    load_signing_key,
    new_key_pair,
    using,
)
from ecf.store import read_record

if TYPE_CHECKING:
    from collections.abc import Callable

    from ecf.signing import PublicKey, SigningKey

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_USER", "tester")
    monkeypatch.delenv(SIGNING_KEY_ENV, raising=False)


def clock() -> dt.datetime:
    return dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)


def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def make(file: Path) -> Path:
    """A record with something in every list a person fills, made through the library."""
    ecf.create(
        file,
        id="r1",
        name="Amira Okafor",
        qualified=dt.date(2025, 6, 1),
        stage="asye",
        start=dt.date(2025, 9, 1),
        council="E09000030",
        swe="SW140001",
        registered=dt.date(2025, 7, 1),
        by="hr",
        today=TODAY,
        clock=clock,
    )
    with ecf.edit(file, by="hr", today=TODAY, clock=clock) as editor:
        editor.add_hours(dt.date(2025, 11, 1), "0.8")
        editor.add_absence("sickness", dt.date(2025, 12, 1), dt.date(2026, 1, 9))
        editor.add_evidence(
            "direct-observation",
            dt.date(2025, 10, 1),
            standards=["kss-cf:1", "pcf:7"],
            by="M. Reid",
            note="seemed confident",
        )
        editor.add_review("review-3m", dt.date(2025, 12, 1))
        editor.agree("review-6m", dt.date(2026, 3, 20), note="agreed at the meeting")
        editor.assign("assessor", "M. Reid", dt.date(2025, 9, 1))
        editor.decide(
            "fail",
            dt.date(2026, 9, 20),
            by="R. Singh",
            panel="Moderation panel",
            reason="standards-not-met",
        )
        editor.appeal("dec-1", lodged=dt.date(2026, 9, 25))
    return file


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    return make(tmp_path / "r.toml")


def _aot(*tables: dict[str, Any]) -> Any:
    aot = tomlkit.aot()
    for t in tables:
        aot.append(tomlkit.item(t))
    return aot


def _set(key: str, value: object) -> Callable[[Any], None]:
    def change(doc: Any) -> None:
        doc[key] = value

    return change


def _in(table: str, key: str, value: object, index: int = 0) -> Callable[[Any], None]:
    def change(doc: Any) -> None:
        doc[table][index][key] = value

    return change


def _append(table: str, entry: dict[str, Any]) -> Callable[[Any], None]:
    def change(doc: Any) -> None:
        if table in doc:
            doc[table].append(tomlkit.item(entry))
        else:
            doc[table] = _aot(entry)

    return change


def _remove(table: str) -> Callable[[Any], None]:
    def change(doc: Any) -> None:
        del doc[table]

    return change


def _last_entry(key: str, value: object) -> Callable[[Any], None]:
    def change(doc: Any) -> None:
        doc["history"][-1][key] = value

    return change


#: One hand edit of each class of field: identity, each list a person fills, the schema version,
#: a council's extra fields, and the last history entry's own fields.
TAMPERS: dict[str, Callable[[Any], None]] = {
    "identity: name": _set("name", "Someone Else"),
    "identity: id": _set("id", "r2"),
    "identity: qualified": _set("qualified", dt.date(2025, 5, 1)),
    "identity: service": _set("service", "adults"),
    "identity: swe": _set("swe", "SW999999"),
    "identity: council": _set("council", "E09000001"),
    "identity: registered": _set("registered", dt.date(2025, 8, 1)),
    "identity: began added": _set("began", dt.date(2025, 10, 1)),
    "schema_version": _set("schema_version", 2),
    "enrolments: start": _in("enrolments", "start", dt.date(2025, 9, 8)),
    "enrolments: framework": _in("enrolments", "framework", "baseline-2027"),
    "prior stages: added": _append("prior", {"stage": "ecf-1", "passed": dt.date(2025, 8, 1)}),
    "employment: from": _in("employment", "from", dt.date(2025, 9, 15)),
    "employment: to added": _in("employment", "to", dt.date(2026, 8, 31)),
    "hours: fte": _in("hours", "fte", 0.6),
    "hours: removed": _remove("hours"),
    "hours: added": _append("hours", {"from": dt.date(2026, 2, 1), "fte": 0.5}),
    "absences: last day": _in("absences", "last", dt.date(2025, 12, 20)),
    "absences: kind": _in("absences", "kind", "annual-leave"),
    "absences: added": _append(
        "absences", {"kind": "parental", "first": dt.date(2026, 2, 1), "last": dt.date(2026, 5, 1)}
    ),
    "absences: removed": _remove("absences"),
    "evidence: date": _in("evidence", "date", dt.date(2025, 10, 2)),
    "evidence: standards": _in("evidence", "standards", ["kss-cf:2"]),
    "evidence: note": _in("evidence", "note", "seemed nervous"),
    "evidence: added": _append(
        "evidence", {"id": "ev-002", "kind": "written-report", "date": dt.date(2025, 11, 5)}
    ),
    "milestones: date": _in("milestones", "date", dt.date(2025, 12, 2)),
    "milestones: added": _append(
        "milestones", {"stage": "asye", "id": "review-6m", "date": dt.date(2026, 3, 2)}
    ),
    "agreed dates: due": _in("agreed", "due", dt.date(2026, 4, 20)),
    "agreed dates: note": _in("agreed", "note", "never agreed"),
    "assignments: name": _in("assignments", "name", "J. Bloggs"),
    "decisions: panel": _in("decisions", "panel", "Nobody"),
    "decisions: outcome": _in("decisions", "outcome", "pass"),
    "appeals: lodged": _in("appeals", "lodged", dt.date(2026, 10, 20)),
    "appeals: removed": _remove("appeals"),
    "left: added": _set("left", {"date": dt.date(2026, 10, 30), "reason": "resigned"}),
    "extra: added": _set("extra", {"caseload": 12}),
    "last entry: detail": _last_entry("detail", "nothing happened"),
    "last entry: by": _last_entry("by", "someone else"),
    "last entry: at": _last_entry("at", dt.datetime(2026, 10, 2, 9, 0, tzinfo=dt.UTC)),
}


def tamper(file: Path, change: Callable[[Any], None]) -> None:
    doc = tomlkit.parse(file.read_text(encoding="utf-8"))
    change(doc)
    file.write_text(tomlkit.dumps(doc), encoding="utf-8")


def test_a_record_made_through_ecf_is_sealed_and_intact(rec: Path) -> None:
    record = read_record(rec)
    assert all(e.state is not None for e in record.history)
    assert verify(record) == []
    assert "intact" in ok(run("verify", rec))


@pytest.mark.parametrize("name", TAMPERS)
def test_every_hand_edit_of_the_content_is_found_naming_the_entry(rec: Path, name: str) -> None:
    last = len(read_record(rec).history) - 1
    tamper(rec, TAMPERS[name])
    problems = verify(read_record(rec))
    assert f"history[{last}].state" in [p.path for p in problems], (name, problems)
    result = run("verify", rec)
    assert result.exit_code == 2
    assert f"history[{last}].state" in result.output
    assert "Amira" not in result.output  # errors never show a personal value


def test_verify_names_the_first_entry_that_no_longer_holds_first(rec: Path) -> None:
    doc = tomlkit.parse(rec.read_text(encoding="utf-8"))
    doc["history"][2]["detail"] = "edited"  # breaks the link of history[3]
    rec.write_text(tomlkit.dumps(doc), encoding="utf-8")
    tamper(rec, TAMPERS["absences: last day"])  # and the last entry's seal
    paths = [p.path for p in verify(read_record(rec))]
    assert paths[0] == "history[3].prev", paths
    assert f"history[{len(read_record(rec).history) - 1}].state" in paths


def test_a_change_through_ecf_after_a_hand_edit_never_hides_it(rec: Path) -> None:
    tamper(rec, TAMPERS["absences: last day"])
    before = len(read_record(rec).history)
    with ecf.edit(rec, by="hr", today=TODAY, clock=clock) as editor:
        editor.add_evidence("written-report", dt.date(2025, 11, 5))
    with ecf.edit(rec, by="hr", today=TODAY, clock=clock) as editor:
        editor.add_evidence("written-report", dt.date(2025, 11, 6))
    problems = verify(read_record(rec))
    # The last seal holds: the edit is named at the entry that found it, for ever.
    assert [p.path for p in problems] == [f"history[{before}].hand_edited"]


def test_a_command_on_a_record_changed_by_hand_warns(rec: Path) -> None:
    tamper(rec, TAMPERS["absences: last day"])
    result = run("add", "evidence", rec, "--kind", "written-report", "--date", "2025-11-05")
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output
    assert "changed by hand" in result.output
    quiet = run("add", "evidence", rec, "--kind", "written-report", "--date", "2025-11-06")
    assert "warning:" not in quiet.output


def test_an_entry_without_a_seal_after_sealed_ones_is_found(rec: Path) -> None:
    doc = tomlkit.parse(rec.read_text(encoding="utf-8"))
    del doc["history"][-1]["state"]
    rec.write_text(tomlkit.dumps(doc), encoding="utf-8")
    last = len(read_record(rec).history) - 1
    assert f"history[{last}].state" in [p.path for p in verify(read_record(rec))]


def test_records_of_chain_version_2_verify_as_they_did() -> None:
    for name in ("schema-2.toml", "schema-3.toml"):
        record = read_record(FIXTURES / name)
        assert all(e.state is None for e in record.history)
        assert verify(record) == [], name


def test_sealing_leaves_the_digests_of_older_entries_alone() -> None:
    # New optional fields default to None: an entry written before them keeps its digest.
    record = read_record(FIXTURES / "schema-3.toml")
    for before, entry in zip(record.history, record.history[1:], strict=False):
        assert entry.prev == digest(before)


# --- migrate never seals what it cannot verify ---------------------------------------------


def test_schema_1_set_by_hand_and_migrated_never_reseals_an_edit(rec: Path) -> None:
    tamper(rec, TAMPERS["absences: last day"])
    tamper(rec, _set("schema_version", 1))
    ok(run("migrate", rec))
    record = read_record(rec)
    assert record.schema_version == 3
    problems = verify(record)
    assert problems, "an edit made before migrating must stay flagged"
    assert f"history[{len(record.history) - 1}].hand_edited" in [p.path for p in problems]


def test_schema_1_set_by_hand_on_a_chain_2_record_keeps_its_decision_flagged(
    tmp_path: Path,
) -> None:
    file = tmp_path / "r.toml"
    shutil.copy(FIXTURES / "schema-2.toml", file)
    edited = 'by = "R. Singh (assessor)"'
    text = file.read_text(encoding="utf-8")
    assert edited in text
    text = text.replace(edited, 'by = "Someone Else"', 1)
    file.write_text(text.replace("schema_version = 2", "schema_version = 1", 1), encoding="utf-8")
    ok(run("migrate", file))
    after = read_record(file)
    assert after.schema_version == 3
    assert "decisions[0]" in [p.path for p in verify(after)]


def test_schema_1_evidence_is_sealed_by_the_migration(tmp_path: Path) -> None:
    file = tmp_path / "r.toml"
    shutil.copy(FIXTURES / "schema-1.toml", file)
    ok(run("migrate", file))
    assert verify(read_record(file)) == []
    tamper(file, _in("evidence", "date", dt.date(2026, 2, 18)))
    assert verify(read_record(file)) != []


# --- signed history -------------------------------------------------------------------------


@pytest.fixture
def council_key(tmp_path: Path) -> tuple[SigningKey, PublicKey, Path, Path]:
    folder = tmp_path / "keys"
    folder.mkdir()
    private, public, fingerprint = new_key_pair(folder)
    key = load_signing_key(private)
    assert key.fingerprint == fingerprint
    return key, load_public_key(public), private, public


def rewrite_consistently(file: Path, change: Callable[[Record], Record]) -> None:
    """What an attacker with the file, but not the key, does: edit, then recompute every digest.

    The signatures stay as they were (the attacker cannot make new ones).
    """
    record = change(read_record(file))
    history: list[Any] = []
    for entry in record.history:
        linked = attrs.evolve(entry, prev=digest(history[-1]) if history else None)
        history.append(linked)
    rebuilt = attrs.evolve(record, history=tuple(history))
    last = history[-1]
    history[-1] = attrs.evolve(last, state=content_seal(rebuilt, last))
    rebuilt = attrs.evolve(record, history=tuple(history))
    doc = tomlkit.parse(file.read_text(encoding="utf-8"))
    data = ecf.records.record_to_dict(rebuilt)
    for key in list(doc):
        del doc[key]
    for key, value in data.items():
        doc[key] = value
    file.write_text(tomlkit.dumps(doc), encoding="utf-8")


def test_every_entry_written_with_a_key_is_signed(
    tmp_path: Path, council_key: tuple[SigningKey, PublicKey, Path, Path]
) -> None:
    key, public, private, public_file = council_key
    with using(private):
        file = make(tmp_path / "r.toml")
    record = read_record(file)
    assert all(e.key == key.fingerprint and e.sig for e in record.history)
    assert verify(record, [public]) == []
    assert "intact and signed" in ok(run("verify", "--public-key", public_file, file))


def test_a_chain_rewritten_consistently_is_found_only_with_the_public_key(
    tmp_path: Path, council_key: tuple[SigningKey, PublicKey, Path, Path]
) -> None:
    _, public, private, public_file = council_key
    with using(private):
        file = make(tmp_path / "r.toml")

    def later_absence(record: Record) -> Record:
        absences = (attrs.evolve(record.absences[0], last=dt.date(2025, 12, 20)),)
        return attrs.evolve(record, absences=absences)

    rewrite_consistently(file, later_absence)
    record = read_record(file)
    assert verify(record) == []  # without the key, a consistent rewrite cannot be told apart
    problems = verify(record, [public])
    assert problems
    assert problems[0].path == f"history[{len(record.history) - 1}].sig"
    result = run("verify", "--public-key", public_file, file)
    assert result.exit_code == 2
    assert "signature does not match" in result.output


def test_signatures_stripped_or_made_with_another_key_are_found(
    tmp_path: Path, council_key: tuple[SigningKey, PublicKey, Path, Path]
) -> None:
    _, public, private, _ = council_key
    with using(private):
        file = make(tmp_path / "r.toml")
    record = read_record(file)
    stripped = attrs.evolve(
        record, history=tuple(attrs.evolve(e, key=None, sig=None) for e in record.history)
    )
    assert "no entry is signed: the history cannot be proved with a public key" in [
        p.message for p in verify(stripped, [public])
    ]
    folder = tmp_path / "attacker"
    folder.mkdir()
    theirs, _, _ = new_key_pair(folder)
    resigned = sign(stripped, 0, load_signing_key(theirs))
    assert {p.message for p in verify(resigned, [public])} == {
        "signed by a key not given (--public-key)"
    }
    # Entries appended without the key after signed ones are found.
    with ecf.edit(file, by="hr", today=TODAY, clock=clock) as editor:
        editor.add_evidence("written-report", dt.date(2025, 11, 5))
    unsigned = verify(read_record(file), [public])
    assert [p.path for p in unsigned] == [f"history[{len(record.history)}].sig"]


def test_a_receiving_council_verifies_a_transferred_record_with_the_senders_key(
    tmp_path: Path,
) -> None:
    sender, receiver = tmp_path / "sender", tmp_path / "receiver"
    sender.mkdir()
    receiver.mkdir()
    sender_private, sender_public, _ = new_key_pair(sender)
    receiver_private, receiver_public, _ = new_key_pair(receiver)
    file = tmp_path / "r.toml"
    ok(
        run(
            "--key",
            sender_private,
            "new",
            file,
            "--id",
            "r1",
            "--name",
            "A Person",
            "--qualified",
            "2025-06-01",
            "--stage",
            "asye",
            "--start",
            "2025-09-01",
            "--council",
            "E09000030",
        )
    )
    ok(
        run(
            "--key",
            sender_private,
            "transfer",
            file,
            "--to",
            "E08000035",
            "--left",
            "2026-01-31",
            "--joined",
            "2026-02-16",
        )
    )
    assert "intact and signed" in ok(run("verify", "--public-key", sender_public, file))
    # The receiving council signs its own entries with its own key ($ECF_SIGNING_KEY).
    env = {SIGNING_KEY_ENV: str(receiver_private)}
    ok(run("add", "evidence", file, "--kind", "written-report", "--date", "2026-03-01", env=env))
    assert read_record(file).history[-1].key == load_public_key(receiver_public).fingerprint
    only_sender = run("verify", "--public-key", sender_public, file)
    assert only_sender.exit_code == 2
    assert "signed by a key not given" in only_sender.output
    ok(run("verify", "--public-key", sender_public, "--public-key", receiver_public, file))


def test_keys_new_writes_an_owner_only_private_key_and_never_replaces(tmp_path: Path) -> None:
    out = ok(run("keys", "new", "--out", tmp_path))
    assert out.startswith("ed25519:")
    private = tmp_path / "ecf-signing.key"
    assert private.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "ecf-signing.pub").stat().st_mode & 0o077 != 0o077  # shareable
    again = run("keys", "new", "--out", tmp_path)
    assert again.exit_code == 2
    assert "exists already" in again.output


def test_keys_new_never_follows_a_planted_link(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    (tmp_path / "ecf-signing.pub").symlink_to(target)
    assert run("keys", "new", "--out", tmp_path).exit_code == 2
    assert not target.exists()
    assert not (tmp_path / "ecf-signing.key").exists()


def test_a_private_key_others_may_read_is_refused(
    tmp_path: Path, council_key: tuple[SigningKey, PublicKey, Path, Path]
) -> None:
    _, _, private, public_file = council_key
    private.chmod(0o644)
    with pytest.raises(EcfError, match="may be read by others"):
        load_signing_key(private)
    result = run("--key", private, "verify", tmp_path)
    assert result.exit_code == 2
    public_file.chmod(0o600)
    with pytest.raises(EcfError, match="not an unencrypted Ed25519 private key"):
        load_signing_key(public_file)


def test_cryptography_is_imported_only_to_sign_or_verify(tmp_path: Path) -> None:
    file = make(tmp_path / "r.toml")
    code = (
        "import sys; from click.testing import CliRunner; from ecf.cli import main; "
        f"r = CliRunner().invoke(main, ['status', {str(file)!r}]); assert r.exit_code == 0; "
        f"r = CliRunner().invoke(main, ['verify', {str(file)!r}]); assert r.exit_code == 0; "
        "print(any(m.startswith('cryptography') for m in sys.modules))"
    )
    env = {k: v for k, v in os.environ.items() if k != SIGNING_KEY_ENV}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "False"
