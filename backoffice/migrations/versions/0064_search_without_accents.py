"""search without accents: customers (email, name) and requests (subject, and now their tags) are indexed folded, so
that 'Lopez' finds 'López' and 'François' is found by 'Francois' (and the other way round); a request is found by
its tags ('refund').

Both: `bo_fold(text)` (backoffice/listing/folding.py): lower case, the Latin letters' accents and marks taken off.
SQLite: a Python function registered on every connection (backoffice/db.py, and here for a connection made
elsewhere). Each FTS5 table now reads `<table>_fts_source`, a view of the folded columns (external content, so that
'rebuild' — and `search_index_suspended` — index folded text); the triggers write folded text. FTS5's own
`remove_diacritics` for trigrams needs SQLite 3.45; this runs on 3.40.
PostgreSQL: bo_fold as an IMMUTABLE SQL function over the built-in translate() (no extension: `unaccent` needs
CREATE EXTENSION and is not IMMUTABLE), and GIN trigram indexes on bo_fold(column) in place of lower(column).
NOTE: a later migration that batch-alters `customers` or `tickets` on SQLite drops these triggers with the old table:
recreate them there with `create_folded_index` below (copy it).

Revision ID: 0064
Revises: 0063
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

from backoffice.listing.folding import postgresql_fold_function, register_sqlite_fold

revision: str = '0064'
down_revision: str | None = '0063'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOLDED = {'customers': ('email', 'name'), 'tickets': ('subject', 'tags')}
BEFORE = {'customers': ('email', 'name'), 'tickets': ('subject',)}  # the lower() indexes of 0003 and 0053


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        register_sqlite_fold(bind.connection.driver_connection)
        for table, columns in FOLDED.items():
            drop_sqlite_index(table)
            create_folded_index(table, columns)
        return
    op.execute(postgresql_fold_function())
    for table, columns in BEFORE.items():
        for column in columns:
            op.execute(f'DROP INDEX IF EXISTS ix_{table}_{column}_trgm')
    for table, columns in FOLDED.items():
        for column in columns:
            text = column if column != 'tags' else 'CAST(tags AS VARCHAR)'  # a JSON list: searched as its text
            op.execute(f'CREATE INDEX ix_{table}_{column}_fold_trgm ON {table} USING gin (bo_fold({text}) gin_trgm_ops)')
            # a finer histogram, so that the planner tells rare search terms from common ones (as 0003)
            op.execute(f'ALTER INDEX ix_{table}_{column}_fold_trgm ALTER COLUMN 1 SET STATISTICS 1000')


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        register_sqlite_fold(bind.connection.driver_connection)
        for table, columns in BEFORE.items():
            drop_sqlite_index(table)
            names, fts = ', '.join(columns), f'{table}_fts'
            new, old = (', '.join(f'{row}.{c}' for c in columns) for row in ('new', 'old'))
            op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', content_rowid='id', "
                       "tokenize='trigram')")
            _triggers(table, columns, new, old)
            op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
        return
    for table, columns in FOLDED.items():
        for column in columns:
            op.execute(f'DROP INDEX IF EXISTS ix_{table}_{column}_fold_trgm')
    for table, columns in BEFORE.items():
        for column in columns:
            op.execute(f'CREATE INDEX ix_{table}_{column}_trgm ON {table} USING gin (lower({column}) gin_trgm_ops)')
            op.execute(f'ALTER INDEX ix_{table}_{column}_trgm ALTER COLUMN 1 SET STATISTICS 1000')
    op.execute('DROP FUNCTION IF EXISTS bo_fold(text)')


def create_folded_index(table: str, columns: Sequence[str]) -> None:
    """`<table>_fts`: trigram FTS5 over bo_fold(column) of each of `columns`, read from the view `<table>_fts_source`
    (external content, by id) and kept in step by triggers that write the same folded text."""
    fts, names = f'{table}_fts', ', '.join(columns)
    folded = ', '.join(f'bo_fold({c}) AS {c}' for c in columns)
    op.execute(f'CREATE VIEW {fts}_source AS SELECT id, {folded} FROM {table}')
    op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{fts}_source', content_rowid='id', "
               "tokenize='trigram')")
    new, old = (', '.join(f'bo_fold({row}.{c})' for c in columns) for row in ('new', 'old'))
    _triggers(table, columns, new, old)
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # index the rows already there


def _triggers(table: str, columns: Sequence[str], new: str, old: str) -> None:
    fts, names = f'{table}_fts', ', '.join(columns)
    op.execute(f'CREATE TRIGGER {fts}_after_insert AFTER INSERT ON {table} BEGIN '
               f'INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END')
    op.execute(f'CREATE TRIGGER {fts}_after_delete AFTER DELETE ON {table} BEGIN '
               f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); END")
    op.execute(f'CREATE TRIGGER {fts}_after_update AFTER UPDATE OF {names} ON {table} BEGIN '
               f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); "
               f'INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END')


def drop_sqlite_index(table: str) -> None:
    fts = f'{table}_fts'
    for event in ('insert', 'delete', 'update'):
        op.execute(f'DROP TRIGGER IF EXISTS {fts}_after_{event}')
    op.execute(f'DROP TABLE IF EXISTS {fts}')
    op.execute(f'DROP VIEW IF EXISTS {fts}_source')
