"""The plugin manager: find the assessor plugins, load the ones needed, call their hooks one by one.

This module is long because finding plugins from metadata, refusing the malformed ones and
loading the allowed ones on demand are one piece of state: the plugin manager.

Plugins are found through the ``ecf_social_work.assessors`` entry-point group (and, with a
warning, the older ``ecf`` group, until ecf 1.0) (pluggy's model: specs in
:mod:`ecf.hookspecs`, implementations marked with :data:`ecf.hookimpl`).  The national baseline
is an ordinary plugin, ``baseline``, always available.

Finding a plugin imports nothing: its name, distribution, version and module come from the
installed distributions' metadata.  A plugin's module is imported only when it is needed: when a
council that allows it is assessed (:meth:`Plugins.allowed` imports the plugins it returns, and
no other), or when every plugin is listed (:meth:`Plugins.load` with no names, ``ecf plugins``).
An installed plugin no council allows is never imported, so it can neither slow ``ecf`` down
nor run code of its own at import.

A plugin does not load, and says why (:attr:`PluginInfo.error`), when two distributions install
plugins of the same name, when it defines a function named like a hook that is not one (a typo:
``ecf_asess``), or when its module fails to import.  Two environment variables limit what loads,
as pytest's and datasette's do:

* ``ECF_DISABLE_PLUGIN_AUTOLOAD=1``: load no plugin from entry points (the built-in baseline
  stays).
* ``ECF_LOAD_PLUGINS=a,b``: load only these entry-point plugins (empty: none).

:mod:`ecf.assessors` runs the allowed plugins on a record, each in isolation.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import inspect
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from ecf import _logs, hookspecs
from ecf._version import DISTRIBUTION
from ecf.findings import Finding
from ecf.privacy import check_fields
from ecf.rules import BUILTIN_KINDS

if TYPE_CHECKING:
    import importlib.metadata  # noqa: TC004 - annotations only: `importlib` itself is imported above
    from collections.abc import Callable, Iterable

__all__ = [
    "AUTOLOAD_ENV",
    "BASELINE",
    "FIELDS_ATTRIBUTE",
    "HOOKS",
    "LOAD_ENV",
    "NOT_INSTALLED",
    "PluginInfo",
    "Plugins",
    "call",
    "error_finding",
    "get_plugins",
    "installed_entry_points",
    "unavailable_finding",
]

AUTOLOAD_ENV = "ECF_DISABLE_PLUGIN_AUTOLOAD"
LOAD_ENV = "ECF_LOAD_PLUGINS"
BASELINE = "baseline"
_BUILTIN = "ecf.plugins.baseline"
#: Where a plugin module, or a rule kind class, declares the personal fields it needs.
FIELDS_ATTRIBUTE = "ECF_FIELDS"
#: The hooks a plugin may implement: the specs of :mod:`ecf.hookspecs`, by name.
HOOKS: tuple[str, ...] = tuple(
    sorted(
        name
        for name, spec in vars(hookspecs).items()
        if callable(spec) and getattr(spec, f"{hookspecs.PROJECT}_spec", None) is not None
    )
)
#: Why an allowed plugin that no entry point provides did not load.
NOT_INSTALLED = (
    f"not installed (no entry point of that name in the '{hookspecs.ENTRY_POINTS}' group)"
)
_PREFIX = f"{hookspecs.PROJECT}_"
#: Where the import machinery lives: its frames say nothing about where a plugin failed.
_IMPORTLIB = Path(importlib.__file__ or "").parent


@attrs.frozen
class PluginInfo:
    """One plugin as found: where from, which version, whether it loaded and why not.

    Attributes:
        name: The entry point's name: the allow-list, the settings and the findings use it.
        version: Its distribution's version (``unknown`` without one).
        origin: Its distribution and module: ``ecf-caseload (ecf_caseload)``.
        loaded: Its module was imported and its hooks registered.
        error: Why it did not load, or will not (``None``: it loaded, or has not been needed
            yet).
        hooks: The hooks it implements, once loaded.
    """

    name: str
    version: str
    origin: str
    loaded: bool
    error: str | None = None
    hooks: tuple[str, ...] = ()


@attrs.frozen
class _Found:
    """A plugin as the metadata describes it, and how to import it (``None``: refused)."""

    info: PluginInfo
    load: Callable[[], object] | None


@attrs.define
class Plugins:
    """The plugin manager and the plugins found: built once per command (:func:`get_plugins`).

    Nothing is imported when it is built; each plugin is imported the first time it is needed
    (:meth:`load`, :meth:`allowed`), at most once.
    """

    manager: pluggy.PluginManager
    _found: dict[str, _Found]
    _loaded: dict[str, PluginInfo] = attrs.field(factory=dict)

    def found(self) -> dict[str, PluginInfo]:
        """Every plugin found, as known so far, importing none (from the metadata alone).

        A plugin not yet needed has ``loaded`` false and no ``error``; one refused up front (by
        an environment variable, as one of two plugins of one name, or for taking the name
        ``baseline``) has its reason.
        """
        return {name: self._loaded.get(name, f.info) for name, f in self._found.items()}

    def load(self, names: Iterable[str] | None = None) -> dict[str, PluginInfo]:
        """Import the plugins named (every plugin found when ``None``), each at most once.

        Args:
            names: Plugin names, in the order wanted.

        Returns:
            Each name's :class:`PluginInfo`, in that order: loaded, or with the reason it did
            not load (:data:`NOT_INSTALLED` for a name no entry point provides).
        """
        wanted = list(self._found) if names is None else list(names)
        return {name: self._load(name) for name in wanted}

    @property
    def infos(self) -> dict[str, PluginInfo]:
        """Every plugin found, each loaded (this imports every plugin: for listing them)."""
        return self.load()

    def allowed(self, allow: Iterable[str] | None) -> tuple[str, ...]:
        """The plugins of an allow-list that loaded, in its order (``baseline`` by default).

        Imports those plugins, and no other.
        """
        return tuple(name for name, info in self._allow(allow).items() if info.loaded)

    def unavailable(self, allow: Iterable[str] | None) -> tuple[PluginInfo, ...]:
        """The plugins of an allow-list that are not installed or did not load, with why."""
        return tuple(info for info in self._allow(allow).values() if not info.loaded)

    def info(self, name: str) -> PluginInfo:
        """What became of plugin ``name``: imports it if it is found and not yet loaded."""
        return self._load(name)

    def add(
        self, name: str, plugin: object, *, version: str = "unknown", origin: str = ""
    ) -> PluginInfo:
        """Register a plugin object directly, as if an entry point named it (for tests).

        Returns:
            What happened: a plugin already registered keeps the name it has; one with a
            function named like a hook that is not one is refused, as from an entry point.
        """
        registered = self.manager.get_name(plugin)
        if registered is not None:
            known = PluginInfo(registered, version, origin, loaded=True)
            return self._loaded.get(registered, known)
        info = self._register(name, plugin, PluginInfo(name, version, origin, loaded=False))
        self._found[name] = _Found(info, None)
        self._loaded[name] = info
        return info

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
                version = self.info(name).version
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

    def _allow(self, allow: Iterable[str] | None) -> dict[str, PluginInfo]:
        return self.load(list(allow) if allow is not None else [BASELINE])

    def _load(self, name: str) -> PluginInfo:
        if name in self._loaded:
            return self._loaded[name]
        found = self._found.get(name)
        if found is None:
            return PluginInfo(name, "", "", loaded=False, error=NOT_INSTALLED)
        if found.load is None:
            info = found.info
        else:
            if name != BASELINE:  # ours logs nothing; another plugin's log shows as before
                _logs.configure_pending()
            try:
                plugin = found.load()
            except Exception as exc:  # noqa: BLE001 - isolation: report and go on
                info = attrs.evolve(found.info, error=f"failed to import: {_describe(exc)}")
            else:
                info = self._register(name, plugin, found.info)
        self._loaded[name] = info
        return info

    def _register(self, name: str, plugin: object, info: PluginInfo) -> PluginInfo:
        """Register an imported plugin, or refuse it (then it has no hook registered)."""
        wrong = _not_hooks(self.manager, plugin)
        if wrong:
            return attrs.evolve(info, error=_refusal(name, wrong))
        other = self.manager.get_name(plugin)
        if other is not None:
            why = f"refused: its module is already loaded as plugin '{other}'"
            return attrs.evolve(info, error=why)
        try:
            self.manager.register(plugin, name=name)
            self.manager.check_pending()  # what _not_hooks missed, pluggy finds
        except pluggy.PluginValidationError as exc:
            self._unregister(name, plugin)
            text = "; ".join(str(exc).replace(repr(exc.plugin), repr(name)).splitlines())
            return attrs.evolve(info, error=f"refused: {text}")
        except Exception as exc:  # noqa: BLE001 - isolation: report and go on
            self._unregister(name, plugin)
            return attrs.evolve(info, error=f"refused: {_describe(exc)}")
        callers = {c.name for c in self.manager.get_hookcallers(plugin) or []}
        return attrs.evolve(info, loaded=True, hooks=tuple(h for h in HOOKS if h in callers))

    def _unregister(self, name: str, plugin: object) -> None:
        if self.manager.get_plugin(name) is plugin:
            self.manager.unregister(plugin, name=name)


def _not_hooks(manager: pluggy.PluginManager, plugin: object) -> list[tuple[str, str]]:
    """The functions of a plugin named (or marked) for a hook that does not exist.

    Each as ``(function, hook)``.  A function marked with ``hookimpl`` implements the hook it
    is named after (or its ``specname``); one not marked but named ``ecf_...`` is a hook its
    author meant to write.  ``hookimpl(optionalhook=True)`` says on purpose that a hook may not
    exist (one of a later ecf), as in pluggy.
    """
    wrong: list[tuple[str, str]] = []
    for attr in dir(plugin):
        opts = manager.parse_hookimpl_opts(plugin, attr)
        if opts is not None:
            hook = opts.get("specname") or attr
            if hook not in HOOKS and not opts.get("optionalhook"):
                wrong.append((attr, hook))
        elif (
            attr.startswith(_PREFIX)
            and attr not in HOOKS
            and callable(inspect.getattr_static(plugin, attr, None))
        ):
            wrong.append((attr, attr))
    return wrong


def _refusal(name: str, wrong: list[tuple[str, str]]) -> str:
    import difflib  # noqa: PLC0415 - only a misspelt hook needs it (issue 14)

    parts = []
    for function, hook in wrong:
        named = f"'{function}'" if function == hook else f"'{function}' (as '{hook}')"
        close = difflib.get_close_matches(hook, HOOKS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        parts.append(f"{named}{hint}")
    which = "is not a hook" if len(parts) == 1 else "are not hooks"
    return (
        f"refused: plugin '{name}' defines {', '.join(parts)}, which {which}; "
        f"ecf's hooks are {', '.join(HOOKS)}"
    )


def _version(dist: importlib.metadata.Distribution | None) -> str:
    return dist.version if dist is not None else "unknown"


def _origin(ep: importlib.metadata.EntryPoint, *, version: bool = False) -> str:
    """``ecf-caseload (ecf_caseload)``; with the version, ``ecf-caseload 0.1.0 (ecf_caseload)``."""
    dist = getattr(ep, "dist", None)
    if dist is None:
        return ep.value
    name = f"{dist.metadata['Name']} {dist.version}" if version else dist.metadata["Name"]
    return f"{name} ({ep.value})"


def _info(ep: importlib.metadata.EntryPoint, error: str | None = None) -> PluginInfo:
    version = _version(getattr(ep, "dist", None))
    return PluginInfo(ep.name, version, _origin(ep), loaded=False, error=error)


def _both(items: list[str]) -> str:
    return " and ".join(items) if len(items) <= 2 else f"{', '.join(items[:-1])} and {items[-1]}"  # noqa: PLR2004 - "a and b", or "a, b and c"


def _duplicate(name: str, eps: list[importlib.metadata.EntryPoint]) -> PluginInfo:
    eps = sorted(eps, key=_origin)  # the same message whatever order the path lists them in
    origins = [_origin(ep) for ep in eps]
    versions = [_version(getattr(ep, "dist", None)) for ep in eps]
    each = [_origin(ep, version=True) for ep in eps]
    none = "neither loads" if len(eps) == 2 else "none of them loads"  # noqa: PLR2004 - wording
    why = (
        f"{len(eps)} installed plugins are named '{name}': {_both(each)}; {none} "
        "(uninstall all but one)"
    )
    return PluginInfo(
        name, ", ".join(dict.fromkeys(versions)), "; ".join(origins), loaded=False, error=why
    )


def get_plugins(entry_points: Iterable[importlib.metadata.EntryPoint] | None = None) -> Plugins:
    """Find the plugins: the hook specs, the entry-point plugins, the built-in baseline.

    Nothing is imported: each plugin is imported when first needed (see :class:`Plugins`).

    Args:
        entry_points: The entry points to consider (default: the installed ones, see
            :func:`installed_entry_points`); tests pass their own.

    Returns:
        The manager and, for every plugin found, its name, version and origin; those refused
        before any import (by an environment variable, or sharing a name) with the reason.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    own_version = None
    if entry_points is None:
        own_version = _only_ecf_installed()
        entry_points = [] if own_version is not None else installed_entry_points()
    only = os.environ.get(LOAD_ENV)
    limit = None if only is None else {n.strip() for n in only.split(",") if n.strip()}
    autoload = os.environ.get(AUTOLOAD_ENV, "") in ("", "0")
    named: dict[str, list[importlib.metadata.EntryPoint]] = {}
    for ep in entry_points:
        if ep.name == BASELINE and ep.value == _BUILTIN:
            continue  # our own: found below whatever the environment says
        same = named.setdefault(ep.name, [])
        if all(_origin(ep) != _origin(other) for other in same):  # one seen twice is one
            same.append(ep)
    version = own_version if own_version is not None else _version(_own_dist())
    builtin = PluginInfo(BASELINE, version, f"ecf ({_BUILTIN})", loaded=False)
    found = {BASELINE: _Found(builtin, lambda: importlib.import_module(_BUILTIN))}
    for name, eps in named.items():
        if name == BASELINE:
            why = f"the name '{BASELINE}' is reserved for ecf's own assessor"
            for ep in eps:
                found[f"{BASELINE} ({_origin(ep)})"] = _Found(_info(ep, why), None)
        elif not autoload or (limit is not None and name not in limit):
            why = f"{AUTOLOAD_ENV} is set" if not autoload else f"not in {LOAD_ENV}"
            found[name] = _Found(_info(eps[0], why), None)
        elif len(eps) > 1:
            found[name] = _Found(_duplicate(name, eps), None)
        else:
            found[name] = _Found(_info(eps[0]), eps[0].load)
    return Plugins(manager, found)


