"""msgspec's C path (issue 14): the same records as the current path, or none at all.

:func:`ecf._convert.c_structure` (plain data) and :func:`ecf._convert.c_decode` (the cache's
MessagePack) give exactly what the current path gives (:func:`ecf._convert.fast_structure`,
then the cattrs converter): the same values, the same digests; and for data the current path
refuses they decline, so that the current path reports the errors with their field paths.
"""

from __future__ import annotations

import datetime as dt
import itertools
import types
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import msgspec
import pytest
import tomli
from hypothesis import given
from hypothesis import strategies as st

import plain_data
from ecf import _convert, records
from ecf.cache import decode, encode
from ecf.errors import RecordError
from ecf.framework import FrameworkRegistry
from ecf.records import Record, digest, record_from_dict, record_to_dict
from ecf.testing import records as record_strategy

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "records").glob("*.toml"))
REGISTRY = FrameworkRegistry.default()
TODAY = dt.date(2026, 11, 30)


class Text(str):
    """A subclass of str: the converter refuses it where a Literal is expected."""

    __slots__ = ()


#: Values put anywhere in a record's data: what a hand edit, an HR export or a library caller
#: may give, and what msgspec would read differently from the converter if left unchecked.
ODD: list[Any] = [
    None,
    "",
    "x",
    "pass",
    Text("pass"),
    "2025-02-30",
    "2025-03-01",
    "20250301",
    "2101-01-01",
    "1949-12-31",
    "2025-03-01T09:00:00+01:00",
    "2025-03-01T09:00:00",
    "2025-03-01 09:00:00Z",
    "3/5",
    "60%",
    "0.6",
    "1e9999",
    0,
    1,
    -1,
    2**70,
    True,
    False,
    1.5,
    0.6,
    float("nan"),
    Fraction(3, 5),
    [],
    ["x"],
    ("x",),
    {"x"},
    frozenset({"x"}),
    [{}],
    ["2025-03-01"],
    {},
    {"x": 1},
    {1: 1},
    types.MappingProxyType({"x": 1}),
    dt.date(1900, 1, 1),
    dt.date(2101, 1, 1),
    dt.date(2025, 3, 1),
    dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC),
    dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    dt.datetime(2025, 3, 1, 9, 0),  # noqa: DTZ001 - a time without an offset, refused
    dt.datetime(2101, 3, 1, 9, 0, tzinfo=dt.UTC),
]


def current(data: Any) -> Any:
    """What the current path makes of ``data``: the record, or the exception it raised."""
    fast = _convert.fast_structure(data, Record)
    if fast is not _convert._MISS:
        return fast
    try:
        return _convert.get_converter().structure(data, Record)
    except Exception as exc:  # noqa: BLE001 - the refusal itself is the result compared
        return exc


def equal(value: Any, expected: Any) -> bool:
    """``value == expected``, where a NaN (in ``extra``) equals a NaN written the same way.

    A NaN is not equal to itself, and two records decoded apart hold two NaN objects.
    """
    return value == expected or ("nan" in repr(value) and repr(value) == repr(expected))


def same(value: Any, expected: Any) -> None:
    """The same record, to the byte its digest and its file are written from."""
    assert type(value) is type(expected)
    assert equal(value, expected)
    assert digest(value) == digest(expected)
    assert equal(_convert.fast_unstructure(value), _convert.fast_unstructure(expected))


def agree(data: Any) -> None:
    """The C path gives the current path's record, or declines where the current path refuses."""
    value = _convert.c_structure(data, Record)
    expected = current(data)
    if isinstance(expected, Exception):
        assert value is _convert._MISS, f"the C path accepted what the current path refused: {data}"
    elif value is not _convert._MISS:
        same(value, expected)


def old_decode(data: bytes) -> Any:
    """What the cache's decode gave before the C path: plain data, then the current path."""
    try:
        plain = msgspec.msgpack.decode(data)
    except (msgspec.DecodeError, RecursionError, ValueError, TypeError):
        return None
    if not isinstance(plain, dict):
        return None
    found = current(plain)
    return None if isinstance(found, Exception) else found


def _packed(data: Any) -> bytes | None:
    """``data`` as MessagePack (what MessagePack cannot hold as its repr), or None: too big."""
    try:
        return msgspec.msgpack.encode(data, enc_hook=repr)
    except OverflowError:  # an integer beyond 64 bits: no cache entry holds one
        return None


def agree_decoded(data: bytes) -> None:
    value = _convert.c_decode(data, Record)
    expected = old_decode(data)
    if expected is None:
        assert value is None, "the C path decoded what the current path refused"
    elif value is not None:
        same(value, expected)
    assert equal(decode(data), expected)


# --- Valid records --------------------------------------------------------------------------------


