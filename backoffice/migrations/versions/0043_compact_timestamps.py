"""Disk (issue #20): on SQLite every instant (each DATETIME column of every table) is stored as an integer, microseconds
since the Unix epoch in UTC (models.base.UTCTimestamp), instead of 26 characters of text ('2026-02-26 14:37:29.881956'):
8 bytes in the row and in each index that holds it, exact, and sorted as the instants are. The columns keep their
declared type (DATETIME has NUMERIC affinity: SQLite stores an integer as an integer), so no table is copied.
The downgrade writes the text back. PostgreSQL keeps timestamptz: nothing to do there.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-04
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = '0043'
down_revision: str | None = '0042'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# the text SQLAlchemy writes ('YYYY-MM-DD HH:MM:SS.ffffff', UTC): converted in SQL, exactly; any other text is parsed
# in Python below (a raw insert may have written '2026-01-01 00:00:00' or an ISO form with 'T' or an offset)
CANONICAL = '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]'
BATCH = 5000


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != 'sqlite':
        return
    for table, columns in _instant_columns(connection).items():
        sets = ', '.join(
            f'"{c}" = CASE WHEN typeof("{c}") = \'text\' AND "{c}" GLOB \'{CANONICAL}\' '
            f'THEN CAST(strftime(\'%s\', substr("{c}", 1, 19)) AS INTEGER) * 1000000 '
            f'+ CAST(substr("{c}", 21, 6) AS INTEGER) ELSE "{c}" END'
            for c in columns
        )
        connection.exec_driver_sql(f'UPDATE "{table}" SET {sets}')
        for column in columns:
            _convert_the_rest(connection, table, column)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != 'sqlite':
        return
    for table, columns in _instant_columns(connection).items():
        # whole seconds rounded down (also before 1970, where SQLite's division rounds towards zero) and the rest
        micro = '((("{c}" % 1000000) + 1000000) % 1000000)'
        sets = ', '.join(
            f'"{c}" = CASE WHEN typeof("{c}") = \'integer\' '
            f'THEN strftime(\'%Y-%m-%d %H:%M:%S\', ("{c}" - {micro.format(c=c)}) / 1000000, \'unixepoch\') '
            f"|| '.' || printf('%06d', {micro.format(c=c)}) ELSE \"{c}\" END"
            for c in columns
        )
        connection.exec_driver_sql(f'UPDATE "{table}" SET {sets}')


def _instant_columns(connection: sa.Connection) -> dict[str, list[str]]:
    """{table: [its DATETIME columns]}, every table of the database (the installed extensions' too)."""
    tables = [
        name
        for (name,) in connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
        )
    ]
    found: dict[str, list[str]] = {}
    for table in tables:
        columns = [
            row[1]
            for row in connection.exec_driver_sql(f'PRAGMA table_info("{table}")')
            if str(row[2]).upper() in {'DATETIME', 'TIMESTAMP'}
        ]
        if columns:
            found[table] = columns
    return found


def _convert_the_rest(connection: sa.Connection, table: str, column: str) -> None:
    """Text in another form than SQLAlchemy's: parsed as ISO 8601, UTC when it names no offset; a value that is no
    instant stops the migration (it would sort before every converted one)."""
    while True:
        rows = connection.exec_driver_sql(
            f'SELECT rowid, "{column}" FROM "{table}" WHERE typeof("{column}") = \'text\' LIMIT {BATCH}'
        ).all()
        if not rows:
            return
        values = []
        for rowid, value in rows:
            try:
                instant = datetime.fromisoformat(value)
            except ValueError as error:
                raise RuntimeError(f'{table}.{column} (rowid {rowid}) holds {value!r}, which is no instant') from error
            if instant.utcoffset() is None:
                instant = instant.replace(tzinfo=UTC)
            values.append(((instant - EPOCH) // MICROSECOND, rowid))
        connection.exec_driver_sql(f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?', values)
