"""The statements a call (or a block: a page build) runs, and how the database plans them (EXPLAIN), to check that a
read goes by an index or that a screen reads a table once."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from backoffice.services import app_settings


def statements_of(engine: Engine, call: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The reading statements (SELECT or WITH, with their parameters) `call` sends through `engine`."""
    with statements_during(engine) as seen:
        call()
    return seen


@contextmanager
def statements_during(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The reading statements (SELECT or WITH, with their parameters) sent through `engine` inside the block, from
    any thread (a page's build, its worker-thread reads, its timers), in the list given."""
    seen: list[tuple[str, Any]] = []

    def record(_connection, _cursor, statement, parameters, _context, _executemany) -> None:
        if statement.lstrip().upper().startswith(('SELECT', 'WITH')):
            seen.append((statement, parameters))

    event.listen(engine, 'before_cursor_execute', record)
    try:
        yield seen
    finally:
        event.remove(engine, 'before_cursor_execute', record)


def reading(statements: list[tuple[str, Any]], table: str) -> list[str]:
    """The statements that read this table (named after FROM or JOIN, quoted or not)."""
    pattern = re.compile(rf'\b(?:FROM|JOIN)\s+"?{re.escape(table)}"?\b', re.IGNORECASE)
    return [statement for statement, _parameters in statements if pattern.search(statement)]


async def let_the_page_run(rounds: int = 20) -> None:
    """A few turns of the event loop (no wall time): what a page started as it connected (a timer's immediate first
    run, a handler) runs its synchronous reads meanwhile; a timer's later runs (seconds away) do not."""
    for _ in range(rounds):
        await asyncio.sleep(0)


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


def settings_cache_held(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every setting in the process's short cache (`app_settings.cached`), held there for the test: a count of the
    statements that read `app_settings` then sees a screen's own reads, not a cache that happened to expire."""
    monkeypatch.setattr(app_settings, 'CACHE_SECONDS', 3600.0)
    for key in app_settings.BY_KEY:
        app_settings.cached(key)
