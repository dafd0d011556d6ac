"""The one cattrs converter ``ecf`` uses, with strict hooks and field-path errors.

TOML already gives dates, integers and booleans their own types, so the converter accepts a
value only in its own type (an integer is not a string, ``1.5`` is not a month count), with two
exceptions made for data that comes from HR databases as text: a date may also be an ISO string,
and an FTE may be a string such as ``"0.6"`` or ``"3/5"``.  Nothing is coerced silently.  Dates
and FTEs are read by :mod:`ecf.parsing`, as the command line and the HR import read them.

Structuring errors come back from cattrs as an exception group; :func:`structure` turns them into
:class:`~ecf.errors.Problem` values with cattrs' own field paths (``evidence[3].date``).

Valid data takes a fast path (:func:`fast_structure`) that walks the same annotations with the
same hooks without generating code; cattrs itself is imported only when data fails it, or to
unstructure (issue 14).  Where many records are read (a cohort, the cache), msgspec structures
them in C first (:func:`c_structure`, :func:`c_decode`, :func:`c_encode`), through the same
hooks (dates read by msgspec, their range checked after), and declines whatever the paths above
would read differently.

This module is long because the converter, its fast paths and the JSON form share these hooks,
and each must agree with the others to the letter.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
import types
import typing
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ecf._hints import type_hints
from ecf.errors import EcfError, Problem, RecordError
from ecf.parsing import (
    FIRST_DATE,
    LAST_DATE,
    ParseError,
    check_date_range,
    parse_date,
    parse_fte,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import cattrs

T = TypeVar("T")

#: Attribute names that differ from their key in a file, because the key is a Python keyword.
RENAMES = {"from_": "from"}


#: What a record file has always said of an FTE that is not a number (people's scripts match it).
_FTE_IN_A_FILE = "expected a number or a fraction such as 3/5"


def _str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise ParseError("expected a string", value)
    return value


def _int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParseError("expected a whole number", value)
    return value


def _bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise ParseError("expected true or false", value)
    return value


def _date(value: object, _: type) -> dt.date:
    return parse_date(value)


def _datetime(value: object, _: type) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ParseError("invalid date and time, expected ISO 8601", value) from None
    if not isinstance(value, dt.datetime):
        raise ParseError("expected a date and time", value)
    if value.tzinfo is None:
        raise ParseError("expected a date and time with a UTC offset (2026-01-05T10:00:00Z)", value)
    return check_date_range(value, value)


def _fraction(value: object, _: type) -> Fraction:
    kind = type(value)
    remembered = kind is float or kind is str
    if remembered:
        found = _FTES.get((kind, value))
        if found is not None:
            return found
    try:
        fte = parse_fte(value)
    except ParseError as exc:
        if isinstance(value, str | float):
            raise ParseError(_FTE_IN_A_FILE, value) from exc
        raise
    if remembered and len(_FTES) < _FTES_KEPT:
        _FTES[kind, value] = fte
    return fte


#: The FTEs read from text and floats, by type and value: the records of a cohort hold a few
#: working patterns (``0.6``, ``"3/5"``), each read once (parse_fte makes a Fraction from its
#: text, about 3 us) and kept, at most :data:`_FTES_KEPT` of them (a Fraction is immutable).
_FTES: dict[tuple[type, object], Fraction] = {}
_FTES_KEPT = 1024


def fraction_to_toml(value: Fraction) -> float | str:
    """Write an FTE as a decimal number when it has an exact short one, else as ``"n/d"``."""
    try:
        as_float = float(value)
    except OverflowError:  # beyond any float: only the exact form can show it
        return f"{value.numerator}/{value.denominator}"
    if Fraction(repr(as_float)) == value:
        return int(value) if value.denominator == 1 else as_float
    return f"{value.numerator}/{value.denominator}"


def _is_homogeneous_tuple(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis  # noqa: PLR2004


def _tuple_hook_factory(tp: Any, converter: cattrs.Converter) -> Any:
    import cattrs  # noqa: PLC0415 - cattrs is imported when the converter is built (issue 14)
    from cattrs.errors import IterableValidationNote  # noqa: PLC0415 - as above

    item_type = typing.get_args(tp)[0]
    handler = converter.get_structure_hook(item_type)

    def structure_tuple(value: object, _: type) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise ParseError("expected a list", value)
        items: list[Any] = []
        errors: list[Exception] = []
        for index, item in enumerate(value):
            try:
                items.append(handler(item, item_type))
            except Exception as exc:  # noqa: BLE001 - gathered and re-raised as a group
                note = IterableValidationNote(f"Structuring index {index}", index, item_type)
                exc.__notes__ = [*getattr(exc, "__notes__", []), note]
                errors.append(exc)
        if errors:
            raise cattrs.IterableValidationError("while structuring a list", errors, tp)
        return tuple(items)

    return structure_tuple


def _is_literal(tp: Any) -> bool:
    return typing.get_origin(tp) is typing.Literal


def _literal(value: object, tp: Any) -> Any:
    # cattrs' own Literal check raises a bare CattrsError, which names neither the allowed values
    # nor the value as read: check here, so the message says both.
    allowed = typing.get_args(tp)
    if not any(type(value) is type(a) and value == a for a in allowed):
        raise ParseError(f"must be one of: {', '.join(str(a) for a in allowed)}", value)
    return value


def _dict(value: object, _: type) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParseError("expected a table", value)
    return dict(value)


def _has_renames(cls: Any) -> bool:
    return attrs.has(cls) and any(a.name in RENAMES for a in attrs.fields(cls))


def _renames(cls: Any) -> dict[str, Any]:
    from cattrs.gen import override  # noqa: PLC0415 - cattrs is imported when the converter is built

    return {
        a.name: override(rename=RENAMES[a.name]) for a in attrs.fields(cls) if a.name in RENAMES
    }


def make_converter() -> cattrs.Converter:
    """Build the strict converter (once, when first needed: see :func:`get_converter`)."""
    import cattrs  # noqa: PLC0415 - one record's commands do not need cattrs (issue 14)
    from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn  # noqa: PLC0415

    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True, omit_if_default=True)
    conv.register_structure_hook(str, _str)
    conv.register_structure_hook(int, _int)
    conv.register_structure_hook(bool, _bool)
    conv.register_structure_hook(dt.date, _date)
    conv.register_structure_hook(dt.datetime, _datetime)
    conv.register_structure_hook(Fraction, _fraction)
    conv.register_structure_hook_func(lambda tp: tp == dict[str, Any], _dict)
    conv.register_structure_hook_func(_is_literal, _literal)
    conv.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_hook_factory)
    conv.register_structure_hook_factory(
        _has_renames, lambda cls: make_dict_structure_fn(cls, conv, **_renames(cls))
    )
    conv.register_unstructure_hook_factory(
        _has_renames,
        lambda cls: make_dict_unstructure_fn(
            cls, conv, _cattrs_omit_if_default=True, **_renames(cls)
        ),
    )
    # Dates and datetimes are native TOML values: unstructure them as themselves.
    conv.register_unstructure_hook(dt.date, lambda d: d)
    conv.register_unstructure_hook(dt.datetime, lambda d: d)
    conv.register_unstructure_hook(Fraction, fraction_to_toml)
    conv.register_unstructure_hook_factory(
        _is_homogeneous_tuple, lambda _tp, c: lambda v: [c.unstructure(i) for i in v]
    )
    return conv


_CONVERTER: list[cattrs.Converter] = []


def get_converter() -> cattrs.Converter:
    """The strict converter, built on first use.

    A command that reads valid records through the fast path below, and writes none, never
    imports cattrs (issue 14).
    """
    if not _CONVERTER:
        _CONVERTER.append(make_converter())
    return _CONVERTER[0]


def __getattr__(name: str) -> Any:
    if name == "converter":  # the module attribute it was, built on first use
        return get_converter()
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def _format(exc: BaseException, tp: type | None) -> str:  # noqa: PLR0911 - one case per kind of error
    import cattrs  # noqa: PLC0415 - errors only
    from cattrs.v import format_exception  # noqa: PLC0415 - errors only

    if isinstance(exc, ParseError):
        return f"{exc.message}\x00{_kind_or_repr(exc.value)}"
    if isinstance(exc, ValueError) and typing.get_origin(tp) is typing.Literal:
        allowed = ", ".join(str(a) for a in typing.get_args(tp))
        return f"must be one of: {allowed}"
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return f"unknown keys: {', '.join(sorted(exc.extra_fields))}"
    if isinstance(exc, AttributeError | TypeError) and tp is None:
        return "expected a table"
    if isinstance(exc, ValueError) and tp is None and str(exc):
        return str(exc)  # a class's own validator (a plugin's rule kind) says what is wrong
    return format_exception(exc, tp)


def _kind_or_repr(value: object) -> str:
    """How a bad value is shown: a date as ISO, a table or an array by its kind only.

    A table's content may hold anything (a one-bracket typo, ``[evidence]``, makes a whole
    piece of evidence, with its note and author, the value of ``evidence``): never shown.
    """
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    return repr(value)


def _path(raw: str) -> str:
    path = raw.removeprefix("$").removeprefix(".")
    for attr, key in RENAMES.items():
        path = path.replace(f".{attr}", f".{key}")
        if path == attr or path.startswith((f"{attr}.", f"{attr}[")):
            path = key + path[len(attr) :]
    return path


def problems_from(exc: BaseException) -> list[Problem]:
    """Turn a cattrs structuring error into one :class:`Problem` per failing field."""
    from cattrs.v import transform_error  # noqa: PLC0415 - errors only

    out: list[Problem] = []
    for line in transform_error(exc, "$", _format):
        text, _, raw_path = line.rpartition(" @ ")
        message, _, shown = text.partition("\x00")
        out.append(Problem(message, _path(raw_path), _Shown(shown) if shown else None))
    return out


class _Shown(str):
    """A value already rendered with repr(): shown as is, not quoted again."""

    __slots__ = ()
    #: Rendered already: an error that may not show it names its kind from the text.
    rendered = True

    def __repr__(self) -> str:
        return str(self)


# --- The fast path -------------------------------------------------------------------------------
# cattrs generates (and compiles) a structuring function for each class the first time it meets
# it: about 20 ms for the framework, rule and record classes in every run of the command line,
# before anything is read (issue 14).  The fast path below walks the same annotations with the
# same hooks, without generating code, and gives up on anything it does not know: a value it
# would refuse, a type it does not handle (a union of two classes, a plugin's own hook), a class
# whose own validator raises.  Then the converter above structures the data again, so every
# error keeps its field path and message; the fast path only ever returns what the converter
# would have returned for the same data (tests/test_speed.py checks both ways).


class _Unsupported(Exception):  # noqa: N818 - a signal inside this module, never raised out
    """A type the fast path does not handle: the converter structures it."""


class _Miss:
    __slots__ = ()


#: What :func:`fast_structure` returns when the converter must do it.
_MISS: Any = _Miss()

_PLANS: dict[Any, Callable[[Any], Any] | None] = {}

#: Types whose hook returns a value of exactly that type as it is (a date when in range).
_EXACT = frozenset({str, int, bool, dt.date})

_LEAF_HOOKS: dict[Any, Callable[[Any, Any], Any]] = {
    str: _str,
    int: _int,
    bool: _bool,
    dt.date: _date,
    dt.datetime: _datetime,
    Fraction: _fraction,
}


def _plan(tp: Any) -> Callable[[Any], Any]:  # noqa: PLR0911 - one case per kind of annotation
    """A function structuring a value of ``tp`` exactly as the converter would, or raising."""
    try:
        known = _PLANS[tp]
    except KeyError:
        pass
    except TypeError:  # an unhashable annotation
        raise _Unsupported from None
    else:
        if known is None:
            raise _Unsupported
        return known
    if tp is Any:
        return _same
    leaf = _LEAF_HOOKS.get(tp)
    if leaf is not None:
        return lambda value: leaf(value, tp)
    if tp == dict[str, Any]:
        return lambda value: _dict(value, tp)
    if _is_literal(tp):
        return lambda value: _literal(value, tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in {typing.Union, types.UnionType}:
        others = [a for a in args if a is not type(None)]
        if len(args) != 2 or len(others) != 1:  # noqa: PLR2004 - X | None only
            raise _Unsupported
        inner = _plan(others[0])
        return lambda value: None if value is None else inner(value)
    if _is_homogeneous_tuple(tp):
        item = _plan(args[0])
        return lambda value: _tuple(value, item)
    if origin is dict and len(args) == 2 and args[0] is str:  # noqa: PLR2004 - key and value
        inner = _plan(args[1])
        return lambda value: _mapping(value, inner)
    if isinstance(tp, type) and attrs.has(tp):
        return _class_plan(tp)
    raise _Unsupported


def _same(value: object) -> object:
    return value


def _tuple(value: object, item: Callable[[Any], Any]) -> tuple[Any, ...]:
    if not isinstance(value, list | tuple):
        raise ParseError("expected a list", value)
    return tuple([item(v) for v in value])


def _mapping(value: object, item: Callable[[Any], Any]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParseError("expected a table", value)
    return {_str(k, str): item(v) for k, v in value.items()}


def _class_plan(cls: type) -> Callable[[Any], Any]:
    cell: list[Callable[[Any], Any]] = []

    def forward(value: object) -> object:  # a class that holds itself, while it is planned
        return cell[0](value)

    _PLANS[cls] = forward
    try:
        fields = _field_plans(cls)
    except _Unsupported:
        _PLANS[cls] = None
        raise
    plan = fields
    first, last = FIRST_DATE, LAST_DATE

    def structure_class(value: object) -> object:
        if not isinstance(value, dict):
            raise ParseError("expected a table", value)
        kwargs = {}
        for key, name, sub, required, exact in plan:
            if key in value:
                item: Any = value[key]
                # A string, whole number, true/false or date in range is the hook's own result.
                if type(item) is not exact or (exact is dt.date and not first <= item <= last):
                    item = sub(item)
                kwargs[name] = item
            elif required:
                raise KeyError(key)
        if len(kwargs) != len(value):
            raise ParseError("unknown keys", value)
        return cls(**kwargs)

    cell.append(structure_class)
    _PLANS[cls] = structure_class
    return structure_class


def _field_plans(cls: type) -> tuple[tuple[str, str, Callable[[Any], Any], bool, Any], ...]:
    """(key in the data, keyword of ``cls``, plan, required, exact type) for each field.

    A value of the exact type (not a subclass) is what the plan would return for it: the plan is
    called only for other values (a date also when out of range).
    """
    try:
        hints = type_hints(cls)  # typing.get_type_hints, each annotation evaluated once
    except Exception:  # noqa: BLE001 - names imported for type checking only: the converter's
        raise _Unsupported from None
    fields = []
    for a in attrs.fields(cls):
        if not a.init:
            continue
        if a.alias != a.name or a.name not in hints:
            raise _Unsupported
        required = a.default is attrs.NOTHING
        tp = hints[a.name]
        exact = tp if tp in _EXACT else _Miss
        fields.append((RENAMES.get(a.name, a.name), a.name, _plan(tp), required, exact))
    return tuple(fields)


def fast_structure(data: object, cls: type) -> Any:
    """``data`` structured into ``cls`` without generated code, or :data:`_MISS`.

    A miss (bad data, or a type the fast path does not handle) leaves the work, and the errors,
    to the converter: callers go on to ``converter.structure``.
    """
    try:
        plan = _plan(cls)
    except _Unsupported:
        return _MISS
    try:
        return plan(data)
    except Exception:  # noqa: BLE001 - any failure: the converter says what is wrong
        return _MISS


def structure(
    data: object,
    cls: type[T],
    *,
    error: type[EcfError] = RecordError,
    file: str | None = None,
    native: bool = False,
) -> T:
    """Structure ``data`` into ``cls``, raising ``error`` with one problem per bad field.

    Args:
        data: Plain data, as a TOML file or an HR row gives it.
        cls: The attrs class.
        error: The error raised for bad data.
        file: The file named in its problems.
        native: Try the C path first (:func:`c_structure`): worth its import of msgspec when
            many values are structured in one process.

    Raises:
        EcfError: of type ``error``, naming ``file`` and every bad field's path and value.
    """
    if not isinstance(data, dict):
        raise error([Problem("expected a table", "", type(data).__name__, file)])
    if native:
        value = c_structure(data, cls)
        if value is not _MISS:
            return typing.cast("T", value)
    fast = fast_structure(data, cls)
    if fast is not _MISS:
        return typing.cast("T", fast)
    import cattrs  # noqa: PLC0415 - the fast path missed: bad data, or a type it does not handle

    try:
        return get_converter().structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise error([p.with_file(file) for p in problems_from(exc)]) from exc


def unstructure(value: object) -> Any:
    """Unstructure an attrs value to plain TOML-ready data (None fields are left out).

    Through :func:`fast_unstructure` when it knows every type on the way, else the converter.
    """
    fast = fast_unstructure(value)
    if fast is not _MISS:
        return fast
    return get_converter().unstructure(value)


# --- The C path (msgspec) ------------------------------------------------------------------------
# fast_structure builds every value in Python: about 200 us for a record of 45 pieces of evidence,
# half of a cohort's time (issue 14).  msgspec builds the same attrs values in C, in two steps.
# First it reads the data into a mirror of the class: a msgspec Struct made once from the class's
# fields, with the same keys (``from_`` as ``from``), unknown keys refused, the same defaults;
# dates read by msgspec itself (a date, or an ISO string ``YYYY-MM-DD``, which
# ``date.fromisoformat`` reads alike), a date and time and an FTE handed to the hooks above
# (:func:`_c_hook`), so they are read exactly as on the other paths.  Then msgspec makes the
# attrs values from the mirror's attributes.  What msgspec accepts and the converter refuses is
# checked: on the data (:func:`_shapes_ok`), a set, or a mapping that is not a dict, where an
# array or a table is expected, a subclass of str where a Literal is; on the value built
# (:func:`_dates_ok`), a date out of range.  msgspec never runs an attrs validator or
# converter: a class with one (or with anything else this path does not know: a union of two
# classes, a list, an ``__attrs_post_init__``) is declined once and for all, and data that
# fails is declined; then the current path (fast_structure, then the converter) runs unchanged,
# so every error keeps its field path and message.  tests/test_cpath.py checks both ways.
#
# Measured and not taken (benchmarks/README.md, "second round"): ``msgspec.convert(data,
# Record)`` straight into the attrs classes costs more than the two steps (msgspec builds an
# attrs instance from a mapping far more slowly than from a Struct's attributes).


class _Hooked(type):
    """A marker type whose values msgspec hands to :func:`_c_hook`.

    msgspec checks what a hook returns with ``isinstance`` against the type it asked for: a
    marker answers for the type its hook returns (``gives``).
    """

    gives: type

    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, cls.gives)


class _Moment(metaclass=_Hooked):
    gives = dt.datetime


#: The types read by a hook of this module on the C path, or read natively with a check after
#: (a date): the mirror's type, and the hook.
_C_LEAVES: dict[Any, Any] = {dt.date: dt.date, dt.datetime: _Moment, Fraction: Fraction}
_C_HOOKS: dict[Any, Callable[[Any, Any], Any]] = {_Moment: _datetime, Fraction: _fraction}
#: The types msgspec reads as the hooks above do (tests/test_cpath.py: bool is not int...).
_C_NATIVE = frozenset({str, int, bool})


def _c_hook(tp: Any, value: object) -> Any:
    return _C_HOOKS[tp](value, tp)


def _keep(_: Any, value: object) -> object:
    """The second step's hook: an FTE in the mirror is the FTE already."""
    return value


