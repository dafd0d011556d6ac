"""The plugin author's guide (docs/plugins.md) documents every hook, its signature, and the rules.

The checks read the source of truth (``ecf.hookspecs``, ``ecf.rules``) and fail when the guide
falls behind it: a new hook, a changed signature, a new built-in rule kind or a new field.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import attrs
import pytest

from ecf import hookspecs
from ecf.rules import BUILTIN_KINDS, Context, Finding

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"
TEXT = GUIDE.read_text(encoding="utf-8")
COMMON = {"id", "title", "stages", "services", "standards", "category"}


def hookspecs_() -> list[Any]:
    """The functions ``ecf.hookspecs`` marks as hook specs."""
    marker = f"{hookspecs.PROJECT}_spec"
    return [
        obj
        for _, obj in inspect.getmembers(hookspecs, inspect.isfunction)
        if getattr(obj, marker, None) is not None
    ]


def declared(func: Any) -> str:
    """``def name(arg: Annotation, ...) -> Return``, annotations as written in the source."""
    sig = inspect.signature(func, eval_str=False)

    def text(annotation: Any) -> str:
        return annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)

    params = []
    for param in sig.parameters.values():
        part = param.name
        if param.annotation is not inspect.Parameter.empty:
            part += f": {text(param.annotation)}"
        if param.default is not inspect.Parameter.empty:
            part += f" = {param.default!r}"
        params.append(part)
    returns = (
        ""
        if sig.return_annotation is inspect.Signature.empty
        else f" -> {text(sig.return_annotation)}"
    )
    return f"def {func.__name__}({', '.join(params)}){returns}"


def headings() -> list[tuple[int, str, int]]:
    """Each heading of the guide outside code blocks: its level, its title, its line number."""
    found = []
    fenced = False
    for number, line in enumerate(TEXT.splitlines()):
        if line.startswith("```"):
            fenced = not fenced
        mark, _, title = line.partition(" ")
        if not fenced and mark and set(mark) == {"#"}:
            found.append((len(mark), title, number))
    return found


def section(heading: str) -> str:
    """The text under a heading of the guide, up to the next heading of its level or above."""
    lines = TEXT.splitlines()
    marks = headings()
    for i, (level, title, number) in enumerate(marks):
        if title == heading:
            end = next((n for lv, _, n in marks[i + 1 :] if lv <= level), len(lines))
            return "\n".join(lines[number + 1 : end])
    pytest.fail(f"docs/plugins.md has no section headed {heading!r}")


def test_there_are_hooks_to_document() -> None:
    names = {f.__name__ for f in hookspecs_()}
    assert {"ecf_assess", "ecf_rule_files", "ecf_rule_kinds"} <= names


@pytest.mark.parametrize("spec", hookspecs_(), ids=lambda f: f.__name__)
def test_every_hook_is_documented_with_its_signature(spec: Any) -> None:
    line = declared(spec)
    assert f"### `{spec.__name__}`" in TEXT, f"docs/plugins.md has no section for {spec.__name__}"
    assert line in section(f"`{spec.__name__}`"), f"docs/plugins.md lacks `{line}`"


def test_the_signature_is_built_as_written_in_the_source() -> None:
    assert declared(hookspecs.ecf_assess) == (
        "def ecf_assess(context: Context) -> Iterable[Finding] | None"
    )

    def example(x: int, y: str = "a") -> None: ...

    assert declared(example) == "def example(x: int, y: str = 'a') -> None"


def test_a_changed_signature_would_fail() -> None:
    def ecf_assess(context: Context, extra: int) -> list[Finding]:
        raise NotImplementedError

    assert declared(ecf_assess) not in TEXT


@pytest.mark.parametrize("kind", sorted(BUILTIN_KINDS))
def test_every_builtin_rule_kind_and_its_fields_are_documented(kind: str) -> None:
    text = section(f"`{kind}`")
    fields = {f.name for f in attrs.fields(BUILTIN_KINDS[kind])} - COMMON
    missing = sorted(f for f in fields if f"`{f}`" not in text)
    assert not missing, f"docs/plugins.md, kind {kind}: fields not documented: {missing}"


def test_the_fields_every_rule_has_are_documented() -> None:
    text = section("The rule language")
    missing = sorted(f for f in {*COMMON, "kind"} if f"| `{f}` |" not in text)
    assert not missing, f"docs/plugins.md: common rule fields not documented: {missing}"


@pytest.mark.parametrize("cls", [Context, Finding], ids=lambda c: c.__name__)
def test_context_and_finding_fields_are_documented(cls: type[Any]) -> None:
    text = section(f"`{cls.__name__}`")
    missing = sorted(f.name for f in attrs.fields(cls) if f"| `{f.name}` |" not in text)
    assert not missing, f"docs/plugins.md, {cls.__name__}: fields not documented: {missing}"


@pytest.mark.parametrize("variable", ["ECF_DISABLE_PLUGIN_AUTOLOAD", "ECF_LOAD_PLUGINS"])
def test_the_environment_variables_are_documented(variable: str) -> None:
    from ecf.assessors import AUTOLOAD_ENV, LOAD_ENV  # noqa: PLC0415

    assert variable in {AUTOLOAD_ENV, LOAD_ENV}
    assert f"`{variable}" in section("Environment variables")


def test_the_entry_point_group_is_documented() -> None:
    found = section("How a plugin is found")
    assert f'[project.entry-points."{hookspecs.ENTRY_POINTS}"]' in found
    assert f"`{hookspecs.LEGACY_ENTRY_POINTS}` group" in found
