"""``ecf._hints.type_hints`` gives what ``typing.get_type_hints`` gives (issue 14, item 1).

The fast structuring path plans each class from its type hints; :func:`ecf._hints.type_hints`
remembers each annotation's value per module instead of evaluating it for every class.  These
tests compare the two on every attrs class of every ecf module, in any order (the order decides
which class fills what is remembered), and on classes made to trip a shared memory: the same
text meaning another thing in another module, or in a class that defines the name.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import types
import typing
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ecf
from ecf import _hints


def _ecf_classes() -> list[type]:
    names = [
        m.name
        for m in pkgutil.walk_packages(ecf.__path__, "ecf.")
        if not m.name.endswith("__main__")  # (it runs the command line)
    ]
    found: list[type] = []
    for name in names:
        try:
            module = importlib.import_module(name)
        except ImportError:  # an optional dependency (a report's) missing here
            continue
        found += [
            c
            for c in vars(module).values()
            if isinstance(c, type) and attrs.has(c) and c.__module__ == name
        ]
    return found


CLASSES = _ecf_classes()


def _hints_or_error(get: Any, cls: type) -> Any:
    try:
        return get(cls)
    except Exception as exc:  # noqa: BLE001 - the same error is what is compared
        return type(exc)


@given(st.permutations(CLASSES))
def test_every_ecf_attrs_class_has_the_hints_typing_gives(order: list[type]) -> None:
    _hints._SEEN.clear()
    for cls in order:
        assert _hints_or_error(_hints.type_hints, cls) == _hints_or_error(
            typing.get_type_hints, cls
        ), cls


def test_there_are_many_classes_and_most_annotations_are_shared() -> None:
    _hints._SEEN.clear()
    for cls in CLASSES:
        _hints_or_error(_hints.type_hints, cls)
    annotations = sum(len(attrs.fields(c)) for c in CLASSES)
    assert len(CLASSES) > 100
    assert len(_hints._SEEN) < annotations / 2


def _module(name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(source, module.__dict__)  # noqa: S102 - the test's own source
    return module


SOURCE = """
from __future__ import annotations
import attrs
{alias}

@attrs.frozen
class Plain:
    when: When
    many: tuple[When, ...] = ()

@attrs.frozen
class Shadowing:
    When = int  # the module's name wins, as in typing
    when: When

@attrs.frozen
class Own:
    Local = int  # a name of the class's own: typing looks there too
    value: Local

@attrs.frozen
class Unknown:
    value: Local  # the same text, in a class that does not define it: a NameError
"""


@pytest.fixture
def two_modules() -> Any:
    one = _module("_hints_one", SOURCE.format(alias="When = str"))
    two = _module("_hints_two", SOURCE.format(alias="When = bytes"))
    yield one, two
    del sys.modules["_hints_one"], sys.modules["_hints_two"]


def test_the_same_text_in_another_module_or_a_class_that_defines_the_name(
    two_modules: Any,
) -> None:
    _hints._SEEN.clear()
    one, two = two_modules
    for cls in (one.Plain, two.Plain, one.Shadowing, two.Shadowing, one.Plain, two.Plain):
        assert _hints.type_hints(cls) == typing.get_type_hints(cls)
    assert _hints.type_hints(one.Plain)["when"] is str
    assert _hints.type_hints(two.Plain)["when"] is bytes
    assert _hints.type_hints(one.Shadowing)["when"] is str  # the module's name wins, as in typing
    assert _hints.type_hints(one.Own) == {"value": int}
    with pytest.raises(NameError):
        typing.get_type_hints(one.Unknown)
    with pytest.raises(NameError):
        _hints.type_hints(one.Unknown)


def test_a_class_typing_cannot_answer_raises_as_typing_does() -> None:
    _hints._SEEN.clear()

    @attrs.frozen
    class Broken:
        missing: NotDefinedAnywhere  # type: ignore[name-defined]  # noqa: F821 - on purpose

    with pytest.raises(NameError):
        typing.get_type_hints(Broken)
    with pytest.raises(NameError):
        _hints.type_hints(Broken)
    assert _hints._SEEN == {}
