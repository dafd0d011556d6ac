"""Privacy: the classification of every field, errors that name a record by id only, the subject
access export, anonymisation, and the minimal view each assessor gets.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.metadata
import itertools
import json
import re
import shlex
import stat
import sys
import textwrap
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from click.testing import CliRunner, Result

import ecf.plugins.baseline
from ecf import privacy
from ecf.assessors import assess, context_for, get_plugins, rule_fields
from ecf.cli import main
from ecf.council import Council
from ecf.errors import Problem, RecordError
from ecf.framework import FrameworkRegistry
from ecf.history import verify
from ecf.privacy import ANONYMISED, FIELDS, anonymise, check_fields, view
from ecf.records import (
    SCHEMA_VERSION,
    Absence,
    Attachment,
    Decision,
    Enrolment,
    Evidence,
    HistoryEntry,
    Leaving,
    Record,
    content_seal,
    record_to_dict,
)
from ecf.rules import evaluate, load_rules
from ecf.store import read_record
from ecf.subject_access import subject_access
from ecf.validation import check_record

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

D = dt.date
REGISTRY = FrameworkRegistry.default()
FRAMEWORK = REGISTRY.get("baseline-2026")
TODAY = dt.date.today()  # noqa: DTZ011 - the CLI uses the local date too
START = D(2025, 9, 1)
FINAL = D(2026, 9, 1)
#: The practitioner's name: a string that appears nowhere else.
MARKER = "Zed Qx7MARKER"
#: The name of the person who decided (a colleague): personal data too.
DECIDER = "Pat Dq9DECIDER"
GUIDE = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"
_names = itertools.count()


# --- the classification ----------------------------------------------------------------------


def model_paths(cls: type[Any], prefix: str = "") -> list[str]:
    """Every field of an attrs model, nested ones too (through tuples and optionals)."""
    hints = typing.get_type_hints(cls)
    out: list[str] = []
    for field in attrs.fields(cls):
        path = f"{prefix}{field.name}"
        out.append(path)
        nested = [a for a in _flatten(hints[field.name]) if attrs.has(a)]
        for inner in nested:
            out.extend(model_paths(inner, f"{path}."))
    return out


def _flatten(tp: Any) -> list[Any]:
    args = typing.get_args(tp)
    return [tp, *(t for a in args for t in _flatten(a))]


def test_every_field_of_the_record_model_is_classified() -> None:
    paths = model_paths(Record)
    missing = sorted(set(paths) - set(FIELDS))
    assert not missing, f"fields not classified in ecf.privacy.FIELDS: {missing}"
    stale = sorted(set(FIELDS) - set(paths))
    assert not stale, f"ecf.privacy.FIELDS classifies fields the model lacks: {stale}"
    assert set(FIELDS.values()) <= {"personal", "special", "career"}


@attrs.frozen
class Mood:
    score: int


@attrs.frozen
class NewEvidence(Evidence):
    mood: Mood | None = None


@attrs.frozen
class NewRecord(Record):
    moods: tuple[NewEvidence, ...] = ()


def test_the_walk_finds_nested_fields_and_would_catch_a_new_one() -> None:
    paths = model_paths(Record)
    for nested in ("evidence.note", "evidence.by", "evidence.attachment.ref", "decisions.by"):
        assert nested in paths
    for nested in ("history.by", "left.reason", "extra", "hours.from_", "absences.kind"):
        assert nested in paths

    found = set(model_paths(NewRecord)) - set(FIELDS)
    assert found == {"moods", "moods.mood", "moods.mood.score"} | {
        f"moods.{p.removeprefix('evidence.')}" for p in FIELDS if p.startswith("evidence.")
    }


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("id", "personal"),
        ("name", "personal"),
        ("swe", "personal"),
        ("evidence.note", "personal"),
        ("evidence.by", "personal"),
        ("evidence.attachment", "personal"),
        ("decisions.by", "personal"),
        ("history.by", "personal"),
        ("extra", "personal"),
        ("absences.kind", "special"),
        ("left.reason", "special"),
        ("history.detail", "special"),
        ("enrolments.start", "career"),
        ("milestones.date", "career"),
        ("evidence.kind", "career"),
        ("evidence.standards", "career"),
        ("evidence.date", "career"),
        ("decisions.outcome", "career"),
        ("decisions.date", "career"),
        ("left.date", "career"),
    ],
)
def test_the_choices(path: str, expected: str) -> None:
    assert FIELDS[path] == expected


def test_category_of_paths_as_errors_spell_them() -> None:
    assert privacy.category("evidence[3].note") == "personal"
    assert privacy.category("hours[0].from") == "career"
    assert privacy.category("extra.caseload[2].date") == "personal"
    assert privacy.category("rules[0].by") is None


def test_the_plugin_guide_lists_every_field_a_plugin_may_declare() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("## What a plugin may read: `ECF_FIELDS`")
    section = text[start : text.index("\n## ", start + 1)]
    undeclared = sorted(
        p
        for p, c in FIELDS.items()
        if c != "career" and f"`{p}`" not in section and not p.startswith("evidence.attachment.")
    )
    assert not undeclared, f"docs/plugins.md does not list: {undeclared}"
    assert "`evidence.attachment.ref`" in section


# --- errors name a record by its id only -------------------------------------------------------


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (
            Problem("expected a string", "name", [MARKER]),
            "(got an array, not shown: personal data)",
        ),
        (Problem("bad", "swe", "SW 1"), "(got a text, not shown: personal data)"),
        (Problem("who", "decisions[2].by", DECIDER), "(got a text, not shown: personal data)"),
        (Problem("why", "left.reason", 5), "(got a number, not shown: personal data)"),
        (Problem("bad", "extra.team", {"a": MARKER}), "(got a table, not shown: personal data)"),
        (Problem("must not be empty", "name", ""), "(got '')"),
        (Problem("bad id", "id", "r 1"), "(got 'r 1')"),
        (
            Problem("unknown kind", "absences[0].kind", "chemo"),
            "(got a text, not shown: personal data)",
        ),
        (Problem("expected a list", "evidence", {"note": MARKER}), "(got a table)"),
        (Problem("expected a string", "evidence[0].kind", [MARKER]), "(got an array)"),
        (Problem("unknown milestone", "rules[0].by", "review-5m"), "(got 'review-5m')"),
        (Problem("future", "evidence[0].date", D(2099, 1, 1)), "(got 2099-01-01)"),
    ],
)
def test_an_error_never_shows_a_personal_value(problem: Problem, text: str) -> None:
    assert str(problem).endswith(text)
    assert MARKER not in str(RecordError([problem]))
    assert DECIDER not in str(problem)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def cli(line: str, **values: str | Path) -> Result:
    return run(*(part.format(**values) for part in shlex.split(line)))


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ECF_USER", "tester")
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ECF_FRAMEWORK_PATH", raising=False)
    monkeypatch.setenv("ECF_DISABLE_PLUGIN_AUTOLOAD", "1")


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def make_file(folder: Path, name: str = MARKER, file: str = "r.toml") -> Path:
    """A record made with the CLI: an absence, evidence with a note and author, a review."""
    path = folder / file
    ok(
        cli(
            "new {f} --id r1 --name {name} --qualified 2025-06-01 --stage asye --start 2025-09-01 "
            "--swe SW123456 --council E09",
            f=path,
            name=name,
        )
    )
    ok(cli("add absence {f} --kind sickness --from 2025-10-01 --to 2025-11-15", f=path))
    ok(
        cli(
            "add evidence {f} --kind direct-observation --date 2025-10-01 --standard kss-cf:1 "
            "--by 'Obs Ervera' --note 'seemed tired, Qx7MARKER said'",
            f=path,
        )
    )
    ok(cli("add evidence {f} --kind supervision --date 2025-10-08", f=path))
    ok(cli("add review {f} agreement --date 2025-09-10", f=path))
    return path


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    folder = tmp_path / "records"
    folder.mkdir()
    return make_file(folder)


def passed_copy(rec: Path) -> Path:
    """A copy of ``rec`` with the ASYE passed by DECIDER, under an id of its own.

    (Two files holding one id are a failure for every command over a folder.)
    """
    other = rec.with_name("passed.toml")
    text = rec.read_text(encoding="utf-8")
    assert 'id = "r1"' in text
    other.write_text(text.replace('id = "r1"', 'id = "r1-passed"', 1), encoding="utf-8")
    reseal(other)  # the id changed as a copy of the record would have it, not as a hand edit
    ok(cli("decide {f} --outcome pass --date 2026-09-01 --by {by}", f=other, by=DECIDER))
    return other


def reseal(path: Path) -> None:
    """Seal a record changed on purpose by the test as its last entry would have (as ecf does)."""
    record = read_record(path)
    last = record.history[-1]
    assert last.state is not None
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(last.state, content_seal(record, last)), encoding="utf-8")


def broken_copy(rec: Path, old: str, new: str, file: str) -> Path:
    text = rec.read_text(encoding="utf-8")
    assert old in text
    other = rec.parent.parent / file
    other.write_text(text.replace(old, new, 1), encoding="utf-8")
    return other


def test_no_error_and_no_output_names_the_person(rec: Path, tmp_path: Path) -> None:
    passed = passed_copy(rec)
    name = f'name = "{MARKER}"'
    as_list = broken_copy(rec, name, f'name = ["{MARKER}"]', "as-list.toml")
    as_table = broken_copy(rec, name, f'name = {{ first = "Zed", last = "{MARKER}" }}', "t.toml")
    bad_swe = broken_copy(rec, 'swe = "SW123456"', 'swe = "SW 123"', "bad-swe.toml")
    future = broken_copy(rec, "2025-10-08", "2099-10-08", "future.toml")
    refusals = [
        "add evidence {rec} --kind gossip --date 2025-11-01",
        "add absence {rec} --kind sickness --from 2025-10-10 --to 2025-10-12",
        "add absence {rec} --kind holiday --from 2026-01-10 --to 2026-01-12",
        "add review {rec} review-4m --date 2025-12-01",
        "add hours {rec} --from 2026-01-05 --fte 1.5",
        "decide {rec} --outcome extended --date 2026-01-10 --by Someone --reason absence",
        "decide {passed} --outcome fail --date 2026-09-02 --by Someone",
        "decide {rec} --outcome pass --date 2025-08-01 --by Someone",
        "advance {rec} --stage ecf-1 --start 2026-10-01",
        "advance {passed} --stage ecdp --start 2026-10-01",  # ecdp opens 2027-09-01
        "leave {rec} --date 2025-01-01 --reason resigned",
        "new {rec} --id r2 --name {name} --qualified 2025-06-01 --stage asye --start 2025-09-01",
        (
            "new {tmp}/n.toml --id r3 --name {name} --qualified 2025-06-01 --stage expert "
            "--start 2025-09-01"
        ),
        (
            "new {tmp}/m.toml --id r4 --name {name} --qualified 2025-06-01 --stage asye "
            "--start 2025-09-01 --swe 12345"
        ),
        "anonymise {rec} --reason ' '",
        "export {rec}",
    ]
    for broken in (as_list, as_table, bad_swe, future):
        refusals += [
            f"{cmd} {broken}"
            for cmd in ("validate", "status", "timeline", "assess", "export --subject-access")
        ]
        refusals += [
            f"add hours {broken} --from 2026-01-05 --fte 0.5",
            f"anonymise {broken} --reason retention",
        ]
    refusals += [f"verify {as_list}", f"verify {as_table}"]
    values: dict[str, str | Path] = {"rec": rec, "passed": passed, "name": MARKER, "tmp": tmp_path}
    for line in refusals:
        result = cli(line, **values)
        assert result.exit_code == 2, (line, result.output)
        assert "error" in result.output.lower(), (line, result.output)
        assert MARKER not in result.output, (line, result.output)
        assert DECIDER not in result.output, (line, result.output)
    reading = [
        "status {rec}",
        "status {rec} --json",
        "timeline {rec}",
        "timeline {rec} --json",
        "assess {rec}",
        "assess {rec} --json",
        "validate {rec} {passed}",
        "verify {rec} {passed}",
        "cohort {folder}",
        "cohort {folder} --format json",
        "calendar {folder}",
    ]
    for line in reading:
        result = cli(line, folder=rec.parent, **values)
        assert result.exit_code == 0, (line, result.output)
        assert MARKER not in result.output, (line, result.output)
    # ...but a subject access export holds it: the check above can fail.
    assert MARKER in ok(cli("export --subject-access {rec}", rec=rec))


def test_a_closed_stage_refusal_does_not_name_who_decided(rec: Path) -> None:
    passed = passed_copy(rec)
    result = cli("decide {f} --outcome fail --date 2026-09-02 --by Someone", f=passed)
    assert result.exit_code == 2
    assert "stage 'asye' is closed: 'pass' on 2026-09-01; a decision is never" in result.output
    assert DECIDER not in result.output


# --- ecf export --subject-access ---------------------------------------------------------------


def test_subject_access_holds_the_whole_record_classified_and_what_ecf_computes(
    rec: Path,
) -> None:
    data = json.loads(ok(cli("export --subject-access {rec}", rec=rec)))
    record = read_record(rec)
    as_held = json.dumps(record_to_dict(record), default=lambda v: v.isoformat())
    assert data["record"] == json.loads(as_held)
    assert data["record"]["name"] == MARKER
    assert data["record"]["evidence"][0]["note"] == "seemed tired, Qx7MARKER said"
    assert [h["action"] for h in data["record"]["history"]] == [h.action for h in record.history]
    assert data["subject_access"]["record"] == "r1"
    assert set(data["subject_access"]["categories"]) == {"personal", "special", "career"}
    classes = data["classification"]
    assert classes["name"] == "personal"
    assert classes["absences.kind"] == "special"
    assert classes["evidence.note"] == "personal"
    assert classes["enrolments.start"] == "career"
    assert all(p in FIELDS or p.startswith("extra.") for p in classes)
    status = json.loads(ok(cli("status {rec} --json", rec=rec)))
    assert status.pop("schema") == "status/1"  # the CLI's output names its schema
    assert data["status"] == status
    timeline = json.loads(ok(cli("timeline {rec} --json", rec=rec)))
    assert data["timeline"] == timeline["events"]
    assert data["assessment"]["id"] == "r1"
    assert data["assessment"]["recommendation"] in {"on-track", "at-risk", "ready", "not-met"}
    assert data["assessment"]["findings"]


def test_subject_access_classifies_the_council_fields() -> None:
    rec = make_record(extra={"team": "north", "caseload": [{"date": D(2025, 10, 1), "cases": 3}]})
    found = privacy.classify(rec)
    assert found["extra.team"] == found["extra.caseload"] == "personal"
    assert found["left.reason"] == "special"
    assert "swe" not in privacy.classify(attrs.evolve(rec, swe=None))
    data = subject_access(rec, REGISTRY, FINAL)
    assert json.loads(json.dumps(data)) == data  # plain JSON throughout
    assert data["record"]["extra"]["caseload"] == [{"date": "2025-10-01", "cases": 3}]


def test_subject_access_out_writes_a_private_new_file_atomically(rec: Path, tmp_path: Path) -> None:
    out = tmp_path / "sar.json"
    printed = ok(cli("export --subject-access {rec} --out {out}", rec=rec, out=out))
    assert printed == f"r1: subject access export written to {out}\n"
    assert MARKER not in printed
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["record"]["name"] == MARKER
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    again = cli("export --subject-access {rec} --out {out}", rec=rec, out=out)
    assert again.exit_code == 2
    assert f"error: {out}: already exists; not replaced" in again.output
    assert json.loads(out.read_text(encoding="utf-8")) == data


def test_export_needs_the_kind_of_export(rec: Path) -> None:
    result = cli("export {rec}", rec=rec)
    assert result.exit_code == 2
    assert "choose an export: --subject-access FILE or --format sqlite FOLDER" in result.output


# --- ecf anonymise -----------------------------------------------------------------------------


def test_anonymise_keeps_the_career_and_nothing_personal(rec: Path) -> None:
    ok(cli("leave {f} --date 2026-10-31 --reason 'ill-health retirement'", f=rec))
    before = read_record(rec)
    status_before = json.loads(ok(cli("status {f} --json --as-of 2026-06-01", f=rec)))
    out = ok(cli("anonymise {f} --reason 'retention period ended'", f=rec))
    after = read_record(rec)
    assert re.fullmatch(r"anon-[0-9a-f]{16}", after.id)
    assert out == f"{after.id}: personal data removed from {rec}; career facts kept\n"
    text = rec.read_text(encoding="utf-8")
    for secret in (MARKER, "Qx7MARKER", "SW123456", "Obs Ervera", "ill-health", "sickness"):
        assert secret not in text, secret
    assert 'id = "r1"' not in text
    assert after.name == ANONYMISED
    assert after.swe is None
    assert after.council == "E09"
    assert after.extra == {}
    assert after.left == Leaving(D(2026, 10, 31), ANONYMISED)
    assert after.enrolments == before.enrolments
    assert after.milestones == before.milestones
    assert after.hours == before.hours
    assert [(a.first, a.last) for a in after.absences] == [
        (a.first, a.last) for a in before.absences
    ]
    assert [a.kind for a in after.absences] == ["other"]
    assert [(e.id, e.kind, e.date, e.standards) for e in after.evidence] == [
        (e.id, e.kind, e.date, e.standards) for e in before.evidence
    ]
    assert all(e.by is None and e.note is None and e.attachment is None for e in after.evidence)
    assert [(h.at, h.action) for h in after.history[:-1]] == [
        (h.at, h.action) for h in before.history
    ]
    assert all(h.by == ANONYMISED and h.detail == "" for h in after.history[:-1])
    last = after.history[-1]
    assert (last.by, last.action) == ("tester", "anonymise")
    assert last.detail == "personal data removed: retention period ended"
    assert check_record(after, REGISTRY, TODAY) == []
    assert verify(after) == []
    assert ok(cli("verify {f}", f=rec)).startswith(f"{rec}: intact")
    status_after = json.loads(ok(cli("status {f} --json --as-of 2026-06-01", f=rec)))
    assert status_after == status_before | {"id": after.id}


def test_anonymise_strips_decisions_and_keeps_their_outcomes(rec: Path) -> None:
    passed = passed_copy(rec)
    before = read_record(passed)
    ok(cli("anonymise {f} --reason retention", f=passed))
    after = read_record(passed)
    assert [(d.stage, d.outcome, d.date) for d in after.decisions] == [
        (d.stage, d.outcome, d.date) for d in before.decisions
    ]
    assert [d.by for d in after.decisions] == [ANONYMISED]
    assert DECIDER not in passed.read_text(encoding="utf-8")
    assert verify(after) == []
    ok(cli("advance {f} --stage ecf-2 --start 2026-10-01", f=passed))  # the record still works


def test_anonymise_drops_the_comments_people_wrote(rec: Path) -> None:
    text = rec.read_text(encoding="utf-8")
    comment = "# Zed Qx7MARKER moved from the north team after a long illness.\n"
    rec.write_text(text.replace("[[enrolments]]", comment + "[[enrolments]]", 1), encoding="utf-8")
    assert ok(cli("validate {f}", f=rec))
    data = json.loads(ok(cli("export --subject-access {f}", f=rec)))
    assert comment.strip() in data["file"]  # held, so a subject access export shows it
    ok(cli("anonymise {f} --reason retention", f=rec))
    after = rec.read_text(encoding="utf-8")
    assert "Qx7MARKER" not in after
    assert "illness" not in after
    assert after.startswith("# ecf record file: one practitioner.")
    assert verify(read_record(rec)) == []


def test_anonymise_twice_keeps_the_random_id(rec: Path) -> None:
    ok(cli("anonymise {f} --reason retention", f=rec))
    first = read_record(rec).id
    ok(cli("anonymise {f} --reason 'again, after a late note'", f=rec))
    assert read_record(rec).id == first
    assert [h.action for h in read_record(rec).history][-2:] == ["anonymise", "anonymise"]


def test_anonymise_needs_a_reason_and_changes_nothing_without(rec: Path) -> None:
    before = rec.read_bytes()
    argvs: list[list[str | Path]] = [["anonymise", rec], ["anonymise", rec, "--reason", "  "]]
    for argv in argvs:
        result = run(*argv)
        assert result.exit_code == 2
        assert rec.read_bytes() == before


def test_anonymise_goes_through_the_validated_edit_path(rec: Path) -> None:
    broken = broken_copy(rec, "2025-10-08", "2099-10-08", "future.toml")
    before = broken.read_bytes()
    result = cli("anonymise {f} --reason retention", f=broken)
    assert result.exit_code == 2
    assert "is in the future" in result.output
    assert broken.read_bytes() == before


def test_anonymise_never_hides_an_edit_made_by_hand(rec: Path) -> None:
    passed = passed_copy(rec)
    text = passed.read_text(encoding="utf-8")
    passed.write_text(text.replace("seemed tired", "was fine"), encoding="utf-8")
    tampered = read_record(passed)
    problems = verify(tampered)
    assert problems
    entry = HistoryEntry(dt.datetime(2026, 11, 1, tzinfo=dt.UTC), "tester", "anonymise", "why")
    after = anonymise(tampered, entry, [FRAMEWORK])
    found = verify(after)
    # The item the hand edit changed is still reported; the content seal the edit broke is now
    # reported at the anonymise entry, which found the record changed by hand.
    assert [p.message for p in found if p.message.startswith("records ")] == [
        p.message for p in problems if p.message.startswith("records ")
    ]
    assert any(p.path == f"history[{len(after.history) - 1}].hand_edited" for p in found)
    clean = anonymise(read_record(rec), entry, [FRAMEWORK])
    assert verify(clean) == []


def test_anonymise_keeps_the_pause_a_special_absence_made() -> None:
    rec = make_record()
    entry = HistoryEntry(dt.datetime(2026, 11, 1, tzinfo=dt.UTC), "tester", "anonymise", "why")
    after = anonymise(rec, entry, [FRAMEWORK])
    assert [a.kind for a in after.absences] == ["other", "annual-leave"]
    before_tl = context_for(rec, REGISTRY, FINAL).timeline
    after_tl = context_for(after, REGISTRY, FINAL).timeline
    assert after_tl == before_tl
    assert before_tl.pauses  # the sickness absence paused the clock
    assert check_record(after, REGISTRY, TODAY) == []


def test_a_special_kind_becomes_one_that_pauses_alike() -> None:
    assert privacy.neutral_absence_kind("sickness", [FRAMEWORK]) == "other"
    assert privacy.neutral_absence_kind("parental", [FRAMEWORK]) == "other"
    assert privacy.neutral_absence_kind("training", [FRAMEWORK]) == "training"
    kinds = tuple(
        attrs.evolve(k, pauses=False) if k.id in {"sickness", "annual-leave"} else k
        for k in FRAMEWORK.absence_kinds
        if k.id != "other"
    )
    odd = attrs.evolve(FRAMEWORK, absence_kinds=kinds)
    assert privacy.neutral_absence_kind("sickness", [odd]) == "annual-leave"
    assert privacy.neutral_absence_kind("parental", [odd]) == "bereavement"


# --- the minimal view --------------------------------------------------------------------------


def make_record(**fields: Any) -> Record:
    values: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": "r1",
        "name": MARKER,
        "qualified": D(2025, 6, 1),
        "service": "children",
        "swe": "SW123456",
        "enrolments": (Enrolment("asye", START, "baseline-2026"),),
        "absences": (
            Absence("sickness", D(2025, 10, 1), D(2025, 11, 15)),
            Absence("annual-leave", D(2025, 12, 22), D(2025, 12, 31)),
        ),
        "evidence": (
            Evidence(
                "ev-001",
                "direct-observation",
                D(2025, 10, 1),
                ("kss-cf:1",),
                "Obs Ervera",
                Attachment("notes/zed.pdf", "0" * 64),
                "a note",
            ),
            Evidence("ev-002", "direct-observation", D(2025, 11, 20), (), "Obs Two"),
        ),
        "decisions": (
            Decision(
                "asye",
                "extended",
                D(2026, 1, 10),
                DECIDER,
                "Panel A",
                D(2026, 12, 1),
                reason="absence",
            ),
        ),
        "history": (
            HistoryEntry(dt.datetime(2025, 9, 1, 9, tzinfo=dt.UTC), "Hr Person", "new", "start"),
        ),
        "left": Leaving(D(2026, 10, 31), "ill-health retirement"),
        "extra": {"team": "north", "caseload": [{"date": D(2025, 10, 1), "cases": 3}]},
    }
    values.update(fields)
    return Record(**values)


def test_a_view_without_declarations_holds_the_career_facts_only() -> None:
    rec = make_record()
    seen = view(rec, (), [FRAMEWORK])
    assert (seen.id, seen.name, seen.swe) == ("", "", None)
    assert all(e.by is None and e.note is None and e.attachment is None for e in seen.evidence)
    assert [d.by for d in seen.decisions] == [""]
    assert [h.by for h in seen.history] == [""]
    assert [h.detail for h in seen.history] == [""]
    assert seen.left == Leaving(D(2026, 10, 31), "")
    assert seen.extra == {}
    assert [a.kind for a in seen.absences] == ["other", "annual-leave"]
    # the career facts are all there
    assert seen.enrolments == rec.enrolments
    assert [(e.id, e.kind, e.date, e.standards) for e in seen.evidence] == [
        (e.id, e.kind, e.date, e.standards) for e in rec.evidence
    ]
    assert [(d.stage, d.outcome, d.date, d.until) for d in seen.decisions] == [
        (d.stage, d.outcome, d.date, d.until) for d in rec.decisions
    ]
    assert [d.panel for d in seen.decisions] == [None]  # free text: often names people
    assert [(h.at, h.action) for h in seen.history] == [(h.at, h.action) for h in rec.history]
    assert MARKER not in repr(seen)
    assert DECIDER not in repr(seen)


def test_a_view_holds_what_is_declared_and_nothing_more() -> None:
    rec = make_record()
    seen = view(rec, {"name", "evidence.by", "extra.caseload"}, [FRAMEWORK])
    assert seen.name == MARKER
    assert [e.by for e in seen.evidence] == ["Obs Ervera", "Obs Two"]
    assert [e.note for e in seen.evidence] == [None, None]
    assert seen.extra == {"caseload": rec.extra["caseload"]}
    assert seen.extra["caseload"] is not rec.extra["caseload"]  # a copy
    assert seen.swe is None
    everything = view(rec, {"evidence", "absences", "extra", "left", "id", "swe"}, [FRAMEWORK])
    assert everything.evidence == rec.evidence
    assert everything.absences == rec.absences
    assert everything.extra == rec.extra
    assert everything.left == rec.left
    assert (everything.id, everything.swe, everything.name) == ("r1", "SW123456", "")


@pytest.mark.parametrize(
    ("declared", "problem"),
    [
        ("name", "ECF_FIELDS must be a set of field paths, not a str"),
        ({"nmae"}, "ECF_FIELDS: unknown field 'nmae'"),
        ({"extra."}, "ECF_FIELDS: unknown field 'extra.'"),
        ({1}, "ECF_FIELDS: unknown field 1"),
        (42, "ECF_FIELDS must be a set of field paths, not a int"),
    ],
)
def test_a_bad_declaration_is_named(declared: object, problem: str) -> None:
    assert problem in check_fields(declared)[1]


def test_good_declarations_pass() -> None:
    assert check_fields(None) == (frozenset(), [])
    assert check_fields({"name", "extra.team"}) == (frozenset({"name", "extra.team"}), [])


@pytest.fixture
def make_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str, str], importlib.metadata.EntryPoint]]:
    folder = tmp_path / "plugins"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.delenv("ECF_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    modules: list[str] = []

    def make(name: str, source: str) -> importlib.metadata.EntryPoint:
        module = f"ecf_privacy_test_plugin_{next(_names)}"
        (folder / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        modules.append(module)
        return importlib.metadata.EntryPoint(name=name, value=module, group="ecf")

    yield make
    for module in modules:
        sys.modules.pop(module, None)


PEEK = """\
    from ecf import hookimpl
    from ecf.rules import Finding
    {declaration}

    @hookimpl
    def ecf_assess(context):
        r = context.record
        seen = [r.id, r.name, r.swe, [e.note for e in r.evidence], [e.by for e in r.evidence],
                [d.by for d in r.decisions], sorted(r.extra), r.left.reason]
        return [Finding("peek", "", "", "met", repr(seen))]
