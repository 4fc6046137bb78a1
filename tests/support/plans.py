"""The statements a call runs and how the database plans them (EXPLAIN), to check that a read goes by an index."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine


def statements_of(engine: Engine, call: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The reading statements (SELECT or WITH, with their parameters) `call` sends through `engine`."""
    seen: list[tuple[str, Any]] = []

    def record(_connection, _cursor, statement, parameters, _context, _executemany) -> None:
        if statement.lstrip().upper().startswith(('SELECT', 'WITH')):
            seen.append((statement, parameters))

    event.listen(engine, 'before_cursor_execute', record)
    try:
        call()
    finally:
        event.remove(engine, 'before_cursor_execute', record)
    return seen


def plan_of(engine: Engine, statement: str, parameters: Any) -> str:
    """The plan as text: SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN with sequential scans made as costly
    as they go (on a test's tiny tables the planner would rightly prefer them; this asks whether an index can do)."""
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        cursor = raw.cursor()
        if engine.dialect.name == 'sqlite':
            cursor.execute(f'EXPLAIN QUERY PLAN {statement}', parameters)
            return '\n'.join(str(row[-1]) for row in cursor.fetchall())
        connection.execute(text('SET enable_seqscan = off'))
        cursor.execute(f'EXPLAIN {statement}', parameters)
        lines = '\n'.join(row[0] for row in cursor.fetchall())
        connection.execute(text('RESET enable_seqscan'))
        return lines
