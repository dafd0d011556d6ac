"""CLI conventions: colour, --version, --json with a schema key, a council given once, logging,
shell completion.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pytest
from click.shell_completion import ShellComplete
from click.testing import CliRunner, Result

from ecf._version import __version__
from ecf.cli import complete, main
from ecf.project import ProjectError, find_council

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "src" / "ecf" / "data" / "rules" / "baseline-2026.toml"
COUNCIL = ROOT / "examples" / "councils" / "baseline.toml"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in ("NO_COLOR", "ECF_COUNCIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield
    logging.getLogger("ecf").setLevel(logging.NOTSET)


def run(*args: str, env: dict[str, str] | None = None, color: bool = False) -> Result:
    return CliRunner().invoke(main, list(args), env=env, color=color, catch_exceptions=False)


def new_record(path: Path) -> Path:
    result = run(
        *("new", str(path), "--id", "ph-0001", "--name", "Amira Okafor"),
        *("--qualified", "2025-07-10", "--stage", "asye", "--start", "2026-02-02"),
    )
    assert result.exit_code == 0, result.output
    return path


# -- colour -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        ((), {}, True),  # a terminal (CliRunner's color=True stands for one)
        ((), {"NO_COLOR": "1"}, False),
        ((), {"NO_COLOR": ""}, True),  # set but empty: no-color.org says it does not count
        (("--no-color",), {}, False),
        (("--color",), {"NO_COLOR": "1"}, True),  # the option wins over the variable
    ],
)
def test_colour_follows_no_color_and_the_option(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], coloured: bool
) -> None:
    record = new_record(tmp_path / "amira.toml")
    result = run(*args, "status", str(record), "--as-of", "2026-12-01", env=env, color=True)
    assert result.exit_code == 0
    assert "Overdue:" in result.output
    assert ("\x1b[" in result.output) is coloured


# -- --version ----------------------------------------------------------------------------------


def test_version_is_ecf_s_own() -> None:
    result = run("--version")
    assert result.output == f"ecf, version {__version__}\n"


def test_rules_check_takes_framework_version_not_version() -> None:
    ok = run("rules", "check", str(RULES), "--framework-version", "baseline-2026")
    assert ok.exit_code == 0, ok.output
    old = run("rules", "check", str(RULES), "--version", "baseline-2026")
    assert old.exit_code == 2
    assert "No such option '--version'" in old.output


# -- --json ---------------------------------------------------------------------------------------


def test_validate_json(tmp_path: Path) -> None:
    good = new_record(tmp_path / "amira.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text(
        good.read_text(encoding="utf-8").replace(
            'name = "Amira Okafor"', 'name = "Amira Okafor"\nqualified_on = 2025'
        ),
        encoding="utf-8",
    )
    result = run("validate", "--json", str(good), str(bad))
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["schema"] == "validate/1"
    assert data["invalid"] == 1
    first, second = data["files"]
    assert first == {"file": str(good), "id": "ph-0001", "valid": True, "problems": []}
    assert second["valid"] is False
    assert second["id"] is None
    assert second["problems"][0]["file"] == str(bad)
    assert "Amira" not in result.output


def test_verify_json(tmp_path: Path) -> None:
    record = new_record(tmp_path / "amira.toml")
    run("add", "hours", str(record), "--from", "2026-06-01", "--fte", "0.6")  # seals the first
    result = run("verify", "--json", str(record))
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data == {
        "schema": "verify/1",
        "records": [
            {"file": str(record), "id": "ph-0001", "entries": 2, "intact": True, "problems": []}
        ],
        "failed": 0,
    }
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("started asye", "began asye"), encoding="utf-8")
    broken = run("verify", "--json", str(record))
    assert broken.exit_code == 2
    (row,) = json.loads(broken.stdout)["records"]
    assert row["intact"] is False
    assert row["problems"][0]["path"] == "history[1].prev"


def test_rules_check_json(tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text('version = "x"\n[[rules]]\nid = "a"\nkind = "nope"\n', encoding="utf-8")
    result = run("rules", "check", "--json", str(RULES), str(bad))
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["schema"] == "rules-check/1"
    assert data["invalid"] == 1
    good, wrong = data["files"]
    assert good["valid"] is True
    assert good["rules"] > 0
    assert wrong["valid"] is False
    assert wrong["problems"]


def test_migrate_dry_run_json(tmp_path: Path) -> None:
    record = new_record(tmp_path / "amira.toml")
    copy = tmp_path / "old.toml"
    copy.write_bytes((ROOT / "tests" / "fixtures" / "schema-1.toml").read_bytes())
    files = [str(record), str(copy)]
    before = {f: Path(f).read_bytes() for f in files}
    result = run("migrate", "--dry-run", "--json", *files)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "migrate/1"
    assert data["dry_run"] is True
    assert data["files"][0] == {
        "file": str(record),
        "old_schema": 3,
        "new_schema": 3,
        "needed": False,
        "written": False,
        "backup": None,
    }
    assert data["files"][1]["old_schema"] == 1
    assert data["files"][1]["needed"] is True
    assert data["files"][1]["written"] is False
    assert data["files"][1]["backup"] == str(tmp_path / "old.toml.schema1.bak")
    assert {f: Path(f).read_bytes() for f in files} == before


# -- a council given once -----------------------------------------------------------------------


def test_the_council_comes_from_the_option_then_the_environment_then_ecf_toml(
    tmp_path: Path,
) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_council(None, {}, deep) == (None, "none")
    (tmp_path / "ecf.toml").write_text('council = "c/council.toml"\n', encoding="utf-8")
    found = find_council(None, {}, deep)
    assert found == (tmp_path / "c" / "council.toml", str(tmp_path / "ecf.toml"))
    nearer = tmp_path / "a" / "ecf.toml"
    nearer.write_text("# no council here\n", encoding="utf-8")
    assert find_council(None, {}, deep) == (None, "none")  # the nearest file decides
    assert find_council(None, {"ECF_COUNCIL": "x.toml"}, deep) == (Path("x.toml"), "$ECF_COUNCIL")
    assert find_council(None, {"ECF_COUNCIL": ""}, deep) == (None, "$ECF_COUNCIL")
    given = Path("given.toml")
    assert find_council(given, {"ECF_COUNCIL": "x.toml"}, deep) == (given, "--council")


def test_a_project_file_with_a_typo_is_an_error_naming_it(tmp_path: Path) -> None:
    record = new_record(tmp_path / "amira.toml")
    (tmp_path / "ecf.toml").write_text("councl = 'x.toml'\n", encoding="utf-8")
    with pytest.raises(ProjectError) as caught:
        find_council(None, {}, tmp_path)
    assert caught.value.lines() == [
        f"{tmp_path / 'ecf.toml'}: councl: unknown key (known: council)"
    ]
    result = run("status", str(record))
    assert result.exit_code == 2
    assert "councl: unknown key" in result.output


def test_status_uses_the_council_given_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = new_record(tmp_path / "amira.toml")
    plain = run("status", str(record))
    assert "Recommendation:" not in plain.output
    (tmp_path / "ecf.toml").write_text(f"council = '{COUNCIL}'\n", encoding="utf-8")
    sub = tmp_path / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)
    found = run("status", str(record))
    assert found.exit_code == 0, found.output
    assert "Recommendation:" in found.output
    off = run("status", str(record), env={"ECF_COUNCIL": ""})
    assert "Recommendation:" not in off.output
    missing = run("status", str(record), env={"ECF_COUNCIL": str(tmp_path / "nope.toml")})
    assert missing.exit_code == 2
    assert "nope.toml" in missing.output


# -- logging --------------------------------------------------------------------------------------


def test_verbose_logs_record_ids_never_names(tmp_path: Path) -> None:
    record = new_record(tmp_path / "amira.toml")
    quiet = run("add", "hours", str(record), "--from", "2026-06-01", "--fte", "0.6")
    assert "info:" not in quiet.output
    loud = run("-v", "add", "evidence", str(record), "--kind", "direct-observation", "--date",
               "2026-03-18", "--standard", "kss-cf:1", "--by", "M. Reid")  # fmt: skip
    assert loud.exit_code == 0, loud.output
    assert "info: ph-0001: written (add-evidence)" in loud.stderr
    assert "Amira" not in loud.stderr
    assert "Reid" not in loud.stderr
    assert "amira.toml" not in loud.stderr  # a file name may hold a name too


# -- shell completion -----------------------------------------------------------------------------


def _complete(args: list[str], incomplete: str) -> list[str]:
    completer = ShellComplete(main, {}, "ecf", "_ECF_COMPLETE")
    return [item.value for item in completer.get_completions(args, incomplete)]


def test_completion_offers_the_framework_s_values() -> None:
    assert _complete(["advance", "x.toml", "--stage"], "") == [
        "asye",
        "ecdp",
        "ecf-1",
        "ecf-2",
        "expert",
    ]
    assert _complete(["new", "x.toml", "--stage"], "ecf") == ["ecf-1", "ecf-2"]
    assert "review-3m" in _complete(["agree", "x.toml"], "rev")
    assert "final-review" in _complete(["add", "review", "x.toml"], "")
    assert _complete(["add", "evidence", "x.toml", "--kind"], "direct") == ["direct-observation"]
    assert "sickness" in _complete(["add", "absence", "x.toml", "--kind"], "")
    assert _complete(["decide", "x.toml", "--outcome"], "p") == ["pass", "progressed"]


def test_completion_of_an_unreadable_framework_is_empty(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("not toml [", encoding="utf-8")
    assert _complete(["--framework", str(broken), "advance", "x.toml", "--stage"], "") == []
    ctx = click.Context(main)
    assert complete.stages(ctx, main.params[0], "") != []
