"""The one registry of screens: each page declares its path, title, icon and permission; the guard and menu read it."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from backoffice.permissions import can

from .session import current_user, login_url
from .shell import frame, no_access


@dataclass(frozen=True)
class Screen:
    path: str
    title: str
    builder: Callable
    permission: str | None  # None: any signed-in user
    icon: str = 'circle'
    section: str = ''
    public: bool = False
    in_menu: bool = True
    order: int = 100
    description: str = ''


SCREENS: dict[str, Screen] = {}


def screen(path: str, title: str, *, permission: str | None, icon: str = 'circle', section: str = '',
           public: bool = False, in_menu: bool = True, order: int = 100,
           description: str = '') -> Callable[[Callable], Callable]:
    """Declare a page. A signed-in page gets the shell and the guard, and its builder receives the user;
    a public page's builder receives the request. Path parameters (`/requests/{number}`) are passed to the builder
    as keyword arguments (strings), after the guard."""
    def decorator(builder: Callable) -> Callable:
        SCREENS[path] = Screen(path, title, builder, permission, icon, section, public, in_menu, order, description)
        return builder
    return decorator


def public_paths() -> set[str]:
    return {s.path for s in SCREENS.values() if s.public}


def menu_for(user) -> list[Screen]:
    """What this user may open, in menu order."""
    visible = [s for s in SCREENS.values() if s.in_menu and not s.public and can(user, s.permission)]
    return sorted(visible, key=lambda s: (s.order, s.title))


def register_pages() -> None:
    """Turn every declared screen into a NiceGUI page (main.py calls this on every start)."""
    for declared in SCREENS.values():
        ui.page(declared.path, title=f'{declared.title} · Backoffice')(_guarded(declared))


def path_parameters(path: str) -> list[str]:
    """The names of a path's parameters: '/requests/{number}' → ['number']."""
    return re.findall(r'\{(\w+)(?::\w+)?\}', path)


def _guarded(declared: Screen) -> Callable:
    names = path_parameters(declared.path)

    async def page(request: Request, **params: str):
        if declared.public:
            return await _call(declared.builder, request, **params)
        user = current_user()
        if user is None:  # the middleware redirects first; this covers a session that ended in between
            return RedirectResponse(login_url(request.url.path))
        with frame(declared.title, user, menu=menu_for(user), current=declared.path):
            if not can(user, declared.permission):
                no_access()
                return None
            return await _call(declared.builder, user, **params)

    # NiceGUI's test reset unloads the module of each page function so the next run re-imports it; pointing at the
    # page's own module makes that reload re-declare the page (the registry itself must stay loaded).
    page.__module__ = declared.builder.__module__
    page.__qualname__ = page.__name__ = declared.builder.__name__
    # NiceGUI and FastAPI read the route's parameters from the signature: the request plus the path's parameters
    page.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter('request', inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        *(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=str) for name in names)])
    return page


async def _call(builder: Callable, *args, **kwargs):
    result = builder(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result
