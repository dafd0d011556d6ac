"""What the framework versions hold, as plain data for people and scripts (``ecf frameworks``).

Each function returns JSON-ready data (dates in ISO 8601); the three outputs of ``ecf frameworks
--json`` carry a top-level ``"schema"`` key, so a script can tell the shape it reads: the versions
and their stages (``frameworks/1``), one version in full (``framework/1``), its standard sets and
its evidence and absence kinds (``framework-lists/1``).  The text the CLI prints is made from
the same framework values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ecf._convert import to_json
from ecf.schemas import tag

if TYPE_CHECKING:
    from ecf.framework import Framework, FrameworkRegistry, StageDef

__all__ = [
    "describe_kinds",
    "describe_lists",
    "describe_standards",
    "describe_version",
    "list_versions",
]


def _stage(stage: StageDef) -> dict[str, Any]:
    """A stage without its milestones: id, title, status, services, path and openings."""
    return {
        "id": stage.id,
        "title": stage.title,
        "status": stage.status,
        "services": list(stage.services),
        "follows": list(stage.follows),
        "aliases": list(stage.aliases),
        "openings": to_json(stage.openings),
        "verified": stage.verified,
        "source": stage.source,
    }


def _header(fw: Framework) -> dict[str, Any]:
    return {
        "version": fw.version,
        "title": fw.title,
        "extends": fw.extends,
        "in_force_from": to_json(fw.in_force_from),
    }


def list_versions(registry: FrameworkRegistry) -> dict[str, Any]:
    """Every known version, with its stages' status and openings.

    Raises:
        FrameworkError: when a version's file is invalid.
    """
    versions = []
    for version in registry.versions():
        fw = registry.get(version)
        versions.append(
            {
                **_header(fw),
                "current": version == registry.current,
                "stages": [_stage(s) for s in fw.stages],
            }
        )
    return {"schema": tag("frameworks"), "current": registry.current, "versions": versions}


def describe_version(fw: Framework) -> dict[str, Any]:
    """One version in full: stages with milestones, outcomes, reason codes, appeal window, CPD."""
    return {
        "schema": tag("framework"),
        "version": {
            **_header(fw),
            "pause_threshold_days": fw.pause_threshold_days,
            "stages": [{**_stage(s), "milestones": to_json(s.milestones)} for s in fw.stages],
            "outcomes": to_json(fw.outcomes),
            "reason_codes": to_json(fw.reason_codes),
            "appeal_window": to_json(fw.appeal_window),
            "cpd": to_json(fw.cpd),
        },
    }


def describe_standards(fw: Framework) -> list[dict[str, Any]]:
    """The standard sets: ids (``kss-cf:1``), titles, services and in-force dates."""
    return [
        {
            "id": s.id,
            "title": s.title,
            "services": list(s.services),
            "in_force_from": to_json(s.in_force_from),
            "in_force_until": to_json(s.in_force_until),
            "succeeds": s.succeeds,
            "verified": s.verified,
            "source": s.source,
            "standards": [
                {"id": f"{s.id}:{st.id}", "title": st.title, "verified": st.verified}
                for st in s.standards
            ],
        }
        for s in fw.standard_sets
    ]


def describe_kinds(fw: Framework) -> dict[str, Any]:
    """The evidence kinds, and the absence kinds with their two flags."""
    return {
        "evidence_kinds": to_json(fw.evidence_kinds),
        "absence_kinds": to_json(fw.absence_kinds),
    }


def describe_lists(fw: Framework, *, standards: bool, kinds: bool) -> dict[str, Any]:
    """What one version lists: its standard sets, its evidence and absence kinds, or both.

    Args:
        fw: The framework version.
        standards: Include ``standard_sets`` (:func:`describe_standards`).
        kinds: Include ``evidence_kinds`` and ``absence_kinds`` (:func:`describe_kinds`).
    """
    data: dict[str, Any] = {"schema": tag("framework-lists"), "version": fw.version}
    if standards:
        data["standard_sets"] = describe_standards(fw)
    if kinds:
        data.update(describe_kinds(fw))
    return data
