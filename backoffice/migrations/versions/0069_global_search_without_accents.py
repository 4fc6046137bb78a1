"""the header's search without accents: its prefix indexes on names (customers, companies, products) and content
titles hold bo_fold(column) — lower case, accents off, the function of 0064 — in place of lower(column), so that
'Lopez' finds 'López' and 'López' finds 'Lopez'. SQLite: a range on the index (bo_fold is the Python function each
connection registers, registered here too); PostgreSQL: LIKE 'x%' (text_pattern_ops, as 0017).
NOTE: as 0064's tables, companies, products and content_entries are then written through the app only on SQLite (the
sqlite3 shell has no bo_fold).

Revision ID: 0069
Revises: 0068
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

from backoffice.listing.folding import register_sqlite_fold

revision: str = '0069'
down_revision: str | None = '0068'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAMES = (  # (table, column, the index of 0017, the new one)
    ('customers', 'name', 'ix_customers_name_lower', 'ix_customers_name_fold'),
    ('companies', 'name', 'ix_companies_name_lower', 'ix_companies_name_fold'),
    ('products', 'name', 'ix_products_name_lower', 'ix_products_name_fold'),
    ('content_entries', 'title', 'ix_content_entries_title_lower', 'ix_content_entries_title_fold'),
)


def upgrade() -> None:
    # plain CREATE INDEX, not batch mode: a batch alter would copy `customers` and drop its FTS triggers (0064)
    bind = op.get_bind()
    ops = ' text_pattern_ops' if bind.dialect.name == 'postgresql' else ''
    if bind.dialect.name == 'sqlite':
        register_sqlite_fold(bind.connection.driver_connection)
    for table, column, old, new in NAMES:
        op.execute(f'DROP INDEX IF EXISTS {old}')
        op.execute(f'CREATE INDEX {new} ON {table} (bo_fold({column}){ops})')


def downgrade() -> None:
    ops = ' text_pattern_ops' if op.get_bind().dialect.name == 'postgresql' else ''
    for table, column, old, new in NAMES:
        op.execute(f'DROP INDEX IF EXISTS {new}')
        op.execute(f'CREATE INDEX {old} ON {table} (lower({column}){ops})')
