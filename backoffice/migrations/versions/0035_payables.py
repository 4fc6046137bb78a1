"""Payables (issue #15): suppliers, their bills with lines and payments; purchase orders refer to a supplier (the
free-text supplier names of existing purchases become supplier rows, one per name whatever its case and spaces).

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0035'
down_revision: str | None = '0034'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'suppliers',
        sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('vat_number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('iban', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('bic', sqlmodel.sql.sqltypes.AutoString(length=11), nullable=True),
        sa.Column('payment_terms_days', sa.Integer(), nullable=False),
        sa.Column('contact_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column('contact_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column('contact_phone', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('suppliers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suppliers_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_suppliers_name'), ['name'], unique=False)
    ops = ' text_pattern_ops' if op.get_bind().dialect.name == 'postgresql' else ''
    op.execute(f'CREATE INDEX ix_suppliers_name_lower ON suppliers (lower(name){ops})')

    op.create_table(
        'supplier_bills',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('supplier_id', sa.Integer(), nullable=False),
        sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column(
            'status',
            sa.Enum(
                'draft',
                'awaiting_approval',
                'approved',
                'partly_paid',
                'paid',
                'cancelled',
                name='billstatus',
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column('net_total', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('vat_total', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('total', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('paid', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('purchase_id', sa.Integer(), nullable=True),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('pdf_stored', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('pdf_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('entered_by', sa.Integer(), nullable=True),
        sa.Column('approved_by', sa.Integer(), nullable=True),
        sa.Column('approved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('payment_sent_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['approved_by'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['entered_by'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['purchase_id'], ['purchases.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('purchase_id'),
        sa.UniqueConstraint('supplier_id', 'number', name='uq_supplier_bills_supplier_number'),
    )
    with op.batch_alter_table('supplier_bills', schema=None) as batch_op:
        batch_op.create_index('ix_supplier_bills_due_id', ['due_on', 'id'], unique=False)
        batch_op.create_index('ix_supplier_bills_issued_id', ['issued_on', 'id'], unique=False)
        batch_op.create_index('ix_supplier_bills_status_due', ['status', 'due_on', 'id'], unique=False)
        batch_op.create_index('ix_supplier_bills_supplier', ['supplier_id', 'id'], unique=False)

    op.create_table(
        'supplier_bill_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('bill_id', sa.Integer(), nullable=False),
        sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column('unit_price', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('vat_rate', sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column('net', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['bill_id'], ['supplier_bills.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('supplier_bill_lines', schema=None) as batch_op:
        batch_op.create_index('ix_supplier_bill_lines_bill', ['bill_id', 'id'], unique=False)

    op.create_table(
        'bill_payments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('bill_id', sa.Integer(), nullable=False),
        sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('paid_on', sa.Date(), nullable=False),
        sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('bank_line_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['bank_line_id'], ['bank_lines.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['bill_id'], ['supplier_bills.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('bill_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bill_payments_bank_line_id'), ['bank_line_id'], unique=False)
        batch_op.create_index('ix_bill_payments_bill', ['bill_id', 'id'], unique=False)

    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supplier_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_purchases_supplier_id'), ['supplier_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_purchases_supplier_id', 'suppliers', ['supplier_id'], ['id'], ondelete='SET NULL'
        )

    suppliers_from_purchase_text()


def suppliers_from_purchase_text() -> None:
    """One supplier per distinct name typed on purchases (compared trimmed, spaces collapsed, case folded)."""
    bind = op.get_bind()
    purchases = sa.table(
        'purchases', sa.column('id', sa.Integer), sa.column('supplier', sa.String), sa.column('supplier_id', sa.Integer)
    )
    suppliers = sa.table(
        'suppliers',
        sa.column('id', sa.Integer),
        sa.column('name', sa.String),
        sa.column('payment_terms_days', sa.Integer),
        sa.column('notes', sa.Text),
        sa.column('created_at', sqlmodel.sql.sqltypes.UTCDateTime),
        sa.column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime),
        sa.column('version', sa.Integer),
    )
    by_name: dict[str, list[int]] = {}
    spelled: dict[str, str] = {}
    for purchase_id, text in bind.execute(sa.select(purchases.c.id, purchases.c.supplier).order_by(purchases.c.id)):
        name = ' '.join((text or '').split())[:200]
        if not name:
            continue
        key = name.casefold()
        spelled.setdefault(key, name)
        by_name.setdefault(key, []).append(purchase_id)
    now = datetime.now(UTC)
    for key, ids in by_name.items():
        supplier_id = bind.execute(
            suppliers.insert()
            .values(name=spelled[key], payment_terms_days=30, notes='', created_at=now, updated_at=now, version=1)
            .returning(suppliers.c.id)
        ).scalar_one()
        for start in range(0, len(ids), 500):
            bind.execute(
                purchases.update().where(purchases.c.id.in_(ids[start : start + 500])).values(supplier_id=supplier_id)
            )


def downgrade() -> None:
    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.drop_constraint('fk_purchases_supplier_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_purchases_supplier_id'))
        batch_op.drop_column('supplier_id')

    with op.batch_alter_table('bill_payments', schema=None) as batch_op:
        batch_op.drop_index('ix_bill_payments_bill')
        batch_op.drop_index(batch_op.f('ix_bill_payments_bank_line_id'))

    op.drop_table('bill_payments')
    with op.batch_alter_table('supplier_bill_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_supplier_bill_lines_bill')

    op.drop_table('supplier_bill_lines')
    with op.batch_alter_table('supplier_bills', schema=None) as batch_op:
        batch_op.drop_index('ix_supplier_bills_supplier')
        batch_op.drop_index('ix_supplier_bills_status_due')
        batch_op.drop_index('ix_supplier_bills_issued_id')
        batch_op.drop_index('ix_supplier_bills_due_id')

    op.drop_table('supplier_bills')
    op.execute('DROP INDEX ix_suppliers_name_lower')
    with op.batch_alter_table('suppliers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suppliers_name'))
        batch_op.drop_index(batch_op.f('ix_suppliers_deleted_at'))

    op.drop_table('suppliers')
