"""The assessor commands: assess, plugins, rules check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ecf.cli import (
    DATE,
    EXIT_BAD_INPUT,
    council_config,
    dumps,
    echo,
    fail,
    load_valid,
    state,
    today,
    warn_unavailable,
)
from ecf.cli.types import COUNCIL, RECORD

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable, Mapping
    from pathlib import Path

    from ecf.assessors import Assessment
    from ecf.errors import Problem
    from ecf.findings import Finding
    from ecf.plugin_manager import Plugins


@click.command()
@click.argument("file", type=RECORD)
@click.option("--council", "council_file", type=COUNCIL, help="The council's council.toml.")
@click.option("--as-of", type=DATE, help="The date to assess as of (default: today).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
@click.option(
    "--rules",
    "proposed",
    type=COUNCIL,
    help="What if: judge with this rule file instead of the current rule files; writes nothing.",
)
@click.option(
    "--diff", is_flag=True, help="With --rules: show only what differs from the current rules."
)
def assess(
    file: Path,
    council_file: Path | None,
    as_of: dt.date | None,
    as_json: bool,
    proposed: Path | None,
    diff: bool,
) -> None:
    """Run the assessors on a record and explain the recommendation.

    Exit 0 whatever the recommendation: the library recommends, people decide.
    """
    from ecf.assessors import assess as assess_
    from ecf.assessors import get_plugins, what_if
    from ecf.rules import load_rules

    record = load_valid(file)
    council = council_config(council_file)
    registry = state().registry
    when = as_of or today()
    found = get_plugins()
    warn_unavailable(council, found)
    current = assess_(record, registry, when, council=council, plugins=found)
    if proposed is None:
        if diff:
            fail(["--diff needs --rules NEW.toml"])
        _print_assessment(current, as_json)
        return
    enrolment = current.stage
    fw = registry.get(next(e.framework for e in record.enrolments if e.stage == enrolment))
    rules = load_rules(proposed, fw)
    after = assess_(record, registry, when, council=council, plugins=found, rules=[rules])
    if not diff:
        _print_assessment(after, as_json)
        return
    changes = what_if(current, after)
    if as_json:
        from ecf.schemas import tag

        echo(
            dumps(
                {
                    "schema": tag("assess-diff"),
                    "id": record.id,
                    "before": current.recommendation,
                    "after": after.recommendation,
                    "changes": changes,
                }
            )
        )
        return
    echo(f"{record.id}: {current.recommendation} -> {after.recommendation} with {proposed}")
    for change in changes:
        before = change.before.status if change.before else "(no rule)"
        now = change.after.status if change.after else "(no rule)"
        text = (
            change.after.message if change.after else change.before.message if change.before else ""
        )
        echo(f"  {change.rule}: {before} -> {now}  {text}")


_MARK = {"met": "ok", "pending": "..", "missed": "!!", "not-applicable": "--", "error": "ERR"}


def _print_assessment(result: Assessment, as_json: bool) -> None:
    if as_json:
        from ecf._convert import to_json
        from ecf.schemas import tag

        echo(dumps({"schema": tag("assess"), **to_json(result)}))
        return
    echo(
        f"{result.id}: {result.stage} as of {result.as_of}: recommendation {result.recommendation}"
    )
    echo("(a recommendation only: the decision is people's, recorded with `ecf decide`)")
    order = {"error": 0, "missed": 1, "pending": 2, "met": 3, "not-applicable": 4}
    ranked = sorted(result.findings, key=lambda f: (order[f.status], not f.behind))
    _print_findings([f for f in ranked if f.category != "support"])
    support = [f for f in ranked if f.category == "support"]
    if any(f.status != "not-applicable" for f in support):
        echo(
            f"Support for the employer ({result.support_gaps} support "
            f"gap{'' if result.support_gaps == 1 else 's'}; never the practitioner's failure):"
        )
        _print_findings(support)
    tuned = [(f, f.override) for f in result.findings if f.override is not None]
    if tuned:
        echo("Council overrides (rules not applied as shipped):")
        for f, override in tuned:
            echo(f"  {f.rule} [{f.assessor} {f.version}]: {override.describe()}")


def _print_findings(findings: list[Finding]) -> None:
    for f in findings:
        if f.status == "not-applicable":
            continue
        behind = " (behind pace)" if f.behind else ""
        source = f"{f.assessor} {f.version}".strip()  # no version: a plugin not installed
        tuned = " (council override)" if f.override is not None else ""
        echo(f"  {_MARK[f.status]:<3} {f.rule} [{source}]: {f.message}{behind}{tuned}")
        if f.evidence:
            echo(f"      evidence: {', '.join(f.evidence)}")
        if f.standards:
            echo(f"      standards: {', '.join(f.standards)}")


@click.command()
@click.option(
    "--council", "council_file", type=COUNCIL, help="Show which plugins this council allows."
)
@click.option(
    "--json", "as_json", is_flag=True, help='One JSON object ("schema": "plugins/1"), for scripts.'
)
def plugins(council_file: Path | None, as_json: bool) -> None:
    """List the assessor plugins: installed, allowed, version, origin, and load failures."""
    from ecf.assessors import get_plugins

    council = council_config(council_file)
    found = get_plugins()
    every = found.load()  # listing them is the one time every installed plugin is imported
    allowed = set(found.allowed(council.plugins if council else None))
    missing = found.unavailable(council.plugins if council else None)
    rows: list[dict[str, Any]] = []
    listed = [*every.values(), *(i for i in missing if i.name not in every)]  # not installed
    for info in sorted(listed, key=lambda i: i.name):
        rows.append(
            {
                "name": info.name,
                "version": info.version,
                "origin": info.origin,
                "loaded": info.loaded,
                "allowed": info.name in allowed,
                "hooks": list(info.hooks),
                "error": info.error,
            }
        )
    if as_json:
        from ecf.schemas import tag

        echo(dumps({"schema": tag("plugins"), "plugins": rows}, indent=2))
        return
    for row in rows:
        state = "allowed" if row["allowed"] else "not allowed" if row["loaded"] else "not loaded"
        why = f": {row['error']}" if row["error"] else ""
        hooks = f" [{', '.join(row['hooks'])}]" if row["hooks"] else ""
        version = f" {row['version']}" if row["version"] else ""
        origin = f" ({row['origin']})" if row["origin"] else ""
        echo(f"{row['name']}{version}{origin}: {state}{why}{hooks}")
    if council is None:
        echo("(without --council, only 'baseline' is allowed)")


@click.group()
def rules() -> None:
    """Work with rule files in ecf's TOML rule language."""


