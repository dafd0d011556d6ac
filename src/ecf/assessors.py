"""Assessors: find the plugins, run each one in isolation, and gather what they found.

Plugins are found through the ``ecf`` entry-point group (pluggy's model: specs in
:mod:`ecf.hookspecs`, implementations marked with :data:`ecf.hookimpl`).  The national baseline
is an ordinary plugin, ``baseline``.  Two environment variables limit what loads, as pytest's and
datasette's do:

* ``ECF_DISABLE_PLUGIN_AUTOLOAD=1``: load no plugin from entry points (the built-in baseline
  stays).
* ``ECF_LOAD_PLUGINS=a,b``: load only these entry-point plugins (empty: none).

A plugin that is installed but not in the council's allow-list never runs; without a council
configuration only ``baseline`` runs.  Each plugin is called on its own: one that fails to
import, raises, returns something malformed or changes its input yields an ``error`` finding
naming it, and every other assessor still runs.  Nothing here writes anything.

Each assessor sees a minimal view of the record (:func:`ecf.privacy.view`): the career facts,
and only the personal fields it declares it needs.  A plugin declares them in a module-level
``ECF_FIELDS`` (a set of field paths, ``{"evidence.by", "extra.caseload"}``); a rule kind in a
class attribute of the same name, so that a rule file gets what its rules read.  A plugin that
declares nothing never sees a name, a registration number, a note or an author.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import importlib
import importlib.metadata
import os
import traceback
import types
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from ecf import hookspecs
from ecf.errors import EcfError, Problem
from ecf.privacy import check_fields, view
from ecf.progression import timeline_for
from ecf.rules import (
    BUILTIN_KINDS,
    FINDING_STATUSES,
    Context,
    Finding,
    Recommendation,
    RuleSet,
    evaluate,
    load_rules,
    recommend,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ecf.council import Council
    from ecf.framework import Framework, FrameworkRegistry
    from ecf.records import Enrolment, Record

__all__ = [
    "AUTOLOAD_ENV",
    "LOAD_ENV",
    "Assessment",
    "Change",
    "PluginInfo",
    "Plugins",
    "assess",
    "get_plugins",
    "what_if",
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


def _well_formed(item: object, record: Record) -> str | None:
    if not isinstance(item, Finding):
        return f"returned a {type(item).__name__}, not a Finding"
    if not item.rule or item.status not in FINDING_STATUSES or not isinstance(item.message, str):
        return f"returned a malformed finding (rule {item.rule!r}, status {item.status!r})"
    known = {e.id for e in record.evidence}
    unknown = [e for e in item.evidence if e not in known]
    if unknown:
        return f"cited evidence the record does not hold: {', '.join(unknown)}"
    if item.deadline is not None and not isinstance(item.deadline, dt.date):
        return "returned a deadline that is not a date"
    return None


@attrs.frozen
class Assessment:
    """What the assessors found for one record as of a date, and the recommendation.

    The recommendation is the library's; the decision stays with people (``ecf decide``).
    """

    id: str
    stage: str
    as_of: dt.date
    recommendation: Recommendation
    findings: tuple[Finding, ...]
    council: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``ecf assess --json``."""
        return {
            "id": self.id,
            "stage": self.stage,
            "as_of": self.as_of.isoformat(),
            "council": self.council,
            "recommendation": self.recommendation,
            "findings": [f.to_json() for f in self.findings],
        }


def _enrolment(record: Record, as_of: dt.date) -> Enrolment:
    started = [e for e in record.enrolments if e.start <= as_of] or list(record.enrolments[:1])
    return started[-1]


def context_for(
    record: Record,
    registry: FrameworkRegistry,
    as_of: dt.date,
    council: Council | None = None,
) -> Context:
    """The frozen context assessors receive for a record's stage as of a date.

    A council's ``pause_threshold_days`` replaces the framework's before due dates are computed.
    """
    from ecf.council import CouncilSettings  # noqa: PLC0415 - small, but only needed here

    enrolment = _enrolment(record, as_of)
    fw = registry.get(enrolment.framework)
    settings = council.settings if council else CouncilSettings()
    if settings.pause_threshold_days is not None:
        fw = attrs.evolve(fw, pause_threshold_days=settings.pause_threshold_days)
    stage = fw.stage(enrolment.stage)
    if stage is None:
        raise EcfError([Problem("unknown stage", "enrolments.stage", enrolment.stage)])
    tl = timeline_for(record, enrolment, registry, as_of, framework=fw)
    return Context(record, enrolment, stage, fw, tl, as_of, council=settings)


