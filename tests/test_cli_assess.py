"""The assessor commands: ``ecf assess``, ``ecf plugins``, ``ecf rules check``, ``ecf status``.

``ecf assess`` exits 0 whatever the recommendation (the library recommends, people decide) and
writes nothing, not even with ``--rules``; bad input exits 2 naming the file and the field.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner, Result

from ecf.cli import main
from ecf.records import Enrolment, Evidence, Record
from ecf.store import create
from test_rules import BASELINE_FILE, complete

if TYPE_CHECKING:
    from pathlib import Path

D = dt.date
START = D(2025, 9, 1)
FINAL = "2026-09-01"
AFTER = "2026-09-02"
BASELINE_RULES = (
    "direct-observations",
    "feedback-people",
    "feedback-professionals",
    "written-reports",
    "critical-reflections",
    "self-assessments",
    "supervision",
    "pqs-coverage",
    "annual-reviews",
    "cpd-records",
)


def evidence(*, drop: str | None = None) -> tuple[Evidence, ...]:
    """A children's ASYE meeting every baseline rule by 2026-09-01, less the last ``drop``."""
    out = list(complete())
    if drop is not None:
        out.remove(next(e for e in reversed(out) if e.kind == drop))
    return tuple(out)


def write_record(folder: Path, *, drop: str | None = None) -> Path:
    rec = Record(
        schema_version=1,
        id="r1",
        name="Alex Example",
        qualified=D(2025, 6, 1),
        service="children",
        council="E09000030",
        enrolments=(Enrolment("asye", START, "baseline-2026"),),
        evidence=evidence(drop=drop),
    )
    path = folder / "r1.toml"
    create(path, rec)
    return path


COUNCIL = """\
code = "E09000030"
name = "Tower Hamlets"
plugins = ["baseline"]
rules = ["stricter.toml"]

[settings]
completion_months = 24
"""

STRICTER = """\
version = "th-2026.1"
framework = "baseline-2026"

[[rules]]
id = "observers"
kind = "distinct-authors"
evidence = ["direct-observation"]
min = 2
"""


def write_council(folder: Path, text: str = COUNCIL) -> Path:
    (folder / "stricter.toml").write_text(STRICTER, encoding="utf-8")
    path = folder / "council.toml"
    path.write_text(text, encoding="utf-8")
    return path


def proposed(folder: Path) -> Path:
    """The baseline with 4 direct observations instead of 3, and no CPD rule."""
    text = BASELINE_FILE.read_text(encoding="utf-8")
    text = text.replace('version = "baseline-2026.2"', 'version = "proposed-1"')
    text = text.replace("min = 3", "min = 4", 1)
    text = text[: text.index('[[rules]]\nid = "cpd-records"')]
    path = folder / "new.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def ok(*args: str | Path) -> Result:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def errors(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


def test_assess_json_ready(tmp_path: Path) -> None:
    path = write_record(tmp_path)
    data = as_json(ok("assess", path, "--json", "--as-of", FINAL))
    assert {k: data[k] for k in ("id", "stage", "as_of", "council", "recommendation")} == {
        "id": "r1",
        "stage": "asye",
        "as_of": FINAL,
        "council": None,
        "recommendation": "ready",
    }
    assert [f["rule"] for f in data["findings"]] == list(BASELINE_RULES)
    first = data["findings"][0]
    assert set(first) >= {"rule", "assessor", "status", "message", "evidence", "standards"}
    assert first == {
        "rule": "direct-observations",
        "assessor": "baseline",
        "version": "baseline-2026.2",
        "status": "met",
        "message": "3 of 3 direct observations by the final review (due 2026-09-01)",
        "evidence": ["ev-010", "ev-020", "ev-030"],
        "standards": ["kss-cf:1", "kss-cf:2", "kss-cf:3", "pcf:1"],
        "deadline": FINAL,
        "behind": False,
        "category": "practitioner",
        "override": None,
    }
    by_rule = {f["rule"]: f for f in data["findings"]}
    assert by_rule["annual-reviews"]["status"] == "not-applicable"
    assert by_rule["annual-reviews"]["deadline"] is None
    # The standards found, in natural order: kss-cf:2 before kss-cf:10 (issue 10 item 8).
    assert by_rule["pqs-coverage"]["standards"][:3] == ["kss-cf:1", "kss-cf:2", "kss-cf:3"]


