"""A report's table as a CSV or XLSX file: raw values (numbers stay numbers, days ISO, rates and shares as
fractions), the totals row last, every text cell guarded against formulas (csv_out; openpyxl keeps '=' text as text)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from types import ModuleType
from typing import Any

from backoffice.reports.base import Table, heading
from backoffice.transfer.csv_out import csv_bytes, csv_safe

MEDIA_TYPES = {
    'csv': 'text/csv; charset=utf-8',
    'xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
}
FORMATS = {'money': '#,##0.00', 'percent': '0.0%', 'rate': '0.0%', 'hours': '0.00', 'decimal': '0.00'}


def table_file(table: Table, fmt: str, *, sheet: str = 'Report') -> bytes:
    header = [heading(column) for column in table.columns]
    rows = [[row.get(column.key) for column in table.columns] for row in _with_totals(table)]
    if fmt == 'csv':
        return csv_bytes(header, [[_csv_value(value) for value in row] for row in rows])
    return _xlsx(table, header, rows, sheet)


def _with_totals(table: Table) -> list[dict[str, Any]]:
    return [*table.rows, table.totals] if table.totals else list(table.rows)


def _csv_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


def _xlsx(table: Table, header: list[str], rows: list[list[Any]], title: str) -> bytes:
    # openpyxl (~0.2 s of CPU) is imported by the first spreadsheet written, not by every process's start
    from openpyxl import Workbook
    from openpyxl.cell import cell as xlsx_cells
    from openpyxl.cell.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=''.join(c for c in title if c not in '[]:*?/\\')[:31] or 'Report')
    sheet.freeze_panes = 'A2'
    bold = Font(bold=True)
    cells = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    kinds = [column.kind for column in table.columns]
    for row in rows:
        sheet.append([_xlsx_cell(xlsx_cells, sheet, value, kind) for value, kind in zip(row, kinds, strict=True)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_cell(xlsx_cells: ModuleType, sheet, value: Any, kind: str) -> Any:
    """`xlsx_cells`: openpyxl.cell.cell, imported by _xlsx (no import statement run per cell)."""
    if value is None:
        return None
    if isinstance(value, int | float | Decimal):
        cell = xlsx_cells.WriteOnlyCell(sheet, value=float(value) if isinstance(value, Decimal) else value)
        if kind in FORMATS:
            cell.number_format = FORMATS[kind]
        return cell
    if isinstance(value, date):
        cell = xlsx_cells.WriteOnlyCell(sheet, value=value)
        cell.number_format = 'yyyy-mm-dd'
        return cell
    text = xlsx_cells.ILLEGAL_CHARACTERS_RE.sub('', str(value))
    cell = xlsx_cells.WriteOnlyCell(sheet, value=csv_safe(text) if text.startswith('=') else text)
    cell.data_type = 's'
    return cell
