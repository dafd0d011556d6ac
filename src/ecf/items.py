"""Stable ids of a record's items, and the corrections and retractions that name them.

Every item a record holds has a stable id, shown by ``ecf timeline``: evidence ``ev-N``,
absences ``ab-N``, working-pattern changes ``hr-N``, reviews held ``rv-N``, decisions
``dec-N``, employment periods ``em-N`` (and any list added later: :func:`next_id` gives the
next id for a prefix, :data:`KINDS` maps the prefix to the record's field).

Ids are stored in the item (``id``; a held milestone's ``id`` names the milestone, so its own
is ``ref``), given when the item is added.  An item written before ids existed has none: its
id is derived (:func:`item_ids`): its place in the list (``ab-2`` is the second absence),
or the next free number if that one is taken.  Derived ids are stable because:

* decisions and reviews held are only ever appended (``ecf verify`` sees any other change),
  so an item's place never changes;
* the lists kept in date order (absences, working-pattern changes, employment) have every
  missing id stored (:func:`with_ids`) by the first change to the list, before anything is
  inserted: the id derived before the change is the one stored.

A correction (:func:`correct`) replaces fields of an item; a retraction (:func:`retract`)
marks it ``retracted`` (when): it stays in the file and counts for nothing
(:func:`in_force` is the record as the engine counts it).  Each is one history entry naming
the item (``ref``) with its digest before (``replaces``) and after (``item``), so that ``ecf
verify`` knows the new value is legitimate (:mod:`ecf.history`).  The entry's detail holds the
old and new values of career and special fields (as an ``add-*`` entry holds them); a
personal field (an evidence author, a note) is named, never copied: its old value survives
only as the digest in ``replaces``.  A decision is neither corrected nor retracted here: a new
decision names the one it corrects (``ecf decide --corrects dec-N``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import attrs

from ecf import _arguments as arguments
from ecf.fields import FIELDS
from ecf.records import HistoryEntry, Record, digest

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = [
    "CORRECTABLE",
    "KINDS",
    "correct",
    "find",
    "id_attr",
    "in_force",
    "item_ids",
    "next_id",
    "retract",
    "with_ids",
]

T = TypeVar("T")

#: The prefix of each kind of item's id, and the record field that holds the items.
KINDS: dict[str, str] = {
    "ev": "evidence",
    "ab": "absences",
    "hr": "hours",
    "rv": "milestones",
    "dec": "decisions",
    "em": "employment",
    "as": "assignments",
}
#: The prefix of the items of each record field.
PREFIXES: dict[str, str] = {field: prefix for prefix, field in KINDS.items()}
#: What an item of each field is called in messages.
NAMES: dict[str, str] = {
    "evidence": "evidence item",
    "absences": "absence",
    "hours": "working-pattern change",
    "milestones": "review held",
    "decisions": "decision",
    "employment": "employment period",
    "assignments": "assignment",
}
#: Lists kept in date order: every missing id is stored before the list changes.
SORTED: dict[str, Callable[[Any], Any]] = {
    "absences": lambda a: a.first,
    "hours": lambda h: h.from_,
    "employment": lambda e: e.from_,
}
#: Lists whose items may be retracted (a decision is corrected by a new one; an employment
#: period's dates are corrected instead).
RETRACTABLE = frozenset({"evidence", "absences", "hours", "milestones"})


def _fte(value: object, _name: str) -> object:
    return arguments.fte(value)


#: The fields a correction may change, by record field: the name a caller gives (``ecf
#: correct``'s option, ``from_`` for ``--from``), the attribute it sets, and its check.
CORRECTABLE: dict[str, dict[str, tuple[str, Callable[[object, str], object]]]] = {
    "evidence": {
        "date": ("date", arguments.date),
        "kind": ("kind", arguments.text),
        "standards": ("standards", arguments.texts),
        "note": ("note", arguments.optional_text),
        "by": ("by", arguments.optional_text),
    },
    "absences": {
        "kind": ("kind", arguments.text),
        "from_": ("first", arguments.date),
        "to": ("last", arguments.date),
    },
    "hours": {"from_": ("from_", arguments.date), "fte": ("fte", _fte)},
    "milestones": {"date": ("date", arguments.date)},
    "employment": {
        "council": ("council", arguments.optional_text),
        "from_": ("from_", arguments.date),
        "to": ("to", arguments.optional_date),
    },
    "assignments": {
        "name": ("name", arguments.text),
        "from_": ("from_", arguments.date),
        "to": ("to", arguments.optional_date),
    },
}


def id_attr(field: str) -> str:
    """The attribute that holds the stable id of an item of ``field`` (``ref``, else ``id``)."""
    return "ref" if field == "milestones" else "id"


def _number(text: str, prefix: str) -> int | None:
    found = re.fullmatch(rf"{re.escape(prefix)}-0*(\d+)", text)
    return int(found.group(1)) if found else None


def item_ids(items: Sequence[object], prefix: str, attr: str = "id") -> tuple[str, ...]:
    """The stable id of each item: stored, else derived (its place, or the next free number).

    Args:
        items: The items of one list of the record, as the file holds them.
        prefix: Their prefix (``ab``).
        attr: The attribute holding a stored id.
    """
    stored: list[str | None] = [getattr(x, attr, None) for x in items]
    taken = {n for s in stored if s is not None and (n := _number(s, prefix)) is not None}
    top = max(taken, default=0)
    out: list[str] = []
    for place, given in enumerate(stored, 1):
        if given is not None:
            out.append(given)
            continue
        number = place
        if number in taken:
            top += 1
            number = top
        taken.add(number)
        top = max(top, number)
        out.append(f"{prefix}-{number}")
    return tuple(out)


def next_id(items: Sequence[object], prefix: str, attr: str = "id") -> str:
    """The id of a new item added to ``items``: one past the highest number (``as-3``)."""
    numbers = [_number(i, prefix) or 0 for i in item_ids(items, prefix, attr)]
    return f"{prefix}-{max(numbers, default=0) + 1}"


def with_ids(items: Sequence[T], prefix: str, attr: str = "id") -> tuple[T, ...]:
    """The items, each with its stable id stored (those it had kept, the others derived)."""
    ids = item_ids(items, prefix, attr)
    return tuple(
        x if getattr(x, attr) == i else attrs.evolve(x, **{attr: i})  # type: ignore[misc]
        for x, i in zip(items, ids, strict=True)
    )


def items_of(record: Record, field: str) -> tuple[object, ...]:
    """The items of a field; employment as :meth:`~ecf.records.Record.periods` gives them."""
    return tuple(record.periods() if field == "employment" else getattr(record, field))


def find(record: Record, item_id: object) -> tuple[str, int, str]:
    """Where an item is: its field, its index there and its id as the record spells it.

    Raises:
        RecordError: not an id, or no item of the record has it.
    """
    given = arguments.text(item_id, "id")
    prefix, _, _ = given.partition("-")
    field = KINDS.get(prefix)
    number = _number(given, prefix) if field else None
    if field is None or number is None:
        known = ", ".join(f"{p}-N" for p in KINDS)
        raise arguments.refuse(f"not an item id (ids look like {known})", "id", given[:40])
    ids = item_ids(items_of(record, field), prefix, id_attr(field))
    for index, known_id in enumerate(ids):
        if _number(known_id, prefix) == number:
            return field, index, known_id
    raise arguments.refuse(
        f"no {NAMES[field]} with this id in the record (`ecf timeline` shows every id)", given
    )


def in_force(record: Record) -> Record:
    """The record as the engine counts it: retracted items left out (the same record if none)."""
    changed: dict[str, Any] = {}
    for field in RETRACTABLE:
        items = getattr(record, field)
        if any(x.retracted is not None for x in items):
            changed[field] = tuple(x for x in items if x.retracted is None)
    return attrs.evolve(record, **changed) if changed else record


class _Retractable(Protocol):
    """An item that may be retracted (its ``retracted`` is set when it was)."""

    @property
    def retracted(self) -> object:
        """The retraction, or None."""


R = TypeVar("R", bound=_Retractable)


def kept(items: Sequence[R]) -> Sequence[R]:
    """The items not retracted (the same sequence when none is): :func:`in_force` for one list.

    Args:
        items: The items of one retractable list (:data:`RETRACTABLE`) of a record.
    """
    for item in items:
        if item.retracted is not None:
            return tuple(x for x in items if x.retracted is None)
    return items


def _shown(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return "none" if value is None else str(value)


def _stored(record: Record, field: str) -> tuple[Any, ...]:
    """The field's items, with every id stored where its list is kept in date order."""
    items = items_of(record, field)
    if field in SORTED:
        return with_ids(items, PREFIXES[field], id_attr(field))
    return items