#: A check msgspec cannot make, on the values at one place of the data: the key that leads
#: there from the tables of the check above (None: each item of the arrays there), the types
#: allowed there (by ``type()``: a subclass of dict or list is declined too, which only sends
#: it to the current path), and the checks below it.
_Check = tuple[str | None, frozenset[type], tuple["_Check", ...]]

#: Where the dates of a class's values are: its date attributes, and the attributes holding
#: values (one, or a tuple of them: True) of classes with dates of their own.
_Dates = tuple[
    tuple["Callable[[Any], Any]", ...],
    tuple[tuple["Callable[[Any], Any]", bool, "_Dates"], ...],
]


class _CPlan(typing.NamedTuple):
    mirror: Any
    checks: tuple[_Check, ...]
    dates: _Dates
    #: The mirror :func:`c_structure` reads data into: an array of text, numbers or true/false
    #: (a piece of evidence's standards) is left as the data holds it (``Any``), and read once,
    #: by the second step, into the attrs value's tuple, with the same checks (the array's own
    #: type is checked on the data): without a tuple made and checked in the mirror first.
    loose: Any


_C_PLANS: dict[type, _CPlan | None] = {}
_MIRRORS: dict[tuple[type, bool], Any] = {}
_DECODERS: dict[type, Any] = {}


