"""A purchase order received in parts: each line counts what has arrived so far (`purchase_lines.received_quantity`);
lines of purchases already received count all of their quantity. The status gains 'partly_received' (a VARCHAR enum:
no schema change for it).

Revision ID: 0048
Revises: 0047
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0048'
down_revision: str | None = '0047'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('purchase_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_quantity', sa.Integer(), server_default='0', nullable=False))
    op.execute(
        "UPDATE purchase_lines SET received_quantity = quantity WHERE purchase_id IN "
        "(SELECT id FROM purchases WHERE status = 'received')"
    )


def downgrade() -> None:
    op.execute("UPDATE purchases SET status = 'ordered' WHERE status = 'partly_received'")
    with op.batch_alter_table('purchase_lines', schema=None) as batch_op:
        batch_op.drop_column('received_quantity')
