"""The SQLite reporting export: its tables, keys and view, the workforce queries of docs/sqlite.md
run against the shipped examples, pseudonymising, and a write that is atomic and never replaces
another file."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

import ecf
from ecf import database, export
from ecf.cli import main
from ecf.testing import records

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
COHORT = EXAMPLES / "cohort"
COUNCIL = EXAMPLES / "councils" / "baseline.toml"
DOC = ROOT / "docs" / "sqlite.md"
AS_OF = "2026-11-24"
KEY = "a-key-of-sixteen-bytes-or-more"
#: The queries of docs/sqlite.md, by the name in their first line (``-- query: NAME``).
QUERIES = dict(
    re.findall(r"```sql\n-- query: ([a-z0-9-]+)\n(.*?)```", DOC.read_text("utf-8"), re.DOTALL)
)
ASSESSORS = ("M. Reid", "J. Patel", "A. Osei")


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ECF_DISABLE_PLUGIN_AUTOLOAD", "1")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def ok(*args: str | Path) -> Result:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


def query(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def cohort_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The shipped cohort, with assessors named on some records, exported with the council."""
    folder = tmp_path_factory.mktemp("cohort") / "cohort"
    shutil.copytree(COHORT, folder)
    files = sorted(folder.rglob("*.toml"))
    for number, file in enumerate(files[::3]):
        with ecf.edit(file, by="test", today=dt.date(2026, 11, 24)) as editor:
            editor.assign("assessor", ASSESSORS[number % 3], editor.record.enrolments[-1].start)
    out = folder.parent / "cohort.db"
    result = CliRunner().invoke(
        main,
        ["export", str(folder), "--format", "sqlite", "--out", str(out), "--as-of", AS_OF,
         "--council", str(COUNCIL)],
        env={"ECF_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"150 records as of {AS_OF} written to {out}: ")
    return folder, out


def cohort_rows(folder: Path) -> dict[str, dict[str, Any]]:
    data = json.loads(
        ok("cohort", folder, "--format", "json", "--as-of", AS_OF, "--council", COUNCIL).output
    )
    return {r["id"]: r for r in data["records"]}


def test_every_table_has_a_key_and_the_foreign_keys_hold(cohort_db: tuple[Path, Path]) -> None:
    _, db = cohort_db
    tables = [r[0] for r in query(db, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert tables == list(database.TABLES)
    for table in tables:
        columns = query(db, f"PRAGMA table_info({table})")
        assert any(c[5] for c in columns), table  # a primary key
        if table not in ("records", "ecf_export"):
            assert query(db, f"PRAGMA foreign_key_list({table})"), table
    assert query(db, "PRAGMA foreign_key_check") == []
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    views = {r[0] for r in query(db, "SELECT name FROM sqlite_master WHERE type = 'view'")}
    assert views == set(database.VIEWS)
    indexes = query(
        db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    )
    assert indexes == [(len(database.INDEXES),)]
    meta = dict(query(db, "SELECT key, value FROM ecf_export"))
    assert meta["format"] == "ecf-export"
    assert meta["as_of"] == AS_OF
    assert meta["pseudonymised"] == "no"
    assert meta["records"] == "150"


def test_the_overview_is_one_row_per_record_and_agrees_with_ecf_cohort(
    cohort_db: tuple[Path, Path],
) -> None:
    folder, db = cohort_db
    expected = cohort_rows(folder)
    rows = query(
        db,
        "SELECT record_id, stage, state, expected_end, next_milestone, next_due, overdue, "
        "assessor, recommendation, support_gaps, team, council FROM record_overview",
    )
    assert len(rows) == len(expected) == 150
    for row in rows:
        want = expected[row[0]]
        assert row[1:] == (
            want["stage"], want["state"], want["expected_end"], want["next_milestone"],
            want["next_due"], want["overdue"], want["assessor"], want["recommendation"],
            want["support_gaps"], want["team"], want["council"],
        ), row[0]  # fmt: skip
    assert any(r[7] for r in rows)  # some records have an assessor


def test_the_long_tables_hold_every_item(cohort_db: tuple[Path, Path]) -> None:
    folder, db = cohort_db
    files = sorted(folder.rglob("*.toml"))
    data = [tomllib.loads(f.read_text("utf-8")) for f in files]
    counts = {
        "evidence": sum(len(d.get("evidence", [])) for d in data),
        "absences": sum(len(d.get("absences", [])) for d in data),
        "working_patterns": sum(len(d.get("hours", [])) for d in data),
        "decisions": sum(len(d.get("decisions", [])) for d in data),
        "enrolments": sum(len(d.get("enrolments", [])) for d in data),
        "assignments": sum(len(d.get("assignments", [])) for d in data),
        "evidence_standards": sum(
            len(set(e.get("standards", []))) for d in data for e in d.get("evidence", [])
        ),
        "records": len(data),
    }
    for table, count in counts.items():
        sql = f"SELECT count(*) FROM {table}"  # noqa: S608 - the table names above
        assert query(db, sql) == [(count,)], table
    # Milestones: every milestone of every stage, with due, agreed and held dates.
    held = sum(len(d.get("milestones", [])) for d in data)
    assert query(db, "SELECT count(*) FROM milestones WHERE held IS NOT NULL") == [(held,)]
    assert query(
        db, "SELECT count(*) FROM milestones WHERE due IS NULL AND months IS NOT NULL"
    ) == [(0,)]


def test_the_workforce_queries_answer_as_the_library_does(cohort_db: tuple[Path, Path]) -> None:
    folder, db = cohort_db
    assert {"overdue-by-assessor", "support-gaps-by-team", "missed-by-rule"} <= set(QUERIES)
    rows = cohort_rows(folder)
    # Who is overdue, by assessor.
    by_assessor: collections.Counter[str] = collections.Counter()
    people: dict[str, set[str]] = collections.defaultdict(set)
    for r in rows.values():
        if r["overdue"]:
            who = r["assessor"] or "(no assessor)"
            by_assessor[who] += r["overdue"]
            people[who].add(r["id"])
    got = query(db, QUERIES["overdue-by-assessor"])
    assert {a: (n, m) for a, n, m, _ in got} == {
        a: (len(people[a]), m) for a, m in by_assessor.items()
    }
    assert {a for a, *_ in got} & set(ASSESSORS)  # the named assessors have overdue work
    listed = query(db, QUERIES["overdue-list"])
    assert len(listed) == sum(by_assessor.values())
    # Support gaps by team.
    by_team: collections.Counter[str] = collections.Counter()
    for r in rows.values():
        by_team[r["team"] or "(no team)"] += r["support_gaps"]
    got = query(db, QUERIES["support-gaps-by-team"])
    assert {t: n for t, _, n in got} == {t: n for t, n in by_team.items() if n}
    # Findings missed, by rule: as `ecf assess` finds them.
    missed: collections.Counter[str] = collections.Counter()
    for file in sorted(folder.rglob("*.toml")):
        found = json.loads(
            ok("assess", file, "--json", "--as-of", AS_OF, "--council", COUNCIL).output
        )
        for f in found["findings"]:
            if f["status"] == "missed" and f["category"] == "practitioner":
                missed[f["rule"]] += 1
    assert dict(query(db, QUERIES["missed-by-rule"])) == dict(missed)
    assert missed  # the examples do miss rules
    # Every query of the guide runs.
    for name, sql in QUERIES.items():
        assert isinstance(query(db, sql), list), name


def test_the_queries_run_on_the_shipped_examples_as_they_are(tmp_path: Path) -> None:
    out = tmp_path / "cohort.db"
    ok("export", COHORT, "--format", "sqlite", "--out", out, "--as-of", AS_OF, "--council", COUNCIL)
    for name, sql in QUERIES.items():
        assert query(out, sql), name  # each answers something on the shipped cohort


def names_in(folder: Path) -> set[str]:
    found: set[str] = set()
    for file in folder.rglob("*.toml"):
        data = tomllib.loads(file.read_text("utf-8"))
        found.add(data["name"])
        found.update(e["note"] for e in data.get("evidence", []) if "note" in e)
        found.update(e["by"] for e in data.get("evidence", []) if "by" in e)
        if "swe" in data:
            found.add(data["swe"])
    return found


def every_text(db: Path) -> set[str]:
    out: set[str] = set()
    for (table,) in query(db, "SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in query(db, f"SELECT * FROM {table}"):  # noqa: S608 - names from sqlite_master
            out.update(v for v in row if isinstance(v, str))
    return out


def test_no_name_note_or_registration_number_is_exported(cohort_db: tuple[Path, Path]) -> None:
    folder, db = cohort_db
    # The assessors named are colleagues the database keeps on purpose (unless pseudonymised).
    private = names_in(folder) - set(ASSESSORS)
    assert private
    assert not private & every_text(db)


def test_pseudonymised(cohort_db: tuple[Path, Path], tmp_path: Path) -> None:
    folder, _ = cohort_db
    key_file = tmp_path / "key.txt"
    key_file.write_text(KEY)
    out = tmp_path / "p.db"
    shown = ok(
        "export", folder, "--format", "sqlite", "--out", out, "--pseudonymise",
        "--key-file", key_file, "--as-of", AS_OF,
    ).output  # fmt: skip
    assert "(pseudonymised)" in shown
    ids = {tomllib.loads(f.read_text("utf-8"))["id"] for f in folder.rglob("*.toml")}
    texts = every_text(out)
    assert not ids & texts
    assert {r[0] for r in query(out, "SELECT record_id FROM records")} == {
        export.pseudonym(KEY.encode(), i) for i in ids
    }
    assert not set(ASSESSORS) & texts
    assert not names_in(folder) & texts
    assert query(out, "SELECT count(*) FROM absences WHERE kind = 'sickness'") == [(0,)]
    assert query(out, "SELECT count(*) FROM records WHERE left_reason IS NOT NULL") == [(0,)]
    assert dict(query(out, "SELECT key, value FROM ecf_export"))["pseudonymised"] == "yes"
    # The same pauses: a neutral kind has the same effect on due dates.
    plain = tmp_path / "plain.db"
    ok("export", folder, "--format", "sqlite", "--out", plain, "--as-of", AS_OF)
    sql = "SELECT sum(days), sum(kind_pauses) FROM absences"
    assert query(out, sql) == query(plain, sql)
    sql = "SELECT due FROM milestones ORDER BY due"
    assert query(out, sql) == query(plain, sql)


def test_it_refuses_to_replace_a_file_that_is_not_its_database(tmp_path: Path) -> None:
    for content in (b"a spreadsheet someone needs\n", b""):
        target = tmp_path / "report.db"
        target.write_bytes(content)
        refused = run("export", EXAMPLES / "records", "--format", "sqlite", "--out", target)
        assert refused.exit_code == 2, refused.output
        assert "exists and is not a database ecf wrote; not replaced" in refused.output
        assert target.read_bytes() == content
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE payroll (x)")
    before = other.read_bytes()
    assert run("export", EXAMPLES / "records", "--format", "sqlite", "--out", other).exit_code == 2
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db", "report.db"]  # no temp file


def test_a_fifo_or_a_folder_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    refused = run("export", EXAMPLES / "records", "--format", "sqlite", "--out", fifo)
    assert refused.exit_code == 2
    assert "pipe.db: is not a regular file; give a file name for the database" in refused.output
    assert fifo.is_fifo()
    folder = tmp_path / "folder.db"
    folder.mkdir()
    assert run("export", EXAMPLES / "records", "--format", "sqlite", "--out", folder).exit_code == 2


def test_it_replaces_its_own_database_whole(tmp_path: Path) -> None:
    out = tmp_path / "cohort.db"
    ok("export", COHORT / "batch-0000", "--format", "sqlite", "--out", out, "--as-of", AS_OF)
    assert query(out, "SELECT count(*) FROM records") == [(100,)]
    ok("export", EXAMPLES / "records", "--format", "sqlite", "--out", out, "--as-of", AS_OF)
    assert query(out, "SELECT count(*) FROM records") == [(6,)]
    assert out.stat().st_mode & 0o077 == 0  # personal data: the owner's only
    assert [p.name for p in tmp_path.iterdir()] == ["cohort.db"]


def test_a_failed_write_leaves_the_old_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "cohort.db"
    ok("export", EXAMPLES / "records", "--format", "sqlite", "--out", out, "--as-of", AS_OF)
    before = out.read_bytes()
    monkeypatch.setattr(
        database, "INDEXES", (*database.INDEXES, "CREATE INDEX broken ON nowhere(x)")
    )
    failed = run("export", EXAMPLES / "records", "--format", "sqlite", "--out", out)
    assert failed.exit_code == 2, failed.output
    assert "cannot write the database: no such table: main.nowhere" in failed.output
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["cohort.db"]


def test_a_bad_record_is_reported_and_the_rest_written(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    shutil.copytree(EXAMPLES / "records", folder)
    (folder / "broken.toml").write_text('schema_version = 3\nid = "x"\nqualified = 2025-13-01\n')
    out = tmp_path / "c.db"
    result = run("export", folder, "--format", "sqlite", "--out", out, "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "broken.toml" in result.stderr
    assert query(out, "SELECT count(*) FROM records") == [(6,)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "sqlite"], "--format sqlite needs --out FILE.db"),
        (["--format", "sqlite", "--subject-access", "--out", "x.db"], "separate exports"),
        ([], "choose an export: --subject-access FILE or --format sqlite FOLDER"),
        (["--subject-access", "--pseudonymise"], "--pseudonymise is for --format sqlite"),
        (["--subject-access"], "a folder: give the person's id with --id"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    result = run("export", EXAMPLES / "records", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_a_record_file_is_not_a_folder(tmp_path: Path) -> None:
    result = run(
        "export", EXAMPLES / "records" / "part-time.toml", "--format", "sqlite", "--out",
        tmp_path / "x.db",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--format sqlite takes a folder of records" in result.output


def test_it_opens_in_datasette(cohort_db: tuple[Path, Path]) -> None:
    app = pytest.importorskip("datasette.app", reason="datasette is not installed (optional)")
    _, db = cohort_db

    async def fetch() -> list[Any]:
        ds = app.Datasette([str(db)], immutables=[])
        pages = []
        for path in (
            "/cohort/record_overview.json?_shape=array&_size=max",
            "/cohort/support_gaps.json?_facet=team&_shape=objects",
            "/cohort/findings.json?status=missed&_facet=rule&_size=0",
        ):
            response = await ds.client.get(path)
            assert response.status_code == 200, path
            pages.append(response.json())
        return pages

    overview, gaps, findings = asyncio.run(fetch())
    assert len(overview) == 150
    assert gaps["facet_results"]["team"]["results"]
    assert findings["facet_results"]["rule"]["results"]


@settings(max_examples=20)
@given(st.lists(records(today=dt.date(2026, 11, 24)), max_size=4, unique_by=lambda r: r.id))
def test_any_valid_records_make_a_consistent_database(recs: list[ecf.Record]) -> None:
    registry = ecf.FrameworkRegistry.default()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "c.db"
        counts = database.write_database(recs, out, registry, dt.date(2026, 11, 24))
        assert query(out, "PRAGMA foreign_key_check") == []
        assert query(out, "SELECT count(*) FROM record_overview") == [(len(recs),)]
        assert counts["enrolments"] == sum(len(r.enrolments) for r in recs)
        assert counts["evidence"] == sum(len(r.evidence) for r in recs)
        assert counts["absences"] == sum(len(r.absences) for r in recs)
        held = query(out, "SELECT count(*) FROM milestones WHERE held IS NOT NULL")[0][0]
        assert held <= sum(len(r.milestones) for r in recs)
        current = query(out, "SELECT count(*) FROM enrolments WHERE current = 1")
        assert current == [(len(recs),)]


def test_a_council_plugin_that_did_not_load_is_warned_once_and_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ECF_DISABLE_PLUGIN_AUTOLOAD")
    monkeypatch.setenv("ECF_LOAD_PLUGINS", "baseline")  # the caseload plugin is not loaded
    out = tmp_path / "c.db"
    council = EXAMPLES / "councils" / "caseload.toml"
    result = run(
        "export", EXAMPLES / "councils" / "records", "--format", "sqlite", "--out", out,
        "--council", council, "--as-of", AS_OF,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr.count("allows plugin 'caseload', which did not load") == 1
    found = query(out, "SELECT rule, status FROM findings WHERE assessor = 'caseload'")
    assert found == [("caseload:not-loaded", "error")]
    assert query(out, "SELECT recommendation FROM status") == [("at-risk",)]


def test_the_plugins_are_found_once_per_process_not_once_per_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every record's findings are exported: the plugins are found once, not for each record.

    Finding them for each record (when no council file names them) was a third of the export's
    time.  Counted in one process (``--workers 1``), without a council file.
    """
    import ecf.assessors  # noqa: PLC0415

    calls = 0
    real = ecf.assessors.get_plugins

    def counting() -> Any:
        nonlocal calls
        calls += 1
        return real()

    monkeypatch.setattr(ecf.assessors, "get_plugins", counting)
    out = tmp_path / "cohort.db"
    ok("export", COHORT, "--format", "sqlite", "--out", out, "--as-of", AS_OF, "--workers", "1")
    exported = query(out, "SELECT count(*) FROM records")[0][0]
    assert exported > 3
    assert calls == 1, (calls, exported)
