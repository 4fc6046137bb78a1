"""The session cookie (Starlette's signed cookie carrying NiceGUI's browser id), wired by main.py itself.

`ui.run(storage_secret=…)` would add the session middleware outermost, where no other middleware sees its cookie;
wiring it here lets the security headers wrap it and mark the cookie Secure over HTTPS.

An API call (`/api/…`) has no browser session: its caller authenticates by key. Neither the cookie middleware nor
NiceGUI's request tracking sees it, so its answer sets no cookie (else every answer set one, with `Vary: Cookie`, and
each call without a cookie made a new browser id and its user storage, kept in memory for nothing)."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from nicegui.storage import RequestTrackingMiddleware
from starlette.middleware.base import RequestResponseEndpoint
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import Receive, Scope, Send

from .security_headers import SecurityHeadersMiddleware

MAX_AGE = 14 * 24 * 3600
SESSIONLESS_PREFIXES = ('/api/',)  # the HTTP API: keys, never a browser session (ARCHITECTURE.md, "The portal")


def sessionless(scope: Scope) -> bool:
    return scope['type'] == 'http' and str(scope.get('path', '')).startswith(SESSIONLESS_PREFIXES)


class SessionCookieMiddleware(SessionMiddleware):
    """Starlette's, under a name of its own: NiceGUI adds a second session middleware of its own unless told none
    (ui.run without storage_secret) and would reorder ours if it recognised the class. An API call passes through
    with an empty session that is never sent back."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if sessionless(scope):
            scope['session'] = {}  # request.session reads as empty rather than failing; nothing is ever sent back
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class PageRequestTracking(RequestTrackingMiddleware):
    """NiceGUI's request tracking (the browser id → `app.storage.user`), for the requests that have a session."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if sessionless(request.scope):
            return await call_next(request)
        return await super().dispatch(request, call_next)


def add_session_middleware(app: FastAPI, secret: str) -> None:
    """Outermost first: security headers → session cookie → NiceGUI's request tracking → what main.py added before
    (the sign-in check needs `app.storage.user`, which the request tracking provides)."""
    app.add_middleware(PageRequestTracking)
    app.add_middleware(SessionCookieMiddleware, secret_key=secret, same_site='lax', max_age=MAX_AGE)
    app.add_middleware(SecurityHeadersMiddleware)
