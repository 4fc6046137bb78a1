"""Expression indexes on lower(...) for the fields checked for duplicates case-insensitively (email, SKU, slug):
without them every save scanned the whole table.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (('ix_customers_email_lower', 'customers', 'email'), ('ix_products_sku_lower', 'products', 'sku'),
           ('ix_content_entries_slug_lower', 'content_entries', 'slug'))


def upgrade() -> None:
    # plain CREATE INDEX, not batch mode: a batch alter would copy `customers` and drop its FTS triggers (0003)
    for name, table, column in INDEXES:
        op.create_index(name, table, [sa.text(f'lower({column})')])


def downgrade() -> None:
    for name, table, _column in INDEXES:
        op.drop_index(name, table_name=table)
