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

__all__ = ["getter", "replace", "tuple_getter", "tuple_picker"]

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
    kept, order = _plan(cls, tuple(changes))
    # The values kept, then the new ones, put in the class's order of fields: one call each.
    return typing.cast("T", cls(*order(kept(value) + tuple(changes.values()))))


@functools.cache
def _plan(
    cls: type[attrs.AttrsInstance], changed: tuple[str, ...]
) -> tuple[Callable[[Any], tuple[Any, ...]], Callable[[tuple[Any, ...]], tuple[Any, ...]]]:
    """How :func:`replace` changes the ``changed`` fields of an instance of ``cls``.

    A getter of the other fields' values, and one that puts those followed by the changed
    ones in the class's order of fields.
    """
    shape = _shape(cls)
    assert shape is not None  # noqa: S101 - replace asks only for classes it takes positionally
    places = shape[1]
    unknown = [name for name in changed if name not in places]
    if unknown:
        raise KeyError(unknown[0])
    names = list(places)
    kept = [name for name in names if name not in changed]
    slots = {name: i for i, name in enumerate(kept)}
    slots.update({name: len(kept) + i for i, name in enumerate(changed)})
    return tuple_getter(kept), tuple_picker([slots[name] for name in names])


def tuple_getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """``operator.attrgetter`` that always gives a tuple (of one value, or none)."""
    if len(names) == 1:
        only = names[0]
        return lambda value: (getattr(value, only),)
    if not names:
        return lambda _: ()
    return operator.attrgetter(*names)


def tuple_picker(order: list[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """``operator.itemgetter`` that always gives a tuple (of one value)."""
    if len(order) == 1:
        only = order[0]
        return lambda values: (values[only],)
    return operator.itemgetter(*order)


def getter(cls: type[attrs.AttrsInstance]) -> Callable[[Any], tuple[Any, ...]] | None:
    """A getter of every field's value of an instance of ``cls``, in order.

    ``None`` when :func:`replace` goes to ``attrs.evolve`` for the class.
    """
    shape = _shape(cls)
    return None if shape is None else shape[0]
