"""A database's rows kept in memory and put back: a test module that needs the same records before each of its many
tests builds them once, through the services, and each test after the first starts from a copy (a few inserts,
milliseconds, instead of the services' work again)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, Table, func, select, text
from sqlmodel import SQLModel

from backoffice import db

Snapshot = list[tuple[Table, list[dict]]]
T = TypeVar('T')

_built: dict[tuple[Callable, str], tuple[Snapshot, object]] = {}


def built_once(build: Callable[[], T]) -> T:
    """For a fixture whose records are the same in every test of a module: `build()` (on the emptied database, through
    the services) the first time in this process; later, its rows put back and what it returned then returned again
    (read-only: the same objects, detached, as the first test got). The database is then row for row what `build()`
    left, ids and counters included. Only for a fixture that runs first on the emptied database (the rows are put
    back with their ids): not after the `user` fixture, whose app start makes the first admin."""
    engine = db.get_engine()
    key = (build, engine.url.render_as_string(hide_password=False))
    known = _built.get(key)
    if known is not None:
        put_back(engine, known[0])
        return known[1]  # type: ignore[return-value]
    value = build()
    _built[key] = (take(engine), value)
    return value


def take(engine: Engine) -> Snapshot:
    """Every row of every table, parents before children."""
    with engine.connect() as connection:
        return [
            (table, [dict(row._mapping) for row in connection.execute(table.select())])
            for table in SQLModel.metadata.sorted_tables
        ]


def put_back(engine: Engine, snapshot: Snapshot) -> None:
    """The rows of `snapshot` inserted into the emptied tables, with their ids; on PostgreSQL each id sequence then
    continues after the largest id, as it would have after the services' own inserts."""
    with engine.begin() as connection:
        for table, rows in snapshot:
            if rows:
                connection.execute(table.insert(), rows)
        if engine.dialect.name != 'postgresql':
            return
        for table, rows in snapshot:
            key = _serial_key(table)
            if rows and key is not None:
                largest = connection.execute(select(func.max(table.c[key]))).scalar_one()
                connection.execute(
                    text('SELECT setval(pg_get_serial_sequence(:table, :column), :value)'),
                    {'table': table.name, 'column': key, 'value': largest},
                )


def _serial_key(table: Table) -> str | None:
    """The name of the table's integer primary key a sequence numbers, if it has one."""
    columns = list(table.primary_key.columns)
    if len(columns) == 1 and columns[0].autoincrement in (True, 'auto'):
        try:
            if columns[0].type.python_type is int:
                return columns[0].name
        except NotImplementedError:
            return None
    return None
