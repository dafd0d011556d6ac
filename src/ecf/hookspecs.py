"""The hooks an ``ecf`` plugin may implement: specs only, each with its docstring.

A plugin is a module (or object) found through the ``ecf_social_work.assessors`` entry-point
group::

    [project.entry-points."ecf_social_work.assessors"]
    my-council = "my_council_plugin"

and implements any of these hooks, marked with :data:`ecf.hookimpl`.  The national baseline is
itself a plugin (``ecf.plugins.baseline``), registered the same way.  Every hook receives at
most one frozen object, so a hook can gain context in a later version without breaking a
plugin's signature.  ``docs/plugins.md`` documents each hook; a test fails when it misses one.

A plugin sees the career facts of a record and only the personal fields it declares, in a
module-level set (not a hook: it is data, read before any hook runs)::

    ECF_FIELDS = frozenset({"evidence.by", "extra.caseload"})

The paths are those of :data:`ecf.privacy.FIELDS`, or ``extra.KEY``; a rule kind declares the
fields its rules read in a class attribute of the same name.  Undeclared personal fields reach
the plugin blank (:func:`ecf.privacy.view`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

    from ecf.findings import Context, Finding

__all__ = ["ENTRY_POINTS", "LEGACY_ENTRY_POINTS", "PROJECT", "hookimpl", "hookspec"]

#: The pluggy project name: hooks are ``ecf_*`` and the markers ``ecf_spec``/``ecf_impl``.
PROJECT = "ecf"

#: The entry-point group plugins register in, named after the distribution (``ecf-social-work``).
ENTRY_POINTS = "ecf_social_work.assessors"

#: The group used before the distribution was named ``ecf-social-work``: still read, with a
#: warning, until ecf 1.0.
LEGACY_ENTRY_POINTS = "ecf"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def ecf_assess(context: Context) -> Iterable[Finding] | None:
    """Judge one record's stage and return findings.

    Called once per assessment for every allowed plugin that implements it, in isolation: if it
    raises, returns something other than :class:`~ecf.rules.Finding` values, or changes its
    input, the assessment records an ``error`` finding naming the plugin and goes on with the
    others.  Fill in each finding's ``rule``, ``status``, ``message``, ``evidence`` (ids),
    ``standards`` and ``deadline``; ``assessor`` and ``version`` are set by ``ecf``.

    Args:
        context: The record (its career facts, and the personal fields the plugin declares in
            its module's ``ECF_FIELDS``), the stage and its framework version, the as-of date
            and this plugin's settings from the council's configuration.

    Returns:
        Findings, or ``None`` when the plugin has nothing to say about this record.
    """


@hookspec
def ecf_rule_files(settings: Mapping[str, Any]) -> Iterable[Path] | None:
    """Rule files this plugin ships, in ecf's TOML rule language.

    A council with no Python developer writes only TOML rules and this one hook.  Each file is
    checked when loaded (as ``ecf rules check`` does) and judged by ``ecf``'s rule engine; its
    findings carry this plugin's name as their assessor.

    Args:
        settings: This plugin's settings from the council's configuration.

    Returns:
        Paths of rule files.
    """


@hookspec
def ecf_rule_kinds() -> Mapping[str, type[Any]] | None:
    """New kinds of rule for the TOML rule language, by the name used as ``kind``.

    Each kind is a frozen attrs class with the fields its ``[[rules]]`` table holds (at least
    ``id``, ``stages``, ``services`` and ``standards``) and an ``evaluate(ctx, results)`` method
    returning one :class:`~ecf.rules.Finding` (see :class:`ecf.rules.RuleKind`).

    Returns:
        Rule classes by kind name.
    """
