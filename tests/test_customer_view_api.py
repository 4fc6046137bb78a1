"""The read API for the front office: a key with `customers:read` reads a customer's orders (keyset pages), one order
with lines and tracking, their requests and a request's messages without internal notes; another customer's records
are 404, and a key without the scope is 403."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from backoffice.api.customer_view import router
from backoffice.db import session_scope
from backoffice.models import Ticket
from backoffice.resources import resource
from backoffice.runtime import ratelimit
from backoffice.services import crud, tickets

from .support.api import api_client, bearer, make_key
from .support.factories import make_customer, make_user, merge_customers, submit_request
from .support.portal import delivered_order


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    ratelimit.reset_all()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(router) as http:
        yield http


async def test_a_customers_orders_come_in_keyset_pages_with_their_status(client: httpx.AsyncClient) -> None:
    _key, secret = make_key('Account page', ('customers:read',))
    placed = [delivered_order('olga@example.com', sku=f'API-{n}') for n in range(3)]
    delivered_order('other@example.com', sku='API-X')
    first = await client.get(
        '/api/customer/orders', params={'email': 'OLGA@example.com', 'limit': 2}, headers=bearer(secret)
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert [o['number'] for o in body['orders']] == [placed[2].number, placed[1].number]
    assert body['orders'][0]['status'] == 'delivered' and body['next'] is not None
    # a delivered order has a parcel: the list says "not here" (null), not "none" ([]); the order has them
    assert body['orders'][0]['tracking'] is None and body['orders'][0]['lines'] is None
    second = await client.get(
        '/api/customer/orders',
        params={'email': 'olga@example.com', 'limit': 2, 'after': body['next']},
        headers=bearer(secret),
    )
    assert [o['number'] for o in second.json()['orders']] == [placed[0].number] and second.json()['next'] is None
    one = await client.get(
        f'/api/customer/orders/{placed[0].number}', params={'email': 'olga@example.com'}, headers=bearer(secret)
    )
    assert one.json()['lines'][0]['sku'] == 'API-0' and one.json()['tracking'] == ['https://track.example/TRACK1']


async def test_another_customers_records_are_not_found_and_a_key_needs_the_scope(client: httpx.AsyncClient) -> None:
    _key, secret = make_key('Account page', ('customers:read',))
    theirs = delivered_order('pat@example.com', sku='API-P')
    request = submit_request('Private', email='pat@example.com', order_number=None)
    delivered_order('quin@example.com', sku='API-Q')
    mine = {'email': 'quin@example.com'}
    assert (
        await client.get(f'/api/customer/orders/{theirs.number}', params=mine, headers=bearer(secret))
    ).status_code == 404
    assert (
        await client.get(f'/api/customer/requests/{request.number}', params=mine, headers=bearer(secret))
    ).status_code == 404
    assert (
        await client.get('/api/customer/orders', params={'email': 'nobody@example.com'}, headers=bearer(secret))
    ).status_code == 404
    _other, writer = make_key('Writer', ('orders:write',))
    assert (await client.get('/api/customer/orders', params=mine, headers=bearer(writer))).status_code == 403
    assert (await client.get('/api/customer/orders', params=mine)).status_code == 401


async def test_a_request_reads_with_its_messages_but_never_the_notes(client: httpx.AsyncClient) -> None:
    _key, secret = make_key('Account page', ('customers:read',))
    request = submit_request('Where is it?', email='rita@example.com', body='Two weeks now', order_number=None)
    agent = make_user('agent')
    with session_scope() as session:
        tickets.add_note(session=session, actor=agent, ticket_id=request.id, body='Internal: lost by carrier')
    with session_scope() as session:
        stored = session.get(Ticket, request.id)
        tickets.reply(session=session, actor=agent, ticket_id=request.id, version=stored.version, body='On its way')
    listed = await client.get('/api/customer/requests', params={'email': 'rita@example.com'}, headers=bearer(secret))
    assert [r['number'] for r in listed.json()['requests']] == [request.number]
    one = await client.get(
        f'/api/customer/requests/{request.number}', params={'email': 'rita@example.com'}, headers=bearer(secret)
    )
    assert [(m['by'], m['body']) for m in one.json()['messages']] == [
        ('customer', 'Two weeks now'),
        ('shop', 'On its way'),
    ]
    assert one.json()['status'] == 'waiting'


async def test_a_plus_address_sent_unencoded_is_told_how_to_send_it(client: httpx.AsyncClient) -> None:
    """`?email=jo+shop@example.com` reaches the server as 'jo shop@…': not 'no customer', but how to send a '+'."""
    _key, secret = make_key('Account page', ('customers:read',))
    delivered_order('jo+shop@example.com', sku='API-PLUS')
    unencoded = await client.get('/api/customer/orders?email=jo+shop@example.com', headers=bearer(secret))
    assert unencoded.status_code == 422
    [refusal] = unencoded.json()['detail']
    assert refusal['loc'] == ['query', 'email'] and '%2B' in refusal['msg']
    encoded = await client.get('/api/customer/orders?email=jo%2Bshop@example.com', headers=bearer(secret))
    assert encoded.status_code == 200 and len(encoded.json()['orders']) == 1


async def test_a_merged_duplicates_email_still_reads_the_customers_orders_and_requests(
    client: httpx.AsyncClient,
) -> None:
    """The shop signs the customer in with the email it knows; staff merged that duplicate into another customer. The
    intake files what the shop sends with that email under the customer kept, so the read API finds them there: it
    answered 404 "no customer" for the very order just placed with it."""
    _key, secret = make_key('Account page', ('customers:read',))
    hostile = 'Zoë "O\'Brien" <script>: ü'
    kept, twin = make_customer('kept@example.com', name=hostile), make_customer('twin@example.com', name=hostile)
    merge_customers(kept, twin)
    placed = delivered_order('twin@example.com', sku='API-MRG')  # the shop still sends the duplicate's email
    request = submit_request('Where is it: "<b>"', email='twin@example.com', order_number=None)
    as_twin = {'email': 'Twin@example.com'}
    orders = await client.get('/api/customer/orders', params=as_twin, headers=bearer(secret))
    assert orders.status_code == 200, orders.text
    assert [o['number'] for o in orders.json()['orders']] == [placed.number]
    one = await client.get(f'/api/customer/orders/{placed.number}', params=as_twin, headers=bearer(secret))
    assert one.status_code == 200 and one.json()['lines'][0]['sku'] == 'API-MRG'
    thread = await client.get(f'/api/customer/requests/{request.number}', params=as_twin, headers=bearer(secret))
    assert thread.status_code == 200 and thread.json()['subject'] == 'Where is it: "<b>"'
    # a customer in the trash who was not merged is still nobody to the front office
    gone = make_customer('gone@example.com')
    with session_scope() as session:
        crud.delete_record(session=session, actor=make_user('admin'), resource=resource('customers'), record_id=gone.id)
    assert (
        await client.get('/api/customer/orders', params={'email': 'gone@example.com'}, headers=bearer(secret))
    ).status_code == 404
