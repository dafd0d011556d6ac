"""What a record holds about a person, classified; and the three uses of that classification.

Every field of a record is in one of three categories (:data:`FIELDS`, one table for the whole
model, nested fields included; a test fails when a field of the model is missing from it):

``personal``
    Data about an identifiable person: the practitioner (``name``, ``swe``, and ``id``, the
    council's reference, which its HR system links back to the person: pseudonymous data is
    still personal data), or the colleagues a record names (who wrote or observed evidence,
    who decided, who changed the record).  Free text (evidence notes), attachments (a file
    name or URL, and the hash that identifies a document about the person) and a council's
    own ``extra`` fields, whose meaning ecf does not know, are personal too.
``special``
    Data that may reveal a special category (UK GDPR article 9: health above all).  The kind
    of an absence (``sickness`` is health; ``parental`` reveals a pregnancy or a birth: see
    :data:`SPECIAL_ABSENCE_KINDS`), the reason for leaving (``ill-health retirement``), and
    the free-text detail of a history entry, which repeats what changed (``add-absence``
    writes ``sickness 2026-01-05 to 2026-03-01``).  The kinds ``bereavement``, ``unpaid``,
    ``career-break``, ``other``, ``annual-leave``, ``training`` and ``support-gap`` (a pause
    for lack of support) are conditions of
    employment that move due dates, not health: their values stay as they are.
``career``
    The facts of an early career that matter without the person: stages and their dates,
    the framework versions they pin, working pattern, absence dates, evidence ids, kinds,
    dates and standards, milestones held, decisions' stages, outcomes and dates, when the
    practitioner left, when each change was made and what kind of change it was, and the
    digests that make the history tamper-evident.  Together they can still single a person
    out in a small council (a qualification date, a rare path): share anonymised records in
    aggregate, not one by one.

The classification is used three ways:

* :func:`view`: an assessor sees the career fields and only the personal or special ones it
  declares (``ECF_FIELDS``, see ``docs/plugins.md``); the others are blank.
* :func:`anonymise`: strips every personal and special field and keeps the career facts.
  The record's ``id`` is *replaced* by a random one (``anon-`` and 16 hex digits), not kept and
  not a keyed pseudonym: the council's HR system (and anyone holding a pseudonymisation key)
  can map the old id back to the person, which would leave the record pseudonymised rather
  than anonymised.  Nothing in the result links to the old id.
* :func:`shown_in_errors`: an error shows the offending value so that a person can fix it,
  except the value of a personal or special field.  Errors and logs name a record by its id
  only: the id is the one personal field they show (with an absence kind that is not a known
  kind, so never one that reveals health, and a blank value, which holds nothing).

:func:`ecf.subject_access.subject_access` gathers everything held about the person for a subject
access request.

This module is long because the three uses walk the one classification: split, a view and an
anonymised record could come to differ on what a field is.  The view has a walk of its own,
planned once per class (a report that assesses every record builds two views of each: issue 14).
"""

from __future__ import annotations

import copy
import functools
import operator
import re
from typing import TYPE_CHECKING, Any

import attrs

from ecf._replace import getter, replace, tuple_getter, tuple_picker
from ecf.fields import CATEGORIES, FIELDS, FILE_KEYS, Category, category, shown_in_errors
from ecf.history import seal
from ecf.records import Record, content_seal, digest, record_to_dict

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ecf.framework import Framework
    from ecf.records import HistoryEntry

__all__ = [
    "ANONYMISED",
    "CATEGORIES",
    "FIELDS",
    "SPECIAL_ABSENCE_KINDS",
    "Category",
    "anonymise",
    "category",
    "check_fields",
    "classify",
    "neutral_absence_kind",
    "shown_in_errors",
    "view",
]


#: Absence kinds whose value reveals health (sickness; parental: a pregnancy or a birth).
SPECIAL_ABSENCE_KINDS = frozenset({"sickness", "parental"})
#: The absence kind a special one becomes, when the framework's ``other`` pauses alike.
NEUTRAL_ABSENCE_KIND = "other"
#: What a required personal text becomes in an anonymised record.
ANONYMISED = "anonymised"
_ANONYMOUS_ID = re.compile(r"anon-[0-9a-f]{16}")


