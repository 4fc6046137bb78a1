"""OFX statements, 1.x (SGML) and 2.x (XML), read with ofxtools: each bank statement of the file, its transactions
signed as the file gives them."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from backoffice.bank_files.common import ParsedLine, ParsedStatement, UnreadableFile, clean
from backoffice.i18n import _


def read_ofx(data: bytes) -> list[ParsedStatement]:
    from ofxtools.Parser import OFXTree  # imported by the first OFX file read, not by every process's start

    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
        ofx = tree.convert()
    except Exception as error:  # ofxtools raises its own errors, ValueError and KeyError alike: all mean unreadable
        raise UnreadableFile(
            _('This OFX file cannot be read: {problem}').format(problem=clean(str(error), 160)), where(data, error)
        ) from None
    transaction_lines = [i + 1 for i, row in enumerate(data.decode('latin-1').splitlines()) if '<STMTTRN>' in row]
    statements = []
    seen = 0
    for statement in ofx.statements:
        transactions = getattr(statement, 'banktranlist', None)
        if transactions is None:
            continue  # a credit card or investment statement without bank lines
        account = getattr(statement, 'account', None)
        balance = getattr(statement, 'ledgerbal', None)
        found = ParsedStatement(
            account=clean(getattr(account, 'acctid', ''), 60),
            currency=clean(statement.curdef, 3),
            starts_on=transactions.dtstart.date() if transactions.dtstart else None,
            ends_on=transactions.dtend.date() if transactions.dtend else None,
            closing=Decimal(balance.balamt) if balance is not None else None,
        )
        for transaction in transactions:
            currency = getattr(transaction, 'currency', None)
            found.lines.append(
                ParsedLine(
                    booked_on=transaction.dtposted.date(),
                    amount=Decimal(transaction.trnamt),
                    currency=clean(currency.cursym, 3) if currency is not None else found.currency,
                    label=clean(transaction.memo or transaction.name, 500),
                    counterpart=clean(transaction.name if transaction.memo else '', 200),
                    reference=clean(getattr(transaction, 'refnum', '') or getattr(transaction, 'checknum', ''), 120),
                    bank_reference=clean(transaction.fitid, 120),
                    source_line=transaction_lines[seen] if seen < len(transaction_lines) else None,
                )
            )
            seen += 1
        statements.append(found)
    if not statements:
        raise UnreadableFile(_('This OFX file holds no bank statement'), None)
    return statements


def where(data: bytes, error: Exception) -> int | None:
    """The line of the value the error quotes, when it quotes one."""
    quoted = re.findall(r"'([^']{2,})'", str(error))
    text = data.decode('latin-1').splitlines()
    for value in quoted:
        for i, row in enumerate(text):
            if value in row:
                return i + 1
    return None
