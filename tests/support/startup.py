"""Cheaper start-up of the simulated `user`'s app, which re-runs main.py for every test: work that gives the same
result each time is done once per worker (the API's route tables), and the garbage collector scans only what the
last test made. The app itself runs main.py once per process and needs neither."""

from __future__ import annotations

import gc
from collections.abc import Callable
from types import SimpleNamespace

from fastapi import FastAPI
from fastapi.routing import APIRouter, _IncludedRouter
from nicegui import Client, app
from nicegui.testing import general
from starlette.routing import Route


def reuse_included_routers() -> None:
    """FastAPI (0.165+) builds an included router's route table — a pydantic field for every parameter of every
    operation — on the first request after `include_router`. main.py includes the same router objects in every test,
    so the table was built again each time (about half a second of a page test, most of it for /api/v1). Here a
    router included again with the same options gets the wrapper that already holds its table; the wrapper itself
    rebuilds it if the router's routes changed (FastAPI compares the router's routes version)."""
    if getattr(FastAPI.include_router, '_reuses_tables', False):
        return
    include = FastAPI.include_router
    built: dict[int, tuple[APIRouter, _IncludedRouter]] = {}

    def include_router(self: FastAPI, router: APIRouter, **options) -> None:
        include(self, router, **options)
        added = self.router.routes[-1]
        if not isinstance(added, _IncludedRouter) or added.original_router is not router:
            return
        known = built.get(id(router))
        if known is not None and known[0] is router and known[1].include_context == added.include_context:
            self.router.routes[-1] = known[1]
        else:
            built[id(router)] = (router, added)

    include_router._reuses_tables = True  # type: ignore[attr-defined]
    FastAPI.include_router = include_router  # type: ignore[method-assign]


def reuse_page_routes() -> None:
    """main.py's register_pages() and register_portal_pages() turn every declared screen into a NiceGUI page on every
    start: a `ui.page` each (~67 + the portal's), whose FastAPI route analyses the page function's signature and builds
    its parameter fields, and on its first request its effective context. NiceGUI's test reset removes those routes
    before every test, so each page test built them all again. The routes hold nothing of a test's: the page function
    (`registry._guarded`) reads its declared screen, the session and the app's config when a request comes, and the
    route's `ui.page` reads `core.app` (the same app object across tests) at that time too. So here the routes a
    registration made are kept, and a later call over the very same declared screens (the same objects, in the same
    order) puts those same routes back instead, as `ui.page` would (the path's older route removed, the route appended,
    `Client.page_routes` told). Any other set of screens (an extension's added, a screen replaced) registers afresh."""
    from components import portal_pages, registry

    registry.register_pages = _kept_routes(registry.register_pages, lambda: registry.SCREENS)
    portal_pages.register_portal_pages = _kept_routes(
        portal_pages.register_portal_pages, lambda: portal_pages.PORTAL_PAGES
    )


def _kept_routes(register: Callable[[], None], declared: Callable[[], dict]) -> Callable[[], None]:
    if getattr(register, '_keeps_routes', False):
        return register
    kept: dict[str, object] = {}

    def register_kept() -> None:
        screens = tuple(declared().items())
        known = kept.get('routes')
        if (
            known is not None
            and len(kept['screens']) == len(screens)
            and all(  # type: ignore[arg-type]
                path == old_path and screen is old_screen
                for (path, screen), (old_path, old_screen) in zip(screens, kept['screens'], strict=True)  # type: ignore[call-overload]
            )
        ):
            # the older routes at these paths removed in one pass (app.remove_route per path scans every route)
            paths = {route.path for route, _ in known}  # type: ignore[attr-defined]
            app.router.routes[:] = [route for route in app.router.routes if getattr(route, 'path', None) not in paths]
            for route, page_function in known:  # type: ignore[attr-defined]
                app.router.routes.append(route)
                Client.page_routes[page_function] = route.path
            return
        routes_before = {id(route) for route in app.router.routes}
        pages_before = set(Client.page_routes)
        register()
        added = [route for route in app.router.routes if id(route) not in routes_before]
        page_functions = [function for function in Client.page_routes if function not in pages_before]
        if len(added) != len(page_functions) or any(
            getattr(route, 'path', None) != Client.page_routes[function]
            for route, function in zip(added, page_functions, strict=True)
        ):
            kept.clear()  # not one route per page, in order: nothing kept, every call registers afresh
            return
        kept.update(screens=screens, routes=list(zip(added, page_functions, strict=True)))

    register_kept._keeps_routes = True  # type: ignore[attr-defined]
    return register_kept


def remove_app_routes() -> None:
    """Called before a simulated-user test: remove, in one pass, the routes NiceGUI's reset is about to remove (every
    route but NiceGUI's own files, and the included routers), which it does one path at a time, each removal scanning
    every route (~150 of them: ~0.7 ms of CPU a page test). The reset then finds none of them left."""
    app.router.routes[:] = [route for route in app.router.routes if not _reset_removes(route)]


def _reset_removes(route: object) -> bool:
    """nicegui.testing.general.nicegui_reset_globals's rule."""
    if hasattr(route, 'original_router'):
        return True
    if not isinstance(route, Route):
        return False
    path = route.path
    return not path.startswith('/_nicegui/') or path.startswith(('/_nicegui/auto/', '/_nicegui/client/'))


FULL_COLLECTION_EVERY = 50  # tests


def collect_only_what_is_new() -> None:
    """NiceGUI's test reset runs a full garbage collection before and after every test; each took a third of a second
    or more, scanning every object the worker had made so far. After the first one (which frees the previous test's
    pages, clients and unloaded page modules) the survivors are frozen (`gc.freeze`), so the next collections scan
    only what was made since. Objects that die by reference count are freed as before; only a frozen object caught
    in a reference cycle later is kept, until every 50th test collects everything once (memory stays bounded)."""
    if isinstance(general.gc, SimpleNamespace):
        return
    calls = {'count': 0}

    def collect(generation: int = 2) -> int:
        calls['count'] += 1
        first = calls['count'] % 2 == 1  # the reset's first collection (it runs two per test)
        if first and calls['count'] % (2 * FULL_COLLECTION_EVERY) == 1:
            gc.unfreeze()
        found = gc.collect(generation)
        if first:  # the previous test's garbage is gone now: what is left lasts
            gc.freeze()
        return found

    general.gc = SimpleNamespace(collect=collect)  # type: ignore[attr-defined]


def keep_page_modules() -> None:
    """Called at the end of a simulated-user test, before NiceGUI's reset: the reset unloads the module of every page
    function (to re-import it with the next main.py), so every test imported the 40 page modules again. The screens
    are declared once, in components/screens.py's registry, which stays loaded, and main.py's register_pages()
    declares the pages from it on every start: the page modules need not run again. (No page module keeps state.)"""
    Client.page_routes.clear()
