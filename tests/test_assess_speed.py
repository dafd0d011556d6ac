"""Issue 14, item 2: the reports that assess every record, made cheaper, give what they gave.

Never how fast (``benchmarks/cohort.py`` measures that): each faster path is compared with the
plain formulation it replaces, written out here.

* the assessor's minimal view (:func:`ecf.privacy.view`), built in one pass with each instance
  rebuilt at most once, is the view ``attrs.evolve`` made field by field (written out here with
  the walk :func:`ecf.privacy.anonymise` still uses), for any record and any declaration.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import TYPE_CHECKING, Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from ecf import privacy
from ecf.fields import FIELDS
from ecf.framework import FrameworkRegistry
from ecf.records import record_from_dict
from ecf.testing import records

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ecf.framework import Framework
    from ecf.records import Record

REGISTRY = FrameworkRegistry.default()
FRAMEWORK = REGISTRY.get()


def view_by_evolve(
    record: Record, fields: Iterable[str] = (), frameworks: Iterable[Framework] = ()
) -> Record:
    """:func:`ecf.privacy.view` as it was written before issue 14: ``attrs.evolve`` per item."""
    granted = frozenset(fields)
    keys = {k for p in granted if (k := privacy._extra_key(p))}
    known = tuple(frameworks)

    def blank(path: str, field: attrs.Attribute[Any], value: Any) -> Any:
        if path == "extra":
            return {k: v for k, v in value.items() if k in keys}
        if path == "absences.kind":
            return privacy.neutral_absence_kind(value, known)
        if field.default is not attrs.NOTHING:
            return privacy._default(field)
        return ""

    stripped: Record = privacy._strip(record, "", granted, blank)
    return attrs.evolve(stripped, extra=copy.deepcopy(stripped.extra))


@given(records(), st.data())
def test_the_view_is_the_one_evolve_made(record: Record, data: st.DataObject) -> None:
    paths = sorted(FIELDS) + [f"extra.{k}" for k in record.extra] + ["extra.absent"]
    declared = data.draw(st.sets(st.sampled_from(paths)))
    seen = privacy.view(record, declared, [FRAMEWORK])
    assert seen == view_by_evolve(record, declared, [FRAMEWORK])
    assert seen.extra is not record.extra


def test_the_view_blanks_what_the_reference_blanks_on_a_full_record() -> None:
    """Every personal field filled in at once (the strategy draws them one by one)."""
    data = {
        "schema_version": 3,
        "id": "ph-1",
        "name": "Amira Okafor",
        "swe": "SW1",
        "qualified": dt.date(2024, 7, 10),
        "service": "children",
        "enrolments": [
            {"stage": "asye", "start": dt.date(2025, 2, 3), "framework": "baseline-2026"}
        ],
        "evidence": [
            {
                "id": "ev-001",
                "date": dt.date(2025, 3, 1),
                "kind": "direct-observation",
                "standards": ["pcf:1"],
                "by": "M. Reid",
                "note": "a note",
                "attachment": {"ref": "a.pdf", "sha256": "0" * 64},
            }
        ],
        "absences": [
            {"kind": "sickness", "first": dt.date(2025, 4, 1), "last": dt.date(2025, 5, 30)}
        ],
        "extra": {"team": "north", "caseload": 12},
    }
    record = record_from_dict(data)
    for declared in ((), {"evidence.by"}, {"evidence", "extra.team"}, {"name", "absences"}):
        assert privacy.view(record, declared, [FRAMEWORK]) == view_by_evolve(
            record, declared, [FRAMEWORK]
        )
