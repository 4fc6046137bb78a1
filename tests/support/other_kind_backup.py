"""A backup of the other kind of database in the backups folder: on PostgreSQL, a SQLite backup left from before the
move (copy-database); on SQLite, a PostgreSQL dump."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from backoffice import db
from backoffice.config import Settings
from backoffice.services import backups


def backup_of_the_other_kind(settings: Settings, name: str = 'backoffice-20260101-000000') -> Path:
    """On PostgreSQL a SQLite file that passes the restore's checks (readable, intact, a users table, a schema this
    version knows), so that only its kind refuses it; on SQLite a file named as a dump. Listed as verified."""
    folder = backups.folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    if settings.is_sqlite:
        path = folder / f'{name}.dump'
        path.write_bytes(b'PGDMP a dump taken on PostgreSQL')
    else:
        path = folder / f'{name}.db'
        connection = sqlite3.connect(path)
        connection.execute('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)')
        connection.execute('CREATE TABLE alembic_version (version_num TEXT)')
        connection.execute('INSERT INTO alembic_version VALUES (?)', (db.core_head(db.alembic_config()),))
        connection.commit()
        connection.close()
    check = {'verified': True, 'check': 'Verified: 2 tables, 1 rows, the same as the database.'}
    path.with_name(path.name + '.check.json').write_text(json.dumps(check))
    return path
