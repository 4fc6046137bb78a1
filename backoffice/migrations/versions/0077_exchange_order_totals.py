"""An exchange order's totals say what its lines say: its subtotal is its lines' price and its discounts all of it (they
were left at 0 while each line showed its price, discounted in full); its total stays 0. Invoices already issued stay
as they were issued.

Revision ID: 0077
Revises: 0076
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0077'
down_revision: str | None = '0076'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

orders = sa.table(
    'orders',
    sa.column('id', sa.Integer),
    sa.column('source', sa.String),
    sa.column('subtotal', sa.Numeric(12, 2)),
    sa.column('discount_total', sa.Numeric(12, 2)),
)
order_lines = sa.table(
    'order_lines',
    sa.column('order_id', sa.Integer),
    sa.column('quantity', sa.Integer),
    sa.column('unit_price', sa.Numeric(12, 2)),
    sa.column('discount', sa.Numeric(12, 2)),
)


def upgrade() -> None:
    lines_of = order_lines.c.order_id == orders.c.id
    op.get_bind().execute(
        sa.update(orders)
        .where(orders.c.source == 'exchange', orders.c.subtotal == 0, orders.c.discount_total == 0)
        .values(
            subtotal=sa.select(sa.func.coalesce(sa.func.sum(order_lines.c.unit_price * order_lines.c.quantity), 0))
            .where(lines_of)
            .scalar_subquery(),
            discount_total=sa.select(sa.func.coalesce(sa.func.sum(order_lines.c.discount), 0))
            .where(lines_of)
            .scalar_subquery(),
        )
    )


def downgrade() -> None:
    pass  # the totals as they should have been: nothing to undo
