"""Declared screens: each page module declares itself with @screen (path, title, permission, menu place)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from backoffice.permissions import can

# NiceGUI answers 500 with "The page took longer than the response_timeout of 3 seconds to build" when a page's build
# takes longer: on a busy two-core server (a CI run at load 30 did) a person got that error page for /requests. A page
# built late is served late instead; a page whose browser goes away meanwhile is dropped by NiceGUI as before.
BUILD_TIMEOUT_SECONDS = 30.0


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
    heading: bool = True  # False: the page writes its own heading (a request's '#12 Subject', not 'Request' above it)


SCREENS: dict[str, Screen] = {}


def screen(
    path: str,
    title: str,
    *,
    permission: str | None,
    icon: str = 'circle',
    section: str = '',
    public: bool = False,
    in_menu: bool = True,
    order: int = 100,
    description: str = '',
    heading: bool = True,
) -> Callable[[Callable], Callable]:
    """Declare a page. A signed-in page gets the shell and the guard, and its builder receives the user;
    a public page's builder receives the request. Path parameters (`/requests/{number}`) are passed to the builder
    as keyword arguments (strings), after the guard."""

    def decorator(builder: Callable) -> Callable:
        SCREENS[path] = Screen(
            path, title, builder, permission, icon, section, public, in_menu, order, description, heading
        )
        return builder

    return decorator


def public_paths() -> set[str]:
    return {s.path for s in SCREENS.values() if s.public}


def menu_for(user) -> list[Screen]:
    """What this user may open, in menu order."""
    visible = [s for s in SCREENS.values() if s.in_menu and not s.public and can(user, s.permission)]
    return sorted(visible, key=lambda s: (s.order, s.title))


def path_parameters(path: str) -> list[str]:
    """The names of a path's parameters: '/requests/{number}' → ['number']."""
    return re.findall(r'\{(\w+)(?::\w+)?\}', path)
