"""The FEC (Fichier des Écritures Comptables, article A47 A-1 of the French Livre des procédures fiscales) of a period:
one balanced entry per invoice and credit note (sales journal: customers' account against sales and VAT collected, per
VAT rate) and per payment received and refund (bank journal: bank against customers' account), each customer its own
auxiliary account. The 18 columns in the law's order, separated by '|', days as AAAAMMJJ, amounts with a decimal comma,
entries numbered without a gap per journal in date order; the accounts come from the "Accounting" settings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col

from backoffice.i18n import N_, _
from backoffice.kpi.days import local_day
from backoffice.models import (
    BankLine,
    Company,
    Customer,
    Invoice,
    InvoiceBuyer,
    InvoiceKind,
    Order,
    Payment,
    ReceiptAllocation,
    Refund,
    User,
)
from backoffice.permissions import require
from backoffice.reports import base
from backoffice.reports.base import Params
from backoffice.services import app_settings

ZERO = Decimal('0.00')
COLUMNS = (
    'JournalCode',
    'JournalLib',
    'EcritureNum',
    'EcritureDate',
    'CompteNum',
    'CompteLib',
    'CompAuxNum',
    'CompAuxLib',
    'PieceRef',
    'PieceDate',
    'EcritureLib',
    'Debit',
    'Credit',
    'EcritureLet',
    'DateLet',
    'ValidDate',
    'Montantdevise',
    'Idevise',
)
SEPARATOR = '|'
ENCODING = 'iso8859_15'  # one of the character sets the law names (accents of French fit in it)
ACCOUNT_NAMES = {
    'account_customers': N_('Customers'),
    'account_sales': N_('Sales'),
    'account_vat_collected': N_('VAT collected'),
    'account_bank': N_('Bank'),
    'account_write_off_loss': N_('Written off, received less'),
    'account_write_off_gain': N_('Written off, received more'),
}


@dataclass(frozen=True)
class Line:
    account: str  # the setting's key: account_customers…
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    aux: str = ''  # the customer's auxiliary account, on the customers' account only
    aux_name: str = ''


@dataclass
class Entry:
    journal: str  # journal_sales | journal_bank (settings)
    day: date
    piece: str  # the document: INV-2026-000001, the payment's reference
    label: str
    lines: list[Line] = field(default_factory=list)

    def balanced(self) -> bool:
        return sum((x.debit for x in self.lines), ZERO) == sum((x.credit for x in self.lines), ZERO)


def fec_file(*, session: Session, actor: User, first: date, last: date) -> tuple[bytes, str, str]:
    """(content, file name SIRENFECAAAAMMJJ.txt, media type) of the entries dated in the period."""
    require(actor, 'finance.read')
    entries = entries_of(session, first=first, last=last)
    settings = {key: setting(session, key) for key in (*ACCOUNT_NAMES, 'journal_sales', 'journal_bank')}
    name = f'{siren_of(session)}FEC{last:%Y%m%d}.txt'
    return render(entries, settings), name, f'text/plain; charset={ENCODING}'


def siren_of(session: Session) -> str:
    """The SIREN that opens the file's name: the first 9 digits of the "Company registration number" ('' without)."""
    registration = str(app_settings.value(session=session, key='seller_registration') or '')
    siren = ''.join(ch for ch in registration if ch.isdigit())[:9]
    return siren if len(siren) == 9 else ''


