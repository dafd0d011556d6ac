"""A council's stricter evidence rules, as an ``ecf`` plugin with no Python logic of its own.

The rules are data (``rules.toml`` beside this file, in ecf's TOML rule language); this module
only tells ``ecf`` where they are.  A council allows the plugin by its entry-point name::

    plugins = ["baseline", "stricter"]
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecf.hookspecs import hookimpl

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["ECF_FIELDS", "RULES", "ecf_rule_files"]

#: The rule file this plugin ships.
RULES = Path(__file__).resolve().parent / "rules.toml"
#: The personal fields the plugin itself reads: none.  Its ``distinct-authors`` rule reads the
#: evidence's authors (``evidence.by``), which that rule kind declares for it.
ECF_FIELDS: frozenset[str] = frozenset()


@hookimpl
def ecf_rule_files(settings: Mapping[str, Any]) -> Iterable[Path]:  # noqa: ARG001 - no settings
    """The stricter rule set, whatever the council's settings."""
    return [RULES]