def check_fields(declared: object) -> tuple[frozenset[str], list[str]]:
    """The field paths an assessor declares it needs, checked.

    Args:
        declared: A plugin's (or a rule kind's) ``ECF_FIELDS``: a set of paths of
            :data:`FIELDS`, or ``extra.KEY`` for one key of a council's own fields.

    Returns:
        The paths, and one line per problem (not a collection of strings, an unknown path).
    """
    if declared is None:
        return frozenset(), []
    if isinstance(declared, str | bytes) or not isinstance(
        declared, set | frozenset | list | tuple
    ):
        return frozenset(), [
            f"ECF_FIELDS must be a set of field paths, not a {type(declared).__name__}"
        ]
    problems = [
        f"ECF_FIELDS: unknown field {p!r}"
        for p in declared
        if not isinstance(p, str) or (p not in FIELDS and not _extra_key(p))
    ]
    return frozenset(p for p in declared if isinstance(p, str)), problems


def _extra_key(path: str) -> str | None:
    key = path.removeprefix("extra.")
    return key if key != path and key else None


def neutral_absence_kind(kind: str, frameworks: Iterable[Framework] = ()) -> str:
    """An absence kind that does not reveal health, with the same effect on due dates.

    A kind outside :data:`SPECIAL_ABSENCE_KINDS` is returned as it is.  A special one becomes
    ``other`` when it pauses the clock and counts as service alike (as in the baseline), else
    the first kind of the frameworks that is not special and does both alike.
    """
    if kind not in SPECIAL_ABSENCE_KINDS:
        return kind
    known = [k for fw in frameworks for k in fw.absence_kinds]
    # Alike in both flags: the due dates and the agency experience stay the same.
    effect = next(((k.pauses, k.counts_as_service) for k in known if k.id == kind), (True, True))
    alike = [
        k.id
        for k in known
        if k.id not in SPECIAL_ABSENCE_KINDS and (k.pauses, k.counts_as_service) == effect
    ]
    if not known or NEUTRAL_ABSENCE_KIND in alike:
        return NEUTRAL_ABSENCE_KIND
    return alike[0] if alike else NEUTRAL_ABSENCE_KIND


def _default(field: attrs.Attribute[Any]) -> Any:
    default = field.default
    factory = getattr(default, "factory", None)
    return factory() if callable(factory) else default


#: The fields that hold records of their own (a list of them, or an optional one).
_NESTED = frozenset(p.rpartition(".")[0] for p in FIELDS if "." in p)


@functools.cache
def _plan(
    cls: type[attrs.AttrsInstance], path: str, granted: frozenset[str] | None
) -> tuple[tuple[attrs.Attribute[Any], str, bool], ...]:
    """The fields of ``cls`` (at ``path``) to strip: each with its path, and whether to blank it."""
    out = []
    for field in attrs.fields(cls):
        sub = f"{path}.{field.name}" if path else field.name
        if granted is not None and _granted(sub, granted):
            continue
        if FIELDS[sub] != "career":
            out.append((field, sub, True))
        elif sub in _NESTED:
            out.append((field, sub, False))
    return tuple(out)


def _granted(path: str, granted: frozenset[str]) -> bool:
    """Whether ``path``, or a field that holds it, is declared."""
    parts = path.split(".")
    return any(".".join(parts[: i + 1]) in granted for i in range(len(parts)))


def _strip(
    value: Any,
    path: str,
    granted: frozenset[str] | None,
    blank: Callable[[str, attrs.Attribute[Any], Any], Any],
) -> Any:
    """``value`` with its non-career fields not ``granted`` (all: None) replaced by ``blank``."""
    changes: dict[str, Any] = {}
    cls: type[attrs.AttrsInstance] = type(value)
    for field, sub, to_blank in _plan(cls, path, granted):
        current = getattr(value, field.name)
        if to_blank:
            new = blank(sub, field, current)
        elif isinstance(current, tuple):
            items = tuple(_strip(item, sub, granted, blank) for item in current)
            new = current if all(a is b for a, b in zip(items, current, strict=True)) else items
        elif current is not None:
            new = _strip(current, sub, granted, blank)
        else:
            continue
        if new is not current:
            changes[field.alias or field.name] = new
    return attrs.evolve(value, **changes) if changes else value


def view(
    record: Record, fields: Iterable[str] = (), frameworks: Iterable[Framework] = ()
) -> Record:
    """The record as an assessor that declared ``fields`` sees it.

    Career fields are always there.  A personal or special field is there when its path, or
    the path of a field that holds it, is declared (``evidence`` grants every field of every
    piece of evidence, notes included; ``evidence.by`` only the authors).  The others are
    blank: a text that must be there is ``""``, an optional one ``None``, ``extra`` keeps only
    the keys declared as ``extra.KEY``, and an absence kind that reveals health becomes a
    neutral kind with the same effect on due dates (:func:`neutral_absence_kind`).

    ``extra`` is always a copy, so an assessor that changes it harms nothing.
    """
    granted = frozenset(fields)
    keys = frozenset(k for p in granted if (k := _extra_key(p)))
    stripped: Record = _view_strip(record, "", granted, keys, tuple(frameworks))
    return replace(stripped, {"extra": copy.deepcopy(stripped.extra)})


