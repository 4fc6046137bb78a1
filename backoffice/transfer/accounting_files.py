"""The accounting export's tables as files: a ZIP of one CSV per table (csv_out: the formula guard) or one XLSX
workbook with a sheet per table; raw values only — ISO days, Decimal amounts written with a dot, no currency sign."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import ModuleType
from typing import Any

from backoffice.transfer.csv_out import csv_bytes, csv_safe

XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'


@dataclass(frozen=True)
class Sheet:
    name: str  # the file's or the sheet's name: vat_summary
    header: tuple[str, ...]
    rows: list[list[Any]]


def csv_zip(sheets: list[Sheet], folder: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as archive:
        for sheet in sheets:
            rows = [[_csv_value(value) for value in row] for row in sheet.rows]
            archive.writestr(f'{folder}/{sheet.name}.csv', csv_bytes(list(sheet.header), rows))
    return out.getvalue()


def xlsx(sheets: list[Sheet]) -> bytes:
    # openpyxl (~0.2 s of CPU) is imported by the first spreadsheet written, not by every process's start
    from openpyxl import Workbook
    from openpyxl.cell import cell as xlsx_cells
    from openpyxl.cell.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        page = workbook.create_sheet(title=sheet.name[:31])
        page.freeze_panes = 'A2'
        heading = []
        for text in sheet.header:
            cell = WriteOnlyCell(page, value=text)
            cell.font = bold
            heading.append(cell)
        page.append(heading)
        for row in sheet.rows:
            page.append([_xlsx_cell(xlsx_cells, page, value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _csv_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value  # a Decimal as its digits (a negative amount stays a number, not guarded text)


def _xlsx_cell(xlsx_cells: ModuleType, page: Any, value: Any) -> Any:
    """`xlsx_cells`: openpyxl.cell.cell, imported by xlsx() (no import statement run per cell)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return xlsx_cells.WriteOnlyCell(page, value=str(value))
    if isinstance(value, int | Decimal):
        cell = xlsx_cells.WriteOnlyCell(
            page, value=value
        )  # openpyxl writes a Decimal's own digits, no float on the way
        if isinstance(value, Decimal):
            cell.number_format = '0.00'
        return cell
    if isinstance(value, date):
        cell = xlsx_cells.WriteOnlyCell(page, value=value)
        cell.number_format = 'yyyy-mm-dd'
        return cell
    text = xlsx_cells.ILLEGAL_CHARACTERS_RE.sub('', str(value))
    cell = xlsx_cells.WriteOnlyCell(page, value=csv_safe(text) if text.startswith('=') else text)
    cell.data_type = 's'
    return cell
