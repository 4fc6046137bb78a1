"""Signing in through the login page in NiceGUI's simulated browser, as a person would."""

from __future__ import annotations

import asyncio

from nicegui import background_tasks
from nicegui.testing import User as SimulatedUser
from sqlmodel import select

from backoffice.db import session_scope
from backoffice.models import User as Staff
from backoffice.services import staff_sessions

from .factories import PASSWORD, make_user
from .lists import rows_show
from .waiting import default_timeout, eventually


async def sign_in(user: SimulatedUser, email: str, password: str = PASSWORD, *, path: str = '/') -> None:
    """Open the login page (asking to come back to `path`), type the credentials, press "Log in" and wait until the
    attempt has ended (the button's handler is done: no fixed wait to see it start): on success the browser has gone
    through /login/continue to `path` (or, with two-factor sign-in, the code is asked: `enter_code`), else the form
    says why."""
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


def staff_named(email: str) -> Staff | None:
    """The staff account with this email, as stored now."""
    with session_scope() as session:
        return session.exec(select(Staff).where(Staff.email == email)).first()


async def open_users_as_admin(user: SimulatedUser) -> Staff:
    """A new admin signed in on /users, with their own row listed."""
    admin = make_user('admin', name='Ada Admin')
    await sign_in(user, admin.email, path='/users')
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
