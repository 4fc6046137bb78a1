"""Malformed input to the HTTP API, as a careless or hostile client sends it: every case answers 422 with a sentence
saying what is wrong, never a server error, on endpoints with and without a key."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from backoffice.api import events as api_events
from backoffice.api.input_rules import StrictRoute
from backoffice.api.routes import ROUTERS
from backoffice.models import utcnow
from backoffice.runtime import ratelimit

from .support.api import bearer, make_key

SCOPES = ('requests:write', 'events:write', 'orders:write')
BIG = str(2**63)  # one more than the largest signed 64-bit integer


@pytest.fixture(autouse=True)
def full_buckets() -> None:
    api_events.limiter.reset()
    ratelimit.api_keys.reset()
    ratelimit.ratings.reset()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """The whole API as main.py mounts it; a server error comes back as a 500 answer, as a real client sees it."""
    app = FastAPI()
    for router in ROUTERS:
        app.include_router(router)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url='http://backoffice') as client:
        yield client


def request_body(subject: str = '"Where is it?"') -> str:
    return (
        '{"email": "jo@example.com", "name": "Jo \\"<script>\\"", "subject": '
        + subject
        + ', "body": "Order: <script>alert(1)</script>"}'
    )


REQUEST_TWICE = '{"email": "jo@example.com", "subject": "Kept?", "body": "Hi", "subject": "\\"<script>\\": x"}'


def event_body(props: str) -> str:
    return (
        '{"events": [{"id": "e:1", "type": "visit", "ts": "'
        + utcnow().isoformat()
        + '", "anonymous_id": "a", "props": '
        + props
        + '}]}'
    )


def order_body(quantity: str = '1', discount: str = '0') -> str:
    return (
        '{"external_id": "shop:\\"1\\"", "email": "jo@example.com", "lines": [{"sku": "MUG", "quantity": '
        + quantity
        + ', "discount_percent": '
        + discount
        + '}]}'
    )


MALFORMED = {
    # (method, path, raw JSON body or None, what the answer must mention)
    'NaN in a request': ('POST', '/api/requests', request_body('NaN'), 'NaN'),
    'Infinity in a request': ('POST', '/api/requests', request_body('-Infinity'), 'Infinity'),
    'lone surrogate in a subject': ('POST', '/api/requests', request_body('"Help \\ud800 me"'), 'surrogate'),
    'lone surrogate in a key': ('POST', '/api/requests', '{"\\udfff": 1}', 'surrogate'),
    'NUL in a subject': ('POST', '/api/requests', request_body('"a\\u0000b"'), 'NUL'),
    'huge float in a follow-up': ('POST', '/api/requests/1/messages', '{"email": 1e400, "body": "x"}', 'too large'),
    'number 2^63 of a request': (
        'POST',
        f'/api/requests/{BIG}/messages',
        '{"email": "jo@example.com", "body": "x"}',
        'out of range',
    ),
    'rating of request 2^63, no key needed': (
        'POST',
        f'/api/requests/{BIG}/rating',
        '{"token": "t", "score": 5}',
        'out of range',
    ),
    'rating score 2^63': ('POST', '/api/requests/1/rating', '{"token": "t", "score": ' + BIG + '}', 'out of range'),
    'rating with NaN, no key needed': ('POST', '/api/requests/1/rating', '{"token": "t", "score": NaN}', 'NaN'),
    'rating token with a lone surrogate': (
        'POST',
        '/api/requests/1/rating',
        '{"token": "\\ud83d", "score": 5}',
        'surrogate',
    ),
    'NaN in event props': ('POST', '/api/events', event_body('{"x": NaN}'), 'NaN'),
    '1e400 in event props': ('POST', '/api/events', event_body('{"x": 1e400}'), 'too large'),
    'integer 2^70 in event props': ('POST', '/api/events', event_body('{"x": ' + str(2**70) + '}'), 'out of range'),
    'lone surrogate in event props': ('POST', '/api/events', event_body('{"\\ud800": "x"}'), 'surrogate'),
    'quantity 2^63 in an order': ('POST', '/api/orders', order_body(quantity=BIG), 'out of range'),
    'NaN discount in an order': ('POST', '/api/orders', order_body(discount='NaN'), 'NaN'),
    'Infinity discount in an order': ('POST', '/api/orders', order_body(discount='1e400'), 'too large'),
    'not UTF-8': ('POST', '/api/requests', b'{"subject": "\xff\xfe"}', 'UTF-8'),
    'content version 2^63, no key needed': ('GET', f'/api/content/terms/versions/{BIG}', None, 'out of range'),
    'NUL in a content slug, no key needed': ('GET', '/api/content/ab%00c', None, 'NUL'),
    'NUL in a versions slug, no key needed': ('GET', '/api/content/%00/versions', None, 'NUL'),
    'an id with a control character after it': ('GET', '/api/content/terms/versions/0%1F', None, 'integer'),
}


@pytest.mark.parametrize('case', MALFORMED, ids=list(MALFORMED))
async def test_malformed_input_is_refused_with_422_saying_why(client: httpx.AsyncClient, case: str) -> None:
    method, path, body, mentioned = MALFORMED[case]
    secret = make_key(scopes=SCOPES)[1]
    content = body.encode() if isinstance(body, str) else body

    response = await client.request(
        method, path, content=content, headers=bearer(secret, **{'Content-Type': 'application/json'})
    )

    assert response.status_code == 422, response.text
    problem = response.json()['detail'][0]
    assert mentioned in problem['msg'] and problem['loc'][0] in {'body', 'path'}


@pytest.mark.parametrize(
    ('path', 'body', 'key'),
    [
        ('/api/events', '{"events": [EVENT], "events": []}', 'events'),  # the first list was dropped with a 202
        ('/api/events', '{"events": [EVENT_TWICE]}', 'id'),
        ('/api/requests', REQUEST_TWICE, 'subject'),
        (
            '/api/orders',
            '{"external_id": "a", "email": "jo@example.com", "lines": [], "\\"<script>\\":x": 1, '
            '"\\"<script>\\":x": 2}',
            '"<script>":x',
        ),
    ],
)
async def test_a_key_given_twice_in_one_object_is_refused_at_its_name_not_the_first_dropped(
    client: httpx.AsyncClient, path: str, body: str, key: str
) -> None:
    """JSON readers keep a repeated key's last value: a body built by hand (`{"events": [...], "events": []}`) lost
    the first unseen and was answered as if it had been read."""
    secret = make_key(scopes=SCOPES)[1]
    one = event_body('{}')[len('{"events": [') : -2]
    content = body.replace('EVENT_TWICE', one[:-1] + ', "id": "again"}').replace('EVENT', one)

    answer = await client.post(
        path, content=content.encode(), headers=bearer(secret, **{'Content-Type': 'application/json'})
    )
    french = await client.post(
        path,
        content=content.encode(),
        headers=bearer(secret, **{'Content-Type': 'application/json', 'Accept-Language': 'fr'}),
    )

    assert answer.status_code == 422, answer.text
    assert answer.json()['detail'] == [
        {'loc': ['body', key], 'msg': 'The key appears twice in one object: send it once.', 'type': 'malformed_input'}
    ]
    assert (
        french.json()['detail'][0]['msg']
        == 'La clé apparaît deux fois dans un même objet\u00a0: envoyez-la une seule fois.'
    )


async def test_a_nul_in_an_idempotency_key_is_refused(client: httpx.AsyncClient) -> None:
    secret = make_key(scopes=SCOPES)[1]
    scope_headers = [
        (b'authorization', f'Bearer {secret}'.encode()),
        (b'idempotency-key', b'k\x00ey'),
        (b'content-type', b'application/json'),
    ]
    request = client.build_request('POST', '/api/requests', content=request_body())
    request.headers = httpx.Headers(scope_headers)

    response = await client.send(request)

    assert response.status_code == 422 and response.json()['detail'][0]['loc'] == ['header', 'idempotency-key']


async def test_well_formed_input_still_passes(client: httpx.AsyncClient) -> None:
    secret = make_key(scopes=SCOPES)[1]
    largest = str(2**63 - 1)

    created = await client.post(
        '/api/requests',
        content=request_body('"Naïve café — \\ud83d\\ude00 ok"'),
        headers=bearer(secret, **{'Content-Type': 'application/json'}),
    )
    missing = await client.post(f'/api/requests/{2**31 - 1}/rating', json={'token': 't:"<script>"', 'score': 5})
    beyond = await client.post(f'/api/requests/{2**31}/rating', json={'token': 't', 'score': 5})
    version = await client.get(f'/api/content/terms/versions/{largest}')
    events = await client.post(
        '/api/events',
        content=event_body('{"n": -' + largest + ', "f": 1.5e300}'),
        headers=bearer(secret, **{'Content-Type': 'application/json'}),
    )

    assert created.status_code == 201
    assert missing.status_code == 404 and version.status_code == 404
    assert beyond.status_code == 422  # request numbers are 32-bit integers in the database
    assert events.status_code == 202, events.text
    assert events.json()['accepted'] == 1


def test_every_api_route_reads_its_input_strictly() -> None:
    """Closes the class: a new router or route that skips the strict reading fails here."""
    loose = [
        route.path
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and not isinstance(route, StrictRoute)
    ]
    assert loose == []


async def test_the_running_app_mounts_every_strict_router(user) -> None:
    """main.py mounts exactly ROUTERS: the real app refuses malformed input the same way, with no key needed."""
    schema = (await user.http_client.get('/openapi.json')).json()
    rating = await user.http_client.post(
        '/api/requests/1/rating', content=b'{"token": "t", "score": NaN}', headers={'Content-Type': 'application/json'}
    )

    mounted = {route.path for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)}
    assert mounted <= set(schema['paths'])
    assert rating.status_code == 422 and 'NaN' in rating.json()['detail'][0]['msg']


@pytest.mark.parametrize('content_type', [None, 'application/x-www-form-urlencoded', 'text/plain'])
async def test_a_json_body_sent_without_its_content_type_is_refused_saying_so(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    """`curl -d '{…}'` sends a form's content type, some clients none: the answer says to send JSON, not that a
    dictionary was expected."""
    secret = make_key(scopes=SCOPES)[1]
    body = b'{"email": "jo@example.com", "subject": "\\"<script>\\": x", "body": "Hi"}'
    headers = bearer(secret, **({'Content-Type': content_type} if content_type else {}))
    answer = await client.post('/api/requests', content=body, headers=headers)
    assert answer.status_code == 422
    assert answer.json()['detail'] == [
        {
            'loc': ['header', 'content-type'],
            'msg': 'Send the body as JSON, with the header Content-Type: application/json.',
            'type': 'malformed_input',
        }
    ]


async def test_every_json_body_of_the_api_refuses_a_field_it_does_not_know(client: httpx.AsyncClient) -> None:
    """A misspelt field (an order line's "discount" for discount_percent, a batch's "evnets") dropped unseen leaves the
    caller believing it was taken: every object a route reads from a JSON body is closed, so it is refused at its name.
    An event's `props` is the one free-form object (its own field, open by design)."""
    described = (await client.get('/openapi.json')).json()
    schemas = described['components']['schemas']
    read_from_bodies: set[str] = set()
    pending = [
        operation['requestBody']
        for path in described['paths'].values()
        for operation in path.values()
        if isinstance(operation, dict) and 'requestBody' in operation
    ]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            reference = item.get('$ref', '')
            name = reference.rsplit('/', 1)[-1]
            if name and name not in read_from_bodies:
                read_from_bodies.add(name)
                pending.append(schemas[name])
            pending += list(item.values())
        elif isinstance(item, list):
            pending += item
    open_objects = [
        name
        for name in sorted(read_from_bodies)
        if schemas[name].get('type') == 'object' and schemas[name].get('additionalProperties') is not False
    ]
    assert {'NewOrder', 'NewOrderLine', 'EventBatch', 'NewRequest'} <= read_from_bodies
    assert open_objects == []


async def test_every_bound_in_the_api_schema_is_one_a_json_schema_reader_knows(client: httpx.AsyncClient) -> None:
    """A generated client or validator reads `minimum`/`maximum`: a bound written as pydantic's own `ge`/`le` (what a
    constraint placed after a validator became) is one it never sees, so it sends a version of 0 the server refuses."""
    described = (await client.get('/openapi.json')).json()
    unknown: list[str] = []
    pending: list[tuple[str, object]] = [('', described['components']['schemas'])]
    while pending:
        where, item = pending.pop()
        if isinstance(item, dict):
            unknown += [f'{where}.{word}' for word in ('ge', 'le', 'gt', 'lt') if isinstance(item.get(word), int)]
            pending += [(f'{where}.{name}', value) for name, value in item.items()]
        elif isinstance(item, list):
            pending += [(where, value) for value in item]
    version = described['components']['schemas']['CustomersUpdate']['properties']['version']
    assert unknown == []
    assert (version['minimum'], version['maximum']) == (1, 2**31 - 1)
