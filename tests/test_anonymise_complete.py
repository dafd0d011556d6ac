"""Anonymise and subject access, complete (issue 11, item 6).

An anonymised record leaves no trace of the person in its folder or the record cache: not in
the record (free text such as a decision's panel included), not in a file name, a lock file, a
backup or a cached copy; a tombstone keeps ``ecf import`` from creating the person again; a link
is refused; ``ecf export --subject-access FOLDER --id ID`` finds every record and backup.

To see them fail: leave the backups in :func:`ecf.anonymisation.anonymise_file` (drop the
``removed.extend(...)`` line), or skip the tombstone check in :func:`ecf.hr_import.plan_import`
(``include_anonymised=True`` as its default), and run this file.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ecf import tombstones
from ecf.cache import RecordCache
from ecf.cli import main
from ecf.fields import FIELDS
from ecf.history import verify
from ecf.store import lock_path, read_record

FIXTURES = Path(__file__).parent / "fixtures"
FIRST, LAST = "Zebedee", "Quillfeather"
PERSON = f"{FIRST} {LAST}"
OLD_ID = "zq-0001"
SWE = "SW140004"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ECF_USER", "tester")
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "cache"))


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A records folder with the person's record, named after them, migrated and cached."""
    records = tmp_path / "records"
    records.mkdir()
    text = (FIXTURES / "schema-2.toml").read_text(encoding="utf-8")
    text = text.replace('id = "ph-0004"', f'id = "{OLD_ID}"').replace("Tom Whitfield", PERSON)
    file = records / f"{FIRST.lower()}-{LAST.lower()}.toml"
    file.write_text(text, encoding="utf-8")
    ok(run("migrate", file))  # keeps a backup: a whole copy with the personal data
    ok(
        run(
            "decide",
            file,
            "--outcome",
            "pass",
            "--date",
            "2026-10-01",
            "--by",
            "R. Singh",
            "--panel",
            f"{FIRST}'s panel, chaired by J. Smith",
        )
    )
    other = records / "other.toml"
    other.write_text(
        text.replace(f'id = "{OLD_ID}"', 'id = "ot-1"')
        .replace(PERSON, "Other Person")
        .replace(SWE, "SW999999"),
        encoding="utf-8",
    )
    ok(run("cohort", records))  # fills the record cache
    return records


def person_file(folder: Path) -> Path:
    return folder / f"{FIRST.lower()}-{LAST.lower()}.toml"


def traces(where: Path) -> list[str]:
    """Every file under ``where`` whose name or bytes hold the person's name, id or number."""
    marks = [FIRST.casefold(), LAST.casefold(), OLD_ID, SWE.casefold()]
    found = []
    for root, _, files in os.walk(where):
        for name in files:
            path = Path(root) / name
            data = path.read_bytes().decode("utf-8", "replace").casefold()
            if any(m in name.casefold() or m in data for m in marks):
                found.append(str(path.relative_to(where)))
    return found


def test_the_folder_and_the_cache_hold_the_person_before(folder: Path, tmp_path: Path) -> None:
    assert traces(folder)
    assert traces(tmp_path / "cache")


def test_an_anonymised_record_leaves_no_trace_in_the_folder_or_the_cache(
    folder: Path, tmp_path: Path
) -> None:
    out = ok(run("anonymise", person_file(folder), "--reason", "retention period over"))
    assert "renamed to" in out
    assert not person_file(folder).exists()
    assert traces(folder) == [], "only the other person's file and the tombstone remain"
    assert traces(tmp_path / "cache") == []
    (anonymised,) = folder.glob("anon-*.toml")
    record = read_record(anonymised)
    assert record.decisions[-1].panel is None  # free text: cleared
    assert verify(record) == []
    assert read_record(folder / "other.toml").name == "Other Person"  # nothing else touched
    ok(run("cohort", folder))


def test_a_file_not_named_after_the_person_keeps_its_name(folder: Path) -> None:
    neutral = folder / "r.toml"
    person_file(folder).rename(neutral)
    ok(run("anonymise", neutral, "--reason", "retention"))
    assert read_record(neutral).id.startswith("anon-")


def test_lock_files_never_name_the_person(folder: Path) -> None:
    assert FIRST.casefold() not in lock_path(person_file(folder)).name.casefold()
    names = [p.name.casefold() for p in folder.iterdir() if p.name.endswith(".lock")]
    assert names
    assert not [n for n in names if FIRST.casefold() in n]