@given(record_strategy(REGISTRY, TODAY))
def test_a_valid_record_takes_the_c_path_to_the_same_record(record: Record) -> None:
    data = record_to_dict(record)
    value = _convert.c_structure(data, Record)
    assert value is not _convert._MISS
    same(value, record)
    same(value, current(data))


@given(record_strategy(REGISTRY, TODAY))
def test_a_cached_record_is_decoded_by_the_c_path_to_the_same_record(record: Record) -> None:
    data = encode(record)
    value = _convert.c_decode(data, Record)
    assert value is not None
    # Compared with what the cache gave before, not with ``record``: on either path a date and
    # time comes back as an instant in UTC (MessagePack's timestamp), a date in ``extra`` as text.
    same(value, old_decode(data))


def _normal(data: bytes) -> bytes:
    """MessagePack written again from what it holds: headers as narrow as they can be."""
    return msgspec.msgpack.encode(msgspec.msgpack.decode(data))


@given(record_strategy(REGISTRY, TODAY))
def test_a_record_is_encoded_by_the_c_path_to_the_same_data(record: Record) -> None:
    """The same values of the same types as encoding its plain form (what the cache wrote)."""
    data = _convert.c_encode(record)
    assert data is not None
    assert _normal(data) == msgspec.msgpack.encode(record_to_dict(record), enc_hook=str)
    assert encode(record) == data
    same(decode(data), old_decode(data))


def test_a_record_the_c_path_cannot_read_is_encoded_as_before() -> None:
    """A field that does not hold its type (attrs does not check): the plain form's encoding.

    And what ``extra`` holds (an FTE, a tuple, a date) is written as the plain form writes it.
    """
    odd = attrs.evolve(_rich(), qualified=dt.date(1900, 1, 1), extra={"n": Fraction(1, 3)})
    assert _convert.c_encode(odd) is None
    assert encode(odd) == msgspec.msgpack.encode(record_to_dict(odd), enc_hook=str)
    extra = attrs.evolve(
        _rich(), extra={"n": Fraction(1, 3), "t": (1, 2), "d": dt.date(2025, 1, 1)}
    )
    data = _convert.c_encode(extra)
    assert data is not None
    assert _normal(data) == msgspec.msgpack.encode(record_to_dict(extra), enc_hook=str)


def test_the_example_records_take_the_c_path() -> None:
    for path in EXAMPLES:
        with path.open("rb") as fh:
            data = tomli.load(fh)
        value = _convert.c_structure(data, Record)
        assert value is not _convert._MISS, path.name
        same(value, current(data))
        same(_convert.c_decode(encode(value), Record), value)


# --- Changed data ---------------------------------------------------------------------------------


def _perturbed(record: Record, data: st.DataObject) -> Any:
    plain = record_to_dict(record)
    path = data.draw(st.sampled_from(plain_data.paths(plain)[1:]), label="path")
    how = data.draw(st.sampled_from(["replace", "drop", "add"]), label="how")
    new = data.draw(st.sampled_from(ODD), label="new")
    return plain_data.changed(plain, path, new, how)


@given(record_strategy(REGISTRY, TODAY, max_evidence=5), st.data())
def test_changed_data_is_declined_or_read_as_the_current_path_reads_it(
    record: Record, data: st.DataObject
) -> None:
    """Any one value replaced, removed or added: the same record, or the C path declines."""
    agree(_perturbed(record, data))


@given(record_strategy(REGISTRY, TODAY, max_evidence=5), st.data())
def test_changed_cache_data_is_declined_or_read_as_the_current_path_reads_it(
    record: Record, data: st.DataObject
) -> None:
    packed = _packed(_perturbed(record, data))
    if packed is not None:
        agree_decoded(packed)


def test_a_key_twice_in_a_cache_entry_is_read_as_before() -> None:
    """MessagePack may hold a key twice: the last one counts on both paths."""
    plain = msgspec.msgpack.decode(encode(_rich()))
    pairs = [*plain.items(), ("id", "other")]
    header = b"\xde" + len(pairs).to_bytes(2, "big")  # a map of that many pairs
    data = header + b"".join(
        msgspec.msgpack.encode(k) + msgspec.msgpack.encode(v) for k, v in pairs
    )
    agree_decoded(data)
    decoded = _convert.c_decode(data, Record)
    assert decoded is not None
    assert decoded.id == "other"


@pytest.mark.parametrize("new", ODD, ids=repr)
@pytest.mark.parametrize(
    "path",
    [
        ("service",),
        ("qualified",),
        ("schema_version",),
        ("hours", 0, "from"),
        ("hours", 0, "fte"),
        ("evidence", 0, "standards"),
        ("evidence", 0, "attachment"),
        ("decisions", 0, "outcome"),
        ("history", 0, "at"),
        ("extra",),
    ],
    ids=str,
)
def test_each_odd_value_at_each_kind_of_field(path: tuple[Any, ...], new: Any) -> None:
    plain = record_to_dict(_rich())
    changed = plain_data.changed(plain, path, new, "replace")
    agree(changed)
    packed = _packed(changed)
    if packed is not None:
        agree_decoded(packed)


