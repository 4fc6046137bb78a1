"""A saved segment can be pushed to the campaign tool's webhook on a schedule (every day, every Monday, the 1st of each
month), as the person who scheduled it: how often, as whom, the day of the next push, the last success and the last
failure's reason (with its msgid).

Revision ID: 0076
Revises: 0075
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0076'
down_revision: str | None = '0075'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('segments') as batch:
        batch.add_column(sa.Column('push_frequency', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))
        batch.add_column(sa.Column('push_by', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('next_push_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('last_pushed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('push_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch.add_column(sa.Column('push_error_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch.add_column(sa.Column('push_error_params', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('segments') as batch:
        for name in (
            'push_error_params',
            'push_error_key',
            'push_error',
            'last_pushed_at',
            'next_push_on',
            'push_by',
            'push_frequency',
        ):
            batch.drop_column(name)
