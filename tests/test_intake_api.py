"""The intake API as the front office uses it: every status code of the contract, idempotent retries, and the
customer's follow-ups and ratings; plus the OpenAPI description a front-office developer reads."""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlmodel import func, select

from backoffice.api import requests as requests_api
from backoffice.api.requests import MAX_BODY_BYTES, MAX_BODY_WITH_FILES, router
from backoffice.db import held_commits, read_session, session_scope
from backoffice.models import (
    ApiKey,
    Customer,
    Ticket,
    TicketAttachment,
    TicketMessage,
    TicketSource,
    TicketStatus,
    User,
    utcnow,
)
from backoffice.runtime import ratelimit
from backoffice.services import api_keys, ticket_attachments, ticket_links, tickets

from .support.api import api_client, bearer, make_key
from .support.companies import company_with
from .support.factories import banned_customer, make_customer, make_user, paid_order, tiny_png

REQUEST = {
    'email': 'Jo@Example.com',
    'name': 'Jo Miller',
    'subject': 'Where is my parcel?',
    'body': 'I ordered a week ago.',
    'type': 'question',
    'order_number': 'A-1042',
}


@pytest.fixture(autouse=True)
def full_buckets() -> None:
    ratelimit.reset_all()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(router) as client:
        yield client


@pytest.fixture
def secret() -> str:
    return make_key(scopes=('requests:write',))[1]


def count(model) -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


async def test_a_request_is_created_with_its_customer_and_answered_with_id_and_number(
    client: httpx.AsyncClient, secret: str
) -> None:
    response = await client.post('/api/requests', json=REQUEST, headers=bearer(secret))

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {'id', 'number'}
    with read_session() as session:
        ticket = session.get(Ticket, body['id'])
        customer = session.get(Customer, ticket.customer_id)
        first = session.exec(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)).one()
        key = session.exec(select(ApiKey)).one()
    assert (ticket.number, ticket.subject, ticket.source, ticket.order_number) == (
        body['number'],
        'Where is my parcel?',
        TicketSource.api,
        'A-1042',
    )
    assert (customer.email, customer.name, first.body) == ('jo@example.com', 'Jo Miller', 'I ordered a week ago.')
    assert key.last_used_at is not None


async def test_a_known_customer_is_found_by_email_not_created_again(client: httpx.AsyncClient, secret: str) -> None:
    make_customer('jo@example.com', name='Jo')
    for _ in range(2):
        assert (await client.post('/api/requests', json=REQUEST, headers=bearer(secret))).status_code == 201
    assert (count(Customer), count(Ticket)) == (1, 2)


@pytest.mark.parametrize(
    ('change', 'location', 'message'),
    [
        ({'email': None}, ['body', 'email'], 'Input should be a valid string'),
        ({'email': 'not-an-email'}, ['body', 'email'], 'Enter a valid email address'),
        ({'subject': '   '}, ['body', 'subject'], 'This field is required'),
        ({'subject': 'x' * 201}, ['body', 'subject'], 'String should have at most 200 characters'),
        ({'body': ''}, ['body', 'body'], 'This field is required'),
        (
            {'type': 'complaint'},
            ['body', 'type'],
            "Input should be 'question', 'bug', 'return_exchange', 'feedback' or 'other'",
        ),
    ],
)
async def test_bad_input_is_refused_with_the_field_and_the_reason(
    client: httpx.AsyncClient, secret: str, change: dict, location: list, message: str
) -> None:
    payload = {**REQUEST, **change}
    if change.get('email', '') is None:
        del payload['email']
        message = 'Field required'

    response = await client.post('/api/requests', json=payload, headers=bearer(secret))

    assert response.status_code == 422
    [error] = response.json()['detail']
    assert (error['loc'], error['msg']) == (location, message)
    assert count(Ticket) == 0


async def test_a_body_that_is_not_json_is_refused_with_422(client: httpx.AsyncClient, secret: str) -> None:
    response = await client.post(
        '/api/requests', content=b'{"email": ', headers=bearer(secret, **{'Content-Type': 'application/json'})
    )
    assert response.status_code == 422


@pytest.mark.parametrize('header', [None, 'Bearer ', 'Basic dXNlcjpwYXNz'])
async def test_without_a_key_the_answer_is_401_with_a_bearer_challenge(
    client: httpx.AsyncClient, header: str | None
) -> None:
    response = await client.post('/api/requests', json=REQUEST, headers={'Authorization': header} if header else {})

    assert response.status_code == 401
    assert response.headers['www-authenticate'] == 'Bearer'
    assert response.json() == {'detail': 'An API key is required: send it as "Authorization: Bearer <key>".'}


