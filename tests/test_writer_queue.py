"""SQLite's writers in one process take their turn in arrival order, and a writer that cannot get its turn in time
makes the API answer 503 with Retry-After and write nothing (never 500)."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy.exc
from sqlmodel import func, select

from backoffice import writer_queue
from backoffice.api.requests import router
from backoffice.db import get_engine, read_session, session_scope
from backoffice.models import Ticket
from backoffice.services import api_keys

from .support.api import api_client, bearer, make_key

REQUEST = {'email': 'jo@example.com', 'subject': 'Where is it? "<script>x</script>"', 'body': 'Hi: nothing yet.'}


def test_waiting_writers_get_their_turn_in_the_order_they_came() -> None:
    lock = writer_queue.FirstComeLock()
    assert lock.acquire(1)
    order: list[int] = []
    started: list[threading.Thread] = []

    def writer(number: int) -> None:
        assert lock.acquire(10)
        order.append(number)
        lock.release()

    for number in range(5):
        thread = threading.Thread(target=writer, args=(number,))
        thread.start()
        started.append(thread)
        time.sleep(0.05)  # each is in line before the next comes
    lock.release()
    for thread in started:
        thread.join()
    assert order == [0, 1, 2, 3, 4]


def test_a_writer_that_waits_too_long_leaves_the_line_and_the_next_one_still_gets_its_turn() -> None:
    lock = writer_queue.FirstComeLock()
    assert lock.acquire(1)
    assert not lock.acquire(0.05)  # gave up
    lock.release()
    assert lock.acquire(0.05)  # nobody is left in line to hand the turn to: free again
    lock.release()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(router) as client:
        yield client


async def test_a_database_busy_past_the_wait_answers_503_with_retry_after_and_saves_nothing(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    if get_engine().dialect.name != 'sqlite':
        pytest.skip('the writer queue is for SQLite (PostgreSQL writers wait at the row they both change)')
    secret = make_key()[1]
    with session_scope() as session:  # "last used" recorded now, so the call below only reads its key
        api_keys.authenticate(session, f'Bearer {secret}', 'requests:write')
    monkeypatch.setattr(writer_queue, 'WAIT_SECONDS', 0.2)
    holding, done = threading.Event(), threading.Event()

    def long_writer() -> None:  # another part of the app keeps its write transaction open
        with session_scope() as session:
            session.exec(select(Ticket)).all()
            holding.set()
            done.wait(10)

    thread = threading.Thread(target=long_writer)
    thread.start()
    assert holding.wait(10)
    try:
        response = await client.post('/api/requests', json=REQUEST, headers=bearer(secret, **{'Idempotency-Key': 'b'}))
    finally:
        done.set()
        thread.join()

    assert response.status_code == 503
    assert response.headers['Retry-After'] == str(writer_queue.RETRY_AFTER_SECONDS)
    assert 'nothing was saved' in response.json()['detail']
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(Ticket)).one() == 0
    retry = await client.post('/api/requests', json=REQUEST, headers=bearer(secret, **{'Idempotency-Key': 'b'}))
    assert retry.status_code == 201  # the same key is free: the busy call kept nothing


async def test_every_connection_taken_past_the_wait_answers_503_not_500(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More API threads than pooled connections: a call that waits past the pool's timeout for a connection is the
    database busy, not a server error (503 with Retry-After; nothing saved; the same key works afterwards)."""
    secret = make_key()[1]
    with session_scope() as session:  # "last used" recorded now, so the call below only reads its key
        api_keys.authenticate(session, f'Bearer {secret}', 'requests:write')
    pool = get_engine().pool
    monkeypatch.setattr(pool, '_timeout', 0.2)
    held = []
    try:
        while True:  # every connection of the pool and of its overflow, taken
            held.append(get_engine().connect())
    except sqlalchemy.exc.TimeoutError:
        pass
    try:
        response = await client.post('/api/requests', json=REQUEST, headers=bearer(secret, **{'Idempotency-Key': 'p'}))
    finally:
        for connection in held:
            connection.close()

    assert response.status_code == 503, response.text
    assert response.headers['Retry-After'] == str(writer_queue.RETRY_AFTER_SECONDS)
    assert 'nothing was saved' in response.json()['detail']
    retry = await client.post('/api/requests', json=REQUEST, headers=bearer(secret, **{'Idempotency-Key': 'p'}))
    assert retry.status_code == 201
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(Ticket)).one() == 1