def _c_plan(cls: type) -> _CPlan | None:
    """The mirror of ``cls`` and the checks on its data, or None when the C path declines it."""
    try:
        return _C_PLANS[cls]
    except KeyError:
        pass
    import msgspec  # noqa: PLC0415 - the C path only: one record's commands never import it

    checks: list[_Check] = []
    plan: _CPlan | None
    try:
        mirror = _mirror_class(cls, checks, frozenset({cls}))
        loose = _mirror_class(cls, [], frozenset({cls}), loose=True)
        msgspec.msgpack.Decoder(cls)  # msgspec reads the class itself too (its annotations)
        plan = _CPlan(mirror, tuple(checks), _date_plan(cls), loose)
    except Exception:  # noqa: BLE001 - anything this path does not know: the current path's
        plan = None
    _C_PLANS[cls] = plan
    return plan


def _mirror_type(  # noqa: PLR0911 - one case per kind of annotation
    tp: Any, key: str | None, checks: list[_Check], within: frozenset[type], *, loose: bool
) -> Any:
    """The mirror's type for ``tp``, at ``key`` (None: the items of an array); checks added.

    ``checks`` are those on the values one level up: a check on these values is added to them.
    """

    def check(*kinds: type) -> list[_Check]:
        below: list[_Check] = []
        checks.append((key, frozenset({*kinds, type(None)}), below))  # type: ignore[arg-type]
        return below

    if tp in _C_LEAVES:
        return _C_LEAVES[tp]
    if tp in _C_NATIVE or tp is Any:
        return tp
    if tp == dict[str, Any]:
        check(dict)
        return tp
    if _is_literal(tp):
        check(*{type(a) for a in typing.get_args(tp)})
        return tp
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in {typing.Union, types.UnionType}:
        others = [a for a in args if a is not type(None)]
        if len(args) != 2 or len(others) != 1:  # noqa: PLR2004 - X | None only
            raise _Unsupported
        inner = _mirror_type(others[0], key, checks, within, loose=loose)
        return typing.Optional[inner]  # noqa: UP045 - made at run time
    if _is_homogeneous_tuple(tp):
        below = check(list, tuple)
        if loose and args[0] in _C_NATIVE:
            return Any  # read by the second step (see _CPlan.loose)
        item = _mirror_type(args[0], None, below, within, loose=loose)
        return tuple.__class_getitem__((item, ...))
    if isinstance(tp, type) and attrs.has(tp) and tp not in within:
        return _mirror_class(tp, check(dict), within | {tp}, loose=loose)
    raise _Unsupported


