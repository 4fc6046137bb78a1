"""Emptying the worker's database between tests: only the tables the last test wrote to.

A test writes to a handful of the 87 tables, yet every table was emptied after every test. On PostgreSQL that was one
`TRUNCATE … RESTART IDENTITY CASCADE` of all 87, about a second of the server's time per test on this machine (new
files for every table and index, fsynced at the commit); on SQLite 87 DELETEs, ~5 ms of CPU. Now one query asks
which tables hold rows and only those are emptied (DELETE, children first); on PostgreSQL the id sequences that have
handed out a number since their last reset (a row inserted then deleted, or an insert rolled back, moves one too) are
set back to their start, as RESTART IDENTITY did. The database is in the same state as after emptying every table:
every table empty, every owned sequence back at its start.

The question is asked of the database, not of the test process, so writes made by subprocesses (the CLI, a second app)
count too. It is asked inside the emptying's own transaction: on SQLite that transaction begins IMMEDIATE (holding the
write lock, so a write still finishing in a worker thread is committed before the question is asked); on PostgreSQL,
where a question cannot wait for another transaction, any other session open in a transaction on this database (a
previous test's page finishing a write) makes it empty every table as before."""

from __future__ import annotations

import time
from functools import cache

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

# the id sequences owned by a table's column (serial or identity) that have handed out a number since their last reset,
# with their table
_USED_SEQUENCES = """
SELECT owner.relname, format('%I.%I', used.schemaname, used.sequencename), used.start_value FROM pg_sequences used
JOIN pg_namespace space ON space.nspname = used.schemaname
JOIN pg_class sequence ON sequence.relname = used.sequencename AND sequence.relnamespace = space.oid
JOIN pg_depend owned ON owned.classid = 'pg_class'::regclass AND owned.objid = sequence.oid
    AND owned.refclassid = 'pg_class'::regclass AND owned.deptype IN ('a', 'i')
JOIN pg_class owner ON owner.oid = owned.refobjid
WHERE used.last_value IS NOT NULL AND used.schemaname = current_schema()
"""

# another session of this database inside a transaction: it may be writing rows this transaction cannot see yet
_OTHERS_IN_A_TRANSACTION = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
    AND xact_start IS NOT NULL
"""


@cache
def _tables() -> tuple[str, ...]:
    """Every table of the models, children before parents (the order DELETE needs)."""
    return tuple(table.name for table in reversed(SQLModel.metadata.sorted_tables))


@cache
def _holding_rows_query() -> str:
    return ' UNION ALL '.join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in _tables())


def empty_written_tables(engine: Engine) -> None:
    """Every table of the models empty (and on PostgreSQL every owned id sequence back at its start), as if every
    table had been emptied."""
    for attempt in range(5):
        try:
            with engine.begin() as connection:
                if connection.dialect.name == 'postgresql':
                    _empty_on_postgresql(connection)
                else:
                    _delete_rows(connection, _holding_rows(connection))
            return
        except OperationalError:
            # the previous test's page may still be finishing a write in a worker thread; PostgreSQL then picks the
            # emptying as the deadlock victim: wait for that write and empty again
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


def _holding_rows(connection) -> set[str]:
    return {name for (name,) in connection.execute(text(_holding_rows_query()))}


def _delete_rows(connection, names: set[str]) -> None:
    for name in _tables():  # children first
        if name in names:
            connection.execute(text(f'DELETE FROM {name}'))


def _empty_on_postgresql(connection) -> None:
    """DELETE rather than TRUNCATE: a TRUNCATE must name (or CASCADE to) every table referencing the ones it empties,
    which for `users` is most of the schema, and each table it names costs new files. The sequences that moved are
    set back to their start, as TRUNCATE's RESTART IDENTITY did."""
    if connection.execute(text(_OTHERS_IN_A_TRANSACTION)).scalar_one():
        connection.execute(text(f'TRUNCATE {", ".join(_tables())} RESTART IDENTITY CASCADE'))  # as before
        return
    used = connection.execute(text(_USED_SEQUENCES)).all()
    _delete_rows(connection, _holding_rows(connection))
    for _table, sequence, start in used:
        connection.execute(
            text('SELECT setval(CAST(:sequence AS regclass), :start, false)'), {'sequence': sequence, 'start': start}
        )
