"""customers.merged_into_id: a duplicate customer merged into another points at the one it was merged into, so an
order or a request that still comes with its email finds the customer kept (services/customer_merge.py).

Revision ID: 0066
Revises: 0065
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0066'
down_revision: str | None = '0065'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('merged_into_id')
