"""Assessors: run each allowed plugin on a record in isolation, and gather what they found.

The plugins are found by :mod:`ecf.plugin_manager`, and imported only when a council allows
them.  A plugin that is installed but not in the council's allow-list is never imported and
never runs; without a council configuration only ``baseline`` runs.  An allowed plugin that is
not installed or did not load (it failed to import, or was refused) is an ``error`` finding
naming it, so the recommendation is never made as if its rules were met.  Each plugin, and
each rule set (a plugin's, the council's own, a proposed one), runs on its own: one that
raises, returns something malformed or changes its input yields an ``error`` finding naming
it, and every other assessor still runs.  Nothing here writes anything.

Each assessor sees a minimal view of the record (:func:`ecf.privacy.view`): the career facts,
and only the personal fields it declares it needs.  A plugin declares them in a module-level
``ECF_FIELDS`` (a set of field paths, ``{"evidence.by", "extra.caseload"}``); a rule kind in a
class attribute of the same name, so that a rule file gets what its rules read.  A plugin that
declares nothing never sees a name, a registration number, a note or an author.

This module is long because the run is one piece: the guards around each plugin, the views it
sees and the rule files it judges with must agree, and a report that assesses every record
needs each of them made cheap together (issue 14).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ecf._convert import register_json
from ecf._replace import getter, replace
from ecf.errors import EcfError, Problem
from ecf.findings import (
    CATEGORIES,
    FINDING_STATUSES,
    Context,
    Finding,
    Recommendation,
    recommend,
    support_gaps,
)
from ecf.items import in_force
from ecf.plugin_manager import (
    AUTOLOAD_ENV,
    FIELDS_ATTRIBUTE,
    LOAD_ENV,
    PluginInfo,
    Plugins,
    call,
    error_finding,
    get_plugins,
    unavailable_finding,
)
from ecf.privacy import check_fields, view
from ecf.progression import framework_for, timeline_for
from ecf.rules import RuleSet, evaluate, load_rules
from ecf.tuning import tuned

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    import pluggy

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


def _well_formed(item: object, known: frozenset[str]) -> str | None:
    if not isinstance(item, Finding):
        return f"returned a {type(item).__name__}, not a Finding"
    if not item.rule or item.status not in FINDING_STATUSES or not isinstance(item.message, str):
        return f"returned a malformed finding (rule {item.rule!r}, status {item.status!r})"
    if item.category not in CATEGORIES:
        return f"returned a finding of unknown category {item.category!r} (rule {item.rule!r})"
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
    ``support_gaps`` counts the support findings missed (one per support rule, as supervision):
    the employer's gaps, shown apart and never counted towards the recommendation.
    """

    id: str
    stage: str
    as_of: dt.date
    recommendation: Recommendation
    findings: tuple[Finding, ...]
    council: str | None = None
    support_gaps: int = 0


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

    A council's settings apply to the framework before due dates are computed, as they do to
    status, timelines and cohort rows (:func:`ecf.progression.framework_for`).
    """
    from ecf.council_settings import CouncilSettings  # noqa: PLC0415 - only needed here

    record = in_force(record)  # a retracted evidence item is never counted nor cited
    enrolment = _enrolment(record, as_of)
    settings = council.settings if council else CouncilSettings()
    fw = framework_for(enrolment, registry, settings)
    stage = fw.stage(enrolment.stage)
    if stage is None:
        raise EcfError([Problem("unknown stage", "enrolments.stage", enrolment.stage)])
    tl = timeline_for(record, enrolment, registry, as_of, framework=fw)
    return Context(record, enrolment, stage, fw, tl, as_of, council=settings)


def rule_fields(rules: RuleSet) -> tuple[frozenset[str], list[str]]:
    """The personal fields the rules of a set read (their kinds' ``ECF_FIELDS``), and problems."""
    # A rule set is judged once a record, and its rules never change: asked once per rule set
    # (kept by identity, as long as the rule set is kept).
    known = _RULE_FIELDS.get(id(rules))
    if known is not None and known[0] is rules:
        return known[1], list(known[2])
    if len(_RULE_FIELDS) >= _KEPT:
        _RULE_FIELDS.clear()
    found, problems = _rule_fields(rules)
    _RULE_FIELDS[id(rules)] = (rules, found, tuple(problems))
    return found, problems


#: :func:`rule_fields`'s answers, by the rule set's identity, and how many are kept at most.
_RULE_FIELDS: dict[int, tuple[RuleSet, frozenset[str], tuple[str, ...]]] = {}
_KEPT = 256


def _rule_fields(rules: RuleSet) -> tuple[frozenset[str], list[str]]:
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
            # A view declaring fewer fields is made from one declaring more, if made already:
            # what both blank is blank there already, so a long history is not stripped twice
            # (the same view: stripping is idempotent, tests/test_assess_speed.py).
            wider = next((made for known, made in self._made.items() if fields <= known), None)
            source = self.ctx.record if wider is None else wider
            self._made[fields] = view(source, fields, (self.ctx.framework,))
        return replace(ctx, {"record": self._made[fields]})


def _run_guarded(
    name: str, version: str, hook: str, ctx: Context, run: Callable[[Context], Iterable[Finding]]
) -> list[Finding]:
    # Each plugin gets its own copy of the one mutable part of a record, so a plugin that
    # changes it harms neither the caller nor the plugins that run after it.  ``ctx`` holds the
    # minimal view this plugin may see (see ``_Views``), never more.
    given = ctx.record.extra
    ctx = replace(ctx, {"record": replace(ctx.record, {"extra": copy.deepcopy(given)})})
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
    known = frozenset(e.id for e in ctx.record.evidence)
    for item in findings:
        problem = _well_formed(item, known)
        if problem:
            return [error_finding(name, version, hook, problem)]
    # A rule set's findings name their assessor and version already: those are kept as made.
    return [
        f
        if f.assessor == name and f.version
        else replace(f, {"assessor": name, "version": f.version or version})
        for f in findings
    ]


def _fields(record: Record) -> tuple[object, ...]:
    every = getter(type(record))
    if every is not None:
        return every(record)
    return tuple(getattr(record, f.name) for f in attrs.fields(type(record)))


_RULES_CACHE: dict[tuple[object, ...], RuleSet] = {}


def _load_rules(path: Path, framework: Framework, kinds: Mapping[str, type[Any]]) -> RuleSet:
    """A rule file, loaded once per process while the file and the rule kinds stay the same.

    A cohort assesses thousands of records against the same few rule files: reading and
    checking them again for each record would cost more than the assessment.  The file is
    known by what one ``stat`` of it gives (issue 14: resolving its path for every record was
    a tenth of the export's time): its device and inode (the same file under any path, as the
    resolved path was), its modification time and size.  A file changed, or replaced by
    another, is read and checked again.
    """
    try:
        st = path.stat()
    except OSError:
        return load_rules(path, framework, kinds)  # reports the problem in its own words
    key: tuple[object, ...] = (
        st.st_dev,
        st.st_ino,
        st.st_mtime_ns,
        st.st_size,
        framework.version,
        frozenset(kinds.items()),  # each kind by its class: the same classes, in any order
    )
    found = _RULES_CACHE.get(key)
    if found is None:
        found = _RULES_CACHE[key] = load_rules(path, framework, kinds)
    return found


def _rule_sets(
    plugins: Plugins, name: str, ctx: Context, kinds: Mapping[str, type[Any]]
) -> tuple[list[RuleSet], list[Finding]]:
    sets: list[RuleSet] = []
    errors: list[Finding] = []
    version = plugins.info(name).version
    for impl in plugins.impls("ecf_rule_files", name):
        try:
            files = call(impl, {"settings": types.MappingProxyType(dict(ctx.settings))}) or []
            sets.extend(
                _load_rules(f if isinstance(f, Path) else Path(f), ctx.framework, kinds)
                for f in files
            )
        except EcfError as exc:
            errors.append(error_finding(name, version, "ecf_rule_files", "; ".join(exc.lines())))
        except Exception as exc:  # noqa: BLE001 - isolation
            errors.append(error_finding(name, version, "ecf_rule_files", exc))
    return sets, errors


def _judge(rules: RuleSet, assessor: str, ctx: Context) -> Iterable[Finding]:
    return evaluate(rules, ctx, assessor)


def _judge_guarded(
    assessor: str,
    rules: RuleSet,
    ctx: Context,
    views: _Views,
    declared: frozenset[str] = frozenset(),
) -> list[Finding]:
    """One rule set judged in isolation: a plugin's, the council's own or a proposed one.

    A rule kind that raises, or returns something malformed, makes one ``error`` finding naming
    the assessor; the other assessors and rule sets still run.
    """
    needs, bad = rule_fields(rules)
    if bad:
        return [error_finding(assessor, rules.version, "rules", "; ".join(bad))]
    judge = functools.partial(_judge, rules, assessor)
    return _run_guarded(assessor, rules.version, "rules", views(ctx, declared | needs), judge)


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
        council: The council's configuration: allow-list, settings, its own rule files, its
            overrides of single rules (:mod:`ecf.tuning`; never applied to ``rules``).
        plugins: The plugin manager (default: :func:`get_plugins`).
        rules: Rule sets to judge with *instead of* every plugin's and the council's rule files
            (a what-if); Python assessors still run.

    Returns:
        The findings of every assessor, and the recommendation.  An allowed plugin that is not
        installed or did not load is an ``error`` finding (``NAME:not-loaded``); a rule set
        or hook that fails is one ``error`` finding naming its assessor (the plugin,
        ``council:CODE`` or ``proposed``).

    Raises:
        EcfError: the record's framework is unknown, or a council rule file or override is
            invalid (``ecf rules check`` and :func:`ecf.tuning.check_council` say so first).
    """
    plugins = plugins or get_plugins()
    ctx = context_for(record, registry, as_of, council)
    views = _Views(ctx)
    names = council.assessors_for(ctx.stage.id) if council else None
    allowed = plugins.allowed(names)  # imports these plugins, and no other
    findings = [unavailable_finding(info) for info in plugins.unavailable(names)]
    kinds, errors = plugins.rule_kinds(allowed)
    findings.extend(errors)
    proposed = list(rules) if rules is not None else None
    for name in allowed:
        version = plugins.info(name).version
        declared, bad = plugins.fields(name)
        if bad:
            findings.append(error_finding(name, version, FIELDS_ATTRIBUTE, "; ".join(bad)))
            continue
        settings = types.MappingProxyType(council.settings_for(name) if council else {})
        pctx = replace(ctx, {"settings": settings})
        if proposed is None:
            sets, errors = _rule_sets(plugins, name, pctx, kinds)
            findings.extend(errors)
            for rs in sets:
                findings.extend(
                    _judge_guarded(name, tuned(rs, council, ctx.framework), pctx, views, declared)
                )
        for impl in plugins.impls("ecf_assess", name):
            run = functools.partial(_call_assess, impl)
            findings.extend(_run_guarded(name, version, "ecf_assess", views(pctx, declared), run))
    judged: list[tuple[str, RuleSet]] = []
    if proposed is None and council is not None:
        own = f"council:{council.code}"
        judged.extend(
            (own, tuned(_load_rules(p, ctx.framework, kinds), council, ctx.framework))
            for p in council.rule_files_for(ctx.stage.id)
        )
    judged.extend(("proposed", rs) for rs in proposed or [])
    for assessor, rs in judged:
        findings.extend(_judge_guarded(assessor, rs, ctx, views))
    if record.began is not None:
        findings = [_before_record(f, record.began) for f in findings]
    return Assessment(
        id=record.id,
        stage=ctx.stage.id,
        as_of=as_of,
        recommendation=recommend(findings),
        findings=tuple(findings),
        council=council.code if council else None,
        support_gaps=support_gaps(findings),
    )


def _before_record(finding: Finding, began: dt.date) -> Finding:
    """A finding whose deadline came before the record began is not judged: nothing is known.

    An existing member of staff onboarded mid-stage has no evidence in ecf from before: a rule
    due before the record began is ``not-applicable`` rather than missed.
    """
    if finding.deadline is None or finding.deadline >= began or finding.status == "met":
        return finding
    if finding.status not in ("missed", "pending"):
        return finding
    return attrs.evolve(
        finding,
        status="not-applicable",
        behind=False,
        message=f"{finding.message} (not judged: due {finding.deadline}, before the record "
        f"began on {began})",
    )


@attrs.frozen
class Change:
    """How one rule's finding differs between the current rules and proposed ones."""

    rule: str
    before: Finding | None
    after: Finding | None


register_json(
    Change,
    omit=("before", "after"),
    computed=lambda c: {
        "before": c.before.status if c.before else None,
        "after": c.after.status if c.after else None,
        "before_message": c.before.message if c.before else None,
        "after_message": c.after.message if c.after else None,
    },
)


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