def _mirror_class(
    cls: type, checks: list[_Check], within: frozenset[type], *, loose: bool = False
) -> Any:
    """The mirror of ``cls``; the checks on its fields' values added to ``checks``."""
    import msgspec  # noqa: PLC0415 - the C path only

    if any(
        hasattr(cls, h) for h in ("__attrs_pre_init__", "__attrs_post_init__", "__attrs_init__")
    ):
        raise _Unsupported
    hints = typing.get_type_hints(cls)
    fields: list[Any] = []
    for a in attrs.fields(cls):
        if not a.init or a.alias != a.name or a.validator is not None or a.converter is not None:
            raise _Unsupported
        tp = _mirror_type(hints[a.name], RENAMES.get(a.name, a.name), checks, within, loose=loose)
        default = a.default
        if default is attrs.NOTHING:
            fields.append((a.name, tp))
        elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            if default.takes_self:
                raise _Unsupported
            fields.append((a.name, tp, msgspec.field(default_factory=default.factory)))
        else:
            fields.append((a.name, tp, default))
    if (cls, loose) not in _MIRRORS:
        _MIRRORS[cls, loose] = msgspec.defstruct(
            f"_{'Loose' if loose else ''}Mirror{cls.__name__}",
            fields,
            kw_only=True,
            forbid_unknown_fields=True,
            gc=False,  # a mirror lives for one call and holds no cycle
            omit_defaults=True,  # written as fast_unstructure writes (c_encode)
            rename={a: k for a, k in RENAMES.items() if a in attrs.fields_dict(cls)} or None,
        )
    return _MIRRORS[cls, loose]