def _replaced(
    record: Record, field: str, index: int, new: object, entry: HistoryEntry, old: object
) -> Record:
    items = list(_stored(record, field))
    items[index] = new
    also: dict[str, Any] = {}
    if field == "employment" and index == len(items) - 1:
        also["council"] = getattr(new, "council", None)  # the current employer's code
    if field in SORTED:
        items.sort(key=SORTED[field])
    sealed = attrs.evolve(entry, item=digest(new), replaces=digest(old))
    return record.changed(sealed, **{field: tuple(items)}, **also)


def correct(
    record: Record, item_id: object, changes: Mapping[str, object], entry: HistoryEntry
) -> Record:
    """The record with fields of one item corrected, and ``entry`` recording it.

    Args:
        record: The record.
        item_id: The item's stable id (``ev-001``).
        changes: The fields to correct, by the names of :data:`CORRECTABLE`.
        entry: Who and when (its action ``correct``, its detail the reason): the detail is
            completed with what changed, and the entry seals the item's new value.

    Raises:
        RecordError: an unknown id or field, a decision (corrected by a new decision), a
            retracted item, a bad value, or values the item already holds.
    """
    field, index, known_id = find(record, item_id)
    if field == "decisions":
        raise arguments.refuse(
            f"a decision is corrected only by a new decision: `ecf decide --corrects {known_id}`",
            known_id,
        )
    allowed = CORRECTABLE[field]
    if not changes:
        raise arguments.refuse(f"say what to correct (its fields: {_names(allowed)})", known_id)
    for name in changes:
        if name not in allowed:
            raise arguments.refuse(
                f"{_article(NAMES[field])} {NAMES[field]} has no field {_cli(name)} to correct "
                f"(its fields: {_names(allowed)})",
                f"{known_id}.{_cli(name)}",
            )
    old = _stored(record, field)[index]
    if getattr(old, "retracted", None) is not None:
        raise arguments.refuse("retracted: a retracted item is not corrected", known_id)
    values = {allowed[n][0]: allowed[n][1](v, f"{known_id}.{_cli(n)}") for n, v in changes.items()}
    new = attrs.evolve(old, **values, **{id_attr(field): known_id})
    said = [
        f"{_cli(n)} {_shown(getattr(old, allowed[n][0]))} -> {_shown(values[allowed[n][0]])}"
        if FIELDS.get(f"{field}.{allowed[n][0]}") != "personal"
        else f"{_cli(n)} changed"
        for n in changes
        if getattr(old, allowed[n][0]) != values[allowed[n][0]]
    ]
    if not said:
        raise arguments.refuse("it already holds these values: nothing to correct", known_id)
    reason = f"; {entry.detail}" if entry.detail else ""
    detail = f"{known_id} corrected: {', '.join(said)}{reason}"
    return _replaced(
        record, field, index, new, attrs.evolve(entry, ref=known_id, detail=detail), old
    )