def _rich() -> Record:
    """A record with a value in every kind of field the perturbations aim at."""
    with EXAMPLES[0].open("rb") as fh:
        record = record_from_dict(tomli.load(fh))
    evidence = records.Evidence(
        "ev-900",
        "direct-observation",
        dt.date(2025, 3, 1),
        ("pcf:1",),
        attachment=records.Attachment("a.pdf", "0" * 64),
    )
    return attrs.evolve(
        record,
        hours=(records.PatternChange(dt.date(2025, 3, 1), Fraction(3, 5)),),
        evidence=(evidence, *record.evidence),
        decisions=(records.Decision("asye", "pass", dt.date(2025, 9, 1), "A. Assessor"),),
        history=(records.HistoryEntry(dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC), "x", "add"),),
        extra={"team": "north"},
    )


def test_the_c_path_declines_what_msgspec_alone_would_accept() -> None:
    """A set for a list, a mapping for a table, a subclass of str for a Literal, no offset."""
    plain = record_to_dict(_rich())
    odd = [
        (("evidence", 0, "standards"), {"pcf:1"}),
        (("evidence",), set()),
        (("extra",), types.MappingProxyType({"team": "north"})),
        (("service",), Text("children")),
        (("decisions", 0, "outcome"), Text("pass")),
        (("history", 0, "at"), dt.datetime(2025, 3, 1, 9)),  # noqa: DTZ001 - refused
        (("qualified",), dt.date(2101, 1, 1)),
        (("schema_version",), True),
    ]
    for path, new in odd:
        changed = plain_data.changed(plain, path, new, "replace")
        assert isinstance(current(changed), Exception), path
        assert _convert.c_structure(changed, Record) is _convert._MISS, path
    assert _convert.c_structure({**plain, "unknown": 1}, Record) is _convert._MISS


def test_the_errors_are_the_current_path_s() -> None:
    """Bad data through ``native=True`` raises the same problems, path by path."""
    plain = record_to_dict(_rich())
    bad = plain_data.changed(plain, ("hours", 0, "from"), "2025-02-30", "replace")
    bad = plain_data.changed(bad, ("evidence", 0, "standards"), {"x"}, "replace")
    problems = []
    for native in (False, True):
        with pytest.raises(RecordError) as caught:
            _convert.structure(bad, Record, file="r.toml", native=native)
        problems.append(caught.value.problems)
    assert problems[0] == problems[1]
    assert {p.path for p in problems[0]} == {"hours[0].from", "evidence[0].standards"}


# --- Classes the C path does not handle ----------------------------------------------------------


@attrs.frozen
class Checked:
    count: int = attrs.field(validator=attrs.validators.ge(0))


@attrs.frozen
class Converted:
    count: int = attrs.field(converter=int)


@attrs.frozen
class Initialised:
    count: int

    def __attrs_post_init__(self) -> None:
        if self.count < 0:
            raise ValueError(self.count)


@attrs.frozen
class Listed:
    values: list[int]


@attrs.frozen
class Holder:
    inner: Checked | None = None


