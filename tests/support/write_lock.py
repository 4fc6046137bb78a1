"""SQLite's write lock held by another connection (as another process's writer would), and a short busy timeout so a
test's writes give up on it ("database is locked") in a fraction of a second rather than five."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
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
