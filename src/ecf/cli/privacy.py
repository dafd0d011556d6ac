"""The commands that serve the person a record is about: export (subject access), anonymise."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ecf.cli import DATE, council_config, echo, editing, load_valid, state, today
from ecf.cli.types import COUNCIL, RECORD

if TYPE_CHECKING:
    import datetime as dt


@click.command()
@click.argument("file", type=RECORD)
@click.option(
    "--subject-access",
    is_flag=True,
    required=True,
    help="Export everything held about the person (the only kind of export for now).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON to this new file (atomically; an existing file is never replaced).",
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
def export(
    file: Path,
    subject_access: bool,  # noqa: ARG001 - required: the only kind of export for now
    out: Path | None,
    as_of: dt.date | None,
    council_file: Path | None,
) -> None:
    """Everything held about the person in a record, for a subject access request.

    One readable JSON object: the whole record as held, the category of each field it holds
    (personal, special, career), and what ecf computes about the person: status, timeline, and
    the assessors' findings and recommendation.  It holds personal data: without --out it goes
    to standard output; with --out it is written to a new file only its owner may read.
    """
    import json

    from ecf.store import atomic_write, read_bytes
    from ecf.subject_access import subject_access as subject_access_

    record = load_valid(file)
    data = subject_access_(
        record,
        state().registry,
        as_of or today(),
        council=council_config(council_file),
        source=read_bytes(file).decode("utf-8"),
    )
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        echo(text, nl=False, data=True)
        return
    atomic_write(out, text.encode("utf-8"), expect_digest=None)
    echo(f"{record.id}: subject access export written to {out}")


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
    echo(f"{editor.record.id}: personal data removed from {file}; career facts kept")
