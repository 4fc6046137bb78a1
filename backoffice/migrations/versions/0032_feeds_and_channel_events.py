"""Spreadsheet feeds of saved views (issue #19): `sheet_feeds` (the token's sha256, the view, the publisher, the last
access and the count); and `alert_deliveries.claimed_at`, so two senders never post the same chat message.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0032'
down_revision: str | None = '0031'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'sheet_feeds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('view_id', sa.Integer(), nullable=True),
        sa.Column('view_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('resource', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('publisher_id', sa.Integer(), nullable=True),
        sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
        sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('revoked_by', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column('last_access_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('access_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['publisher_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['view_id'], ['saved_views.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    with op.batch_alter_table('sheet_feeds', schema=None) as batch_op:
        batch_op.create_index('ix_sheet_feeds_publisher', ['publisher_id', 'id'], unique=False)

    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')

    with op.batch_alter_table('sheet_feeds', schema=None) as batch_op:
        batch_op.drop_index('ix_sheet_feeds_publisher')

    op.drop_table('sheet_feeds')
