"""Who can lock whom out: failures lock one email from one address (and, in number, the address), never the account
everywhere; a browser the person signed in from before still gets in with the right password."""

from __future__ import annotations

import time

import pytest
from sqlmodel import col, select

from backoffice import auth, known_browser
from backoffice.__main__ import main
from backoffice.db import read_session
from backoffice.models import AuditEntry
from components.known_browser_route import router

from .support.api import api_client
from .support.factories import PASSWORD, make_user

WRONG = 'Not-the-password-7'
OFFICE, ATTACKER, HOME = '198.51.100.9', '203.0.113.66', '192.0.2.10'


def test_a_stranger_cannot_lock_the_admin_out_from_elsewhere() -> None:
    admin = make_user('admin', email='boss@example.com')

    for _ in range(3):  # fifteen wrong passwords from one address, well past the lock
        fail(admin.email, 5, address=ATTACKER)

    assert auth.sign_in(email=admin.email, password=PASSWORD, address=OFFICE).ok
    assert auth.sign_in(email=admin.email, password=PASSWORD, address=None).ok
    refused = auth.sign_in(email=admin.email, password=PASSWORD, address=ATTACKER)
    assert not refused.ok and refused.message.startswith('Too many failed sign-ins. Try again in')


def test_five_failures_lock_that_email_from_that_address_only() -> None:
    agent = make_user('agent', email='sam@example.com')
    other = make_user('agent', email='kim@example.com')

    fifth = fail(agent.email, 5, address=OFFICE)

    assert fifth.retry_after_seconds == 30 and 'Too many failed sign-ins' in fifth.message
    assert not auth.sign_in(email=agent.email, password=PASSWORD, address=OFFICE).ok
    assert auth.sign_in(email=other.email, password=PASSWORD, address=OFFICE).ok  # a colleague behind the same NAT
    assert auth.sign_in(email=agent.email, password=PASSWORD, address=HOME).ok


def test_a_known_browser_gets_in_with_the_right_password_while_its_address_is_locked() -> None:
    admin = make_user('admin', email='boss@example.com')
    first = auth.sign_in(email=admin.email, password=PASSWORD, address=OFFICE)
    cookie = known_browser.add_to_cookie(None, first.known_browser_token)
    # someone in the same office (same address) fails on the admin's email, then on twenty others
    fail(admin.email, 6, address=OFFICE)
    for number in range(20):
        fail(f'guess{number}@example.com', 1, address=OFFICE)

    new_browser = auth.sign_in(email=admin.email, password=PASSWORD, address=OFFICE)
    known = auth.sign_in(email=admin.email, password=PASSWORD, address=OFFICE, known_browser_cookie=cookie)

    assert not new_browser.ok and new_browser.message.startswith('Too many failed sign-ins')
    assert known.ok and known.user.id == admin.id
    with read_session() as session:
        summaries = session.exec(
            select(AuditEntry.summary).where(AuditEntry.action == 'auth.signed_in').order_by(col(AuditEntry.id))
        ).all()
    assert summaries[-1] == f'boss@example.com signed in from {OFFICE} (known browser)'


def test_a_known_browser_still_gets_only_five_wrong_passwords() -> None:
    agent = make_user('agent')
    cookie = known_browser.add_to_cookie(
        None, auth.sign_in(email=agent.email, password=PASSWORD, address=HOME).known_browser_token
    )

    for _ in range(5):
        assert not auth.sign_in(email=agent.email, password=WRONG, address=HOME, known_browser_cookie=cookie).ok
    stolen = auth.sign_in(email=agent.email, password=PASSWORD, address=HOME, known_browser_cookie=cookie)

    assert not stolen.ok and stolen.message.startswith('Too many failed sign-ins')


@pytest.mark.parametrize('cookie_of', ['another account', 'forged', 'expired', 'garbage'])
def test_only_a_genuine_recent_token_of_that_account_unlocks(cookie_of: str) -> None:
    admin = make_user('admin', email='boss@example.com')
    agent = make_user('agent', email='sam@example.com')
    agent_token = auth.sign_in(email=agent.email, password=PASSWORD, address=OFFICE).known_browser_token
    cookie = {
        'another account': known_browser.add_to_cookie(None, agent_token),
        'forged': agent_token.replace(f'.{agent.id}.', f'.{admin.id}.'),
        'expired': known_browser.mint(admin.id, now=time.time() - (known_browser.LIFETIME_DAYS + 1) * 86400),
        'garbage': '"<script>alert(1)</script>": x.y.z',
    }[cookie_of]
    fail(admin.email, 5, address=OFFICE)

    result = auth.sign_in(email=admin.email, password=PASSWORD, address=OFFICE, known_browser_cookie=cookie)

    assert not result.ok and result.message.startswith('Too many failed sign-ins')


def test_the_command_line_clears_the_locks_of_an_email(capsys: pytest.CaptureFixture[str]) -> None:
    admin = make_user('admin', email='boss@example.com')
    fail(admin.email, 5, address=OFFICE)
    for number in range(20):
        fail(f'guess{number}@example.com', 1, address=OFFICE)
    assert not auth.sign_in(email=admin.email, password=PASSWORD, address=OFFICE).ok

    assert main(['unlock-sign-in', '--email', ' Boss@Example.com ']) == 0

    assert capsys.readouterr().out.strip() == 'Cleared 2 sign-in lock(s) for boss@example.com.'
    assert auth.sign_in(email=admin.email, password=PASSWORD, address=OFFICE).ok


# --- the cookie ------------------------------------------------------------------------------------------------------


async def test_a_fresh_sign_in_token_becomes_an_http_only_cookie_for_the_sign_in_page() -> None:
    admin, agent = make_user('admin'), make_user('agent')
    admin_token = auth.sign_in(email=admin.email, password=PASSWORD, address=None).known_browser_token
    agent_token = auth.sign_in(email=agent.email, password=PASSWORD, address=None).known_browser_token

    async with api_client(router) as client:
        first = await client.post('/login/known-browser', json={'token': admin_token})
        client.cookies.set(known_browser.COOKIE, first.cookies[known_browser.COOKIE], path='/login')
        second = await client.post('/login/known-browser', json={'token': agent_token})

    assert first.status_code == second.status_code == 204
    header = second.headers['set-cookie']
    assert header.startswith(f'{known_browser.COOKIE}=')
    assert all(part in header for part in ('HttpOnly', 'Path=/login', 'SameSite=lax', 'Max-Age=7776000'))
    cookie = second.cookies[known_browser.COOKIE]  # the same browser now remembers both accounts
    assert known_browser.token_for(cookie, admin.id) == admin_token
    assert known_browser.token_for(cookie, agent.id) == agent_token


@pytest.mark.parametrize('token', ['stale', 'forged', '<script>"x":</script>'])
async def test_an_old_or_forged_token_is_refused(token: str) -> None:
    admin = make_user('admin')
    if token == 'stale':  # a token seen in a log or a history cannot be turned into a cookie later
        token = known_browser.mint(admin.id, now=time.time() - known_browser.FRESH_SECONDS - 5)
    elif token == 'forged':
        token = known_browser.mint(admin.id)[:-4] + 'abcd'

    async with api_client(router) as client:
        response = await client.post('/login/known-browser', json={'token': token})

    assert response.status_code == 400
    assert 'set-cookie' not in response.headers


def fail(email: str, times: int, *, address: str | None) -> auth.SignIn:
    """Sign in with a wrong password `times` times; the answer to the last attempt."""
    result = None
    for _ in range(times):
        result = auth.sign_in(email=email, password=WRONG, address=address)
        assert not result.ok
    return result
