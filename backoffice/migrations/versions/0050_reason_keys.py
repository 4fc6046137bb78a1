"""Reasons the app writes itself stored as a msgid with its values (`reason_key`, `reason_params`:
backoffice/stored_text.py) beside the English `reason`: a stock movement's ('Return R-7', 'Order 1042', 'Purchase
PO-3'), a refund's and a gateway refund's ('Return R-7'), so a French reader sees « Retour R-7 » in the movements
list and on the order page, and a credit note says it in its own language. A person's words (an adjustment, a refund
typed by hand) have no key; older rows keep none and show their stored text.

Revision ID: 0050
Revises: 0049
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0050'
down_revision: str | None = '0049'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('stock_movements', 'refunds', 'gateway_refunds')


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column('reason_key', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        op.add_column(table, sa.Column('reason_params', sa.JSON(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('reason_params')
            batch_op.drop_column('reason_key')
