"""Loyalty points: the ledger (the extension's own branch, applied by `migrate` with the core's).

Revision ID: loyalty_0001
Revises:
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'loyalty_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('loyalty',)
depends_on: str | Sequence[str] | None = '0030'  # customers exist (any core revision after them would do)


def upgrade() -> None:
    op.create_table(
        'loyalty_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('award_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('award_key'),
    )
    op.create_index('ix_loyalty_entries_customer_id', 'loyalty_entries', ['customer_id', 'id'], unique=False)
    op.create_index('ix_loyalty_entries_order_id', 'loyalty_entries', ['order_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_loyalty_entries_order_id', table_name='loyalty_entries')
    op.drop_index('ix_loyalty_entries_customer_id', table_name='loyalty_entries')
    op.drop_table('loyalty_entries')
