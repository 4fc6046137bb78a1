"""The accounting export of a period, what the accountant asks for: sales and credit notes per VAT rate (net, VAT,
gross) and the VAT summary for the VAT return (both from the VAT report's figures: reports/vat.py), payments received
per method, refunds, and the bank lines with their category; on screen, and as files (CSV in a ZIP, XLSX, and the FEC:
services/fec.py). Every amount is a Decimal in the shop's currency; the period is days in the shop's time zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col

from backoffice import formatting
from backoffice.errors import NotFound, ValidationFailed
from backoffice.i18n import N_, _
from backoffice.kpi.days import local_day
from backoffice.models import BankAccount, BankLine, LineStatus, Order, Payment, Refund, User
from backoffice.permissions import require
from backoffice.reports import base, vat
from backoffice.reports.base import Params
from backoffice.services import app_settings, bank_match, fec
from backoffice.transfer import accounting_files

ZERO = Decimal('0.00')
CENT = Decimal('0.01')
Format = Literal['csv', 'xlsx', 'fec']
BANK_GROUPS: dict[str, str] = {
    'customer_payment': N_('Customer payment (matched)'),
    'to_reconcile': N_('To reconcile'),
    **bank_match.CATEGORIES,
}


@dataclass
class Period:
    first: date
    last: date
    currency: str
    sales: list[dict[str, Any]]  # kind, vat_rate (%), net, vat, gross
    vat_summary: list[dict[str, Any]]  # vat_rate (%), base, vat: invoices minus credit notes
    payments: list[dict[str, Any]]  # method, count, amount
    refunds: list[dict[str, Any]]  # day, order, reference, amount, kind (refund, or reversal of a failed one)
    bank_lines: list[dict[str, Any]]  # day, account, amount, label, counterpart, reference, category
    notes: list[str] = field(default_factory=list)

    def vat_totals(self) -> dict[str, Decimal]:
        return {k: sum((row[k] for row in self.vat_summary), ZERO) for k in ('base', 'vat')}

    def bank_by_group(self) -> list[dict[str, Any]]:
        """The bank lines in the shop's currency added up per category: money in, money out, how many."""
        groups: dict[str, dict[str, Any]] = {}
        for line in self.bank_lines:
            if line['currency'] != self.currency:
                continue  # listed in the files with their currency, never added to the shop's
            group = groups.setdefault(
                line['category'], {'category': line['category'], 'money_in': ZERO, 'money_out': ZERO, 'count': 0}
            )
            group['money_in' if line['amount'] > 0 else 'money_out'] += abs(line['amount'])
            group['count'] += 1
        return [groups[key] for key in BANK_GROUPS if key in groups]


def period(*, session: Session, actor: User, first: date, last: date) -> Period:
    """The figures of a period (its first and last day, included)."""
    require(actor, 'finance.read')
    params = base.checked(Params(first=first, last=last))
    zone = app_settings.time_zone()
    currency = app_settings.value(session=session, key='currency') or 'EUR'
    start, end = base.span(params, zone)
    table = vat.vat(session, params, zone, currency)  # the VAT report's figures, never recomputed here
    sales, summary = [], []
    for row in table.rows:
        rate = percent(row['rate'])
        for kind, prefix in (('invoice', 'invoiced'), ('credit_note', 'credited')):
            net, tax = row[f'{prefix}_base'], row[f'{prefix}_tax']
            if net or tax:
                sales.append({'kind': kind, 'vat_rate': rate, 'net': net, 'vat': tax, 'gross': net + tax})
        summary.append({'vat_rate': rate, 'base': row['net_base'], 'vat': row['net_tax']})
    sales.sort(key=lambda r: (r['kind'] != 'invoice', r['vat_rate']))
    payments = [
        {'method': method, 'count': count, 'amount': cents(amount)}
        for method, count, amount in session.execute(
            select_columns(col(Payment.method), func.count(), func.sum(col(Payment.amount)))
            .join(Order, col(Order.id) == Payment.order_id)
            .where(col(Payment.paid_at) >= start, col(Payment.paid_at) < end, col(Order.currency) == currency)
            .group_by(col(Payment.method))
            .order_by(col(Payment.method))
        )
    ]
    refunds = [
        {
            'day': local_day(_aware(refunded_at), zone),
            'order': number,
            'reference': reference or '',
            'amount': cents(amount),
            # a negative row reverses a refund that failed at the bank after it was booked (payments.reverse_refund)
            'kind': 'reversal' if amount < 0 else 'refund',
        }
        for refunded_at, number, reference, amount in session.execute(
            select_columns(col(Refund.refunded_at), col(Order.number), col(Refund.reference), col(Refund.amount))
            .join(Order, col(Order.id) == Refund.order_id)
            .where(col(Refund.refunded_at) >= start, col(Refund.refunded_at) < end, col(Order.currency) == currency)
            .order_by(col(Refund.refunded_at), col(Refund.id))
        )
    ]
    bank_lines = [
        {
            'day': booked_on,
            'account': account,
            'amount': cents(amount),
            'currency': line_currency,
            'label': label,
            'counterpart': counterpart,
            'reference': reference,
            'category': bank_group(status, category),
            'write_off': cents(write_off),
        }
        for booked_on, account, amount, line_currency, label, counterpart, reference, status, category, write_off in (
            session.execute(
                select_columns(
                    col(BankLine.booked_on),
                    col(BankAccount.name),
                    col(BankLine.amount),
                    col(BankLine.currency),
                    col(BankLine.label),
                    col(BankLine.counterpart),
                    col(BankLine.reference),
                    col(BankLine.status),
                    col(BankLine.category),
                    col(BankLine.write_off),
                )
                .join(BankAccount, col(BankAccount.id) == BankLine.account_id)
                .where(col(BankLine.booked_on) >= first, col(BankLine.booked_on) <= last)
                .order_by(col(BankLine.booked_on), col(BankLine.id))
            )
        )
    ]
    notes = list(table.notes)
    if not fec.siren_of(session):  # a FEC is named after the SIREN: the file would be refused without it
        notes.append(
            _(
                'Enter the company registration number (SIREN) under Settings → Invoices: '
                'the FEC file is named after it.'
            )
        )
    return Period(first, last, currency, sales, summary, payments, refunds, bank_lines, notes=notes)


