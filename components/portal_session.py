"""Who is signed in to the customer portal in this browser: the portal's keys in the session storage, checked against
the database on every page load and handler (a staff session never counts here, nor a portal session on staff pages)."""

from __future__ import annotations

from urllib.parse import quote

from nicegui import ui

from backoffice import auth
from backoffice.config import get_settings
from backoffice.models import utcnow
from backoffice.services import portal_access
from backoffice.services.portal_scope import PortalActor

from .session import PORTAL_KEYS, client_storage, forget, parse_instant, safe_redirect
from .session_renewal import PORTAL_HOME, PORTAL_LOGIN


def current_actor(storage: dict | None = None, *, page_load: bool = False) -> PortalActor | None:
    """The customer signed in to the portal here, or None: nobody, idle too long, signed out elsewhere, banned."""
    storage = client_storage() if storage is None else storage
    customer_id = storage.get('portal_customer_id')
    if not customer_id:
        return None
    if auth.is_idle(parse_instant(storage.get('portal_last_seen')), get_settings().session_idle_minutes):
        forget(storage, PORTAL_KEYS)
        return None
    actor = portal_access.signed_in_actor(customer_id, storage.get('portal_epoch'), storage.get('portal_sid'))
    if actor is None:
        forget(storage, PORTAL_KEYS)
        return None
    if page_load:
        now = utcnow()
        storage['portal_last_seen'] = now.isoformat()
        touched = parse_instant(storage.get('portal_touched'))
        if touched is None or now - touched >= portal_access.TOUCH_EVERY:
            storage['portal_touched'] = now.isoformat()
            portal_access.touch(storage.get('portal_session_id') or 0)
    return actor


def acting_actor() -> PortalActor | None:
    """For an event handler: the customer, freshly checked; a browser signed out meanwhile goes to the sign-in page."""
    actor = current_actor()
    if actor is None:
        ui.navigate.to(PORTAL_LOGIN)
    return actor


def session_key() -> str | None:
    return client_storage().get('portal_sid')


def session_id() -> int | None:
    return client_storage().get('portal_session_id')


def portal_login_url(target: str) -> str:
    target = safe_redirect(target)
    if target == PORTAL_HOME or not target.startswith(f'{PORTAL_HOME}/'):
        return PORTAL_LOGIN
    return f'{PORTAL_LOGIN}?redirect_to={quote(target, safe="/")}'
