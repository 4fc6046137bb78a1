"""A return's currency (`returns.currency`), its order's, so the returns list writes the refund as money
('€22.80 · Refunded by hand', not '22.80 · …'): copied from each return's order.

Revision ID: 0049
Revises: 0048
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0049'
down_revision: str | None = '0048'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), server_default='EUR', nullable=False)
        )
    op.execute('UPDATE returns SET currency = (SELECT o.currency FROM orders o WHERE o.id = returns.order_id)')


def downgrade() -> None:
    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.drop_column('currency')