def _date_plan(cls: type, deferred: frozenset[str] = frozenset()) -> _Dates:
    """Where the dates of ``cls``'s values are (for :func:`_dates_ok`).

    ``deferred``: attributes of ``cls`` whose dates are left out (:func:`c_structure`).
    """
    hints = typing.get_type_hints(cls)
    own: list[Callable[[Any], Any]] = []
    below: list[tuple[Callable[[Any], Any], bool, _Dates]] = []
    for a in attrs.fields(cls):
        if a.name in deferred:
            continue
        tp = hints[a.name]
        args = [t for t in typing.get_args(tp) if t is not type(None)]
        optional = typing.get_origin(tp) in {typing.Union, types.UnionType}
        if tp is dt.date or (optional and args == [dt.date]):
            own.append(operator.attrgetter(a.name))
            continue
        many = _is_homogeneous_tuple(tp)
        inner = args[0] if many or optional else tp
        if isinstance(inner, type) and attrs.has(inner) and inner is not cls:
            plan = _date_plan(inner)
            if plan != ((), ()):
                below.append((operator.attrgetter(a.name), many, plan))
    return tuple(own), tuple(below)


def _shapes_ok(values: list[Any], checks: tuple[_Check, ...] | list[_Check]) -> bool:
    """Whether the containers and Literal values below ``values`` are of the types checked.

    Each check goes down from values checked already (dicts, and lists or tuples): safe on any
    data.  An absent key (None) is not looked into.
    """
    for key, kinds, below in checks:
        if key is None:  # the items of one array (checked to be a list or a tuple) as they are
            found = values[0] if len(values) == 1 else list(itertools.chain.from_iterable(values))
        elif not below:  # nothing to look into: no list made
            # (a key no table holds, a piece of evidence's attachment, is passed over in one
            # C pass; any() stops at the first table holding it)
            if any(map(dict.__contains__, values, itertools.repeat(key))) and not kinds.issuperset(
                map(type, map(dict.get, values, itertools.repeat(key)))
            ):
                return False
            continue
        else:
            found = list(map(dict.get, values, itertools.repeat(key)))  # checked to be dicts
        if not kinds.issuperset(map(type, found)):
            return False
        if below and (found := list(filter(None, found))) and not _shapes_ok(found, below):
            return False
    return True


