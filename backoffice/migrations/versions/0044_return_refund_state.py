"""A return's refund on /returns: whether its money went back (`returns.refund_state`: manual, sent, pending, refunded,
failed; None when it was not refunded) and how much (`refund_amount`), kept by services/return_refunds.note so the list
shows and filters it without a query per row. Filled here from the refunds and gateway refunds already booked.

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0044'
down_revision: str | None = '0043'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the latest refund sent to a gateway for the return says where its money is (a failed one paid back again: the new one)
LATEST = 'SELECT {what} FROM gateway_refunds g WHERE g.return_id = returns.id ORDER BY g.id DESC LIMIT 1'


def upgrade() -> None:
    op.add_column('returns', sa.Column('refund_state', sa.String(length=20), nullable=True))
    op.add_column('returns', sa.Column('refund_amount', sa.Numeric(12, 2), nullable=True))
    op.create_index('ix_returns_refund_state_id', 'returns', ['refund_state', 'id'])
    op.execute(
        f'UPDATE returns SET refund_state = CASE ({LATEST.format(what="g.status")}) '
        "WHEN 'requested' THEN 'sent' WHEN 'pending' THEN 'pending' WHEN 'succeeded' THEN 'refunded' "
        "ELSE 'failed' END, "
        f'refund_amount = ({LATEST.format(what="g.amount")}) '
        'WHERE EXISTS (SELECT 1 FROM gateway_refunds g WHERE g.return_id = returns.id)'
    )
    op.execute(
        "UPDATE returns SET refund_state = 'manual', "
        'refund_amount = (SELECT sum(r.amount) FROM refunds r WHERE r.return_id = returns.id) '
        'WHERE refund_state IS NULL AND EXISTS (SELECT 1 FROM refunds r WHERE r.return_id = returns.id)'
    )


def downgrade() -> None:
    op.drop_index('ix_returns_refund_state_id', table_name='returns')
    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.drop_column('refund_amount')
        batch_op.drop_column('refund_state')
