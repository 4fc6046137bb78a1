"""The database under the app: safe SQLite settings, no lost updates, migrations that match the models."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import backoffice.models  # noqa: F401  (registers every table on the metadata)
from backoffice import changes, db
from backoffice.db import read_session, session_scope
from backoffice.listing.search import include_name
from backoffice.models import User

from .support.factories import make_user


@pytest.fixture
def sqlite_only() -> None:
    if db.get_engine().dialect.name != 'sqlite':
        pytest.skip('SQLite connection settings')


@pytest.mark.usefixtures('sqlite_only')
@pytest.mark.parametrize(('pragma', 'expected'), [('journal_mode', 'wal'), ('foreign_keys', 1), ('busy_timeout', 5000)])
def test_every_sqlite_connection_is_set_up_for_a_web_app(pragma: str, expected: object) -> None:
    with db.get_engine().connect() as connection:
        assert connection.exec_driver_sql(f'PRAGMA {pragma}').scalar() == expected


def test_concurrent_changes_to_one_record_are_all_kept() -> None:
    user = make_user('agent')
    threads, increments = 4, 25
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def bump_epoch() -> None:
        try:
            start.wait()
            for _ in range(increments):
                with session_scope() as session:
                    locked = changes.get_for_update(session, User, user.id, None, entity='user')
                    locked.session_epoch += 1
                    session.commit()
        except BaseException as error:  # a thread's exception would otherwise vanish
            failures.append(error)

    workers = [threading.Thread(target=bump_epoch) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert failures == []
    with read_session() as session:
        assert session.get(User, user.id).session_epoch == user.session_epoch + threads * increments


def test_a_reader_does_not_wait_for_a_writer() -> None:
    user = make_user('agent', name='Before')
    with session_scope() as writer:
        changes.get_for_update(writer, User, user.id, None, entity='user').name = 'After'
        writer.flush()  # the writer holds its lock and has not committed

        with read_session() as reader:
            assert reader.get(User, user.id).name == 'Before'

        writer.commit()
    with read_session() as reader:
        assert reader.get(User, user.id).name == 'After'


def test_the_migrations_create_exactly_the_schema_the_models_describe() -> None:
    with db.get_engine().connect() as connection:
        # the search index's FTS5 tables (SQLite) live outside the models on purpose
        context = MigrationContext.configure(connection, opts={'compare_type': True, 'include_name': include_name})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_the_database_is_at_the_newest_migration() -> None:
    assert db.schema_is_current()


def test_migrating_again_changes_nothing() -> None:
    db.migrate()
    assert db.schema_is_current()


@pytest.mark.usefixtures('sqlite_only')
def test_migrating_a_current_database_waits_for_no_writer() -> None:
    """Every command of `python -m backoffice` migrates first: on a database already at the newest migration that is a
    read, so the nightly backup (a CLI command) does not queue behind the app's writers for the write lock (it did,
    and failed with "database is locked" when they held it for longer than the busy timeout)."""
    import sqlite3

    writer = sqlite3.connect(db.get_engine().url.database, isolation_level=None, timeout=1)
    try:
        writer.execute('BEGIN IMMEDIATE')  # another process's writer holds the write lock
        db.migrate()
        assert db.schema_is_current()
    finally:
        writer.execute('ROLLBACK')
        writer.close()


def test_a_nul_character_in_text_never_fails_a_write() -> None:
    """PostgreSQL refuses NUL in text (the write would fail with a server error): it is dropped there."""
    import random

    from sqlmodel import select

    from backoffice.models import Customer, Product
    from backoffice.seed.catalog import seed_catalog

    with session_scope() as session:
        session.add(Customer(email='nul@example.com', name='Ada\x00 Lovelace'))
        session.commit()
        seed_catalog(session, random.Random(1))  # many rows in one statement, none with a NUL: unchanged
    with read_session() as session:
        name = session.exec(select(Customer.name).where(Customer.email == 'nul@example.com')).one()
        assert session.exec(select(Product)).first() is not None
    assert name == ('Ada\x00 Lovelace' if db.get_engine().dialect.name == 'sqlite' else 'Ada Lovelace')
