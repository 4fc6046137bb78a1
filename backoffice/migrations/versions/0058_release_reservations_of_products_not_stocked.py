"""Reservations left on products no longer stocked: a product switched to not stocked (a service, a plan) before the
switch was refused while units were reserved kept those reservations on its hidden stock row, where nothing would ever
release them (an order's cancel and ship skip products not stocked): had it been stocked again, they would have held
its stock forever. They are released. Units on such a hidden row are left as they are (a count corrects them if the
product is stocked again): whether they are still on a shelf, only a person can say.

Revision ID: 0058
Revises: 0057
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0058'
down_revision: str | None = '0057'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    products = sa.table('products', sa.column('id', sa.Integer()), sa.column('stocked', sa.Boolean()))
    levels = sa.table(
        'stock_levels',
        sa.column('product_id', sa.Integer()),
        sa.column('on_hand', sa.Integer()),
        sa.column('reserved', sa.Integer()),
        sa.column('available', sa.Integer()),
        sa.column('min_qty', sa.Integer()),
        sa.column('low_stock', sa.Boolean()),
    )
    op.execute(
        levels.update()
        .where(
            levels.c.reserved > 0,
            levels.c.product_id.in_(sa.select(products.c.id).where(products.c.stocked.is_(sa.false()))),
        )
        .values(
            reserved=0,
            available=levels.c.on_hand,
            low_stock=sa.and_(levels.c.min_qty > 0, levels.c.on_hand <= levels.c.min_qty),
        )
    )


def downgrade() -> None:
    pass  # the released reservations belonged to no order that could still use them: nothing to put back
