"""A full disk says so: the API answers 507 with a sentence and saves nothing, a page shows the same sentence where
the action was, and /healthz and /system report the disk as full (not "database ok")."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlmodel import func, select

from backoffice import db, write_failures
from backoffice.api.health import router as health
from backoffice.api.requests import router as intake
from backoffice.config import get_settings
from backoffice.db import get_engine, read_session, session_scope
from backoffice.listing.folding import register_sqlite_fold
from backoffice.models import Ticket
from backoffice.services import api_keys, system_health, tickets
from components import forms

from .support.api import api_client, bearer, make_key
from .support.factories import make_user

REQUEST = {'email': 'jo@example.com', 'subject': 'Full? "<script>x</script>"', 'body': 'Hi: ' + 'x' * 8000}


@contextmanager
def _full() -> Iterator[None]:
    """SQLite's own 'database or disk is full', for real: no connection may grow the file any more."""
    engine = get_engine()
    engine.dispose()
    with closing(sqlite3.connect(engine.url.database, isolation_level=None)) as compact:
        register_sqlite_fold(compact)  # VACUUM rebuilds the indexes on bo_fold(name) (migration 0069)
        compact.execute('VACUUM')  # no free pages left for a write to reuse: it must grow the file

    def cap(connection, _record) -> None:
        pages = connection.execute('PRAGMA page_count').fetchone()[0]
        connection.execute(f'PRAGMA max_page_count = {pages}')

    def cap_again(connection, _record, _proxy) -> None:  # a connection pooled before the cap was set
        cap(connection, _record)

    event.listen(engine, 'connect', cap)
    event.listen(engine, 'checkout', cap_again)
    engine.dispose()
    try:
        yield
    finally:
        event.remove(engine, 'connect', cap)
        event.remove(engine, 'checkout', cap_again)
        engine.dispose()


@pytest.fixture(autouse=True)
def sqlite_only() -> Iterator[None]:
    if get_engine().dialect.name != 'sqlite':
        pytest.skip('the size cap is SQLite; PostgreSQL reports a full disk with SQLSTATE 53100, mapped the same way')
    write_failures.forget()
    yield
    write_failures.forget()


@pytest.fixture
def own_file(tmp_path: Path, database_url: str) -> Iterator[None]:
    """A database file of this test's own, which no earlier test has touched. On the worker's file, after
    test_writer_queue, test_redis_lost and test_personal_data in one process, the capped write went through (201; seen
    in CI, reproduced with those three files, not explained: the file had one free page again during the call)."""
    db.configure(f'sqlite:///{tmp_path / "full.db"}')
    db.migrate()
    try:
        yield
    finally:
        db.configure(database_url)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(intake, health) as client:
        yield client


@pytest.mark.usefixtures('own_file')
async def test_the_api_answers_507_in_words_saves_nothing_and_health_says_the_disk_is_full(
    client: httpx.AsyncClient,
) -> None:
    secret = make_key('Shop')[1]
    with session_scope() as session:  # its "last used" now, so the call below writes only the request
        api_keys.authenticate(session, f'Bearer {secret}', 'requests:write')
    with _full():
        answer = await client.post('/api/requests', json=REQUEST, headers=bearer(secret, **{'Idempotency-Key': 'f'}))
        healthz = await client.get('/healthz')

    assert answer.status_code == 507
    assert answer.json()['detail'].startswith("The server's disk is full, so nothing was saved.")
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(Ticket)).one() == 0
    assert healthz.status_code == 503
    assert healthz.json()['disk'] == 'full' and healthz.json()['database'] == 'ok'
    admin = make_user('admin')
    with read_session() as session:
        checks = system_health.checks(session=session, actor=admin, settings=get_settings())
    disk = next(check for check in checks if check.name == 'Disk')
    assert disk.status == 'error' and disk.detail.startswith('Full: a write was refused at')


def test_a_page_action_gets_the_same_sentence_instead_of_a_crash() -> None:
    """What a page's service call raises when SQLite refuses to grow the file (the error the API test provokes for
    real), turned into the sentence by the wrapper every page call goes through."""

    def open_request() -> None:
        with session_scope() as session:
            tickets.submit_request(session=session, email='jo@example.com', subject='Full', body='x')
            raise OperationalError('INSERT INTO tickets …', {}, sqlite3.OperationalError('database or disk is full'))

    with pytest.raises(write_failures.DiskFull) as refused:
        forms.in_language('en', open_request)
    assert str(refused.value).startswith("The server's disk is full")