def _table_ok(data: dict[str, Any], checks: tuple[_Check, ...]) -> bool:
    """:func:`_shapes_ok` on one table (the data of a record), without a list per key.

    An array of tables (a record's evidence, reviews, absences...) has its items checked here,
    without a call of :func:`_shapes_ok` for the array itself (tests/test_throughput.py).
    """
    get = data.get
    for key, kinds, below in checks:
        found = get(key)  # type: ignore[arg-type]  # a class's checks are all by key
        if type(found) not in kinds:
            return False
        if not below or not found:
            continue
        if len(below) == 1 and below[0][0] is None:  # the items of an array, as they are
            _, item_kinds, item_below = below[0]
            types = set(map(type, found))
            if not item_kinds.issuperset(types):
                return False
            if item_below:
                items = list(filter(None, found)) if _NONE in types else found
                if items and not _shapes_ok(items, item_below):
                    return False
        elif not _shapes_ok([found], below):
            return False
    return True


_NONE = type(None)


def _dates_ok(value: object, plan: _Dates) -> bool:
    """Whether every date in ``value`` (an attrs value, or its mirror) is in range.

    msgspec reads a date, or an ISO string of one (which ``date.fromisoformat`` reads alike),
    and refuses a date and time and any other subclass of date, so every date here is a plain
    date; only the range (1950 to 2100) is left, checked on all the dates at once.
    """
    found: list[Any] = []
    _gather((value,), plan, found)
    dates = list(filter(None, found))
    return not dates or (min(dates) >= FIRST_DATE and max(dates) <= LAST_DATE)


def _gather(values: Sequence[Any], plan: _Dates, found: list[Any]) -> None:
    """The dates (and Nones) in ``values`` (attrs values of one class) added to ``found``."""
    own, below = plan
    one = values[0] if len(values) == 1 else None  # one value: no list of its fields
    for get in own:
        if one is None:
            found.extend(map(get, values))
        else:
            found.append(get(one))
    for get, many, plan_below in below:
        if one is not None:
            inner = get(one)
            inner = inner if many else () if inner is None else (inner,)
        elif many:
            inner = list(itertools.chain.from_iterable(map(get, values)))
        else:
            inner = list(filter(None, map(get, values)))
        if inner:
            _gather(inner, plan_below, found)


