"""Invoices a shop may send (issue #15): what the EU VAT directive (Art. 226) asks an invoice to say, copied at issue
(the seller's identity, the VAT per rate, the supply date, the due date and terms, the order's number, the invoice a
credit note corrects), and the payment terms of business customers invoiced before they pay.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""
import warnings
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ('companies', 'customers'):  # a plain ADD COLUMN: nothing to reflect, their indexes untouched
        op.add_column(table, sa.Column('payment_terms_days', sa.Integer(), nullable=True))
    with warnings.catch_warnings():
        # SQLite rebuilds invoices for its new foreign key and reflects the tables it refers to; their
        # expression indexes (lower(email)…) are not rebuilt, only named in a warning that says nothing here
        warnings.filterwarnings('ignore', message='Skipped unsupported reflection of expression-based index')
        _invoices_columns()
    # the order's number of the invoices issued before: the order still says it
    op.execute(
        'UPDATE invoices SET order_number = (SELECT orders.number FROM orders WHERE orders.id = invoices.order_id)'
    )


def _invoices_columns() -> None:
    with op.batch_alter_table('invoices') as batch_op:
        batch_op.add_column(sa.Column('order_number', sa.String(length=20), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('seller', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('vat_breakdown', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('supplied_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('payment_terms_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('paid_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('corrects_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_invoices_corrects_id_invoices', 'invoices', ['corrects_id'], ['id'], ondelete='SET NULL'
        )


def downgrade() -> None:
    with op.batch_alter_table('invoices') as batch_op:
        batch_op.drop_constraint('fk_invoices_corrects_id_invoices', type_='foreignkey')
        for column in (
            'corrects_id',
            'paid_at',
            'payment_terms_days',
            'due_on',
            'supplied_at',
            'vat_breakdown',
            'seller',
            'order_number',
        ):
            batch_op.drop_column(column)
    for table in ('customers', 'companies'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('payment_terms_days')