async def test_an_unknown_or_revoked_key_is_401(client: httpx.AsyncClient, secret: str) -> None:
    wrong = await client.post('/api/requests', json=REQUEST, headers=bearer(secret[:-4] + 'abcd'))
    assert (wrong.status_code, wrong.json()['detail']) == (401, 'The API key is not valid.')
    assert wrong.headers['www-authenticate'] == 'Bearer error="invalid_token"'

    admin = make_user('admin')
    with session_scope() as session:
        key = session.exec(select(ApiKey)).one()
        api_keys.revoke_key(session=session, actor=admin, key_id=key.id)
    revoked = await client.post('/api/requests', json=REQUEST, headers=bearer(secret))
    assert (revoked.status_code, revoked.json()['detail']) == (401, 'The API key has been revoked.')
    assert count(Ticket) == 0


async def test_a_key_without_the_requests_scope_is_403(client: httpx.AsyncClient) -> None:
    _key, events_only = make_key(scopes=('events:write',))

    response = await client.post('/api/requests', json=REQUEST, headers=bearer(events_only))

    assert response.status_code == 403
    assert response.json() == {'detail': "The API key does not have the 'requests:write' scope."}


async def test_a_key_made_at_settings_works_while_its_maker_is_active_and_stops_once_deactivated(
    client: httpx.AsyncClient,
) -> None:
    admin = make_user('admin')
    with session_scope() as session:
        _key, made = api_keys.create_key(
            session=session, actor=admin, name='Shop "<script>" : 1', scopes=['requests:write']
        )

    accepted = await client.post('/api/requests', json=REQUEST, headers=bearer(made))
    with session_scope() as session:
        session.get(User, admin.id).is_active = False
        session.commit()
    refused = await client.post('/api/requests', json={**REQUEST, 'subject': 'Again'}, headers=bearer(made))

    assert accepted.status_code == 201
    assert (refused.status_code, refused.json()['detail']) == (403, str(api_keys.KeyActsForNobody()))
    assert count(Ticket) == 1


async def test_a_key_whose_maker_was_deleted_is_refused(client: httpx.AsyncClient) -> None:
    admin = make_user('admin')
    with session_scope() as session:
        key, made = api_keys.create_key(session=session, actor=admin, name='Shop', scopes=['requests:write'])
        session.get(ApiKey, key.id).user_id = None  # what the foreign key's ON DELETE SET NULL leaves
        session.commit()

    response = await client.post('/api/requests', json=REQUEST, headers=bearer(made))

    assert response.status_code == 403
    assert count(Ticket) == 0


async def test_a_banned_customer_is_refused_with_403(client: httpx.AsyncClient, secret: str) -> None:
    banned_customer('jo@example.com')

    response = await client.post('/api/requests', json=REQUEST, headers=bearer(secret))

    assert response.status_code == 403
    assert response.json() == {'detail': 'This customer is banned: their requests are not accepted.'}
    assert count(Ticket) == 0


async def test_a_body_over_the_limit_is_413_by_its_declared_length(client: httpx.AsyncClient, secret: str) -> None:
    payload = {'token': 'x', 'score': 5, 'comment': 'x' * MAX_BODY_BYTES}

    response = await client.post('/api/requests/1/rating', json=payload, headers=bearer(secret))

    assert response.status_code == 413
    assert response.json() == {'detail': 'The request body is larger than 64 KB.'}


