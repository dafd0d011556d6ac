"""Everything held about a person in a record, for a subject access request (UK GDPR art. 15).

``ecf export --subject-access`` writes what :func:`subject_access` returns: the whole record as
held, the category of each field it holds (:mod:`ecf.fields`), and what ecf computes about the
person (status, timeline, the assessors' findings and recommendation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ecf._convert import to_json
from ecf.assessors import assess as assess_
from ecf.fields import CATEGORIES
from ecf.privacy import classify
from ecf.records import record_to_dict
from ecf.status import events, status

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Mapping

    from ecf.council import Council
    from ecf.framework import FrameworkRegistry
    from ecf.records import Record

__all__ = ["subject_access"]


def subject_access(
    record: Record,
    registry: FrameworkRegistry,
    as_of: dt.date,
    *,
    council: Council | None = None,
    assess: Callable[..., Any] | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Everything held about the person in a record, and what ecf computes about them.

    Args:
        record: A valid record.
        registry: The frameworks.
        as_of: The date the computed parts are as of.
        council: The council's configuration, for the assessment (baseline only without).
        assess: The assessment function (default :func:`ecf.assessors.assess`).
        source: The record file's text, comments included (people write notes in comments).

    Returns:
        Plain data for JSON: the whole record as held, the category of each field it holds,
        its status and timeline, the assessors' findings and recommendation, and the file's
        text when given.
    """
    run = assess or assess_
    settings = council.settings if council else None
    mapping: Mapping[str, Any] = {
        "subject_access": {
            "record": record.id,
            "as_of": as_of.isoformat(),
            "contents": (
                "record: every field held, as held; classification: the category of each "
                "field; status, timeline and assessment: what ecf computes from the record; "
                "file: the record file as written, comments included"
            ),
            "categories": dict(CATEGORIES),
        },
        "record": record_to_dict(record),
        "classification": classify(record),
        "status": to_json(status(record, registry, as_of, settings=settings)),
        "timeline": [to_json(e) for e in events(record, registry, settings=settings)],
        "assessment": to_json(run(record, registry, as_of, council=council)),
    }
    if source is not None:
        mapping = {**mapping, "file": source}
    plain: dict[str, Any] = to_json(mapping)
    return plain
