"""The ``caseload-ramp`` rule kind: a protected caseload that grows in steps over the first year.

A record holds its caseload in its ``[extra]`` table, one entry per recording::

    [[extra.caseload]]
    date = 2025-11-03
    cases = 4

A rule names the milestones where each step ends and the share of a full caseload allowed up to
each (the Newham ramp, ecf's docs/domain.md "Supervision": 25% to 3 months, 50% by 6, 70% by 9,
90% by 12)::

    [[rules]]
    id = "caseload-ramp"
    kind = "caseload-ramp"
    stages = ["asye", "ecf-1"]
    at = ["review-3m", "review-6m", "review-9m", "end"]
    percent = [25, 50, 70, 90]

A caseload recorded on a day up to a milestone's due date may not exceed that milestone's share
of a full caseload.  The due dates come from the stage's timeline, so they already move for
part-time work and pausing absences; the full caseload is pro rata to the working pattern of
the day (``pro_rata = false`` turns that off).  The full caseload is the rule's
``full_caseload``, else the council's setting for the plugin (``[plugin.caseload]
full_caseload = 18``), else 20.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
from ecf.rules import Finding, FindingStatus
from ecf.timeline import add_months

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ecf.rules import Context

__all__ = ["DEFAULT_FULL_CASELOAD", "KEY", "CaseloadRampRule", "Recording", "read_caseload"]

#: The full caseload when neither the rule nor the council's settings give one.
DEFAULT_FULL_CASELOAD = 20
#: The key of the record's ``[extra]`` table that holds the recordings.
KEY = "caseload"
#: How many excesses a finding's message lists before it says "and N more".
_SHOWN = 3


@attrs.frozen
class Recording:
    """One recorded caseload: ``cases`` open cases on ``date``; ``index`` in ``extra.caseload``."""

    index: int
    date: dt.date
    cases: int


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def read_caseload(extra: Mapping[str, Any]) -> tuple[tuple[Recording, ...], tuple[str, ...]]:
    """The caseload recordings of a record's ``[extra]`` table, and what could not be read.

    Args:
        extra: The record's ``extra`` table.

    Returns:
        The readable recordings (oldest first), and one "path: problem" line per unreadable one.
    """
    raw = extra.get(KEY)
    if raw is None:
        return (), ()
    if not isinstance(raw, list):
        return (), (f"extra.{KEY}: expected [[extra.{KEY}]] tables with date and cases",)
    found: list[Recording] = []
    problems: list[str] = []
    for i, entry in enumerate(raw):
        where = f"extra.{KEY}[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a table with date and cases")
            continue
        day = _date(entry.get("date"))
        cases = entry.get("cases")
        if day is None:
            problems.append(f"{where}.date: expected a date such as 2026-01-05")
        elif isinstance(cases, bool) or not isinstance(cases, int) or cases < 0:
            problems.append(f"{where}.cases: expected a whole number of 0 or more")
        else:
            found.append(Recording(i, day, cases))
    return tuple(sorted(found, key=lambda r: (r.date, r.index))), tuple(problems)


def _month(start: dt.date, day: dt.date) -> int:
    """The month of the stage ``day`` falls in, counting the first as month 1."""
    month = 1
    while add_months(start, month) <= day:
        month += 1
    return month


def _number(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.1f}".rstrip("0").rstrip(".")


def _cases(value: Fraction) -> str:
    return f"{_number(value)} case{'' if value == 1 else 's'}"


@attrs.frozen
class _Step:
    milestone: str
    title: str
    due: dt.date
    percent: int


@attrs.frozen
class CaseloadRampRule:
    """A caseload recorded up to each milestone at most ``percent`` of a full caseload.

    Attributes:
        at: The milestones where each step of the ramp ends (``end``: the stage's expected end).
        percent: The share of a full caseload allowed up to each of them, one per milestone.
        full_caseload: A full caseload in cases; unset, the council's setting for the plugin,
            else 20.
        pro_rata: The full caseload scales with the working pattern of the day.
    """

    kind: ClassVar[str] = "caseload-ramp"
    #: It reads the caseload recordings of the record's ``[extra]`` table, nothing else of it.
    ECF_FIELDS: ClassVar[frozenset[str]] = frozenset({f"extra.{KEY}"})
    id: str
    at: tuple[str, ...] = ("review-3m", "review-6m", "review-9m", "end")
    percent: tuple[int, ...] = (25, 50, 70, 90)
    full_caseload: int | None = None
    pro_rata: bool = True
    title: str = ""
    stages: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    standards: tuple[str, ...] = ()

    def _full(self, ctx: Context) -> tuple[int | None, str]:
        """The full caseload, or None and why it is not usable."""
        if self.full_caseload is not None:
            value: object = self.full_caseload
            source = "the rule's full_caseload"
        else:
            value = ctx.settings.get("full_caseload", DEFAULT_FULL_CASELOAD)
            source = "the council's setting full_caseload for this plugin"
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            return None, f"{source} must be a whole number of 1 or more (got {value!r})"
        return value, ""

    def _config_problem(self) -> str | None:
        if len(self.at) != len(self.percent):
            return (
                f"percent must give one share per milestone in at ({len(self.at)}), "
                f"got {len(self.percent)}"
            )
        bad = [p for p in self.percent if not 0 <= p <= 100]  # noqa: PLR2004 - a percentage
        if bad:
            return f"percent must be between 0 and 100 (got {bad[0]})"
        return None

    def _steps(self, ctx: Context) -> list[_Step]:
        steps: list[_Step] = []
        for milestone, percent in zip(self.at, self.percent, strict=True):
            due = ctx.due(milestone)
            if due is None:
                continue
            if milestone == "end":
                last = ctx.stage.last_dated
                title = last.title.lower() if last else "end of the stage"
            else:
                found = ctx.stage.milestone(milestone)
                title = found.title.lower() if found else milestone
            steps.append(_Step(milestone, title, due, percent))
        steps.sort(key=lambda s: s.due)
        return steps

    def _error(self, problem: str) -> Finding:
        return Finding(self.id, "", "", "error", f"rule '{self.id}': {problem}")

    def evaluate(self, ctx: Context, results: Mapping[str, Finding]) -> Finding:  # noqa: ARG002
        """Compare every caseload recorded in the stage, up to the as-of date, with its step."""
        problem = self._config_problem()
        full, why = self._full(ctx)
        if problem or full is None:
            return self._error(problem or why)
        steps = self._steps(ctx)
        shares = [s.percent for s in steps]
        if shares != sorted(shares):
            return self._error("percent must not decrease from one milestone to the next")
        if not steps:
            return Finding(
                self.id,
                "",
                "",
                "not-applicable",
                f"{ctx.stage.id} has none of the milestones {', '.join(self.at)}",
            )
        return self._judge(ctx, full, steps)

    def _judge(self, ctx: Context, full: int, steps: list[_Step]) -> Finding:
        start, last = ctx.enrolment.start, steps[-1].due
        recordings, unreadable = read_caseload(ctx.record.extra)
        judged = [r for r in recordings if start <= r.date <= min(last, ctx.as_of)]
        over: list[tuple[Recording, _Step, Fraction]] = []
        for rec in judged:
            step = next(s for s in steps if rec.date <= s.due)
            fte = ctx.record.fte_on(rec.date) if self.pro_rata else Fraction(1)
            cap = Fraction(step.percent, 100) * full * fte
            if rec.cases > cap:
                over.append((rec, step, cap))
        ignored = (
            f"; could not read {len(unreadable)} recording"
            f"{'' if len(unreadable) == 1 else 's'}: {'; '.join(unreadable)}"
            if unreadable
            else ""
        )
        if over:
            shown = [self._excess(ctx, full, *item) for item in over[:_SHOWN]]
            more = f"; and {len(over) - _SHOWN} more" if len(over) > _SHOWN else ""
            first_step = over[0][1]
            return Finding(
                self.id,
                "",
                "",
                "missed",
                "caseload above the ramp: " + "; ".join(shown) + more + ignored,
                standards=self.standards,
                deadline=first_step.due,
            )
        if unreadable:
            return Finding(
                self.id,
                "",
                "",
                "pending",
                f"caseload cannot be judged until the record is fixed{ignored}",
                standards=self.standards,
                deadline=last,
                behind=True,
            )
        if not judged:
            return Finding(
                self.id,
                "",
                "",
                "not-applicable",
                f"no caseload recorded in {ctx.stage.id} yet (the record's [[extra.{KEY}]])",
            )
        latest = judged[-1]
        status: FindingStatus = "met" if ctx.as_of >= last else "pending"
        so_far = "" if status == "met" else " so far"
        message = (
            f"caseload within the ramp{so_far}: {len(judged)} recording"
            f"{'' if len(judged) == 1 else 's'}, the latest {_cases(Fraction(latest.cases))} "
            f"on {latest.date}; ramp of {', '.join(f'{s.percent}%' for s in steps)} "
            f"of a full caseload of {full} to the {steps[-1].title} (due {last})"
        )
        return Finding(self.id, "", "", status, message, standards=self.standards, deadline=last)

    def _excess(self, ctx: Context, full: int, rec: Recording, step: _Step, cap: Fraction) -> str:
        fte = ctx.record.fte_on(rec.date)
        at_fte = f" at {float(fte):g} FTE" if self.pro_rata and fte != 1 else ""
        return (
            f"{_cases(Fraction(rec.cases))} on {rec.date} in month "
            f"{_month(ctx.enrolment.start, rec.date)}: above {step.percent}% of a full caseload "
            f"of {full}{at_fte} ({_cases(cap)}) allowed until the {step.title} (due {step.due})"
        )