@rules.command("check")
@click.argument("files", nargs=-1, type=COUNCIL)
@click.option(
    "--framework-version",
    "version",
    help="The framework version to check against (default: the file's, else the current one).",
)
@click.option(
    "--council",
    "council_file",
    type=COUNCIL,
    help="Also check a council.toml: its rule files and its [rules.ID] overrides.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='One JSON object ("schema": "rules-check/1"): each file, its rules, its problems.',
)
def rules_check(
    files: tuple[Path, ...], version: str | None, council_file: Path | None, as_json: bool
) -> None:
    """Check rule files before any record is assessed; exit 2 if any is invalid."""
    from ecf.assessors import get_plugins
    from ecf.errors import EcfError
    from ecf.limits import load_toml
    from ecf.rules import BUILTIN_KINDS, RuleError, load_rules_data

    if not files and council_file is None:
        msg = "give rule FILES to check, or --council FILE"
        raise click.UsageError(msg)
    registry = state().registry
    found = get_plugins()
    # The kinds plugins add: the plugins are imported only when a file uses a kind not built in.
    plugin_kinds: Mapping[str, type[Any]] | None = None
    bad = 0
    rows: list[dict[str, object]] = []
    for file in files:
        try:
            data = load_toml(file, RuleError)
            declared = data.get("framework")
            if version is None and isinstance(declared, str) and declared in registry.versions():
                data_version: str | None = declared
            else:
                data_version = version
            kinds: Mapping[str, type[Any]] = BUILTIN_KINDS
            if _kinds_used(data) - set(BUILTIN_KINDS):
                if plugin_kinds is None:
                    every = found.load()
                    plugin_kinds, _ = found.rule_kinds(n for n, i in every.items() if i.loaded)
                kinds = plugin_kinds
            rs = load_rules_data(data, registry.get(data_version), file=str(file), kinds=kinds)
        except EcfError as exc:
            bad += 1
            if as_json:
                rows.append(_checked(file, None, None, exc.problems))
                continue
            for line in exc.lines():
                echo(f"error: {line}", err=True)
        else:
            if as_json:
                rows.append(_checked(file, rs.version, len(rs.rules), ()))
                continue
            echo(f"{file}: ok ({rs.version}, {len(rs.rules)} rules)")
    if council_file is not None:
        bad += _check_council(council_file, found, rows if as_json else None)
    if as_json:
        from ecf.schemas import tag

        echo(dumps({"schema": tag("rules-check"), "files": rows, "invalid": bad}))
    if bad:
        raise click.exceptions.Exit(EXIT_BAD_INPUT)


def _check_council(path: Path, found: Plugins, rows: list[dict[str, object]] | None) -> int:
    """Check a council file's rule files and overrides; the number of files that failed.

    With ``rows`` (``--json``) the result is appended there instead of printed.
    """
    from ecf.council import load_council
    from ecf.errors import EcfError
    from ecf.rules import load_rules
    from ecf.tuning import check_council

    try:
        council = load_council(path)
        framework = state().registry.get(council.framework)
        kinds, _ = found.rule_kinds(found.allowed(council.plugins))
        for own in council.all_rule_files():  # checked as the assessments will load them
            load_rules(own, framework, kinds)
        check_council(council, state().registry, found)
    except EcfError as exc:
        if rows is not None:
            rows.append(_checked(path, None, None, exc.problems))
            return 1
        for line in exc.lines():
            echo(f"error: {line}", err=True)
        return 1
    count = len(council.overrides)
    if rows is not None:
        rows.append(_checked(path, None, None, ()))
        return 0
    echo(f"{path}: ok ({count} rule override{'' if count == 1 else 's'})")
    return 0


def _checked(
    file: Path, version: str | None, count: int | None, problems: Iterable[Problem]
) -> dict[str, object]:
    """One file of ``ecf rules check --json``."""
    from ecf.cli import problems_json

    found = problems_json(problems)
    return {
        "file": str(file),
        "valid": not found,
        "version": version,
        "rules": count,
        "problems": found,
    }


def _kinds_used(data: Mapping[str, Any]) -> set[str]:
    rules = data.get("rules")
    if not isinstance(rules, list):
        return set()
    return {r["kind"] for r in rules if isinstance(r, dict) and isinstance(r.get("kind"), str)}
