"""A bank's CSV export read through a column mapping (saved per bank account): French banks' `;`, decimal comma and
dd/mm/yyyy as readily as `,`, a point and ISO dates; one signed amount column or a debit and a credit column."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from backoffice.bank_files.common import CsvMapping, ParsedLine, ParsedStatement, UnreadableFile, clean
from backoffice.i18n import _

DATE_FORMATS = {'%d/%m/%Y': 'dd/mm/yyyy', '%d.%m.%Y': 'dd.mm.yyyy', '%Y-%m-%d': 'yyyy-mm-dd', '%m/%d/%Y': 'mm/dd/yyyy'}
DELIMITERS = {';': ';', ',': ',', '\t': 'tab'}
SPACES = re.compile(r'[\s\u00a0\u202f]')
# header words banks use, lower-cased and without accents, for a first guess of the mapping
GUESSES = {
    'date': ('date', 'date operation', 'date comptable', 'booking date', 'date de comptabilisation'),
    'label': ('libelle', 'label', 'description', 'libelle operation', 'motif', 'details', 'memo'),
    'amount': ('montant', 'amount', 'montant eur', 'montant (eur)', 'somme'),
    'debit': ('debit', 'debit eur', 'montant debit'),
    'credit': ('credit', 'credit eur', 'montant credit'),
    'counterpart': ('tiers', 'counterpart', 'beneficiaire', 'contrepartie', 'payee', 'nom'),
    'reference': ('reference', 'ref', 'ref.', 'numero', 'reference operation'),
}


def decode(data: bytes) -> str:
    for encoding in ('utf-8-sig', 'cp1252'):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode('latin-1')


def headers_of(data: bytes) -> tuple[list[str], str]:
    """The header row and the delimiter the file seems to use."""
    text = decode(data)
    first = text.split('\n', 1)[0]
    delimiter = max(DELIMITERS, key=first.count)
    row = next(csv.reader(io.StringIO(first), delimiter=delimiter), [])
    return [clean(cell, 80) for cell in row], delimiter


def guess_mapping(headers: list[str], delimiter: str = ';') -> CsvMapping:
    """A first mapping from the headers' words; the person checks it before importing."""
    plain = {fold(h): h for h in headers}
    chosen = {key: next((plain[w] for w in words if w in plain), '') for key, words in GUESSES.items()}
    if chosen['amount']:
        chosen['debit'] = chosen['credit'] = ''
    french = delimiter == ';'
    return CsvMapping(
        **chosen,
        delimiter=delimiter,
        decimal=',' if french else '.',
        date_format='%d/%m/%Y' if french else '%Y-%m-%d',
    )


def read_csv(data: bytes, mapping: CsvMapping, currency: str) -> list[ParsedStatement]:
    reader = csv.DictReader(io.StringIO(decode(data), newline=''), delimiter=mapping.delimiter)
    headers = [clean(h, 80) for h in reader.fieldnames or []]
    needed = [mapping.date, mapping.label, *([mapping.amount] if mapping.amount else [mapping.debit, mapping.credit])]
    needed += [h for h in (mapping.counterpart, mapping.reference) if h]
    missing = [h for h in needed if h not in headers or not h]
    if not mapping.amount and not (mapping.debit and mapping.credit):
        raise UnreadableFile(_('Choose the amount column, or both the debit and the credit columns'), 1)
    if missing:
        raise UnreadableFile(
            _('The file has no column {columns}').format(columns=', '.join(f'"{m}"' for m in missing if m) or '""'), 1
        )
    statement = ParsedStatement(account='', currency=currency)
    for row in reader:
        number = reader.line_num
        cells = {clean(k, 80): v for k, v in row.items() if k is not None}
        if not any((v or '').strip() for v in cells.values()):
            continue
        booked = day(cells.get(mapping.date, ''), mapping.date_format, number)
        if mapping.amount:
            amount = money(cells.get(mapping.amount, ''), mapping.decimal, number)
        else:
            debit = cells.get(mapping.debit, '').strip()
            credit = cells.get(mapping.credit, '').strip()
            amount = (money(credit, mapping.decimal, number) if credit else Decimal('0.00')) - (
                abs(money(debit, mapping.decimal, number)) if debit else Decimal('0.00')
            )
        if amount == 0:
            raise UnreadableFile(_('The amount is empty or zero'), number)
        statement.lines.append(
            ParsedLine(
                booked_on=booked,
                amount=amount,
                currency=currency,
                label=clean(cells.get(mapping.label), 500),
                counterpart=clean(cells.get(mapping.counterpart), 200) if mapping.counterpart else '',
                reference=clean(cells.get(mapping.reference), 120) if mapping.reference else '',
                bank_reference='',
                source_line=number,
            )
        )
    if not statement.lines:
        raise UnreadableFile(_('The file has no line to import'), 2)
    days = [line.booked_on for line in statement.lines]
    statement.starts_on, statement.ends_on = min(days), max(days)
    return [statement]


def day(value: str, date_format: str, number: int) -> date:
    try:
        return datetime.strptime(value.strip(), date_format).date()
    except ValueError:
        raise UnreadableFile(
            _('"{value}" is not a date written {format}').format(
                value=clean(value, 40), format=DATE_FORMATS.get(date_format, date_format)
            ),
            number,
        ) from None


def money(value: str, decimal: str, number: int) -> Decimal:
    text = SPACES.sub('', value or '').replace('€', '').replace('EUR', '')
    thousands = '.' if decimal == ',' else ','
    text = text.replace(thousands, '').replace(decimal, '.')
    if text.endswith('-'):
        text = '-' + text[:-1]
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise UnreadableFile(_('"{value}" is not an amount').format(value=clean(value, 40)), number) from None
    if not amount.is_finite() or amount != amount.quantize(Decimal('0.01')):
        raise UnreadableFile(_('"{value}" is not an amount').format(value=clean(value, 40)), number)
    return amount.quantize(Decimal('0.01'))


def fold(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize('NFKD', text).encode('ascii', 'ignore').decode()
    return ' '.join(plain.lower().split())
