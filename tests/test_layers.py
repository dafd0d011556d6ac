"""The package's layers: a module imports only from its own layer or below, and no import circle.

From the bottom (``../shared/STYLE.md``): leaves, values, one record on disk, the career engine,
assessment, workflows over files, reports and exchanges, the CLI.  Every import counts: at the
top of a module, inside a function, or for type checking only.  The facade (``ecf/__init__.py``)
stands outside the layers: it imports nothing at load time and resolves its names lazily, so no
module of the package may import a name from it (only submodules, ``from ecf import limits``).

To see the check fail, add ``from ecf.cohort import rows`` inside any function of
``src/ecf/records.py`` and run ``pytest tests/test_layers.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"

#: Each layer's modules, bottom first.  A module missing here fails the test: place it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "leaves",
        (
            "ecf._version",
            "ecf.errors",
            "ecf.fields",
            "ecf.limits",
            "ecf._append",
            "ecf._compiled",
            "ecf._hashing",
            "ecf._hints",
            "ecf._logs",
            "ecf.parsing",
            "ecf._convert",
            "ecf._replace",
            "ecf._arguments",
            "ecf._charts",
            "ecf.schemas",
            "ecf.signing",
        ),
    ),
    (
        "values",
        (
            "ecf.framework",
            "ecf.records",
            "ecf.council_settings",
            "ecf.council",
            "ecf.items",
            "ecf.project",
        ),
    ),
    ("one record on disk", ("ecf.store", "ecf.cache", "ecf.attachments", "ecf.tombstones")),
    (
        "career engine",
        (
            "ecf.timeline",
            "ecf.cpd",
            "ecf.agreements",
            "ecf.employment",
            "ecf.progression",
            "ecf.appeals",
            "ecf.funding",
            "ecf.validation",
            "ecf.history",
            "ecf.privacy",
            "ecf.status",
        ),
    ),
    (
        "assessment",
        (
            "ecf.findings",
            "ecf.hookspecs",
            "ecf.rules",
            "ecf.plugin_manager",
            "ecf.tuning",
            "ecf.assessors",
            "ecf.guidance",
            "ecf.plugins",
            "ecf.plugins.baseline",
            "ecf.testing",
            "ecf.testing.contract",
            "ecf.testing.strategies",
        ),
    ),
    (
        "workflows over files",
        ("ecf.editor", "ecf.migration", "ecf.sources", "ecf.anonymisation"),
    ),
    (
        "reports and exchanges",
        (
            "ecf.cohort",
            "ecf.workforce",
            "ecf.ical",
            "ecf.export",
            "ecf.subject_access",
            "ecf.hr_import",
            "ecf.catalogue",
            "ecf.hr_mapping",
            "ecf.filters",
            "ecf.sheets",
            "ecf.html_report",
            "ecf.html_cohort",
            "ecf.database",
            "ecf.census",
        ),
    ),
    ("cli", ("ecf.cli", "ecf.cli.*", "ecf.__main__")),
)
FACADE = "ecf"


def layer_of(module: str) -> int | None:
    """The index of a module's layer (``ecf.cli.*`` covers every module of the CLI package)."""
    for index, (_, modules) in enumerate(LAYERS):
        for pattern in modules:
            if module == pattern or (pattern.endswith(".*") and module.startswith(pattern[:-1])):
                return index
    return None


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(module: str, source: str, known: set[str]) -> list[tuple[str, int]]:
    """Every ``ecf`` module ``module`` imports, with its line: anywhere in the file."""
    found: list[tuple[str, int]] = []
    package = (
        module if module in known and _is_package(module, known) else module.rpartition(".")[0]
    )
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((sub if sub in known else base, node.lineno))
    return [(name, line) for name, line in found if name == FACADE or name.startswith("ecf.")]


def _is_package(module: str, known: set[str]) -> bool:
    return any(k.startswith(module + ".") for k in known)


