"""POST /api/orders honours an Idempotency-Key header as /api/requests does: a retry with the same key and body gets
the first answer and places nothing new; the same key with another body is refused with 422; a refused call frees
the key. The shop's own order id stays idempotent on its own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from backoffice.api.orders import router
from backoffice.runtime import ratelimit

from .support.api import api_client, bearer, make_key
from .support.factories import level, make_product, make_user, orders_count

ORDER = {'external_id': 'shop-1', 'email': 'jo@example.com', 'lines': [{'sku': 'MUG', 'quantity': 1}]}


@pytest.fixture(autouse=True)
def catalogue() -> int:
    ratelimit.reset_all()
    return make_product('MUG', '12.50', stock_on_hand=3, actor=make_user('manager')).id


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(router) as client:
        yield client


@pytest.fixture
def secret() -> str:
    return make_key(scopes=('orders:write',))[1]


async def test_a_retry_with_the_same_key_gets_the_first_answer(client, secret, catalogue) -> None:
    headers = bearer(secret, **{'Idempotency-Key': 'cart-77'})
    first = await client.post('/api/orders', json=ORDER, headers=headers)
    again = await client.post('/api/orders', json=ORDER, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers['Idempotent-Replayed'] == 'true'
    assert orders_count() == 1 and level(catalogue).reserved == 1


async def test_the_same_key_with_another_body_is_refused_and_nothing_is_placed(client, secret) -> None:
    headers = bearer(secret, **{'Idempotency-Key': 'cart-78'})
    assert (await client.post('/api/orders', json=ORDER, headers=headers)).status_code == 201
    other = await client.post('/api/orders', json={**ORDER, 'external_id': 'shop-2'}, headers=headers)
    assert other.status_code == 422
    error = other.json()['detail'][0]
    assert error['loc'] == ['header', 'Idempotency-Key']
    assert error['msg'].startswith('This Idempotency-Key was already used with a different request.')
    assert orders_count() == 1


async def test_a_refused_order_frees_its_key_for_the_corrected_retry(client, secret) -> None:
    headers = bearer(secret, **{'Idempotency-Key': 'cart-79'})
    too_many = {**ORDER, 'lines': [{'sku': 'MUG', 'quantity': 9}]}
    assert (await client.post('/api/orders', json=too_many, headers=headers)).status_code == 409
    fixed = await client.post(
        '/api/orders', json=too_many | {'lines': [{'sku': 'MUG', 'quantity': 2}]}, headers=headers
    )
    assert fixed.status_code == 201
    assert orders_count() == 1


async def test_the_shops_order_id_stays_idempotent_without_a_key(client, secret) -> None:
    first = await client.post('/api/orders', json=ORDER, headers=bearer(secret))
    again = await client.post('/api/orders', json=ORDER, headers=bearer(secret, **{'Idempotency-Key': 'new'}))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()['number'] == first.json()['number']
    assert again.headers['Idempotent-Replayed'] == 'true'
    assert orders_count() == 1
