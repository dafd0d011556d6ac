"""The plugin manager: find the assessor plugins, load them, and call their hooks one by one.

Plugins are found through the ``ecf`` entry-point group (pluggy's model: specs in
:mod:`ecf.hookspecs`, implementations marked with :data:`ecf.hookimpl`).  The national baseline
is an ordinary plugin, ``baseline``.  Two environment variables limit what loads, as pytest's and
datasette's do:

* ``ECF_DISABLE_PLUGIN_AUTOLOAD=1``: load no plugin from entry points (the built-in baseline
  stays).
* ``ECF_LOAD_PLUGINS=a,b``: load only these entry-point plugins (empty: none).

:mod:`ecf.assessors` runs the allowed plugins on a record, each in isolation.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from ecf import hookspecs
from ecf.findings import Finding
from ecf.privacy import check_fields
from ecf.rules import BUILTIN_KINDS

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "AUTOLOAD_ENV",
    "BASELINE",
    "FIELDS_ATTRIBUTE",
    "LOAD_ENV",
    "PluginInfo",
    "Plugins",
    "call",
    "error_finding",
    "get_plugins",
]

AUTOLOAD_ENV = "ECF_DISABLE_PLUGIN_AUTOLOAD"
LOAD_ENV = "ECF_LOAD_PLUGINS"
BASELINE = "baseline"
_BUILTIN = "ecf.plugins.baseline"
#: Where a plugin module, or a rule kind class, declares the personal fields it needs.
FIELDS_ATTRIBUTE = "ECF_FIELDS"


@attrs.frozen
class PluginInfo:
    """One plugin as found: where from, which version, whether it loaded and may run."""

    name: str
    version: str
    origin: str
    loaded: bool
    error: str | None = None
    hooks: tuple[str, ...] = ()


@attrs.define
class Plugins:
    """The plugin manager and what was found: built once per process (see :func:`get_plugins`)."""

    manager: pluggy.PluginManager
    infos: dict[str, PluginInfo]

    def allowed(self, allow: Iterable[str] | None) -> tuple[str, ...]:
        """The loaded plugins that may run, in allow-list order (baseline alone by default)."""
        names = list(allow) if allow is not None else [BASELINE]
        return tuple(n for n in names if n in self.infos and self.infos[n].loaded)

    def fields(self, name: str) -> tuple[frozenset[str], list[str]]:
        """The personal fields plugin ``name`` declares it needs (``ECF_FIELDS``), and problems."""
        return check_fields(getattr(self.manager.get_plugin(name), FIELDS_ATTRIBUTE, None))

    def impls(self, hook: str, name: str) -> list[pluggy.HookImpl]:
        """The implementations of ``hook`` that plugin ``name`` registered."""
        caller = getattr(self.manager.hook, hook)
        return [i for i in caller.get_hookimpls() if i.plugin_name == name]

    def rule_kinds(self, allowed: Iterable[str]) -> tuple[dict[str, type[Any]], list[Finding]]:
        """The built-in rule kinds plus those of the allowed plugins (errors as findings)."""
        kinds: dict[str, type[Any]] = dict(BUILTIN_KINDS)
        errors: list[Finding] = []
        for name in allowed:
            for impl in self.impls("ecf_rule_kinds", name):
                version = self.infos[name].version
                try:
                    result = call(impl, {})
                except Exception as exc:  # noqa: BLE001 - isolation: a plugin never stops the others
                    errors.append(error_finding(name, version, "ecf_rule_kinds", exc))
                    continue
                if result is None:
                    continue
                if isinstance(result, Mapping) and all(isinstance(k, str) for k in result):
                    kinds.update(result)
                else:
                    bad = "did not return a dict of kind name to rule class"
                    errors.append(error_finding(name, version, "ecf_rule_kinds", bad))
        return kinds, errors


def _version(dist: importlib.metadata.Distribution | None) -> str:
    return dist.version if dist is not None else "unknown"


def _hooks(plugin: object) -> tuple[str, ...]:
    return tuple(
        n
        for n in ("ecf_assess", "ecf_rule_files", "ecf_rule_kinds")
        if callable(getattr(plugin, n, None))
    )


def get_plugins(entry_points: Iterable[importlib.metadata.EntryPoint] | None = None) -> Plugins:
    """Build a plugin manager: the hook specs, the entry-point plugins, the built-in baseline.

    Args:
        entry_points: The entry points to load (default: the installed ``ecf`` group); tests
            pass their own.

    Returns:
        The manager and, for every plugin found, what happened when loading it.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    infos: dict[str, PluginInfo] = {}
    if entry_points is None:
        entry_points = importlib.metadata.entry_points(group=hookspecs.PROJECT)
    only = os.environ.get(LOAD_ENV)
    limit = None if only is None else {n.strip() for n in only.split(",") if n.strip()}
    autoload = os.environ.get(AUTOLOAD_ENV, "") in ("", "0")
    for ep in entry_points:
        dist = getattr(ep, "dist", None)
        origin = f"{dist.metadata['Name']} ({ep.value})" if dist is not None else ep.value
        if ep.name == BASELINE and ep.value == _BUILTIN:
            continue  # our own: registered below whatever the environment says
        if ep.name == BASELINE:
            why = f"the name '{BASELINE}' is reserved for ecf's own assessor"
            infos[f"{BASELINE} ({origin})"] = PluginInfo(
                ep.name, _version(dist), origin, loaded=False, error=why
            )
            continue
        if not autoload or (limit is not None and ep.name not in limit):
            why = f"{AUTOLOAD_ENV} is set" if not autoload else f"not in {LOAD_ENV}"
            infos[ep.name] = PluginInfo(ep.name, _version(dist), origin, loaded=False, error=why)
            continue
        try:
            plugin = ep.load()
            manager.register(plugin, name=ep.name)
        except Exception as exc:  # noqa: BLE001 - isolation: report and go on
            infos[ep.name] = PluginInfo(
                ep.name, _version(dist), origin, loaded=False, error=_describe(exc)
            )
            continue
        infos[ep.name] = PluginInfo(
            ep.name, _version(dist), origin, loaded=True, hooks=_hooks(plugin)
        )
    builtin = importlib.import_module(_BUILTIN)
    manager.register(builtin, name=BASELINE)
    infos[BASELINE] = PluginInfo(
        BASELINE, _version(_own_dist()), f"ecf ({_BUILTIN})", loaded=True, hooks=_hooks(builtin)
    )
    return Plugins(manager, infos)


def _own_dist() -> importlib.metadata.Distribution | None:
    try:
        return importlib.metadata.distribution("ecf")
    except importlib.metadata.PackageNotFoundError:
        return None


def _describe(exc: BaseException) -> str:
    """An exception as ``Type at file:line``: not its message, which may hold personal data."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{where}"


def call(impl: pluggy.HookImpl, kwargs: Mapping[str, Any]) -> Any:
    """Call one hook implementation with the arguments it asks for (pluggy's convention)."""
    return impl.function(*[kwargs[name] for name in impl.argnames])


def error_finding(plugin: str, version: str, hook: str, exc: BaseException | str) -> Finding:
    """The finding that stands for a plugin's failure."""
    what = exc if isinstance(exc, str) else f"raised {_describe(exc)}"
    return Finding(
        rule=f"{plugin}:{hook}",
        assessor=plugin,
        version=version,
        status="error",
        message=f"assessor '{plugin}' failed in {hook}: {what}; its findings are missing",
    )
