"""Reservations recounted from the open orders: before a product's first stock reserved what its open orders wait for
(services/stock.level_for), orders placed before it had a stock row (pre-orders) reserved nothing, so its units read
as available and were sold again; shipping or cancelling those orders then took their quantities off other orders'
reservations (floored at 0). Every reservation is a line of an open order — pending, paid or packed — placed,
confirmed or given in an exchange, and goes when its units ship (a parcel's lines, migration 0072), are called off
(`cancelled_quantity`, migration 0074) or the order is cancelled: so each stocked product's `reserved` is recounted as
what its open orders' lines still wait for (bought − shipped − called off; a parcel without lines, made before
parcels could be split, took the whole order, as services/orders.shipped_by_line reads it). A product whose shelf
holds fewer than that reads as short (available below 0, low stock), as after a count that found units missing: the
oldest orders are served first. Products not stocked keep no reservation (migration 0058). On hand is not touched.

And each stock row's SKU is its product's again: a product given a new SKU kept the old one on its stock row, where
the stock list sorted and searched it and shortages named it (a save now copies it: services/stock.rename).

Revision ID: 0080
Revises: 0079
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0080'
down_revision: str | None = '0079'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RESERVING = ('pending', 'paid', 'packed')  # services/stock.RESERVING, as stored

products = sa.table(
    'products', sa.column('id', sa.Integer()), sa.column('sku', sa.String()), sa.column('stocked', sa.Boolean())
)
orders = sa.table('orders', sa.column('id', sa.Integer()), sa.column('status', sa.String()))
order_lines = sa.table(
    'order_lines',
    sa.column('id', sa.Integer()),
    sa.column('order_id', sa.Integer()),
    sa.column('product_id', sa.Integer()),
    sa.column('quantity', sa.Integer()),
    sa.column('cancelled_quantity', sa.Integer()),
)
shipments = sa.table('shipments', sa.column('id', sa.Integer()), sa.column('order_id', sa.Integer()))
shipment_lines = sa.table(
    'shipment_lines',
    sa.column('id', sa.Integer()),
    sa.column('shipment_id', sa.Integer()),
    sa.column('order_line_id', sa.Integer()),
    sa.column('quantity', sa.Integer()),
)
levels = sa.table(
    'stock_levels',
    sa.column('id', sa.Integer()),
    sa.column('product_id', sa.Integer()),
    sa.column('sku', sa.String()),
    sa.column('on_hand', sa.Integer()),
    sa.column('reserved', sa.Integer()),
    sa.column('available', sa.Integer()),
    sa.column('min_qty', sa.Integer()),
    sa.column('low_stock', sa.Boolean()),
    sa.column('low_alerted_at', sa.DateTime()),
    sa.column('version', sa.Integer()),
)


def upgrade() -> None:
    connection = op.get_bind()
    for level_id, on_hand, reserved, min_qty, wanted in connection.execute(_counted()).all():
        wanted = int(wanted or 0)
        if wanted == reserved:
            continue
        available = on_hand - wanted
        low = available < 0 or (min_qty > 0 and available <= min_qty)  # services/stock._refresh
        values = {'reserved': wanted, 'available': available, 'low_stock': low, 'version': levels.c.version + 1}
        if not low:  # back above its minimum: the next time it falls, staff are told again
            values['low_alerted_at'] = None
        connection.execute(levels.update().where(levels.c.id == level_id).values(**values))
    named = sa.select(products.c.sku).where(products.c.id == levels.c.product_id).scalar_subquery()
    connection.execute(
        levels.update()
        .where(levels.c.sku != named)
        .values(sku=named, version=levels.c.version + 1)
    )


def downgrade() -> None:
    pass  # the old counts were wrong (units sold twice): nothing worth putting back


def _counted() -> sa.Select:
    """Each stocked product's stock row with what its open orders' lines still wait for."""
    shipped = (
        sa.select(sa.func.coalesce(sa.func.sum(shipment_lines.c.quantity), 0))
        .where(shipment_lines.c.order_line_id == order_lines.c.id)
        .scalar_subquery()
    )
    whole_order_left = sa.exists(  # a parcel made before parcels had lines (migration 0072): the whole order left
        sa.select(shipments.c.id).where(
            shipments.c.order_id == order_lines.c.order_id,
            ~sa.exists(sa.select(shipment_lines.c.id).where(shipment_lines.c.shipment_id == shipments.c.id)),
        )
    )
    left = order_lines.c.quantity - order_lines.c.cancelled_quantity - shipped
    waiting = sa.case((whole_order_left, 0), (left > 0, left), else_=0)
    wanted = (
        sa.select(sa.func.coalesce(sa.func.sum(waiting), 0))
        .select_from(order_lines.join(orders, orders.c.id == order_lines.c.order_id))
        .where(order_lines.c.product_id == levels.c.product_id, orders.c.status.in_(RESERVING))
        .scalar_subquery()
    )
    return (
        sa.select(levels.c.id, levels.c.on_hand, levels.c.reserved, levels.c.min_qty, wanted)
        .where(levels.c.product_id.in_(sa.select(products.c.id).where(products.c.stocked.is_(sa.true()))))
        .order_by(levels.c.id)
    )
