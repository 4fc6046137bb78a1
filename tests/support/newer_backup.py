"""A backup as a newer version of Backoffice would have taken it: its schema at a migration this version does not
know."""

from __future__ import annotations

from sqlalchemy import text

from backoffice import db
from backoffice.config import Settings
from backoffice.models import User
from backoffice.services import backups

FUTURE_REVISION = '9999_from_a_newer_version'


def backup_from_a_newer_version(admin: User, settings: Settings) -> backups.Backup:
    """This database's backup, taken while its alembic_version named a migration from the future (set back after)."""
    head = db.core_head(db.alembic_config())
    engine = db.get_engine()
    with engine.begin() as connection:
        connection.execute(
            text('UPDATE alembic_version SET version_num = :future WHERE version_num = :head'),
            {'future': FUTURE_REVISION, 'head': head},
        )
    try:
        with db.session_scope() as session:
            return backups.take_backup(session=session, actor=admin, settings=settings)
    finally:
        with engine.begin() as connection:
            connection.execute(
                text('UPDATE alembic_version SET version_num = :head WHERE version_num = :future'),
                {'future': FUTURE_REVISION, 'head': head},
            )


def schema_revisions() -> set[str]:
    with db.get_engine().connect() as connection:
        return {row[0] for row in connection.execute(text('SELECT version_num FROM alembic_version'))}