@pytest.mark.parametrize(
    ("cls", "data"),
    [
        (Checked, {"count": -1}),
        (Converted, {"count": -1}),
        (Initialised, {"count": -1}),
        (Listed, {"values": [1]}),
        (Holder, {"inner": {"count": -1}}),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_a_class_msgspec_would_build_differently_is_declined(cls: type, data: Any) -> None:
    assert _convert.c_structure(data, cls) is _convert._MISS
    assert _convert.c_decode(msgspec.msgpack.encode(data), cls) is None


# --- When the C path is taken ---------------------------------------------------------------------


def test_the_first_records_of_a_process_take_the_current_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A command that reads a few records never imports msgspec; a cohort takes the C path."""
    taken: list[bool] = []
    c_structure = _convert.c_structure

    def spy(data: object, cls: type) -> Any:
        taken.append(True)
        return c_structure(data, cls)

    rich = _rich()
    plain = record_to_dict(rich)
    monkeypatch.setattr(_convert, "c_structure", spy)
    monkeypatch.setattr(records, "_STRUCTURED", itertools.count())
    monkeypatch.setattr(records, "sys", types.SimpleNamespace(modules={}))  # msgspec not imported
    for _ in range(10):
        assert record_from_dict(plain) == rich
    assert taken == []
    for _ in range(200):
        assert record_from_dict(plain) == rich
    assert taken


# --- Dates read by msgspec itself ----------------------------------------------------------------


class Day(dt.date):
    """A subclass of date: read as a date by both paths, but not the plain date the C path gives."""

    __slots__ = ()


def _full() -> Record:
    """A record with a date in every kind of field that holds one."""
    day = dt.date(2025, 3, 1)
    return attrs.evolve(
        _rich(),
        registered=day,
        began=day,
        prior=(records.PriorStage("asye", day),),
        employment=(records.Employment(day, to=dt.date(2025, 6, 1)),),
        absences=(records.Absence("sick", day, dt.date(2025, 3, 2)),),
        milestones=(records.HeldMilestone("asye", "m1", day),),
        agreed=(records.AgreedDate("asye", "m1", day),),
        assignments=(records.Assignment("supervisor", "A. Person", day, to=day),),
        decisions=(records.Decision("asye", "extended", day, "A. Assessor", until=day),),
        appeals=(records.Appeal("d1", day, "upheld", day),),
        left=records.Leaving(day, "moved"),
    )


def _date_paths(value: Any) -> list[tuple[Any, ...]]:
    return [p for p in plain_data.paths(value) if _at(value, p).__class__ is dt.date]


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def test_every_kind_of_date_field_is_filled() -> None:
    """The record below holds a date in each date field of each class (else the next tests
    would leave one out)."""
    paths = {
        tuple(s for s in p if not isinstance(s, int)) for p in _date_paths(record_to_dict(_full()))
    }
    expected = {
        ("qualified",),
        ("registered",),
        ("began",),
        ("prior", "passed"),
        ("enrolments", "start"),
        ("employment", "from"),
        ("employment", "to"),
        ("hours", "from"),
        ("absences", "first"),
        ("absences", "last"),
        ("evidence", "date"),
        ("milestones", "date"),
        ("agreed", "due"),
        ("assignments", "from"),
        ("assignments", "to"),
        ("decisions", "date"),
        ("decisions", "until"),
        ("appeals", "lodged"),
        ("appeals", "date"),
        ("left", "date"),
    }
    assert paths >= expected


@pytest.mark.parametrize(
    "new",
    [
        dt.date(1949, 12, 31),
        dt.date(2101, 1, 1),
        "1949-12-31",
        "2101-01-01",
        Day(2025, 3, 1),
        dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
    ],
    ids=repr,
)
def test_a_date_out_of_range_or_of_another_type_is_declined_wherever_it_is(new: Any) -> None:
    """msgspec reads every date itself: the range and the type are checked after, everywhere."""
    plain = record_to_dict(_full())
    for path in _date_paths(plain):
        changed = plain_data.changed(plain, path, new, "replace")
        assert _convert.c_structure(changed, Record) is _convert._MISS, path
        agree(changed)
        packed = _packed(changed)
        if packed is not None:  # a date as MessagePack is its ISO string: Day reads as a date
            if type(new) is not Day:
                assert _convert.c_decode(packed, Record) is None, path
            agree_decoded(packed)


def test_dates_as_iso_strings_are_read_as_the_current_path_reads_them() -> None:
    """An HR row may give its dates as text: the C path reads them as dates, in range."""
    plain = record_to_dict(_full())
    texts = plain
    for path in _date_paths(plain):
        texts = plain_data.changed(texts, path, _at(plain, path).isoformat(), "replace")
    value = _convert.c_structure(texts, Record)
    assert value is not _convert._MISS
    same(value, _full())
    same(value, current(texts))


@pytest.mark.parametrize(
    "changes",
    [
        {"qualified": dt.date(1900, 1, 1)},
        {"left": records.Leaving(dt.date(2101, 1, 1), "moved")},
        {"appeals": (records.Appeal("d1", dt.date(2025, 3, 1), date=dt.date(1949, 1, 1)),)},
        {"qualified": "2101-01-01"},  # attrs checks no type: text where a date belongs
        {"hours": (records.PatternChange("1949-12-31", Fraction(1)),)},  # type: ignore[arg-type]
    ],
    ids=lambda c: f"{next(iter(c))}={next(iter(c.values()))!r}",
)
def test_a_record_holding_a_date_out_of_range_is_encoded_as_before(changes: dict[str, Any]) -> None:
    odd = attrs.evolve(_full(), **changes)
    assert _convert.c_encode(odd) is None
    assert encode(odd) == msgspec.msgpack.encode(record_to_dict(odd), enc_hook=str)


def test_a_record_holding_a_date_as_text_in_range_is_encoded_as_before() -> None:
    odd = attrs.evolve(_full(), qualified="2025-03-01")  # type: ignore[arg-type]  # text where a date belongs
    assert encode(odd) == msgspec.msgpack.encode(record_to_dict(odd), enc_hook=str)
