"""The README's short tour runs as written, in an empty folder, on whatever day the tests run.

The tour is the first ``sh`` block after "## A short tour": each command (a line ending in
``\\`` continues on the next) is split as a shell would split it, its comment dropped, and run
through ``ecf``'s entry point in a temporary folder.  Every command must succeed.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

import ecf.cli
from ecf.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"


def tour(text: str) -> list[list[str]]:
    """The tour's commands, each as its words."""
    after = text[text.index("## A short tour") :]
    block = re.search(r"```sh\n(.*?)```", after, re.DOTALL)
    assert block is not None, "the tour has no sh block"
    joined = block.group(1).replace("\\\n", " ")
    return [shlex.split(line, comments=True) for line in joined.splitlines() if line.strip()]


def test_the_tour_is_parsed_into_ecf_commands() -> None:
    commands = tour(README.read_text(encoding="utf-8"))
    assert len(commands) >= 10
    assert all(words[0] == "ecf" for words in commands)
    new = commands[0]
    assert new[:2] == ["ecf", "new"]
    assert "Amira Okafor" in new  # quoted words stay one word
    assert "#" not in " ".join(commands[3])  # comments dropped


def _today_is(day: dt.date, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the CLI's today ``day`` (``ecf.cli.today`` reads ``dt.date.today()``)."""

    class Day(dt.date):
        @classmethod
        def today(cls) -> Day:
            return cls(day.year, day.month, day.day)

    fake = types.SimpleNamespace(date=Day, datetime=dt.datetime, UTC=dt.UTC)
    monkeypatch.setattr(ecf.cli, "dt", fake)
    assert ecf.cli.today() == day


@pytest.mark.parametrize("day", [None, dt.date(2027, 6, 30), dt.date(2031, 1, 15)])
def test_the_tour_runs_as_written(
    day: dt.date | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if day is not None:  # None: the real today
        _today_is(day, monkeypatch)
    monkeypatch.chdir(tmp_path)
    for name in ("ECF_COUNCIL", "ECF_FRAMEWORK_PATH", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    for words in tour(README.read_text(encoding="utf-8")):
        result = runner.invoke(main, words[1:], catch_exceptions=False)
        assert result.exit_code == 0, f"{shlex.join(words)}\n{result.output}"
    assert (tmp_path / "amira.toml").is_file()
