"""Shared test setup: hypothesis profiles and the shipped frameworks.

``HYPOTHESIS_PROFILE=ci`` runs more examples (CI sets it); the default ``dev`` profile keeps a
local run fast.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from ecf.framework import Framework, FrameworkRegistry

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("ci", max_examples=200, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

#: The framework version the tests start stages under.
BASELINE = "baseline-2026"


@pytest.fixture(scope="session")
def registry() -> FrameworkRegistry:
    """The shipped frameworks, with the baseline as the version new stages start under."""
    reg = FrameworkRegistry.default()
    reg.current = BASELINE
    return reg


@pytest.fixture(scope="session")
def baseline(registry: FrameworkRegistry) -> Framework:
    """The national baseline framework."""
    return registry.get(BASELINE)


@pytest.fixture(autouse=True)
def _no_council_or_colour_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's ``ECF_COUNCIL`` or ``NO_COLOR`` must not change what the tests see."""
    for name in ("ECF_COUNCIL", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("ecf-cache"))


@pytest.fixture(autouse=True)
def _no_cache_in_home(_session_cache: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every report over a folder reads through the record cache: never the developer's own.

    A test that needs its own cache (or the default folder) sets or removes ``ECF_CACHE_DIR``
    itself; the rest share one folder of the session's, outside their ``tmp_path``.
    """
    monkeypatch.setenv("ECF_CACHE_DIR", _session_cache)