def test_assess_exits_0_when_not_met(tmp_path: Path) -> None:
    path = write_record(tmp_path, drop="direct-observation")
    data = as_json(ok("assess", path, "--json", "--as-of", AFTER))
    assert data["recommendation"] == "not-met"
    (missed,) = [f for f in data["findings"] if f["status"] == "missed"]
    assert missed["rule"] == "direct-observations"
    assert missed["message"] == (
        "2 of 3 direct observations by the final review (due 2026-09-01); missing 1"
    )
    assert missed["evidence"] == ["ev-010", "ev-020"]
    text = ok("assess", path, "--as-of", AFTER).stdout.splitlines()
    assert text[0] == "r1: asye as of 2026-09-02: recommendation not-met"
    assert text[1].startswith("(a recommendation only")
    # Missed rules come first; rules that do not apply are not shown.
    assert text[2] == (
        "  !!  direct-observations [baseline baseline-2026.2]: "
        "2 of 3 direct observations by the final review (due 2026-09-01); missing 1"
    )
    assert text[3] == "      evidence: ev-010, ev-020"
    assert not any("annual-reviews" in line for line in text)


def test_assess_as_of_moves_the_recommendation(tmp_path: Path) -> None:
    path = write_record(tmp_path, drop="direct-observation")
    assert as_json(ok("assess", path, "--json", "--as-of", "2026-06-01"))["recommendation"] == (
        "on-track"
    )
    at_deadline = as_json(ok("assess", path, "--json", "--as-of", FINAL))
    assert at_deadline["recommendation"] == "at-risk"
    (behind,) = [f for f in at_deadline["findings"] if f["behind"]]
    assert behind["rule"] == "direct-observations"
    text = ok("assess", path, "--as-of", FINAL).stdout
    assert "direct-observations [baseline baseline-2026.2]: 2 of 3" in text
    assert "missing 1 (behind pace)" in text
    today = as_json(ok("assess", path, "--json"))
    assert today["as_of"] == dt.date.today().isoformat()  # noqa: DTZ011 - the CLI's today


def test_assess_with_a_council(tmp_path: Path) -> None:
    path = write_record(tmp_path)
    council = write_council(tmp_path)
    data = as_json(ok("assess", path, "--council", council, "--json", "--as-of", FINAL))
    assert data["council"] == "E09000030"
    by_rule = {f["rule"]: f for f in data["findings"]}
    assert by_rule["completion-deadline"] == {
        "rule": "completion-deadline",
        "assessor": "baseline",
        "version": by_rule["completion-deadline"]["version"],
        "status": "pending",
        "message": "not yet passed; the deadline is 2027-09-01 (24 months from 2025-09-01)",
        "evidence": [],
        "standards": [],
        "deadline": "2027-09-01",
        "behind": False,
        "category": "practitioner",
        "override": None,
    }
    assert by_rule["observers"]["assessor"] == "council:E09000030"
    assert by_rule["observers"]["status"] == "met"
    # The completion deadline is still to come: nothing is missed, but not all is met.
    assert data["recommendation"] == "on-track"


