"""The tamper-evident history, schema versions and migration, and corrected decisions."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import attrs
import pytest
import tomli
from click.testing import CliRunner, Result

from ecf.cli import main
from ecf.framework import FrameworkRegistry
from ecf.history import verify
from ecf.records import SCHEMA_VERSION, digest
from ecf.status import status
from ecf.store import read_record

FIXTURES = Path(__file__).parent / "fixtures"
REGISTRY = FrameworkRegistry.default()


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_USER", "tester")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def made(tmp_path: Path) -> Path:
    """A record made through the CLI: every entry chained, a decision sealed."""
    file = tmp_path / "r.toml"
    ok(
        run(
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
        )
    )
    ok(run("add", "evidence", file, "--kind", "direct-observation", "--date", "2025-10-01"))
    ok(run("add", "review", file, "review-3m", "--date", "2025-12-01"))
    ok(
        run(
            "decide",
            file,
            "--outcome",
            "deferred",
            "--date",
            "2026-09-01",
            "--by",
            "Pat",
            "--reason",
            "absence",
        )
    )
    ok(run("decide", file, "--outcome", "pass", "--date", "2026-09-20", "--by", "Pat"))
    return file


def edit_text(file: Path, old: str, new: str, count: int = 1) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text, old
    file.write_text(text.replace(old, new, count), encoding="utf-8")


def verify_lines(file: Path) -> tuple[int, list[str]]:
    result = run("verify", file)
    return result.exit_code, [
        line for line in result.output.splitlines() if line.startswith("error:")
    ]


def test_a_record_made_through_the_cli_is_intact(made: Path) -> None:
    record = read_record(made)
    assert record.schema_version == SCHEMA_VERSION == 3
    assert verify(record) == []
    assert record.history[0].prev is None
    for before, after in zip(record.history, record.history[1:], strict=False):
        assert after.prev == digest(before)
    assert record.history[-1].item == digest(record.decisions[-1])
    assert ok(run("verify", made)) == f"{made}: intact (r1, 5 entries)\n"


def test_an_edited_past_entry_breaks_the_chain_at_the_next(made: Path) -> None:
    edit_text(made, 'detail = "ev-001 direct-observation 2025-10-01"', 'detail = "nothing here"')
    code, lines = verify_lines(made)
    assert code == 2
    prev = read_record(made).history[2].prev
    assert lines == [
        (
            f"error: {made}: history[2].prev: the chain breaks here: history[1] was edited, "
            f"or an entry before this one was removed (got '{prev}')"
        )
    ]


def test_a_removed_entry_is_found(made: Path) -> None:
    text = made.read_text(encoding="utf-8")
    start = text.rindex("[[history]]", 0, text.index('action = "add-evidence"'))
    end = text.index("[[history]]", start + 1)
    made.write_text(text[:start] + text[end:], encoding="utf-8")
    code, lines = verify_lines(made)
    assert code == 2
    assert any("history[1].prev: the chain breaks here" in line for line in lines)
    assert any("records evidence the record no longer holds" in line for line in lines) is False


def test_an_edited_decision_is_found(made: Path) -> None:
    edit_text(made, 'outcome = "pass"', 'outcome = "fail"')
    code, lines = verify_lines(made)
    assert code == 2
    assert (
        f"error: {made}: decisions[1]: this decision is not the one the history recorded: "
        "edited or added by hand (got 'asye fail')"
    ) in lines
    assert any("history[4]: records a decision the record no longer holds" in ln for ln in lines)


def test_a_decision_added_by_hand_is_found(made: Path) -> None:
    text = made.read_text(encoding="utf-8")
    extra = '[[decisions]]\nstage = "asye"\noutcome = "fail"\ndate = 2026-09-21\nby = "Someone"\n\n'
    made.write_text(text.replace("[[history]]", extra + "[[history]]", 1), encoding="utf-8")
    code, lines = verify_lines(made)
    assert code == 2
    assert any(
        "decisions[2]: this decision is not the one the history recorded" in ln for ln in lines
    )


def test_edited_evidence_and_milestones_are_found(made: Path) -> None:
    edit_text(made, 'kind = "direct-observation"', 'kind = "written-report"')
    edit_text(made, "date = 2025-12-01", "date = 2025-12-02")
    _, lines = verify_lines(made)
    assert any(
        "history[1]: records evidence the record no longer holds as it was" in ln for ln in lines
    )
    assert any(
        "history[2]: records milestones the record no longer holds as it was" in ln for ln in lines
    )


# --- schema versions and migration -------------------------------------------------------------


def test_every_released_schema_still_loads() -> None:
    for version in range(1, SCHEMA_VERSION + 1):
        file = FIXTURES / f"schema-{version}.toml"
        record = read_record(file)
        assert record.schema_version == version
        assert status(record, REGISTRY, dt.date(2026, 11, 24)).stage == "ecf-2"


def test_a_schema_2_record_migrates_to_3_reads_the_same_and_stays_intact(tmp_path: Path) -> None:
    file = tmp_path / "two.toml"
    shutil.copy(FIXTURES / "schema-2.toml", file)
    before = read_record(file)
    assert verify(before) == []
    assert ok(run("migrate", file)) == f"{file}: schema 2 to 3 (backup two.toml.schema2.bak)\n"
    after = read_record(file)
    assert after.schema_version == 3
    assert verify(after) == []
    assert after.history[:-1] == before.history
    assert (after.history[-1].action, after.history[-1].detail) == ("migrate", "schema 2 to 3")
    as_of = dt.date(2026, 11, 24)
    assert status(after, REGISTRY, as_of) == status(before, REGISTRY, as_of)
    assert attrs.evolve(after, schema_version=2, history=before.history) == before


def test_a_newer_schema_is_refused_clearly(tmp_path: Path) -> None:
    file = tmp_path / "new.toml"
    shutil.copy(FIXTURES / f"schema-{SCHEMA_VERSION}.toml", file)
    edit_text(file, f"schema_version = {SCHEMA_VERSION}", f"schema_version = {SCHEMA_VERSION + 1}")
    result = run("status", file)
    assert result.exit_code == 2
    assert (
        f"error: {file}: schema_version: written by a newer ecf (this one reads schema "
        f"{SCHEMA_VERSION}); upgrade ecf (got {SCHEMA_VERSION + 1})"
    ) in result.output


def test_an_old_schema_is_read_but_not_written_until_migrated(tmp_path: Path) -> None:
    file = tmp_path / "old.toml"
    shutil.copy(FIXTURES / "schema-1.toml", file)
    before = file.read_bytes()
    assert ok(run("status", file)).startswith("ph-0004: ecf-2")
    code, lines = verify_lines(file)
    assert code == 2
    assert lines == [
        (
            f"error: {file}: schema_version: schema 1 keeps no tamper-evident history; "
            "run `ecf migrate` on it (got 1)"
        )
    ]
    refused = run("add", "evidence", file, "--kind", "pdp", "--date", "2026-01-05")
    assert refused.exit_code == 2
    assert f"run `ecf migrate {file}` first (it keeps a backup)" in refused.output
    assert file.read_bytes() == before

    assert ok(run("migrate", file, "--dry-run")).endswith(
        f"would migrate schema 1 to {SCHEMA_VERSION} (backup old.toml.schema1.bak)\n"
    )
    assert file.read_bytes() == before
    assert ok(run("migrate", file)) == (
        f"{file}: schema 1 to {SCHEMA_VERSION} (backup old.toml.schema1.bak)\n"
    )
    assert (tmp_path / "old.toml.schema1.bak").read_bytes() == before
    migrated = read_record(file)
    assert migrated.schema_version == SCHEMA_VERSION
    assert migrated.history[-1].action == "migrate"
    assert verify(migrated) == []
    assert ok(run("migrate", file)) == f"{file}: already schema {SCHEMA_VERSION}\n"
    ok(run("add", "evidence", file, "--kind", "pdp", "--date", "2026-01-05"))
    assert verify(read_record(file)) == []
    # A decision sealed by the migration, edited by hand afterwards, is found.
    edit_text(file, 'outcome = "pass"', 'outcome = "fail"')
    assert any("decisions[0]" in line for line in verify_lines(file)[1])


def test_migrate_never_replaces_a_backup(tmp_path: Path) -> None:
    file = tmp_path / "old.toml"
    shutil.copy(FIXTURES / "schema-1.toml", file)
    (tmp_path / "old.toml.schema1.bak").write_text("an earlier backup", encoding="utf-8")
    before = file.read_bytes()
    result = run("migrate", file)
    assert result.exit_code == 2
    assert "a backup old.toml.schema1.bak exists already; not replaced" in result.output
    assert file.read_bytes() == before


# --- corrections --------------------------------------------------------------------------------


def test_a_decision_is_corrected_only_by_a_new_one_that_names_it(made: Path) -> None:
    refused = run("decide", made, "--outcome", "fail", "--date", "2026-09-21", "--by", "Pat")
    assert refused.exit_code == 2
    assert "--corrects dec-2" in refused.output
    wrong = run(
        "decide",
        made,
        "--outcome",
        "fail",
        "--date",
        "2026-09-21",
        "--by",
        "Pat",
        "--corrects",
        "0",
    )
    assert wrong.exit_code == 2
    assert (
        "only the latest decision in force on 'asye' can be corrected (allowed: dec-2)"
        in wrong.output
    )
    ok(
        run(
            "decide",
            made,
            "--outcome",
            "extended",
            "--reason",
            "absence",
            "--date",
            "2026-09-21",
            "--by",
            "Panel chair",
            "--until",
            "2026-12-01",
            "--corrects",
            "1",
        )
    )
    record = read_record(made)
    assert [d.outcome for d in record.decisions] == ["deferred", "pass", "extended"]
    assert record.decisions[2].corrects == 1
    assert [d.outcome for d in record.decisions_for("asye")] == ["deferred", "extended"]
    assert status(record, REGISTRY, dt.date(2026, 11, 24)).state == "extended"
    assert verify(record) == []
    data = tomli.loads(made.read_text(encoding="utf-8"))
    assert data["decisions"][1]["outcome"] == "pass"  # never overwritten


def test_a_correction_must_name_an_earlier_decision_of_the_same_stage(made: Path) -> None:
    edit_text(made, 'outcome = "pass"', 'outcome = "pass"\ncorrects = 5')
    result = run("validate", made)
    assert result.exit_code == 2
    assert (
        "decisions[1].corrects: must name an earlier decision (its index) (got 5)" in result.output
    )


def test_an_extension_reaches_at_most_ten_years(made: Path) -> None:
    ok(
        run(
            "decide",
            made,
            "--outcome",
            "extended",
            "--reason",
            "absence",
            "--date",
            "2026-09-21",
            "--by",
            "Panel",
            "--until",
            "2026-12-01",
            "--corrects",
            "1",
        )
    )
    before = made.read_bytes()
    result = run(
        "decide",
        made,
        "--outcome",
        "extended",
        "--reason",
        "absence",
        "--date",
        "2026-09-22",
        "--by",
        "Panel",
        "--until",
        "2099-12-31",  # (9999-12-31 is out of every date's range: refused as an option)
    )
    assert result.exit_code == 2
    assert "until: must be within 10 years of the decision (got 2099-12-31)" in result.output
    assert made.read_bytes() == before


def test_verify_digests_each_item_once(made: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ecf verify` is linear in the history: each item's digest is computed once.

    It used to recompute every item's digest at every entry that recorded an item, which took
    about a second at 200 entries.  Counted, not timed: the digests of 40 added items and their
    40 entries stay within a small multiple of the record's size.
    """
    import ecf  # noqa: PLC0415 - the library's edit, as a council's tool adds evidence
    import ecf.history  # noqa: PLC0415

    for n in range(40):
        with ecf.edit(made, by="tester") as editor:
            editor.add_evidence("supervision", dt.date(2025, 10, 1) + dt.timedelta(days=n))
    record = read_record(made)
    assert verify(record) == []
    calls = 0

    def counting(value: object) -> str:
        nonlocal calls
        calls += 1
        return digest(value)

    monkeypatch.setattr(ecf.history, "digest", counting)
    assert verify(record) == []
    size = len(record.history) + len(record.evidence) + len(record.milestones)
    assert calls <= 3 * size, (calls, size)
