"""The HTML pages without a browser: view models, escaping, personal data, the CLI, the charts.

tests/test_html_browser.py opens the same pages in headless Chromium.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ecf import _charts, html_cohort, html_report
from ecf.cli import main
from ecf.cohort import CohortRow, summarise
from ecf.export import pseudonym
from ecf.framework import FrameworkRegistry
from ecf.sources import read_valid
from ecf.testing.strategies import records
from test_html_browser import NAME, scratch_record

if TYPE_CHECKING:
    from pathlib import Path

    from ecf.records import Record

AS_OF = dt.date(2026, 1, 10)
KEY = b"k" * 32


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--user", "tester", *[str(a) for a in args]])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def record_file(tmp_path: Path) -> Path:
    path = scratch_record(tmp_path)
    # what the page must not show: a note, the SWE number, the kind of absence
    code, _, err = run(
        "add", "evidence", path, "--kind", "feedback-person", "--date", "2025-06-02",
        "--standard", "kss-cf:2", "--note", "Feedback from Jo Bloggs, age 9",
    )  # fmt: skip
    assert code == 0, err
    return path


def _page(path: Path, registry: FrameworkRegistry, *, key: bytes | None = None) -> str:
    record = read_valid(path, registry, AS_OF)
    return html_report.render_record(html_report.record_view(record, registry, AS_OF, key=key))


# --- the progress record ---------------------------------------------------------------------


def test_a_name_with_markup_is_escaped(record_file: Path, registry: FrameworkRegistry) -> None:
    text = _page(record_file, registry)
    assert "<script>window" not in text
    assert "onerror=" not in text.replace("onerror=&#34;", "")
    assert "Amira &lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x" in text
    assert text.count("<script>") == 0  # the progress record has no script at all


def test_the_page_loads_nothing(record_file: Path, registry: FrameworkRegistry) -> None:
    text = _page(record_file, registry)
    assert "http:" not in text
    assert "https:" not in text
    assert not re.search(r"<[^>]*\s(?:src|href)\s*=", text)  # no tag loads anything
    assert "default-src 'none'" in text  # and the browser is told so (Content-Security-Policy)
    assert "@media print" in text


def test_the_page_shows_the_progress(record_file: Path, registry: FrameworkRegistry) -> None:
    record = read_valid(record_file, registry, AS_OF)
    page = html_report.record_view(record, registry, AS_OF)
    assert page.name == NAME
    assert page.assessor == "M. Reid"
    assert page.stage == "asye"
    assert [s.stage for s in page.stages] == ["asye"]
    milestones = {m.id: m for m in page.stages[0].milestones}
    assert milestones["review-3m"].held == dt.date(2024, 12, 2)
    assert milestones["review-6m"].agreed == dt.date(2025, 5, 30)
    assert page.state == "failed"
    assert not milestones["review-6m"].overdue  # a failed stage is closed: nothing is overdue
    assert page.pauses == ((dt.date(2025, 3, 3), dt.date(2025, 4, 18), 47),)
    assert page.hours == ((dt.date(2025, 1, 6), "0.6"),)
    assert page.evidence_ids == ("ev-001", "ev-002", "ev-003")
    grid = {row.id: row for row in page.grid}
    assert grid["kss-cf:1"].cells == (True, False, False)
    assert grid["kss-cf:6"].cells == (False, True, False)
    assert grid["pcf:7"].count == 1
    assert grid["kss-cf:3"].count == 0
    assert [d.outcome for d in page.decisions] == ["fail"]
    assert [(a.decision, a.outcome) for a in page.appeals] == [("dec-1", None)]
    assert page.findings
    assert all(f.message for f in page.findings)
    assert [f.rule for f in page.support] == ["supervision"]
    assert page.verified
    assert page.recommendation in {"on-track", "at-risk", "not-met", "ready"}


def test_only_the_personal_data_the_page_needs(
    record_file: Path, registry: FrameworkRegistry
) -> None:
    text = _page(record_file, registry)
    assert "Jo Bloggs" not in text  # an evidence note
    assert "sickness" not in text  # the kind of an absence: health
    assert "SW14" not in text  # the SWE number
    assert "tester" not in text  # who changed the record


def test_pseudonymised_no_names(record_file: Path, registry: FrameworkRegistry) -> None:
    text = _page(record_file, registry, key=KEY)
    for name in ("Amira", "Okafor", "M. Reid", "R. Singh", "ph-0901", "Jo Bloggs"):
        assert name not in text
    assert pseudonym(KEY, "ph-0901") in text
    assert "pseudonymised" in text
    # the view itself holds no name either, for a library caller with a template of its own
    page = html_report.record_view(
        read_valid(record_file, registry, AS_OF), registry, AS_OF, key=KEY
    )
    assert page.name is None
    assert page.assessor is None
    assert [e.by for e in page.evidence] == [None, None, None]
    assert [d.by for d in page.decisions] == [None]
    assert [a.by for a in page.appeals] == [None]


def test_the_published_due_dates(tmp_path: Path, registry: FrameworkRegistry) -> None:
    """BASELINE.md: S = 2025-09-01 at 0.5 FTE: review-3m due 2026-03-02, final-review 2027-09-01."""
    path = tmp_path / "half.toml"
    code, _, err = run(
        "new", path, "--id", "ph-0902", "--name", "Half Time", "--qualified", "2025-06-30",
        "--stage", "asye", "--start", "2025-09-01", "--council", "E09000030",
    )  # fmt: skip
    assert code == 0, err
    code, _, err = run("add", "hours", path, "--from", "2025-09-01", "--fte", "0.5")
    assert code == 0, err
    record = read_valid(path, registry, AS_OF)
    page = html_report.record_view(record, registry, dt.date(2025, 10, 1))
    due = {m.id: m.due for m in page.stages[0].milestones}
    assert due["review-3m"] == dt.date(2026, 3, 2)
    assert due["final-review"] == dt.date(2027, 9, 1)
    assert page.expected_end == dt.date(2027, 9, 1)
    assert "2026-03-02" in html_report.render_record(page)


def test_a_history_edited_by_hand_is_shown(record_file: Path, registry: FrameworkRegistry) -> None:
    text = record_file.read_text()
    record_file.write_text(text.replace('detail = "0.6 FTE', 'detail = "0.8 FTE', 1))
    page = html_report.record_view(read_valid(record_file, registry, AS_OF), registry, AS_OF)
    assert not page.verified
    assert any("chain breaks" in p for p in page.problems)
    assert "not verified" in html_report.render_record(page)


# --- the CLI -----------------------------------------------------------------------------------


def test_report_writes_the_page(record_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    code, stdout, err = run("report", record_file, "--out", out, "--as-of", "2026-01-10")
    assert code == 0, err
    assert stdout == f"{out}: progress record of ph-0901 as of 2026-01-10\n"
    assert out.read_text().startswith("<!DOCTYPE html>")
    code, stdout, _ = run("report", record_file, "--as-of", "2026-01-10")
    assert code == 0
    assert stdout == out.read_text()  # without --out, the page goes to standard output


def test_report_that_cannot_write_changes_nothing(record_file: Path, tmp_path: Path) -> None:
    before = record_file.read_bytes()
    out = tmp_path / "missing" / "page.html"
    code, _, err = run("report", record_file, "--out", out)
    assert code == 2
    assert err.startswith("error: ")
    assert len(err.splitlines()) == 1
    assert not out.parent.exists()
    assert record_file.read_bytes() == before


def test_report_pseudonymised_needs_a_key(
    record_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ECF_PSEUDONYM_KEY", raising=False)
    out = tmp_path / "page.html"
    code, _, err = run("report", record_file, "--out", out, "--pseudonymise")
    assert code == 2
    assert "key" in err
    assert not out.exists()
    key = tmp_path / "key.txt"
    key.write_text("a" * 64)
    code, _, err = run("report", record_file, "--out", out, "--pseudonymise", "--key-file", key)
    assert code == 0, err
    assert "Amira" not in out.read_text()


def test_cohort_html(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    scratch_record(folder)
    (folder / "broken.toml").write_text("schema_version = 3\nid = 'x'\n")
    out = tmp_path / "cohort.html"
    code, stdout, err = run(
        "cohort", folder, "--format", "html", "--out", out, "--as-of", "2026-01-10",
        "--workers", "1", "--no-cache",
    )  # fmt: skip
    assert code == 1  # one file could not be read; the page holds the rest
    assert "broken.toml" in err
    assert stdout.startswith(f"{out}: 1 of 1 records")
    text = out.read_text()
    assert "ph-0901" in text
    assert "files that could not be read" in text
    assert text.count('data-chart="') == 4


def test_cohort_out_is_for_html_only(tmp_path: Path) -> None:
    code, _, err = run("cohort", tmp_path, "--format", "csv", "--out", tmp_path / "x.csv")
    assert code == 2
    assert "--out is for --format html" in err
    assert not (tmp_path / "x.csv").exists()


# --- the cohort page ---------------------------------------------------------------------------


def _row(i: int, **changes: object) -> CohortRow:
    values: dict[str, object] = {
        "id": f"r{i:03}",
        "council": "E09000030",
        "team": "north",
        "stage": "asye",
        "stage_start": dt.date(2025, 9, 1),
        "expected_end": dt.date(2026, 9, 1),
        "state": "in-progress",
        "next_milestone": "review-6m",
        "next_due": dt.date(2026, 3, 1),
        "overdue": 0,
        "assessor": "M. Reid",
        "recommendation": "on-track",
        "support_gaps": 1,
    }
    values.update(changes)
    return CohortRow(**values)  # type: ignore[arg-type]


def test_cohort_values_are_escaped() -> None:
    rows = [_row(1, team="<script>alert(1)</script>", assessor="<b>Reid</b>")]
    page = html_cohort.cohort_view(rows, summarise(rows, AS_OF), AS_OF, title="<i>title</i>")
    text = html_cohort.render_cohort(page)
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<b>Reid" not in text
    assert "<i>title" not in text
    assert text.count("<script>") == 1  # the page's own sort and filter script


def test_cohort_pseudonymised_drops_the_assessors() -> None:
    rows = [_row(1), _row(2, assessor="A. Other")]
    page = html_cohort.cohort_view(rows, summarise(rows, AS_OF), AS_OF, key=KEY)
    text = html_cohort.render_cohort(page)
    assert "M. Reid" not in text
    assert "A. Other" not in text
    assert "r001" not in text
    assert "left out of a pseudonymised page" in text
    assert all(c.key != "assessor" for c in page.columns)


def test_cohort_months_count_every_milestone_due() -> None:
    rows = [_row(1), _row(2, overdue=1)]
    due = {
        "r001": ((dt.date(2026, 1, 20), False), (dt.date(2026, 3, 1), False)),
        "r002": ((dt.date(2025, 12, 1), True), (dt.date(2027, 3, 1), False)),  # past 12 months
    }
    page = html_cohort.cohort_view(rows, summarise(rows, AS_OF), AS_OF, due=due)
    chart = next(c for c in page.charts if c.name == "by-month")
    values = {b.title for b in chart.boxes}
    assert values == {"now: overdue 1", "Jan 2026: due 1", "Mar: due 1"}


def test_cohort_support_gaps_by_team_need_a_council() -> None:
    rows = [_row(1, recommendation=None, support_gaps=None)]
    page = html_cohort.cohort_view(rows, summarise(rows, AS_OF), AS_OF)
    gaps = next(c for c in page.charts if c.name == "support-gaps")
    assert gaps.empty == "Support gaps are judged with --council."
    assert all(c.key not in {"recommendation", "support_gaps"} for c in page.columns)


def test_due_dates_leave_out_held_and_optional(
    record_file: Path, registry: FrameworkRegistry
) -> None:
    record = read_valid(record_file, registry, AS_OF)
    due = html_cohort.due_dates([record], registry, dt.date(2025, 6, 1))
    # held: agreement, review-3m; optional: review-9m; no date: moderation
    assert [d for d, _ in due["ph-0901"]] == [dt.date(2025, 7, 16), dt.date(2026, 3, 28)]


# --- the charts --------------------------------------------------------------------------------

counts = st.dictionaries(
    st.sampled_from(["in-progress", "passed", "awaiting-decision", "left", "x"]),
    st.integers(0, 500),
    max_size=4,
)
rows_of = st.lists(st.tuples(st.text(max_size=30), counts), max_size=12)


def _inside(chart: _charts.Chart) -> None:
    for box in chart.boxes:
        assert box.x >= 0
        assert box.y >= 0
        assert box.x + box.width <= chart.width + 0.01
        assert box.y + box.height <= chart.height + 0.01
        assert box.width >= 0
        assert box.height >= 0


@given(rows_of)
def test_bars_stay_inside_their_chart(rows: list[tuple[str, dict[str, int]]]) -> None:
    chart = _charts.stacked_bars("c", "t", rows)
    _inside(chart)
    assert len(chart.boxes) == sum(1 for _, v in rows for n in v.values() if n)
    if chart.boxes:
        longest = max(sum(v.values()) for _, v in rows)
        widths = [sum(b.width for b in chart.boxes if b.y == y) for y in {b.y for b in chart.boxes}]
        assert max(widths) == pytest.approx(chart.width - 130 - 40)
        assert longest > 0
    else:
        assert chart.empty


@given(rows_of)
def test_columns_stay_inside_their_chart(rows: list[tuple[str, dict[str, int]]]) -> None:
    chart = _charts.columns("c", "t", rows)
    _inside(chart)
    assert len(chart.boxes) == sum(1 for _, v in rows for n in v.values() if n)


@given(
    st.lists(
        st.tuples(st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)), st.integers(0, 400)),
        max_size=6,
    ),
    st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)),
)
def test_timeline_stays_inside(spans: list[tuple[dt.date, int]], today: dt.date) -> None:
    lanes = [
        _charts.Lane(
            f"lane {i}",
            ((first, first + dt.timedelta(days=n), "paused", ""),),
            ((first, "held", "held", ""),),
        )
        for i, (first, n) in enumerate(spans)
    ]
    chart = _charts.timeline("t", "t", lanes, today=today)
    _inside(chart)
    for marker in chart.markers:
        assert 0 <= marker.x <= chart.width
    today_line = [line for line in chart.lines if line.kind == "today"]
    assert len(today_line) == (1 if spans else 0)


# --- any valid record --------------------------------------------------------------------------

REGISTRY = FrameworkRegistry.default()
TODAY = dt.date(2026, 11, 30)


@settings(max_examples=40)
@given(
    records(REGISTRY, TODAY, max_evidence=8),
    st.text(alphabet="<>&\"' sScript/=", min_size=1, max_size=20),
    st.integers(0, 900),
)
def test_any_record_renders_escaped(record: Record, name: str, days: int) -> None:
    record = attrs.evolve(record, name=f"<script>{name}")
    first = record.enrolments[0].start
    as_of = min(first + dt.timedelta(days=days), TODAY)
    page = html_report.record_view(record, REGISTRY, as_of)
    text = html_report.render_record(page)
    assert "<script" not in text  # the record page has no script, and the name is escaped
    assert "&lt;script&gt;" in text
    assert all(len(row.cells) == len(page.evidence_ids) for row in page.grid)
    assert len(page.stages) == len(record.enrolments)
    _inside(page.chart)
    hidden = html_report.render_record(html_report.record_view(record, REGISTRY, as_of, key=KEY))
    assert "&lt;script&gt;" not in hidden  # pseudonymised: no name at all
