"""The funding command: each record's eligibility for each payment of a funding year."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ecf.cli import DATE, EXIT_SOME_FAILED, dumps, echo, today
from ecf.cli.scans import scan_options
from ecf.cli.tables import (
    SPREADSHEET_FORMATS,
    row_report_options,
    table_format,
    write_rows,
)

if TYPE_CHECKING:
    import datetime as dt

COLUMNS = [
    "id",
    "stage",
    "start",
    "payment",
    "eligible",
    "amount_gbp",
    "claimable_from",
    "claimed",
    "reason",
    "verified",
    "scheme",
    "source",
]


@click.command()
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="DIR|FILE..."
)
@click.option(
    "--year", help="The funding year, as 2026-27 (default: the year holding the as-of date)."
)
@click.option(
    "--data",
    "data_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A funding data file to use instead of the shipped year.",
)
@click.option("--as-of", type=DATE, help="The date to report as of (default: today).")
@row_report_options
@scan_options
def funding(
    paths: tuple[Path, ...],
    year: str | None,
    data_file: Path | None,
    as_of: dt.date | None,
    fmt: str,
    excel: bool,
    pseudonymise: bool,
    key_file: Path | None,
    workers: int | None,
    no_cache: bool,
) -> None:
    """Funding: each record's eligibility for each payment, the amount, and when to claim.

    Claims are not tracked.  Exit 0 when every record was read, 1 when any failed.
    """
    import functools
    import os

    from ecf import export
    from ecf import funding as funding_
    from ecf.cli.scans import report_failures, scan
    from ecf.sources import unique_files

    fmt = table_format(fmt, excel=excel)
    key = export.read_key(key_file) if pseudonymise else None
    when = as_of or today()
    data = (
        funding_.load_funding_file(data_file)
        if data_file is not None
        else funding_.funding_year(year or funding_.year_of(when))
    )
    # Every core and the record cache, as the other reports over folders (ecf.cli.scans).  The
    # files are named as ecf funding has always named them: each path as pathlib spells it
    # (``amira.toml`` for the file of the folder ``.``, where the scan would say ``./amira.toml``).
    files = [os.fspath(file) for file in unique_files(paths)]
    each = functools.partial(funding_.funding_rows, year=data, as_of=when)
    with scan(files, each, as_of=when, workers=workers, no_cache=no_cache) as scanned:
        report_failures(scanned)
        rows: list[dict[str, Any]] = [row for made in scanned for row in made]
    if key is not None:
        for row in rows:
            row["id"] = export.pseudonym(key, row["id"])
    if fmt == "json":
        from ecf.schemas import tag

        echo(
            dumps(
                {
                    "schema": tag("funding"),
                    "year": data.year,
                    "as_of": when.isoformat(),
                    "claims": "not tracked",
                    "records": rows,
                }
            )
        )
    elif fmt in SPREADSHEET_FORMATS:
        write_rows(rows, COLUMNS, fmt, excel=excel, sheet="funding")
    else:
        _print_table(rows, data.year, when)
    if scanned.failures:
        raise click.exceptions.Exit(EXIT_SOME_FAILED)


def _print_table(rows: list[dict[str, Any]], year: str, when: dt.date) -> None:
    records = len({r["id"] for r in rows})
    echo(f"{records} records, funding year {year}, as of {when}; claims are not tracked")
    shown = ["id", "stage", "start", "payment", "eligible", "amount", "claimable_from", "reason"]
    eligible = {True: "yes", False: "no", None: "unknown"}
    table = [shown] + [
        [
            r["id"],
            r["stage"],
            r["start"],
            r["payment"] or "-",
            eligible[r["eligible"]],
            "-" if r["amount_gbp"] is None else f"GBP {r['amount_gbp']:,}",
            r["claimable_from"] or "-",
            (r["reason"] or "-") + ("" if r["verified"] else " [unverified]"),
        ]
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(shown) - 1)]
    for row in table:
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=False)]
        echo("  ".join([*cells, row[-1]]).rstrip())
