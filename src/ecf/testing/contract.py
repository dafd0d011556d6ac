"""The contract every assessor plugin keeps, checked with hypothesis (exported by ``ecf.testing``).

A plugin author runs it in a few lines::

    from ecf.testing import check_assessor
    import my_council_plugin

    def test_contract():
        check_assessor(my_council_plugin, settings={"full_caseload": 20})

It runs the plugin alone (no other assessor) on many valid records at many dates, and fails
with the smallest example hypothesis finds when the plugin:

* raises, or returns something that is not a list of well-formed findings (a known status, a
  rule id, a message; evidence ids the record holds; a date or nothing as deadline);
* changes the record or the settings it was given;
* is not deterministic: the same record and date give different findings.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ecf.assessors import assess, get_plugins
from ecf.council import Council
from ecf.framework import FrameworkRegistry
from ecf.records import record_to_dict

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ecf.records import Record

__all__ = ["check_assessor"]


def check_assessor(
    plugin: object,
    *,
    name: str = "plugin-under-test",
    settings: Mapping[str, Any] | None = None,
    records: st.SearchStrategy[Record] | None = None,
    registry: FrameworkRegistry | None = None,
    today: dt.date | None = None,
    max_examples: int = 50,
) -> None:
    """Check that an assessor plugin keeps the contract, on many generated records.

    Args:
        plugin: The plugin module or object (what its entry point names).
        name: The name to register it under.
        settings: The settings a council would give it.
        records: A strategy of valid records (default: ``ecf.testing.records()``).
        registry: The frameworks (default: the shipped ones).
        today: The date records are valid as of (default: today).
        max_examples: How many records to try.

    Raises:
        AssertionError: with hypothesis' smallest failing example, when the contract is broken;
            at once when the plugin is refused (a function named like a hook that is not one).
    """
    from ecf.testing import strategies  # noqa: PLC0415 - the strategies load when a check runs

    registry = registry or FrameworkRegistry.default()
    today = today or dt.date.today()  # noqa: DTZ011 - records are valid as of the local date
    plugins = get_plugins(entry_points=[])
    plugins.load()  # the built-in baseline: checked under its own name when it is the one given
    info = plugins.add(name, plugin, version="test", origin="check_assessor")
    if not info.loaded:
        raise AssertionError(f"{name} cannot be loaded: {info.error}")
    name = info.name
    given_settings = dict(settings or {})
    council = Council(
        code="TEST", name="contract check", plugins=(name,), plugin={name: given_settings}
    )
    strategy = (
        records if records is not None else strategies.records(registry=registry, today=today)
    )

    @hypothesis_settings(
        max_examples=max_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(record=strategy, days=st.integers(min_value=-400, max_value=1500))
    def run(record: Record, days: int) -> None:
        as_of = record.enrolments[0].start + dt.timedelta(days=days)
        before = record_to_dict(record)
        first = assess(record, registry, as_of, council=council, plugins=plugins)
        errors = [f for f in first.findings if f.status == "error"]
        assert not errors, f"{name} broke the contract: {errors[0].message}"  # noqa: S101
        assert record_to_dict(record) == before, f"{name} changed the record"  # noqa: S101
        assert council.settings_for(name) == given_settings, f"{name} changed its settings"  # noqa: S101
        second = assess(record, registry, as_of, council=council, plugins=plugins)
        assert first.findings == second.findings, (  # noqa: S101
            f"{name} is not deterministic: the same record and date gave different findings"
        )

    run()
