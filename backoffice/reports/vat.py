"""VAT collected per rate over a period: from the VAT breakdown each invoice and credit note copied when it was issued
(never recomputed), invoices adding and credit notes taking away, by the day they were issued, in the shop's
currency (documents in another currency are left out, and said so)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import TextClause, bindparam, func, select, text
from sqlmodel import Session, col

from backoffice import formatting
from backoffice.i18n import N_, _, ngettext
from backoffice.models import Invoice, InvoiceKind
from backoffice.reports.base import Chart, Column, Params, Table, cents, show, span

ZERO = Decimal('0.00')


def vat(session: Session, params: Params, zone: str, currency: str) -> Table:
    start, end = span(params, zone)
    by_rate: dict[Decimal, dict[str, Decimal]] = {}
    for kind, rate_text, base_sum, tax_sum in session.execute(
        _per_rate(session), {'start': start, 'end': end, 'currency': currency}
    ).all():
        rate = Decimal(str(rate_text or '0')).normalize()
        prefix = 'invoiced' if kind == InvoiceKind.invoice else 'credited'
        sums = by_rate.setdefault(rate, {})
        sums[f'{prefix}_base'] = sums.get(f'{prefix}_base', ZERO) + cents(base_sum or 0)
        sums[f'{prefix}_tax'] = sums.get(f'{prefix}_tax', ZERO) + cents(tax_sum or 0)
    counts = {InvoiceKind.invoice: 0, InvoiceKind.credit_note: 0}
    other = 0
    for kind, in_currency, count in session.execute(
        select(col(Invoice.kind), col(Invoice.currency), func.count())
        .where(col(Invoice.issued_at) >= start, col(Invoice.issued_at) < end)
        .group_by(col(Invoice.kind), col(Invoice.currency))
    ).all():
        if in_currency == currency:
            counts[InvoiceKind(kind)] += count
        else:
            other += count
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
            Column('invoiced_tax', N_('VAT invoiced'), 'money', phone=True),
            Column('credited_base', N_('Credited, taxable amount'), 'money'),
            Column('credited_tax', N_('VAT credited'), 'money'),
            Column('net_base', N_('Net taxable amount'), 'money'),
            Column('net_tax', N_('Net VAT collected'), 'money', phone=True),
        ),
        rows=rows,
        chart=Chart('bar', 'label', ('invoiced_tax', 'credited_tax', 'net_tax')),
        currency=currency,
        totals=totals,
    )
    table.notes.append(
        _('{invoices} and {credit_notes} issued in the period.').format(
            invoices=ngettext('{n} invoice', '{n} invoices', counts[InvoiceKind.invoice]).format(
                n=formatting.number(counts[InvoiceKind.invoice])
            ),
            credit_notes=ngettext('{n} credit note', '{n} credit notes', counts[InvoiceKind.credit_note]).format(
                n=formatting.number(counts[InvoiceKind.credit_note])
            ),
        )
    )
    if other:
        table.notes.append(
            ngettext(
                '{n} document in another currency is not counted.',
                '{n} documents in another currency are not counted.',
                other,
            ).format(n=formatting.number(other))
        )
    return table


def _per_rate(session: Session) -> TextClause:
    """The breakdown each document copied when issued, added up per kind and rate by the database (a JSON array per
    document: json_each on SQLite, json_array_elements on PostgreSQL, which adds exact numerics)."""
    if session.get_bind().dialect.name == 'postgresql':
        sql = (
            "SELECT i.kind, e->>'rate' AS rate, sum((e->>'base')::numeric), sum((e->>'tax')::numeric) "
            'FROM invoices i CROSS JOIN LATERAL json_array_elements(i.vat_breakdown) e '
        )
    else:
        sql = (
            "SELECT i.kind, json_extract(e.value, '$.rate') AS rate, "
            "sum(CAST(json_extract(e.value, '$.base') AS REAL)), sum(CAST(json_extract(e.value, '$.tax') AS REAL)) "
            'FROM invoices i, json_each(i.vat_breakdown) e '
        )
    instant = Invoice.__table__.c.issued_at.type  # type: ignore[attr-defined]  # the column's own type
    return text(
        sql + 'WHERE i.issued_at >= :start AND i.issued_at < :end AND i.currency = :currency GROUP BY i.kind, rate'
    ).bindparams(bindparam('start', type_=instant), bindparam('end', type_=instant))