def retract(record: Record, item_id: object, entry: HistoryEntry) -> Record:
    """The record with one item retracted (kept, marked, counting for nothing).

    Args:
        record: The record.
        item_id: The item's stable id (``ev-001``).
        entry: Who and when (its action ``retract``, its detail the reason); it seals the
            item as retracted.

    Raises:
        RecordError: an unknown id, a decision or an employment period (not retracted), or an
            item retracted already.
    """
    field, index, known_id = find(record, item_id)
    if field == "decisions":
        raise arguments.refuse(
            f"a decision is never retracted: a new decision corrects it "
            f"(`ecf decide --corrects {known_id}`)",
            known_id,
        )
    if field not in RETRACTABLE:
        raise arguments.refuse(
            f"an employment period is not retracted: correct its dates (`ecf correct FILE "
            f"{known_id} --from DATE --to DATE`)",
            known_id,
        )
    old = _stored(record, field)[index]
    if old.retracted is not None:
        raise arguments.refuse(f"retracted already, at {old.retracted:%Y-%m-%d %H:%M}", known_id)
    new = attrs.evolve(old, retracted=entry.at, **{id_attr(field): known_id})
    reason = f"; {entry.detail}" if entry.detail else ""
    detail = f"{known_id} retracted{reason}"
    return _replaced(
        record, field, index, new, attrs.evolve(entry, ref=known_id, detail=detail), old
    )


def _article(name: str) -> str:
    return "an" if name[0] in "aeiou" else "a"


def _cli(name: str) -> str:
    return {"from_": "from", "standards": "standard"}.get(name, name)


def _names(allowed: Mapping[str, object]) -> str:
    return ", ".join(_cli(n) for n in allowed)
