"""order_lines.cancelled_quantity: what of a partly shipped order was called off before it left ("Cancel what is not
shipped", services/orders.cancel_rest). Every line so far: 0 (nothing was ever called off).

Revision ID: 0074
Revises: 0073
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0074'
down_revision: str | None = '0073'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_quantity', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_column('cancelled_quantity')
