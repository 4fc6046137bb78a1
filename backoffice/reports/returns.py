"""Returns by reason over a period: each returned line's reason (else its return's), how many returns and units it
accounts for and its share of the units, for the returns opened in the period (cancelled ones left out); the
category filter keeps the lines of its products."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from backoffice.i18n import N_, _
from backoffice.models import Product, Return, ReturnLine, ReturnStatus
from backoffice.reports.base import Chart, Column, Params, Table, frame, span
from backoffice.reports.sales import _category_and_below

NO_REASON = N_('No reason given')


def returns(session: Session, params: Params, zone: str, currency: str) -> Table:
    start, end = span(params, zone)
    found = frame(
        session.execute(
            select(
                col(Return.id),
                col(Return.reason),
                col(ReturnLine.reason),
                col(ReturnLine.quantity),
                col(Product.category_id),
            )
            .join(ReturnLine, col(ReturnLine.return_id) == col(Return.id))
            .outerjoin(Product, col(Product.id) == col(ReturnLine.product_id))
            .where(
                col(Return.created_at) >= start,
                col(Return.created_at) < end,
                col(Return.status) != ReturnStatus.cancelled,
            )
        ).all(),
        ['return_id', 'return_reason', 'line_reason', 'quantity', 'category_id'],
    )
    if params.category_id:
        found = found[found['category_id'].isin(_category_and_below(session, params.category_id))]
    rows = []
    if not found.empty:
        found['reason'] = [
            ' '.join(str(line or own or '').split())
            for line, own in zip(found['line_reason'], found['return_reason'], strict=True)
        ]
        # the same words in another case are the same reason ("Too small", "too small")
        found['key'] = found['reason'].str.casefold()
        grouped = found.groupby('key').agg(
            reason=('reason', 'first'), returns=('return_id', 'nunique'), units=('quantity', 'sum')
        )
        units = int(grouped['units'].sum())
        for key, values in grouped.sort_values(['units', 'returns'], ascending=False).iterrows():
            rows.append(
                {
                    'key': key,
                    'label': values['reason'] or _(NO_REASON),
                    'returns': int(values['returns']),
                    'units': int(values['units']),
                    'share': int(values['units']) / units if units else None,
                }
            )
    return Table(
        columns=(
            Column('label', N_('Reason')),
            Column('returns', N_('Returns'), 'number'),
            Column('units', N_('Units returned'), 'number', phone=True),
            Column('share', N_('Share of units'), 'percent', phone=True),
        ),
        rows=rows,
        chart=Chart('hbar', 'label', ('units',)),
        currency=currency,
        totals={
            'label': _('Total'),
            'returns': int(found['return_id'].nunique()) if not found.empty else 0,
            'units': sum(row['units'] for row in rows),
            'share': 1.0 if rows else None,
        },
    )
