"""What every bank statement reader returns (statements of signed lines) and the error a bad file raises."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from backoffice.i18n import N_

FORMATS: dict[str, str] = {
    'camt053': N_('CAMT.053 (ISO 20022 XML)'),
    'mt940': N_('MT940 (SWIFT)'),
    'ofx': N_('OFX'),
    'csv': N_('CSV (columns mapped)'),
}
NO_REFERENCE = {'', 'NONREF', 'NOTPROVIDED', 'NONE', 'N/A'}  # what banks write where they have no reference


class UnreadableFile(Exception):
    """A statement file that cannot be read: `line` is the line of the file where the problem is (1-based, or None
    for the whole file) and `reason` says why, already in the reader's language."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass(frozen=True)
class ParsedLine:
    booked_on: date
    amount: Decimal  # signed: money in is positive, money out negative
    currency: str
    label: str = ''
    counterpart: str = ''
    reference: str = ''  # what the payer wrote (end-to-end id, structured reference)
    bank_reference: str = ''  # the bank's own id of the line, unique in the account when there is one
    value_on: date | None = None
    source_line: int | None = None  # where it is in the file, for messages


@dataclass
class ParsedStatement:
    account: str  # IBAN or account number as the file gives it ('' for CSV)
    currency: str
    reference: str = ''  # the statement's own id
    starts_on: date | None = None
    ends_on: date | None = None
    opening: Decimal | None = None
    closing: Decimal | None = None
    lines: list[ParsedLine] = field(default_factory=list)


@dataclass(frozen=True)
class CsvMapping:
    """Which CSV column holds what (header names), and how numbers and dates are written in it."""

    date: str
    label: str
    amount: str = ''  # one signed column, or the two below
    debit: str = ''
    credit: str = ''
    counterpart: str = ''
    reference: str = ''
    delimiter: str = ';'
    decimal: str = ','
    date_format: str = '%d/%m/%Y'

    def as_dict(self) -> dict[str, str]:
        return {key: getattr(self, key) for key in self.__dataclass_fields__}


def clean(text: str | None, limit: int) -> str:
    """One line of plain text, whitespace collapsed, cut to the column's length."""
    return ' '.join((text or '').split())[:limit]


def line_identity(account_id: int, line: ParsedLine, sequence: int) -> str:
    """What makes a line the same line when a statement (or an overlapping one) is imported again: the bank's
    reference, else a hash of the account, day, amount, label and its rank among identical lines of that day."""
    reference = clean(line.bank_reference, 120)
    if reference.upper() not in NO_REFERENCE:
        return 'ref:' + hashlib.sha256(f'{account_id}|{reference}'.encode()).hexdigest()[:40]
    key = f'{account_id}|{line.booked_on.toordinal()}|{line.amount}|{clean(line.label, 500)}|{sequence}'
    return 'hash:' + hashlib.sha256(key.encode()).hexdigest()[:40]