"""


def peek(
    make_plugin: Callable[[str, str], importlib.metadata.EntryPoint], declaration: str = ""
) -> str:
    plugins = get_plugins(entry_points=[make_plugin("peek", PEEK.format(declaration=declaration))])
    cfg = Council(code="E09", name="test", plugins=("baseline", "peek"))
    result = assess(make_record(), REGISTRY, FINAL, council=cfg, plugins=plugins)
    [finding] = [f for f in result.findings if f.assessor == "peek"]
    return finding.message


def test_an_assessor_cannot_read_a_field_it_does_not_declare(
    make_plugin: Callable[[str, str], importlib.metadata.EntryPoint],
) -> None:
    seen = peek(make_plugin)
    assert seen == repr(["", "", None, [None, None], [None, None], [""], [], ""])
    assert MARKER not in seen


def test_an_assessor_reads_what_it_declares(
    make_plugin: Callable[[str, str], importlib.metadata.EntryPoint],
) -> None:
    declaration = 'ECF_FIELDS = {"name", "evidence.note", "decisions.by", "extra.team"}'
    seen = peek(make_plugin, declaration)
    assert seen == repr(["", MARKER, None, ["a note", None], [None, None], [DECIDER], ["team"], ""])


def test_a_bad_declaration_is_an_error_finding_and_the_plugin_does_not_run(
    make_plugin: Callable[[str, str], importlib.metadata.EntryPoint],
) -> None:
    plugins = get_plugins(
        entry_points=[make_plugin("peek", PEEK.format(declaration='ECF_FIELDS = {"nmae"}'))]
    )
    cfg = Council(code="E09", name="test", plugins=("baseline", "peek"))
    result = assess(make_record(), REGISTRY, FINAL, council=cfg, plugins=plugins)
    [finding] = [f for f in result.findings if f.assessor == "peek"]
    assert finding.status == "error"
    assert finding.rule == "peek:ECF_FIELDS"
    assert "unknown field 'nmae'" in finding.message
    assert [f for f in result.findings if f.assessor == "baseline"]


KIND = """\
    from typing import ClassVar
    import attrs
    from pathlib import Path
    from ecf import hookimpl
    from ecf.rules import Finding

    @attrs.frozen
    class Peek:
        kind: ClassVar[str] = "peek"
        {declaration}
        id: str
        title: str = ""
        stages: tuple[str, ...] = ()
        services: tuple[str, ...] = ()
        standards: tuple[str, ...] = ()

        def evaluate(self, ctx, results):
            r = ctx.record
            seen = [r.name, [e.by for e in r.evidence], sorted(r.extra)]
            return Finding(self.id, "", "", "met", repr(seen))

    @hookimpl
    def ecf_rule_kinds():
        return {{"peek": Peek}}

    @hookimpl
    def ecf_rule_files(settings):
        return [Path(__file__).with_suffix(".toml")]
