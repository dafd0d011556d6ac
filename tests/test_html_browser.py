"""Both HTML pages in a real browser: headless Chromium over the DevTools pipe (tests/browser.py).

Each page is opened from a file; the test checks there is no console error (a script error,
a blocked load, a CSP violation), that the page made no request but for itself, that the
charts and the table render (element counts, sizes), that the table sorts and filters, that
a screenshot of a chart is not blank and that the page prints to PDF.  The screenshots are
kept under pytest's tmp_path (``ECF_SCREENSHOTS=DIR`` keeps them there instead, to look at).

Skips only when no Chromium can be found (``.ci/run`` installs Debian's ``chromium``; or set
``ECF_CHROMIUM`` to a Chrome or Chromium binary), and says so.

To see it fail: add ``<img src="https://example.com/x.png">`` to the body of
``src/ecf/templates/_base.html.j2`` (a request, blocked by the page's CSP: an error and a
request), or a ``throw`` in the cohort page's script (a console error, and the table no
longer sorts).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from browser import Browser, colours, find_chromium
from ecf.cli import main

if TYPE_CHECKING:
    from collections.abc import Iterator

    from browser import Page

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-01-10"
NAME = 'Amira <script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> Okafor'

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium found: install Debian's chromium (.ci/run does) or set ECF_CHROMIUM; "
    "the HTML pages were not tested in a browser",
)


def _ecf(*args: str | Path) -> None:
    result = CliRunner().invoke(main, ["--user", "tester", *[str(a) for a in args]])
    assert result.exit_code == 0, result.output


def scratch_record(folder: Path) -> Path:
    """A record with everything the page draws: part-time, a pause, agreed, a fail, an appeal."""
    path = folder / "amira.toml"
    _ecf(
        "new", path, "--id", "ph-0901", "--name", NAME, "--qualified", "2024-07-10",
        "--stage", "asye", "--start", "2024-09-02", "--council", "E09000030",
    )  # fmt: skip
    _ecf("add", "hours", path, "--from", "2025-01-06", "--fte", "0.6")
    _ecf("add", "absence", path, "--kind", "sickness", "--from", "2025-03-03", "--to", "2025-04-18")
    _ecf(
        "add", "evidence", path, "--kind", "direct-observation", "--date", "2024-11-18",
        "--standard", "kss-cf:1", "--standard", "pcf:7", "--by", "M. Reid",
    )  # fmt: skip
    _ecf(
        "add", "evidence", path, "--kind", "written-report", "--date", "2025-02-10",
        "--standard", "kss-cf:6", "--by", "M. Reid",
    )  # fmt: skip
    _ecf("add", "review", path, "agreement", "--date", "2024-09-20")
    _ecf("add", "review", path, "review-3m", "--date", "2024-12-02")
    _ecf("agree", path, "review-6m", "--due", "2025-05-30")
    _ecf("assign", path, "--role", "assessor", "--name", "M. Reid", "--from", "2024-09-02")
    _ecf(
        "decide", path, "--outcome", "fail", "--date", "2025-11-20", "--by", "R. Singh",
        "--reason", "standards-not-met",
    )  # fmt: skip
    _ecf("appeal", path, "dec-1", "--lodged", "2025-11-28")
    return path


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pages")
    record = scratch_record(folder)
    _ecf("report", record, "--out", folder / "record.html", "--as-of", AS_OF)
    _ecf(
        "cohort", ROOT / "examples" / "cohort", "--format", "html", "--as-of", AS_OF,
        "--council", ROOT / "examples" / "councils" / "baseline.toml",
        "--out", folder / "cohort.html", "--workers", "1", "--no-cache",
    )  # fmt: skip
    return {"record": folder / "record.html", "cohort": folder / "cohort.html"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    with Browser(CHROMIUM) as b:
        yield b


def _keep(name: str, data: bytes, tmp_path: Path) -> None:
    folder = Path(os.environ.get("ECF_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def _clean(page: Page, url: str) -> None:
    """No console error, and no request but the page's own file."""
    assert page.errors() == []
    assert page.requests() == [url]


def _not_blank(png: bytes) -> None:
    seen = colours(png)
    total = sum(seen.values())
    white = seen.get((255, 255, 255), 0)
    assert len(seen) > 5, "a chart of one or two colours is blank"
    assert total - white > total * 0.05, "less than 5% of the chart is drawn"


