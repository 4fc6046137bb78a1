"""A bank line pays part of an order not invoiced yet (`payments.bank_line_id`: the match's payment, taken back by its
undo), and a purchase order is billed in parts as its goods arrive (`supplier_bills.purchase_id` no longer unique:
an index instead).

Revision ID: 0051
Revises: 0050
Create Date: 2026-12-06
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0051'
down_revision: str | None = '0050'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode reflects the tables these point to, and theirs: their expression indexes (lower(name)) are not
# rebuilt, only named in a warning that says nothing here
QUIET = 'Skipped unsupported reflection of expression-based index'
# the unique constraint of 0035 had no name: SQLite's batch mode names it by this convention, PostgreSQL named it so
NAMES = {'uq': 'uq_%(table_name)s_%(column_0_name)s'}


def _unique_name() -> str:
    return (
        'supplier_bills_purchase_id_key'
        if op.get_bind().dialect.name == 'postgresql'
        else 'uq_supplier_bills_purchase_id'
    )


def upgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message=QUIET)
        with op.batch_alter_table('payments', schema=None) as batch_op:
            batch_op.add_column(sa.Column('bank_line_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                'fk_payments_bank_line_id', 'bank_lines', ['bank_line_id'], ['id'], ondelete='SET NULL'
            )
            batch_op.create_index(batch_op.f('ix_payments_bank_line_id'), ['bank_line_id'], unique=False)
        with op.batch_alter_table('supplier_bills', schema=None, naming_convention=NAMES) as batch_op:
            batch_op.drop_constraint(_unique_name(), type_='unique')
            batch_op.create_index(batch_op.f('ix_supplier_bills_purchase_id'), ['purchase_id'], unique=False)


def downgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message=QUIET)
        with op.batch_alter_table('supplier_bills', schema=None) as batch_op:
            batch_op.drop_index(batch_op.f('ix_supplier_bills_purchase_id'))
            batch_op.create_unique_constraint(_unique_name(), ['purchase_id'])
        with op.batch_alter_table('payments', schema=None) as batch_op:
            batch_op.drop_index(batch_op.f('ix_payments_bank_line_id'))
            batch_op.drop_constraint('fk_payments_bank_line_id', type_='foreignkey')
            batch_op.drop_column('bank_line_id')
