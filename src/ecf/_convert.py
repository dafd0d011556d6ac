"""The one cattrs converter ``ecf`` uses, with strict hooks and field-path errors.

TOML already gives dates, integers and booleans their own types, so the converter accepts a
value only in its own type (an integer is not a string, ``1.5`` is not a month count), with two
exceptions made for data that comes from HR databases as text: a date may also be an ISO string,
and an FTE may be a string such as ``"0.6"`` or ``"3/5"``.  Nothing is coerced silently.  Dates
and FTEs are read by :mod:`ecf.parsing`, as the command line and the HR import read them.

Structuring errors come back from cattrs as an exception group; :func:`structure` turns them into
:class:`~ecf.errors.Problem` values with cattrs' own field paths (``evidence[3].date``).
"""

from __future__ import annotations

import datetime as dt
import typing
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import cattrs
from cattrs.errors import IterableValidationNote
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.v import format_exception, transform_error

from ecf.errors import EcfError, Problem, RecordError
from ecf.parsing import ParseError, check_date_range, parse_date, parse_fte

if TYPE_CHECKING:
    from collections.abc import Callable

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
    try:
        return parse_fte(value)
    except ParseError as exc:
        if isinstance(value, str | float):
            raise ParseError(_FTE_IN_A_FILE, value) from exc
        raise


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
    return {
        a.name: override(rename=RENAMES[a.name]) for a in attrs.fields(cls) if a.name in RENAMES
    }


def make_converter() -> cattrs.Converter:
    """Build the strict converter (once; see :data:`converter`)."""
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


converter = make_converter()


def _format(exc: BaseException, tp: type | None) -> str:  # noqa: PLR0911 - one case per kind of error
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


def structure(
    data: object, cls: type[T], *, error: type[EcfError] = RecordError, file: str | None = None
) -> T:
    """Structure ``data`` into ``cls``, raising ``error`` with one problem per bad field.

    Raises:
        EcfError: of type ``error``, naming ``file`` and every bad field's path and value.
    """
    if not isinstance(data, dict):
        raise error([Problem("expected a table", "", type(data).__name__, file)])
    try:
        return converter.structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise error([p.with_file(file) for p in problems_from(exc)]) from exc


def unstructure(value: object) -> Any:
    """Unstructure an attrs value to plain TOML-ready data (None fields are left out)."""
    return converter.unstructure(value)


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