def entries_of(session: Session, *, first: date, last: date) -> list[Entry]:
    """The period's entries in date order: documents (sales journal), then money (bank journal) each day."""
    zone = app_settings.time_zone()
    currency = app_settings.value(session=session, key='currency') or 'EUR'
    start, end = base.span(base.checked(Params(first=first, last=last)), zone)
    names = AuxNames(session)
    written_off = write_offs(session, start, end)
    entries: list[Entry] = []
    for invoice in session.execute(
        select_columns(*DOCUMENT_COLUMNS, col(Order.customer_id))
        .join(Order, col(Order.id) == Invoice.order_id)
        .outerjoin(InvoiceBuyer, col(InvoiceBuyer.id) == Invoice.buyer_id)
        .where(col(Invoice.issued_at) >= start, col(Invoice.issued_at) < end, col(Invoice.currency) == currency)
        .order_by(col(Invoice.issued_at), col(Invoice.id))
    ):
        entry = document_entry(invoice, local_day(aware(invoice.issued_at), zone), names)
        if entry is not None:
            entries.append(entry)
    for payment in session.execute(
        select_columns(
            col(Payment.id),
            col(Payment.amount),
            col(Payment.paid_at),
            col(Payment.reference),
            col(Order.number),
            col(Order.customer_id),
        )
        .join(Order, col(Order.id) == Payment.order_id)
        .where(col(Payment.paid_at) >= start, col(Payment.paid_at) < end, col(Order.currency) == currency)
        .order_by(col(Payment.paid_at), col(Payment.id))
    ):
        if payment.amount <= 0:
            continue
        aux, aux_name = names.of(payment.customer_id)
        difference = written_off.get(_id(payment.id), ZERO)  # the bank brought the payment less this
        lines = [Line('account_bank', debit=payment.amount - difference)]
        if difference > 0:
            lines.append(Line('account_write_off_loss', debit=difference))
        elif difference < 0:
            lines.append(Line('account_write_off_gain', credit=-difference))
        lines.append(Line('account_customers', credit=payment.amount, aux=aux, aux_name=aux_name))
        entries.append(
            Entry(
                'journal_bank',
                local_day(aware(payment.paid_at), zone),
                payment.reference or f'PAY-{payment.id}',
                _('Payment, order {number}').format(number=payment.number),
                lines,
            )
        )
    for refund in session.execute(
        select_columns(
            col(Refund.id),
            col(Refund.amount),
            col(Refund.refunded_at),
            col(Refund.reference),
            col(Order.number),
            col(Order.customer_id),
        )
        .join(Order, col(Order.id) == Refund.order_id)
        .where(col(Refund.refunded_at) >= start, col(Refund.refunded_at) < end, col(Order.currency) == currency)
        .order_by(col(Refund.refunded_at), col(Refund.id))
    ):
        if refund.amount == 0:
            continue
        aux, aux_name = names.of(refund.customer_id)
        if refund.amount < 0:  # a card refund that failed after it was made: the money came back to the bank
            entries.append(
                Entry(
                    'journal_bank',
                    local_day(aware(refund.refunded_at), zone),
                    refund.reference or f'REF-{refund.id}',
                    _('Failed refund reversed, order {number}').format(number=refund.number),
                    [
                        Line('account_bank', debit=-refund.amount),
                        Line('account_customers', credit=-refund.amount, aux=aux, aux_name=aux_name),
                    ],
                )
            )
            continue
        entries.append(
            Entry(
                'journal_bank',
                local_day(aware(refund.refunded_at), zone),
                refund.reference or f'REF-{refund.id}',
                _('Refund, order {number}').format(number=refund.number),
                [
                    Line('account_customers', debit=refund.amount, aux=aux, aux_name=aux_name),
                    Line('account_bank', credit=refund.amount),
                ],
            )
        )
    entries.sort(key=lambda e: (e.day, e.journal != 'journal_sales'))  # stable: each journal keeps its order
    return entries


DOCUMENT_COLUMNS: tuple[Any, ...] = (  # what an entry reads of an invoice (never its lines)
    col(Invoice.id),
    col(Invoice.number),
    col(Invoice.kind),
    col(Invoice.total),
    col(Invoice.tax_total),
    col(Invoice.vat_breakdown),
    col(InvoiceBuyer.details).label('bill_to'),  # the buyer as issued (outer-joined by the query)
    col(Invoice.issued_at),
)


def write_offs(session: Session, start: datetime, end: datetime) -> dict[int, Decimal]:
    """The differences written off by bank lines matched within the tolerance, each on the first payment of the
    receipt the line recorded: payment id → what the bank brought less (negative: more)."""
    found: dict[int, Decimal] = {}
    for write_off, payment_id in session.execute(
        select_columns(col(BankLine.write_off), func.min(col(ReceiptAllocation.payment_id)))
        .join(ReceiptAllocation, col(ReceiptAllocation.receipt_id) == BankLine.receipt_id)
        .join(Payment, col(Payment.id) == ReceiptAllocation.payment_id)
        .where(col(BankLine.write_off) != 0, col(Payment.paid_at) >= start, col(Payment.paid_at) < end)
        .group_by(col(BankLine.id), col(BankLine.write_off))
    ):
        found[payment_id] = money(write_off)
    return found


def _id(value: int | None) -> int:
    return value if value is not None else 0


