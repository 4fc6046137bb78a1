"""Legal acceptances: which published version of a legal document each customer accepted, when, from where
(`legal_acceptances`, append-only, one row per customer and version).

Revision ID: 0054
Revises: 0053
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0054'
down_revision: str | None = '0053'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'legal_acceptances',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('accepted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('source', sa.Enum('api', 'portal', name='acceptancesource', native_enum=False, length=20), nullable=False),
        sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=True),
        sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id']),
        sa.ForeignKeyConstraint(['document_id'], ['content_entries.id']),
        sa.ForeignKeyConstraint(['version_id'], ['legal_versions.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('customer_id', 'version_id', name='uq_legal_acceptances_customer_version'),
    )
    with op.batch_alter_table('legal_acceptances', schema=None) as batch_op:
        batch_op.create_index('ix_legal_acceptances_customer', ['customer_id', 'document_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('legal_acceptances', schema=None) as batch_op:
        batch_op.drop_index('ix_legal_acceptances_customer')
    op.drop_table('legal_acceptances')
