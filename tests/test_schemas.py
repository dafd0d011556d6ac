"""Every JSON output carries ``"schema": "NAME/VERSION"`` and validates against that schema.

The schemas are data (``src/ecf/data/schemas/*.json``) listed in :data:`ecf.schemas.SCHEMAS`;
``ecf schema NAME`` prints one.  The outputs are made from every shipped example, as a council's
script would run them, and each is checked with ``jsonschema``; every schema listed is used by
an output here (or, for ``record``, by every shipped record file).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest
import tomli
from click.testing import CliRunner, Result

from ecf import schemas
from ecf.cli import main
from ecf.records import HistoryEntry, Record

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
RECORDS = sorted((EXAMPLES / "records").glob("*.toml"))
COUNCIL = EXAMPLES / "councils" / "baseline.toml"
TUNED = EXAMPLES / "councils" / "tuned.toml"  # overrides single rules: findings carry them
RULES = Path(__file__).resolve().parent.parent / "src" / "ecf" / "data" / "rules"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
AS_OF = ("2025-12-01", "2026-09-01", "2027-06-01")
#: Every tag an output carried in this module's tests: the last test checks all were used.
USED: set[str] = set()


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ECF_DISABLE_PLUGIN_AUTOLOAD", "1")  # only the baseline: same on any machine


def run(*args: str | Path, code: int = 0) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result


def strict(schema: object) -> object:
    """A schema whose objects allow no key they do not list (the shipped ones allow any).

    The shipped schemas let an output gain keys without a new version; the tests hold ecf's
    own outputs to this stricter copy, so every key an output carries is described.
    """
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) if k != "const" else v for k, v in schema.items()}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def errors_of(data: object, schema: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)
    ]


def check(output: str, name: str) -> dict[str, Any]:
    """The output's schema key names ``name`` at its version, and the output validates.

    It validates against the schema as shipped, and against its :func:`strict` copy: every key
    the output carries is described.
    """
    data: dict[str, Any] = json.loads(output)
    assert data["schema"] == schemas.tag(name)
    schema = schemas.load(name)
    errors = errors_of(data, schema) or errors_of(data, strict(schema))
    assert errors == [], errors
    USED.add(data["schema"])
    return data


@pytest.mark.parametrize("name", schemas.names())
def test_each_schema_is_a_valid_json_schema_and_printed_as_shipped(name: str) -> None:
    schema = schemas.load(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"urn:ecf:schema:{schemas.tag(name)}"
    assert json.loads(run("schema", name).output) == schema


def test_every_schema_file_is_listed() -> None:
    shipped = {p.stem for p in (Path(schemas.__file__).parent / "data" / "schemas").glob("*.json")}
    assert shipped == set(schemas.SCHEMAS)


def test_the_schemas_page_lists_every_schema() -> None:
    page = (EXAMPLES.parent / "docs" / "schemas.md").read_text("utf-8")
    listed = {line.split("`")[1] for line in page.splitlines() if line.startswith("| `")}
    assert listed == {schemas.tag(n) for n in schemas.names()}


def test_the_list_and_an_unknown_name() -> None:
    listed = run("schema").output.splitlines()
    assert [line.split()[0] for line in listed] == [schemas.tag(n) for n in schemas.names()]
    unknown = CliRunner().invoke(main, ["schema", "Status"])
    assert unknown.exit_code == 2
    assert "no schema called 'Status' (known: assess, " in unknown.output


@pytest.mark.parametrize("record", RECORDS, ids=lambda p: p.stem)
def test_one_record_outputs_validate(record: Path) -> None:
    for as_of in AS_OF:
        check(run("status", record, "--json", "--as-of", as_of).output, "status")
        shown = check(
            run("status", record, "--json", "--as-of", as_of, "--council", COUNCIL).output,
            "status",
        )
        assert "recommendation" in shown
        check(run("assess", record, "--json", "--as-of", as_of).output, "assess")
        check(
            run("assess", record, "--json", "--as-of", as_of, "--council", COUNCIL).output,
            "assess",
        )
    check(run("timeline", record, "--json").output, "timeline")
    # A council that tunes rules and dates reviews by the calendar: the same shapes.
    tuned = check(
        run("status", record, "--json", "--as-of", AS_OF[1], "--council", TUNED).output, "status"
    )
    assert "recommendation" in tuned
    check(run("timeline", record, "--json", "--council", TUNED).output, "timeline")
    diff = run(
        "assess", record, "--rules", RULES / "baseline-2026.toml", "--diff", "--json",
        "--as-of", AS_OF[1],
    )  # fmt: skip
    check(diff.output, "assess-diff")


@pytest.mark.parametrize(
    ("folder", "dates"),
    [("records", AS_OF), ("cohort/batch-0000", AS_OF[1:2]), ("councils/records", AS_OF)],
)
def test_folder_outputs_validate(folder: str, dates: tuple[str, ...]) -> None:
    path = EXAMPLES / folder
    for as_of in dates:
        data = check(
            run("cohort", path, "--format", "json", "--as-of", as_of, "--council", COUNCIL).output,
            "cohort",
        )
        assert data["records"]
        check(run("cohort", path, "--format", "json", "--as-of", as_of).output, "cohort")
        check(run("workforce", path, "--format", "json", "--as-of", as_of).output, "workforce")
        funding = run("funding", path, "--format", "json", "--as-of", as_of, "--year", "2026-27")
        check(funding.output, "funding")
    cohort_lines_are_its_rows(path, ())


def cohort_lines_are_its_rows(path: Path, options: tuple[str | Path, ...]) -> None:
    """Each line of ``--format jsonl`` validates as the cohort schema's row, and is that row."""
    cohort = schemas.load("cohort")
    row = {**cohort, **cohort["$defs"]["row"]}  # the row, with the $defs its $refs name
    args = ("cohort", path, *options, "--as-of", AS_OF[1])
    lines = [json.loads(line) for line in run(*args, "--format", "jsonl").stdout.splitlines()]
    for line in lines:
        assert errors_of(line, row) == []
        assert errors_of(line, strict(row)) == []
    assert lines == check(run(*args, "--format", "json").stdout, "cohort")["records"]


