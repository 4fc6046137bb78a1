"""Purchase orders (ordered, then received; line count and total kept for the list) and the customer on a return
(copied from its order, so the returns list shows and filters it without a join).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.Enum('ordered', 'received', name='purchasestatus',
                                                         native_enum=False, length=20),
                                      nullable=False, server_default='received'))
        batch_op.add_column(sa.Column('ordered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('line_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('total', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.alter_column('received_at', existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
    op.execute('UPDATE purchases SET ordered_at = received_at')
    op.execute('UPDATE purchases SET line_count = (SELECT count(*) FROM purchase_lines l WHERE l.purchase_id = '
               'purchases.id), total = (SELECT sum(l.quantity * l.unit_cost) FROM purchase_lines l '
               'WHERE l.purchase_id = purchases.id)')
    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.alter_column('status', server_default=None)
        batch_op.alter_column('line_count', server_default=None)
        batch_op.alter_column('ordered_at', existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False)
        batch_op.create_index('ix_purchases_status_id', ['status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchases_ordered_at'), ['ordered_at'], unique=False)
    # resolve_fks=False: SQLite rebuilds `returns` only; reflecting the tables it refers to (orders → customers) warned
    # on every fresh `migrate` that customers' expression index cannot be reflected, though that table is not touched
    with op.batch_alter_table('returns', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('customer_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_returns_customer_id'), ['customer_id'], unique=False)
        batch_op.create_foreign_key('fk_returns_customer_id_customers', 'customers', ['customer_id'], ['id'])
    op.execute('UPDATE returns SET customer_id = (SELECT o.customer_id FROM orders o WHERE o.id = returns.order_id)')


def downgrade() -> None:
    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.drop_constraint('fk_returns_customer_id_customers', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_returns_customer_id'))
        batch_op.drop_column('customer_id')
    op.execute('UPDATE purchases SET received_at = ordered_at WHERE received_at IS NULL')
    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchases_ordered_at'))
        batch_op.drop_index('ix_purchases_status_id')
        batch_op.alter_column('received_at', existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False)
        batch_op.drop_column('total')
        batch_op.drop_column('line_count')
        batch_op.drop_column('ordered_at')
        batch_op.drop_column('status')