# How :func:`view` blanks a field (issue 14: a report that assesses every record builds two
# views of each; ``attrs.evolve`` item by item was most of the export's time).  Each class is
# planned once per path and declaration: the fields to blank, with what, and the nested ones.
_CONSTANT, _FACTORY, _EXTRA, _KIND, _NESTED_ONES = range(5)

#: A planned step: the field's place among its class's fields, its name, its path, the action,
#: and the constant (or factory) a blanked field takes.
_Step = tuple[int, str, str, int, Any]


@functools.cache
def _places(cls: type[attrs.AttrsInstance]) -> dict[str, int]:
    return {f.name: i for i, f in enumerate(attrs.fields(cls))}


@functools.cache
def _view_plan(
    cls: type[attrs.AttrsInstance], path: str, granted: frozenset[str]
) -> tuple[_Step, ...]:
    """:func:`_plan` for :func:`view`, with what each blanked field becomes."""
    index = _places(cls)
    steps: list[_Step] = []
    for field, sub, to_blank in _plan(cls, path, granted):
        action: int
        what: Any = None
        if not to_blank:
            action = _NESTED_ONES
        elif sub == "extra":
            action = _EXTRA
        elif sub == "absences.kind":
            action = _KIND
        elif field.default is attrs.NOTHING:
            action, what = _CONSTANT, ""
        elif callable(factory := getattr(field.default, "factory", None)):
            action, what = _FACTORY, factory
        else:
            action, what = _CONSTANT, field.default
        steps.append((index[field.name], field.name, sub, action, what))
    return tuple(steps)


def _view_strip(
    value: Any, path: str, granted: frozenset[str], keys: frozenset[str], known: tuple[Any, ...]
) -> Any:
    """:func:`_strip` with :func:`view`'s blanks, each instance rebuilt at most once."""
    cls: type[attrs.AttrsInstance] = type(value)
    changes: dict[str, Any] | None = None
    for _, name, sub, action, what in _view_plan(cls, path, granted):
        current = getattr(value, name)
        if action == _CONSTANT:
            new = what
        elif action == _NESTED_ONES:
            if isinstance(current, tuple):
                new = _view_items(current, sub, granted, keys, known)
            elif current is not None:
                new = _view_strip(current, sub, granted, keys, known)
            else:
                continue
        elif action == _FACTORY:
            new = what()
        elif action == _EXTRA:
            new = {k: v for k, v in current.items() if k in keys}
        else:
            new = neutral_absence_kind(current, known)
        if new is not current:
            if changes is None:
                changes = {}
            changes[name] = new
    return value if changes is None else replace(value, changes)


def _new_id(record: Record) -> str:
    if record.name == ANONYMISED and _ANONYMOUS_ID.fullmatch(record.id):
        return record.id  # already anonymised: its id was random already
    import secrets  # noqa: PLC0415 - only anonymising needs it; it imports random (issue 14)

    return f"anon-{secrets.token_hex(8)}"


def anonymise(record: Record, entry: HistoryEntry, frameworks: Iterable[Framework] = ()) -> Record:
    """The record without its personal and special data, keeping the career facts.

    The name and every other required personal text become ``anonymised``; optional ones
    (``swe``, evidence authors, notes and attachments) and ``extra`` are removed; the history
    keeps what was done and when, not by whom nor its detail; absence kinds that reveal health
    become neutral ones with the same effect on due dates, and the reason for leaving
    ``anonymised``.  The id is replaced by a random one (see the module's docstring).

    The history stays tamper-evident, and ``ecf verify`` says the same of it as before: each
    digest it holds is recomputed for what was stripped where it matched before, and left as
    it was where it did not (an edit by hand stays visible).  Then ``entry`` (who, when, and
    the reason in its detail) is appended.
    """
    known = tuple(frameworks)
    new_id = _new_id(record)

    def blank(path: str, field: attrs.Attribute[Any], value: Any) -> Any:
        if path == "id":
            return new_id
        if path == "absences.kind":
            return neutral_absence_kind(value, known)
        if field.default is not attrs.NOTHING:
            return _default(field)
        return ANONYMISED

    stripped: Record = _strip(record, "", None, blank)
    return _rechain(record, stripped).changed(entry)


#: Every list of a record whose items a history entry may seal.
_SEALED_LISTS = (
    "evidence",
    "milestones",
    "decisions",
    "absences",
    "hours",
    "employment",
    "appeals",
    "assignments",
)


