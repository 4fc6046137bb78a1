"""Signing in through the login page in NiceGUI's simulated browser, as a person would."""

from __future__ import annotations

import asyncio
import json
from base64 import b64decode

from itsdangerous import TimestampSigner
from nicegui import app, background_tasks
from nicegui.testing import User as SimulatedUser
from sqlmodel import select

from backoffice import auth
from backoffice.config import get_settings
from backoffice.db import session_scope
from backoffice.models import User as Staff
from backoffice.services import staff_sessions, two_factor
from components.session_renewal import CONTINUE_PATH, renewal_url

from .factories import PASSWORD, make_user
from .lists import rows_show
from .waiting import default_timeout, eventually


async def sign_in(user: SimulatedUser, email: str, password: str = PASSWORD, *, path: str = '/') -> None:
    """Open the login page (asking to come back to `path`), type the credentials, press "Log in" and wait until the
    attempt has ended (the button's handler is done: no fixed wait to see it start): on success the browser has gone
    through /login/continue to `path` (or, with two-factor sign-in, the code is asked: `enter_code`), else the form
    says why."""
    # a page load the last click started (a form that sends to /login once saved) lands first, as a person sees it
    # land before typing: opened over it, the login page was replaced by it mid-sign-in (a CI run on SQLite)
    await _navigations_started_since(set())
    await user.open(f'/login?redirect_to={path}' if path != '/' else '/login')
    user.find('Email').type(email)
    user.find('Password').type(password)
    button = user.find('Log in')
    element = next(iter(button.elements))
    message = next(e for e in user.client.elements.values() if 'sign-in-message' in e._markers)  # noqa: SLF001
    code_step = next(e for e in user.client.elements.values() if 'code-step' in e._markers)  # noqa: SLF001
    pages_opened = len(user.back_history)
    running = set(background_tasks.running_tasks)
    button.click()
    attempt = [task for task in background_tasks.running_tasks if task not in running]  # the button's handler
    if attempt:
        await asyncio.wait(attempt, timeout=default_timeout())
    await eventually(lambda: not element.props.get('loading'), message='the sign-in attempt ends')
    await _navigations_started_since(running)
    # ...with a message, the two-factor code step, or by going through /login/continue (a new session id) to the page
    await eventually(
        lambda: message.visible or code_step.visible or len(user.back_history) > pages_opened,
        message='the sign-in shows a message, asks the code or goes on to the page',
    )


async def _navigations_started_since(running: set) -> None:
    """Await the simulated browser's page loads that the attempt started (ui.navigate runs them as background tasks):
    a slow page load is waited for, not raced against a poll, and one that fails raises its own error here."""
    loads = [
        task
        for task in background_tasks.running_tasks
        if task not in running and task.get_name().startswith('navigate')
    ]
    if loads:
        done, _pending = await asyncio.wait(loads, timeout=2 * default_timeout())
        for task in done:
            task.result()


async def signed_in(user: SimulatedUser, email: str, password: str = PASSWORD, *, path: str = '/') -> None:
    """Signed in as `email` on `path`, for tests whose point is not signing in: what the login page's "Log in" does
    after the form, without building the login page and typing into it. The same credentials check
    (`auth.sign_in`: the throttling, the "signed in" audit entry, the last sign-in time), the same one-time token
    left in this browser's session storage (`renewal_url`) and the same trip through /login/continue, which gives
    the browser its new session id, starts its staff session and redirects to `path`, where the page is opened as
    `user.open` opens one. The login page itself, a refused sign-in and the two-factor step are tested with
    `sign_in` (test_sign_in_page.py, test_two_factor.py, the crawler, the browser tests)."""
    result = auth.sign_in(email=email, password=password, address='127.0.0.1')  # the simulated browser's address
    assert result.ok and result.user is not None, f'cannot sign in as {email}: {result.message}'
    assert not two_factor.enrolled(result.user), f'{email} signs in with a code: use sign_in() and enter_code()'
    if user.http_client.cookies.get('session') is None:  # no cookie yet: any request gives the browser its id
        await user.http_client.get(CONTINUE_PATH)  # (no token: answered with a redirect to /login, not followed)
    url = renewal_url(result.user, path, new_browser=result.new_browser, storage=_browser_storage(user))
    await user.open(url)


def _browser_storage(user: SimulatedUser) -> dict:
    """This simulated browser's session storage (`app.storage.user` of its requests), read from its signed cookie."""
    cookie = user.http_client.cookies.get('session')
    assert cookie, 'the simulated browser has no session cookie yet'
    signed = TimestampSigner(get_settings().resolved_storage_secret()).unsign(cookie.encode())
    return app.storage._users[json.loads(b64decode(signed))['id']]  # noqa: SLF001


def staff_named(email: str) -> Staff | None:
    """The staff account with this email, as stored now."""
    with session_scope() as session:
        return session.exec(select(Staff).where(Staff.email == email)).first()


async def open_users_as_admin(user: SimulatedUser) -> Staff:
    """A new admin signed in on /users, with their own row listed."""
    admin = make_user('admin', name='Ada Admin')
    await signed_in(user, admin.email, path='/users')
    await user.should_see('Staff users')
    await rows_show(user, admin.email)
    return admin


def staff_session(account: Staff, *, user_agent: str = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/150.0') -> dict:
    """A staff session started for this account as a sign-in would: the keys a browser's session storage holds."""
    with session_scope() as session:
        started = staff_sessions.start(
            session, user=session.get(Staff, account.id), user_agent=user_agent, address='127.0.0.1', new_browser=False
        )
    return {'sid': started.key, 'session_id': started.session_id}


async def enter_code(user: SimulatedUser, code: str) -> None:
    """The sign-in's second step: type the code (from the app, or a recovery code) and press "Verify"."""
    await user.should_see(marker='code')
    user.find(marker='code').type(code)
    pages_opened = len(user.back_history)
    user.find('Verify').click()
    message = next(e for e in user.client.elements.values() if 'code-message' in e._markers)  # noqa: SLF001
    await eventually(
        lambda: message.visible or len(user.back_history) > pages_opened,
        message='the second step shows a message or goes on to the page',
    )