def rule_fields(rules: RuleSet) -> tuple[frozenset[str], list[str]]:
    """The personal fields the rules of a set read (their kinds' ``ECF_FIELDS``), and problems."""
    fields: set[str] = set()
    problems: list[str] = []
    for rule in rules.rules:
        found, bad = check_fields(getattr(rule, FIELDS_ATTRIBUTE, None))
        fields |= found
        problems.extend(f"rule '{rule.id}': {line}" for line in bad)
    return frozenset(fields), problems


class _Views:
    """The minimal views of one record, made once per set of declared fields."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._made: dict[frozenset[str], Record] = {}

    def __call__(self, ctx: Context, fields: frozenset[str]) -> Context:
        """``ctx`` with the record as an assessor that declared ``fields`` sees it."""
        if fields not in self._made:
            self._made[fields] = view(self.ctx.record, fields, (self.ctx.framework,))
        return attrs.evolve(ctx, record=self._made[fields])


def _run_guarded(
    name: str, version: str, hook: str, ctx: Context, run: Callable[[Context], Iterable[Finding]]
) -> list[Finding]:
    # Each plugin gets its own copy of the one mutable part of a record, so a plugin that
    # changes it harms neither the caller nor the plugins that run after it.  ``ctx`` holds the
    # minimal view this plugin may see (see ``_Views``), never more.
    given = ctx.record.extra
    ctx = attrs.evolve(ctx, record=attrs.evolve(ctx.record, extra=copy.deepcopy(given)))
    # A record is frozen: it can change only in its extra table, or by a field reassigned
    # behind attrs' back; both are cheap to check (no unstructuring in the cohort's hot loop).
    fields = _fields(ctx.record)
    try:
        produced = run(ctx)
        findings = list(produced) if produced is not None else []
    except Exception as exc:  # noqa: BLE001 - isolation: one plugin never stops the others
        return [error_finding(name, version, hook, exc)]
    changed = ctx.record.extra != given or any(
        a is not b for a, b in zip(fields, _fields(ctx.record), strict=True)
    )
    if changed:
        return [error_finding(name, version, hook, "changed the record it was given")]
    for item in findings:
        problem = _well_formed(item, ctx.record)
        if problem:
            return [error_finding(name, version, hook, problem)]
    return [attrs.evolve(f, assessor=name, version=f.version or version) for f in findings]


def _fields(record: Record) -> tuple[object, ...]:
    return tuple(getattr(record, f.name) for f in attrs.fields(type(record)))


_RULES_CACHE: dict[tuple[object, ...], RuleSet] = {}


def _load_rules(path: Path, framework: Framework, kinds: Mapping[str, type[Any]]) -> RuleSet:
    """A rule file, loaded once per process while the file and the rule kinds stay the same.

    A cohort assesses thousands of records against the same few rule files: reading and
    checking them again for each record would cost more than the assessment.
    """
    try:
        st = path.stat()
        key: tuple[object, ...] = (
            str(path.resolve()),
            st.st_mtime_ns,
            st.st_size,
            framework.version,
            tuple(sorted((k, id(v)) for k, v in kinds.items())),
        )
    except OSError:
        return load_rules(path, framework, kinds)  # reports the problem in its own words
    if key not in _RULES_CACHE:
        _RULES_CACHE[key] = load_rules(path, framework, kinds)
    return _RULES_CACHE[key]


def _rule_sets(
    plugins: Plugins, name: str, ctx: Context, kinds: Mapping[str, type[Any]]
) -> tuple[list[RuleSet], list[Finding]]:
    sets: list[RuleSet] = []
    errors: list[Finding] = []
    version = plugins.infos[name].version
    for impl in plugins.impls("ecf_rule_files", name):
        try:
            files = call(impl, {"settings": types.MappingProxyType(dict(ctx.settings))}) or []
            sets.extend(_load_rules(Path(f), ctx.framework, kinds) for f in files)
        except EcfError as exc:
            errors.append(error_finding(name, version, "ecf_rule_files", "; ".join(exc.lines())))
        except Exception as exc:  # noqa: BLE001 - isolation
            errors.append(error_finding(name, version, "ecf_rule_files", exc))
    return sets, errors


def _judge(rules: RuleSet, assessor: str, ctx: Context) -> Iterable[Finding]:
    return evaluate(rules, ctx, assessor)


def _call_assess(impl: pluggy.HookImpl, ctx: Context) -> Iterable[Finding]:
    result: Iterable[Finding] = call(impl, {"context": ctx})
    return result


def assess(
    record: Record,
    registry: FrameworkRegistry,
    as_of: dt.date,
    *,
    council: Council | None = None,
    plugins: Plugins | None = None,
    rules: Iterable[RuleSet] | None = None,
) -> Assessment:
    """Run every allowed assessor on a record's stage as of a date.

    Args:
        record: A valid record.
        registry: The frameworks.
        as_of: The assessment date.
        council: The council's configuration: allow-list, settings, its own rule files.
        plugins: The plugin manager (default: :func:`get_plugins`).
        rules: Rule sets to judge with *instead of* every plugin's and the council's rule files
            (a what-if); Python assessors still run.

    Returns:
        The findings of every assessor, and the recommendation.

    Raises:
        EcfError: the record's framework is unknown, or a council rule file is invalid.
    """
    plugins = plugins or get_plugins()
    ctx = context_for(record, registry, as_of, council)
    views = _Views(ctx)
    allowed = plugins.allowed(council.assessors_for(ctx.stage.id) if council else None)
    kinds, findings = plugins.rule_kinds(allowed)
    proposed = list(rules) if rules is not None else None
    for name in allowed:
        version = plugins.infos[name].version
        declared, bad = plugins.fields(name)
        if bad:
            findings.append(error_finding(name, version, FIELDS_ATTRIBUTE, "; ".join(bad)))
            continue
        settings = types.MappingProxyType(council.settings_for(name) if council else {})
        pctx = attrs.evolve(ctx, settings=settings)
        if proposed is None:
            sets, errors = _rule_sets(plugins, name, pctx, kinds)
            findings.extend(errors)
            for rs in sets:
                needs, bad = rule_fields(rs)
                if bad:
                    findings.append(error_finding(name, rs.version, "rules", "; ".join(bad)))
                    continue
                judge = functools.partial(_judge, rs, name)
                rctx = views(pctx, declared | needs)
                findings.extend(_run_guarded(name, rs.version, "rules", rctx, judge))
        for impl in plugins.impls("ecf_assess", name):
            run = functools.partial(_call_assess, impl)
            findings.extend(_run_guarded(name, version, "ecf_assess", views(pctx, declared), run))
    judged: list[tuple[str, RuleSet]] = []
    if proposed is None and council is not None:
        own = f"council:{council.code}"
        judged.extend(
            (own, _load_rules(p, ctx.framework, kinds))
            for p in council.rule_files_for(ctx.stage.id)
        )
    judged.extend(("proposed", rs) for rs in proposed or [])
    for assessor, rs in judged:
        needs, bad = rule_fields(rs)
        if bad:
            findings.append(error_finding(assessor, rs.version, "rules", "; ".join(bad)))
        else:
            findings.extend(evaluate(rs, views(ctx, needs), assessor))
    return Assessment(
        id=record.id,
        stage=ctx.stage.id,
        as_of=as_of,
        recommendation=recommend(findings),
        findings=tuple(findings),
        council=council.code if council else None,
    )


@attrs.frozen
class Change:
    """How one rule's finding differs between the current rules and proposed ones."""

    rule: str
    before: Finding | None
    after: Finding | None

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``ecf assess --rules NEW --diff``."""
        return {
            "rule": self.rule,
            "before": self.before.status if self.before else None,
            "after": self.after.status if self.after else None,
            "before_message": self.before.message if self.before else None,
            "after_message": self.after.message if self.after else None,
        }


def what_if(current: Assessment, proposed: Assessment) -> tuple[Change, ...]:
    """The findings that differ, rule by rule, between two assessments of the same record."""
    before = {f.rule: f for f in current.findings}
    after = {f.rule: f for f in proposed.findings}
    changes = []
    for rule in dict.fromkeys([*before, *after]):
        b, a = before.get(rule), after.get(rule)
        if b is None or a is None or (b.status, b.message) != (a.status, a.message):
            changes.append(Change(rule, b, a))
    return tuple(changes)
