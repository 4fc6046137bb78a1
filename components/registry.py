"""Turns every declared screen (screens.py) into a NiceGUI page: the sign-in guard, the shell, the permission check."""

from __future__ import annotations

import inspect
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from backoffice.i18n import _
from backoffice.permissions import can
from backoffice.services import two_factor

from . import page_work
from .screens import BUILD_TIMEOUT_SECONDS, SCREENS, Screen, menu_for, path_parameters
from .session import ENROL_PATH, checked_for_page, current_user, login_url, page_built
from .session_language import start_page
from .shell import PRODUCT, frame, no_access


def register_pages() -> None:
    """Turn every declared screen into a NiceGUI page (main.py calls this on every start)."""
    for declared in SCREENS.values():
        ui.page(declared.path, title=f'{declared.title} · {PRODUCT}', response_timeout=BUILD_TIMEOUT_SECONDS)(
            _guarded(declared)
        )


def _guarded(declared: Screen) -> Callable:
    names = path_parameters(declared.path)

    async def page(request: Request, **params: str):
        if declared.public:
            start_page(None, request.headers.get('accept-language'))  # nobody signed in: the browser's language
            _title(declared)
            return await _call(declared.builder, request, **params)
        user = current_user(page_load=True, request=request)  # the middleware's check of this same request
        if user is None:  # the middleware redirects first; this covers a session that ended in between
            return RedirectResponse(login_url(request.url.path))
        if declared.path != ENROL_PATH and two_factor.must_enrol(user):  # no page before the required set-up
            return RedirectResponse(ENROL_PATH)
        checked_for_page(user)  # what the page asks while it is built: this answer, not a new check each time
        start_page(user)  # from here on, every text of this page (and its handlers) in the user's language
        _title(declared)
        page_work.begin()  # a list's first rows, read while the page is built, go out with it
        try:
            with frame(_(declared.title), user, menu=menu_for(user), current=declared.path, heading=declared.heading):
                if not can(user, declared.permission):
                    no_access()
                    return None
                result = await _call(declared.builder, user, **params)
                await page_work.settle()
                return result
        finally:
            page_work.end()
            page_built()

    # NiceGUI's test reset unloads the module of each page function so the next run re-imports it; pointing at the
    # page's own module makes that reload re-declare the page (the registry itself must stay loaded).
    page.__module__ = declared.builder.__module__
    page.__qualname__ = page.__name__ = declared.builder.__name__
    # NiceGUI and FastAPI read the route's parameters from the signature: the request plus the path's parameters
    page.__signature__ = inspect.Signature(
        [  # type: ignore[attr-defined]
            inspect.Parameter('request', inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
            *(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=str) for name in names),
        ]
    )
    return page


def _title(declared: Screen) -> None:
    """The browser tab's title in the reader's language (screen titles are declared with N_())."""
    ui.context.client.title = f'{_(declared.title)} · {PRODUCT}'


async def _call(builder: Callable, *args, **kwargs):
    result = builder(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result