def test_assess_what_if_rules_writes_nothing(tmp_path: Path) -> None:
    path = write_record(tmp_path)
    new = proposed(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    data = as_json(ok("assess", path, "--rules", new, "--json", "--as-of", FINAL))
    assert data["recommendation"] == "at-risk"
    assert {f["assessor"] for f in data["findings"]} == {"proposed"}
    by_rule = {f["rule"]: f for f in data["findings"]}
    assert "cpd-records" not in by_rule
    assert by_rule["direct-observations"]["version"] == "proposed-1"
    assert by_rule["direct-observations"]["message"] == (
        "3 of 4 direct observations by the final review (due 2026-09-01); missing 1"
    )
    ok("assess", path, "--rules", new, "--diff", "--as-of", FINAL)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_assess_diff_json(tmp_path: Path) -> None:
    path = write_record(tmp_path)
    new = proposed(tmp_path)
    data = as_json(ok("assess", path, "--rules", new, "--diff", "--json", "--as-of", FINAL))
    assert data == {
        "schema": "assess-diff/1",
        "id": "r1",
        "before": "ready",
        "after": "at-risk",
        "changes": [
            {
                "rule": "direct-observations",
                "before": "met",
                "after": "pending",
                "before_message": "3 of 3 direct observations by the final review (due 2026-09-01)",
                "after_message": (
                    "3 of 4 direct observations by the final review (due 2026-09-01); missing 1"
                ),
            },
            {
                "rule": "cpd-records",
                "before": "not-applicable",
                "after": None,
                "before_message": "not applicable to asye",
                "after_message": None,
            },
        ],
    }


def test_assess_diff_text(tmp_path: Path) -> None:
    path = write_record(tmp_path)
    new = proposed(tmp_path)
    lines = ok("assess", path, "--rules", new, "--diff", "--as-of", FINAL).stdout.splitlines()
    assert lines == [
        f"r1: ready -> at-risk with {new}",
        (
            "  direct-observations: met -> pending  "
            "3 of 4 direct observations by the final review (due 2026-09-01); missing 1"
        ),
        "  cpd-records: not-applicable -> (no rule)  not applicable to asye",
    ]
    same = ok("assess", path, "--rules", BASELINE_FILE, "--diff", "--as-of", FINAL)
    assert same.stdout.splitlines() == [f"r1: ready -> ready with {BASELINE_FILE}"]


def test_assess_bad_input(tmp_path: Path) -> None:
    path = write_record(tmp_path)
    before = path.read_bytes()
    result = run("assess", path, "--diff", "--as-of", FINAL)
    assert result.exit_code == 2
    assert errors(result) == ["error: --diff needs --rules NEW.toml"]
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'version = "x"\nframework = "baseline-2026"\n'
        '[[rules]]\nid = "do"\nkind = "count"\nevidence = ["direct-observation"]\nmin = "3"\n',
        encoding="utf-8",
    )
    result = run("assess", path, "--rules", bad, "--as-of", FINAL)
    assert result.exit_code == 2
    assert errors(result) == [
        f"error: {bad}: rules[0].min: rule 'do': expected a whole number (got '3')"
    ]
    assert "Traceback" not in result.output
    assert path.read_bytes() == before


@pytest.mark.parametrize("command", ["assess", "status"])
def test_a_bad_council_file_exits_2_naming_file_and_field(tmp_path: Path, command: str) -> None:
    path = write_record(tmp_path)
    council = write_council(tmp_path, COUNCIL.replace("completion_months = 24", "months = 24"))
    result = run(command, path, "--council", council, "--as-of", FINAL)
    assert result.exit_code == 2
    assert errors(result) == [f"error: {council}: settings: unknown keys: months"]
    council.write_text(COUNCIL.replace("completion_months = 24", "completion_months = 0"))
    result = run(command, path, "--council", council, "--as-of", FINAL)
    assert result.exit_code == 2
    assert errors(result) == [
        f"error: {council}: settings.completion_months: must be a positive whole number (got 0)"
    ]
    council.write_text(COUNCIL.replace('plugins = ["baseline"]', 'plugins = ["baseline"'))
    result = run(command, path, "--council", council, "--as-of", FINAL)
    assert result.exit_code == 2
    assert errors(result)[0].startswith(f"error: {council}: not valid TOML")


