"""Sessions: a new session id at sign-in and sign-out (no fixation), and only the person's actions keep one alive."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from nicegui import app, ui
from nicegui.testing import User

import components.session
from backoffice import auth
from backoffice.config import reload_settings
from backoffice.db import session_scope
from backoffice.models import utcnow
from backoffice.services import tickets

from .support.factories import make_user
from .support.signin import sign_in, staff_session

COOKIE = 'session'  # Starlette's session cookie: the signed browser id NiceGUI keys app.storage.user by


def another_browser(cookie: str | None) -> httpx.AsyncClient:
    """Raw HTTP from someone else holding this cookie (planted before, or copied after, sign-in)."""
    cookies = {COOKIE: cookie} if cookie else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url='http://test', cookies=cookies)


async def signed_in_with(cookie: str | None) -> bool:
    async with another_browser(cookie) as client:
        response = await client.get('/users')
    assert response.status_code in {200, 307}, response.status_code
    return response.status_code == 200


async def test_a_cookie_planted_before_sign_in_is_not_signed_in_after(user: User) -> None:
    admin = make_user('admin', name='Ada "<script>x</script>": Admin')
    await user.open('/login')
    planted = user.http_client.cookies.get(COOKIE)  # what an attacker would have set in the victim's browser
    assert planted
    await sign_in(user, admin.email)
    await user.should_see('Welcome')
    assert user.http_client.cookies.get(COOKIE) != planted  # the browser got a new session id...
    assert await signed_in_with(user.http_client.cookies.get(COOKIE))  # ...which is signed in
    assert not await signed_in_with(planted)  # the planted one is not


async def test_a_copied_cookie_stops_working_at_sign_out_and_stays_dead_at_the_next_sign_in(user: User) -> None:
    admin = make_user('admin')
    await sign_in(user, admin.email)
    await user.should_see('Welcome')
    copied = user.http_client.cookies.get(COOKIE)
    assert await signed_in_with(copied)

    user.find(marker='account').click()  # the user menu, built on its opening
    user.find(marker='log-out').click()
    await user.should_see('Log in', retries=50)
    assert user.http_client.cookies.get(COOKIE) != copied  # signed out under a fresh id too
    assert not await signed_in_with(copied)

    await sign_in(user, admin.email)  # the same browser signs in again...
    await user.should_see('Welcome')
    assert not await signed_in_with(copied)  # ...and the copy does not come back to life with it
    assert await signed_in_with(user.http_client.cookies.get(COOKIE))


async def test_the_continue_step_needs_its_one_time_token(user: User) -> None:
    admin = make_user('admin')
    await user.open('/login')
    planted = user.http_client.cookies.get(COOKIE)
    await sign_in(user, admin.email)
    await user.should_see('Welcome')
    async with another_browser(planted) as client:
        for token in ('', 'guess', '<script>alert(1)</script>', "'; DROP TABLE users; --"):
            response = await client.get('/login/continue', params={'token': token})
            assert response.status_code == 303 and response.headers['location'] == '/login'
    assert not await signed_in_with(planted)


# --- idle timeout ---------------------------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):
    """Time that the test moves forward (a minute of idleness without waiting a minute); timeout set to 1 minute."""
    monkeypatch.setenv('BACKOFFICE_SESSION_IDLE_MINUTES', '1')
    reload_settings()
    now = [utcnow()]
    monkeypatch.setattr(auth, 'utcnow', lambda: now[0])
    monkeypatch.setattr(components.session, 'utcnow', lambda: now[0])
    return now


def new_request(subject: str) -> None:
    with session_scope() as session:  # as the front office would: every open /requests list updates live
        tickets.submit_request(
            session=session,
            email='cora@example.com',
            name='Cora',
            subject=subject,
            body='Where is it?',
            order_number=None,
        )


async def test_live_updates_do_not_keep_an_idle_session_signed_in(user: User, clock: list) -> None:
    agent = make_user('agent')
    await sign_in(user, agent.email, path='/requests')
    await user.should_see('Requests')
    for n in range(9):  # three minutes of live updates, nobody touching anything
        clock[0] += timedelta(seconds=20)
        new_request(f'Parcel {n}: "late" <script>x</script>')
        await asyncio.sleep(0.2)
    assert not await signed_in_with(user.http_client.cookies.get(COOKIE))


async def test_the_persons_input_keeps_a_session_alive(user: User, clock: list) -> None:
    agent = make_user('agent')
    await sign_in(user, agent.email, path='/requests')
    await user.should_see('Requests')
    button = next(iter(user.find(marker='dark-mode').elements))
    for n in range(9):
        clock[0] += timedelta(seconds=20)
        new_request(f'Parcel {n}')
        click_in_the_browser(user, button)
        await asyncio.sleep(0.2)
    assert await signed_in_with(user.http_client.cookies.get(COOKIE))

    clock[0] += timedelta(minutes=2)  # then nothing for two minutes: a click no longer revives it
    click_in_the_browser(user, button)
    await asyncio.sleep(0.2)
    assert not await signed_in_with(user.http_client.cookies.get(COOKIE))


def click_in_the_browser(user: User, element: ui.element) -> None:
    """What the browser's socket delivers for a click (the simulated `.click()` skips the socket layer)."""
    listener_id = next(key for key, listener in element._event_listeners.items() if listener.type == 'click')  # noqa: SLF001
    user.client.handle_event({'id': element.id, 'listener_id': listener_id, 'args': []})


def test_reading_who_is_signed_in_is_not_activity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard: live updates, timers and handlers all read the session through current_user; none of them may move
    `last_seen`: only a page load says so (page_load=True) and the browser's input events (wire_activity)."""
    account = make_user('agent')
    earlier = (utcnow() - timedelta(seconds=30)).isoformat()
    storage = {'user_id': account.id, 'epoch': account.session_epoch, 'last_seen': earlier, **staff_session(account)}
    assert components.session.current_user(storage) is not None
    assert storage['last_seen'] == earlier
    assert components.session.current_user(storage, page_load=True) is not None
    assert storage['last_seen'] != earlier