async def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit(client: httpx.AsyncClient, secret: str) -> None:
    async def chunks(kilobytes: int):
        for _ in range(kilobytes):
            yield b'x' * 1024

    json_headers = bearer(secret, **{'Content-Type': 'application/json'})
    response = await client.post('/api/requests/1/rating', content=chunks(100), headers=json_headers)

    assert 'content-length' not in response.request.headers
    assert response.status_code == 413
    # a new request and a follow-up may carry files: their limit is theirs (base64) with the message's own text
    for path in ('/api/requests', '/api/requests/1/messages'):
        response = await client.post(path, content=chunks(MAX_BODY_WITH_FILES // 1024 + 1), headers=json_headers)
        assert response.status_code == 413
        assert response.json() == {'detail': 'The request body is larger than 14336 KB.'}
    assert count(Ticket) == 0


async def test_a_body_just_under_the_limit_is_accepted(client: httpx.AsyncClient, secret: str) -> None:
    payload = {**REQUEST, 'body': 'x' * 19_000}
    assert (await client.post('/api/requests', json=payload, headers=bearer(secret))).status_code == 201


async def test_more_than_the_rate_a_minute_is_429_with_retry_after(
    client: httpx.AsyncClient, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, 'api_keys', ratelimit.RateLimiter(3, 60))
    _key, other = make_key('Other shop')
    for _ in range(3):
        assert (await client.post('/api/requests', json=REQUEST, headers=bearer(secret))).status_code == 201

    refused = await client.post('/api/requests', json=REQUEST, headers=bearer(secret))

    assert refused.status_code == 429
    assert 1 <= int(refused.headers['retry-after']) <= 20
    assert refused.json()['detail'].startswith('Rate limit of 3 calls a minute for this API key reached. Retry in ')
    assert count(Ticket) == 3
    assert (await client.post('/api/requests', json=REQUEST, headers=bearer(other))).status_code == 201  # per key


async def test_the_default_rate_is_six_hundred_a_minute_per_key(
    client: httpx.AsyncClient, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ratelimit.api_keys.reset()
    monkeypatch.setattr(ratelimit.api_keys, 'clock', lambda: 1000.0)  # no refill while the loop runs
    assert ratelimit.API_KEY_CALLS_PER_MINUTE == ratelimit.api_keys.limit == 600  # BACKOFFICE_API_CALLS_PER_MINUTE
    for _ in range(ratelimit.API_KEY_CALLS_PER_MINUTE):
        assert ratelimit.api_keys.hit(f'key:{secret.split("_")[1]}').allowed
    response = await client.post('/api/requests', json=REQUEST, headers=bearer(secret))
    assert response.status_code == 429 and response.headers['retry-after'] == '1'


async def test_a_retry_with_the_same_idempotency_key_gets_the_same_answer_and_creates_nothing(
    client: httpx.AsyncClient, secret: str
) -> None:
    headers = bearer(secret, **{'Idempotency-Key': 'order-A-1042-question'})
    first = await client.post('/api/requests', json=REQUEST, headers=headers)
    reordered = dict(reversed(list(REQUEST.items())))  # the same JSON in another key order is the same request
    retry = await client.post('/api/requests', json=reordered, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers['idempotent-replayed'] == 'true'
    assert count(Ticket) == 1

    other = await client.post('/api/requests', json=REQUEST, headers=bearer(secret, **{'Idempotency-Key': 'another'}))
    assert other.status_code == 201 and other.json() != first.json()


async def test_the_same_idempotency_key_with_another_body_is_refused(client: httpx.AsyncClient, secret: str) -> None:
    headers = bearer(secret, **{'Idempotency-Key': 'k-1'})
    await client.post('/api/requests', json=REQUEST, headers=headers)

    response = await client.post('/api/requests', json={**REQUEST, 'subject': 'Something else'}, headers=headers)

    assert response.status_code == 422
    [error] = response.json()['detail']
    assert error['loc'] == ['header', 'Idempotency-Key']
    assert error['msg'].startswith('This Idempotency-Key was already used with a different request.')
    assert count(Ticket) == 1


async def test_idempotency_keys_of_different_api_keys_do_not_meet(client: httpx.AsyncClient, secret: str) -> None:
    _key, other = make_key('Other shop')
    first = await client.post('/api/requests', json=REQUEST, headers=bearer(secret, **{'Idempotency-Key': 'k'}))
    second = await client.post('/api/requests', json=REQUEST, headers=bearer(other, **{'Idempotency-Key': 'k'}))
    assert first.status_code == second.status_code == 201 and first.json() != second.json()


async def test_a_refused_request_does_not_use_up_its_idempotency_key(client: httpx.AsyncClient, secret: str) -> None:
    headers = bearer(secret, **{'Idempotency-Key': 'k-2'})
    bad = await client.post('/api/requests', json={**REQUEST, 'email': 'nope'}, headers=headers)
    fixed = await client.post('/api/requests', json=REQUEST, headers=headers)
    assert (bad.status_code, fixed.status_code, count(Ticket)) == (422, 201, 1)


async def test_a_retry_while_the_first_call_still_runs_waits_for_it_and_gets_its_answer(
    client: httpx.AsyncClient, secret: str
) -> None:
    """The key, the request and the answer commit together: a retry sent while the first call is still inside its
    transaction waits for it, then gets the first answer; nothing is created twice and no 409 is needed."""
    reserved, finish = threading.Event(), threading.Event()
    fingerprint = api_keys.request_fingerprint('POST', '/api/requests', {**REQUEST, 'type': 'question'})

    def first_call() -> None:
        with session_scope() as session:
            key = session.exec(select(ApiKey)).one()
            assert (
                api_keys.reserve_idempotency_key(
                    session=session, api_key=key, idempotency_key='k-3', fingerprint=fingerprint
                )
                is None
            )
            with held_commits(session):
                ticket = tickets.submit_request(session=session, **REQUEST)
                api_keys.remember_response(
                    session=session,
                    api_key=key,
                    idempotency_key='k-3',
                    fingerprint=fingerprint,
                    status_code=201,
                    response={'id': ticket.id, 'number': ticket.number},
                )
            reserved.set()
            finish.wait(10)
            session.commit()

    thread = threading.Thread(target=first_call)
    thread.start()
    assert reserved.wait(10)
    retry = asyncio.ensure_future(
        client.post('/api/requests', json=REQUEST, headers=bearer(secret, **{'Idempotency-Key': 'k-3'}))
    )
    await asyncio.sleep(0.3)
    assert not retry.done()  # it waits for the first call
    finish.set()
    response = await retry
    thread.join()

    assert response.status_code == 201 and response.headers['Idempotent-Replayed'] == 'true'
    assert count(Ticket) == 1
    with read_session() as session:
        assert response.json()['number'] == session.exec(select(Ticket.number)).one()


async def created_request(client: httpx.AsyncClient, secret: str) -> dict:
    response = await client.post('/api/requests', json=REQUEST, headers=bearer(secret))
    assert response.status_code == 201
    return response.json()


async def test_a_follow_up_from_the_customer_joins_the_thread(client: httpx.AsyncClient, secret: str) -> None:
    created = await created_request(client, secret)

    response = await client.post(
        f'/api/requests/{created["number"]}/messages',
        json={'email': 'jo@example.com', 'body': 'Any news?'},
        headers=bearer(secret),
    )

    assert response.status_code == 201
    assert response.json()['number'] == created['number']
    with read_session() as session:
        thread = session.exec(
            select(TicketMessage.body).where(TicketMessage.ticket_id == created['id']).order_by(TicketMessage.id)
        ).all()
    assert thread == ['I ordered a week ago.', 'Any news?']


async def test_a_follow_up_needs_a_key_and_the_right_customer(client: httpx.AsyncClient, secret: str) -> None:
    created = await created_request(client, secret)
    url = f'/api/requests/{created["number"]}/messages'

    no_key = await client.post(url, json={'email': 'jo@example.com', 'body': 'Hi'})
    stranger = await client.post(url, json={'email': 'eve@example.com', 'body': 'Hi'}, headers=bearer(secret))
    unknown = await client.post(
        '/api/requests/999999/messages', json={'email': 'jo@example.com', 'body': 'Hi'}, headers=bearer(secret)
    )
    empty = await client.post(url, json={'email': 'jo@example.com', 'body': ' '}, headers=bearer(secret))

    assert (no_key.status_code, stranger.status_code, unknown.status_code, empty.status_code) == (401, 404, 404, 422)
    assert empty.json()['detail'][0]['loc'] == ['body', 'body']
    # the front office sent an email, not a link: the refusal says so, the same for a stranger and an unknown number
    assert stranger.json() == unknown.json() == {'detail': 'No request of this customer has this number.'}


async def test_a_follow_ups_malformed_field_is_said_with_the_wrong_customer_or_closed_request(
    client: httpx.AsyncClient, secret: str
) -> None:
    """A blank message was said alone: that the request is not this customer's, or is closed, came only once the text
    was fixed (a 404, or a second 422)."""
    created = await created_request(client, secret)
    url = f'/api/requests/{created["number"]}/messages'
    blank = {'email': '"<script>":x@example.com', 'body': ' \n '}

    stranger = await client.post(url, json=blank, headers=bearer(secret))
    unknown = await client.post('/api/requests/999999/messages', json=blank, headers=bearer(secret))
    theirs = await client.post(url, json={**blank, 'email': 'jo@example.com'}, headers=bearer(secret))
    with session_scope() as session:
        session.get(Ticket, created['id']).status = TicketStatus.closed
        session.commit()
    closed = await client.post(
        url, json={**blank, 'email': 'jo@example.com'}, headers=bearer(secret, **{'Accept-Language': 'fr'})
    )
    closed_english = await client.post(url, json={**blank, 'email': 'Jo@Example.com'}, headers=bearer(secret))

    for refused in (stranger, unknown):
        said = {tuple(error['loc']): error['msg'] for error in refused.json()['detail']}
        assert refused.status_code == 422
        assert said == {
            ('body', 'body'): 'This field is required',
            ('path', 'number'): 'No request of this customer has this number.',
        }
    assert [error['loc'] for error in theirs.json()['detail']] == [['body', 'body']]
    said = {tuple(error['loc']): error['msg'] for error in closed.json()['detail']}
    assert said['path', 'number'] == f'La demande #{created["number"]} est fermée\u00a0: envoyez une nouvelle demande'
    assert closed_english.json()['detail'][1] == {
        'loc': ['path', 'number'],
        'msg': f'Request #{created["number"]} is closed: send a new request',
        'type': 'value_error',
    }
    assert count(TicketMessage) == 1


async def test_a_follow_up_to_a_merged_request_answers_the_request_it_joined(
    client: httpx.AsyncClient, secret: str
) -> None:
    first = await created_request(client, secret)
    second = await created_request(client, secret)
    agent = make_user('agent')
    with session_scope() as session:
        ticket = session.get(Ticket, first['id'])
        ticket_links.merge(
            session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, into_number=second['number']
        )
    added = await client.post(
        f'/api/requests/{first["number"]}/messages',
        json={'email': 'jo@example.com', 'body': 'Any news? "<script>": \'x\''},
        headers=bearer(secret),
    )
    assert added.status_code == 201, added.text
    assert added.json()['number'] == second['number']  # where the front office shows the thread, with this message
    with read_session() as session:
        assert session.get(TicketMessage, added.json()['id']).ticket_id == second['id']


async def solve(ticket_id: int) -> str:
    agent = make_user('agent')
    with session_scope() as session:
        ticket = session.get(Ticket, ticket_id)
        tickets.change(
            session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, status=TicketStatus.solved
        )
        return session.get(Ticket, ticket_id).token


async def test_the_customer_rates_a_solved_request_with_its_token_once(client: httpx.AsyncClient, secret: str) -> None:
    created = await created_request(client, secret)
    url = f'/api/requests/{created["number"]}/rating'
    with read_session() as session:
        token = session.get(Ticket, created['id']).token

    too_early = await client.post(url, json={'token': token, 'score': 5})
    assert too_early.status_code == 422
    assert too_early.json()['detail'][0]['msg'] == 'A request can be rated once it is solved'

    await solve(created['id'])
    rated = await client.post(url, json={'token': token, 'score': 4, 'comment': 'Quick, thanks'})
    assert (rated.status_code, rated.json()) == (200, {'number': created['number'], 'score': 4})
    with read_session() as session:
        ticket = session.get(Ticket, created['id'])
    assert (ticket.rating, ticket.rating_comment) == (4, 'Quick, thanks')

    again = await client.post(url, json={'token': token, 'score': 1})
    assert again.status_code == 422


@pytest.mark.parametrize(
    ('payload', 'status'),
    [
        ({'token': 'wrong', 'score': 5}, 404),
        ({'score': 5}, 422),
        ({'token': 'x', 'score': 6}, 422),
        ({'token': 'x', 'score': 0}, 422),
    ],
)
async def test_a_rating_needs_the_token_and_a_score_from_1_to_5(
    client: httpx.AsyncClient, secret: str, payload: dict, status: int
) -> None:
    created = await created_request(client, secret)
    response = await client.post(f'/api/requests/{created["number"]}/rating', json=payload)
    assert response.status_code == status


async def test_ratings_are_rate_limited_per_address(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, 'ratings', ratelimit.RateLimiter(2, 60))
    statuses = [
        (await client.post('/api/requests/1001/rating', json={'token': 'guess', 'score': 5})).status_code
        for _ in range(3)
    ]
    assert statuses == [404, 404, 429]


async def test_the_openapi_schema_documents_the_models_and_every_refusal(client: httpx.AsyncClient) -> None:
    schema = (await client.get('/openapi.json')).json()

    intake = schema['paths']['/api/requests']['post']
    assert set(intake['responses']) == {'201', '401', '403', '409', '413', '422', '429'}
    assert intake['requestBody']['content']['application/json']['schema']['$ref'].endswith('/NewRequest')
    assert intake['responses']['201']['content']['application/json']['schema']['$ref'].endswith('/RequestCreated')
    assert {'name': 'Idempotency-Key', 'in': 'header'}.items() <= intake['parameters'][0].items()
    assert intake['security'] == [{'HTTPBearer': []}]
    assert set(schema['components']['schemas']['NewRequest']['required']) == {'email', 'subject', 'body'}
    assert set(schema['paths']['/api/requests/{number}/messages']['post']['responses']) >= {'201', '401', '404'}
    rating = schema['paths']['/api/requests/{number}/rating']['post']
    assert 'security' not in rating and set(rating['responses']) >= {'200', '404', '422', '429'}


async def test_a_refusal_does_not_send_a_long_text_back(client: httpx.AsyncClient, secret: str) -> None:
    """The 422 says which field and why; the 20,000 characters sent stay out of the answer (and the caller's logs)."""
    long = {**REQUEST, 'subject': 'Où est mon colis ? "<script>": ' * 10, 'body': 'x' * 20_001}
    refused = await client.post('/api/requests', json=long, headers=bearer(secret))
    assert refused.status_code == 422 and len(refused.content) < 2000
    by_field = {tuple(error['loc']): error for error in refused.json()['detail']}
    assert by_field[('body', 'body')]['ctx'] == {'max_length': 20_000} and 'input' not in by_field[('body', 'body')]
    assert 'at most 20000 characters' in by_field[('body', 'body')]['msg']
    assert by_field[('body', 'subject')]['type'] == 'string_too_long'

    short = await client.post('/api/requests', json={**REQUEST, 'type': 'nope'}, headers=bearer(secret))
    assert short.json()['detail'][0]['input'] == 'nope'  # a short value still comes back, to see what was sent


async def test_a_misspelt_field_is_refused_at_its_name_not_dropped(client: httpx.AsyncClient, secret: str) -> None:
    """As /api/orders and /api/v1 do: `orderNumber` would otherwise be dropped and the request opened without it."""
    before = count(Ticket)
    typo = await client.post('/api/requests', json={**REQUEST, 'orderNumber': 'A-1 "<b>":'}, headers=bearer(secret))
    assert typo.status_code == 422
    assert [(e['loc'], e['type']) for e in typo.json()['detail']] == [(['body', 'orderNumber'], 'extra_forbidden')]
    created = await created_request(client, secret)
    follow = await client.post(
        f'/api/requests/{created["number"]}/messages',
        json={'email': 'jo@example.com', 'body': 'Hi', 'files': []},
        headers=bearer(secret),
    )
    assert follow.status_code == 422 and follow.json()['detail'][0]['loc'] == ['body', 'files']
    assert count(Ticket) == before + 1


async def test_a_request_comes_with_its_attachments_and_a_refused_file_writes_nothing(
    client: httpx.AsyncClient, secret: str
) -> None:
    """The front office's contact form with photos: pictures and PDFs in base64 beside the text, kept with the first
    message; a file that is not one, or not base64, is a 422 at it and no request is made (nor customer, nor file)."""
    hostile_name = 'parcel "<script>": \'1\'.png'
    png = base64.b64encode(tiny_png()).decode()
    refused = await client.post(
        '/api/requests',
        json={
            **REQUEST,
            'email': 'files@example.com',
            'attachments': [
                {'file_name': 'ok.png', 'content_base64': png},
                {'file_name': 'run.exe', 'content_base64': base64.b64encode(b'MZ\x90\x00').decode()},
            ],
        },
        headers=bearer(secret),
    )
    assert refused.status_code == 422 and refused.json()['detail'][0]['loc'] == ['body', 'attachments', 1]
    not_base64 = await client.post(
        '/api/requests',
        json={**REQUEST, 'attachments': [{'file_name': 'x.png', 'content_base64': 'not base64 "<b>":'}]},
        headers=bearer(secret),
    )
    assert not_base64.status_code == 422
    assert not_base64.json()['detail'][0]['loc'] == ['body', 'attachments', 0, 'content_base64']
    assert (count(Ticket), count(Customer), count(TicketAttachment)) == (0, 0, 0)
    assert not any(ticket_attachments.root().glob('*/*'))

    made = await client.post(
        '/api/requests',
        json={
            **REQUEST,
            'attachments': [
                {'file_name': hostile_name, 'content_base64': png.rstrip('=')},
                {'file_name': 'label.pdf', 'content_base64': base64.b64encode(b'%PDF-1.4\n%%EOF\n').decode()},
            ],
        },
        headers=bearer(secret),
    )
    assert made.status_code == 201, made.text
    with read_session() as session:
        ticket = session.exec(select(Ticket).where(Ticket.number == made.json()['number'])).one()
        [first] = session.exec(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)).all()
        kept = ticket_attachments.of_messages(session, [first.id])[first.id]
        assert [(row.file_name, row.content_type) for row in kept] == [
            (hostile_name, 'image/png'),
            ('label.pdf', 'application/pdf'),
        ]
        assert ticket_attachments.content(kept[0])[0] == tiny_png()


async def test_attachments_over_their_allowance_in_all_are_413(
    client: httpx.AsyncClient, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(requests_api, 'MAX_FILES_BYTES', 100)
    png = base64.b64encode(tiny_png()).decode()  # about 70 bytes: two of them pass 100
    files = [{'file_name': f'{n}.png', 'content_base64': png} for n in range(2)]
    refused = await client.post('/api/requests', json={**REQUEST, 'attachments': files}, headers=bearer(secret))
    assert refused.status_code == 413 and 'attachments' in refused.json()['detail'] and count(Ticket) == 0


async def test_a_follow_up_comes_with_its_attachments_and_a_refused_file_adds_nothing(
    client: httpx.AsyncClient, secret: str
) -> None:
    created = await created_request(client, secret)
    png = base64.b64encode(tiny_png()).decode()
    before = count(TicketMessage)
    refused = await client.post(
        f'/api/requests/{created["number"]}/messages',
        json={
            'email': REQUEST['email'],
            'body': 'Here "<b>": it is',
            'attachments': [{'file_name': 'x.svg', 'content_base64': base64.b64encode(b'<svg/>').decode()}],
        },
        headers=bearer(secret),
    )
    assert refused.status_code == 422 and refused.json()['detail'][0]['loc'] == ['body', 'attachments', 0]
    assert (count(TicketMessage), count(TicketAttachment)) == (before, 0)
    added = await client.post(
        f'/api/requests/{created["number"]}/messages',
        json={
            'email': REQUEST['email'],
            'body': 'Here "<b>": it is',
            'attachments': [{'file_name': 'box "<i>":.png', 'content_base64': png}],
        },
        headers=bearer(secret),
    )
    assert added.status_code == 201, added.text
    with read_session() as session:
        [kept] = ticket_attachments.of_messages(session, [added.json()['id']])[added.json()['id']]
        assert (kept.file_name, ticket_attachments.content(kept)[0]) == ('box "<i>":.png', tiny_png())


async def test_a_bad_email_is_named_with_the_other_mistakes_of_the_body(client: httpx.AsyncClient, secret: str) -> None:
    """Checked only by the service, the email spoke after the model had passed: a caller who also misspelt the type
    heard of the type, fixed it, and only then of the email."""
    payload = {**REQUEST, 'email': '"<script>": not an email', 'type': 'rerturn'}

    response = await client.post('/api/requests', json=payload, headers=bearer(secret))

    assert response.status_code == 422
    said = {tuple(error['loc']): error['msg'] for error in response.json()['detail']}
    assert said.keys() == {('body', 'email'), ('body', 'type')}
    assert said['body', 'email'] == 'Enter a valid email address'
    assert count(Ticket) == 0


async def test_every_mistake_of_a_request_is_said_in_one_answer(client: httpx.AsyncClient, secret: str) -> None:
    """A blank subject was found only after the type was fixed: a second round trip for one form."""
    payload = {**REQUEST, 'subject': '   ', 'body': ' \n ', 'type': 'rerturn', 'name': 'Jo "<script>": \'x\''}

    response = await client.post('/api/requests', json=payload, headers=bearer(secret))

    assert response.status_code == 422
    said = {tuple(error['loc']): error['msg'] for error in response.json()['detail']}
    assert said.keys() == {('body', 'subject'), ('body', 'body'), ('body', 'type')}
    assert said['body', 'subject'] == said['body', 'body'] == 'This field is required'
    assert count(Ticket) == 0


async def test_a_return_names_one_of_the_customers_own_orders(client: httpx.AsyncClient, secret: str) -> None:
    """A return or exchange naming an order that does not exist, or another customer's, is refused at the order number
    (the same sentence for both: the answer tells nobody which numbers exist), with the body's other mistakes."""
    jo, other = make_customer('jo@example.com'), make_customer('other@example.com')
    paid_order(jo, utcnow(), number='100501')
    paid_order(other, utcnow(), number='100502')
    hostile = 'Return "<script>": \'please\''
    ask = {**REQUEST, 'subject': hostile, 'body': hostile, 'type': 'return_exchange'}

    unknown = await client.post(
        '/api/requests', json={**ask, 'order_number': '"<b>":99', 'subject': ' '}, headers=bearer(secret)
    )
    someone_elses = await client.post('/api/requests', json={**ask, 'order_number': '100502'}, headers=bearer(secret))
    in_french = await client.post(
        '/api/requests',
        json={**ask, 'order_number': '100502'},
        headers=bearer(secret, **{'Accept-Language': 'fr'}),
    )
    theirs = await client.post('/api/requests', json={**ask, 'order_number': '100501'}, headers=bearer(secret))
    a_question = await client.post(
        '/api/requests', json={**ask, 'type': 'question', 'order_number': 'A-1042'}, headers=bearer(secret)
    )

    said = {tuple(error['loc']): error['msg'] for error in unknown.json()['detail']}
    assert unknown.status_code == 422 and said.keys() == {('body', 'subject'), ('body', 'order_number')}
    assert said['body', 'order_number'] == (
        'This customer has no order "<b>":99: give the number of one of their orders'
    )
    assert someone_elses.status_code == 422
    assert someone_elses.json()['detail'][0]['loc'] == ['body', 'order_number']
    assert someone_elses.json()['detail'][0]['msg'].startswith('This customer has no order 100502:')
    assert in_french.json()['detail'][0]['msg'].startswith('Ce client n’a pas de commande 100502\u00a0:')
    assert (theirs.status_code, a_question.status_code) == (201, 201), theirs.text
    with read_session() as session:
        numbers = session.exec(select(Ticket.order_number).order_by(Ticket.id)).all()
    assert numbers == ['100501', 'A-1042']


async def test_a_refused_attachment_is_named_by_its_place_in_the_list_and_its_file_name(
    client: httpx.AsyncClient, secret: str
) -> None:
    """The refusal said only "attachments": with several files the developer could not tell which one."""
    png = base64.b64encode(tiny_png()).decode()
    exe = base64.b64encode(b'MZ\x90\x00').decode()
    hostile = 'run "<script>": \'x\'.exe'
    files = [
        {'file_name': 'ok.png', 'content_base64': png},
        {'file_name': 'also ok.png', 'content_base64': png},
        {'file_name': hostile, 'content_base64': exe},
    ]

    refused = await client.post(
        '/api/requests', json={**REQUEST, 'subject': ' ', 'attachments': files}, headers=bearer(secret)
    )
    follow_up = await client.post(
        '/api/requests/1/messages',
        json={'email': REQUEST['email'], 'body': 'Here', 'attachments': files[1:]},
        headers=bearer(secret),
    )
    too_many = await client.post(
        '/api/requests', json={**REQUEST, 'attachments': files[:1] * 6}, headers=bearer(secret)
    )

    said = {tuple(error['loc']): error['msg'] for error in refused.json()['detail']}
    assert refused.status_code == 422 and said.keys() == {('body', 'subject'), ('body', 'attachments', 2)}
    assert said['body', 'attachments', 2] == f'{hostile} is not an image (PNG, JPEG, WebP, GIF) or a PDF'
    assert follow_up.status_code == 422 and follow_up.json()['detail'][0]['loc'] == ['body', 'attachments', 1]
    assert too_many.status_code == 422 and too_many.json()['detail'][0]['loc'] == ['body', 'attachments']
    assert (count(Ticket), count(TicketAttachment)) == (0, 0)


async def test_the_openapi_schema_says_a_request_needs_text_and_at_most_five_files(client: httpx.AsyncClient) -> None:
    schemas = (await client.get('/openapi.json')).json()['components']['schemas']
    new, follow_up = schemas['NewRequest']['properties'], schemas['FollowUp']['properties']
    assert new['subject']['minLength'] == new['body']['minLength'] == follow_up['body']['minLength'] == 1
    assert new['attachments']['maxItems'] == follow_up['attachments']['maxItems'] == ticket_attachments.MAX_FILES
    assert 'one of this customer' in new['order_number']['description']


async def test_a_return_may_name_a_company_colleagues_order_as_in_the_portal(
    client: httpx.AsyncClient, secret: str
) -> None:
    """The API took only the customer's own orders, while the portal lets a company's member name a colleague's: the
    shop sent a return the customer could have made in the portal, and it was refused."""
    company_with('Acme "<script>": l\'été', {'ada@acme.example': 'admin', 'bob@acme.example': 'buyer'})
    with read_session() as session:
        ada = session.exec(select(Customer).where(Customer.email == 'ada@acme.example')).one()
    outsider = make_customer('pat@private.example')
    paid_order(ada, utcnow(), number='100601')
    paid_order(outsider, utcnow(), number='100602')
    hostile = 'Return "<script>alert(1)</script>": l\'été'
    ask = {**REQUEST, 'email': 'bob@acme.example', 'subject': hostile, 'body': hostile, 'type': 'return_exchange'}

    colleagues = await client.post('/api/requests', json={**ask, 'order_number': '100601'}, headers=bearer(secret))
    outsiders = await client.post('/api/requests', json={**ask, 'order_number': '100602'}, headers=bearer(secret))

    assert colleagues.status_code == 201, colleagues.text
    assert outsiders.status_code == 422
    assert outsiders.json()['detail'][0]['loc'] == ['body', 'order_number']
    with read_session() as session:
        assert session.exec(select(Ticket.order_number)).all() == ['100601']


async def test_a_company_viewers_return_names_only_their_own_order_as_the_portal_allows(
    client: httpx.AsyncClient, secret: str
) -> None:
    """A viewer may change nothing of the company's in the portal, yet through the API their return named a
    colleague's order (the portal's read scope was used): a return is acting on an order, so a viewer's names only
    their own; the unknown number is said the same (nobody learns which numbers are the company's)."""
    company_with('Acme "<script>": l\'été', {'ada@acme.example': 'admin', 'vic@acme.example': 'viewer'})
    with read_session() as session:
        ada, vic = (
            session.exec(select(Customer).where(Customer.email == email)).one()
            for email in ('ada@acme.example', 'vic@acme.example')
        )
    paid_order(ada, utcnow(), number='100701')
    paid_order(vic, utcnow(), number='100702')
    hostile = 'Return "<script>alert(1)</script>": l\'été'
    ask = {**REQUEST, 'email': 'vic@acme.example', 'subject': hostile, 'body': hostile, 'type': 'return_exchange'}

    colleagues = await client.post('/api/requests', json={**ask, 'order_number': '100701'}, headers=bearer(secret))
    unknown = await client.post('/api/requests', json={**ask, 'order_number': '999999'}, headers=bearer(secret))
    own = await client.post('/api/requests', json={**ask, 'order_number': '100702'}, headers=bearer(secret))
    # the same checked beside a malformed field (the route's body checks), and a question may still name it
    malformed = await client.post(
        '/api/requests', json={**ask, 'order_number': '100701', 'priority': 'soon'}, headers=bearer(secret)
    )
    question = {**ask, 'type': 'question', 'order_number': '100701'}
    asked = await client.post('/api/requests', json=question, headers=bearer(secret))

    assert colleagues.status_code == 422, colleagues.text
    [mistake] = colleagues.json()['detail']
    assert mistake['loc'] == ['body', 'order_number']
    assert mistake['msg'] == unknown.json()['detail'][0]['msg'].replace('999999', '100701')
    assert own.status_code == 201, own.text
    assert {tuple(m['loc']) for m in malformed.json()['detail']} == {('body', 'priority'), ('body', 'order_number')}
    assert asked.status_code == 201, asked.text
    with read_session() as session:
        assert sorted(session.exec(select(Ticket.order_number)).all()) == ['100701', '100702']
