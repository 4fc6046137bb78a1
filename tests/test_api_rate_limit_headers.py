"""A caller paces itself: every answer of a rate-limited API call it was counted for says the limit, the calls left
and when they are all back (RateLimit-Limit, -Remaining, -Reset), the refusal as well (with Retry-After), and the
OpenAPI description says so."""

from __future__ import annotations

import pytest

from backoffice.api import events as api_events
from backoffice.api.events import router as events_router
from backoffice.api.feeds import router as feeds_router
from backoffice.api.requests import router as intake_router
from backoffice.api.resources import router as resources_router
from backoffice.db import session_scope
from backoffice.resources import resource
from backoffice.runtime import ratelimit
from backoffice.services import api_keys, feeds, views

from .support.api import api_client, bearer, make_key
from .support.factories import make_customer, make_user

HOSTILE = 'Jo "<script>alert(1)</script>": \'quoted\' <img src=x onerror="window.__x=1">'
STILL = 1000.0  # a clock that stands still: no refill while a slow machine serves the calls, exact figures


def still_limiter(limit: int) -> ratelimit.RateLimiter:
    return ratelimit.RateLimiter(limit, 60.0, clock=lambda: STILL)


def figures(answer) -> tuple[str, str, str]:
    return (
        answer.headers.get('ratelimit-limit'),
        answer.headers.get('ratelimit-remaining'),
        answer.headers.get('ratelimit-reset'),
    )


async def test_each_answer_says_what_is_left_and_the_refusal_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, 'api_keys', still_limiter(3))
    make_customer('jo@example.com', name=HOSTILE)
    with session_scope() as session:
        _key, secret = api_keys.create_key(
            session=session, actor=None, system=True, name=HOSTILE, scopes=('read:customers',), acting_as=make_user()
        )
    async with api_client(resources_router) as client:
        answers = [await client.get('/api/v1/customers', headers=bearer(secret)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    # 3 calls a minute: one back every 20 s, all three 20, 40, 60 s after the last call
    assert [figures(a) for a in answers] == [('3', '2', '20'), ('3', '1', '40'), ('3', '0', '60'), ('3', '0', '60')]
    assert answers[3].headers['retry-after'] == '20'


async def test_a_refusal_after_the_call_was_counted_says_what_is_left(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, 'api_keys', still_limiter(5))
    with session_scope() as session:
        _key, secret = api_keys.create_key(
            session=session, actor=None, system=True, name='Shop', scopes=('read:customers',), acting_as=make_user()
        )
    async with api_client(resources_router) as client:
        missing = await client.get('/api/v1/customers/999999', headers=bearer(secret))
        refused = await client.get('/api/v1/customers', params={'page_size': HOSTILE}, headers=bearer(secret))
    assert (missing.status_code, figures(missing)) == (404, ('5', '4', '12'))
    assert (refused.status_code, figures(refused)) == (422, ('5', '3', '24'))


async def test_the_intake_and_the_events_answers_carry_them_and_the_shop_page_may_read_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ratelimit, 'api_keys', still_limiter(10))
    monkeypatch.setattr(api_events, 'limiter', still_limiter(1200))
    _key, intake = make_key(scopes=('requests:write',))
    _key, events = make_key(scopes=('events:write',))
    body = {'email': 'jo@example.com', 'name': HOSTILE, 'subject': HOSTILE, 'body': HOSTILE}
    async with api_client(intake_router, events_router) as client:
        made = await client.post('/api/requests', json=body, headers=bearer(intake, **{'Idempotency-Key': HOSTILE}))
        again = await client.post('/api/requests', json=body, headers=bearer(intake, **{'Idempotency-Key': HOSTILE}))
        sent = await client.post('/api/events', json={'events': []}, headers=bearer(events))
    assert (made.status_code, figures(made)) == (201, ('10', '9', '6')), made.text
    assert (again.status_code, figures(again)) == (201, ('10', '8', '12'))  # a replay is a call too
    assert (sent.status_code, figures(sent)) == (202, ('1200', '1199', '1'))
    exposed = sent.headers['access-control-expose-headers']
    assert all(name in exposed for name in ('Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'))


async def test_a_feed_says_its_limit_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds, 'limiter', still_limiter(2))
    manager = make_user('manager')
    state = {'search': '', 'filters': {}, 'sort': 'email', 'descending': False, 'columns': ['email', 'status']}
    with session_scope() as session:
        view = views.save_view(
            session=session, actor=manager, resource=resource('customers'), name=HOSTILE, state=state
        )
        published = feeds.publish(session=session, actor=manager, view_id=view.id, fmt='csv')
    path = published.url[published.url.index('/feeds/') :]
    async with api_client(feeds_router) as client:
        answers = [await client.get(path) for _ in range(3)]
    assert [(a.status_code, figures(a)) for a in answers] == [
        (200, ('2', '1', '30')),
        (200, ('2', '0', '60')),
        (429, ('2', '0', '60')),
    ]


async def test_the_openapi_description_names_the_headers() -> None:
    async with api_client(resources_router, intake_router, events_router) as client:
        described = (await client.get('/openapi.json')).json()['paths']
    for path, method, status in (
        ('/api/v1/customers', 'get', '200'),
        ('/api/v1/customers', 'post', '201'),
        ('/api/requests', 'post', '201'),
        ('/api/events', 'post', '202'),
    ):
        answers = described[path][method]['responses']
        assert set(answers[status]['headers']) == {'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'}
        assert {'Retry-After', 'RateLimit-Reset'} <= set(answers['429']['headers'])
