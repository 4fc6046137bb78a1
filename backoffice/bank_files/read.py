"""Which format a statement file is in, from its content, and the reader for it."""

from __future__ import annotations

from backoffice.bank_files.camt import read_camt
from backoffice.bank_files.common import CsvMapping, ParsedStatement, UnreadableFile
from backoffice.bank_files.csv_lines import decode, read_csv
from backoffice.bank_files.mt940 import read_mt940
from backoffice.bank_files.ofx import read_ofx
from backoffice.i18n import _


def detect_format(data: bytes) -> str:
    head = data[:4096].lstrip(b'\xef\xbb\xbf \t\r\n')
    if b'OFXHEADER' in head or b'<OFX>' in head.upper():
        return 'ofx'
    if head.startswith(b'<') and b'camt.053' in head:
        return 'camt053'
    if head.startswith(b'<'):
        return 'xml'
    text = decode(head)
    if text.startswith(':20:') or '\n:20:' in text or text.startswith('{1:'):
        return 'mt940'
    return 'csv'


def read_statement_file(data: bytes, *, mapping: CsvMapping | None = None, currency: str = '') -> tuple[str, list]:
    """(format, statements) of a file; UnreadableFile when any part of it cannot be read."""
    kind = detect_format(data)
    statements: list[ParsedStatement]
    if kind == 'ofx':
        statements = read_ofx(data)
    elif kind in ('camt053', 'xml'):
        statements = read_camt(data)
        kind = 'camt053'
    elif kind == 'mt940':
        text = decode(data)
        if text.startswith('{1:'):  # a SWIFT envelope around the statement: the text block is between {4: and -}
            start, end = text.find('{4:'), text.rfind('-}')
            text = text[start + 3 : end] if start >= 0 and end > start else text
        statements = read_mt940(text)
    else:
        if mapping is None:
            raise UnreadableFile(_('Map the columns of this CSV file first'), 1)
        statements = read_csv(data, mapping, currency)
    return kind, statements
