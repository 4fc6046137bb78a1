"""A fresh session identifier at sign-in and sign-out, so a planted or copied session cookie never becomes signed in.

The page that signs someone in (or out) leaves a one-time token in this browser's storage and navigates to
`/login/continue?token=…`, an HTTP request: only there can the cookie change. The endpoint empties the old session,
gives the browser a new id (NiceGUI keys `app.storage.user` by the `id` in the signed session cookie), moves the
signed-in state to it and redirects. Whoever still holds the old cookie holds an empty session."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from nicegui import app, run

from backoffice.config import get_settings
from backoffice.db import session_scope
from backoffice.models import User, utcnow
from backoffice.services import portal_access, staff_sessions

from .session import SESSION_KEYS, client_storage, safe_redirect

CONTINUE_PATH = '/login/continue'
PORTAL_HOME = '/portal'
PORTAL_LOGIN = '/portal/login'
PENDING = 'pending_renewal'
TOKEN_LIFETIME = timedelta(minutes=2)

router = APIRouter(include_in_schema=False)


def renewal_url(user: User | None, target: str = '/', *, new_browser: bool = False, storage: dict | None = None) -> str:
    """Where to send this browser to get its new session: signed in as `user` (its staff session starts there:
    `new_browser` tells the user of a sign-in from a browser the account never used), or signed out (None).
    `storage`: the browser's session storage, when not called for a page's client (tests' signed-in shortcut)."""
    token = secrets.token_urlsafe(32)
    storage = client_storage() if storage is None else storage
    storage[PENDING] = {
        'token': token,
        'user_id': user.id if user else None,
        'epoch': user.session_epoch if user else None,
        'target': safe_redirect(target) if user else '/login',
        'expires_at': (utcnow() + TOKEN_LIFETIME).isoformat(),
        'new_browser': new_browser,
    }
    return f'{CONTINUE_PATH}?token={token}'


def portal_renewal_url(entry: portal_access.Entry | None, target: str = PORTAL_HOME) -> str:
    """The same for the customer portal: signed in as the customer `entry` lets in (their portal session starts
    there), or signed out of the portal (None), back on its sign-in page."""
    token = secrets.token_urlsafe(32)
    client_storage()[PENDING] = {
        'token': token,
        'realm': 'portal',
        'customer_id': entry.customer_id if entry else None,
        'epoch': entry.epoch if entry else None,
        'target': _portal_target(target) if entry else PORTAL_LOGIN,
        'expires_at': (utcnow() + TOKEN_LIFETIME).isoformat(),
    }
    return f'{CONTINUE_PATH}?token={token}'


def _portal_target(target: str) -> str:
    target = safe_redirect(target)
    return target if target == PORTAL_HOME or target.startswith(f'{PORTAL_HOME}/') else PORTAL_HOME


@router.get(CONTINUE_PATH)
async def continue_with_new_session(request: Request, token: str = '') -> RedirectResponse:
    old = app.storage.user  # the storage of the id this request's cookie carries
    pending = old.pop(PENDING, None)
    if not _valid(pending, token):
        return RedirectResponse('/login', status_code=303)
    kept = {key: value for key, value in old.items() if key not in SESSION_KEYS}  # e.g. preferences, not the session
    old.clear()
    new_id = str(uuid.uuid4())
    # NiceGUI creates a browser's storage on its first request; the new id has had none yet
    await app.storage._create_user_storage(new_id)  # noqa: SLF001
    new = app.storage._users[new_id]  # noqa: SLF001
    new.update(kept)
    if pending.get('realm') == 'portal':
        if pending['customer_id']:
            started = await run.io_bound(_start_portal_session, request, pending['customer_id'])
            now = utcnow().isoformat()
            new.update(
                portal_customer_id=pending['customer_id'],
                portal_epoch=pending['epoch'],
                portal_last_seen=now,
                portal_sid=started.key,
                portal_session_id=started.session_id,
                portal_touched=now,
            )
    elif pending.get('user_id'):
        started = await run.io_bound(
            _start_staff_session, request, pending['user_id'], bool(pending.get('new_browser'))
        )
        if started is None:
            return RedirectResponse('/login', status_code=303)
        now = utcnow().isoformat()
        new.update(
            user_id=pending['user_id'],
            epoch=pending['epoch'],
            last_seen=now,
            signed_in_at=now,
            sid=started.key,
            session_id=started.session_id,
            touched=now,
        )
    request.session['id'] = new_id  # SessionMiddleware sends the re-signed cookie with this response
    return RedirectResponse(pending['target'], status_code=303)


def _start_staff_session(request: Request, user_id: int, new_browser: bool) -> staff_sessions.Started | None:
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        return staff_sessions.start(
            session,
            user=user,
            user_agent=request.headers.get('user-agent', ''),
            address=request.client.host if request.client else '',
            new_browser=new_browser,
            base_url=get_settings().base_url,
        )


def _start_portal_session(request: Request, customer_id: int) -> staff_sessions.Started:
    with session_scope() as session:
        return portal_access.start_session(
            session,
            customer_id=customer_id,
            user_agent=request.headers.get('user-agent', ''),
            address=request.client.host if request.client else '',
        )


def _valid(pending: object, token: str) -> bool:
    if not isinstance(pending, dict) or not token or not isinstance(pending.get('token'), str):
        return False
    if not secrets.compare_digest(pending['token'], token):
        return False
    try:
        return datetime.fromisoformat(pending['expires_at']) >= utcnow()
    except (KeyError, TypeError, ValueError):
        return False
