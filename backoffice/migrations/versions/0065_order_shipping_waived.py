"""orders.shipping_waived_reason: a staff draft (a phone order) may ship free, with the reason it was waived ('' when
shipping is charged as /settings says).

Revision ID: 0065
Revises: 0064
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0065'
down_revision: str | None = '0064'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'shipping_waived_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default=''
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('shipping_waived_reason')
