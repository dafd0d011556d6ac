"""Two kinds of finding (BASELINE.md): support gaps are the employer's, never the practitioner's.

A support finding (supervision, any support rule a council adds) never makes the
recommendation ``at-risk`` or ``not-met``; it is counted as a support gap.  A supervision window
is a gap only when the practitioner was at work for at least half of it, and a last window
shorter than half its period joins the one before.  Dates follow BASELINE.md: an ASYE from
2025-09-01, weekly supervision to 2025-10-12, fortnightly to 2026-02-28, then monthly.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import TYPE_CHECKING

from click.testing import CliRunner

from ecf.assessors import assess, get_plugins
from ecf.cli import main
from ecf.findings import Finding, recommend, support_gaps
from ecf.privacy import SPECIAL_ABSENCE_KINDS, neutral_absence_kind
from ecf.records import Absence, PatternChange
from ecf.rules import load_rules
from ecf.store import create
from ecf.timeline import SUPERVISION, frequency_windows, judged_windows, supervision_schedule
from test_rules import FREQ, FW, REGISTRY, START, complete, ev, judge, one, record, rules

if TYPE_CHECKING:
    from pathlib import Path

    from ecf.records import Evidence

D = dt.date
AS_OF = D(2026, 1, 20)  # mid-year: the counted evidence of complete() is on pace


def without(items: tuple[Evidence, ...], *days: dt.date) -> tuple[Evidence, ...]:
    """The evidence but the supervision sessions held on ``days``."""
    return tuple(e for e in items if not (e.kind == "supervision" and e.date in days))


def baseline(rec_evidence: tuple[Evidence, ...], **kw: object) -> tuple[str, int, Finding]:
    result = assess(
        record(*rec_evidence, **kw),  # type: ignore[arg-type]
        REGISTRY,
        AS_OF,
        plugins=get_plugins(entry_points=[]),
    )
    sup = next(f for f in result.findings if f.rule == "supervision")
    return result.recommendation, result.support_gaps, sup


def test_a_missed_supervision_fortnight_is_one_support_gap_and_stays_on_track() -> None:
    # The fortnight 2025-10-27..2025-11-09 had no supervision (FACTS.md 6: the employer's duty).
    recommendation, gaps, sup = baseline(without(complete(), D(2025, 10, 27)))
    assert sup.category == "support"
    assert sup.status == "missed"
    assert "none from 2025-10-27 to 2025-11-09" in sup.message
    assert recommendation == "on-track"
    assert gaps == 1


def test_complete_evidence_has_no_support_gap() -> None:
    recommendation, gaps, sup = baseline(complete())
    assert (recommendation, gaps, sup.status) == ("on-track", 0, "pending")


def test_two_weeks_of_annual_leave_in_the_weekly_period_exempt_those_weeks() -> None:
    leave = Absence("annual-leave", D(2025, 9, 15), D(2025, 9, 28))
    items = without(complete(), D(2025, 9, 15), D(2025, 9, 22))
    recommendation, gaps, sup = baseline(items, absences=(leave,))
    assert sup.status == "pending"
    assert "2 periods exempt (away most of it)" in sup.message
    assert (recommendation, gaps) == ("on-track", 0)
    # The same weeks without the leave are gaps.
    assert baseline(items)[1] == 1


def test_a_20_day_sickness_exempts_the_window_she_was_mostly_away() -> None:
    # Not a pause (under 28 days): the fortnight 2025-11-10..23 has 13 of 14 days away.
    sick = Absence("sickness", D(2025, 11, 3), D(2025, 11, 22))
    items = without(complete(), D(2025, 11, 10))
    _, gaps, sup = baseline(items, absences=(sick,))
    assert (gaps, sup.status) == (0, "pending")
    assert "1 period exempt" in sup.message
    # Away for half the fortnight before it (2025-11-03..09 of 2025-10-27..11-09): at work for
    # half of it, so an empty one is a gap.
    _, gaps, sup = baseline(without(complete(), D(2025, 10, 27)), absences=(sick,))
    assert gaps == 1
    assert "none from 2025-10-27 to 2025-11-09" in sup.message


def test_a_pause_for_lack_of_support_pauses_and_is_not_health() -> None:
    kind = FW.absence_kind("support-gap")
    assert kind is not None
    assert kind.pauses
    assert "support-gap" not in SPECIAL_ABSENCE_KINDS
    assert neutral_absence_kind("support-gap", [FW]) == "support-gap"


def test_a_short_last_window_joins_the_one_before() -> None:
    # The schedule ends three days into November: the stub 2026-11-01..03 joins October.
    end = D(2026, 11, 3)
    raw = frequency_windows(START, end, SUPERVISION)
    assert raw[-1] == (D(2026, 11, 1), end)
    judged = judged_windows(START, end, SUPERVISION)
    assert (judged[-1].first, judged[-1].last, judged[-1].joined) == (D(2026, 10, 1), end, True)
    assert len(judged) == len(raw) - 1
    # A last window of half its period or more stays its own.
    assert judged_windows(START, D(2026, 11, 17), SUPERVISION)[-1].first == D(2026, 11, 1)


def test_a_part_timers_stub_at_the_end_is_no_window_of_its_own() -> None:
    hours = (PatternChange(START, Fraction(4, 5)),)
    rec = record(absences=(), hours=hours)
    end = judge(rules(FREQ), rec, START)["sup"].deadline
    assert end is not None
    raw = frequency_windows(START, end, SUPERVISION)
    stub = raw[-1]
    assert (stub[1] - stub[0]).days + 1 < 15
    # Supervision at the start of every window but the stub: complete, nothing missed.
    sessions = [e for e in complete() if e.kind != "supervision" and e.date <= end]
    sessions += [ev(f"sv-{n:03d}", "supervision", first) for n, (first, _) in enumerate(raw[:-1])]
    found = one(FREQ, record(*sessions, hours=hours), end + dt.timedelta(days=1))
    assert found.status == "met", found.message


def test_a_council_support_rule_never_makes_at_risk_or_not_met(tmp_path: Path) -> None:
    path = tmp_path / "support.toml"
    path.write_text(
        'version = "council-1"\nframework = "baseline-2026"\n\n'
        "[[rules]]\n"
        'id = "protected-time"\nkind = "count"\ncategory = "support"\n'
        'evidence = ["training"]\nmin = 3\nby = "review-3m"\n',
        encoding="utf-8",
    )
    rs = load_rules(path, FW)
    assert rs.rules[0].category == "support"
    findings = list(judge(rs, record(*complete()), AS_OF).values())
    assert [(f.status, f.category) for f in findings] == [("missed", "support")]
    assert recommend(findings) not in ("at-risk", "not-met")
    assert support_gaps(findings) == 1
    # The same rule as the practitioner's evidence would make it not-met.
    path.write_text(path.read_text(encoding="utf-8").replace('category = "support"\n', ""))
    assert recommend(judge(load_rules(path, FW), record(*complete()), AS_OF).values()) == "not-met"


def test_a_python_assessors_support_finding_is_not_judged() -> None:
    missed = Finding("caseload-ramp", "council", "1", "missed", "m", category="support")
    behind = Finding("ramp", "council", "1", "pending", "m", behind=True, category="support")
    error = Finding("ramp-check", "council", "1", "error", "m", category="support")
    assert recommend([missed, behind, error]) == "on-track"
    met = Finding("do", "baseline", "1", "met", "m")
    assert recommend([met, missed]) == "ready"
    assert recommend([Finding("do", "b", "1", "missed", "m"), missed]) == "not-met"


def test_ecf_assess_shows_support_apart(tmp_path: Path) -> None:
    rec = record(*without(complete(), D(2025, 10, 27)))
    path = tmp_path / "r1.toml"
    create(path, rec)
    result = CliRunner().invoke(main, ["assess", str(path), "--as-of", str(AS_OF)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "recommendation on-track" in lines[0]
    heading = lines.index(
        "Support for the employer (1 support gap; never the practitioner's failure):"
    )
    assert any("supervision" in line and "!!" in line for line in lines[heading:])
    assert not any("supervision" in line for line in lines[:heading])
    as_json = CliRunner().invoke(main, ["assess", str(path), "--as-of", str(AS_OF), "--json"])
    assert '"support_gaps": 1' in as_json.output
    assert '"category": "support"' in as_json.output


def test_supervision_schedule_is_unchanged() -> None:
    # The raw schedule (for ical and the agreements) is still the plain one.
    assert supervision_schedule(START, D(2026, 9, 1))[0] == (START, D(2025, 9, 7))
