"""Writing a report's rows for spreadsheets: ``--format csv`` (``--excel``: with a BOM) and xlsx.

Shared by ``ecf cohort``, ``ecf workforce`` and ``ecf funding``; the library does the writing
(:mod:`ecf.sheets`), this module only chooses and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ecf.cli import echo

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

__all__ = ["EXCEL_HELP", "SPREADSHEET_FORMATS", "row_report_options", "table_format", "write_rows"]

_F = TypeVar("_F", bound="Callable[..., Any]")

#: The help of every --excel option.
EXCEL_HELP = (
    "CSV for Excel: start with a UTF-8 byte order mark, so accented names read right "
    "(implies --format csv)."
)
#: The formats that write rows for spreadsheets.
SPREADSHEET_FORMATS = ("csv", "xlsx")


def row_report_options(command: _F) -> _F:
    """A report of rows' options: ``--format``, ``--excel``, ``--pseudonymise``, ``--key-file``.

    One declaration for ``ecf workforce`` and ``ecf funding`` (``ecf cohort`` has its own, with
    html).
    """
    for option in reversed(
        (
            click.option(
                "--format",
                "fmt",
                type=click.Choice(["table", "csv", "json", "xlsx"]),
                default="table",
                show_default=True,
                help="xlsx: a workbook on standard output (needs ecf-social-work[xlsx]).",
            ),
            click.option("--excel", is_flag=True, help=EXCEL_HELP),
            click.option("--pseudonymise", is_flag=True, help="Replace ids with a keyed hash."),
            click.option(
                "--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path)
            ),
        )
    ):
        command = option(command)
    return command


def table_format(fmt: str, *, excel: bool) -> str:
    """The format to write: ``--excel`` turns the default table into CSV.

    Raises:
        click.UsageError: ``--excel`` with a format that is not CSV.
    """
    if not excel:
        return fmt
    if fmt in ("table", "csv"):
        return "csv"
    msg = f"--excel writes CSV for Excel; it does not apply to --format {fmt}"
    raise click.UsageError(msg)


def write_rows(
    rows: Iterable[Mapping[str, Any]],
    columns: list[str],
    fmt: str,
    *,
    excel: bool = False,
    sheet: str = "ecf",
) -> None:
    """Print rows as CSV (with a BOM for Excel) or an .xlsx workbook on standard output.

    A workbook is binary: it is refused on a terminal (redirect it to a file).
    """
    from ecf import sheets
    from ecf.export import csv_text

    if fmt == "csv":
        echo(
            sheets.csv_for_excel(rows, columns) if excel else csv_text(rows, columns),
            nl=False,
            data=True,
        )
        return
    if sys.stdout.isatty():
        msg = "--format xlsx writes a binary workbook: redirect it to a file (> report.xlsx)"
        raise click.UsageError(msg)
    echo(sheets.xlsx_bytes(rows, columns, sheet), nl=False, data=True)  # bytes: written as they are
