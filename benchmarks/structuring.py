"""Structuring one record: the current path against msgspec's C path, in one process (issue 14).

Run: python benchmarks/structuring.py [--count 500] [--pairs 9]

Makes COUNT synthetic records (``benchmarks/synth.py``, about 45 pieces of evidence each) and
times, per record, the two ways of each step, alternating (A B A B) and taking medians:

* from plain data (what a TOML file or an HR row gives): the current path
  (:func:`ecf._convert.fast_structure`, as ``record_from_dict`` did for every record) against
  :func:`ecf._convert.c_structure` (what ``record_from_dict`` does from the 64th record on);
* from the cache's MessagePack: decoding to plain data, then the current path (the cache's
  ``decode`` before) against :func:`ecf.cache.decode` (straight into the record);
* to the cache's MessagePack: encoding :func:`ecf.records.record_to_dict` (the cache's
  ``encode`` before) against :func:`ecf.cache.encode` (msgspec writing the record's mirror).

Both ways give the same records and data (checked before timing).  A last line is the floor the
C path is measured against: ``msgspec.convert(data, Record)`` straight into the attrs classes,
with no check at all (the ``from`` keys renamed in a copy, FTEs through one hook), against the C
path.  The load average is printed before and after: on a shared machine the times move with
it; the ratios less.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth  # the benchmarks folder is put on the path just above

from ecf import _convert
from ecf.cache import decode, encode
from ecf.records import Record, record_to_dict

if TYPE_CHECKING:
    from collections.abc import Callable


def _current(plain: dict[str, Any]) -> Record:
    return _convert.structure(plain, Record, native=False)


def _c(plain: dict[str, Any]) -> Record:
    return _convert.structure(plain, Record, native=True)


def _old_decode(data: bytes) -> Record:
    return _current(msgspec.msgpack.decode(data))


def _old_encode(record: Record) -> bytes:
    return msgspec.msgpack.encode(record_to_dict(record), enc_hook=str)


def _fte(tp: type, value: object) -> object:
    return _convert._fraction(value, tp)  # noqa: SLF001 - the hook the C path reads FTEs with


def _renamed(plain: dict[str, Any]) -> dict[str, Any]:
    """``plain`` with each ``from`` key also as ``from_`` (msgspec ignores the unknown one)."""
    out = dict(plain)
    for key in ("hours", "employment", "assignments"):
        if key in out:
            out[key] = [{**item, "from_": item["from"]} for item in out[key]]
    return out


def _bare(plain: dict[str, Any]) -> Record:
    return msgspec.convert(_renamed(plain), Record, dec_hook=_fte)


def _per_record(run: Callable[[Any], Any], inputs: list[Any]) -> float:
    """Microseconds per record of one pass over ``inputs``."""
    start = time.perf_counter()
    for item in inputs:
        run(item)
    return (time.perf_counter() - start) / len(inputs) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--pairs", type=int, default=9)
    args = parser.parse_args()
    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    plain = [dict(p) for p in synth.records(args.count, seed=7)]
    records = [_current(p) for p in plain]
    packed = [encode(r) for r in records]
    for data, blob in zip(plain, packed, strict=True):  # the same records both ways, or no figures
        record = _current(data)
        if not _convert.c_structure(data, Record) == record == decode(blob) == _old_decode(blob):
            raise SystemExit("the two paths gave different records")
        if _bare(data) != record:
            raise SystemExit("msgspec alone gave another record")
        if msgspec.msgpack.decode(blob) != msgspec.msgpack.decode(_old_encode(record)):
            raise SystemExit("the two paths wrote different data")
    steps: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any], list[Any]]] = [
        ("from plain data", _current, _c, plain),
        ("from the cache's MessagePack", _old_decode, decode, packed),
        ("to the cache's MessagePack", _old_encode, encode, records),
        ("msgspec alone (floor) vs C path", _bare, _c, plain),
    ]
    evidence = statistics.mean(len(p.get("evidence", ())) for p in plain)
    print(f"{args.count} synthetic records, {evidence:.0f} pieces of evidence each on average")
    print(f"{'per record':<32} {'current':>9} {'C path':>9} {'ratio':>6}")
    for name, a, b, inputs in steps:
        times: tuple[list[float], list[float]] = ([], [])
        for _ in range(args.pairs):
            times[0].append(_per_record(a, inputs))
            times[1].append(_per_record(b, inputs))
        before, after = (statistics.median(t) for t in times)
        print(f"{name:<32} {before:7.0f} us {after:7.0f} us {after / before:6.2f}")
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
