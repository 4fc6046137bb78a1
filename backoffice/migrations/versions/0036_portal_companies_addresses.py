"""The customer portal for B2B (issue #17): companies' members with their roles (company admin, buyer, viewer), and
customers' saved addresses (their address book; orders keep their own copy).

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0036'
down_revision: str | None = '0035'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'company_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column(
            'role',
            sa.Enum('admin', 'buyer', 'viewer', name='companyrole', native_enum=False, length=20),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('customer_id'),
    )
    with op.batch_alter_table('company_members', schema=None) as batch_op:
        batch_op.create_index('ix_company_members_company_role', ['company_id', 'role'], unique=False)

    op.create_table(
        'customer_addresses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('line1', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('line2', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('postcode', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('city', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('default_shipping', sa.Boolean(), nullable=False),
        sa.Column('default_billing', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('customer_addresses', schema=None) as batch_op:
        batch_op.create_index('ix_customer_addresses_customer', ['customer_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('customer_addresses', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_addresses_customer')
    op.drop_table('customer_addresses')
    with op.batch_alter_table('company_members', schema=None) as batch_op:
        batch_op.drop_index('ix_company_members_company_role')
    op.drop_table('company_members')
