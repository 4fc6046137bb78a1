"""audit log: a search index (as 0003 for customers) and an index for filtering by record type, newest first

SQLite: an FTS5 table `audit_log_fts` (trigram tokenizer, external content on `audit_log`) over who, what and the
summary, kept in step by triggers; it is not part of the SQLModel metadata (`backoffice.listing.search.include_name`).
PostgreSQL: GIN trigram indexes on lower(actor_email), lower(action) and lower(summary), declared on the model too.
Both: (entity, at, id), so that the list filtered by a record type reads an index in order.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 07:06:03.287276
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCHED = ('actor_email', 'action', 'summary')


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_entity_at', ['entity', 'at', 'id'], unique=False)

    if op.get_bind().dialect.name == 'sqlite':
        create_sqlite_search_index('audit_log', SEARCHED)
    else:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for column in SEARCHED:
            op.execute(f'CREATE INDEX ix_audit_log_{column}_trgm ON audit_log USING gin (lower({column}) gin_trgm_ops)')
            op.execute(f'ALTER INDEX ix_audit_log_{column}_trgm ALTER COLUMN 1 SET STATISTICS 1000')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        drop_sqlite_search_index('audit_log')
    else:
        for column in SEARCHED:
            op.execute(f'DROP INDEX IF EXISTS ix_audit_log_{column}_trgm')

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_entity_at')


def create_sqlite_search_index(table: str, columns: Sequence[str]) -> None:
    """`<table>_fts`: trigram FTS5 over `columns`, reading the text from `table` (external content, by id); as 0003."""
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
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def drop_sqlite_search_index(table: str) -> None:
    fts = f'{table}_fts'
    for event in ('insert', 'delete', 'update'):
        op.execute(f'DROP TRIGGER IF EXISTS {fts}_after_{event}')
    op.execute(f'DROP TABLE IF EXISTS {fts}')
