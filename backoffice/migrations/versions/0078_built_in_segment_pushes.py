"""A built-in segment (Inactive for 30 days, At risk…) can be pushed to the campaign tool on a schedule, as a saved one
can: a row per built-in segment scheduled; and a weekly push's weekday, for both (None: Monday, as before).

Revision ID: 0078
Revises: 0077
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0078'
down_revision: str | None = '0077'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('segments') as batch:
        batch.add_column(sa.Column('push_weekday', sa.Integer(), nullable=True))
    op.create_table(
        'built_in_segment_pushes',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('push_frequency', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column('push_weekday', sa.Integer(), nullable=True),
        sa.Column('push_by', sa.Integer(), nullable=True),
        sa.Column('next_push_on', sa.Date(), nullable=True),
        sa.Column('last_pushed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('push_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('push_error_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column('push_error_params', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade() -> None:
    op.drop_table('built_in_segment_pushes')
    with op.batch_alter_table('segments') as batch:
        batch.drop_column('push_weekday')
