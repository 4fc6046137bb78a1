"""company_member_periods: each earlier span a member shared with their company, kept when they join it again (the
member's row holds only the current span, so a member who left and came back lost the first: what they ordered and
asked in it was the company's no more). Nothing to carry over: the spans overwritten before are gone.

Revision ID: 0057
Revises: 0056
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0057'
down_revision: str | None = '0056'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'company_member_periods',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('shared_from', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('company_member_periods', schema=None) as batch_op:
        batch_op.create_index(
            'ix_company_member_periods_customer_company', ['customer_id', 'company_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('company_member_periods', schema=None) as batch_op:
        batch_op.drop_index('ix_company_member_periods_customer_company')
    op.drop_table('company_member_periods')
