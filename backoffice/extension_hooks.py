"""The hooks an extension registers its parts through (docs/EXTENSIONS.md): each method adds to one of the core's
registries, so the part is served like a built-in one. `install()` runs every installed extension's `register` once
per process, when `backoffice.resources` declares the resources (before the API's routes are built from them)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backoffice import automation_actions, extensions, i18n, permissions
from backoffice.automation_actions import ExtensionAction
from backoffice.engine.declaration import Resource, register
from backoffice.extensions import Extension, ExtensionError
from backoffice.kpi import registry
from backoffice.kpi.registry import Kpi
from backoffice.models.people import Role
from backoffice.runtime import job_titles, scheduler

if TYPE_CHECKING:  # FastAPI is imported when the API is put together (routers()), not by the CLI's commands
    from fastapi import APIRouter
    from sqlmodel import Session

DemoSeeder = Callable[['Session', int], list[str]]

_routers: list[tuple[str, APIRouter | str]] = []  # the extensions' API routers (see routers())
_page_modules: list[tuple[str, str]] = []  # the extensions' page modules: main.py imports them after the core's
_installed: list[Extension] = []
_demo_seeders: list[tuple[str, DemoSeeder]] = []  # the extensions' demo data (see Hooks.demo_data)


class Hooks:
    """What one extension's `register(hooks)` receives."""

    def __init__(self, extension: Extension) -> None:
        self.extension = extension

    def permission(self, key: str, sentence: str, *, area: str, roles: tuple[Role | str, ...] = ()) -> None:
        """A permission (`'loyalty.read'`), the sentence saying what it allows, its area on the roles screen and the
        built-in roles that hold it (custom roles are given it at /roles)."""
        permissions.add_permission(key, sentence, area=area, roles=tuple(Role(role) for role in roles))

    def resource(self, resource: Resource) -> Resource:
        """A declared resource: its list and form screen (with a page module), exports, imports, audit and
        `/api/v1/{key}`."""
        return register(resource)

    def kpi(self, kpi: Kpi) -> None:
        registry.add(kpi)

    def job(self, name: str, run: Callable[[Any], Any], trigger: str, *, title: str, **options: Any) -> None:
        """A scheduled job (`run(settings)`), with its run history on /system like the core's; `title` says what it
        does in words (marked with N_, translated in the extension's catalog)."""
        if any(job.name == name for job in scheduler.JOBS):
            raise ValueError(f'job {name!r} exists already')
        scheduler.JOBS.append(scheduler.Job(name, run, trigger, options))
        job_titles.TITLES[name] = title

    def automation_action(self, action: ExtensionAction) -> None:
        automation_actions.register(action)

    def router(self, router: APIRouter | str) -> None:
        """API routes of its own under `/api/` (typed, in the OpenAPI schema): a router, or where to find one
        (`'package.api:router'`), imported when the core's API is put together, after every resource is declared."""
        _routers.append((self.extension.name, router))

    def pages(self, module: str) -> None:
        """The module declaring its screens with components.screens.screen (menu entries come with them)."""
        _page_modules.append((self.extension.name, module))

    def demo_data(self, seed: DemoSeeder) -> None:
        """Demo data of its own: `seed(session, seed)` runs when the demo shop is seeded (the first start, `python -m
        backoffice seed`), after the core's shop, orders, team and finance and before the KPIs are computed, so a KPI
        of its own has a history on a fresh demo. It returns the lines to print (what it made), and makes nothing when
        its data is there already (the command runs again)."""
        _demo_seeders.append((self.extension.name, seed))

    def translations(self, folder: Path) -> None:
        """Its catalogs: `<folder>/<language>/LC_MESSAGES/*.po`."""
        i18n.add_catalogs(folder)


def install(found: tuple[Extension, ...] | None = None) -> list[Extension]:
    """Register every installed extension's parts, once per process; an extension that fails stops the start with an
    ExtensionError naming it."""
    if _installed:
        return list(_installed)
    chosen = extensions.discover() if found is None else found
    for extension in chosen:
        try:
            extension.register(Hooks(extension))
        except ExtensionError:
            raise
        except Exception as error:  # a bad declaration, a clash with a core name: one line naming the extension
            raise ExtensionError(
                f'Extension {extension.name!r} could not register its parts: {type(error).__name__}: {error}'
            ) from error
        _installed.append(extension)
    return list(_installed)


def routers() -> list[APIRouter]:
    """The extensions' API routers, which api/routes.py mounts after the core's; each serves under /api/ only."""
    from fastapi import APIRouter

    found = []
    for name, router in _routers:
        if isinstance(router, str):
            module, _sep, attribute = router.partition(':')
            try:
                router = getattr(importlib.import_module(module), attribute or 'router')
            except Exception as error:
                raise ExtensionError(
                    f'Extension {name!r}: its API router {router!r} could not be loaded: {error}'
                ) from error
        if not isinstance(router, APIRouter) or not all(
            str(getattr(route, 'path', '')).startswith('/api/') for route in router.routes
        ):
            raise ExtensionError(f'Extension {name!r}: an API router whose routes are all under /api/ is expected')
        found.append(router)
    return found


def import_pages() -> None:
    """Declare the extensions' screens (main.py, after the core's pages: the entry layer may import UI modules)."""
    for name, module in _page_modules:
        try:
            importlib.import_module(module)
        except Exception as error:
            raise ExtensionError(f'Extension {name!r}: its pages {module!r} could not be loaded: {error}') from error


def seed_demo(session: Session, seed: int) -> list[str]:
    """Every extension's demo data (backoffice/seed/demo.py); one that fails stops the seed with its name."""
    lines = []
    for name, seeder in _demo_seeders:
        try:
            lines += seeder(session, seed)
        except Exception as error:
            raise ExtensionError(
                f'Extension {name!r}: its demo data could not be made: {type(error).__name__}: {error}'
            ) from error
    return lines


def installed() -> list[Extension]:
    return list(_installed)