def test_anonymise_through_a_symlink_is_refused_and_changes_nothing(folder: Path) -> None:
    target = person_file(folder)
    before = target.read_bytes()
    link = folder.parent / "link.toml"
    link.symlink_to(target)
    result = run("anonymise", link, "--reason", "retention")
    assert result.exit_code == 2
    assert "symbolic link" in result.output
    assert target.read_bytes() == before
    assert not (folder / tombstones.TOMBSTONE).exists()


def test_anonymise_of_a_file_with_another_hard_link_is_refused(folder: Path) -> None:
    target = person_file(folder)
    before = target.read_bytes()
    os.link(target, folder.parent / "copy.toml")
    result = run("anonymise", target, "--reason", "retention")
    assert result.exit_code == 2
    assert "hard links" in result.output
    assert target.read_bytes() == before


def write_hr(path: Path) -> Path:
    path.write_text(
        "id,name,qualified,stage,start,service,swe\n"
        f"{OLD_ID},{PERSON},2024-07-01,asye,2024-09-02,children,{SWE}\n"
        "nw-1,New Person,2025-07-01,asye,2025-09-01,children,\n",
        encoding="utf-8",
    )
    return path


def test_an_hr_import_does_not_recreate_an_anonymised_person(folder: Path, tmp_path: Path) -> None:
    ok(run("anonymise", person_file(folder), "--reason", "retention"))
    hr = write_hr(tmp_path / "hr.csv")
    result = run("import", hr, "--into", folder, "--apply")
    assert result.exit_code == 0, result.output
    assert "row 2: a person anonymised in this folder" in result.output
    assert PERSON not in result.output
    assert not (folder / f"{OLD_ID}.toml").exists()
    assert (folder / "nw-1.toml").exists()
    assert traces(folder) == []
    again = run("import", hr, "--into", folder, "--apply", "--include-anonymised")
    assert again.exit_code == 0, again.output
    assert read_record(folder / f"{OLD_ID}.toml").name == PERSON


def test_the_tombstone_holds_digests_only(folder: Path) -> None:
    ok(run("anonymise", person_file(folder), "--reason", "retention"))
    tomb = folder / tombstones.TOMBSTONE
    assert tomb.stat().st_mode & 0o777 == 0o600
    text = tomb.read_text(encoding="utf-8")
    assert OLD_ID not in text
    assert SWE not in text
    assert tombstones.anonymised(folder, OLD_ID)
    assert tombstones.anonymised(folder, "other-id", SWE)
    assert not tombstones.anonymised(folder, "ot-1")


def test_a_decision_panel_is_personal_free_text() -> None:
    for field in ("decisions.panel", "evidence.note", "agreed.note", "prior.note"):
        assert FIELDS[field] == "personal", field
    assert FIELDS["left.reason"] == "special"


def test_the_cache_forgets_every_version_of_a_record(folder: Path, tmp_path: Path) -> None:
    file = person_file(folder)
    ok(run("add", "hours", file, "--from", "2026-06-01", "--fte", "0.8"))
    ok(run("cohort", folder))  # a second version of the record is cached
    cache = RecordCache(tmp_path / "cache")
    try:
        assert cache.forget(OLD_ID) == 2
        assert cache.forget(OLD_ID) == 0
    finally:
        cache.close()


def test_subject_access_over_a_folder_finds_every_record_and_backup(
    folder: Path, tmp_path: Path
) -> None:
    moved = folder / "sub"
    moved.mkdir()
    shutil.copy(next(folder.glob("*.bak")), moved / "older.toml.schema2.bak")
    out = tmp_path / "sar.json"
    ok(run("export", "--subject-access", folder, "--id", OLD_ID, "--out", out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [r["path"] for r in data["records"]] == [str(person_file(folder))]
    assert sorted(Path(b["path"]).name for b in data["backups"]) == sorted(
        [f"{person_file(folder).name}.schema2.bak", "older.toml.schema2.bak"]
    )
    assert data["records"][0]["record"]["name"] == PERSON
    assert "Other Person" not in out.read_text(encoding="utf-8")
    refused = run("export", "--subject-access", folder)
    assert refused.exit_code == 2
    assert "--id" in refused.output
