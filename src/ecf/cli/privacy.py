"""The commands that serve the person a record is about: export (subject access), anonymise."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ecf.cli import DATE, council_config, editing, load_valid, state, today
from ecf.cli.types import COUNCIL, RECORD

if TYPE_CHECKING:
    import datetime as dt


@click.command()
@click.argument("file", metavar="FILE|FOLDER", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--subject-access",
    is_flag=True,
    help="Export everything held about the person in the record FILE.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["sqlite"]),
    help="sqlite: the records under the folder FILE as a reporting database (needs --out).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (atomically; subject access: a new file; sqlite: a new file or a "
    "database ecf wrote before).",
)
@click.option(
    "--as-of",
    type=DATE,
    help="The date status and assessment are as of (default: today).",
)
@click.option(
    "--council",
    "council_file",
    type=COUNCIL,
    help="A council.toml: its assessors judge the record (default: the national baseline).",
)
@click.option(
    "--pseudonymise",
    is_flag=True,
    help="sqlite: replace ids with a keyed hash (--key-file or $ECF_PSEUDONYM_KEY); drop names.",
)
@click.option("--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def export(
    file: Path,
    subject_access: bool,
    fmt: str | None,
    out: Path | None,
    as_of: dt.date | None,
    council_file: Path | None,
    pseudonymise: bool,
    key_file: Path | None,
) -> None:
    """Export a record for a subject access request, or a folder as a reporting database.

    --subject-access FILE: one readable JSON object: the whole record as held, the category of
    each field it holds (personal, special, career), and what ecf computes about the person:
    status, timeline, and the assessors' findings and recommendation.  It holds personal data:
    without --out it goes to standard output; with --out it is written to a new file only its
    owner may read.

    --format sqlite FOLDER --out FILE.db: every record under the folder as long-format SQLite
    tables with keys, indexes and a view of one row per record (docs/sqlite.md); no
    practitioner's name.  Exit 1 when some records could not be read (the rest is written).
    """
    if fmt == "sqlite":
        from ecf.cli.database import sqlite_export

        if subject_access:
            raise click.UsageError("--subject-access and --format sqlite are separate exports")
        sqlite_export(file, out, as_of, council_file, pseudonymise, key_file)
        return
    if not subject_access:
        raise click.UsageError("choose an export: --subject-access FILE or --format sqlite FOLDER")
    if pseudonymise or key_file is not None:
        raise click.UsageError("--pseudonymise is for --format sqlite")
    if file.is_dir():
        raise click.UsageError("--subject-access takes a record file, not a folder")
    import json

    from ecf.store import atomic_write
    from ecf.subject_access import subject_access as subject_access_

    record = load_valid(file)
    data = subject_access_(
        record,
        state().registry,
        as_of or today(),
        council=council_config(council_file),
        source=file.read_text(encoding="utf-8"),
    )
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    atomic_write(out, text.encode("utf-8"), expect_digest=None)
    click.echo(f"{record.id}: subject access export written to {out}")


@click.command()
@click.argument("file", type=RECORD)
@click.option(
    "--reason",
    required=True,
    help="Why the personal data is removed (kept in the history; do not name the person).",
)
def anonymise(file: Path, reason: str) -> None:
    """Strip the personal data from a record, keeping the career facts, and record why.

    The name becomes "anonymised"; the registration number, notes, attachments, authors, the
    council's own [extra] fields and who made each change are removed; absences that reveal
    health become neutral ones with the same effect on due dates; the id is replaced by a random
    one.  Stages, dates, decisions' outcomes, evidence kinds and standards, and milestones stay.
    The history records the reason, who and when, and stays verifiable.  The file's comments
    go too.  Not touched: the file's name (rename it if it identifies the person), the files
    its evidence referred to, and backups of it (FILE.schemaN.bak): remove them yourself.
    """
    with editing(file) as editor:
        editor.anonymise(reason)
    click.echo(f"{editor.record.id}: personal data removed from {file}; career facts kept")
