"""a search index over companies (name, VAT number; accents folded, as customers): the customers list finds a company's
members by its name ('Acme' finds Acme's contacts, through `search_related`), read by this index and the index on
customers.company_id instead of testing every customer.

SQLite: an FTS5 trigram table `companies_fts` over bo_fold(name) and bo_fold(vat_number), reading the view
`companies_fts_source`, kept in step by triggers (as 0064; bo_fold registered here for a connection made elsewhere).
PostgreSQL: GIN trigram indexes on bo_fold(name) and bo_fold(vat_number) (bo_fold: 0064).
NOTE: a later migration that batch-alters `companies` on SQLite drops these triggers with the old table: recreate them
there (`create_folded_index` below).

Revision ID: 0071
Revises: 0070
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

from backoffice.listing.folding import register_sqlite_fold

revision: str = '0071'
down_revision: str | None = '0070'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = 'companies'
COLUMNS = ('name', 'vat_number')


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        register_sqlite_fold(bind.connection.driver_connection)
        create_folded_index(TABLE, COLUMNS)
        return
    for column in COLUMNS:
        op.execute(f'CREATE INDEX ix_{TABLE}_{column}_fold_trgm ON {TABLE} USING gin (bo_fold({column}) gin_trgm_ops)')
        # a finer histogram, so that the planner tells rare search terms from common ones (as 0003)
        op.execute(f'ALTER INDEX ix_{TABLE}_{column}_fold_trgm ALTER COLUMN 1 SET STATISTICS 1000')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        fts = f'{TABLE}_fts'
        for event in ('insert', 'delete', 'update'):
            op.execute(f'DROP TRIGGER IF EXISTS {fts}_after_{event}')
        op.execute(f'DROP TABLE IF EXISTS {fts}')
        op.execute(f'DROP VIEW IF EXISTS {fts}_source')
        return
    for column in COLUMNS:
        op.execute(f'DROP INDEX IF EXISTS ix_{TABLE}_{column}_fold_trgm')


def create_folded_index(table: str, columns: Sequence[str]) -> None:
    """`<table>_fts`: trigram FTS5 over bo_fold(column) of each of `columns`, read from the view `<table>_fts_source`
    (external content, by id) and kept in step by triggers that write the same folded text (as 0064)."""
    fts, names = f'{table}_fts', ', '.join(columns)
    folded = ', '.join(f'bo_fold({c}) AS {c}' for c in columns)
    op.execute(f'CREATE VIEW {fts}_source AS SELECT id, {folded} FROM {table}')
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{fts}_source', content_rowid='id', "
        "tokenize='trigram')"
    )
    new, old = (', '.join(f'bo_fold({row}.{c})' for c in columns) for row in ('new', 'old'))
    op.execute(
        f'CREATE TRIGGER {fts}_after_insert AFTER INSERT ON {table} BEGIN '
        f'INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END'
    )
    op.execute(
        f'CREATE TRIGGER {fts}_after_delete AFTER DELETE ON {table} BEGIN '
        f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); END"
    )
    op.execute(
        f'CREATE TRIGGER {fts}_after_update AFTER UPDATE OF {names} ON {table} BEGIN '
        f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); "
        f'INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END'
    )
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # index the rows already there
