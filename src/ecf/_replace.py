"""``attrs.evolve`` in one call to the class: for the loops that copy values by the thousand.

``attrs.evolve`` looks the class's fields up and builds a keyword for each at every call;
assessing a cohort copies each record's findings and contexts several times (issue 14), and
that bookkeeping cost more than the copies.  :func:`replace` reads every field at once with a
getter made once per class and calls the class with them in order, which gives the same value
(the class's own ``__init__`` runs, with its defaults, converters and validators).  A class
that does not take every field positionally goes to ``attrs.evolve``.
"""

from __future__ import annotations

import functools
import operator
import typing
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["getter", "replace"]

T = TypeVar("T")


@functools.cache
def _shape(
    cls: type[attrs.AttrsInstance],
) -> tuple[Callable[[Any], tuple[Any, ...]], dict[str, int]] | None:
    """A getter of every field's value in order, and each field's place.

    ``None`` when the class does not take every field positionally (``init=False``,
    keyword-only).
    """
    fields = attrs.fields(cls)
    if not all(f.init and not f.kw_only for f in fields):
        return None
    names = [f.name for f in fields]
    if len(names) == 1:
        only = names[0]
        return (lambda value: (getattr(value, only),)), {only: 0}
    return operator.attrgetter(*names), {name: i for i, name in enumerate(names)}


def replace(value: T, changes: dict[str, Any]) -> T:
    """``attrs.evolve(value, **changes)``, the changes named by attribute (not by alias).

    Raises:
        KeyError: a name that is not a field of ``value``'s class.
    """
    cls: type[attrs.AttrsInstance] = type(value)  # type: ignore[assignment] # an attrs class
    shape = _shape(cls)
    if shape is None:
        aliases = {f.name: f.alias or f.name for f in attrs.fields(cls)}
        given: Any = value
        return typing.cast("T", attrs.evolve(given, **{aliases[k]: v for k, v in changes.items()}))
    every, places = shape
    values = list(every(value))
    for name, new in changes.items():
        values[places[name]] = new
    return typing.cast("T", cls(*values))


def getter(cls: type[attrs.AttrsInstance]) -> Callable[[Any], tuple[Any, ...]] | None:
    """A getter of every field's value of an instance of ``cls``, in order.

    ``None`` when :func:`replace` goes to ``attrs.evolve`` for the class.
    """
    shape = _shape(cls)
    return None if shape is None else shape[0]