def check(sources: dict[str, str]) -> list[str]:
    """Every upward import, unplaced module, facade import and import circle, one line each."""
    known = set(sources)
    problems: list[str] = []
    graph: dict[str, set[str]] = {m: set() for m in sources}
    for module, source in sorted(sources.items()):
        if module == FACADE:
            continue
        mine = layer_of(module)
        if mine is None:
            problems.append(f"{module}: in no layer (add it to LAYERS in tests/test_layers.py)")
            continue
        for target, line in imports_of(module, source, known):
            if target == FACADE:
                problems.append(
                    f"{module}:{line}: imports from the facade 'ecf'; import the defining module"
                )
                continue
            if target not in known:
                continue
            graph[module].add(target)
            # Importing a submodule runs its package's __init__ first (unless we are inside it).
            parent = target.rpartition(".")[0]
            while parent not in ("", FACADE, module) and not module.startswith(parent + "."):
                graph[module].add(parent)
                parent = parent.rpartition(".")[0]
            theirs = layer_of(target)
            if theirs is not None and theirs > mine:
                problems.append(
                    f"{module}:{line}: imports {target}, an upward import "
                    f"({LAYERS[mine][0]} -> {LAYERS[theirs][0]})"
                )
    problems.extend(f"import circle: {' -> '.join(c)}" for c in circles(graph))
    return problems


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One path for each import circle (strongly connected set of two or more modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:  # Tarjan's algorithm; the package is small enough to recurse
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            members = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                members.append(top)
                if top == node:
                    break
            if len(members) > 1 or node in graph.get(node, ()):
                found.append(_cycle_through(min(members), set(members), graph))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _cycle_through(start: str, members: set[str], graph: dict[str, set[str]]) -> list[str]:
    """The shortest import path from ``start`` back to itself, within one circle."""
    paths: dict[str, list[str]] = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return [*paths[node], start]
            if nxt in members and nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    return [start, start]  # pragma: no cover - a circle always leads back


def package_sources() -> dict[str, str]:
    root = SRC
    return {
        module_name(path, root): path.read_text(encoding="utf-8")
        for path in sorted((root / "ecf").rglob("*.py"))
    }


def test_every_module_imports_only_its_own_layer_or_below() -> None:
    problems = check(package_sources())
    assert not problems, "\n".join(problems)


def test_the_facade_imports_nothing_at_load_time() -> None:
    tree = ast.parse((SRC / "ecf" / "__init__.py").read_text(encoding="utf-8"))
    eager = [
        node.lineno
        for node in tree.body
        if (
            isinstance(node, ast.Import | ast.ImportFrom)
            and any(a.name.startswith("ecf") for a in node.names)
        )
        or (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ecf"))
    ]
    assert not eager, f"ecf/__init__.py imports ecf modules at load time (lines {eager})"


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        (  # an upward import inside a function counts
            {
                "ecf.records": "def f():\n    from ecf.cohort import rows\n",
                "ecf.cohort": "",
            },
            "ecf.records:2: imports ecf.cohort, an upward import (values -> reports and exchanges)",
        ),
        (  # so does one made for type checking only
            {
                "ecf.errors": "if TYPE_CHECKING:\n    from ecf.status import Status\n",
                "ecf.status": "",
            },
            "ecf.errors:2: imports ecf.status, an upward import (leaves -> career engine)",
        ),
        (  # ``from ecf import module`` is an import of that module
            {"ecf.store": "from ecf import cli\n", "ecf.cli": ""},
            "ecf.store:1: imports ecf.cli, an upward import (one record on disk -> cli)",
        ),
        (
            {"ecf.records": "from ecf import Record\n", "ecf": ""},
            "ecf.records:1: imports from the facade 'ecf'; import the defining module",
        ),
        (
            {"ecf.shiny": ""},
            "ecf.shiny: in no layer (add it to LAYERS in tests/test_layers.py)",
        ),
        (  # importing a submodule imports its package first
            {
                "ecf.testing": "from ecf.assessors import check\n",
                "ecf.assessors": "def f():\n    from ecf.testing import strategies\n",
                "ecf.testing.strategies": "",
            },
            "import circle: ecf.assessors -> ecf.testing -> ecf.assessors",
        ),
        (  # a circle within one layer
            {"ecf.timeline": "import ecf.status\n", "ecf.status": "import ecf.timeline\n"},
            "import circle: ecf.status -> ecf.timeline -> ecf.status",
        ),
    ],
)
def test_the_check_fails_on_a_broken_layering(sources: dict[str, str], expected: str) -> None:
    assert expected in check(sources)


def test_the_check_passes_a_downward_import() -> None:
    assert check({"ecf.cohort": "from ecf.records import Record\n", "ecf.records": ""}) == []


#: A module longer than this says at its top why it is one module.
LONG = 400


def long_without_a_reason(sources: dict[str, str]) -> list[str]:
    """Modules over :data:`LONG` lines whose docstring does not say why they are long."""
    out = []
    for module, source in sorted(sources.items()):
        lines = source.count("\n")
        doc = ast.get_docstring(ast.parse(source)) or ""
        if lines > LONG and "This module is long because" not in doc:
            out.append(f"{module}: {lines} lines, and its docstring does not say why")
    return out


def test_a_long_module_says_why_at_its_top() -> None:
    problems = long_without_a_reason(package_sources())
    assert not problems, "\n".join(problems)


def test_the_size_check_fails_on_a_long_module_without_a_reason() -> None:
    long = '"""A module."""\n' + "x = 1\n" * (LONG + 1)
    said = '"""A module.\n\nThis module is long because it must be."""\n' + "x = 1\n" * (LONG + 1)
    assert long_without_a_reason({"ecf.big": long, "ecf.said": said}) == [
        f"ecf.big: {LONG + 2} lines, and its docstring does not say why"
    ]
