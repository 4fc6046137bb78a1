"""Sends every request for a signed-in page to /login unless its browser holds a live session, and a user whose role
requires two-factor sign-in to its set-up until it is done."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app
from starlette.middleware.base import BaseHTTPMiddleware

from backoffice.services import two_factor

from .screens import public_paths
from .session import ENROL_PATH, current_user, login_url

OPEN_PREFIXES = (
    '/portal/',  # the customer portal: its own sign-in and guard (components/portal_pages.py)
    '/login/continue',
    '/login/known-browser',
    '/_nicegui',
    '/api/',
    '/feeds/',  # a spreadsheet feed: its secret token is the key (backoffice/api/feeds.py)
    '/healthz',
    '/openapi.json',
    '/docs',
    '/redoc',
    '/favicon',
    '/static/',
)


class AuthMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        path = request.url.path
        if path in public_paths() or path == '/portal' or path.startswith(OPEN_PREFIXES):
            return await call_next(request)
        user = current_user(app.storage.user, request=request)  # kept on the request for the page guard
        if user is None:
            target = path + (f'?{request.url.query}' if request.url.query else '')
            return RedirectResponse(login_url(target))
        if path != ENROL_PATH and two_factor.must_enrol(user):  # their role requires it: set it up first
            return RedirectResponse(ENROL_PATH)
        return await call_next(request)
