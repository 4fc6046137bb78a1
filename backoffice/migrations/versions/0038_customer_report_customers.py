"""Reports sent to a customer without a company (issue #18): `customer_report_choices` and `customer_report_sends` get
a nullable `customer_id` (unique per choice; unique with `period_key` per send) and `company_id` becomes nullable.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-03
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0038'
down_revision: str | None = '0037'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with warnings.catch_warnings():
        # SQLite's batch mode reflects the tables the new foreign keys point to (customers, companies): their
        # expression indexes (lower(name)) are not rebuilt, only named in a warning that says nothing here
        warnings.filterwarnings('ignore', message='Skipped unsupported reflection of expression-based index')
        _upgrade()


def _upgrade() -> None:
    with op.batch_alter_table('customer_report_choices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer_id', sa.Integer(), nullable=True))
        batch_op.alter_column('company_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint('uq_customer_report_choices_customer_id', ['customer_id'])
        batch_op.create_foreign_key(
            'fk_customer_report_choices_customer_id', 'customers', ['customer_id'], ['id'], ondelete='CASCADE'
        )
    with op.batch_alter_table('customer_report_sends', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer_id', sa.Integer(), nullable=True))
        batch_op.alter_column('company_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint('uq_customer_report_sends_customer_period', ['customer_id', 'period_key'])
        batch_op.create_foreign_key(
            'fk_customer_report_sends_customer_id', 'customers', ['customer_id'], ['id'], ondelete='CASCADE'
        )
        batch_op.create_index('ix_customer_report_sends_customer_id', ['customer_id'], unique=False)


def downgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='Skipped unsupported reflection of expression-based index')
        _downgrade()


def _downgrade() -> None:
    op.execute('DELETE FROM customer_report_sends WHERE company_id IS NULL')
    op.execute('DELETE FROM customer_report_choices WHERE company_id IS NULL')
    with op.batch_alter_table('customer_report_sends', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_report_sends_customer_id')
        batch_op.drop_constraint('fk_customer_report_sends_customer_id', type_='foreignkey')
        batch_op.drop_constraint('uq_customer_report_sends_customer_period', type_='unique')
        batch_op.alter_column('company_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('customer_id')
    with op.batch_alter_table('customer_report_choices', schema=None) as batch_op:
        batch_op.drop_constraint('fk_customer_report_choices_customer_id', type_='foreignkey')
        batch_op.drop_constraint('uq_customer_report_choices_customer_id', type_='unique')
        batch_op.alter_column('company_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('customer_id')
