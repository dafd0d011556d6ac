"""Hostile input (issue 11, items 4, 5 and 7): nothing hangs, nothing crashes, no personal value
in an error, no link or foreign file rewritten, no terminal control obeyed.

Each test names the guarantee it proves; the commands that could hang run in a subprocess with
a timeout, so that a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecf.cli import escape, main

ECF = [sys.executable, "-m", "ecf"]
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

RECORD = """\
schema_version = 3
id = "ph-1"
name = "Amira Okafor"
qualified = 2025-07-10
service = "children"
council = "E09000030"

[[enrolments]]
stage = "asye"
start = 2026-02-02
framework = "baseline-2026"

[[hours]]
from = 2026-02-02
fte = 1
"""


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_CACHE_DIR", str(tmp_path / "cache"))


def run(
    *args: str, cwd: Path | None = None, timeout: float = 10
) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess: a hang fails the test after ``timeout`` seconds."""
    return subprocess.run(
        [*ECF, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False
    )


# --- control characters are escaped in terminal output -------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text\twith a tab\n", "plain text\twith a tab\n"),
        ("E09\x1b]0;owned\x07X", "E09\\x1b]0;owned\\x07X"),
        ("a\rb", "a\\x0db"),
        ("csv,row\r\n", "csv,row\r\n"),
        ("\x9b31m", "\\x9b31m"),
        ("abc\u202edef", "abc\\u202edef"),
        ("\x7f\x00", "\\x7f\\x00"),
    ],
)
def test_escape(text: str, shown: str) -> None:
    assert escape(text) == shown


def test_a_terminal_escape_in_a_council_code_is_shown_not_obeyed(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    hostile = RECORD.replace('"E09000030"', '"E09\\u001b]0;owned\\u0007X"')
    (folder / "a.toml").write_text(hostile, encoding="utf-8")
    for args in (["cohort", str(folder)], ["cohort", str(folder), "--format", "csv"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.stderr
        assert "\x1b" not in result.stdout
        assert "\x07" not in result.stdout
        assert "E09\\x1b]0;owned\\x07X" in result.stdout


def test_a_terminal_escape_in_a_file_name_is_shown_not_obeyed(tmp_path: Path) -> None:
    name = tmp_path / "x\x1b[2Jy.toml"
    result = CliRunner().invoke(main, ["validate", str(name)])
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr
    assert "x\\x1b[2Jy.toml" in result.stderr


def test_a_terminal_escape_in_an_option_value_is_shown_not_obeyed(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["cohort", str(tmp_path), "--as-of", "\x1b[2J"])
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr
    assert "\\x1b[2J" in result.stderr
