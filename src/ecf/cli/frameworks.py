"""The command that reads the framework data: frameworks (versions, stages, standards, kinds)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ecf.cli import dumps, echo, state

if TYPE_CHECKING:
    from ecf.framework import Framework, StageDef


@click.command()
@click.option(
    "--framework-version",
    "version",
    metavar="VERSION",
    help="Show one framework version: its stages, milestones, outcomes and appeal window.",
)
@click.option(
    "--standards",
    is_flag=True,
    help="List the standard sets: ids, titles and in-force dates (of --framework-version, "
    "default the current one).",
)
@click.option(
    "--evidence-kinds",
    is_flag=True,
    help="List the evidence kinds and the absence kinds with their flags.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
def frameworks(version: str | None, standards: bool, evidence_kinds: bool, as_json: bool) -> None:
    """List the framework versions, or the stages and milestones of one.

    Without options: every version, each stage with its status (current or superseded) and the
    start dates it is open to.  --framework-version VERSION shows one version in full;
    --standards and --evidence-kinds list what that version (default: the current one) holds.
    --json prints one JSON object whose "schema" key names its shape: "frameworks/1" (the
    versions), "framework/1" (one version), "framework-lists/1" (--standards, --evidence-kinds).
    """
    from ecf import catalogue

    registry = state().registry
    if standards or evidence_kinds:
        fw = registry.get(version)
        if as_json:
            echo(dumps(catalogue.describe_lists(fw, standards=standards, kinds=evidence_kinds)))
            return
        if standards:
            _print_standards(fw)
        if evidence_kinds:
            _print_kinds(fw)
        return
    if version is None:
        if as_json:
            echo(dumps(catalogue.list_versions(registry)))
            return
        for v in registry.versions():
            fw = registry.get(v)
            mark = " (current)" if v == registry.current else ""
            if fw.in_force_from is not None:
                mark += f" (new stages from {fw.in_force_from})"
            echo(f"{v}{mark}: {fw.title}")
            for stage in fw.stages:
                echo(f"  {stage.id}: {stage.status}; {_openings(stage)}")
        return
    fw = registry.get(version)
    if as_json:
        echo(dumps(catalogue.describe_version(fw)))
        return
    for stage in fw.stages:
        follows = ", ".join(stage.follows)
        echo(f"{stage.id}: {stage.title} (follows {follows})")
        echo(f"  status: {stage.status}; {_openings(stage)}")
        for ms in stage.milestones:
            at = f"{ms.months} months" if ms.months else "no due date"
            flags = " optional" if ms.optional else ""
            flags += "" if ms.verified else " (unverified)"
            echo(f"  {ms.id}: {ms.title}, {at}{flags}")
    echo("outcomes:")
    for outcome in fw.outcomes:
        does = [
            name
            for name, on in (
                ("closes the stage", outcome.closes),
                ("opens the next", outcome.opens),
                ("ends the path", outcome.ends_path),
                ("needs --until", outcome.needs_until),
            )
            if on
        ]
        only = f" (only {', '.join(outcome.stages)})" if outcome.stages else ""
        reasons = ", ".join(fw.reasons_for(outcome.id))
        need = f"; --reason {'required' if outcome.reason_required else 'one of'}: {reasons}"
        echo(
            f"  {outcome.id}{only}: {', '.join(does) or 'keeps the stage open'}"
            + (need if reasons else "")
        )
    window = fw.appeal_window
    echo(
        f"appeal window: {window.working_days} working days after the decision, "
        f"{window.holidays} bank holidays not counted"
    )


def _openings(stage: StageDef) -> str:
    """The start dates a stage takes, per service: ``open to children on or after 2027-09-01``."""
    parts = []
    for service in stage.services:
        mine = stage.openings_for(service)
        if not mine:
            parts.append(f"{service} at any start")
            continue
        for opening in mine:
            first, last = opening.open_from, opening.open_until
            if first and last:
                when = f"from {first} to {last}"
            else:
                when = f"on or after {first}" if first else f"on or before {last}"
            then = f" (then {opening.replaced_by})" if opening.replaced_by else ""
            parts.append(f"{service} starting {when}{then}")
    return "open to " + ", ".join(parts)


def _print_standards(fw: Framework) -> None:
    """Each standard set, its services and in-force dates, then its standards."""
    for sset in fw.standard_sets:
        about = [", ".join(sset.services)]
        about += [sset.dates()] if sset.dates() else []
        about += [f"succeeds {sset.succeeds}"] if sset.succeeds else []
        about += [] if sset.verified else ["unverified"]
        echo(f"{sset.id}: {sset.title} ({'; '.join(about)})")
        for std in sset.standards:
            flag = "" if std.verified else " (unverified)"
            echo(f"  {sset.id}:{std.id}: {std.title}{flag}")


def _print_kinds(fw: Framework) -> None:
    """The evidence kinds, then the absence kinds with their two flags."""
    echo("evidence kinds:")
    for kind in fw.evidence_kinds:
        flag = "" if kind.verified else " (unverified)"
        echo(f"  {kind.id}: {kind.title}{flag}")
    echo("absence kinds:")
    for absence in fw.absence_kinds:
        pauses = "pauses the clock" if absence.pauses else "never pauses"
        counts = "counts as service" if absence.counts_as_service else "not service"
        flag = "" if absence.verified else " (unverified)"
        echo(f"  {absence.id}: {absence.title} ({pauses}; {counts}){flag}")