def installed_entry_points() -> list[importlib.metadata.EntryPoint]:
    """The installed plugins' entry points: ecf's group, then the deprecated ``ecf`` group.

    ecf's group is ``ecf_social_work.assessors`` (:data:`ecf.hookspecs.ENTRY_POINTS`).
    A plugin only in the old group is found, and a warning (logger ``ecf.plugin_manager``) says
    to move it; one in both groups is found once.  The old group is read until ecf 1.0.
    """
    import importlib.metadata  # noqa: PLC0415 - see _only_ecf_installed (issue 14)

    current = list(importlib.metadata.entry_points(group=hookspecs.ENTRY_POINTS))
    seen = {(ep.name, _origin(ep)) for ep in current}
    legacy = [
        ep
        for ep in importlib.metadata.entry_points(group=hookspecs.LEGACY_ENTRY_POINTS)
        if (ep.name, _origin(ep)) not in seen and ep.value != _BUILTIN
    ]
    for ep in legacy:
        _logs.logger(__name__).warning(
            "plugin '%s' (%s) is registered in the deprecated entry-point group '%s'; "
            "register it in '%s' (the old group is read until ecf 1.0)",
            ep.name,
            _origin(ep),
            hookspecs.LEGACY_ENTRY_POINTS,
            hookspecs.ENTRY_POINTS,
        )
    return current + legacy


