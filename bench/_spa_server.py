"""main.py with every signed-in screen served inside one root page through `ui.sub_pages` (bench/spa_navigation.py
measures it against main.py as it is). A prototype for measuring, not a design: each signed-in screen's address
serves the same root page (the guard, the shell once, a `ui.sub_pages` whose routes are the declared screens), and a
click on a link, `ui.navigate.to` or the browser's back button then swaps the screen over the open websocket (NiceGUI
intercepts every `<a href="/…">` click once its sub pages' script is loaded). The public screens (/login, /contact…)
stay pages of their own, as main.py registers them.

What it leaves as it is, on purpose (the assessment in tests/README.md lists what a real change would do):
- a screen's `ui.context.client.request` stays the first page's request: query parameters (/orders?customer_id=12),
  the width cookie (components/viewport.py) and `?open=` are read from the address the browser first loaded;
- live subscriptions, presence and `client.on_*` handlers of a screen left are released with the client, not the
  screen (nothing publishes while the bench runs, so they cost it nothing);
- the acting user is checked afresh by each part of a screen asking for it (`acting_user()`, no page guard's answer
  shared while a screen is swapped in)."""

# no `from __future__ import annotations`: NiceGUI finds the PageArguments parameter by its annotation object

import inspect
import json
import runpy
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi import Request  # noqa: E402
from fastapi.responses import RedirectResponse  # noqa: E402
from nicegui import PageArguments, ui  # noqa: E402

from backoffice.i18n import _  # noqa: E402
from backoffice.permissions import can  # noqa: E402
from backoffice.services import two_factor  # noqa: E402
from components import page_work, registry  # noqa: E402
from components.navigation import Navigation  # noqa: E402
from components.screens import BUILD_TIMEOUT_SECONDS, SCREENS, Screen, menu_for  # noqa: E402
from components.session import (  # noqa: E402
    ENROL_PATH,
    acting_user,
    checked_for_page,
    current_user,
    login_url,
    page_built,
)
from components.session_language import start_page  # noqa: E402
from components.shell import PRODUCT, frame, no_access  # noqa: E402

HEADING = ('text-2xl font-semibold', 'role=heading aria-level=1')  # as components/shell.py's frame draws it


def _navigation() -> Navigation | None:
    return next((e for e in ui.context.client.layout.descendants() if isinstance(e, Navigation)), None)


def _sub_page(declared: Screen) -> Callable:
    """The screen's part of what the registry's page does: its heading, the title, the permission, its builder."""

    def begin() -> object | None:
        user = acting_user()  # afresh on every swap: the middleware's check of a page load is not made
        if user is None:
            return None
        title = _(declared.title)
        ui.run_javascript(f'document.title = {json.dumps(f"{title} · {PRODUCT}")}')
        navigation = _navigation()
        if navigation is not None and navigation.current != declared.path:
            navigation.props['current'] = declared.path  # the drawer's highlighted entry
        ui.label(title).classes(HEADING[0]).props(HEADING[1])
        if not can(user, declared.permission):
            no_access()
            return None
        return user

    if inspect.iscoroutinefunction(declared.builder):

        async def build_async(args: PageArguments) -> None:
            user = begin()
            if user is not None:
                await declared.builder(user, **args.path_parameters)

        return build_async

    def build(args: PageArguments) -> None:
        user = begin()
        if user is not None:
            declared.builder(user, **args.path_parameters)

    return build


ROUTES: dict[str, Callable] = {}


async def spa_root(request: Request):
    """Every signed-in screen's address: the guard, the shell, and the screens as sub pages."""
    user = current_user(page_load=True, request=request)
    if user is None:
        return RedirectResponse(login_url(request.url.path))
    if two_factor.must_enrol(user):
        return RedirectResponse(ENROL_PATH)
    checked_for_page(user)
    start_page(user)
    page_work.begin()
    try:
        with frame('', user, menu=menu_for(user), current=request.url.path):
            ui.context.slot.children[-1].delete()  # the frame's heading: each sub page draws its own
            ui.sub_pages(ROUTES).classes('w-full')  # as wide as the frame's column allows, like a page's content
        await page_work.settle()
    finally:
        page_work.end()
        page_built()
    return None


def register_spa_pages() -> None:
    """In place of components/registry.register_pages."""
    ROUTES.clear()
    for declared in SCREENS.values():
        if declared.public or declared.path == ENROL_PATH:
            ui.page(declared.path, title=f'{declared.title} · {PRODUCT}', response_timeout=BUILD_TIMEOUT_SECONDS)(
                registry._guarded(declared)
            )
            continue
        ROUTES[declared.path] = _sub_page(declared)
    for path in ROUTES:
        ui.page(path, title=PRODUCT, response_timeout=BUILD_TIMEOUT_SECONDS)(spa_root)


registry.register_pages = register_spa_pages
runpy.run_path(str(Path(__file__).resolve().parents[1] / 'main.py'), run_name='__main__')
