"""A class's type hints as :func:`typing.get_type_hints` gives them, each evaluated once per module.

Every ecf module says ``from __future__ import annotations``: each annotation is a string, which
:func:`typing.get_type_hints` compiles and evaluates anew for every class that holds it.  The
fast structuring path (:mod:`ecf._convert`) asks for the hints of each class it plans, at every
one-record command's start: 33 classes, about 250 annotations but some 70 distinct ones
(``str``, ``dt.date``, ``str | None``...): 3.2 ms, 2.3 ms this way (issue 14).
:func:`type_hints` gives what :func:`typing.get_type_hints` gives, remembering the value of
each annotation it has seen in a module, and evaluating each new one once, as
:func:`typing.get_type_hints` does.

An annotation's value depends on its text, its module's names and the builtins, and on the
names of the class that holds it (:func:`typing.get_type_hints` looks there too): one that
names anything the class defines is remembered for that class alone.  Only a value that
:func:`typing.get_type_hints` would give unchanged is remembered (a class, a union or generic
alias of classes, a ``Literal``); a class with any other annotation, or one that is not a
string, or that fails to evaluate, is :func:`typing.get_type_hints`'s alone (its error is
raised as it is).
``tests/test_hints.py`` compares the two on every attrs class of ecf.
"""

from __future__ import annotations

import re
import sys
import types
import typing
from typing import Any

__all__ = ["type_hints"]

#: The value of an annotation, by (module, text, and the class when the text names something
#: the class defines; else ``None``).
_SEEN: dict[tuple[str, str, type | None], Any] = {}
#: A name in an annotation's text (and, harmlessly, the words of a ``Literal``'s strings).
_NAME = r"[A-Za-z_][A-Za-z_0-9]*"


def _key(base: type, text: str) -> tuple[str, str, type | None]:
    own = vars(base)
    local = any(name in own for name in re.findall(_NAME, text))
    return (base.__module__, text, base if local else None)


def _plain(value: object) -> bool:
    """A value :func:`typing.get_type_hints` returns as ``eval`` gives it (equal, if not same).

    A class, a union or a generic alias of such (``str | None``, ``tuple[Evidence, ...]``), a
    ``Literal`` (alone or in a union), a ``ClassVar`` of such: nothing ``typing`` rewrites
    (``None`` alone, a string left inside, ``Annotated``).
    """
    if isinstance(value, type):
        return True
    if isinstance(value, types.UnionType | types.GenericAlias):
        return all(a is Ellipsis or _plain(a) for a in value.__args__)
    origin = typing.get_origin(value)
    if origin in (typing.Union, typing.ClassVar):  # typing's union (of a Literal), a class's own
        return all(_plain(a) for a in typing.get_args(value))
    return origin is typing.Literal


def _evaluated(base: type, text: str) -> object:
    """``text`` evaluated as :func:`typing.get_type_hints` does (the module's names first)."""
    module = sys.modules[base.__module__].__dict__
    return eval(text, dict(vars(base)), module)  # noqa: S307 - a source annotation, as typing does


def type_hints(cls: type) -> dict[str, Any]:
    """``typing.get_type_hints(cls)``: the same dict, from remembered values where it can.

    Raises:
        Exception: whatever :func:`typing.get_type_hints` raises for ``cls``.
    """
    hints: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        annotations = base.__dict__.get("__annotations__", {})  # noqa: RUF063 - as typing reads them
        if not isinstance(annotations, dict):
            return typing.get_type_hints(cls)
        for name, text in annotations.items():
            if not isinstance(text, str):
                return typing.get_type_hints(cls)
            key = _key(base, text)
            if key not in _SEEN:
                try:
                    value = _evaluated(base, text)
                except Exception:  # noqa: BLE001 - typing's own answer, or its error, then
                    return typing.get_type_hints(cls)
                if not _plain(value):
                    return typing.get_type_hints(cls)
                _SEEN[key] = value
            hints[name] = _SEEN[key]
    return hints
