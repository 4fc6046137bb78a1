"""Indexes on lower(...) that answer "starts with" for the header's search (customers' and orders' email, names of
customers, companies and products, content titles): SQLite reads them for a range, PostgreSQL for LIKE 'x%', for which
its indexes are text_pattern_ops (the existing lower(email), lower(sku) and lower(slug) indexes are remade so; they
still answer the duplicate checks' equality).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = (
    ('ix_customers_name_lower', 'customers', 'name'),
    ('ix_companies_name_lower', 'companies', 'name'),
    ('ix_products_name_lower', 'products', 'name'),
    ('ix_content_entries_title_lower', 'content_entries', 'title'),
    ('ix_orders_email_lower', 'orders', 'email'),
)
REMADE = (  # from 0006, plain lower(...) until now
    ('ix_customers_email_lower', 'customers', 'email'),
    ('ix_products_sku_lower', 'products', 'sku'),
    ('ix_content_entries_slug_lower', 'content_entries', 'slug'),
)


def upgrade() -> None:
    # plain CREATE INDEX, not batch mode: a batch alter would copy `customers` and drop its FTS triggers (0003)
    postgresql = op.get_bind().dialect.name == 'postgresql'
    ops = ' text_pattern_ops' if postgresql else ''
    for name, table, column in NEW:
        op.execute(f'CREATE INDEX {name} ON {table} (lower({column}){ops})')
    if postgresql:
        for name, table, column in REMADE:
            op.execute(f'DROP INDEX {name}')
            op.execute(f'CREATE INDEX {name} ON {table} (lower({column}) text_pattern_ops)')


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for name, _table, _column in NEW:
        op.execute(f'DROP INDEX {name}')
    if postgresql:
        for name, table, column in REMADE:
            op.execute(f'DROP INDEX {name}')
            op.execute(f'CREATE INDEX {name} ON {table} (lower({column}))')
