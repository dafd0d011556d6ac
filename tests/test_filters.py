"""Filters that cannot silently match nothing (issue 12, item 6).

``ecf cohort --stage ASYE`` and ``--state overdue`` used to print the totals and no row.  Now a
stage is read by id or alias in any case, an unknown stage, state or recommendation is exit 2
listing the values allowed, ``--recommendation`` without a council says it needs one, and the
summary states the filters with the number of rows they let through.  The same id in two files
is one error, in ``ecf cohort`` and ``ecf workforce`` alike.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from ecf.cli import main
from ecf.errors import EcfError
from ecf.filters import check_filters, stage_named
from ecf.findings import RECOMMENDATIONS
from ecf.framework import FrameworkRegistry
from ecf.progression import STATES

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples" / "records"
COUNCIL = ROOT / "examples" / "councils" / "baseline.toml"
REGISTRY = FrameworkRegistry.default()
AS_OF = "2026-06-01"
#: The example records in stage asye on AS_OF.
ASYE = ["ph-0006", "ph-0001", "ph-0003"]


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ECF_FRAMEWORK_PATH", raising=False)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def cohort(*options: str | Path, folder: Path = EXAMPLES) -> Result:
    return run("cohort", folder, "--as-of", AS_OF, "--workers", "1", *options)


def ids(result: Result) -> list[str]:
    return [json.loads(line)["id"] for line in result.stdout.splitlines()]


# --- the library ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stage"),
    [
        ("asye", "asye"),
        ("ASYE", "asye"),
        ("Asye", "asye"),
        (" ecf-1 ", "ecf-1"),
        ("ECF-1", "ecf-1"),
        ("ecf year 2", "ecf-2"),
        ("SWIP YEAR 1", "ecf-1"),
        ("Expert", "expert"),
        ("Expert Practitioner", "expert"),
    ],
)
def test_a_stage_is_named_by_id_or_alias_in_any_case(name: str, stage: str) -> None:
    found = stage_named(REGISTRY.get(), name)
    assert found is not None
    assert found.id == stage


@given(st.sampled_from(STATES), st.sampled_from(RECOMMENDATIONS), st.booleans())
def test_every_state_and_recommendation_is_accepted_in_any_case(
    state: str, recommendation: str, upper: bool
) -> None:
    case = str.upper if upper else str.title
    chosen = check_filters(REGISTRY, state=[case(state)], recommendation=[case(recommendation)])
    assert (chosen.state, chosen.recommendation) == ((state,), (recommendation,))


def test_unknown_values_are_every_one_an_error() -> None:
    with pytest.raises(EcfError) as raised:
        check_filters(
            REGISTRY, stage=["year-one", "asye"], state=["overdue"], recommendation=["good"]
        )
    assert raised.value.lines() == [
        (
            "--stage: unknown stage (allowed: asye (ASYE), ecf-1 (ECF year 1, SWIP year 1, ECDP "
            "year 1), ecf-2 (ECF year 2, SWIP year 2, ECDP year 2), expert (expert practitioner)) "
            "(got 'year-one')"
        ),
        "--state: unknown value (allowed: " + ", ".join(STATES) + ") (got 'overdue')",
        "--recommendation: unknown value (allowed: "
        + ", ".join(RECOMMENDATIONS)
        + ") (got 'good')",
    ]


def test_a_recommendation_without_a_council_says_it_needs_one() -> None:
    with pytest.raises(EcfError, match="needs --council"):
        check_filters(REGISTRY, recommendation=["ready"], has_council=False)
    assert check_filters(REGISTRY, recommendation=["Ready"]).recommendation == ("ready",)


# --- ecf cohort ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["asye", "ASYE", "Asye"])
def test_a_stage_in_any_case_selects_the_same_rows(stage: str) -> None:
    result = cohort("--stage", stage, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert ids(result) == ASYE
    assert result.stderr == "note: 3 of 6 records match: stage asye\n"


def test_an_alias_selects_its_stage() -> None:
    result = cohort("--stage", "ECF Year 2", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert ids(result) == ["ph-0004"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--stage", "year-one"], "error: --stage: unknown stage (allowed: asye (ASYE), "),
        (["--state", "overdue"], "error: --state: unknown value (allowed: in-progress, "),
        (
            ["--recommendation", "good", "--council", str(COUNCIL)],
            "error: --recommendation: unknown value (allowed: on-track, at-risk, ready, not-met)",
        ),
        (["--recommendation", "ready"], "error: --recommendation: needs --council: "),
    ],
)
def test_an_unknown_filter_value_is_exit_2_listing_the_allowed_ones(
    options: list[str], message: str
) -> None:
    result = cohort(*options)
    assert result.exit_code == 2
    assert result.stdout == ""  # no summary of totals over an empty selection
    assert result.stderr.startswith(message), result.stderr


def test_the_summary_states_the_filters_and_counts_the_rows() -> None:
    result = cohort("--stage", "ASYE", "--state", "In-Progress")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("6 records as of 2026-06-01")  # the totals, as before
    assert "Filters: stage asye; state in-progress: 2 of 6 records shown" in lines
    as_json = json.loads(cohort("--stage", "asye", "--overdue", "--format", "json").stdout)
    assert (as_json["filters"], as_json["matched"]) == ("stage asye; overdue", 0)
    assert as_json["summary"]["total"] == 6
    plain = json.loads(cohort("--format", "json").stdout)
    assert (plain["filters"], plain["matched"]) == (None, 6)


def test_a_recommendation_filter_with_a_council_reads_any_case() -> None:
    result = cohort("--council", COUNCIL, "--recommendation", "ON-TRACK", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["filters"] == "recommendation on-track"
    assert all(r["recommendation"] == "on-track" for r in data["records"])


def test_the_same_id_in_two_files_is_one_error(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(EXAMPLES, tmp_path / "records"))
    shutil.copy(folder / "full-time.toml", folder / "copy-of-full-time.toml")
    commands: list[list[str | Path]] = [
        ["cohort", folder, "--workers", "1", "--format", "jsonl"],
        ["workforce", folder, "--format", "json"],
    ]
    for command in commands:
        result = run(*command)
        assert result.exit_code == 1, result.output
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1, errors
        assert "ph-0001" in errors[0]
        assert "copy-of-full-time.toml" in errors[0]
        assert "full-time.toml" in errors[0]
        assert "ph-0001" not in result.stdout  # neither file is counted
