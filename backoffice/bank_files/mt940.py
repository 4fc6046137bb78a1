"""MT940 (SWIFT customer statement) read with the `mt-940` library, one statement per :20: block, so a file of
several days keeps each statement's balances; a :61: line the library cannot read is named by its line."""

from __future__ import annotations

import logging
import re
from decimal import Decimal

from backoffice.bank_files.common import NO_REFERENCE, ParsedLine, ParsedStatement, UnreadableFile, clean
from backoffice.i18n import _

STATEMENT_START = re.compile(r'^:20:', re.MULTILINE)
logging.getLogger('mt940').setLevel(logging.CRITICAL)  # it logs every failed pattern before raising


def read_mt940(text: str) -> list[ParsedStatement]:
    lines = text.replace('\r\n', '\n').replace('\r', '\n').split('\n')
    starts = [i for i, row in enumerate(lines) if row.startswith(':20:')]
    if not starts:
        raise UnreadableFile(_('This MT940 file has no statement (no :20: line)'), 1)
    statements = []
    for number, first in enumerate(starts):
        last = starts[number + 1] if number + 1 < len(starts) else len(lines)
        statements.append(block(lines[first:last], first + 1))
    return statements


def block(rows: list[str], first_line: int) -> ParsedStatement:
    import mt940  # imported by the first MT940 file read, not by every process's start

    chunk = '\n'.join(row for row in rows if row.strip() != '-') + '\n'
    try:
        parsed = mt940.parse(chunk)
    except (RuntimeError, ValueError, KeyError, IndexError) as error:
        raise UnreadableFile(problem(error), where(rows, first_line, error)) from None
    data = parsed.data
    opening = data.get('final_opening_balance') or data.get('intermediate_opening_balance')
    closing = data.get('final_closing_balance') or data.get('intermediate_closing_balance')
    currency = opening.amount.currency if opening is not None else ''
    found = ParsedStatement(
        account=clean(data.get('account_identification'), 60),
        currency=currency or '',
        reference=clean(data.get('transaction_reference'), 60),
        opening=Decimal(opening.amount.amount) if opening is not None else None,
        closing=Decimal(closing.amount.amount) if closing is not None else None,
        starts_on=opening.date if opening is not None else None,
        ends_on=closing.date if closing is not None else None,
    )
    transaction_lines = [first_line + i for i, row in enumerate(rows) if row.startswith(':61:')]
    for index, transaction in enumerate(parsed):
        item = transaction.data
        amount = item['amount']
        booked = item.get('entry_date') or item.get('date')
        if booked is None:
            raise UnreadableFile(
                _('This line has no date'), transaction_lines[index] if index < len(transaction_lines) else None
            )
        found.lines.append(
            ParsedLine(
                booked_on=booked,
                amount=Decimal(amount.amount),
                currency=amount.currency or currency or '',
                label=clean(item.get('transaction_details') or item.get('extra_details'), 500),
                counterpart='',
                reference=reference
                if (reference := clean(item.get('customer_reference'), 120)).upper() not in NO_REFERENCE
                else '',
                bank_reference=clean(item.get('bank_reference'), 120),
                value_on=item.get('date'),
                source_line=transaction_lines[index] if index < len(transaction_lines) else None,
            )
        )
    return found


def problem(error: Exception) -> str:
    bad = error.args[2] if isinstance(error, RuntimeError) and len(error.args) > 2 else ''
    if bad:
        return _('This line cannot be read as MT940: "{text}"').format(text=clean(str(bad), 60))
    return _('This statement cannot be read as MT940: {problem}').format(problem=clean(str(error), 120))


def where(rows: list[str], first_line: int, error: Exception) -> int | None:
    bad = str(error.args[2]).split('\n')[0].strip() if isinstance(error, RuntimeError) and len(error.args) > 2 else ''
    for i, row in enumerate(rows):
        if bad and bad in row:
            return first_line + i
    return first_line
