"""The facade, ``ecf``: one table from which ``__all__``, ``dir(ecf)`` and the lazy imports come."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import ecf

INIT = Path(ecf.__file__)


def _type_checking_imports() -> dict[str, str]:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If))  # if TYPE_CHECKING:
    found: dict[str, str] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom)
        for alias in node.names:
            assert alias.asname == alias.name, "re-export with 'import X as X' (mypy strict)"
            found[alias.name] = node.module or ""
    return found


def test_every_name_resolves_from_the_module_the_table_names() -> None:
    for name, module in ecf._WHERE.items():
        assert getattr(ecf, name) is getattr(importlib.import_module(module), name), name


def test_all_and_dir_come_from_the_table() -> None:
    assert set(ecf.__all__) == {*ecf._WHERE, "__version__"}
    assert ecf.__all__ == sorted(ecf.__all__)
    public = [n for n in dir(ecf) if not n.startswith("__")]
    assert set(public) == set(ecf._WHERE)


def test_the_type_checking_imports_repeat_the_table_exactly() -> None:
    assert _type_checking_imports() == ecf._WHERE


def test_a_submodule_never_hides_the_facade_name_it_shares() -> None:
    code = (
        "import ecf, ecf.cohort, ecf.status\n"
        "assert callable(ecf.status) and ecf.status.__module__ == 'ecf.status', ecf.status\n"
        "from ecf import status\n"
        "assert callable(status)\n"
        "import sys; assert sys.modules['ecf.status'].Status is ecf.Status\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_import_ecf_loads_nothing_until_a_name_is_used() -> None:
    code = "import sys, ecf; print(sorted(m for m in sys.modules if m.startswith('ecf')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['ecf']"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = ecf.nothing_here
