"""SQLite's write lock held by another connection (as another process's writer would), and a short busy timeout so a
test's writes give up on it ("database is locked") in a fraction of a second rather than five."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from backoffice import db
from backoffice.config import get_settings

SQLITE_ONLY = 'SQLite only: PostgreSQL has no database-wide write lock for a job to wait on'


@contextmanager
def busy_timeout_shortened(monkeypatch: pytest.MonkeyPatch, milliseconds: int = 200) -> Iterator[None]:
    """SQLite's busy timeout at `milliseconds` for the connections made from now on (skips the test on PostgreSQL)."""
    if not get_settings().is_sqlite:
        pytest.skip(SQLITE_ONLY)
    monkeypatch.setattr(db, 'BUSY_TIMEOUT_MS', milliseconds)
    db.get_engine().dispose()
    try:
        yield
    finally:
        db.get_engine().dispose()  # the next test's connections wait the real 5 s again


@contextmanager
def sqlite_write_lock() -> Iterator[sqlite3.Connection]:
    """Another connection to the database file, to hold SQLite's write lock (`holder.execute('BEGIN IMMEDIATE')`)."""
    holder = sqlite3.connect(
        make_url(get_settings().database_url).database, isolation_level=None, check_same_thread=False
    )
    try:
        yield holder
    finally:
        if holder.in_transaction:
            holder.rollback()
        holder.close()


def transactions_held_by_others() -> int:
    """How many transactions other connections hold open right now: SQLite's write lock taken (0 or 1: tried with
    no wait from a connection of its own), on PostgreSQL the sessions "idle in transaction" or at work on its
    database. What a network call made inside a transaction leaves open while the other end takes its time."""
    if get_settings().is_sqlite:
        with sqlite_write_lock() as probe:
            probe.execute('PRAGMA busy_timeout=0')
            try:
                probe.execute('BEGIN IMMEDIATE')
            except sqlite3.OperationalError:
                return 1
            return 0
    with db.get_engine().connect() as connection:
        return connection.execute(
            text(
                'SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()'
                " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
            )
        ).scalar_one()
