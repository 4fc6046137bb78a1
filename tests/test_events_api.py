"""The usage-events API as a front office uses it: a batch is stored event by event, a resend is not counted twice,
and every status code of the contract."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import func, select

from backoffice.api import events as api_events
from backoffice.api.events import router
from backoffice.db import read_session, session_scope
from backoffice.kpi import capture
from backoffice.models import Customer, EventType, UsageEvent, utcnow
from backoffice.runtime import ratelimit
from backoffice.services.personal_data_export import export_personal_data

from .support.api import api_client, bearer, make_key
from .support.factories import make_customer, make_user, merge_customers


@pytest.fixture(autouse=True)
def full_buckets() -> None:
    api_events.limiter.reset()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(router) as client:
        yield client


@pytest.fixture
def secret() -> str:
    return make_key(scopes=('events:write',))[1]


def event(event_id: str, kind: str = 'visit', **fields) -> dict:
    return {
        'id': event_id,
        'type': kind,
        'ts': (utcnow() - timedelta(minutes=5)).isoformat(),
        'anonymous_id': 'a-1',
        **fields,
    }


def stored() -> list[UsageEvent]:
    with read_session() as session:
        return list(session.exec(select(UsageEvent).order_by(UsageEvent.id)))


async def test_a_batch_is_stored_and_a_resend_is_not_counted_twice(client: httpx.AsyncClient, secret: str) -> None:
    jo = make_customer('jo@example.com')
    batch = [
        event('e1'),
        event('e2', 'page_view', props={'path': '/shoes'}),
        event('e3', 'signup_completed', customer_email='Jo@Example.com', session_id='s-9'),
    ]

    first = await client.post('/api/events', json={'events': batch}, headers=bearer(secret))
    again = await client.post('/api/events', json={'events': batch + [event('e4', 'login')]}, headers=bearer(secret))

    assert first.status_code == 202
    assert first.json() == {'accepted': 3, 'duplicates': 0, 'rejected': 0, 'errors': []}
    assert again.json() == {'accepted': 1, 'duplicates': 3, 'rejected': 0, 'errors': []}
    rows = stored()
    assert [(r.client_id, EventType(r.type).name) for r in rows] == [
        ('e1', 'visit'),
        ('e2', 'page_view'),
        ('e3', 'signup_completed'),
        ('e4', 'login'),
    ]
    assert rows[1].props == {'path': '/shoes'}
    assert (rows[2].customer_id, rows[2].anonymous_id, rows[2].session_id) == (jo.id, 'a-1', 's-9')
    with read_session() as session:
        assert session.get(Customer, jo.id).last_seen_at is None  # the public events key moves nothing else: below


async def test_bad_events_are_refused_one_by_one_with_their_reason(client: httpx.AsyncClient, secret: str) -> None:
    batch = [
        event('ok'),
        event('bad-type', 'teleport'),
        {'id': 'nobody', 'type': 'visit', 'ts': utcnow().isoformat()},
        event('future', ts=(utcnow() + timedelta(days=1)).isoformat()),
        event('stranger', customer_email='who@example.com', anonymous_id=None),
        'not an event',
        event('ok'),  # the same id twice in one batch
        {'id': 7, 'type': 'visit', 'ts': 'yesterday', 'anonymous_id': 'a'},  # a number as id, a bad time
    ]
    response = await client.post('/api/events', json={'events': batch}, headers=bearer(secret))

    assert response.status_code == 202
    body = response.json()
    assert (body['accepted'], body['duplicates'], body['rejected']) == (2, 1, 5)  # 'stranger' is stored: see below
    reasons = {error['index']: (error['id'], error['reason']) for error in body['errors']}
    assert reasons[1] == (
        'bad-type',
        "type: unknown type 'teleport'; one of: visit, page_view, signup_started, signup_completed, login, "
        'product_viewed, cart_add, checkout_started, order_placed',
    )
    assert reasons[2] == ('nobody', 'give customer_email or anonymous_id')
    assert reasons[3] == ('future', 'ts is in the future')
    assert reasons[5][0] is None
    assert reasons[7][0] == '7' and reasons[7][1].startswith('id: ')  # quoted back as text, never a server error
    assert [r.client_id for r in stored()] == ['ok', 'stranger']


async def test_the_contract_status_codes(client: httpx.AsyncClient, secret: str) -> None:
    batch = {'events': [event('e1')]}
    assert (await client.post('/api/events', json=batch)).status_code == 401
    assert (await client.post('/api/events', json=batch, headers=bearer('bo_wrong'))).status_code == 401
    requests_only = make_key('Help desk', scopes=('requests:write',))[1]
    assert (await client.post('/api/events', json=batch, headers=bearer(requests_only))).status_code == 403

    too_many = {'events': [event(f'e{i}') for i in range(1001)]}
    assert (await client.post('/api/events', json=too_many, headers=bearer(secret))).status_code == 422
    assert (await client.post('/api/events', json={'visits': []}, headers=bearer(secret))).status_code == 422
    huge = {'events': [event('big', props={'x': 'y' * 1000}) for _ in range(1100)]}
    assert (await client.post('/api/events', json=huge, headers=bearer(secret))).status_code == 413
    assert stored() == []

    # two calls a minute: a new limiter, so that its refill rate is slow too (a busy machine takes its time)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(api_events, 'limiter', ratelimit.RateLimiter(2, 60.0))
        statuses = [
            (await client.post('/api/events', json=batch, headers=bearer(secret))).status_code for _ in range(3)
        ]
    assert statuses == [202, 202, 429]


async def test_a_misspelt_key_beside_the_events_is_refused_at_its_name_and_nothing_is_stored(
    client: httpx.AsyncClient, secret: str
) -> None:
    """A batch's second list sent under a typo ("evnets") was dropped unseen with a 202: the developer believed those
    events sent. Now the whole batch is refused, naming the key, so nothing is half sent either."""
    typo = {'events': [event('kept-1')], 'evnets': [event('lost-1'), event('lost-2')]}
    answer = await client.post('/api/events', json=typo, headers=bearer(secret))
    hostile = {'events': [event('kept-2')], '"<script>":x\'': 1}
    refused_hostile = await client.post(
        '/api/events', json=hostile, headers=bearer(secret, **{'Accept-Language': 'fr'})
    )

    assert answer.status_code == 422
    assert [(error['loc'], error['type']) for error in answer.json()['detail']] == [
        (['body', 'evnets'], 'extra_forbidden')
    ]
    assert answer.headers['Access-Control-Allow-Origin'] == '*'  # the shop page's script reads the reason too
    assert refused_hostile.status_code == 422
    [error] = refused_hostile.json()['detail']
    assert error['loc'] == ['body', '"<script>":x\'']  # the key named as sent
    assert error['msg'] == 'Ce champ n’est pas attendu'
    assert stored() == []
    assert (await client.post('/api/events', json={'events': [event('kept-1')]}, headers=bearer(secret))).json()[
        'accepted'
    ] == 1


async def test_an_event_naming_nobody_but_blanks_is_refused(client: httpx.AsyncClient, secret: str) -> None:
    """A snippet whose id or email came out blank sent "  " or a tab: stored, each counted a visitor nobody was."""
    batch = [
        event('blank-1', anonymous_id='  '),
        event('blank-2', anonymous_id=None, customer_email=' '),
        event('blank-3', anonymous_id='\n', customer_email='\t'),
        event('named', anonymous_id=' "<script>":x ', customer_email=' '),
    ]
    answer = await client.post('/api/events', json={'events': batch}, headers=bearer(secret))

    body = answer.json()
    assert (answer.status_code, body['accepted'], body['rejected']) == (202, 1, 3)
    assert [(e['index'], e['id'], e['reason']) for e in body['errors']] == [
        (index, f'blank-{index + 1}', 'give customer_email or anonymous_id') for index in range(3)
    ]
    assert [(row.client_id, row.anonymous_id) for row in stored()] == [('named', ' "<script>":x ')]


async def test_a_browser_on_the_shop_may_send_events(client: httpx.AsyncClient) -> None:
    preflight = await client.options(
        '/api/events', headers={'Origin': 'https://shop.example', 'Access-Control-Request-Method': 'POST'}
    )
    assert preflight.status_code == 204
    assert 'Authorization' in preflight.headers['Access-Control-Allow-Headers']


def test_a_million_events_fit_a_compact_row() -> None:
    columns = {c.name: c.type.python_type for c in UsageEvent.__table__.columns if c.name != 'props'}
    assert columns['type'] is int and 'type_name' not in columns
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(UsageEvent)).one() == 0


@pytest.mark.parametrize('kind', [t.name for t in EventType])
@pytest.mark.parametrize('anonymous', [True, False])
async def test_the_answer_never_tells_whether_an_email_is_a_customer(
    client: httpx.AsyncClient, secret: str, kind: str, anonymous: bool
) -> None:
    """The events key sits in every shop page: whoever copies it must not learn from the answers which emails are
    customers, for any type of event, with or without an anonymous id, sent once or again."""
    make_customer('known@example.com')
    extra = {} if anonymous else {'anonymous_id': None}

    def batch(email: str, prefix: str) -> dict:
        return {
            'events': [
                event(f'{prefix}:1', kind, customer_email=email, props={'q': '"<script>:'}, **extra),
                event(f'{prefix}:2', kind, customer_email=email.upper(), session_id='s:"1"', **extra),
            ]
        }

    answers = {}
    for who, email in (('known', 'known@example.com'), ('unknown', 'nobody@example.com')):
        first = await client.post('/api/events', json=batch(email, who), headers=bearer(secret))
        again = await client.post('/api/events', json=batch(email, who), headers=bearer(secret))
        answers[who] = [(r.status_code, r.json(), r.headers.get('content-length')) for r in (first, again)]

    assert answers['known'] == answers['unknown']
    assert answers['known'][0][:2] == (202, {'accepted': 2, 'duplicates': 0, 'rejected': 0, 'errors': []})
    unknown_rows = [r for r in stored() if r.client_id.startswith('unknown')]
    assert [r.customer_id for r in unknown_rows] == [None, None]  # stored, linked to nobody


async def test_the_public_events_key_cannot_move_a_customers_last_seen_time(
    client: httpx.AsyncClient, secret: str
) -> None:
    """Only a key that also holds customers:seen (kept on the shop's server) moves last_seen_at."""
    jo = make_customer('jo@example.com')
    ann = make_customer('ann@example.com')
    earlier = utcnow() - timedelta(days=40)
    with session_scope() as session:
        row = session.get(Customer, ann.id)
        row.last_seen_at = earlier
        session.add(row)
        session.commit()
    server_key = make_key('Shop server', scopes=('events:write', 'customers:seen'))[1]

    public = await client.post(
        '/api/events',
        json={
            'events': [
                event('p1', 'login', customer_email='jo@example.com'),
                event('p2', 'login', customer_email='ann@example.com'),
            ]
        },
        headers=bearer(secret),
    )
    with read_session() as session:
        assert (session.get(Customer, jo.id).last_seen_at, session.get(Customer, ann.id).last_seen_at) == (
            None,
            earlier,
        )

    server = await client.post(
        '/api/events',
        json={'events': [event('s1', 'login', customer_email='jo@example.com')]},
        headers=bearer(server_key),
    )

    assert public.json()['accepted'] == 2 and server.json()['accepted'] == 1
    with read_session() as session:
        assert session.get(Customer, jo.id).last_seen_at is not None  # feeds the "inactive" segment
        assert session.get(Customer, ann.id).last_seen_at == earlier


HOSTILE = {
    'anonymous_id': '<script>alert(1)</script>',
    'session_id': "'); DROP TABLE usage_events; --",
    'props': {
        'path': '=HYPERLINK("http://evil.example","x")',
        'title': '<img src=x onerror=alert(1)> \u202eevil\u202c 😀 "quoted" \\u0000 \\ud800',
        'nested': {'html': '</td><b>bold</b>', 'n': [1, 2.5, None, True]},
    },
}


async def test_hostile_text_in_events_is_stored_and_exported_as_plain_text(
    client: httpx.AsyncClient, secret: str
) -> None:
    """Markup, SQL, a spreadsheet formula and bidi controls in an event's fields are data: stored exactly as sent,
    and the customer's personal-data export shows them as text (the formula guarded, nothing run)."""
    jo = make_customer('jo@example.com')
    response = await client.post(
        '/api/events',
        json={'events': [event('hostile', 'page_view', customer_email='jo@example.com', **HOSTILE)]},
        headers=bearer(secret),
    )

    assert response.status_code == 202 and response.json()['accepted'] == 1
    [row] = stored()
    assert (row.customer_id, row.anonymous_id, row.session_id) == (
        jo.id,
        HOSTILE['anonymous_id'],
        HOSTILE['session_id'],
    )
    assert row.props == HOSTILE['props']
    with read_session() as session:
        path, _name = export_personal_data(session=session, actor=make_user('admin'), record_id=jo.id)
    exported = zipfile.ZipFile(io.BytesIO(path.read_bytes())).read('usage_events.csv').decode('utf-8-sig')
    path.unlink()
    [line] = list(csv.DictReader(io.StringIO(exported, newline='')))
    assert (line['type'], line['anonymous_id'], line['session_id']) == (
        'page_view',
        HOSTILE['anonymous_id'],
        HOSTILE['session_id'],
    )
    assert json.loads(line['props']) == HOSTILE['props']


@pytest.mark.parametrize(
    'ts',
    [
        '9999-12-31T23:00:00-05:00',  # after the year 9999 once in UTC
        '0001-01-01T00:30:00+01:00',  # before the year 1 once in UTC
        '10000-01-01T00:00:00Z',
        9_223_372_036_854_775_807,  # the largest 64-bit integer, as seconds
        1e300,
    ],
)
async def test_a_time_out_of_range_is_refused_with_a_reason_never_a_server_error(
    client: httpx.AsyncClient, secret: str, ts: object
) -> None:
    response = await client.post(
        '/api/events', json={'events': [event('good'), event('far', ts=ts)]}, headers=bearer(secret)
    )

    assert response.status_code == 202  # the batch is answered event by event, as for any other bad event
    body = response.json()
    assert (body['accepted'], body['rejected']) == (1, 1)
    [error] = body['errors']
    assert error['index'] == 1 and error['id'] == 'far'
    assert error['reason'].startswith('ts: ') and len(error['reason']) > len('ts: ') + 10  # a sentence, not a code
    assert [r.client_id for r in stored()] == ['good']


async def test_a_time_too_large_for_json_is_refused_whole_with_422(client: httpx.AsyncClient, secret: str) -> None:
    """A number no 64-bit integer holds is refused at the edge, before any event is looked at, with a sentence."""
    body = '{"events": [{"id": "far", "type": "visit", "anonymous_id": "a", "ts": 1' + '0' * 30 + '}]}'
    response = await client.post(
        '/api/events', content=body, headers={**bearer(secret), 'Content-Type': 'application/json'}
    )

    assert response.status_code == 422
    assert response.json()['detail'][0]['msg'] == 'A number is out of range (signed 64-bit integers only).'
    assert stored() == []


async def test_a_full_batch_of_events_is_stored_once_and_resent_as_duplicates(
    client: httpx.AsyncClient, secret: str
) -> None:
    """The largest batch, half of it from known customers: every event stored with its customer, each once."""
    known = [make_customer(f'shopper{n}@example.com') for n in range(3)]
    batch = [
        event(f'b{n}', 'page_view', props={'path': f'/p/{n}'}, customer_email=f'Shopper{n % 3}@Example.com')
        if n % 2
        else event(f'b{n}', session_id=f's{n}')
        for n in range(api_events.capture.MAX_BATCH)
    ]

    first = await client.post('/api/events', json={'events': batch}, headers=bearer(secret))
    again = await client.post('/api/events', json={'events': batch}, headers=bearer(secret))

    assert (first.json()['accepted'], first.json()['duplicates']) == (1000, 0)
    assert (again.json()['accepted'], again.json()['duplicates']) == (0, 1000)
    rows = {row.client_id: row for row in stored()}
    assert len(rows) == 1000
    assert rows['b1'].customer_id == known[1].id and rows['b1'].props == {'path': '/p/1'}
    assert rows['b2'].customer_id is None and rows['b2'].session_id == 's2' and rows['b2'].props is None
    assert rows['b3'].ts == datetime.fromisoformat(batch[3]['ts']).astimezone(UTC)


async def test_the_shop_pages_script_can_read_every_refusal_and_when_to_retry(
    client: httpx.AsyncClient, secret: str
) -> None:
    """A browser hides an answer from another origin without Access-Control-Allow-Origin: the snippet would see
    "failed to fetch" instead of the reason (and never the Retry-After)."""
    shop = {'Origin': 'https://shop.example'}
    batch = {'events': [event('cors-1', props={'q': '"<script>": \'x\''})]}
    answers = [
        await client.post('/api/events', json=batch, headers=shop),
        await client.post('/api/events', json=batch, headers=bearer('bo_wrong', **shop)),
        await client.post('/api/events', json={'visits': []}, headers=bearer(secret, **shop)),
        await client.post('/api/events', json=batch, headers=bearer(secret, **shop)),
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(api_events, 'limiter', ratelimit.RateLimiter(1, 60.0))
        await client.post('/api/events', json=batch, headers=bearer(secret, **shop))
        answers.append(await client.post('/api/events', json=batch, headers=bearer(secret, **shop)))
    assert [a.status_code for a in answers] == [401, 401, 422, 202, 429]
    assert all(a.headers.get('Access-Control-Allow-Origin') == '*' for a in answers)
    assert 'Retry-After' in answers[-1].headers['Access-Control-Expose-Headers']
    assert int(answers[-1].headers['Retry-After']) >= 1 and 'Retry' in answers[-1].json()['detail']
    assert answers[0].headers['WWW-Authenticate'] == 'Bearer'


async def test_the_openapi_document_shows_one_events_fields_and_types(client: httpx.AsyncClient) -> None:
    described = (await client.get('/openapi.json')).json()
    batch = described['components']['schemas']['EventBatch']['properties']['events']
    one = batch['items']
    assert batch['maxItems'] == 1000
    assert {'id', 'type', 'ts', 'customer_email', 'anonymous_id', 'session_id', 'props'} <= set(one['properties'])
    assert set(one['required']) == {'id', 'type', 'ts'} and one['additionalProperties'] is False
    assert 'page_view' in one['properties']['type']['enum'] and 'visit' in one['properties']['type']['enum']


async def test_a_customer_email_that_is_no_address_is_refused_at_its_field(
    client: httpx.AsyncClient, secret: str
) -> None:
    """'not an email' names no customer, and without an anonymous_id no visitor either: stored, it was counted as
    someone no one can be, the very event 'give customer_email or anonymous_id' refuses."""
    batch = [
        event('no-address', anonymous_id=None, customer_email='"<script>": not an email'),
        event('no-address-but-a-visitor', customer_email='jo at example.com'),
        event('an-address', anonymous_id=None, customer_email=' Jo.Smith+shoes@Example.com '),
    ]
    response = await client.post('/api/events', json={'events': batch}, headers=bearer(secret))

    body = response.json()
    assert (response.status_code, body['accepted'], body['rejected']) == (202, 1, 2)
    refused = {error['id']: (error['field'], error['reason']) for error in body['errors']}
    assert refused == {
        'no-address': ('customer_email', 'customer_email: Enter a valid email address'),
        'no-address-but-a-visitor': ('customer_email', 'customer_email: Enter a valid email address'),
    }
    assert [r.client_id for r in stored()] == ['an-address']


async def test_each_refused_event_names_its_field_in_the_callers_language(
    client: httpx.AsyncClient, secret: str
) -> None:
    batch = {
        'events': [
            event('ok-1', props={'q': '"<script>": \'x\''}),
            event('bad-type', kind='t' * 5000),
            event('future', ts=(utcnow() + timedelta(days=1)).isoformat()),
            event('nobody', anonymous_id=None),
            event('bad-ts', ts='demain'),
        ]
    }
    english = (await client.post('/api/events', json=batch, headers=bearer(secret))).json()
    assert english['accepted'] == 1
    fields = {error['id']: (error['field'], error['reason']) for error in english['errors']}
    assert fields['bad-type'][0] == 'type'  # not 5,000 characters sent back
    assert fields['bad-type'][1].startswith(f"type: unknown type '{'t' * 40}'; one of: visit, ")
    assert fields['future'] == ('ts', 'ts is in the future') and fields['nobody'] == (None, fields['nobody'][1])
    assert fields['bad-ts'][0] == 'ts'
    french = (await client.post('/api/events', json=batch, headers=bearer(secret, **{'Accept-Language': 'fr'}))).json()
    reasons = {error['id']: error['reason'] for error in french['errors']}
    assert reasons['future'] == 'ts est dans le futur' and reasons['nobody'] == 'donnez customer_email ou anonymous_id'
    assert reasons['bad-type'].startswith('type: type inconnu') and french['duplicates'] == 1


def _five_minutes_ago() -> float:
    return (utcnow() - timedelta(minutes=5)).timestamp()


@pytest.mark.parametrize(
    'unix',
    [
        lambda: int(_five_minutes_ago()),  # a Unix time in seconds
        lambda: int(_five_minutes_ago() * 1000),  # in milliseconds, as JavaScript's Date.now() gives it
        lambda: _five_minutes_ago(),
        lambda: str(int(_five_minutes_ago())),  # the same, quoted
        lambda: f' {int(_five_minutes_ago() * 1000)} ',
    ],
)
async def test_a_unix_timestamp_is_refused_saying_the_format_expected(
    client: httpx.AsyncClient, secret: str, unix: Callable[[], object]
) -> None:
    """`ts` is documented (and described in the OpenAPI) as an ISO 8601 date and time: a number was read silently as
    seconds or as milliseconds, guessed from its size, so it is refused, saying what to send."""
    recent = (utcnow() - timedelta(minutes=5)).isoformat()
    ts = unix()
    batch = [event('iso', ts=recent, props={'q': '"<script>": \'x\''}), event('unix', ts=ts)]
    english = (await client.post('/api/events', json={'events': batch}, headers=bearer(secret))).json()
    [refused] = english['errors']
    assert (english['accepted'], refused['id'], refused['field']) == (1, 'unix', 'ts')
    assert refused['reason'] == 'ts: give an ISO 8601 date and time with its time zone, e.g. 2026-11-23T18:04:05Z'
    french = (
        await client.post(
            '/api/events',
            json={'events': [event('unix-fr', ts=ts)]},
            headers=bearer(secret, **{'Accept-Language': 'fr'}),
        )
    ).json()
    assert french['errors'][0]['reason'].startswith('ts: donnez une date et une heure ISO 8601')
    assert [r.client_id for r in stored()] == ['iso']


async def test_an_iso_time_without_a_zone_is_still_read_as_utc(client: httpx.AsyncClient, secret: str) -> None:
    """As documented: without a zone, a time is UTC."""
    naive = (utcnow() - timedelta(minutes=5)).replace(tzinfo=None, microsecond=0)
    answer = await client.post(
        '/api/events', json={'events': [event('naive', ts=naive.isoformat())]}, headers=bearer(secret)
    )
    assert answer.json()['accepted'] == 1
    assert stored()[0].ts.replace(tzinfo=None) == naive


async def test_the_documented_example_batch_is_accepted_as_pasted(
    client: httpx.AsyncClient, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/docs' example, sent as it is, is stored: its times are recent and its ids new, a hundred days on too (a
    fixed date went stale after 90)."""
    later = utcnow() + timedelta(days=100)
    monkeypatch.setattr(api_events, 'utcnow', lambda: later, raising=False)
    monkeypatch.setattr(capture, 'utcnow', lambda: later)
    described = (await client.get('/openapi.json')).json()
    [example] = described['components']['schemas']['EventBatch']['examples']
    answer = await client.post('/api/events', json=example, headers=bearer(secret))
    assert answer.status_code == 202 and answer.json()['accepted'] == len(example['events']) == 2, answer.text


async def test_an_event_of_a_merged_duplicates_email_counts_for_the_customer_kept(
    client: httpx.AsyncClient, secret: str
) -> None:
    """Staff merged a duplicate; the shop still signs the customer in with the duplicate's email. Orders and requests
    sent with it go to the customer kept: their events do too, not to nobody."""
    kept = make_customer('kept@example.com', name='Zoë "O\'Brien" <script>')
    twin = make_customer('twin@example.com', name='Twin: <b>')
    merge_customers(kept, twin)
    batch = [event('m1', 'login', customer_email='TWIN@example.com'), event('m2', customer_email='kept@example.com')]
    answer = await client.post('/api/events', json={'events': batch}, headers=bearer(secret))
    assert answer.status_code == 202 and answer.json()['accepted'] == 2
    assert [row.customer_id for row in stored()] == [kept.id, kept.id]


async def test_a_day_without_its_time_is_refused_not_stored_at_midnight(client: httpx.AsyncClient, secret: str) -> None:
    """`ts` is a date and time: '2026-12-07' alone was read as midnight UTC and counted on that hour (the evening
    before in the Americas), a time nobody sent."""
    today = utcnow().date().isoformat()
    batch = [event('day', ts=today, props={'q': '"<script>": \'x\''}), event('moment')]
    answer = (await client.post('/api/events', json={'events': batch}, headers=bearer(secret))).json()
    [refused] = answer['errors']
    assert (answer['accepted'], refused['id'], refused['field']) == (1, 'day', 'ts')
    assert refused['reason'] == 'ts: give an ISO 8601 date and time with its time zone, e.g. 2026-11-23T18:04:05Z'
    assert [row.client_id for row in stored()] == ['moment']
