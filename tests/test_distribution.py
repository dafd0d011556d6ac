"""ecf's published name: the distribution, its version, and the plugins' entry-point groups.

The build itself (a wheel installed in a fresh environment, ``ecf --version``, the example
plugins found) is checked by ``.ci/check-dist``, which ``.ci/run`` runs.
"""

from __future__ import annotations

import importlib.metadata
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import tomli

import ecf
from ecf import hookspecs, plugin_manager
from ecf._version import DISTRIBUTION, __version__

if TYPE_CHECKING:
    import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ep(name: str, value: str, group: str) -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(name=name, value=value, group=group)


def test_the_distribution_is_ecf_social_work_and_installs_the_ecf_package() -> None:
    data = tomli.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["name"] == DISTRIBUTION == "ecf-social-work"
    assert importlib.metadata.version(DISTRIBUTION) == __version__ == ecf.__version__
    assert data["project"]["entry-points"][hookspecs.ENTRY_POINTS] == {
        "baseline": "ecf.plugins.baseline"
    }
    assert hookspecs.ENTRY_POINTS.startswith("ecf_social_work.")
    # Extras that name the project name it by its distribution, not the unrelated `ecf`.
    for extra in data["project"]["optional-dependencies"].values():
        assert not any(r.startswith("ecf[") for r in extra)
    assert set(data["project"]["urls"]) >= {"Homepage", "Documentation", "Source", "Issues"}


def test_plugins_in_the_old_group_are_found_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    groups = {
        hookspecs.ENTRY_POINTS: [_ep("both", "ecf_both", hookspecs.ENTRY_POINTS)],
        hookspecs.LEGACY_ENTRY_POINTS: [
            _ep("old", "ecf_old", hookspecs.LEGACY_ENTRY_POINTS),
            _ep("both", "ecf_both", hookspecs.LEGACY_ENTRY_POINTS),
            _ep("baseline", "ecf.plugins.baseline", hookspecs.LEGACY_ENTRY_POINTS),
        ],
    }

    def entry_points(*, group: str) -> list[importlib.metadata.EntryPoint]:
        return groups.get(group, [])

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    with caplog.at_level(logging.WARNING, logger="ecf"):
        found = plugin_manager.installed_entry_points()
    assert [(ep.name, ep.group) for ep in found] == [
        ("both", hookspecs.ENTRY_POINTS),
        ("old", hookspecs.LEGACY_ENTRY_POINTS),
    ]
    assert [r.getMessage() for r in caplog.records] == [
        (
            "plugin 'old' (ecf_old) is registered in the deprecated entry-point group 'ecf'; "
            "register it in 'ecf_social_work.assessors' (the old group is read until ecf 1.0)"
        )
    ]
    plugins = plugin_manager.get_plugins()
    assert {info.name for info in plugins.infos.values()} >= {"baseline", "both", "old"}
