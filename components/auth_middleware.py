"""Sends every request for a signed-in page to /login unless its browser holds a live session."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app
from starlette.middleware.base import BaseHTTPMiddleware

from .screens import public_paths
from .session import current_user, login_url

OPEN_PREFIXES = (
    '/login/continue',
    '/login/known-browser',
    '/_nicegui',
    '/api/',
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
        if path in public_paths() or path.startswith(OPEN_PREFIXES):
            return await call_next(request)
        if current_user(app.storage.user) is None:
            target = path + (f'?{request.url.query}' if request.url.query else '')
            return RedirectResponse(login_url(target))
        return await call_next(request)
