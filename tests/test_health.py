"""The health check a load balancer or monitor calls: 200 while the database answers, 503 when it does not."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from backoffice import __version__, db
from backoffice.api.health import router

from .support.api import api_client

UNREACHABLE = 'postgresql+psycopg://postgres@127.0.0.1:1/nowhere'


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(router) as client:
        yield client


@pytest.fixture
def database_down(database_url: str) -> Iterator[None]:
    db.configure(UNREACHABLE)
    try:
        yield
    finally:
        db.configure(database_url)


async def test_healthy_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get('/healthz')

    assert response.status_code == 200
    assert response.json() | {'disk': 'ok'} == {'status': 'ok', 'database': 'ok', 'disk': 'ok', 'version': __version__}
    assert response.json()['disk'] in ('ok', 'low')  # 'low' on a machine short of space, still healthy


@pytest.mark.usefixtures('database_down')
async def test_unavailable_when_the_database_cannot_be_reached(client: httpx.AsyncClient) -> None:
    response = await client.get('/healthz')

    assert response.status_code == 503
    answer = response.json()
    assert answer | {'disk': 'ok'} == {
        'status': 'error',
        'database': 'unreachable',
        'disk': 'ok',
        'version': __version__,
    }


async def test_healthy_again_once_the_database_is_back(client: httpx.AsyncClient, database_url: str) -> None:
    db.configure(UNREACHABLE)
    try:
        assert (await client.get('/healthz')).status_code == 503
    finally:
        db.configure(database_url)

    assert (await client.get('/healthz')).status_code == 200


async def test_the_health_check_is_documented_in_the_api_schema(client: httpx.AsyncClient) -> None:
    schema = (await client.get('/openapi.json')).json()

    operation = schema['paths']['/healthz']['get']
    assert 'operations' in operation['tags']
    assert {'200', '503'} <= set(operation['responses'])
