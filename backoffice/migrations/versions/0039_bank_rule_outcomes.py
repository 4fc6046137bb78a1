"""Bank rule outcomes (issue #15): a rule sets a line aside, or matches it to the one open invoice of a chosen customer
or bill of a chosen supplier (`outcome`, `customer_id`, `supplier_id`), and counts the lines it fitted without a single
target (`missed_count`); such a line records the rule and why (`bank_lines.missed_rule_id`, `rule_miss`).

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-04
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0039'
down_revision: str | None = '0038'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTCOME = sa.Enum('set_aside', 'invoice', 'bill', name='ruleoutcome', native_enum=False, length=20)


def upgrade() -> None:
    with warnings.catch_warnings():
        # SQLite's batch mode reflects the tables the new foreign keys point to, and theirs (customers, companies):
        # their expression indexes (lower(name)) are not rebuilt, only named in a warning that says nothing here
        warnings.filterwarnings('ignore', message='Skipped unsupported reflection of expression-based index')
        with op.batch_alter_table('bank_rules', schema=None) as batch_op:
            batch_op.add_column(sa.Column('outcome', OUTCOME, server_default='set_aside', nullable=False))
            batch_op.add_column(sa.Column('customer_id', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('supplier_id', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('missed_count', sa.Integer(), server_default='0', nullable=False))
            batch_op.create_foreign_key(
                'fk_bank_rules_customer_id', 'customers', ['customer_id'], ['id'], ondelete='SET NULL'
            )
            batch_op.create_foreign_key(
                'fk_bank_rules_supplier_id', 'suppliers', ['supplier_id'], ['id'], ondelete='SET NULL'
            )
        with op.batch_alter_table('bank_lines', schema=None) as batch_op:
            batch_op.add_column(sa.Column('missed_rule_id', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('rule_miss', sa.String(length=40), server_default='', nullable=False))
            batch_op.create_foreign_key(
                'fk_bank_lines_missed_rule_id', 'bank_rules', ['missed_rule_id'], ['id'], ondelete='SET NULL'
            )


def downgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='Skipped unsupported reflection of expression-based index')
        with op.batch_alter_table('bank_lines', schema=None) as batch_op:
            batch_op.drop_constraint('fk_bank_lines_missed_rule_id', type_='foreignkey')
            batch_op.drop_column('rule_miss')
            batch_op.drop_column('missed_rule_id')
        with op.batch_alter_table('bank_rules', schema=None) as batch_op:
            batch_op.drop_constraint('fk_bank_rules_supplier_id', type_='foreignkey')
            batch_op.drop_constraint('fk_bank_rules_customer_id', type_='foreignkey')
            batch_op.drop_column('missed_count')
            batch_op.drop_column('supplier_id')
            batch_op.drop_column('customer_id')
            batch_op.drop_column('outcome')