def c_structure(data: object, cls: type, *, deferred: frozenset[str] = frozenset()) -> Any:
    """``data`` structured into ``cls`` by msgspec, or :data:`_MISS`.

    Gives exactly what :func:`fast_structure` and the converter give, or misses: a class this
    path does not handle, or data that fails any check (callers then take the current path,
    which says what is wrong).

    Args:
        data: Plain data.
        cls: The attrs class.
        deferred: Attributes of ``cls`` whose dates are not checked to be in range (1950 to
            2100): the caller holds them between dates checked here, or takes the current path
            (:func:`ecf.cohort.stream`, after validation).  Every other check is made.
    """
    plan = _c_plan(cls)
    if plan is None or type(data) is not dict:  # a table, as the checks below take it
        return _MISS
    import msgspec  # noqa: PLC0415 - imported by _c_plan already

    try:
        mirror = msgspec.convert(data, plan.loose, dec_hook=_c_hook)
        value: Any = msgspec.convert(mirror, cls, from_attributes=True, dec_hook=_keep)
    except Exception:  # noqa: BLE001 - any failure: the current path says what is wrong
        return _MISS
    dates = plan.dates
    if deferred:
        dates = _DEFERRED.get((cls, deferred))  # type: ignore[assignment]
        if dates is None:
            dates = _DEFERRED[cls, deferred] = _date_plan(cls, deferred)
    if _table_ok(data, plan.checks) and _dates_ok(value, dates):
        return value
    return _MISS


#: The date plans of :func:`c_structure` with some attributes deferred, by class and attributes.
_DEFERRED: dict[tuple[type, frozenset[str]], _Dates] = {}


def c_decode(data: bytes, cls: type[T]) -> T | None:
    """The value MessagePack ``data`` holds, read straight into ``cls`` by msgspec, or None.

    MessagePack holds arrays, maps and exact strings only, so what :func:`c_structure` checks
    on the data cannot occur; the dates are checked on the value, every other check is the
    mirror's.  None: a class this path does not handle, or data that fails: the caller decodes
    it to plain data and structures that.
    """
    plan = _c_plan(cls)
    if plan is None:
        return None
    import msgspec  # noqa: PLC0415 - imported by _c_plan already

    decoder = _DECODERS.get(cls)
    if decoder is None:
        decoder = _DECODERS[cls] = msgspec.msgpack.Decoder(plan.mirror, dec_hook=_c_hook)
    try:
        value = msgspec.convert(decoder.decode(data), cls, from_attributes=True, dec_hook=_keep)
    except Exception:  # noqa: BLE001 - any failure: the caller's current path
        return None
    return value if _dates_ok(value, plan.dates) else None


def c_encode(value: object) -> bytes | None:
    """``value`` as MessagePack: the data its :func:`unstructure` form encodes to.

    msgspec reads the value's attributes into its mirror (the hooks and the date check check
    them on the way, as for data) and writes the mirror: its fields in order, each under its
    key, left out when it holds its default, an FTE as :func:`fraction_to_toml` writes it.  The
    same data, value for value and type for type; only a table's header may be wider (msgspec
    counts the fields it writes after it has begun).  None: a class this path does not handle,
    or a value it cannot read (a field that does not hold its type); the caller then encodes
    :func:`unstructure`'s form.
    """
    plan = _c_plan(type(value))
    if plan is None:
        return None
    import msgspec  # noqa: PLC0415 - imported by _c_plan already

    try:
        mirror = msgspec.convert(value, plan.mirror, from_attributes=True, dec_hook=_c_hook)
        # The dates as msgspec read them (attrs checks no type: the value may hold text).
        if not _dates_ok(mirror, plan.dates):
            return None
        return msgspec.msgpack.encode(mirror, enc_hook=_c_enc_hook)
    except Exception:  # noqa: BLE001 - any failure: the caller's current path
        return None


def _c_enc_hook(value: object) -> object:
    """What the cache has always written for a value MessagePack has no type for."""
    return fraction_to_toml(value) if type(value) is Fraction else str(value)


# --- The fast unstructuring path -----------------------------------------------------------------
# cattrs generates (and compiles) an unstructuring function for each class the first time it
# meets it: about 15 ms in every ``ecf add``, for the history digest and the file written
# (issue 14).  The path below gives the converter's result without generating code: each
# field of an attrs class by its key (``from_`` as ``from``), left out when it equals its
# default (the converter's ``omit_if_default``), fields that ``__init__`` does not take left
# out, tuples and lists as lists, tables as dicts, an FTE as :func:`fraction_to_toml` writes
# it, and every other value (text, numbers, dates, None) as itself.  It goes by each value's
# run-time type, as the converter does for unions, tuples and ``Any``; a class it has not
# checked (an annotation it does not know, a converter hook of a plugin's) is the converter's.
# tests/test_startup.py checks that it gives what the converter gives, byte for byte as
# digests hash it.

_UNPLANS: dict[type, tuple[tuple[str, str, Any, bool], ...] | None] = {}

_PLAIN_LEAVES = frozenset({str, int, float, bool, type(None), dt.date, dt.datetime, dt.time})


