"""Stock valuation: each stock-tracked product's quantity on hand × its cost, per product and per category, now or at
the end of a past day.

The quantity at a day's end is the balance of the product's last movement up to then (the movements ledger sums to
the stock on hand; a product with no movement yet held none). The cost is the weighted average of what its received
purchases cost up to then (lines with a unit cost); a product never bought at a known cost is listed without a value
and counted in a note, rather than valued at zero."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session, col

from backoffice import formatting
from backoffice.i18n import N_, _, ngettext
from backoffice.kpi.days import bounds
from backoffice.models import Category, Product, Purchase, PurchaseLine, PurchaseStatus, StockLevel, StockMovement
from backoffice.models.base import utcnow
from backoffice.reports.base import Chart, Column, Params, Table
from backoffice.reports.sales import NO_CATEGORY, _category_and_below

ZERO = Decimal('0.00')


def stock(session: Session, params: Params, zone: str, currency: str) -> Table:
    cutoff = bounds(params.at, zone)[1] if params.at else utcnow()
    quantities = _quantities(session, cutoff if params.at else None)
    costs = _costs(session, cutoff)
    products = session.execute(
        select(col(Product.id), col(Product.sku), col(Product.name), col(Product.category_id))
        .join(StockLevel, col(StockLevel.product_id) == col(Product.id))
        .order_by(col(Product.sku))
    ).all()
    names = dict(session.execute(select(col(Category.id), col(Category.name))).all())
    wanted = _category_and_below(session, params.category_id) if params.category_id else None
    rows, unknown = [], 0
    by_category: dict[int | None, Decimal] = {}
    for product_id, sku, name, category_id in products:
        if wanted is not None and category_id not in wanted:
            continue
        quantity = quantities.get(product_id, 0)
        cost = costs.get(product_id)
        value = (cost * quantity).quantize(Decimal('0.01')) if cost is not None else None
        if quantity and cost is None:
            unknown += 1
        if value is not None:
            by_category[category_id] = by_category.get(category_id, ZERO) + value
        rows.append(
            {
                'key': product_id,
                'sku': sku,
                'label': name,
                'category': names.get(category_id) or _(NO_CATEGORY),
                'quantity': quantity,
                'unit_cost': cost.quantize(Decimal('0.01')) if cost is not None else None,
                'value': value,
            }
        )
    rows.sort(key=lambda row: (-(row['value'] or ZERO), row['sku']))
    table = Table(
        columns=(
            Column('label', N_('Product')),
            Column('sku', N_('SKU')),
            Column('category', N_('Category')),
            Column('quantity', N_('Quantity on hand'), 'number', phone=True),
            Column('unit_cost', N_('Unit cost (weighted average)'), 'money'),
            Column('value', N_('Stock value'), 'money', phone=True),
        ),
        rows=rows,
        chart=Chart('hbar', 'label', ('value',)),
        currency=currency,
        totals={
            'label': _('Total'),
            'quantity': sum(row['quantity'] for row in rows),
            'value': sum((row['value'] or ZERO for row in rows), ZERO),
        },
    )
    # the chart is by category: a few bars a person can compare, where the table lists every product
    table.chart_rows = [
        {'label': names.get(category_id) or _(NO_CATEGORY), 'value': value}
        for category_id, value in sorted(by_category.items(), key=lambda item: -item[1])
    ]
    if unknown:
        table.notes.append(
            ngettext(
                '{n} product in stock has no known cost (never bought at a known price): it is not valued.',
                '{n} products in stock have no known cost (never bought at a known price): they are not valued.',
                unknown,
            ).format(n=formatting.number(unknown))
        )
    return table


def _quantities(session: Session, cutoff: datetime | None) -> dict[int, int]:
    """On hand per product: now from the stock levels, at a past instant from the last movement before it."""
    if cutoff is None:
        return dict(session.execute(select(col(StockLevel.product_id), col(StockLevel.on_hand))).all())
    last = (
        select(func.max(StockMovement.id).label('id'))
        .where(col(StockMovement.created_at) < cutoff)
        .group_by(col(StockMovement.product_id))
        .subquery()
    )
    return dict(
        session.execute(
            select(col(StockMovement.product_id), col(StockMovement.balance)).join(
                last, last.c.id == col(StockMovement.id)
            )
        ).all()
    )


def _costs(session: Session, cutoff: datetime) -> dict[int, Decimal]:
    """The weighted average unit cost of each product's purchases received before the instant."""
    sums = session.execute(
        select(
            col(PurchaseLine.product_id),
            func.sum(col(PurchaseLine.quantity) * col(PurchaseLine.unit_cost)),
            func.sum(PurchaseLine.quantity),
        )
        .join(Purchase, col(Purchase.id) == col(PurchaseLine.purchase_id))
        .where(
            col(Purchase.status) == PurchaseStatus.received,
            col(Purchase.received_at) < cutoff,
            col(PurchaseLine.unit_cost).is_not(None),
            col(PurchaseLine.quantity) > 0,
        )
        .group_by(col(PurchaseLine.product_id))
    ).all()
    return {pid: Decimal(str(total)) / quantity for pid, total, quantity in sums if quantity}
