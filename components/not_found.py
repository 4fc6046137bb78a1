"""The page for an address that leads nowhere: says so in words and offers the way home (instead of NiceGUI's
"HTTPException: 404"). API addresses keep their JSON answer, a mistyped one under /api/ too."""

from __future__ import annotations

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from nicegui import Client, app, ui
from nicegui.page import page
from starlette.exceptions import HTTPException

from backoffice import i18n
from backoffice.api.input_rules import language_of
from backoffice.i18n import N_, _

from .portal_session import current_actor
from .session import current_user
from .session_language import start_page_in
from .shell import theme

TITLE = N_('Page not found')
MESSAGE = N_('There is no page at this address. It may have moved, or the link may be mistyped.')
HOME = N_('Go to the dashboard')
NO_ROUTE = N_('There is no API route at this address; the routes are listed at /docs.')
NO_METHOD = N_('This API address does not take {method}; its methods are listed at /docs.')
API_PATHS = ('/api/',)


def wire() -> None:
    """main.py calls this once: every 404 of a page address shows this page."""
    app.exception_handler(404)(_not_found)
    app.exception_handler(405)(_method_not_allowed)


async def _not_found(request: Request, exception: Exception) -> Response:
    endpoint = request.scope.get('endpoint')
    is_page = request.scope.get('nicegui_page_path')
    if endpoint is not None and endpoint is not app and not is_page and isinstance(exception, HTTPException):
        # an API route's own 404 keeps its words ("No request with this number for this email"): the caller must
        # tell a record that is not there from an address that is mistyped
        return await http_exception_handler(request, exception)
    if request.url.path.startswith(API_PATHS):  # a program asked: JSON it can read, not a page (a mistyped route)
        with i18n.use(language_of(request)):
            return JSONResponse({'detail': _(NO_ROUTE)}, status_code=404)
    with Client(page(''), request=request) as client:
        start_page_in(*_reader_language(request))
        not_found_content()
    return client.build_response(request, 404)


def _reader_language(request: Request) -> tuple[str | None, str | None]:
    """(the language the signed-in reader chose, the browser's) as every other page decides it: a French agent who
    follows a stale link reads 'Page introuvable', not English; a customer in the portal their own language; nobody
    signed in, the browser's. The staff check is the one the middleware kept on this request (no second query)."""
    accept_language = request.headers.get('accept-language')
    storage = app.storage.user
    if request.url.path == '/portal' or request.url.path.startswith('/portal/'):
        actor = current_actor(storage)
        return (actor.language if actor is not None else None), accept_language
    user = current_user(storage, request=request)
    return (user.language, None) if user is not None else (None, accept_language)


async def _method_not_allowed(request: Request, exception: Exception) -> Response:
    """An API address asked with a method it does not take: said in the caller's language (Starlette's English
    "Method Not Allowed" otherwise), its Allow header kept."""
    if not request.url.path.startswith(API_PATHS) or not isinstance(exception, HTTPException):
        return await http_exception_handler(request, exception)  # type: ignore[arg-type]
    with i18n.use(language_of(request)):
        detail = _(NO_METHOD).format(method=request.method)
    return JSONResponse({'detail': detail}, status_code=405, headers=exception.headers)


def not_found_content() -> None:
    """What a person sees where there is nothing: what happened, and a way on."""
    theme()
    with ui.column().classes('w-full items-center gap-4 p-8 text-center').mark('not-found'):
        ui.icon('travel_explore', size='3rem').classes('text-gray-400')
        ui.label(_(TITLE)).classes('text-2xl font-semibold').props('role=heading aria-level=1')
        ui.label(_(MESSAGE)).classes('text-gray-600')
        ui.link(_(HOME), '/').classes('text-primary text-lg').mark('go-home')  # a real link: opens in a new tab too