def test_record_page_in_chromium(browser: Browser, pages: dict[str, Path], tmp_path: Path) -> None:
    url = pages["record"].as_uri()
    page = browser.open(url)
    _clean(page, url)
    assert page.evaluate("window.__pwned === undefined")  # the name was escaped, not run
    assert "<script>" in page.evaluate("document.querySelector('h1').textContent")
    counts = page.evaluate(
        """({
        charts: document.querySelectorAll('svg.chart').length,
        spans: document.querySelectorAll('svg.chart rect.paused, svg.chart rect.part-time').length,
        markers: document.querySelectorAll('svg.chart .marker').length,
        width: document.querySelector('svg.chart').getBoundingClientRect().width,
        milestones: document.querySelectorAll('table.milestones tbody tr').length,
        grid: document.querySelectorAll('table.grid tbody tr').length,
        hits: document.querySelectorAll('table.grid td.hit').length,
        findings: document.querySelectorAll('#findings tr.finding').length,
        decisions: document.querySelectorAll('table.decisions tbody tr').length,
        appeals: document.querySelectorAll('table.appeals tbody tr').length,
        overflow: document.documentElement.scrollWidth > document.documentElement.clientWidth,
    })"""
    )
    assert counts["charts"] == 1
    assert counts["spans"] == 2  # the pause and the part-time period
    assert counts["markers"] >= 6  # held, agreed, due and the decision
    assert counts["width"] > 600
    assert counts["milestones"] == 6
    assert counts["grid"] >= 25  # kss-cf, pcf and swe standards
    assert counts["hits"] == 3
    assert counts["findings"] >= 5
    assert counts["decisions"] == 1
    assert counts["appeals"] == 1
    assert not counts["overflow"], "the page is wider than the window"
    chart = page.screenshot("figure.chart")
    _not_blank(chart)
    _keep("record-chart.png", chart, tmp_path)
    _keep("record.png", page.screenshot(), tmp_path)
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF")
    _keep("record.pdf", pdf, tmp_path)


def test_cohort_page_in_chromium(browser: Browser, pages: dict[str, Path], tmp_path: Path) -> None:
    url = pages["cohort"].as_uri()
    page = browser.open(url)
    _clean(page, url)
    counts = page.evaluate(
        """({
        charts: document.querySelectorAll('figure.chart svg.chart').length,
        bars: Array.from(document.querySelectorAll('figure.chart')).map(
            f => f.querySelectorAll('rect').length),
        rows: document.querySelectorAll('#records tbody tr').length,
        shown: document.getElementById('shown').textContent,
    })"""
    )
    assert counts["charts"] == 4
    assert all(n > 0 for n in counts["bars"]), counts["bars"]
    assert counts["rows"] == 150
    assert counts["shown"] == "150 of 150 shown"
    for name in ("by-stage", "by-month", "support-gaps", "assessor-load"):
        png = page.screenshot(f"figure[data-chart={name}] svg")
        _not_blank(png)
        _keep(f"cohort-{name}.png", png, tmp_path)
    _keep("cohort.png", page.screenshot(), tmp_path)
    # sort: a click on "Expected end" orders the rows by it, a second click reverses them
    column = (
        "Array.from(document.querySelectorAll('#records tbody tr'))"
        ".map(r => r.cells[5].textContent)"
    )
    head = "document.querySelector('#records th[data-key=expected_end]')"
    page.evaluate(f"{head}.click()")
    ends = page.evaluate(column)
    assert ends == sorted(ends)
    page.evaluate(f"{head}.click()")
    assert page.evaluate(column) == sorted(ends, reverse=True)
    # filter: by stage, then by text as well
    asye = page.evaluate(
        "Array.from(document.querySelectorAll('#records tbody tr'))"
        ".filter(r => r.cells[3].textContent === 'asye').length"
    )
    shown = page.evaluate(
        "(() => { const s = document.getElementById('stage'); s.value = 'asye';"
        " s.dispatchEvent(new Event('input'));"
        " return document.getElementById('shown').textContent; })()"
    )
    assert shown == f"{asye} of 150 shown"
    visible = page.evaluate(
        "Array.from(document.querySelectorAll('#records tbody tr')).filter(r => !r.hidden)"
        ".map(r => r.cells[3].textContent)"
    )
    assert set(visible) == {"asye"}
    shown = page.evaluate(
        "(() => { const f = document.getElementById('filter'); f.value = 'south';"
        " f.dispatchEvent(new Event('input'));"
        " return document.getElementById('shown').textContent; })()"
    )
    assert shown.endswith("of 150 shown")
    assert 0 < int(shown.split()[0]) < asye
    assert page.errors() == []
    assert page.pdf().startswith(b"%PDF")
