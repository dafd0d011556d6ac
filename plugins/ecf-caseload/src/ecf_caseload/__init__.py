"""Protected caseload for newly qualified social workers, as an ``ecf`` plugin.

It adds a rule kind to ecf's TOML rule language, ``caseload-ramp`` (:mod:`ecf_caseload.ramp`),
and ships a rule file that uses it (``rules.toml`` beside this file: the Newham ramp, 25% of a
full caseload to 3 months, 50% by 6, 70% by 9, 90% by 12).  The caseload is read from each
record's ``[[extra.caseload]]`` entries (``date`` and ``cases``).  A council allows it and sets
its full caseload in ``council.toml``::

    plugins = ["baseline", "caseload"]

    [plugin.caseload]
    full_caseload = 18
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecf.hookspecs import hookimpl

from ecf_caseload.ramp import CaseloadRampRule

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["ECF_FIELDS", "RULES", "CaseloadRampRule", "ecf_rule_files", "ecf_rule_kinds"]

#: The rule file this plugin ships.
RULES = Path(__file__).resolve().parent / "rules.toml"
#: The personal fields the plugin reads: the record's caseload recordings, and nothing else of
#: its ``[extra]`` table (the ``caseload-ramp`` kind declares the same for rules in any file).
ECF_FIELDS: frozenset[str] = CaseloadRampRule.ECF_FIELDS


@hookimpl
def ecf_rule_kinds() -> Mapping[str, type[Any]]:
    """The ``caseload-ramp`` kind, for this plugin's rules and the council's own."""
    return {CaseloadRampRule.kind: CaseloadRampRule}


@hookimpl
def ecf_rule_files(settings: Mapping[str, Any]) -> Iterable[Path]:  # noqa: ARG001 - read by the rule
    """The caseload ramp rules; ``full_caseload`` from the settings is read when they run."""
    return [RULES]