def _only_ecf_installed() -> str | None:  # noqa: PLR0911 - each doubt answers None at once
    """The version of ecf when no installed distribution but ecf's own declares an ecf plugin.

    ``importlib.metadata`` costs about a fifth of a command's start (issue 14): importing it,
    then reading every distribution's metadata.  This reads the same folders on ``sys.path``
    for the one fact a command needs when no plugin is installed, and answers None (so that
    the caller asks ``importlib.metadata``) whenever it is not sure: a plugin declared in either
    entry-point group, ecf's own distribution not found, a zip or egg on the path, a finder of
    distributions other than the standard one, or ``importlib.metadata`` imported already (a
    host program, or a test, may have put its own entry points there).
    """
    if "importlib.metadata" in sys.modules:
        return None
    if any(
        hasattr(finder, "find_distributions") and finder is not importlib.machinery.PathFinder
        for finder in sys.meta_path
    ):
        return None
    groups = {f"[{hookspecs.ENTRY_POINTS}]", f"[{hookspecs.LEGACY_ENTRY_POINTS}]"}
    own = _normalise(DISTRIBUTION)
    version = None
    for entry in sys.path:
        folder = Path(entry or ".")
        if not folder.is_dir():
            if folder.exists():  # a zip or an egg file: importlib.metadata reads those
                return None
            continue
        if folder.suffix == ".egg":
            return None
        for info in _infos(folder):
            stem = info.name.rsplit(".", 1)[0]  # name-version, or name for an .egg-info
            if version is None and _normalise(stem.partition("-")[0]) == own:
                version = _metadata_version(info)
                if version is None:
                    return None
            if not _declares_no_plugin(info / "entry_points.txt", groups):
                return None
    return version


