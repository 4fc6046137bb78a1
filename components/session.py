"""Who is signed in to this browser: the session kept in NiceGUI's user storage, checked against the database."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from nicegui import app, ui
from nicegui.storage import request_contextvar

from backoffice import auth
from backoffice.config import get_settings
from backoffice.db import read_session
from backoffice.models import User, utcnow


def current_user(storage: dict | None = None) -> User | None:
    """The signed-in user, or None when nobody is, the session went idle, or it was ended elsewhere.

    UI code calls it without arguments; the HTTP middleware passes the request's storage."""
    storage = client_storage() if storage is None else storage
    user_id = storage.get('user_id')
    if not user_id:
        return None
    last_seen = _parse(storage.get('last_seen'))
    if auth.is_idle(last_seen, get_settings().session_idle_minutes):
        forget(storage)
        return None
    with read_session() as session:  # a read: never wait behind a writer (session_scope takes SQLite's write lock)
        user = auth.session_user(session, user_id, storage.get('epoch'))
    if user is None:
        forget(storage)
        return None
    storage['last_seen'] = utcnow().isoformat()
    return user


def acting_user() -> User | None:
    """For an event handler: the user, freshly checked; a signed-out browser is sent to the sign-in page."""
    user = current_user()
    if user is None:
        ui.navigate.to(login_url(_current_path()))
    return user


def client_storage() -> dict:
    """This browser's session storage, derived from the page request of the client the code runs for.

    Timers and event subscribers run without a request, or with the request of the client whose action emitted the
    event; reading `app.storage.user` there would get no storage, or another person's."""
    request = ui.context.client.request
    if request is not None and request_contextvar.get() is not request:
        request_contextvar.set(request)
    return app.storage.user


def remember(user: User) -> None:
    client_storage().update(user_id=user.id, epoch=user.session_epoch, last_seen=utcnow().isoformat(),
                            signed_in_at=utcnow().isoformat())


def keep_epoch(user: User) -> None:
    """After this browser's own password change, stay signed in here while every other session ends."""
    client_storage()['epoch'] = user.session_epoch


def forget(storage: dict | None = None) -> None:
    storage = client_storage() if storage is None else storage
    for key in ('user_id', 'epoch', 'last_seen', 'signed_in_at'):
        storage.pop(key, None)


def login_url(redirect_to: str | None = None) -> str:
    target = safe_redirect(redirect_to)
    return '/login' if target == '/' else f'/login?redirect_to={quote(target, safe="/")}'


def safe_redirect(target: str | None) -> str:
    """Only a local path: '/x' yes; '//evil.example', 'https://…', '/\\evil' or anything else becomes '/'."""
    if not target or not target.startswith('/') or target.startswith('//') or '\\' in target:
        return '/'
    if any(ord(c) < 32 for c in target) or target.startswith('/login'):
        return '/'
    return target


def _current_path() -> str:
    try:
        return ui.context.client.page.path
    except Exception:
        return '/'


def _parse(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
