"""Which TOML parser reads record files fastest? Ratios measured in one run.

Run: python benchmarks/parse.py

Parses every shipped example record (and one synthetic record with 40 evidence items) with the
stdlib ``tomllib``, ``tomli`` and ``tomlkit``, and ecf's own ``read_record`` (parse + structure),
and prints each one's time relative to ``tomli``.
"""

from __future__ import annotations

import timeit
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import tomli
import tomlkit

from ecf.store import parse_record

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent


def synthetic() -> str:
    head = Path(ROOT / "examples" / "records" / "full-time.toml").read_text(encoding="utf-8")
    items = "".join(
        f'\n[[evidence]]\nid = "ev-{i + 100:03d}"\nkind = "supervision"\n'
        f"date = 2026-03-{i % 28 + 1:02d}\n"
        f'standards = ["kss-cf:9", "pcf:6"]\nby = "S. Khan"\nnote = "weekly supervision"\n'
        for i in range(40)
    )
    return head + items


def main() -> None:
    texts = [
        p.read_text(encoding="utf-8")
        for p in sorted((ROOT / "examples" / "records").glob("*.toml"))
    ]
    texts.append(synthetic())
    size = sum(len(t) for t in texts) / len(texts)
    parsers: dict[str, Callable[[str], object]] = {
        "tomli": tomli.loads,
        "tomllib (stdlib)": tomllib.loads,
        "tomlkit": tomlkit.parse,
        "ecf parse_record": lambda t: parse_record(t.encode(), Path("bench.toml")),
    }
    times: dict[str, float] = {}
    for name, parse in parsers.items():
        number = 20 if name == "tomlkit" else 200

        def run(parse: Callable[[str], object] = parse) -> None:
            for text in texts:
                parse(text)

        best = min(timeit.repeat(run, number=number, repeat=5))
        times[name] = best / number / len(texts)
    base = times["tomli"]
    print(f"{len(texts)} records, {size:.0f} characters on average")
    for name, t in times.items():
        print(f"{name:<18} {t * 1e6:8.0f} us per record   {t / base:5.2f} x tomli")


if __name__ == "__main__":
    main()