def _infos(folder: Path) -> list[Path]:
    """The distributions' metadata folders in ``folder``, in the order of their paths.

    Names are filtered and sorted as strings before any path is made (sorting every entry of
    the standard library's folder as paths took most of a command's plugin scan: issue 14);
    ``os.path.normcase`` orders them as paths compare on this system.
    """
    try:
        names = os.listdir(folder)  # noqa: PTH208 - names, not paths: 250 Path objects cost more
    except OSError:
        return []
    found = [n for n in names if n.lower().endswith((".dist-info", ".egg-info"))]
    return [folder / n for n in sorted(found, key=os.path.normcase)]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _metadata_version(info: Path) -> str | None:
    """The ``Version:`` of a distribution's metadata, or None when it cannot be read."""
    try:
        with (info / "METADATA").open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    return None  # the headers ended without a version
                if line.startswith("Version:"):
                    return line.removeprefix("Version:").strip() or None
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _declares_no_plugin(path: Path, groups: set[str]) -> bool:
    """True when the file is absent or its plugin groups hold nothing but ecf's own assessor."""
    try:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    except FileNotFoundError:
        return True
    except (OSError, UnicodeDecodeError):
        return False
    inside = False
    ours = f"{BASELINE}={_BUILTIN}"
    for line in lines:
        if line.startswith("["):
            inside = line in groups
        elif inside and line and not line.startswith(("#", ";")) and "".join(line.split()) != ours:
            return False
    return True


