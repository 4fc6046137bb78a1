"""The one CSV writer: every CSV file the app produces goes through it, so no text cell can run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_TRIGGERS = ('=', '+', '-', '@', '\t', '\r')
SEPARATORS = (',', ';')  # comma: RFC 4180 and email tools; semicolon: Excel where the decimal mark is a comma (French)


def csv_safe(text: str) -> str:
    """A leading apostrophe keeps a spreadsheet from running a cell as a formula (CSV injection)."""
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def cell(value: Any, decimal: str = '.') -> str:
    """A value as its CSV text: text guarded, None empty, numbers as written (a negative number stays a number),
    with `decimal` as their decimal mark (',' for a spreadsheet that separates cells with ';')."""
    if value is None:
        return ''
    if isinstance(value, str):
        return csv_safe(value)
    if isinstance(value, float | Decimal):
        return str(value).replace('.', decimal)
    return str(value)


class CsvWriter:
    """csv.writer with the formula guard on every cell and Windows line ends (what Excel and RFC 4180 expect); a cell
    holding the separator, a quote or a line end is quoted, whichever separator is chosen.

    `write` buffers rows; `take()` returns what was written since the last call (for streaming a long file)."""

    def __init__(self, *, separator: str = ',', decimal: str = '.') -> None:
        if separator not in SEPARATORS or decimal not in ('.', ',') or decimal == separator:
            raise ValueError(f'unknown CSV separator {separator!r} or decimal mark {decimal!r}')
        self._decimal = decimal
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, delimiter=separator, lineterminator='\r\n')

    def write(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(value, self._decimal) for value in row])

    def write_all(self, rows: Iterable[Iterable[Any]]) -> None:
        self._writer.writerows([cell(value, self._decimal) for value in row] for row in rows)

    def take(self) -> str:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]], *, separator: str = ',', decimal: str = '.') -> str:
    """A whole small CSV file as text: the header, then the rows, every cell guarded."""
    writer = CsvWriter(separator=separator, decimal=decimal)
    writer.write(header)
    writer.write_all(rows)
    return writer.take()


def csv_bytes(
    header: Iterable[str], rows: Iterable[Iterable[Any]], *, separator: str = ',', decimal: str = '.'
) -> bytes:
    """As `csv_text`, in UTF-8 with the byte-order mark Excel needs to keep accents intact."""
    return csv_text(header, rows, separator=separator, decimal=decimal).encode('utf-8-sig')
