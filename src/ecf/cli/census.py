"""The census command: the rows of the children's social work workforce census return."""

from __future__ import annotations

from pathlib import Path

import click

from ecf.cli import EXIT_SOME_FAILED, echo, today
from ecf.cli.scans import scan_options
from ecf.cli.types import FOLDER


@click.command()
@click.argument("folder", type=FOLDER)
@click.option(
    "--year",
    type=int,
    required=True,
    help="The census year, named by its end: 2026 is 1 October 2025 to 30 September 2026.",
)
@click.option(
    "--data",
    "data_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A census data file (codes) to use instead of the shipped year's.",
)
@click.option(
    "--council-code",
    "council",
    help="Only employment at this council (its code); default: each record's latest employer.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the CSV to this new file (atomically; an existing file is never replaced).",
)
@click.option("--excel", is_flag=True, help="Start the CSV with a UTF-8 BOM, for Excel.")
@click.option(
    "--pseudonymise",
    is_flag=True,
    help="Replace ids with a keyed hash (--key-file or $ECF_PSEUDONYM_KEY); drop SWE numbers.",
)
@click.option("--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@scan_options
def census(
    folder: Path,
    year: int,
    data_file: Path | None,
    council: str | None,
    out: Path | None,
    excel: bool,
    pseudonymise: bool,
    key_file: Path | None,
    workers: int | None,
    no_cache: bool,
) -> None:
    """The children's social work workforce census: one CSV row per worker in the year.

    For the child and family practitioners under FOLDER employed in the census year: FTE at
    30 September, days absent in the year by category, start and leaving dates, the coded
    leaving reason and the agency status where known (docs/census.md; codes not verified
    against the year's guide are named in the unverified column).  A leaving reason no code
    matches is reported on stderr by record id.  Exit 1 when some records could not be read.
    """
    import functools

    from ecf import census as census_
    from ecf import export
    from ecf.cli.scans import report_failures, scan
    from ecf.store import atomic_write

    key = export.read_key(key_file) if pseudonymise else None
    data = (
        census_.load_census_file(data_file) if data_file is not None else census_.census_year(year)
    )
    if data.year != year:
        raise click.UsageError(f"--data is for the census year {data.year}, not {year}")
    each = functools.partial(census_.census_item, data=data, council=council, key=key)
    with scan([folder], each, as_of=today(), workers=workers, no_cache=no_cache) as scanned:
        report_failures(scanned)
        rows = census_.in_census_order(scanned)
    for row in rows:
        if not row.reason_mapped:
            echo(
                f"warning: {row.worker_id}: leaving reason matches no census code; written as "
                f"'{data.unmapped}' (add its words to the census data's matches, or code it)",
                err=True,
            )
    text = export.csv_text([r.cells(data) for r in rows], census_.columns(data))
    if excel:
        text = "\ufeff" + text
    if out is None:
        echo(text, nl=False, data=True)
    else:
        atomic_write(out, text.encode("utf-8"), expect_digest=None)
        echo(
            f"{len(rows)} workers in the census year {data.first_day} to {data.last_day} "
            f"written to {out}"
        )
    if scanned.failures:
        raise click.exceptions.Exit(EXIT_SOME_FAILED)