def test_status_with_a_council_shows_the_recommendation(tmp_path: Path) -> None:
    path = write_record(tmp_path, drop="direct-observation")
    council = write_council(tmp_path)
    out = ok("status", path, "--council", council, "--as-of", AFTER).stdout.splitlines()
    assert "Recommendation: not-met (see `ecf assess`)" in out
    plain = ok("status", path, "--as-of", AFTER).stdout
    assert "Recommendation:" not in plain
    data = as_json(ok("status", path, "--council", council, "--as-of", AFTER, "--json"))
    assert data["recommendation"] == "not-met"
    assert "recommendation" not in as_json(ok("status", path, "--as-of", AFTER, "--json"))


def test_plugins_lists_the_baseline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ECF_LOAD_PLUGINS", raising=False)
    monkeypatch.setenv("ECF_DISABLE_PLUGIN_AUTOLOAD", "1")
    rows = as_json(ok("plugins", "--json"))["plugins"]
    baseline = next(r for r in rows if r["name"] == "baseline")
    assert baseline == {
        "name": "baseline",
        "version": baseline["version"],
        "origin": "ecf (ecf.plugins.baseline)",
        "loaded": True,
        "allowed": True,
        "hooks": ["ecf_assess", "ecf_rule_files"],
        "error": None,
    }
    assert [r["name"] for r in rows if r["allowed"]] == ["baseline"]
    others = [r for r in rows if r["name"] != "baseline"]
    assert all(r["error"] == "ECF_DISABLE_PLUGIN_AUTOLOAD is set" for r in others)
    text = ok("plugins").stdout.splitlines()
    assert any(
        line.startswith("baseline ")
        and line.endswith("(ecf (ecf.plugins.baseline)): allowed [ecf_assess, ecf_rule_files]")
        for line in text
    )
    assert text[-1] == "(without --council, only 'baseline' is allowed)"
    none = write_council(tmp_path, COUNCIL.replace('plugins = ["baseline"]', "plugins = []"))
    rows = as_json(ok("plugins", "--council", none, "--json"))["plugins"]
    assert next(r for r in rows if r["name"] == "baseline")["allowed"] is False
    listed = ok("plugins", "--council", none).stdout
    assert "): not allowed [ecf_assess, ecf_rule_files]" in listed
    assert "without --council" not in listed


def test_rules_check_the_shipped_baseline() -> None:
    result = ok("rules", "check", BASELINE_FILE)
    assert result.stdout == f"{BASELINE_FILE}: ok (baseline-2026.2, 10 rules)\n"
    ok("rules", "check", BASELINE_FILE, "--framework-version", "baseline-2026")


def test_rules_check_bad_files(tmp_path: Path) -> None:
    unknown_kind = tmp_path / "kind.toml"
    unknown_kind.write_text(
        'version = "x"\nframework = "baseline-2026"\n[[rules]]\nid = "do"\nkind = "tally"\n',
        encoding="utf-8",
    )
    circular = tmp_path / "circular.toml"
    circular.write_text(
        'version = "x"\nframework = "baseline-2026"\n'
        '[[rules]]\nid = "a"\nkind = "all-of"\nrules = ["b"]\n'
        '[[rules]]\nid = "b"\nkind = "all-of"\nrules = ["a"]\n',
        encoding="utf-8",
    )
    malformed = tmp_path / "malformed.toml"
    malformed.write_text('version = "x\n', encoding="utf-8")
    result = run("rules", "check", BASELINE_FILE, unknown_kind, circular, malformed)
    assert result.exit_code == 2
    assert result.stdout == f"{BASELINE_FILE}: ok (baseline-2026.2, 10 rules)\n"
    lines = errors(result)
    assert len(lines) == 3
    assert lines[0].startswith(f"error: {unknown_kind}: rules[0].kind: rule 'do': unknown kind")
    assert lines[0].endswith("(got 'tally')")
    assert lines[1] == f"error: {circular}: rules[0].rules: rule 'a': circular group: a -> b -> a"
    assert lines[2].startswith(f"error: {malformed}: not valid TOML")
    assert "Traceback" not in result.output
    missing = run("rules", "check", tmp_path / "missing.toml")
    assert missing.exit_code == 2  # click's own check: the file does not exist