def _unplan_ok(tp: Any) -> bool:
    """Whether the fast path unstructures a value annotated ``tp`` as the converter does."""
    if tp is Any or tp in _LEAF_HOOKS or tp == dict[str, Any] or _is_literal(tp):
        return True
    args = typing.get_args(tp)
    if typing.get_origin(tp) in {typing.Union, types.UnionType}:
        return all(a is type(None) or _unplan_ok(a) for a in args)
    if _is_homogeneous_tuple(tp):
        return _unplan_ok(args[0])
    return isinstance(tp, type) and attrs.has(tp) and _unplan(tp) is not None


def _unplan(cls: type) -> tuple[tuple[str, str, Any, bool], ...] | None:
    """(attribute, key, default, default is a factory) for each field ``cls`` writes, or None."""
    if cls in _UNPLANS:
        return _UNPLANS[cls]
    _UNPLANS[cls] = ()  # a class that holds itself: planned once
    plan: tuple[tuple[str, str, Any, bool], ...] | None
    try:
        hints = typing.get_type_hints(cls)
        fields = []
        for a in attrs.fields(cls):
            if not a.init:
                continue
            if a.name not in hints or not _unplan_ok(hints[a.name]):
                raise _Unsupported  # noqa: TRY301 - the one way out of the plan
            default = a.default
            factory = isinstance(default, attrs.Factory)  # type: ignore[arg-type]
            if factory and default.takes_self:
                raise _Unsupported  # noqa: TRY301 - as above
            fields.append((a.name, RENAMES.get(a.name, a.name), default, factory))
        plan = tuple(fields)
    except Exception:  # noqa: BLE001 - anything unexpected: the converter's
        plan = None
    _UNPLANS[cls] = plan
    return plan


def _unstructure_fast(value: Any) -> Any:
    cls = type(value)
    if cls in _PLAIN_LEAVES:
        return value
    if cls is tuple or cls is list:
        return [_unstructure_fast(v) for v in value]
    if cls is dict:
        return {_unstructure_fast(k): _unstructure_fast(v) for k, v in value.items()}
    if cls is Fraction:
        return fraction_to_toml(value)
    plan = _UNPLANS.get(cls) if cls in _UNPLANS else _unplan(cls) if attrs.has(cls) else None
    if not plan and (plan is None or attrs.fields(cls)):
        raise _Unsupported
    out: dict[str, Any] = {}
    for name, key, default, factory in plan:
        item = getattr(value, name)
        if default is not attrs.NOTHING and item == (default.factory() if factory else default):
            continue
        out[key] = _unstructure_fast(item)
    return out


def fast_unstructure(value: object) -> Any:
    """``value`` unstructured as the converter would, without generated code, or :data:`_MISS`."""
    try:
        return _unstructure_fast(value)
    except _Unsupported:
        return _MISS


# --- JSON ----------------------------------------------------------------------------------------
# One converter for every JSON output (``--json``, exports, subject access): the fields of an
# attrs value by name, dates in ISO 8601, tuples and sets as lists, an FTE as a record file
# writes it.  A class whose JSON shape differs from its fields (a renamed key, a computed one)
# says so once with :func:`register_json`, beside the class.  It goes by each value's run-time
# type, not by annotations: nothing is generated or resolved when a module is imported, and
# the annotations of a result class may name types imported for type checking only.


@attrs.frozen
class _Shape:
    names: tuple[tuple[str, str], ...]  # (attribute, key)
    computed: Callable[[Any], dict[str, Any]] | None


_SHAPES: dict[type, _Shape] = {}


def register_json(
    cls: type[T],
    *,
    rename: dict[str, str] | None = None,
    omit: tuple[str, ...] = (),
    computed: Callable[[T], dict[str, Any]] | None = None,
) -> None:
    """Declare how an attrs class's JSON differs from its fields.

    Args:
        cls: The attrs class.
        rename: Field name to JSON key (``{"from_date": "from"}``).
        omit: Fields left out.
        computed: Extra keys from a value (derived properties), added after the fields.
    """
    _SHAPES[cls] = _Shape(_names(cls, rename or {}, omit), computed)


def _names(cls: type, rename: dict[str, str], omit: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (a.name, rename.get(a.name, a.name)) for a in attrs.fields(cls) if a.name not in omit
    )


def to_json(value: object) -> Any:
    """A value as plain JSON data: what every ``--json`` output and export of ecf prints.

    Raises:
        TypeError: for a value JSON cannot hold (a bug: every result class is attrs).
    """
    if value is None or isinstance(value, str | int | float):  # bools are ints
        return value
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    if isinstance(value, Fraction):
        return fraction_to_toml(value)
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    cls = type(value)
    if attrs.has(cls):
        shape = _SHAPES.get(cls)
        if shape is None:
            shape = _SHAPES.setdefault(cls, _Shape(_names(cls, {}, ()), None))
        data = {key: to_json(getattr(value, name)) for name, key in shape.names}
        if shape.computed is not None:
            data.update({k: to_json(v) for k, v in shape.computed(value).items()})
        return data
    msg = f"no JSON form for {cls.__name__}"
    raise TypeError(msg)