def document_entry(invoice: Any, day: date, names: AuxNames) -> Entry | None:
    """An invoice: customers' account debited with the total, sales and VAT collected credited per VAT rate (from the
    breakdown it copied when issued); a credit note the other way round. A rounding cent the breakdown does not
    carry goes to the largest sales line, so the entry always balances."""
    total = Decimal(invoice.total)
    if total == 0:
        return None
    credit_note = invoice.kind == InvoiceKind.credit_note
    aux, aux_name = names.of(invoice.customer_id, invoice.bill_to)
    parts: list[tuple[Decimal, Decimal, Decimal]] = []  # rate, base, tax
    for part in invoice.vat_breakdown or []:
        parts.append((Decimal(str(part.get('rate') or 0)), money(part.get('base')), money(part.get('tax'))))
    if not parts:
        tax = Decimal(invoice.tax_total)
        parts = [(Decimal('0'), total - tax, tax)]
    gap = total - sum((b for _r, b, _t in parts), ZERO) - sum((t for _r, _b, t in parts), ZERO)
    if gap:
        largest = max(range(len(parts)), key=lambda i: abs(parts[i][1]))
        rate, base_amount, tax = parts[largest]
        parts[largest] = (rate, base_amount + gap, tax)

    def side(account: str, amount: Decimal, **aux_fields: str) -> Line:
        # an invoice credits sales and VAT; a credit note debits them (a negative amount goes to the other side)
        credit = amount if not credit_note else -amount
        return Line(account, debit=max(-credit, ZERO), credit=max(credit, ZERO), **aux_fields)

    lines = [side('account_customers', -total, aux=aux, aux_name=aux_name)]
    for _rate, base_amount, tax in parts:
        if base_amount:
            lines.append(side('account_sales', base_amount))
        if tax:
            lines.append(side('account_vat_collected', tax))
    label = (_('Credit note {number}') if credit_note else _('Invoice {number}')).format(number=invoice.number)
    return Entry('journal_sales', day, invoice.number, label, lines)


class AuxNames:
    """Each customer's auxiliary account (C000042) and name (the invoice's company or name, else the customer's
    company, name or email), the customers read in one query the first time one is asked for."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.names: dict[int, str] | None = None
        self.seen: dict[int, str] = {}  # the name an account was first given: the same on every one of its lines

    def of(self, customer_id: int, bill_to: dict[str, Any] | None = None) -> tuple[str, str]:
        if customer_id in self.seen:
            return f'C{customer_id:06d}', self.seen[customer_id]
        name = (bill_to.get('company') or bill_to.get('name') or '') if bill_to else ''
        if not name:
            if self.names is None:
                self.names = {
                    id_: company or person or email
                    for id_, person, email, company in self.session.execute(
                        select_columns(col(Customer.id), col(Customer.name), col(Customer.email), col(Company.name))
                        .outerjoin(Company, col(Company.id) == Customer.company_id)
                        .where(col(Customer.id).in_(select_columns(col(Order.customer_id)).distinct()))
                    )
                }
            name = self.names.get(customer_id, '')
        self.seen[customer_id] = name
        return f'C{customer_id:06d}', name


def render(entries: Iterable[Entry], settings: dict[str, str]) -> bytes:
    """The file: the header of the 18 column names, then one row per entry line; entries numbered per journal."""
    rows = [SEPARATOR.join(COLUMNS)]
    numbers: dict[str, int] = {}
    journal_names = {'journal_sales': _('Sales'), 'journal_bank': _('Bank')}
    account_names = {key: _(text) for key, text in ACCOUNT_NAMES.items()}
    for entry in entries:
        code = settings[entry.journal]
        numbers[code] = numbers.get(code, 0) + 1
        number = f'{code}{numbers[code]:06d}'
        day = f'{entry.day:%Y%m%d}'
        for line in entry.lines:
            values = (
                code,
                journal_names[entry.journal],
                number,
                day,
                settings[line.account],
                account_names[line.account],
                line.aux,
                line.aux_name,
                entry.piece,
                day,
                entry.label,
                amount(line.debit),
                amount(line.credit),
                '',
                '',
                day,  # validated when issued or recorded: an issued document never changes
                '',
                '',
            )
            rows.append(SEPARATOR.join(clean(value) for value in values))
    return ('\r\n'.join(rows) + '\r\n').encode(ENCODING, errors='replace')


def setting(session: Session, key: str) -> str:
    """An account or journal setting; left empty, its default."""
    return str(app_settings.value(session=session, key=key) or app_settings.BY_KEY[key].default)


def amount(value: Decimal) -> str:
    """1234,56: no thousands separator, a decimal comma, as the law's numeric fields."""
    return f'{Decimal(value).quantize(Decimal("0.01")):f}'.replace('.', ',')


def clean(text: str) -> str:
    """A field's text without the separator or a line break (a customer's name may hold them)."""
    return ' '.join(str(text).replace(SEPARATOR, '/').split())


def money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal('0.01'))


def aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
