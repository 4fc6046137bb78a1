"""The session cookie (Starlette's signed cookie carrying NiceGUI's browser id), wired by main.py itself.

`ui.run(storage_secret=…)` would add the session middleware outermost, where no other middleware sees its cookie;
wiring it here lets the security headers wrap it and mark the cookie Secure over HTTPS."""

from __future__ import annotations

from fastapi import FastAPI
from nicegui.storage import RequestTrackingMiddleware
from starlette.middleware.sessions import SessionMiddleware

from .security_headers import SecurityHeadersMiddleware

MAX_AGE = 14 * 24 * 3600


class SessionCookieMiddleware(SessionMiddleware):
    """Starlette's, under a name of its own: NiceGUI adds a second session middleware of its own unless told none
    (ui.run without storage_secret) and would reorder ours if it recognised the class."""


def add_session_middleware(app: FastAPI, secret: str) -> None:
    """Outermost first: security headers → session cookie → NiceGUI's request tracking → what main.py added before
    (the sign-in check needs `app.storage.user`, which the request tracking provides)."""
    app.add_middleware(RequestTrackingMiddleware)
    app.add_middleware(SessionCookieMiddleware, secret_key=secret, same_site='lax', max_age=MAX_AGE)
    app.add_middleware(SecurityHeadersMiddleware)
