"""The national baseline assessor: an ordinary plugin, registered through the ``ecf`` entry point.

Its rules are data, in ecf's own rule language (``ecf/data/rules/baseline-2026.toml``, and
``ecdp-2027.toml`` for the ECDP).  In
Python it adds only what a council's settings switch on: the completion deadline
(``completion_months``), which the rule language has no kind for because it concerns a
decision, not evidence.

It reads career facts only (stages, evidence kinds, dates and standards, decisions' outcomes and
dates), so it declares no personal field: it never sees a name, a note or an author.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecf.findings import Finding
from ecf.hookspecs import hookimpl
from ecf.timeline import add_months

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ecf.findings import Context, FindingStatus

RULES = Path(__file__).resolve().parent.parent / "data" / "rules"
#: The personal fields this assessor reads: none (see ``docs/plugins.md``).
ECF_FIELDS: frozenset[str] = frozenset()


#: The shipped rule files judged by default: the 2026 baseline's, and the ECDP's (its rules are
#: left out under a framework without the ``ecdp`` stage).
DEFAULT_RULES = ("baseline-2026", "ecdp-2027")
#: Their files, made once (the hook is called for every record a report assesses: issue 14).
_DEFAULT_FILES = tuple(RULES / f"{version}.toml" for version in DEFAULT_RULES)


@hookimpl
def ecf_rule_files(settings: Mapping[str, Any]) -> Iterable[Path]:
    """The baseline rule sets (``settings["rules"]`` names another shipped version instead)."""
    if "rules" in settings:
        return [RULES / f"{settings['rules']}.toml"]
    return list(_DEFAULT_FILES)


@hookimpl
def ecf_assess(context: Context) -> Iterable[Finding]:
    """The completion deadline a council sets: the stage passed within N months of its start."""
    months = context.council.completion_months
    if months is None:
        return []
    start = context.enrolment.start
    deadline = add_months(start, months)
    passed = [
        d
        for d in context.record.decisions_for(context.stage.id)
        if d.outcome == "pass" and d.date <= context.as_of
    ]
    status: FindingStatus
    if passed:
        status = "met" if passed[-1].date <= deadline else "missed"
        message = f"passed on {passed[-1].date}, deadline {deadline} ({months} months from {start})"
    else:
        status = "pending" if context.as_of <= deadline else "missed"
        message = f"not yet passed; the deadline is {deadline} ({months} months from {start})"
    return [Finding("completion-deadline", "", "", status, message, deadline=deadline)]
