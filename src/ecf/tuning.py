"""A council's overrides of single rules (``[rules.ID]`` in ``council.toml``), applied and checked.

A council tunes the rules its assessors run without copying them: it switches one off
(``enabled = false`` with a ``reason`` each assessment shows) or changes its parameters
(``min``, ``periods``, ``by``...).  :func:`ecf.rules.tune` applies the overrides to one rule set;
this module applies them to every set an assessment judges, once per set and council
(:func:`tuned`), and checks a council's overrides against every rule it may run before any
record is assessed (:func:`check_council`).  Proposed rules (``ecf assess --rules``) are never
tuned: they are judged as written.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import TYPE_CHECKING

from ecf.errors import EcfError, Problem
from ecf.plugin_manager import Plugins, call, get_plugins
from ecf.rules import RuleError, RuleSet, load_rules, tune

if TYPE_CHECKING:
    from ecf.council import Council
    from ecf.framework import Framework, FrameworkRegistry

__all__ = ["check_council", "tuned"]

_TUNED: dict[tuple[int, int], tuple[RuleSet, Council, RuleSet]] = {}
#: How many tuned rule sets are kept (a few per council and framework version).
_TUNED_MOST = 256


def tuned(rules: RuleSet, council: Council | None, framework: Framework) -> RuleSet:
    """A rule set with the council's overrides (:func:`ecf.rules.tune`), made once per pair.

    A cohort judges thousands of records with the same few sets: tuning them again for each
    record would cost more than the assessment.

    Raises:
        RuleError: an override does not fit the rule it names (see :func:`ecf.rules.tune`).
    """
    if council is None or not council.overrides:
        return rules
    key = (id(rules), id(council))
    cached = _TUNED.get(key)
    if cached is not None and cached[0] is rules and cached[1] is council:
        return cached[2]
    made = tune(rules, council.overrides, council.code, framework, file=council.file)
    if len(_TUNED) > _TUNED_MOST:
        _TUNED.clear()
    _TUNED[key] = (rules, council, made)
    return made


def _rule_sets(council: Council, framework: Framework, plugins: Plugins) -> list[RuleSet]:
    """Every rule set the council may run: its allowed plugins' and its own, for any stage."""
    allowed = plugins.allowed(council.plugins)
    kinds, _ = plugins.rule_kinds(allowed)
    sets: list[RuleSet] = []
    for name in allowed:
        settings = types.MappingProxyType(council.settings_for(name))
        for impl in plugins.impls("ecf_rule_files", name):
            try:
                files = call(impl, {"settings": settings}) or []
                sets.extend(load_rules(Path(f), framework, kinds) for f in files)
            except Exception:  # noqa: BLE001, S112 - a plugin that fails is an error finding
                continue  # of every assessment; its rules cannot be tuned meanwhile
    sets.extend(load_rules(p, framework, kinds) for p in council.all_rule_files())
    return sets


def check_council(
    council: Council, registry: FrameworkRegistry, plugins: Plugins | None = None
) -> None:
    """Check a council's overrides of single rules against the rules they tune.

    Every rule set the council may run is loaded (each allowed plugin's, and the council's own
    files for any stage) under the council's framework version, and each ``[rules.ID]`` is
    checked as :func:`ecf.rules.tune` checks it; an override that names no rule of any of
    them is an error too.  The command line runs this wherever ``--council`` is given, before
    any record is read.

    Args:
        council: A council configuration (:func:`ecf.council.load_council`).
        registry: The frameworks; the council's ``framework`` version (else the newest).
        plugins: The plugin manager (default: :func:`ecf.plugin_manager.get_plugins`).

    Raises:
        RuleError: naming the council file, the entry (``rules.ID``) and the field of every
            problem: an unknown rule or parameter, a wrong type, an unknown milestone...
        EcfError: a rule file of the council's own cannot be read or checked.
    """
    if not council.overrides:
        return
    framework = registry.get(council.framework)
    sets = _rule_sets(council, framework, plugins or get_plugins())
    known = sorted({r.id for rs in sets for r in rs.rules})
    problems: list[Problem] = [
        Problem(
            f"unknown rule (the rules council {council.code} runs: {', '.join(known)})",
            f"rules.{override.rule}",
            override.rule,
            council.file,
        )
        for override in council.overrides
        if override.rule not in known
    ]
    for rs in sets:
        try:
            tune(rs, council.overrides, council.code, framework, file=council.file)
        except EcfError as exc:
            problems.extend(p for p in exc.problems if p not in problems)
    if problems:
        raise RuleError(problems)
