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
from ecf.records import Record

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
RECORDS = sorted((EXAMPLES / "records").glob("*.toml"))
COUNCIL = EXAMPLES / "councils" / "baseline.toml"
TUNED = EXAMPLES / "councils" / "tuned.toml"  # overrides single rules: findings carry them
RULES = Path(__file__).resolve().parent.parent / "src" / "ecf" / "data" / "rules"
AS_OF = ("2025-12-01", "2026-09-01", "2027-06-01")
#: Every tag an output carried in this module's tests: the last test checks all were used.
USED: set[str] = set()


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ECF_DISABLE_PLUGIN_AUTOLOAD", "1")  # only the baseline: same on any machine


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
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


def errors_of(data: object, schema: object) -> list[str]:
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
    cohort = schemas.load("cohort")
    row = {**cohort, **cohort["$defs"]["row"]}  # each JSON Lines row is one of its rows
    for line in run("cohort", path, "--format", "jsonl").output.splitlines():
        jsonschema.validate(json.loads(line), row)


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
