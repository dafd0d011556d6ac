"""Shell completion from the framework data: stage ids, milestone ids, evidence kinds, outcomes.

Click completes commands and options by itself; these callbacks add the values that are data
(``shell_complete=`` on an option or argument).  They read the frameworks ecf would use: the
shipped ones, ``$ECF_FRAMEWORK_PATH``, and any ``--framework`` given before the command.  A
framework that cannot be read completes nothing rather than printing an error into the shell.

Enable it once per shell (``docs/conventions.md``)::

    eval "$(_ECF_COMPLETE=bash_source ecf)"   # bash, in ~/.bashrc
    eval "$(_ECF_COMPLETE=zsh_source ecf)"    # zsh, in ~/.zshrc
    _ECF_COMPLETE=fish_source ecf | source    # fish
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import click
    from click.shell_completion import CompletionItem

    from ecf.framework import Framework

__all__ = ["absence_kinds", "evidence_kinds", "milestones", "outcomes", "stages"]


def _frameworks(ctx: click.Context) -> list[Framework]:
    from pathlib import Path

    from ecf.errors import EcfError
    from ecf.framework import FrameworkRegistry

    extra = ctx.find_root().params.get("frameworks") or ()
    try:
        registry = FrameworkRegistry.default([Path(f) for f in extra])
        return [registry.get(v) for v in registry.versions()]
    except (EcfError, OSError):
        return []


def _items(
    pick: Callable[[Framework], Iterable[tuple[str, str]]],
) -> Callable[[click.Context, click.Parameter, str], list[CompletionItem]]:
    """A completion callback offering the ``(id, title)`` pairs ``pick`` finds in each framework."""

    def complete(
        ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        del param  # the same values whichever option asks
        from click.shell_completion import CompletionItem

        seen: dict[str, str] = {}
        for fw in _frameworks(ctx):
            for value, title in pick(fw):
                seen.setdefault(value, title)
        return [
            CompletionItem(value, help=title)
            for value, title in sorted(seen.items())
            if value.startswith(incomplete)
        ]

    return complete


#: Stage ids (``asye``, ``ecf-1``, ...).
stages = _items(lambda fw: ((s.id, s.title) for s in fw.stages))
#: Milestone ids of every stage (``review-3m``, ``final-review``, ...).
milestones = _items(lambda fw: ((m.id, m.title) for s in fw.stages for m in s.milestones))
#: Evidence kinds (``direct-observation``, ...).
evidence_kinds = _items(lambda fw: ((k.id, k.title) for k in fw.evidence_kinds))
#: Absence kinds (``sickness``, ...).
absence_kinds = _items(lambda fw: ((k.id, k.title) for k in fw.absence_kinds))
#: Decision outcomes (``pass``, ``fail``, ...).
outcomes = _items(lambda fw: ((o.id, o.title) for o in fw.outcomes))
