"""search indexes for customers, keyset indexes for the remaining sortable columns

SQLite: an FTS5 table `customers_fts` (trigram tokenizer, external content on `customers`) kept in sync by three
triggers. It is not part of the SQLModel metadata (see `backoffice.listing.search.include_name`, which env.py uses to leave it
out of autogenerate). NOTE: a later migration that batch-alters `customers` on SQLite (copy and rename) drops these
triggers with the old table: recreate them there with `create_sqlite_search_index('customers', ...)` below (copy it).
PostgreSQL: the pg_trgm extension and GIN trigram indexes on lower(email) and lower(name), declared on the model too.
Both: indexes on (status, id) and (marketing_consent, id), so that sorting by those columns reads an index in order.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:00:00.000000
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCHED = ('email', 'name')


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index('ix_customers_status_id', ['status', 'id'], unique=False)
        batch_op.create_index('ix_customers_consent_id', ['marketing_consent', 'id'], unique=False)

    if op.get_bind().dialect.name == 'sqlite':
        create_sqlite_search_index('customers', SEARCHED)
    else:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for column in SEARCHED:
            op.execute(f'CREATE INDEX ix_customers_{column}_trgm ON customers USING gin (lower({column}) gin_trgm_ops)')
            # a finer histogram of lower(column), so that the planner tells rare search terms from common ones
            op.execute(f'ALTER INDEX ix_customers_{column}_trgm ALTER COLUMN 1 SET STATISTICS 1000')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        drop_sqlite_search_index('customers')
    else:
        for column in SEARCHED:
            op.execute(f'DROP INDEX IF EXISTS ix_customers_{column}_trgm')

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_consent_id')
        batch_op.drop_index('ix_customers_status_id')


def create_sqlite_search_index(table: str, columns: Sequence[str]) -> None:
    """`<table>_fts`: trigram FTS5 over `columns`, reading the text from `table` (external content, by id)."""
    names = ', '.join(columns)
    new = ', '.join(f'new.{c}' for c in columns)
    old = ', '.join(f'old.{c}' for c in columns)
    fts = f'{table}_fts'
    op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', content_rowid='id', "
               "tokenize='trigram')")
    op.execute(f'CREATE TRIGGER {fts}_after_insert AFTER INSERT ON {table} BEGIN '
               f'INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END')
    op.execute(f'CREATE TRIGGER {fts}_after_delete AFTER DELETE ON {table} BEGIN '
               f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); END")
    op.execute(f'CREATE TRIGGER {fts}_after_update AFTER UPDATE OF {names} ON {table} BEGIN '
               f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); "
               f'INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END')
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # index the rows already there


def drop_sqlite_search_index(table: str) -> None:
    fts = f'{table}_fts'
    for event in ('insert', 'delete', 'update'):
        op.execute(f'DROP TRIGGER IF EXISTS {fts}_after_{event}')
    op.execute(f'DROP TABLE IF EXISTS {fts}')
