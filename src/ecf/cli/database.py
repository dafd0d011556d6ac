"""The SQLite reporting export: ``ecf export FOLDER --format sqlite --out cohort.db``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ecf.cli import EXIT_SOME_FAILED, council_config, echo, state, today, warn_unavailable

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
) -> None:
    """Write the records under ``folder`` to the database ``out`` (:mod:`ecf.database`)."""
    from ecf import export
    from ecf.cohort import load_folder
    from ecf.database import write_database

    if out is None:
        raise click.UsageError("--format sqlite needs --out FILE.db")
    if not folder.is_dir():
        raise click.UsageError("--format sqlite takes a folder of records")
    key = export.read_key(key_file) if pseudonymise else None
    council = council_config(council_file)
    plugins = None
    if council is not None:
        from ecf.assessors import get_plugins

        plugins = get_plugins()
        warn_unavailable(council, plugins)  # once; each record's findings name it too
    registry = state().registry
    when = as_of or today()
    loaded = load_folder(folder, registry, today())
    for failure in loaded.failures:
        for line in failure.lines():
            echo(f"error: {line}", err=True)
    counts = write_database(
        loaded.records, out, registry, when, council=council, plugins=plugins, key=key
    )
    shown = ", ".join(
        f"{counts[t]} {t.replace('_', ' ')}"
        for t in ("enrolments", "milestones", "evidence", "findings", "funding")
    )
    mark = " (pseudonymised)" if key is not None else ""
    echo(f"{len(loaded.records)} records as of {when} written to {out}{mark}: {shown}")
    if loaded.failures:
        raise click.exceptions.Exit(EXIT_SOME_FAILED)
