"""The commands that serve the person a record is about: export (subject access), anonymise."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ecf.cli import DATE, council_config, echo, load_valid, state, today
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
    "--id",
    "record_id",
    help="With a folder: the person's id; every record and backup holding it is exported.",
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
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="sqlite: processes to use (default: every core).",
)
def export(
    file: Path,
    subject_access: bool,
    fmt: str | None,
    record_id: str | None,
    out: Path | None,
    as_of: dt.date | None,
    council_file: Path | None,
    pseudonymise: bool,
    key_file: Path | None,
    workers: int | None,
) -> None:
    """Export a record for a subject access request, or a folder as a reporting database.

    --subject-access FILE: one readable JSON object: the whole record as held, the category of
    each field it holds (personal, special, career), and what ecf computes about the person:
    status, timeline, and the assessors' findings and recommendation.  --subject-access FOLDER
    --id ID: every record file and every backup (FILE.schemaN.bak) under it holding the
    person's id, and the other files whose text holds it.  It holds personal data: without
    --out it goes to standard output; with --out it is written to a new file only its owner
    may read.

    --format sqlite FOLDER --out FILE.db: every record under the folder as long-format SQLite
    tables with keys, indexes and a view of one row per record (docs/sqlite.md); no
    practitioner's name.  Exit 1 when some records could not be read (the rest is written).
    """
    if fmt == "sqlite":
        from ecf.cli.database import sqlite_export

        if subject_access:
            raise click.UsageError("--subject-access and --format sqlite are separate exports")
        if record_id is not None:
            raise click.UsageError("--id is for --subject-access FOLDER")
        sqlite_export(
            file,
            out,
            as_of,
            council_file,
            pseudonymise,
            key_file,
            workers=workers,
        )
        return
    if not subject_access:
        raise click.UsageError("choose an export: --subject-access FILE or --format sqlite FOLDER")
    if pseudonymise or key_file is not None:
        raise click.UsageError("--pseudonymise is for --format sqlite")
    import json

    from ecf.cli import fail
    from ecf.store import atomic_write, read_bytes
    from ecf.subject_access import subject_access as subject_access_
    from ecf.subject_access import subject_access_folder

    if file.is_dir():
        if not record_id:
            fail([f"{file}: a folder: give the person's id with --id"])
        data = subject_access_folder(
            file,
            record_id,
            state().registry,
            as_of or today(),
            council=council_config(council_file),
        )
        found = len(data["records"]) + len(data["backups"])
        subject = f"{record_id} ({found} files)"
    else:
        record = load_valid(file)
        if record_id is not None and record_id != record.id:
            fail([f"{file}: holds record {record.id}, not --id {record_id}"])
        data = subject_access_(
            record,
            state().registry,
            as_of or today(),
            council=council_config(council_file),
            source=read_bytes(file).decode("utf-8"),
        )
        subject = record.id
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        echo(text, nl=False, data=True)
        return
    atomic_write(out, text.encode("utf-8"), expect_digest=None)
    echo(f"{subject}: subject access export written to {out}")


@click.command()
@click.argument("file", type=RECORD)
@click.option(
    "--reason",
    required=True,
    help="Why the personal data is removed (kept in the history; do not name the person).",
)
def anonymise(file: Path, reason: str) -> None:
    """Strip the personal data from a record, keeping the career facts, and record why.

    The name becomes "anonymised"; the registration number, notes, panels, attachments,
    authors, the council's own [extra] fields and who made each change are removed; absences
    that reveal health become neutral ones with the same effect on due dates; the id is
    replaced by a random one.  Stages, dates, decisions' outcomes, evidence kinds and
    standards, and milestones stay.  The history records the reason, who and when, and stays
    verifiable.  The file's comments go too.  Around the file: a file named after the person
    is renamed to <new id>.toml; its backups (FILE.schemaN.bak) and lock files are removed;
    the record cache forgets it; the folder's tombstone (.ecf-anonymised, digests only) keeps
    `ecf import` from creating the person again.  A symbolic link, or a file with other hard
    links, is refused.  Not touched: the files its evidence referred to.
    """
    from ecf.anonymisation import anonymise_file

    shared = state()
    done = anonymise_file(
        file, reason=reason, by=shared.user_name(), registry=shared.registry, today=today()
    )
    renamed = f", renamed to {done.path}" if done.path != done.was else ""
    echo(f"{done.id}: personal data removed from {file}{renamed}; career facts kept")
    for gone in done.removed:
        echo(f"{done.id}: removed {gone}")
    if done.cached:
        echo(f"{done.id}: the record cache forgot {done.cached} cached versions")
