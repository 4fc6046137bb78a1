"""KPI refresh: the ids a watermark skipped while their transaction was still open (so a row committed late is still
counted by the next incremental refresh), and an index that answers "had this customer ordered before?" from the
index alone (the "new customers" KPI probes it once per customer of the day).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('kpi_watermarks') as batch_op:
        batch_op.add_column(sa.Column('gaps', sa.JSON(), nullable=False, server_default='[]'))
    # plain CREATE INDEX, not batch mode: a batch alter would copy `orders` and drop its search triggers
    op.create_index('ix_orders_customer_placed_status', 'orders', ['customer_id', 'placed_at', 'status'])


def downgrade() -> None:
    op.drop_index('ix_orders_customer_placed_status', table_name='orders')
    with op.batch_alter_table('kpi_watermarks') as batch_op:
        batch_op.drop_column('gaps')
