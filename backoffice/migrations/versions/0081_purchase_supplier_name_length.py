"""A purchase keeps its supplier's whole name: `purchases.supplier` (the supplier's name as it was when ordered) held
120 characters where a supplier's name holds 200, so a purchase from a supplier with a longer name was stored cut
(services/purchases cut it to fit) and a typed one was refused. The column now holds 200, as `suppliers.name`.

Going back cuts the names longer than 120 to fit (PostgreSQL refuses to narrow a column over longer values).

Revision ID: 0081
Revises: 0080
Create Date: 2026-12-07
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0081'
down_revision: str | None = '0080'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = 200  # suppliers.name (models/payables.Supplier)
BEFORE = 120

purchases = sa.table('purchases', sa.column('supplier', sa.String()))

# SQLite's batch mode reflects the tables purchases points to (suppliers): their expression index (lower(name)) is not
# rebuilt, only named in a warning that says nothing here
QUIET = 'Skipped unsupported reflection of expression-based index'


def upgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message=QUIET)
        with op.batch_alter_table('purchases', schema=None) as batch_op:
            batch_op.alter_column(
                'supplier', existing_type=sa.String(length=BEFORE), type_=sa.String(length=NAME), existing_nullable=False
            )


def downgrade() -> None:
    op.get_bind().execute(
        purchases.update()
        .where(sa.func.length(purchases.c.supplier) > BEFORE)
        .values(supplier=sa.func.substr(purchases.c.supplier, 1, BEFORE))
    )
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message=QUIET)
        with op.batch_alter_table('purchases', schema=None) as batch_op:
            batch_op.alter_column(
                'supplier', existing_type=sa.String(length=NAME), type_=sa.String(length=BEFORE), existing_nullable=False
            )
