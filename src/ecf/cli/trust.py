"""The trust commands: verify the tamper-evident history; migrate records to the current schema."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ecf.cli import EXIT_BAD_INPUT, echo, state, today
from ecf.cli.types import RECORD

if TYPE_CHECKING:
    from pathlib import Path


@click.command()
@click.argument("files", nargs=-1, required=True, type=RECORD)
def verify(files: tuple[Path, ...]) -> None:
    """Check that no past history entry or decision of a record was edited or removed by hand.

    Exit 0 when every record is intact, 2 when any is not (each problem on one line, naming
    the entry).
    """
    from ecf.errors import EcfError
    from ecf.history import verify as verify_
    from ecf.store import read_record

    bad = 0
    for file in files:
        try:
            record = read_record(file)
        except EcfError as exc:
            bad += 1
            for line in exc.lines():
                echo(f"error: {line}", err=True)
            continue
        problems = verify_(record)
        if problems:
            bad += 1
            for problem in problems:
                echo(f"error: {problem.with_file(file)}", err=True)
        else:
            echo(f"{file}: intact ({record.id}, {len(record.history)} entries)")
    if bad:
        echo(f"{bad} of {len(files)} records failed verification", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT)


@click.command()
@click.argument("files", nargs=-1, required=True, type=RECORD)
@click.option("--dry-run", is_flag=True, help="Say what would be migrated; write nothing.")
def migrate(files: tuple[Path, ...], dry_run: bool) -> None:
    """Upgrade record files to the current schema, keeping a backup of each.

    The backup is FILE.schemaN.bak beside it (N: the schema it had); an existing backup is
    never replaced.  A file already current is left alone.
    """
    from ecf.migration import migrate as migrate_

    shared = state()
    for file in files:
        done = migrate_(
            file, by=shared.user_name(), dry_run=dry_run, registry=shared.registry, today=today()
        )
        if done.backup is None:
            echo(f"{file}: already schema {done.old_schema}")
        elif not done.written:
            echo(
                f"{file}: would migrate schema {done.old_schema} to {done.new_schema} "
                f"(backup {done.backup.name})"
            )
        else:
            echo(
                f"{file}: schema {done.old_schema} to {done.new_schema} (backup {done.backup.name})"
            )
