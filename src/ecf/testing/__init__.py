"""Test kit for ecf and its plugins: hypothesis strategies of valid values and records.

Install it with the ``testing`` extra (``pip install 'ecf-social-work[testing]'``); it needs
`hypothesis <https://hypothesis.readthedocs.io>`_, which ``import ecf`` itself never loads.

Example::

    from hypothesis import given
    from ecf.testing import records
    from ecf.validation import check_record

    @given(records(today=TODAY))
    def test_my_report(record):
        assert check_record(record, REGISTRY, TODAY) == []
        my_report(record)

:func:`check_assessor` runs an assessor plugin on many generated records and fails when it
breaks the plugin contract.
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401 - fail here, with the fix, rather than deep in an import
except ImportError:  # pragma: no cover - exercised only without the extra installed
    msg = (
        "ecf.testing needs hypothesis: install the extra with "
        "pip install 'ecf-social-work[testing]'"
    )
    raise ImportError(msg) from None

from ecf.testing.contract import check_assessor
from ecf.testing.strategies import (
    absences,
    dates,
    evidence_items,
    ftes,
    held_milestones,
    history_entries,
    pattern_changes,
    records,
)

__all__ = [
    "absences",
    "check_assessor",
    "dates",
    "evidence_items",
    "ftes",
    "held_milestones",
    "history_entries",
    "pattern_changes",
    "records",
]
