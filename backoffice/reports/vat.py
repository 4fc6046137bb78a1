"""VAT collected per rate over a period: from the VAT breakdown each invoice and credit note copied when it was issued
(never recomputed), invoices adding and credit notes taking away, by the day they were issued, in the shop's
currency (documents in another currency are left out, and said so)."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, col, select

from backoffice.i18n import N_, _, ngettext
from backoffice.models import Invoice, InvoiceKind
from backoffice.reports.base import Chart, Column, Params, Table, show, span

ZERO = Decimal('0.00')


def vat(session: Session, params: Params, zone: str, currency: str) -> Table:
    start, end = span(params, zone)
    documents = session.execute(
        select(col(Invoice.kind), col(Invoice.currency), col(Invoice.vat_breakdown)).where(
            col(Invoice.issued_at) >= start, col(Invoice.issued_at) < end
        )
    ).all()
    by_rate: dict[Decimal, dict[str, Decimal]] = {}
    other = 0
    counts = {InvoiceKind.invoice: 0, InvoiceKind.credit_note: 0}
    for kind, in_currency, breakdown in documents:
        if in_currency != currency:
            other += 1
            continue
        counts[InvoiceKind(kind)] += 1
        prefix = 'invoiced' if kind == InvoiceKind.invoice else 'credited'
        for part in breakdown or []:
            rate = Decimal(str(part.get('rate') or '0')).normalize()
            sums = by_rate.setdefault(rate, {})
            sums[f'{prefix}_base'] = sums.get(f'{prefix}_base', ZERO) + Decimal(str(part.get('base') or '0'))
            sums[f'{prefix}_tax'] = sums.get(f'{prefix}_tax', ZERO) + Decimal(str(part.get('tax') or '0'))
    rows = []
    for rate in sorted(by_rate):
        sums = by_rate[rate]
        row: dict = {'key': str(rate), 'rate': rate, 'label': show(rate, 'rate', currency)}
        for name in ('invoiced_base', 'invoiced_tax', 'credited_base', 'credited_tax'):
            row[name] = sums.get(name, ZERO)
        row['net_base'] = row['invoiced_base'] - row['credited_base']
        row['net_tax'] = row['invoiced_tax'] - row['credited_tax']
        rows.append(row)
    money_columns = ('invoiced_base', 'invoiced_tax', 'credited_base', 'credited_tax', 'net_base', 'net_tax')
    totals = {'rate': _('Total'), **{name: sum((row[name] for row in rows), ZERO) for name in money_columns}}
    table = Table(
        columns=(
            Column('rate', N_('VAT rate'), 'rate'),
            Column('invoiced_base', N_('Invoiced, taxable amount'), 'money'),
            Column('invoiced_tax', N_('VAT invoiced'), 'money'),
            Column('credited_base', N_('Credited, taxable amount'), 'money'),
            Column('credited_tax', N_('VAT credited'), 'money'),
            Column('net_base', N_('Net taxable amount'), 'money'),
            Column('net_tax', N_('Net VAT collected'), 'money'),
        ),
        rows=rows,
        chart=Chart('bar', 'label', ('invoiced_tax', 'credited_tax', 'net_tax')),
        currency=currency,
        totals=totals,
    )
    table.notes.append(
        _('{invoices} and {credit_notes} issued in the period.').format(
            invoices=ngettext('{n} invoice', '{n} invoices', counts[InvoiceKind.invoice]).format(
                n=counts[InvoiceKind.invoice]
            ),
            credit_notes=ngettext('{n} credit note', '{n} credit notes', counts[InvoiceKind.credit_note]).format(
                n=counts[InvoiceKind.credit_note]
            ),
        )
    )
    if other:
        table.notes.append(
            ngettext(
                '{n} document in another currency is not counted.',
                '{n} documents in another currency are not counted.',
                other,
            ).format(n=other)
        )
    return table
