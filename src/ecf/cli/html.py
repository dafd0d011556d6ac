"""The HTML pages: the progress record of one record (``ecf report``) and the cohort picture.

``ecf cohort --format html`` is the cohort command's (``ecf.cli.cohort``); the writing of a
page is here, shared by both.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ecf.cli import DATE, council_config, echo, load_valid, state, today, warn_unavailable
from ecf.cli.types import COUNCIL, RECORD

if TYPE_CHECKING:
    import datetime as dt


def write_page(out: Path | None, text: str) -> None:
    """Write a page to ``out`` (replaced atomically), or to standard output when ``None``.

    Raises:
        EcfError: the file cannot be written (nothing is left half-written).
    """
    if out is None:
        echo(text, nl=False, data=True)
        return
    from ecf.errors import EcfError, Problem

    try:
        with click.open_file(str(out), "w", encoding="utf-8", atomic=True) as fh:
            fh.write(text)
    except OSError as exc:
        raise EcfError([Problem(f"cannot write: {exc.strerror}", file=str(out))]) from exc


@click.command()
@click.argument("file", type=RECORD)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the page to this file (replaced atomically) instead of standard output.",
)
@click.option("--as-of", type=DATE, help="The date to report as of (default: today).")
@click.option(
    "--council",
    "council_file",
    type=COUNCIL,
    help="A council.toml: its settings apply to the dates, its rules to the findings.",
)
@click.option(
    "--pseudonymise",
    is_flag=True,
    help="Replace the id with a keyed hash (--key-file or $ECF_PSEUDONYM_KEY); no names.",
)
@click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The file holding the pseudonymisation key.",
)
def report(
    file: Path,
    out: Path | None,
    as_of: dt.date | None,
    council_file: Path | None,
    pseudonymise: bool,
    key_file: Path | None,
) -> None:
    """Write a record's progress as one HTML page, for the practitioner, assessor and panel.

    The page holds who, the stage path with a timeline chart, the evidence by standard, every
    finding explained, the support gaps, decisions, appeals and whether the history verifies.
    It loads nothing from the network and prints to PDF from a browser.  Names are those of
    the practitioner and of the colleagues who wrote evidence and decided; no notes, and no
    kind of absence.
    """
    from ecf import export, html_report

    key = export.read_key(key_file) if pseudonymise else None
    record = load_valid(file)
    council = council_config(council_file)
    if council is not None:
        from ecf.assessors import get_plugins

        warn_unavailable(council, get_plugins())
    page = html_report.record_view(
        record, state().registry, as_of or today(), council=council, key=key
    )
    write_page(out, html_report.render_record(page))
    if out is not None:
        echo(f"{out}: progress record of {page.id} as of {page.as_of}")
