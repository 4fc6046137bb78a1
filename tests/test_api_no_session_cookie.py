"""An API answer sets no browser session cookie: its callers authenticate by key. The screens, the portal and the
events endpoint's CORS are as before."""

from __future__ import annotations

import httpx
import pytest
from nicegui import app
from nicegui.testing import User

from backoffice.api import events as api_events
from backoffice.db import session_scope
from backoffice.runtime import ratelimit
from backoffice.services import api_keys

from .support.api import bearer, make_key
from .support.factories import make_customer, make_user

HOSTILE = 'Jo "<script>alert(1)</script>": <img src=x onerror="window.__x=1">'


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url='http://test')


@pytest.fixture(autouse=True)
def full_buckets() -> None:
    api_events.limiter.reset()
    ratelimit.api_keys.reset()


async def test_no_api_answer_sets_a_session_cookie(user: User) -> None:
    make_customer('jo@example.com', name=HOSTILE)
    person = make_user('admin')
    with session_scope() as session:
        _key, reader = api_keys.create_key(
            session=session, actor=None, system=True, name=HOSTILE, scopes=('read:customers',), acting_as=person
        )
    _key, events = make_key(scopes=('events:write',))
    async with client() as http:
        answers = {
            'listed': await http.get('/api/v1/customers', params={'q': HOSTILE[:20]}, headers=bearer(reader)),
            'no key': await http.get('/api/v1/customers'),
            'intake refused': await http.post('/api/requests', json={'subject': HOSTILE}),
            'mistyped': await http.get('/api/no-such-route-"<script>'),
            'events': await http.post(
                '/api/events', json={'events': []}, headers=bearer(events, Origin='https://shop.example')
            ),
            'preflight': await http.options('/api/events', headers={'Origin': 'https://shop.example'}),
        }
    assert answers['listed'].status_code == 200, answers['listed'].text
    assert answers['no key'].status_code == 401
    assert answers['mistyped'].status_code == 404
    assert answers['events'].status_code == 202
    for name, answer in answers.items():
        assert 'set-cookie' not in answer.headers, f'{name}: {answer.headers.get("set-cookie")}'
    # the shop's pages still read the events answers (CORS), and the security headers are still on every answer
    assert answers['events'].headers['access-control-allow-origin'] == '*'
    assert answers['preflight'].headers['access-control-allow-methods'] == 'POST, OPTIONS'
    assert all(answer.headers['x-frame-options'] == 'DENY' for answer in answers.values())


async def test_a_call_with_a_browser_session_cookie_neither_renews_nor_reads_it(user: User) -> None:
    async with client() as http:
        page = await http.get('/login')
        cookie = page.headers['set-cookie']
        assert cookie.startswith('session=')  # the screens' sign-in still gets its cookie
        answer = await http.get('/api/v1/customers')  # httpx sends the session cookie back
    assert answer.status_code == 401 and 'set-cookie' not in answer.headers


async def test_the_sign_in_page_and_the_portal_still_set_their_cookie(user: User) -> None:
    for path in ('/login', '/portal/login'):
        async with client() as http:  # a browser's first visit: no cookie yet
            answer = await http.get(path)
        assert answer.status_code == 200, path
        assert answer.headers['set-cookie'].startswith('session='), path
