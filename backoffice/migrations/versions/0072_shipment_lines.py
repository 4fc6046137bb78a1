"""shipment_lines: what went in each parcel (order line, quantity), so an order ships in several parcels. Nothing to
carry over, no line invented: a shipment made before has no lines and means the whole order
(services/orders.shipped_by_line reads it so), as every shipment did until now.

Revision ID: 0072
Revises: 0071
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0072'
down_revision: str | None = '0071'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'shipment_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('shipment_id', sa.Integer(), nullable=False),
        sa.Column('order_line_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_shipment_lines_shipment', 'shipment_lines', ['shipment_id', 'id'], unique=False)
    op.create_index('ix_shipment_lines_order_line', 'shipment_lines', ['order_line_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_shipment_lines_order_line', table_name='shipment_lines')
    op.drop_index('ix_shipment_lines_shipment', table_name='shipment_lines')
    op.drop_table('shipment_lines')
