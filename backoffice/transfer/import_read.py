"""Reading an import file: a CSV or XLSX table as {header: text} rows, its size, rows, columns and lines bounded."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Generator, Iterator
from contextlib import closing
from datetime import date, datetime
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO

from backoffice.config import get_settings
from backoffice.engine.declaration import number
from backoffice.errors import ValidationFailed
from backoffice.i18n import _
from backoffice.runtime.upload_limit import MB, max_upload_bytes, too_large_message
from backoffice.transfer import xlsx_rows

MAX_COLUMNS = 60  # columns read from a file; a header naming more is refused
MAX_LINE_CHARS = 1024 * 1024  # one line of a CSV file
READ_CHUNK = 1024 * 1024
# How far an .xlsx (a zip) may unpack, as multiples of the upload limit: the shared strings are loaded whole by
# openpyxl (so they stay small), a sheet is streamed (it may be larger), and all parts together.
XLSX_STRINGS_FACTOR = 2
XLSX_PART_FACTOR = 10
XLSX_TOTAL_FACTOR = 12
DELIMITERS = (',', ';', '\t')


def read_table(data: bytes, file_name: str) -> list[dict[str, str]]:
    """`read_table_file` over bytes already in memory (small files, tests)."""
    return read_table_file(io.BytesIO(data), file_name)


def read_table_file(source: BinaryIO | str | Path, file_name: str) -> list[dict[str, str]]:
    """The file's rows as {header: text}, for .csv (comma, semicolon or tab; UTF-8 with or without BOM, Windows
    encoding or Excel's UTF-16 "Unicode Text") and .xlsx (the first sheet). The first non-blank line is the header;
    blank lines are skipped. Slow and blocking: call it from a worker thread (`run.io_bound`), never the event loop.

    Memory stays bounded whatever the file holds: its size, rows, columns, line length and an .xlsx's unpacked parts
    are checked while it is read (each refused in words, naming the limit), and the rows are read one by one."""
    if isinstance(source, str | Path):
        with open(source, 'rb') as file:
            return _read_table(file, file_name)
    return _read_table(source, file_name)


def max_rows() -> int:
    return get_settings().max_import_rows


def _read_table(file: BinaryIO, file_name: str) -> list[dict[str, str]]:
    size = file.seek(0, io.SEEK_END)
    file.seek(0)
    if not size:
        raise ValidationFailed({'file': _('The file is empty')})
    if size > max_upload_bytes():
        raise ValidationFailed({'file': too_large_message()})
    suffix = file_name.lower().rsplit('.', 1)[-1] if '.' in file_name else ''
    if suffix in ('csv', 'txt', 'tsv'):
        lines = _csv_lines(file)
    elif suffix == 'xlsx':
        lines = _xlsx_lines(file)
    else:
        raise ValidationFailed({'file': _('Upload a .csv or .xlsx file')})
    limit = max_rows()
    too_many = ValidationFailed(
        {'file': _('The file has more than {limit} rows; split it into smaller files').format(limit=number(limit))}
    )
    header: list[str] | None = None
    rows: list[dict[str, str]] = []
    blank = 0
    with closing(lines):
        for cells in lines:
            cells = [cell.strip() for cell in cells[: MAX_COLUMNS + 1]]  # what is past the header is never kept
            if not any(cells):
                blank += 1  # blank lines cost reading time too (a sheet can claim a million empty rows)
                if blank > limit:
                    raise too_many
                continue
            if header is None:
                header = _header(cells)
                continue
            if len(rows) >= limit:
                raise too_many
            if len(cells) < len(header):
                cells += [''] * (len(header) - len(cells))
            row = dict(zip(header, cells, strict=False))  # cells past the header are not read
            row.pop('', None)  # a column without a name is not read
            rows.append(row)
    if header is None:
        raise ValidationFailed({'file': _('The file is empty')})
    if not rows:
        raise ValidationFailed({'file': _('The file has a header line but no rows under it')})
    return rows


def _header(cells: list[str]) -> list[str]:
    names = [cell.lstrip('\ufeff').strip() for cell in cells]
    if any(names[MAX_COLUMNS:]):
        raise ValidationFailed(
            {'file': _('The file has more than {limit} columns; keep the columns to import').format(limit=MAX_COLUMNS)}
        )
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise ValidationFailed({'file': _('The column "{name}" appears twice in the header').format(name=name)})
        seen.add(name)
    return names


def _csv_lines(file: BinaryIO) -> Generator[list[str]]:
    text = io.TextIOWrapper(file, encoding=_encoding(file), newline='')
    try:
        lines = _bounded_lines(text)
        skipped = []
        first_line = ''
        for line in lines:
            skipped.append(line)
            if line.strip():
                first_line = line
                break
        delimiter = max(DELIMITERS, key=first_line.count) if any(d in first_line for d in DELIMITERS) else ','
        yield from csv.reader(chain(skipped, lines), delimiter=delimiter)
    except csv.Error as error:
        raise ValidationFailed({'file': _('The file could not be read as CSV ({error})').format(error=error)}) from None
    except UnicodeDecodeError:
        raise ValidationFailed({'file': _('The file is not readable text; save it as "CSV UTF-8"')}) from None
    finally:
        text.detach()  # the caller's file stays open: it closes it


def _bounded_lines(text: io.TextIOWrapper) -> Iterator[str]:
    while line := text.readline(MAX_LINE_CHARS + 1):
        if len(line) > MAX_LINE_CHARS:
            raise ValidationFailed(
                {'file': _('A line of the file is longer than {limit} characters').format(limit=number(MAX_LINE_CHARS))}
            )
        yield line.replace('\x00', '')  # never meant in a cell; PostgreSQL refuses it


def _encoding(file: BinaryIO) -> str:
    """UTF-16 when it starts with its byte-order mark (Excel's "Unicode Text"), else UTF-8 when every byte decodes
    (checked a chunk at a time), else the Windows code page Excel on Windows saves "CSV" in."""
    start = file.read(4)
    file.seek(0)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return 'utf-16'
    decoder = codecs.getincrementaldecoder('utf-8')()
    try:
        while chunk := file.read(READ_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b'', final=True)
        return 'utf-8-sig'
    except UnicodeDecodeError:
        return 'cp1252'
    finally:
        file.seek(0)


def _xlsx_lines(file: BinaryIO) -> Generator[list[str]]:
    limit = max_upload_bytes()
    try:
        xlsx_rows.check_parts(
            file,
            strings_limit=XLSX_STRINGS_FACTOR * limit,
            part_limit=XLSX_PART_FACTOR * limit,
            total_limit=XLSX_TOTAL_FACTOR * limit,
        )
        for values in xlsx_rows.first_sheet_rows(file, max_col=MAX_COLUMNS + 1):
            yield [_cell_text(value) for value in values]
    except xlsx_rows.TooLarge:
        raise ValidationFailed(
            {
                'file': _('The workbook unpacks to more than its {mb} MB allows; save it as CSV, or split it').format(
                    mb=limit // MB
                )
            }
        ) from None
    except ValidationFailed:
        raise
    except Exception:  # xlsx_rows.Unreadable, or a sheet that breaks off half-way
        raise ValidationFailed({'file': _('The file could not be read as an Excel workbook (.xlsx)')}) from None


def _cell_text(value: Any) -> str:
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'Yes' if value else 'No'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=' ') if value.time() != datetime.min.time() else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