"""

PEEK_RULE = """\
version = "peek-1"
framework = "baseline-2026"

[[rules]]
id = "peek"
kind = "peek"
"""

AUTHORS_RULE = """
[[rules]]
id = "authors"
kind = "distinct-authors"
evidence = ["direct-observation"]
min = 2
"""


def rule_findings(
    make_plugin: Callable[[str, str], importlib.metadata.EntryPoint],
    tmp_path: Path,
    declaration: str = "",
    rules: str = PEEK_RULE,
) -> dict[str, str]:
    ep = make_plugin("peek", KIND.format(declaration=declaration))
    (tmp_path / "plugins" / f"{ep.value}.toml").write_text(rules, encoding="utf-8")
    plugins = get_plugins(entry_points=[ep])
    cfg = Council(code="E09", name="test", plugins=("peek",))
    result = assess(make_record(), REGISTRY, FINAL, council=cfg, plugins=plugins)
    return {f.rule: f"{f.status}: {f.message}" for f in result.findings}


def test_a_rule_kind_that_declares_nothing_sees_the_career_facts_only(
    make_plugin: Callable[[str, str], importlib.metadata.EntryPoint], tmp_path: Path
) -> None:
    found = rule_findings(make_plugin, tmp_path)
    assert found["peek"] == "met: " + repr(["", [None, None], []])


def test_a_rule_kind_declares_what_it_reads(
    make_plugin: Callable[[str, str], importlib.metadata.EntryPoint], tmp_path: Path
) -> None:
    declaration = 'ECF_FIELDS: ClassVar[frozenset[str]] = frozenset({"extra.caseload"})'
    found = rule_findings(make_plugin, tmp_path, declaration)
    assert found["peek"] == "met: " + repr(["", [None, None], ["caseload"]])


def test_a_rule_file_gets_the_authors_for_a_distinct_authors_rule(
    make_plugin: Callable[[str, str], importlib.metadata.EntryPoint], tmp_path: Path
) -> None:
    found = rule_findings(make_plugin, tmp_path, rules=PEEK_RULE + AUTHORS_RULE)
    assert found["authors"].startswith("met: direct observations by 2 of 2 different people")
    # the view is the file's: its other rules see the authors too, never the name
    assert found["peek"] == "met: " + repr(["", ["Obs Ervera", "Obs Two"], []])


def test_a_bad_rule_kind_declaration_is_an_error_finding(
    make_plugin: Callable[[str, str], importlib.metadata.EntryPoint], tmp_path: Path
) -> None:
    declaration = 'ECF_FIELDS: ClassVar[frozenset[str]] = frozenset({"evidence.author"})'
    found = rule_findings(make_plugin, tmp_path, declaration)
    assert found == {
        "peek:rules": "error: assessor 'peek' failed in rules: rule 'peek': ECF_FIELDS: "
        "unknown field 'evidence.author'; its findings are missing"
    }


def test_rules_that_read_no_author_do_not_see_authors() -> None:
    rules = load_rules(ecf.plugins.baseline.RULES / "baseline-2026.toml", FRAMEWORK)
    # Only the expert stage's CPD rule reads authors: a peer reflection names who it was with.
    assert rule_fields(rules) == (frozenset({"evidence.by"}), [])
    readers = [r.id for r in rules.rules if getattr(r, "ECF_FIELDS", frozenset())]
    assert readers == ["cpd-records"]
    rules = attrs.evolve(rules, rules=tuple(r for r in rules.rules if r.id != "cpd-records"))
    assert rule_fields(rules) == (frozenset(), [])
    count = next(r for r in rules.rules if r.kind == "count")
    assert not count.ECF_FIELDS
    by_one = attrs.evolve(count, author="Obs Two")
    assert rule_fields(attrs.evolve(rules, rules=(by_one,))) == (frozenset({"evidence.by"}), [])


def test_the_baseline_finds_the_same_on_its_view_as_on_the_whole_record() -> None:
    rec = make_record(left=None)
    rules = load_rules(ecf.plugins.baseline.RULES / "baseline-2026.toml", FRAMEWORK)
    whole = evaluate(rules, context_for(rec, REGISTRY, FINAL), "baseline")
    result = assess(rec, REGISTRY, FINAL, plugins=get_plugins(entry_points=[]))
    assert tuple(f for f in result.findings if f.rule != "completion-deadline") == whole


def test_the_shipped_plugins_declare_what_they_read(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not ecf.plugins.baseline.ECF_FIELDS
    assert isinstance(ecf.plugins.baseline.ECF_FIELDS, frozenset)
    plugins_dir = Path(__file__).resolve().parent.parent / "plugins"
    monkeypatch.syspath_prepend(str(plugins_dir / "ecf-caseload" / "src"))
    monkeypatch.syspath_prepend(str(plugins_dir / "ecf-council-stricter" / "src"))
    caseload = importlib.import_module("ecf_caseload")
    stricter = importlib.import_module("ecf_council_stricter")
    declared = {caseload.ECF_FIELDS, caseload.CaseloadRampRule.ECF_FIELDS}
    assert declared == {frozenset({"extra.caseload"})}
    assert isinstance(stricter.ECF_FIELDS, frozenset)
    assert not stricter.ECF_FIELDS
    for module in (ecf.plugins.baseline, caseload, stricter):
        assert check_fields(module.ECF_FIELDS)[1] == []
    strict = load_rules(stricter.RULES, FRAMEWORK)
    assert rule_fields(strict) == (frozenset({"evidence.by"}), [])
