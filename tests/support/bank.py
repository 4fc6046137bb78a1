"""Bank statement test data: CAMT.053 files written from a list of lines (per the ISO 20022 schema, as a bank sends
them), the bank account made through the service, and an import as a finance manager does it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from backoffice.db import session_scope
from backoffice.models import BankAccount, User
from backoffice.services import bank

FIXTURES = Path(__file__).parent.parent / 'fixtures' / 'bank'
IBAN = 'FR7630006000011234567890189'


@dataclass(frozen=True)
class Line:
    amount: str  # signed: '-24.50' is money out
    label: str = ''
    counterpart: str = ''
    reference: str = ''
    day: str = '2026-11-30'
    bank_reference: str = ''
    currency: str = 'EUR'


def camt053(
    lines: Iterable[Line],
    *,
    opening: str = '1000.00',
    statement_id: str = 'STMT-1',
    iban: str = IBAN,
    balance_day: str = '2026-11-30',
    currency: str = 'EUR',
) -> bytes:
    """A CAMT.053.001.02 file of one statement whose balances add up (both dated `balance_day`)."""
    entries = []
    moved = Decimal('0.00')
    for number, line in enumerate(lines, 1):
        amount = Decimal(line.amount)
        moved += amount
        party = 'Dbtr' if amount > 0 else 'Cdtr'
        reference = f'<Refs><EndToEndId>{escape(line.reference)}</EndToEndId></Refs>' if line.reference else ''
        entries.append(
            f'<Ntry><NtryRef>{number}</NtryRef><Amt Ccy="{line.currency}">{abs(amount):.2f}</Amt>'
            f'<CdtDbtInd>{"CRDT" if amount > 0 else "DBIT"}</CdtDbtInd><Sts>BOOK</Sts>'
            f'<BookgDt><Dt>{line.day}</Dt></BookgDt><ValDt><Dt>{line.day}</Dt></ValDt>'
            + (f'<AcctSvcrRef>{escape(line.bank_reference)}</AcctSvcrRef>' if line.bank_reference else '')
            + f'<NtryDtls><TxDtls>{reference}<RltdPties><{party}><Nm>{escape(line.counterpart)}</Nm></{party}>'
            f'</RltdPties><RmtInf><Ustrd>{escape(line.label)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>'
        )
    closing = Decimal(opening) + moved
    balance = (
        '<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="{currency}">{amount:.2f}</Amt>'
        '<CdtDbtInd>{mark}</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>'
    )
    balances = ''.join(
        balance.format(
            code=code, amount=abs(value), mark='CRDT' if value >= 0 else 'DBIT', currency=currency, day=balance_day
        )
        for code, value in (('OPBD', Decimal(opening)), ('CLBD', closing))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        f'<GrpHdr><MsgId>MSG-{statement_id}</MsgId><CreDtTm>2026-12-01T06:00:00</CreDtTm></GrpHdr>'
        f'<Stmt><Id>{statement_id}</Id><CreDtTm>2026-12-01T06:00:00</CreDtTm>'
        f'<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{currency}</Ccy></Acct>{balances}{"".join(entries)}</Stmt>'
        '</BkToCstmrStmt></Document>'
    ).encode()


def make_account(actor: User, name: str = 'Crédit Agricole courant', iban: str = IBAN, currency: str = 'EUR'):
    with session_scope() as session:
        return bank.save_account(
            session=session, actor=actor, values={'name': name, 'iban': iban, 'currency': currency}
        )


def import_file(actor: User, account: BankAccount, data: bytes, name: str = 'statement.xml', mapping=None):
    assert account.id is not None
    with session_scope() as session:
        return bank.import_statement(
            session=session, actor=actor, account_id=account.id, data=data, file_name=name, mapping=mapping
        )


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