def export(*, session: Session, actor: User, first: date, last: date, fmt: Format) -> tuple[bytes, str, str]:
    """The period as a file: (content, file name, media type). CSV (a ZIP of one file per table) and XLSX hold raw
    values (ISO days, dot decimals, no currency sign); the FEC is the French legal accounting file."""
    require(actor, 'finance.read')
    if fmt not in ('csv', 'xlsx', 'fec'):
        raise NotFound(_('This export does not exist.'))
    if fmt == 'fec':
        base.checked(Params(first=first, last=last))
        return fec.fec_file(session=session, actor=actor, first=first, last=last)
    figures = period(session=session, actor=actor, first=first, last=last)
    stem = f'accounting-{compact(first)}-{compact(last)}'
    if fmt == 'csv':
        return accounting_files.csv_zip(tables(figures), stem), f'{stem}.zip', 'application/zip'
    return accounting_files.xlsx(tables(figures)), f'{stem}.xlsx', accounting_files.XLSX


def tables(figures: Period) -> list[accounting_files.Sheet]:
    """The period's tables as the files hold them: machine-readable column names and raw values."""
    return [
        accounting_files.Sheet(
            'vat_summary',
            ('vat_rate', 'base', 'vat', 'currency'),
            [[r['vat_rate'], r['base'], r['vat'], figures.currency] for r in figures.vat_summary],
        ),
        accounting_files.Sheet(
            'sales_by_vat_rate',
            ('kind', 'vat_rate', 'net', 'vat', 'gross', 'currency'),
            [[r['kind'], r['vat_rate'], r['net'], r['vat'], r['gross'], figures.currency] for r in figures.sales],
        ),
        accounting_files.Sheet(
            'payments_by_method',
            ('method', 'count', 'amount', 'currency'),
            [[r['method'], r['count'], r['amount'], figures.currency] for r in figures.payments],
        ),
        accounting_files.Sheet(
            'refunds',
            ('date', 'order', 'reference', 'amount', 'currency', 'kind'),
            [[r['day'], r['order'], r['reference'], r['amount'], figures.currency, r['kind']] for r in figures.refunds],
        ),
        accounting_files.Sheet(
            'bank_lines',
            ('date', 'account', 'amount', 'currency', 'category', 'write_off', 'label', 'counterpart', 'reference'),
            [
                [r['day'], r['account'], r['amount'], r['currency'], r['category'], r['write_off'], r['label']]
                + [r['counterpart'], r['reference']]
                for r in figures.bank_lines
            ],
        ),
    ]


def dates_from(values: dict[str, Any]) -> tuple[date, date]:
    """The period as the screen sends it (ISO days), each refused at its field when unreadable or out of order."""
    errors: dict[str, str] = {}
    found: dict[str, date] = {}
    for name in ('first', 'last'):
        try:
            found[name] = date.fromisoformat(str(values.get(name) or '').strip())
        except ValueError:
            errors[name] = _('Enter a date, e.g. {example}.').format(example=formatting.day(date(2026, 12, 31)))
    if errors:
        raise ValidationFailed(errors)
    base.checked(Params(first=found['first'], last=found['last']))
    return found['first'], found['last']


PRESETS = {
    'this_month': N_('This month'),
    'last_month': N_('Last month'),
    'last_quarter': N_('Last quarter'),
    'this_year': N_('This year'),
}


def preset(key: str, day: date) -> tuple[date, date]:
    """A preset's first and last day, around the shop's today."""
    if key == 'this_month':
        return day.replace(day=1), day
    if key == 'last_quarter':
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)  # this quarter's first day
        last = start - timedelta(days=1)
        return date(last.year, 3 * ((last.month - 1) // 3) + 1, 1), last
    if key == 'this_year':
        return date(day.year, 1, 1), day
    return last_month(day)


def last_month(day: date) -> tuple[date, date]:
    """The month before the one of `day`: the period a monthly VAT return declares."""
    last = day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def bank_group(status: Any, category: str) -> str:
    if status == LineStatus.matched:
        return 'customer_payment'
    if status == LineStatus.ignored and category in bank_match.CATEGORIES:
        return category
    return 'to_reconcile'


def percent(rate: Decimal) -> Decimal:
    """A stored rate (0.2 = 20 %) as the percentage a VAT return writes: 20.00."""
    return (Decimal(rate) * 100).quantize(CENT)


def cents(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def compact(day: date) -> str:
    return f'{day.year:04d}{day.month:02d}{day.day:02d}'


def _aware(value: datetime) -> datetime:
    """A stored instant as aware UTC (SQLite gives naive ones back)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
