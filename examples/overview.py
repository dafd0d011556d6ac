"""Where does everyone stand? The library API on the shipped example records.

Run: python examples/overview.py [FOLDER] [--as-of YYYY-MM-DD]

Reads every record file in FOLDER (default: examples/records), checks each one, and prints one
line per practitioner: stage, state, expected end, what is next and what is overdue.  Records
are named by their id, never by the person's name.  A bad file is reported and skipped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import ecf


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=Path(__file__).parent / "records")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date.today())  # noqa: DTZ011 - local date
    args = parser.parse_args()

    registry = ecf.FrameworkRegistry.default()
    failed = 0
    print(f"{'id':<10}{'stage':<8}{'state':<19}{'expected end':<14}{'next':<30}overdue")
    for path in sorted(args.folder.glob("*.toml")):
        try:
            record = ecf.read_record(path)
            problems = ecf.check_record(record, registry, dt.date.today())  # noqa: DTZ011
            if problems:
                raise ecf.RecordError(p.with_file(path) for p in problems)
            st = ecf.status(record, registry, args.as_of)
        except ecf.EcfError as exc:
            failed += 1
            print("\n".join(f"error: {line}" for line in exc.lines()), file=sys.stderr)
            continue
        nxt = f"{st.next.id} {st.next.due or ''}" if st.next else "-"
        overdue = ", ".join(m.id for m in st.overdue) or "-"
        print(f"{st.id:<10}{st.stage:<8}{st.state:<19}{st.expected_end!s:<14}{nxt:<30}{overdue}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
