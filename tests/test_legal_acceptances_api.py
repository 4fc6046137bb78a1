"""The front office records that a customer accepted a version of a legal document: a key with `acceptances:write`,
the customer by email or id, 201 the first time and 200 (the same record) after; an unknown or unpublished version
and hostile text are refused with 422 at their field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta, timezone

import httpx
import pytest
from sqlmodel import func, select

from backoffice.api.legal_acceptances import router
from backoffice.db import read_session, session_scope
from backoffice.models import LegalAcceptance, utcnow
from backoffice.runtime import ratelimit
from backoffice.services import content

from .support.api import api_client, bearer, make_key
from .support.factories import edit_content, make_content, make_customer, make_user, publish_content
from .support.legal import terms_with_versions

HOSTILE = '<script>alert("x")</script>: \'quoted\''
PATH = '/api/legal-acceptances'


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    ratelimit.reset_all()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(router) as http:
        yield http


@pytest.fixture
def secret() -> str:
    return make_key('Checkout', ('acceptances:write',))[1]


async def test_an_acceptance_is_recorded_and_a_repeat_is_the_same_record(
    client: httpx.AsyncClient, secret: str
) -> None:
    terms_with_versions('api-terms', 2)
    customer = make_customer('api-accept@example.com')
    body = {'email': 'api-accept@example.com', 'document': 'api-terms', 'version': 2, 'ip': '198.51.100.4'}

    first = await client.post(PATH, json={**body, 'accepted_at': '2026-12-01T10:00:00Z'}, headers=bearer(secret))
    again = await client.post(PATH, json={**body, 'accepted_at': '2026-12-02T10:00:00Z'}, headers=bearer(secret))
    by_id = await client.post(
        PATH, json={'customer_id': customer.id, 'document': 'api-terms', 'version': 2}, headers=bearer(secret)
    )

    assert (first.status_code, again.status_code, by_id.status_code) == (201, 200, 200)
    assert first.json()['created'] is True and again.json()['created'] is False
    assert again.json()['id'] == first.json()['id'] == by_id.json()['id']
    assert again.json()['accepted_at'].startswith('2026-12-01T10:00:00')  # the first time stands
    assert (first.json()['document'], first.json()['version'], first.json()['source']) == ('api-terms', 2, 'api')
    with read_session() as session:
        count = session.exec(
            select(func.count()).select_from(LegalAcceptance).where(LegalAcceptance.customer_id == customer.id)
        ).one()
    assert count == 1


async def test_a_time_given_in_another_zone_is_answered_in_utc_first_time_and_again(
    client: httpx.AsyncClient, secret: str
) -> None:
    terms_with_versions('api-terms-zone', 1)
    make_customer('api-zone@example.com')
    body = {'email': 'api-zone@example.com', 'document': 'api-terms-zone', 'version': 1}
    at = (utcnow() - timedelta(hours=1)).replace(microsecond=0)
    sent = at.astimezone(timezone(timedelta(hours=5))).isoformat()  # '…T12:00:00+05:00'

    first = await client.post(PATH, json={**body, 'accepted_at': sent}, headers=bearer(secret))
    again = await client.post(PATH, json={**body, 'accepted_at': sent}, headers=bearer(secret))

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()['accepted_at'] == again.json()['accepted_at'] == at.strftime('%Y-%m-%dT%H:%M:%SZ')


@pytest.mark.parametrize(
    ('change', 'location'),
    [
        ({'version': 9}, ['body', 'version']),
        ({'version': 0}, ['body', 'version']),
        ({'document': HOSTILE}, ['body', 'document']),
        ({'document': 'api-page'}, ['body', 'document']),  # a page, not a legal document
        ({'email': HOSTILE}, ['body', 'email']),
        ({'ip': HOSTILE}, ['body', 'ip']),
        ({'accepted_at': HOSTILE}, ['body', 'accepted_at']),
        ({'accepted_at': '2020-01-01T00:00:00Z'}, ['body', 'accepted_at']),  # before it was published
        ({'accepted_at': '2999-01-01T00:00:00Z'}, ['body', 'accepted_at']),
        ({'source': 'portal'}, ['body', 'source']),  # the API records the shop's acceptances only
    ],
)
async def test_what_cannot_have_been_accepted_is_refused_at_its_field(
    client: httpx.AsyncClient, secret: str, change: dict, location: list
) -> None:
    terms_with_versions('api-refused', 1)
    make_content('api-page', title='A page', kind='page', published=True)
    make_customer('api-refused@example.com')
    body = {'email': 'api-refused@example.com', 'document': 'api-refused', 'version': 1, **change}

    response = await client.post(PATH, json=body, headers=bearer(secret))

    assert response.status_code == 422
    assert [error['loc'] for error in response.json()['detail']] == [location]
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(LegalAcceptance)).one() == 0


async def test_a_customer_left_out_is_asked_for_and_one_given_twice_is_refused_saying_so(
    client: httpx.AsyncClient, secret: str
) -> None:
    """Neither the email nor the id was answered "…, not both.": the developer looked for a second customer field."""
    terms_with_versions('api-who', 1)
    customer = make_customer('api-who@example.com', name=HOSTILE)
    body = {'document': 'api-who', 'version': 1}

    nobody = await client.post(PATH, json=body, headers=bearer(secret))
    personne = await client.post(PATH, json=body, headers=bearer(secret, **{'Accept-Language': 'fr'}))
    both = await client.post(
        PATH, json={**body, 'email': 'api-who@example.com', 'customer_id': customer.id}, headers=bearer(secret)
    )

    assert [(e['loc'], e['msg']) for e in nobody.json()['detail']] == [
        (['body', 'email'], "Give the customer's email or their id.")
    ]
    assert [e['msg'] for e in personne.json()['detail']] == ['Indiquez l’e-mail du client ou son identifiant.']
    assert [(e['loc'], e['msg']) for e in both.json()['detail']] == [
        (['body', 'email'], "Give the customer's email or their id, not both.")
    ]
    assert (nobody.status_code, both.status_code) == (422, 422)
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(LegalAcceptance)).one() == 0


async def test_a_key_needs_the_scope(client: httpx.AsyncClient) -> None:
    terms_with_versions('api-scope', 1)
    make_customer('api-scope@example.com')
    body = {'email': 'api-scope@example.com', 'document': 'api-scope', 'version': 1}
    _key, other = make_key('Reader', ('customers:read',))

    assert (await client.post(PATH, json=body, headers=bearer(other))).status_code == 403
    assert (await client.post(PATH, json=body)).status_code == 401
    assert (await client.post(PATH, json=body, headers=bearer('bo_nothing'))).status_code == 401


async def test_the_endpoint_is_in_the_api_schema(client: httpx.AsyncClient) -> None:
    schema = (await client.get('/openapi.json')).json()
    operation = schema['paths'][PATH]['post']
    assert {'200', '201', '401', '403', '422'} <= set(operation['responses'])
    assert {'email', 'customer_id', 'document', 'version', 'accepted_at', 'ip'} == set(
        schema['components']['schemas']['NewAcceptance']['properties']
    )


async def test_a_withdrawn_version_is_refused_saying_so_and_the_version_in_force_is_accepted(
    client: httpx.AsyncClient, secret: str
) -> None:
    """Version 1 was in force until the terms were unpublished ten days ago, then the terms came back as version 2:
    an acceptance of version 1 now was recorded as if it were still on offer. It is refused at the version with why;
    one made while it was in force, reported late, still counts, and version 2 is accepted."""
    manager = make_user('manager')
    terms = terms_with_versions('api-withdrawn', 1, title=HOSTILE)
    withdrawn = utcnow() - timedelta(days=10)
    with session_scope() as session:
        terms = content.unpublish_content(
            session=session, actor=manager, record_id=terms.id, version=terms.version, now=withdrawn
        )
    make_customer('api-withdrawn@example.com')
    body = {'email': 'api-withdrawn@example.com', 'document': 'api-withdrawn'}

    off = await client.post(PATH, json={**body, 'version': 1}, headers=bearer(secret))
    assert off.status_code == 422
    assert [(e['loc'], e['msg']) for e in off.json()['detail']] == [
        (
            ['body', 'document'],
            "The legal document 'api-withdrawn' was taken off the front office: none of its versions can be accepted "
            'until a version is published again.',
        )
    ]

    publish_content(terms, actor=manager, now=withdrawn + timedelta(days=5))
    now = await client.post(PATH, json={**body, 'version': 1}, headers=bearer(secret))
    assert now.status_code == 422
    ((error,),) = [now.json()['detail']]
    assert error['loc'] == ['body', 'version']
    assert error['msg'].startswith("Version 1 of 'api-withdrawn' was withdrawn on ")
    assert error['msg'].endswith(': it can no longer be accepted. Version 2 is in force.')
    after = withdrawn + timedelta(hours=1)
    dated_after = await client.post(
        PATH, json={**body, 'version': 1, 'accepted_at': after.isoformat()}, headers=bearer(secret)
    )
    assert (dated_after.status_code, dated_after.json()['detail'][0]['loc']) == (422, ['body', 'version'])
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(LegalAcceptance)).one() == 0

    before = (withdrawn - timedelta(days=1)).isoformat()  # made while in force, reported late
    late = await client.post(PATH, json={**body, 'version': 1, 'accepted_at': before}, headers=bearer(secret))
    current = await client.post(PATH, json={**body, 'version': 2}, headers=bearer(secret))
    assert (late.status_code, current.status_code) == (201, 201)
    assert (late.json()['version'], current.json()['version']) == (1, 2)


async def test_a_version_withdrawn_before_it_took_effect_can_never_be_accepted(
    client: httpx.AsyncClient, secret: str
) -> None:
    manager = make_user('manager')
    terms = terms_with_versions('api-never', 1)
    terms = edit_content(terms, manager, body='Never', publish_at=utcnow() + timedelta(days=3))
    terms = publish_content(terms, actor=manager)
    with session_scope() as session:
        terms = content.unpublish_content(session=session, actor=manager, record_id=terms.id, version=terms.version)
    publish_content(edit_content(terms, manager, body='Back', publish_at=None), actor=manager)
    make_customer('api-never@example.com')

    refused = await client.post(
        PATH, json={'email': 'api-never@example.com', 'document': 'api-never', 'version': 2}, headers=bearer(secret)
    )

    assert refused.status_code == 422
    assert [(e['loc'], e['msg']) for e in refused.json()['detail']] == [
        (
            ['body', 'version'],
            "Version 2 of 'api-never' was withdrawn before it took effect: it can never be accepted. Version 3 is in "
            'force.',
        )
    ]


async def test_every_mistake_of_an_acceptance_is_said_in_one_answer(client: httpx.AsyncClient, secret: str) -> None:
    """An unknown customer was said first; the unknown document only once the email was fixed, then the address."""
    terms_with_versions('api-terms', 1)
    body = {'email': 'nobody@example.com', 'document': HOSTILE[:100], 'version': 1, 'ip': HOSTILE[:40]}

    refused = await client.post(PATH, json=body, headers=bearer(secret))
    wrong_version = await client.post(
        PATH, json={'document': 'api-terms', 'version': 7, 'accepted_at': '2026-12-01T10:00:00'}, headers=bearer(secret)
    )

    said = {tuple(error['loc']): error['msg'] for error in refused.json()['detail']}
    assert refused.status_code == 422 and said.keys() == {('body', 'email'), ('body', 'document'), ('body', 'ip')}
    assert said['body', 'email'] == 'There is no customer with this email or id.'
    assert said['body', 'ip'] == 'This is not an IPv4 or IPv6 address.'
    said = {tuple(error['loc']): error['msg'] for error in wrong_version.json()['detail']}
    assert said.keys() == {('body', 'email'), ('body', 'version'), ('body', 'accepted_at')}
    assert 'has no published version 7' in said['body', 'version']
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(LegalAcceptance)).one() == 0


async def test_a_malformed_field_is_said_with_the_unknown_customer_and_document(
    client: httpx.AsyncClient, secret: str
) -> None:
    """A version sent as "x" was refused alone: the unknown customer and document came only once it was fixed."""
    terms_with_versions('api-terms', 1)
    make_customer('known-accept@example.com')
    body = {'email': HOSTILE[:60] + '@example.com', 'document': HOSTILE[:100], 'version': 'x', 'ip': HOSTILE[:40]}
    by_id = {'customer_id': 999_999, 'document': 'api-terms', 'version': 3, 'accepted_at': 'yesterday'}
    known = {'email': 'known-accept@example.com', 'document': 'api-terms', 'version': 'x'}

    refused = await client.post(PATH, json=body, headers=bearer(secret))
    refused_by_id = await client.post(PATH, json=by_id, headers=bearer(secret))
    only_malformed = await client.post(PATH, json=known, headers=bearer(secret))
    in_french = await client.post(PATH, json=body, headers=bearer(secret, **{'Accept-Language': 'fr'}))

    said = {tuple(error['loc']): error['msg'] for error in refused.json()['detail']}
    assert refused.status_code == 422
    assert said.keys() == {('body', 'email'), ('body', 'document'), ('body', 'version'), ('body', 'ip')}
    assert said['body', 'email'] == 'There is no customer with this email or id.'
    assert said['body', 'version'].startswith('Input should be a valid integer')  # its own mistake, said once
    assert said['body', 'ip'] == 'This is not an IPv4 or IPv6 address.'
    said = {tuple(error['loc']): error['msg'] for error in refused_by_id.json()['detail']}
    assert said.keys() == {('body', 'customer_id'), ('body', 'version'), ('body', 'accepted_at')}
    assert 'has no published version 3' in said['body', 'version']  # the time unread: the version checked alone
    assert [error['loc'] for error in only_malformed.json()['detail']] == [['body', 'version']]
    said = {tuple(error['loc']): error['msg'] for error in in_french.json()['detail']}
    assert said['body', 'email'] == 'Aucun client n’a cet e-mail ou cet identifiant.'  # the caller's language
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(LegalAcceptance)).one() == 0
