"""The databases tests run on: one per pytest-xdist worker (a SQLite file, or `<database>_gw0`… on the PostgreSQL
server BACKOFFICE_TEST_DATABASE_URL names), and fresh throwaway ones for the browser tests' server."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def worker() -> str:
    """This process's pytest-xdist worker ('gw0', 'gw1', …), or '' without xdist."""
    return os.environ.get('PYTEST_XDIST_WORKER', '')


def configured_url() -> str:
    return os.environ.get('BACKOFFICE_TEST_DATABASE_URL', '')


def worker_database(folder: Path) -> tuple[str, Callable[[], None]]:
    """This worker's database URL and how to drop it afterwards: a SQLite file in `folder`, or on PostgreSQL the
    configured database itself (no xdist) or a fresh `<database>_<worker>` beside it."""
    if not configured_url().startswith('postgresql'):
        name = f'test-{worker()}.db' if worker() else 'test.db'
        return f'sqlite:///{folder / name}', lambda: None
    if not worker():
        return configured_url(), lambda: None
    return fresh_postgresql_database(worker())


def fresh_database(folder: Path, suffix: str) -> tuple[str, Callable[[], None]]:
    """A database of its own: `<database>_<suffix>` on PostgreSQL, else a new SQLite file in `folder`."""
    if not configured_url().startswith('postgresql'):
        return f'sqlite:///{folder / f"{suffix}.db"}', lambda: None
    return fresh_postgresql_database(suffix)


def fresh_postgresql_database(suffix: str) -> tuple[str, Callable[[], None]]:
    """Create `<configured database>_<suffix>` (dropping a leftover one) and return its URL and how to drop it."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(configured_url())
    name = f'{url.database}_{suffix}'
    server_conninfo = url.set(drivername='postgresql').render_as_string(hide_password=False)

    def run(statement: str) -> None:
        with psycopg.connect(server_conninfo, autocommit=True) as connection:
            connection.execute(statement)

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False), lambda: run(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    )
