"""Warehouse fixes: `products.stocked` (a service or a plan is not: no stock level, no reservation, no alert; the
stock rows such products had are removed), a purchase order closed short (`purchases.closed_at`, `closed_by`,
`close_reason`; the status gains 'closed_short', a VARCHAR enum), and how much of a received return went back on the
shelf (`returns.restocked_quantity` and the list's '2 of 3', `restocked` with its key and values), filled for the
returns received before from their return movements.

Revision ID: 0056
Revises: 0055
Create Date: 2026-12-06
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0056'
down_revision: str | None = '0055'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode reflects the tables these point to: their expression indexes are only named in a warning
QUIET = 'Skipped unsupported reflection of expression-based index'
RESTOCKED = '{restocked} of {came}'  # services/returns.RESTOCKED, as it was when this was written


def upgrade() -> None:
    op.add_column('products', sa.Column('stocked', sa.Boolean(), server_default=sa.true(), nullable=False))
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message=QUIET)
        with op.batch_alter_table('purchases', schema=None) as batch_op:
            batch_op.add_column(sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
            batch_op.add_column(sa.Column('closed_by', sa.Integer(), nullable=True))
            batch_op.add_column(
                sa.Column(
                    'close_reason', sqlmodel.sql.sqltypes.AutoString(length=300), server_default='', nullable=False
                )
            )
            batch_op.create_foreign_key('fk_purchases_closed_by', 'users', ['closed_by'], ['id'], ondelete='SET NULL')
    op.add_column('returns', sa.Column('restocked_quantity', sa.Integer(), nullable=True))
    op.add_column(
        'returns',
        sa.Column('restocked', sqlmodel.sql.sqltypes.AutoString(length=120), server_default='', nullable=False),
    )
    op.add_column('returns', sa.Column('restocked_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.add_column('returns', sa.Column('restocked_params', sa.JSON(), nullable=True))
    _fill_received_returns()


def _fill_received_returns() -> None:
    """A return received before: what its return movements put back, of the items it listed."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            'SELECT r.id, '
            '(SELECT COALESCE(SUM(l.quantity), 0) FROM return_lines l WHERE l.return_id = r.id), '
            "(SELECT COALESCE(SUM(m.quantity), 0) FROM stock_movements m WHERE m.return_id = r.id AND m.kind = 'return')"
            ' FROM returns r WHERE r.received_at IS NOT NULL'
        )
    ).all()
    returns = sa.table(
        'returns',
        sa.column('id', sa.Integer()),
        sa.column('restocked_quantity', sa.Integer()),
        sa.column('restocked', sa.String()),
        sa.column('restocked_key', sa.String()),
        sa.column('restocked_params', sa.JSON()),
    )
    for return_id, came, restocked in rows:
        came, restocked = int(came), min(int(restocked), int(came))
        bind.execute(
            returns.update()
            .where(returns.c.id == return_id)
            .values(
                restocked_quantity=restocked,
                restocked=RESTOCKED.format(restocked=f'{restocked:,}', came=f'{came:,}'),
                restocked_key=RESTOCKED,
                restocked_params={'restocked': {'number': restocked}, 'came': {'number': came}},
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.drop_column('restocked_params')
        batch_op.drop_column('restocked_key')
        batch_op.drop_column('restocked')
        batch_op.drop_column('restocked_quantity')
    op.execute("UPDATE purchases SET status = 'partly_received' WHERE status = 'closed_short'")
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message=QUIET)
        with op.batch_alter_table('purchases', schema=None) as batch_op:
            batch_op.drop_constraint('fk_purchases_closed_by', type_='foreignkey')
            batch_op.drop_column('close_reason')
            batch_op.drop_column('closed_by')
            batch_op.drop_column('closed_at')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('stocked')
