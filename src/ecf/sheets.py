"""Tables for spreadsheets: CSV that Excel reads right, and .xlsx workbooks.

Excel on Windows opens a CSV file as the machine's ANSI code page unless the file starts with a
UTF-8 byte order mark: "Chloé" becomes "ChloÃ©".  :func:`csv_for_excel` adds the mark (and the
rows already end in CRLF, :func:`ecf.export.csv_text`).

:func:`xlsx_bytes` writes one worksheet with openpyxl, kept as the optional extra
``ecf-social-work[xlsx]`` (``pip install 'ecf-social-work[xlsx]'``): openpyxl rather than
XlsxWriter because it is typed (typeshed's ``types-openpyxl``, so ``mypy --strict`` checks the
calls) and one library both writes the workbook here and reads it back in the tests; its
write-only mode streams rows, so a large cohort does not build the sheet in memory.  A dated
cell (``2026-02-02``) is an Excel
date, a number a number, a list its items joined by ``; ``; every text cell is stored as text,
never as a formula, whatever it starts with (``=``, ``+``, ``-``, ``@``); a control character
XML cannot hold becomes U+FFFD, and a line ends in a line feed.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import TYPE_CHECKING, Any

from ecf.errors import EcfError, Problem
from ecf.export import csv_text

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from openpyxl.cell.cell import Cell

__all__ = ["BOM", "XLSX_MISSING", "csv_for_excel", "xlsx_bytes"]

#: The UTF-8 byte order mark, as text: the first character of a CSV file for Excel.
BOM = "\ufeff"
#: What to do when openpyxl is not installed.
XLSX_MISSING = "--format xlsx needs openpyxl: pip install 'ecf-social-work[xlsx]'"
#: A date as ecf writes it in its rows.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Characters an .xlsx cell cannot hold (XML 1.0 has no place for them): shown as U+FFFD.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: A sheet name may not hold these, and has at most 31 characters (Excel's rules).
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_SHEET_MAX = 31


def csv_for_excel(records: Iterable[Mapping[str, Any]], columns: list[str]) -> str:
    """Rows as CSV (as :func:`ecf.export.csv_text`) preceded by a UTF-8 byte order mark."""
    return BOM + csv_text(records, columns)


def _cell_value(value: object) -> object:
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    if value is None or isinstance(value, bool | int | float | dt.date):
        return value
    return _NOT_IN_XML.sub("\ufffd", _text(str(value)))


def _text(value: str) -> str:
    """Line ends as a workbook keeps them: XML reads a carriage return as a line feed."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def xlsx_bytes(records: Iterable[Mapping[str, Any]], columns: list[str], sheet: str) -> bytes:
    """Rows as an .xlsx workbook of one worksheet: a header row, then one row per record.

    Args:
        records: The rows, each a mapping from column to value.
        columns: The columns, in order.
        sheet: The worksheet's name (cut to Excel's 31 characters).

    Returns:
        The workbook file's bytes.

    Raises:
        EcfError: openpyxl is not installed (it is the optional extra ``ecf-social-work[xlsx]``).
    """
    try:
        from openpyxl import Workbook  # noqa: PLC0415 - optional, and heavy to import
        from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    except ImportError:
        raise EcfError([Problem(XLSX_MISSING)]) from None
    book = Workbook(write_only=True)
    ws = book.create_sheet(_SHEET_BAD.sub("-", sheet)[:_SHEET_MAX] or "ecf")

    def cell(value: object) -> Cell:
        made = WriteOnlyCell(ws, value=_cell_value(value))  # type: ignore[arg-type] # dates too
        if isinstance(made.value, str):
            made.data_type = "s"  # text, never a formula
        elif isinstance(made.value, dt.date):
            made.number_format = "yyyy-mm-dd"
        return made

    ws.append([cell(c) for c in columns])
    for record in records:
        ws.append([cell(record.get(c)) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
