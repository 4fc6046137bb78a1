"""The first sheet of an untrusted .xlsx, row by row, in bounded memory and time: its zip parts are checked before
openpyxl opens it, and only that sheet is opened, in read-only (streaming) mode."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from functools import cache
from typing import Any, BinaryIO

EXCEL_LAST_ROW = 1_048_576


class Unreadable(Exception):
    """Not a workbook openpyxl can read (or it has no worksheet)."""


class TooLarge(Exception):
    """A part of the workbook (named in the message) unpacks larger than allowed."""


def check_parts(file: BinaryIO, *, strings_limit: int, part_limit: int, total_limit: int) -> None:
    """Refuse a workbook whose parts unpack too large, before openpyxl opens it: it reads the shared strings whole,
    and a few compressed KB can unpack to gigabytes. The sizes are the zip's own (zipfile never unpacks more)."""
    try:
        with zipfile.ZipFile(file) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise Unreadable from None
    finally:
        file.seek(0)
    for part in parts:
        if part.filename.lower().endswith('sharedstrings.xml') and part.file_size > strings_limit:
            raise TooLarge('shared strings')
        if part.file_size > part_limit:
            raise TooLarge('part')
    if sum(part.file_size for part in parts) > total_limit:
        raise TooLarge('total')


def first_sheet_rows(file: BinaryIO, *, max_col: int) -> Iterator[tuple[Any, ...]]:
    """The values of the first worksheet's rows, each cut at `max_col` columns, read as they are parsed."""
    reader = _first_sheet_reader()(file, read_only=True, data_only=True, keep_links=False)
    try:
        reader.read()
    except Exception:
        raise Unreadable from None
    workbook = reader.wb
    try:
        if not workbook.worksheets:
            raise Unreadable
        sheet = workbook.worksheets[0]
        # max_col: a sheet claiming 16,384 columns is not padded to them, row after row; max_row: so that openpyxl
        # never reads the whole sheet first to measure it
        yield from sheet.iter_rows(max_col=max_col, max_row=EXCEL_LAST_ROW, values_only=True)
    finally:
        workbook.close()


@cache
def _first_sheet_reader() -> type:
    """openpyxl's reader opening only the first worksheet, never measured; defined on the first workbook read, so that
    openpyxl is imported by an import from a spreadsheet, not by every process's start."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    class UnmeasuredSheet(ReadOnlyWorksheet):
        def _get_size(self) -> None:
            """openpyxl looks for the sheet's <dimension> by parsing the whole sheet when it has none (openpyxl's own
            write-only files, this app's exports, have none): seconds to minutes for nothing, as rows are read with
            explicit bounds."""

    class FirstSheetReader(ExcelReader):
        def read_worksheets(self) -> None:
            """Only the first worksheet, never measured (openpyxl opens and measures every sheet of the workbook)."""
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files or 'chartsheet' in rel.Type:
                    continue
                worksheet = UnmeasuredSheet(self.wb, sheet.name, rel.target, self.shared_strings)
                worksheet.sheet_state = sheet.state
                self.wb._sheets.append(worksheet)
                return

    return FirstSheetReader
