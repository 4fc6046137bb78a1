"""/api/v1 refuses a query parameter it does not know (a misspelt `?stauts=open` listed everything, as if no filter
were asked), at its name, as the intake refuses a body field it does not know, saying the nearest one it takes; every
parameter it documents still works. The intake (/api/requests), the customer view (/api/customer) and the legal
acceptances refuse them alike."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from backoffice.api.customer_view import router as customer_view
from backoffice.api.legal_acceptances import router as acceptances
from backoffice.api.requests import router as intake
from backoffice.api.resources import router
from backoffice.db import read_session, session_scope
from backoffice.engine.declaration import RESOURCES
from backoffice.models import Ticket
from backoffice.runtime import ratelimit
from backoffice.services import api_keys

from .support.api import api_client, bearer
from .support.factories import make_customer, make_user, submit_request

HOSTILE = 'Jo "<script>alert(1)</script>": \'quoted\' <img src=x onerror="window.__x=1">'


@pytest.fixture(autouse=True)
def unlimited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, 'api_keys', ratelimit.RateLimiter(10**6, 60.0))


def key(*scopes: str) -> str:
    with session_scope() as session:
        return api_keys.create_key(
            session=session, actor=None, system=True, name=HOSTILE, scopes=scopes, acting_as=make_user('admin')
        )[1]


async def test_a_misspelt_filter_is_refused_at_its_name_not_ignored() -> None:
    make_customer('open@example.com', name=HOSTILE, status='active')
    make_customer('half@example.com', name=HOSTILE, status='unfinished')
    secret = key('read:customers')
    async with api_client(router) as client:
        misspelt = await client.get('/api/v1/customers', params={'stauts': 'active'}, headers=bearer(secret))
        hostile = await client.get(
            '/api/v1/customers', params={HOSTILE: HOSTILE, 'status': 'active'}, headers=bearer(secret)
        )
        french = await client.get(
            '/api/v1/customers', params={'stauts': 'active'}, headers=bearer(secret, **{'Accept-Language': 'fr'})
        )
        filtered = await client.get('/api/v1/customers', params={'status': 'active'}, headers=bearer(secret))
    assert misspelt.status_code == 422
    [refusal] = misspelt.json()['detail']
    assert refusal['loc'] == ['query', 'stauts'] and refusal['type'] == 'extra_forbidden'
    assert 'status' in refusal['msg'] and 'page_size' in refusal['msg']  # what the list takes instead
    assert 'did you mean status?' in refusal['msg']
    assert hostile.status_code == 422 and hostile.json()['detail'][0]['loc'] == ['query', HOSTILE]
    assert 'did you mean' not in hostile.json()['detail'][0]['msg']  # nothing near: only what it takes
    assert french.status_code == 422 and 'vouliez-vous dire status' in french.json()['detail'][0]['msg']
    assert [c['email'] for c in filtered.json()['items']] == ['open@example.com']


async def test_every_documented_parameter_still_works() -> None:
    make_customer('a@example.com', name='Ann', status='active')
    make_customer('b@example.com', name='Bob', status='unfinished')
    secret = key('write:customers')
    async with api_client(router) as client:
        listed = await client.get(
            '/api/v1/customers',
            params=[
                ('q', 'example'),
                ('status', 'active'),
                ('status', 'unfinished'),  # a choice repeats
                ('sort', 'email'),
                ('descending', 'true'),
                ('page', '1'),
                ('page_size', '1'),
                ('trash', 'false'),
            ],
            headers=bearer(secret),
        )
        assert listed.status_code == 200, listed.text
        page = listed.json()
        assert [c['email'] for c in page['items']] == ['b@example.com'] and page['next_cursor']
        following = await client.get(
            '/api/v1/customers',
            params={
                'sort': 'email',
                'descending': 'true',
                'page_size': '1',
                'q': 'example',
                'cursor': page['next_cursor'],
            },
            headers=bearer(secret),
        )
        assert [c['email'] for c in following.json()['items']] == ['a@example.com']
        one = page['items'][0]
        history = await client.get(
            f'/api/v1/customers/{one["id"]}/history', params={'limit': 5}, headers=bearer(secret)
        )
        assert history.status_code == 200, history.text
        misspelt = await client.get(
            f'/api/v1/customers/{one["id"]}/history', params={'limt': 5}, headers=bearer(secret)
        )
        assert misspelt.status_code == 422 and misspelt.json()['detail'][0]['loc'] == ['query', 'limt']
        deleted = await client.delete(
            f'/api/v1/customers/{one["id"]}', params={'version': one['version']}, headers=bearer(secret)
        )
        assert deleted.status_code in (200, 204), deleted.text


async def test_every_resource_takes_its_declared_range_and_related_filters() -> None:
    """Each declared filter's own parameters (a range's `_from`/`_to` or `_min`/`_max`, a related id or `none`) are
    known to its list: none is refused as unknown."""
    scopes = [api_keys.resource_scope('read', name) for name in RESOURCES]
    secret = key(*scopes)
    async with api_client(router) as client:
        described = (await client.get('/openapi.json')).json()['paths']
        for name in RESOURCES:
            parameters = [p for p in described[f'/api/v1/{name}']['get']['parameters'] if p['in'] == 'query']
            sample = {p['name']: _sample(p) for p in parameters if p['name'] not in ('cursor',)}
            answer = await client.get(f'/api/v1/{name}', params=sample, headers=bearer(secret))
            assert answer.status_code != 422 or all(
                item['loc'][-1] != 'query' and item.get('type') != 'extra_forbidden' for item in answer.json()['detail']
            ), (name, answer.text)


async def test_the_intake_and_the_customer_view_refuse_an_unknown_parameter_at_its_name() -> None:
    submit_request(f'Where is it {HOSTILE}', email='jo@example.com', order_number=None)
    secret = key('customers:read', 'requests:write', 'acceptances:write')
    async with api_client(intake, customer_view, acceptances) as client:
        misspelt = await client.get(
            '/api/customer/requests', params={'email': 'jo@example.com', 'limt': '5'}, headers=bearer(secret)
        )
        hostile = await client.get(
            '/api/customer/orders', params={'email': 'jo@example.com', HOSTILE: HOSTILE}, headers=bearer(secret)
        )
        listed = await client.get(
            '/api/customer/requests', params={'email': 'jo@example.com', 'limit': '5'}, headers=bearer(secret)
        )
        submitted = await client.post(
            '/api/requests',
            params={'notify': 'yes'},
            json={'email': 'jo@example.com', 'subject': HOSTILE, 'body': HOSTILE},
            headers=bearer(secret),
        )
        without_key = await client.post(
            '/api/requests', params={'notify': 'yes'}, json={'email': 'jo@example.com', 'subject': 'x', 'body': 'x'}
        )
        accepted = await client.post(
            '/api/legal-acceptances',
            params={'dry_run': '1'},
            json={'email': 'jo@example.com', 'document': 'terms', 'version': 1},
            headers=bearer(secret, **{'Accept-Language': 'fr'}),
        )
        rated = await client.post('/api/requests/1/rating', params={'scroe': '5'}, json={'token': 'x', 'score': 5})
    assert misspelt.status_code == 422
    [refusal] = misspelt.json()['detail']
    assert refusal['loc'] == ['query', 'limt'] and refusal['type'] == 'extra_forbidden'
    assert 'did you mean limit?' in refusal['msg'] and 'email, after, limit' in refusal['msg']
    assert hostile.status_code == 422 and hostile.json()['detail'][0]['loc'] == ['query', HOSTILE]
    assert listed.status_code == 200 and [r['subject'] for r in listed.json()['requests']] == [f'Where is it {HOSTILE}']
    assert submitted.status_code == 422 and submitted.json()['detail'][0]['loc'] == ['query', 'notify']
    assert without_key.status_code == 401  # the key is checked first, as on /api/v1
    assert accepted.status_code == 422 and accepted.json()['detail'][0]['loc'] == ['query', 'dry_run']
    assert 'inconnu' in accepted.json()['detail'][0]['msg']
    assert rated.status_code == 422 and rated.json()['detail'][0]['loc'] == ['query', 'scroe']
    assert 'did you mean' not in rated.json()['detail'][0]['msg']  # the rating reads no query parameter: none near
    assert submitted.json()['detail'][0]['msg'] == 'Unknown query parameter; this route takes no query parameters.'
    with read_session() as session:
        subjects = list(session.exec(select(Ticket.subject).order_by(col(Ticket.id))))
    assert subjects == [f'Where is it {HOSTILE}']  # nothing submitted with the unknown parameter


def _sample(parameter: dict) -> str:
    schema = parameter.get('schema', {})
    options = schema.get('anyOf', [schema])
    for option in options:
        if option.get('type') == 'array':
            option = option.get('items', {})
        if 'enum' in option:
            return str(option['enum'][0])
        if option.get('type') == 'integer':
            return str(max(1, option.get('minimum', 1)))
        if option.get('type') == 'number':
            return '1'
        if option.get('type') == 'boolean':
            return 'false'
        if option.get('format') == 'date':
            return '2026-01-01'
        if option.get('format') == 'date-time':
            return '2026-01-01T00:00:00Z'
    return 'x'
