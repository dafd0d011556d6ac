"""The SQLite reporting export: ``ecf export FOLDER --format sqlite --out cohort.db``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ecf.cli import EXIT_SOME_FAILED, council_config, echo, today, warn_unavailable

if TYPE_CHECKING:
    import datetime as dt
    from pathlib import Path


def sqlite_export(
    folder: Path,
    out: Path | None,
    as_of: dt.date | None,
    council_file: Path | None,
    pseudonymise: bool,
    key_file: Path | None,
    *,
    workers: int | None = None,
) -> None:
    """Write the records under ``folder`` to the database ``out`` (:mod:`ecf.database`).

    The records are read through the parallel scan (:func:`ecf.cli.scans.scan`), each worker
    making its records' rows and writing them to a file of its own; this process merges those
    (:class:`ecf.database.ExportParts`).  Without the record cache: an export leaves nothing
    on disk but the database it writes.
    """
    from ecf import export
    from ecf.cli.scans import report_failures, scan
    from ecf.database import ExportParts, database_funding

    if out is None:
        raise click.UsageError("--format sqlite needs --out FILE.db")
    if not folder.is_dir():
        raise click.UsageError("--format sqlite takes a folder of records")
    key = export.read_key(key_file) if pseudonymise else None
    council = council_config(council_file)
    if council is not None:
        from ecf.assessors import get_plugins

        warn_unavailable(council, get_plugins())  # once; each record's findings name it too
    when = as_of or today()
    funding = database_funding(when)
    with (
        ExportParts(out, key=key, funding=funding) as parts,
        scan(
            [folder],
            parts.each,
            as_of=when,
            council_file=council_file,
            workers=workers,
            no_cache=True,
            chunk_end=parts.chunk_end,
        ) as scanned,
    ):
        report_failures(scanned)
        counts = parts.write(scanned, when, council=council)
    shown = ", ".join(
        f"{counts[t]} {t.replace('_', ' ')}"
        for t in ("enrolments", "milestones", "evidence", "findings", "funding")
    )
    mark = " (pseudonymised)" if key is not None else ""
    echo(f"{counts['records']} records as of {when} written to {out}{mark}: {shown}")
    if scanned.failures:
        raise click.exceptions.Exit(EXIT_SOME_FAILED)
