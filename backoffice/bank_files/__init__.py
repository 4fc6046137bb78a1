"""Bank statement files read into plain statements and lines (CAMT.053, MT940, OFX, CSV), every amount a Decimal;
a file that cannot be read raises UnreadableFile naming the line and why, and nothing of it is kept."""

from __future__ import annotations

from backoffice.bank_files.common import (
    FORMATS,
    CsvMapping,
    ParsedLine,
    ParsedStatement,
    UnreadableFile,
    line_identity,
)
from backoffice.bank_files.read import detect_format, read_statement_file

__all__ = [
    'FORMATS',
    'CsvMapping',
    'ParsedLine',
    'ParsedStatement',
    'UnreadableFile',
    'detect_format',
    'line_identity',
    'read_statement_file',
]
