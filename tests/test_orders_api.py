"""POST /api/orders as the front office uses it: every status code of the contract, idempotency by the shop's own
order id, totals computed by the back office whatever the body says."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlmodel import select

from backoffice.api.orders import router
from backoffice.api.requests import MAX_BODY_BYTES
from backoffice.db import read_session, session_scope
from backoffice.models import Order, StockLevel, User
from backoffice.runtime import ratelimit
from backoffice.seed.catalog import ACCESSORIES, BREWERS
from backoffice.services import api_keys

from .support.api import api_client, bearer, make_key
from .support.factories import banned_customer, make_product, make_user, orders_count

ORDER = {
    'external_id': 'shop-10042',
    'email': 'Jo@Example.com',
    'name': 'Jo Miller',
    'lines': [{'sku': 'mug', 'quantity': 2}, {'sku': 'TEE', 'quantity': 1, 'discount_percent': '10'}],
    'shipping_address': '1 Main St\n10115 Berlin',
}


@pytest.fixture(autouse=True)
def full_buckets() -> None:
    ratelimit.reset_all()


@pytest.fixture(autouse=True)
def catalogue() -> None:
    manager = make_user('manager')
    make_product('MUG', '12.50', stock_on_hand=3, actor=manager)
    make_product('TEE', '20.00', stock_on_hand=3, actor=manager)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(router) as client:
        yield client


@pytest.fixture
def secret() -> str:
    return make_key(scopes=('orders:write',))[1]


async def test_an_order_is_placed_priced_here_and_answered_with_its_number(client, secret) -> None:
    response = await client.post('/api/orders', json=ORDER, headers=bearer(secret))
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ('number', 'status', 'currency', 'total')} == {
        'number': '100001',
        'status': 'pending',
        'currency': 'EUR',
        'total': '57.48',
    }
    with read_session() as session:
        order = session.get(Order, body['id'])
        assert (order.email, order.external_id, order.source) == ('jo@example.com', 'shop-10042', 'api')
        assert sorted(session.exec(select(StockLevel.reserved))) == [1, 2]


async def test_the_same_external_id_again_answers_200_with_the_first_order(client, secret) -> None:
    first = await client.post('/api/orders', json=ORDER, headers=bearer(secret))
    again = await client.post(
        '/api/orders', json={**ORDER, 'lines': [{'sku': 'MUG', 'quantity': 1}]}, headers=bearer(secret)
    )
    assert (again.status_code, again.json(), again.headers['idempotent-replayed']) == (200, first.json(), 'true')
    assert orders_count() == 1


async def test_totals_in_the_body_are_refused_not_trusted(client, secret) -> None:
    response = await client.post('/api/orders', json={**ORDER, 'total': '0.01'}, headers=bearer(secret))
    assert response.status_code == 422
    assert response.json()['detail'][0]['loc'] == ['body', 'total']


@pytest.mark.parametrize(
    ('change', 'location', 'message'),
    [
        ({'email': 'not-an-email'}, ['body', 'email'], 'Enter a valid email address'),
        ({'lines': []}, ['body', 'lines'], 'List should have at least 1 item after validation, not 0'),
        (
            {'lines': [{'sku': 'MUG', 'quantity': 0}]},
            ['body', 'lines', 0, 'quantity'],
            'Input should be greater than or equal to 1',
        ),
        (
            {'lines': [{'sku': 'MUG', 'quantity': 1}, {'sku': 'NOPE', 'quantity': 1}]},
            ['body', 'lines', 1, 'sku'],
            'There is no product NOPE',
        ),
        ({'external_id': ''}, ['body', 'external_id'], 'String should have at least 1 character'),
        (  # pydantic read true as 1: one item ordered
            {'lines': [{'sku': 'MUG', 'quantity': True}]},
            ['body', 'lines', 0, 'quantity'],
            'Input should be a valid integer',
        ),
        (  # a misspelt discount_percent: dropped, the line was placed at full price
            {'lines': [{'sku': 'TEE', 'quantity': 1, 'discount': '10'}]},
            ['body', 'lines', 0, 'discount'],
            'Extra inputs are not permitted',
        ),
    ],
)
async def test_bad_input_is_refused_with_the_field_and_the_reason(client, secret, change, location, message) -> None:
    response = await client.post('/api/orders', json={**ORDER, **change}, headers=bearer(secret))
    assert response.status_code == 422
    [error] = response.json()['detail']
    assert (error['loc'], error['msg']) == (location, message)
    assert orders_count() == 0


async def test_a_blank_external_id_is_refused_so_a_resend_never_places_the_order_twice(client, secret) -> None:
    """The service reads a blank id as none: a shop sending '  ' (a template that lost its value) got 201 twice, two
    orders for one purchase."""
    blank = {**ORDER, 'external_id': '  ', 'lines': [{'sku': 'MUG', 'quantity': 1}]}
    answers = [await client.post('/api/orders', json=blank, headers=bearer(secret)) for _ in range(2)]
    french = await client.post('/api/orders', json=blank, headers=bearer(secret, **{'Accept-Language': 'fr'}))

    assert [answer.status_code for answer in answers] == [422, 422]
    [error] = answers[0].json()['detail']
    assert (error['loc'], error['msg']) == (
        ['body', 'external_id'],
        "Give the shop's own order id: a resend of this order is recognised by it",
    )
    assert french.json()['detail'][0]['msg'] == (
        'Donnez l’identifiant de commande de la boutique\u00a0: c’est à lui qu’un renvoi de cette commande est reconnu'
    )
    assert orders_count() == 0


async def test_not_enough_stock_is_409_naming_the_short_line(client, secret) -> None:
    response = await client.post(
        '/api/orders', json={**ORDER, 'lines': [{'sku': 'MUG', 'quantity': 4}]}, headers=bearer(secret)
    )
    assert (response.status_code, response.json()) == (
        409,
        {'detail': 'Not enough stock — MUG: 4 wanted, 3 available.'},
    )
    assert orders_count() == 0


async def test_without_a_valid_key_the_answer_is_401(client, secret) -> None:
    missing = await client.post('/api/orders', json=ORDER)
    assert (missing.status_code, missing.headers['www-authenticate']) == (401, 'Bearer')
    wrong = await client.post('/api/orders', json=ORDER, headers=bearer(secret[:-4] + 'abcd'))
    assert (wrong.status_code, wrong.json()['detail']) == (401, 'The API key is not valid.')
    assert orders_count() == 0


async def test_a_key_without_the_orders_scope_is_403(client) -> None:
    _key, requests_only = make_key(scopes=('requests:write',))
    response = await client.post('/api/orders', json=ORDER, headers=bearer(requests_only))
    assert (response.status_code, response.json()) == (
        403,
        {'detail': "The API key does not have the 'orders:write' scope."},
    )


async def test_a_banned_customer_is_403(client, secret) -> None:
    banned_customer('jo@example.com')
    response = await client.post('/api/orders', json=ORDER, headers=bearer(secret))
    assert (response.status_code, response.json()) == (
        403,
        {'detail': 'This customer is banned: their orders are not accepted.'},
    )


async def test_a_body_over_the_limit_is_413(client, secret) -> None:
    response = await client.post('/api/orders', json={**ORDER, 'note': 'x' * MAX_BODY_BYTES}, headers=bearer(secret))
    assert response.status_code == 413
    assert orders_count() == 0


async def test_more_than_the_rate_a_minute_is_429(client, secret, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, 'api_keys', ratelimit.RateLimiter(2, 60))
    for n in range(2):
        ok = await client.post(
            '/api/orders',
            json={**ORDER, 'external_id': f'shop-{n}', 'lines': [{'sku': 'MUG', 'quantity': 1}]},
            headers=bearer(secret),
        )
        assert ok.status_code == 201
    refused = await client.post('/api/orders', json={**ORDER, 'external_id': 'shop-9'}, headers=bearer(secret))
    assert refused.status_code == 429 and int(refused.headers['retry-after']) >= 1
    assert orders_count() == 2


async def test_the_openapi_schema_documents_the_order_and_every_refusal(client) -> None:
    schema = (await client.get('/openapi.json')).json()
    responses = schema['paths']['/api/orders']['post']['responses']
    assert set(responses) >= {'200', '201', '401', '403', '409', '413', '422', '429'}
    assert 'NewOrder' in schema['components']['schemas']


async def test_an_external_id_reused_for_another_customer_is_refused_not_answered_with_their_order(
    client, secret
) -> None:
    """A retry is the same customer's order; another customer's under a used id would be lost behind a 200."""
    hostile = 'shop:"<script>"-1'
    first = await client.post('/api/orders', json={**ORDER, 'external_id': hostile}, headers=bearer(secret))
    reused = await client.post(
        '/api/orders', json={**ORDER, 'external_id': hostile, 'email': 'other@example.com'}, headers=bearer(secret)
    )
    assert reused.status_code == 409 and first.json()['number'] in reused.json()['detail']
    assert hostile in reused.json()['detail'] and orders_count() == 1
    retried = await client.post(  # the same customer, the email written otherwise: the first order again
        '/api/orders', json={**ORDER, 'external_id': hostile, 'email': 'JO@example.COM'}, headers=bearer(secret)
    )
    assert (retried.status_code, retried.json()) == (200, first.json())


async def test_a_bad_email_is_named_with_the_other_mistakes_of_the_order(
    client: httpx.AsyncClient, secret: str
) -> None:
    order = {'external_id': 'ext-"<script>":🎉', 'email': 'jo at example.com', 'lines': [{'sku': 'MUG', 'quantity': 0}]}

    response = await client.post('/api/orders', json=order, headers=bearer(secret))

    assert response.status_code == 422
    said = {tuple(error['loc']): error['msg'] for error in response.json()['detail']}
    assert said == {
        ('body', 'email'): 'Enter a valid email address',
        ('body', 'lines', 0, 'quantity'): 'Input should be greater than or equal to 1',
    }
    assert orders_count() == 0


async def test_a_line_without_a_product_is_refused_at_its_sku_with_the_other_mistakes(client, secret) -> None:
    """A line whose SKU is only spaces was answered "There is no product   ", and only once the rest had passed."""
    lines = [{'sku': 'MUG', 'quantity': 1}, {'sku': '   ', 'quantity': 1}, {'sku': '"<script>":', 'quantity': 1}]

    refused = await client.post(
        '/api/orders', json={**ORDER, 'email': '"<b>": not an email', 'lines': lines}, headers=bearer(secret)
    )
    in_french = await client.post(
        '/api/orders', json={**ORDER, 'lines': lines[1:2]}, headers=bearer(secret, **{'Accept-Language': 'fr'})
    )
    unknown = await client.post('/api/orders', json={**ORDER, 'lines': lines[2:]}, headers=bearer(secret))

    said = {tuple(error['loc']): error['msg'] for error in refused.json()['detail']}
    assert refused.status_code == 422
    assert said.keys() == {('body', 'email'), ('body', 'lines', 1, 'sku'), ('body', 'lines', 2, 'sku')}
    assert said['body', 'lines', 1, 'sku'] == "Give the product's SKU"
    assert said['body', 'lines', 2, 'sku'] == 'There is no product "<script>":'  # with the email, not after it
    assert in_french.json()['detail'][0]['msg'] == 'Donnez la réf. (SKU) du produit'
    assert unknown.json()['detail'][0]['msg'] == 'There is no product "<script>":'
    assert orders_count() == 0


async def test_a_malformed_field_is_said_with_the_unknown_sku_and_the_line_short_of_stock(client, secret) -> None:
    """A malformed field was said alone: the unknown SKU came once it was fixed, then the short stock as a 409."""
    lines = [
        {'sku': 'mug', 'quantity': 2},
        {'sku': '"<script>": l\'été', 'quantity': 1},
        {'sku': 'MUG', 'quantity': 2},  # with the first line, 4 of the 3 on the shelf
        {'sku': 'TEE', 'quantity': 'two'},
    ]
    malformed = {**ORDER, 'note': '"<script>alert(1)</script>": l\'été', 'shipping_name': 7, 'lines': lines}

    refused = await client.post('/api/orders', json=malformed, headers=bearer(secret))
    short_and_unknown = await client.post('/api/orders', json={**ORDER, 'lines': lines[:3]}, headers=bearer(secret))

    said = {tuple(error['loc']): error['msg'] for error in refused.json()['detail']}
    assert refused.status_code == 422
    assert said == {
        ('body', 'shipping_name'): 'Input should be a valid string',
        ('body', 'lines', 3, 'quantity'): 'Input should be a valid integer, unable to parse string as an integer',
        ('body', 'lines', 1, 'sku'): 'There is no product "<script>": l\'été',
        ('body', 'lines', 0, 'quantity'): 'Not enough stock — MUG: 4 wanted, 3 available.',
        ('body', 'lines', 2, 'quantity'): 'Not enough stock — MUG: 4 wanted, 3 available.',
    }
    said = {tuple(error['loc']): error['msg'] for error in short_and_unknown.json()['detail']}
    assert short_and_unknown.status_code == 422
    assert said.keys() == {
        ('body', 'lines', 0, 'quantity'),
        ('body', 'lines', 1, 'sku'),
        ('body', 'lines', 2, 'quantity'),
    }
    assert orders_count() == 0
    with read_session() as session:
        assert {level.reserved for level in session.exec(select(StockLevel))} == {0}


async def test_the_documented_example_order_is_placed_as_pasted_on_the_demo_shop(client, secret) -> None:
    """A front-office developer tries the order /docs offers on the demo shop: its SKUs (MUG-BLUE, TEE-M) were none
    of the demo's products, so the example answered 422 "There is no product MUG-BLUE"."""
    schema = (await client.get('/openapi.json')).json()
    example = schema['components']['schemas']['NewOrder']['examples'][0]
    demo_products = {sku for sku, _name, _price in (*BREWERS, *ACCESSORIES)}  # seed_demo's catalogue
    manager = make_user('manager')
    for line in example['lines']:
        assert line['sku'] in demo_products
        make_product(line['sku'], '9.90', stock_on_hand=5, actor=manager)
    placed = await client.post('/api/orders', json=example, headers=bearer(secret))
    assert placed.status_code == 201, placed.text
    again = await client.post('/api/orders', json=example, headers=bearer(secret))
    assert again.status_code == 200 and again.json()['number'] == placed.json()['number']  # its external_id again


async def test_a_key_stops_placing_orders_once_its_makers_role_loses_the_right(client) -> None:
    admin = make_user('admin')
    with session_scope() as session:
        _key, made = api_keys.create_key(session=session, actor=admin, name="Shop '<b>' : x", scopes=['orders:write'])

    placed = await client.post('/api/orders', json=ORDER, headers=bearer(made))
    with session_scope() as session:
        session.get(User, admin.id).role = 'viewer'
        session.commit()
    refused = await client.post('/api/orders', json={**ORDER, 'external_id': 'shop-10043'}, headers=bearer(made))

    assert placed.status_code == 201
    assert (refused.status_code, refused.json()['detail']) == (
        403,
        'You are not allowed to do this (orders.write).',
    )
    assert orders_count() == 1