@pytest.mark.parametrize(
    "options",
    [("--council", COUNCIL), ("--council", TUNED), ("--stage", "asye", "--council", COUNCIL)],
    ids=["baseline", "tuned", "filtered"],
)
def test_cohort_json_lines_validate_as_rows(
    options: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    for folder in ("records", "councils/records"):
        cohort_lines_are_its_rows(EXAMPLES / folder, options)
    monkeypatch.setenv("ECF_PSEUDONYM_KEY", "k" * 32)
    cohort_lines_are_its_rows(EXAMPLES / "records", (*options, "--pseudonymise"))


def test_overrides_and_filters_validate() -> None:
    overrides = []
    for record in RECORDS:
        data = check(
            run("assess", record, "--json", "--as-of", AS_OF[1], "--council", TUNED).output,
            "assess",
        )
        overrides += [f["override"] for f in data["findings"] if f["override"] is not None]
    assert {o["enabled"] for o in overrides} == {True, False}
    data = check(
        run("cohort", EXAMPLES / "records", "--format", "json", "--council", TUNED).output,
        "cohort",
    )
    assert (data["filters"], data["matched"]) == (None, len(data["records"]))
    path = EXAMPLES / "records"
    data = check(run("cohort", path, "--format", "json", "--stage", "ASYE").output, "cohort")
    assert (data["filters"], data["matched"]) == ("stage asye", len(data["records"]))


def test_pseudonymised_outputs_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_PSEUDONYM_KEY", "k" * 32)
    path = EXAMPLES / "records"
    data = check(
        run("cohort", path, "--format", "json", "--pseudonymise", "--council", COUNCIL).output,
        "cohort",
    )
    assert all(r["id"].startswith("p-") and "assessor" not in r for r in data["records"])
    check(run("workforce", path, "--format", "json", "--pseudonymise").output, "workforce")
    check(run("funding", path, "--format", "json", "--pseudonymise").output, "funding")


def test_plugins_output_validates() -> None:
    data = check(run("plugins", "--json").output, "plugins")
    assert [p["name"] for p in data["plugins"] if p["allowed"]] == ["baseline"]
    check(run("plugins", "--json", "--council", COUNCIL).output, "plugins")


def test_frameworks_outputs_validate() -> None:
    listed = check(run("frameworks", "--json").stdout, "frameworks")
    versions = [v["version"] for v in listed["versions"]]
    assert {"baseline-2026", "ecdp-2027"} <= set(versions)
    for version in versions:
        shown = check(
            run("frameworks", "--framework-version", version, "--json").stdout, "framework"
        )
        assert shown["version"]["version"] == version
        both = ("--standards", "--evidence-kinds")
        for options in (both[:1], both[1:], both):
            out = run("frameworks", *options, "--framework-version", version, "--json").stdout
            lists = check(out, "framework-lists")
            assert lists["version"] == version
            assert ("standard_sets" in lists) == ("--standards" in options)
            assert ("absence_kinds" in lists) == ("--evidence-kinds" in options)


def test_validate_verify_rules_check_and_migrate_outputs_validate(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    for record in (*RECORDS, *sorted(FIXTURES.glob("schema-*.toml"))):  # old schemas: migrated
        (folder / record.name).write_bytes(record.read_bytes())
    files = sorted(folder.glob("*.toml"))
    data = check(run("validate", *files, "--json", "--attachments").stdout, "validate")
    assert data["invalid"] == 0
    assert data["files"][0]["id"] is not None
    migrated = check(run("migrate", *files, "--dry-run", "--json").stdout, "migrate")
    assert any(f["needed"] for f in migrated["files"])
    assert not any(f["written"] for f in migrated["files"])
    migrated = check(run("migrate", *files, "--json").stdout, "migrate")
    assert any(f["written"] and f["backup"] for f in migrated["files"])
    data = check(run("verify", *files, "--json").stdout, "verify")
    assert data["failed"] == 0
    # Files that fail: each problem validates too (exit 2, the same object on stdout).
    tampered = files[0]
    text = tampered.read_text("utf-8")  # the first history entry edited: the chain breaks
    tampered.write_text(text.replace('\naction = "', '\naction = "x', 1), "utf-8")
    broken = folder / "broken.toml"
    broken.write_text('schema_version = 3\nid = "ph-9"\nqualified = "2025-13-01"\n', "utf-8")
    data = check(run("validate", broken, *files, "--json", code=2).stdout, "validate")
    assert data["files"][0]["problems"]
    assert data["files"][0]["id"] is None
    data = check(run("verify", tampered, broken, "--json", code=2).stdout, "verify")
    assert all(r["problems"] for r in data["records"])
    rules = sorted(RULES.glob("*.toml"))
    data = check(run("rules", "check", *rules, "--council", TUNED, "--json").stdout, "rules-check")
    assert [f["valid"] for f in data["files"]] == [True] * (len(rules) + 1)
    bad = tmp_path / "bad-rules.toml"
    bad.write_text('framework = "baseline-2026"\n[[rules]]\nid = "x"\n', "utf-8")
    data = check(run("rules", "check", bad, "--json", code=2).stdout, "rules-check")
    assert data["invalid"] == 1


def test_import_plans_validate(tmp_path: Path) -> None:
    hr = EXAMPLES / "hr"
    into = tmp_path / "records"
    into.mkdir()
    mapped = ("--mapping", hr / "council-mapping.toml")
    export = hr / "council-export.csv"
    plan = check(
        run("import", export, "--into", into, *mapped, "--json", code=2).stdout, "import-plan"
    )
    assert plan["problems"]
    assert plan["actions"]
    run("import", export, "--into", into, *mapped, "--apply", "--skip-bad", code=1)  # some bad
    rows = tmp_path / "rows"  # ecf's own columns, and one bad row: each plan exits 2
    rows.mkdir()
    plan = check(
        run("import", hr / "rows.csv", "--into", rows, "--json", code=2).stdout, "import-plan"
    )
    assert plan["counts"]["create"] > 0
    run("import", hr / "rows.csv", "--into", rows, "--apply", "--skip-bad", code=1)
    changed = tmp_path / "changed.csv"
    lines = (hr / "rows.csv").read_text("utf-8").splitlines()
    lines[1] = lines[1].replace("Amira Okafor", "Amira Okafor-Reid").replace(",1,", ",0.6,")
    changed.write_text("\n".join(lines) + "\n", "utf-8")
    again = run("import", changed, "--into", rows, "--json", "--as-of", "2026-11-02", code=2)
    plan = check(again.stdout, "import-plan")
    changes = [c for a in plan["actions"] if a["kind"] == "update" for c in a["changes"]]
    assert {c["personal"] for c in changes} == {True, False}
    assert plan["counts"]["unchanged"] > 0


def test_subject_access_exports_validate(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    for record in RECORDS:
        (folder / record.name).write_bytes(record.read_bytes())
    old = folder / "old" / "legacy-asye.toml"  # an older copy of a record: migrated, backed up
    old.parent.mkdir()
    old.write_bytes((FIXTURES / "schema-2.toml").read_bytes())
    run("migrate", old)
    out = tmp_path / "one.json"
    run("export", "--subject-access", folder / "legacy-asye.toml", "--out", out, "--council", TUNED)
    one = check(out.read_text("utf-8"), "subject-access")
    _check_parts(one)
    record_id = one["record"]["id"]
    out = tmp_path / "folder.json"
    run("export", "--subject-access", folder, "--id", record_id, "--out", out)
    every = check(out.read_text("utf-8"), "subject-access-folder")
    assert {r["record"]["id"] for r in every["records"]} == {record_id}
    assert len(every["records"]) == 2
    for found in every["records"]:
        check(json.dumps({k: v for k, v in found.items() if k != "path"}), "subject-access")
        _check_parts(found)
    assert [b["record"]["id"] for b in every["backups"]] == [record_id]
    for backup in every["backups"]:
        assert errors_of(_as_json(backup["record"]), strict(schemas.load("record"))) == []


def _check_parts(export: dict[str, Any]) -> None:
    """The parts of a subject access export are the outputs they say they are."""
    parts = (("status", "status"), ("assessment", "assess"))
    for key, name in parts:
        check(json.dumps({"schema": schemas.tag(name), **export[key]}), name)
    events = {"schema": schemas.tag("timeline"), "id": export["record"]["id"]}
    check(json.dumps({**events, "events": export["timeline"]}), "timeline")
    record = _as_json(export["record"])
    assert errors_of(record, strict(schemas.load("record"))) == []


def _as_json(value: object) -> object:
    """A parsed TOML value as JSON sees it: dates and times as ISO strings."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


#: The example folders whose TOML files are not records: council settings, HR mapping files.
NOT_RECORDS = (EXAMPLES / "councils", EXAMPLES / "hr")


def every_record_file() -> list[Path]:
    return sorted(p for p in EXAMPLES.rglob("*.toml") if p.parent not in NOT_RECORDS)


def test_every_shipped_record_file_validates_against_the_record_schema() -> None:
    validator = jsonschema.Draft202012Validator(
        schemas.load("record"), format_checker=jsonschema.FormatChecker()
    )
    files = every_record_file()
    assert len(files) > 150
    for file in files:
        data = _as_json(tomli.loads(file.read_text(encoding="utf-8")))
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], (file, errors)
    USED.add(schemas.tag("record"))


def test_a_sealed_signed_hand_edited_record_validates(tmp_path: Path) -> None:
    # The shipped examples predate the seal: a record written now holds every history key.
    record, keys = tmp_path / "amira.toml", tmp_path / "keys"
    keys.mkdir()
    run("keys", "new", "--out", keys)
    signed = ("--key", keys / "ecf-signing.key")
    run("new", record, "--id", "ph-0001", "--name", "Amira Okafor", "--qualified", "2024-07-10",
        "--stage", "asye", "--start", "2025-02-03", "--council", "E09000030")  # fmt: skip
    run(*signed, "add", "review", record, "review-3m", "--date", "2025-05-01")
    text = record.read_text("utf-8")
    record.write_text(text.replace('name = "Amira Okafor"', 'name = "Amira O"', 1), "utf-8")
    run(*signed, "add", "hours", record, "--from", "2025-06-02", "--fte", "0.6")
    data = _as_json(tomli.loads(record.read_text("utf-8")))
    assert isinstance(data, dict)
    held = set().union(*data["history"])
    assert {"state", "hand_edited", "key", "sig"} <= held <= _keys(HistoryEntry)
    assert errors_of(data, strict(schemas.load("record"))) == []


def test_the_record_schema_refuses_what_ecf_refuses() -> None:
    validator = jsonschema.Draft202012Validator(
        schemas.load("record"), format_checker=jsonschema.FormatChecker()
    )
    good = _as_json(tomli.loads(RECORDS[0].read_text(encoding="utf-8")))
    assert isinstance(good, dict)
    for bad in (
        {**good, "unknown": 1},
        {**good, "service": "Children"},
        {**good, "qualified": "2025-13-01"},
        {**good, "hours": [{"from": "2026-01-05", "fte": 1.5}]},
        {**good, "evidence": [{"id": "ev-1", "kind": "cpd"}]},
    ):
        assert not validator.is_valid(bad)
    assert validator.is_valid({**good, "extra": {"team": "North"}})


def _keys(cls: type) -> set[str]:
    return {"from" if f.name == "from_" else f.name for f in attrs.fields(cls)}


def _nested(cls: type) -> dict[str, type]:
    """The attrs classes a record's fields hold, by the record schema's $defs name."""
    hints = attrs.resolve_types(cls)
    out: dict[str, type] = {}
    for field in attrs.fields(hints):
        for arg in (field.type, *getattr(field.type, "__args__", ())):
            if attrs.has(arg):
                out[field.name] = arg
    return out


def test_the_record_schema_follows_the_model() -> None:
    # A field added to ecf.records must be added to src/ecf/data/schemas/record.json too.
    schema = schemas.load("record")
    assert set(schema["properties"]) == _keys(Record)
    defs = schema["$defs"]
    names = {
        "prior": "prior", "enrolments": "enrolment", "employment": "employment", "hours": "hours",
        "absences": "absence", "evidence": "evidence", "milestones": "milestone",
        "agreed": "agreed", "assignments": "assignment", "decisions": "decision",
        "appeals": "appeal", "history": "history", "left": "left",
    }  # fmt: skip
    nested = _nested(Record)
    assert set(nested) == set(names)
    for field, cls in nested.items():
        assert set(defs[names[field]]["properties"]) == _keys(cls), field
    assert set(defs["attachment"]["properties"]) == {"ref", "sha256"}


def test_every_shipped_record_s_outputs_validate() -> None:
    # Every record file shipped (the council-sized cohort too), once each, as of one date;
    # assess is judged on every record by the cohort and the overview tests above.
    for file in every_record_file():
        check(run("status", file, "--json", "--as-of", AS_OF[2]).output, "status")
        check(run("timeline", file, "--json").output, "timeline")


def test_every_schema_listed_is_used() -> None:
    # Runs last in this module (pytest keeps the order of a file): the tests above filled USED.
    if len(USED) < 2:  # run alone (-k): nothing to compare
        pytest.skip("run with the whole module")
    assert {schemas.tag(n) for n in schemas.names()} == USED