def _rechain(old: Record, new: Record) -> Record:
    """``new``'s history with the digests that matched ``old`` recomputed for ``new``.

    A digest that did not match (an entry, a decision or evidence edited by hand) is kept as it
    was, so that it still does not match: anonymising never hides a change made by hand.
    """
    moved: dict[str, str] = {}
    # Every list an entry may seal: corrections and retractions seal any item (ecf.items).
    for name in (
        "evidence",
        "milestones",
        "decisions",
        "absences",
        "hours",
        "employment",
        "appeals",
    ):
        for before, after in zip(getattr(old, name), getattr(new, name), strict=True):
            moved[digest(before)] = digest(after)
    for k in range(len(old.decisions) + 1):
        moved[seal(old.decisions[:k])] = seal(new.decisions[:k])
    chained: list[HistoryEntry] = []
    for i, entry in enumerate(new.history):
        item = moved.get(entry.item, entry.item) if entry.item is not None else None
        prev = entry.prev
        if i and prev is not None and prev == digest(old.history[i - 1]):
            prev = digest(chained[-1])
        # A signature no longer matches an entry stripped of who and what: it goes (the
        # anonymise entry, signed in turn, says who stripped it).
        chained.append(attrs.evolve(entry, item=item, prev=prev, key=None, sig=None))
    last = old.history[-1] if old.history else None
    # The last seal, recomputed for the stripped record only where it held before.
    if chained and last is not None and last.state and content_seal(old, last) == last.state:
        chained[-1] = attrs.evolve(chained[-1], state=content_seal(new, chained[-1]))
    return attrs.evolve(new, history=tuple(chained))


def classify(record: Record) -> dict[str, Category]:
    """The category of every field the record holds a value in, by path (``extra.KEY``)."""
    data = record_to_dict(record)
    found: dict[str, Category] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item, path)
            return
        if path:
            found[path] = FIELDS.get(path, "personal")  # a field not yet classified: personal
        if isinstance(value, dict) and path != "extra":
            for key, item in value.items():
                walk(item, f"{path}.{FILE_KEYS.get(key, key)}" if path else key)
        elif path == "extra":
            for key in value:
                found[f"extra.{key}"] = "personal"

    walk(data, "")
    return found


def _view_items(
    items: tuple[Any, ...],
    path: str,
    granted: frozenset[str],
    keys: frozenset[str],
    known: tuple[Any, ...],
) -> tuple[Any, ...]:
    """A tuple of records stripped as :func:`_view_strip` strips each one.

    The same tuple if none changed; items of one class whose blanks are all constants are
    stripped in one tight loop.
    """
    if not items:
        return items
    cls: type[attrs.AttrsInstance] = type(items[0])
    plan = _constant_plan(cls, path, granted)
    if plan is None or len(set(map(type, items))) != 1:  # one class: the first's
        stripped = [_view_strip(item, path, granted, keys, known) for item in items]
        return items if all(map(operator.is_, stripped, items)) else tuple(stripped)
    blanked, kept, order, constants = plan
    out: list[Any] = []
    changed = False
    for item in items:
        if all(map(operator.is_, blanked(item), constants)):
            out.append(item)
            continue
        # The kept fields' values, then the blanks, put in the class's order: one call each.
        out.append(cls(*order(kept(item) + constants)))
        changed = True
    return tuple(out) if changed else items


@functools.cache
def _constant_plan(
    cls: type[attrs.AttrsInstance], path: str, granted: frozenset[str]
) -> (
    tuple[
        Callable[[Any], tuple[Any, ...]],
        Callable[[Any], tuple[Any, ...]],
        Callable[[tuple[Any, ...]], tuple[Any, ...]],
        tuple[Any, ...],
    ]
    | None
):
    """How :func:`_view_items` strips a class whose blanks are all constants.

    For evidence, history entries...: a getter of the blanked fields' values, one of the kept
    fields' values, a getter that puts the kept values followed by the blanks in the class's
    order of fields, and the blanks; ``None`` for any other class.
    """
    steps = _view_plan(cls, path, granted)
    if not steps or getter(cls) is None or any(step[3] != _CONSTANT for step in steps):
        return None
    names = [f.name for f in attrs.fields(cls)]
    places = [step[0] for step in steps]
    kept = [name for i, name in enumerate(names) if i not in places]
    order = [
        len(kept) + places.index(i) if i in places else i - sum(p < i for p in places)
        for i in range(len(names))
    ]
    return (
        tuple_getter([step[1] for step in steps]),
        tuple_getter(kept),
        tuple_picker(order),
        tuple(step[4] for step in steps),
    )
