"""Which data-only format should the cohort cache keep? Ratios measured in one run.

Run: python benchmarks/cache.py [COUNT]

Makes COUNT synthetic records (``benchmarks/synth.py``, default 200) and times, per record,
what a warm cohort does for each one: parsing the TOML file (no cache), unpickling (the cache
before format 2, which ran whatever code an entry held), and decoding a data-only entry then
structuring it with the strict converter (MessagePack or JSON through msgspec, JSON through
orjson when it is installed), and the cache's own :func:`ecf.cache.decode` (MessagePack read
straight into the record by msgspec).  Each is printed relative to parsing the file.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pickle
import sys
import timeit
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import tomli

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth  # the benchmarks folder is put on the path just above

from ecf.cache import decode
from ecf.records import record_from_dict, record_to_dict

if TYPE_CHECKING:
    from collections.abc import Callable


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    texts = [synth.to_toml(r).encode() for r in synth.records(count)]
    records = [record_from_dict(tomli.loads(t.decode())) for t in texts]
    plain = [record_to_dict(r) for r in records]
    pickles = [pickle.dumps(r, protocol=pickle.HIGHEST_PROTOCOL) for r in records]
    packs = [msgspec.msgpack.encode(p, enc_hook=str) for p in plain]
    jsons = [msgspec.json.encode(p, enc_hook=_iso) for p in plain]
    cases: dict[str, tuple[Callable[[], Any], list[bytes]]] = {
        "parse the TOML file + structure (no cache)": (
            lambda: [record_from_dict(tomli.loads(t.decode())) for t in texts],
            texts,
        ),
        "pickle.loads (the cache before format 2)": (
            lambda: [pickle.loads(b) for b in pickles],  # noqa: S301 - our own bytes
            pickles,
        ),
        "msgspec MessagePack + structure (format 2)": (
            lambda: [record_from_dict(msgspec.msgpack.decode(b)) for b in packs],
            packs,
        ),
        "msgspec MessagePack into the record (decode)": (
            lambda: [decode(b) for b in packs],
            packs,
        ),
        "msgspec JSON + structure": (
            lambda: [record_from_dict(msgspec.json.decode(b)) for b in jsons],
            jsons,
        ),
    }
    try:
        orjson = importlib.import_module("orjson")
    except ImportError:
        pass
    else:
        dumped = [orjson.dumps(p, default=_iso) for p in plain]
        cases["orjson JSON + structure"] = (
            lambda: [record_from_dict(orjson.loads(b)) for b in dumped],
            dumped,
        )
    # Interleaved, the best of 9 each: a busy machine slows every case alike.
    times = dict.fromkeys(cases, float("inf"))
    for _ in range(9):
        for name, (run, _) in cases.items():
            times[name] = min(times[name], timeit.timeit(run, number=1))
    base = next(iter(times.values()))
    print(f"{count} synthetic records; per record, and relative to parsing the file")
    for name, seconds in times.items():
        size = sum(len(b) for b in cases[name][1]) / count
        per = seconds / count * 1e6
        print(f"  {name:<44} {per:8.0f} us  {seconds / base:5.2f}  {size:7.0f} B")


if __name__ == "__main__":
    main()
