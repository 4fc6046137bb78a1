"""requests: a search index on the subject (as 0003 for customers and 0016 for the audit log), so that the Requests
list's search — the subject, and the customer's name or email through the customers' own index (`search_related`) —
reads indexes instead of every request, and counts what it finds exactly.

SQLite: an FTS5 table `tickets_fts` (trigram tokenizer, external content on `tickets`) over the subject, kept in step
by triggers; it is not part of the SQLModel metadata (`backoffice.listing.search.include_name`).
PostgreSQL: a GIN trigram index on lower(subject), declared on the model too.

Revision ID: 0053
Revises: 0052
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0053'
down_revision: str | None = '0052'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS = 'tickets_fts'


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            f"CREATE VIRTUAL TABLE {FTS} USING fts5(subject, content='tickets', content_rowid='id', tokenize='trigram')"
        )
        op.execute(
            f'CREATE TRIGGER {FTS}_after_insert AFTER INSERT ON tickets BEGIN '
            f'INSERT INTO {FTS}(rowid, subject) VALUES (new.id, new.subject); END'
        )
        op.execute(
            f'CREATE TRIGGER {FTS}_after_delete AFTER DELETE ON tickets BEGIN '
            f"INSERT INTO {FTS}({FTS}, rowid, subject) VALUES ('delete', old.id, old.subject); END"
        )
        op.execute(
            f'CREATE TRIGGER {FTS}_after_update AFTER UPDATE OF subject ON tickets BEGIN '
            f"INSERT INTO {FTS}({FTS}, rowid, subject) VALUES ('delete', old.id, old.subject); "
            f'INSERT INTO {FTS}(rowid, subject) VALUES (new.id, new.subject); END'
        )
        op.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")
    else:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute('CREATE INDEX ix_tickets_subject_trgm ON tickets USING gin (lower(subject) gin_trgm_ops)')
        op.execute('ALTER INDEX ix_tickets_subject_trgm ALTER COLUMN 1 SET STATISTICS 1000')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for event in ('insert', 'delete', 'update'):
            op.execute(f'DROP TRIGGER IF EXISTS {FTS}_after_{event}')
        op.execute(f'DROP TABLE IF EXISTS {FTS}')
    else:
        op.execute('DROP INDEX IF EXISTS ix_tickets_subject_trgm')