def _own_dist() -> importlib.metadata.Distribution | None:
    import importlib.metadata  # noqa: PLC0415 - see _only_ecf_installed (issue 14)

    try:
        return importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None


def _describe(exc: BaseException) -> str:
    """An exception as ``Type at file:line``: not its message, which may hold personal data.

    The place is the last frame below the one that caught it, outside the import machinery: the
    plugin's own line (for a syntax error, the line of the file that holds it).  A module that
    could not be found is named (a module name is not personal data; the message is not shown).
    """
    import traceback  # noqa: PLC0415 - only a failing plugin needs it (issue 14)

    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)[1:]
        if not f.filename.startswith("<") and not Path(f.filename).is_relative_to(_IMPORTLIB)
    ]
    what = type(exc).__name__
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        what += f" (no module named '{exc.name}')"
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    if isinstance(exc, SyntaxError) and exc.filename:  # the place is the file's, not a frame's
        where = f" at {Path(exc.filename).name}:{exc.lineno}"
    return f"{what}{where}"


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


def unavailable_finding(info: PluginInfo) -> Finding:
    """The finding that stands for an allowed plugin that is not installed or did not load."""
    return Finding(
        rule=f"{info.name}:not-loaded",
        assessor=info.name,
        version=info.version,
        status="error",
        message=(
            f"allowed plugin '{info.name}' did not run: {info.error}; its findings are missing"
        ),
    )
