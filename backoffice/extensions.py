"""Extensions: separate Python packages that add a team's own resources, screens, KPIs, jobs, automation actions, API
routes, permissions, translations and migrations without editing the core (docs/EXTENSIONS.md).

This module only finds them: an installed distribution's entry point in the group `backoffice.extensions` naming an
`Extension`, or a package in a folder of `BACKOFFICE_EXTENSIONS_PATH` (folders separated by `:`) whose `EXTENSION` is
one. Finding imports each extension's top-level module only (it should import nothing heavy); its parts are
registered later by `extension_hooks.install`, when the resources are declared. A package that cannot be imported, or
that names no `Extension`, stops the start with an `ExtensionError` naming it."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, partial
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

ENTRY_POINT_GROUP = 'backoffice.extensions'
PATH_VARIABLE = 'BACKOFFICE_EXTENSIONS_PATH'


class ExtensionError(Exception):
    """An extension could not be loaded or registered: the message names it and says why, in one sentence."""


@dataclass(frozen=True)
class Extension:
    """What an extension's package exposes. `register(hooks)` adds its parts (extension_hooks.Hooks); `models` is the
    module holding its tables (imported before migrations and tests empty the tables); `migrations` the folder of its
    Alembic revisions (a branch of its own: its first revision has `branch_labels` and `down_revision = None`)."""

    name: str
    register: Callable[[Any], None]
    label: str = ''
    models: str | None = None
    migrations: Path | None = None


@cache
def discover() -> tuple[Extension, ...]:
    """Every installed extension, found once per process: entry points first, then the configured folders."""
    return find(entry_points(group=ENTRY_POINT_GROUP), folders())


def folders() -> list[Path]:
    return [Path(part) for part in os.environ.get(PATH_VARIABLE, '').split(os.pathsep) if part.strip()]


def find(points: Iterable[EntryPoint], where: Iterable[Path] = ()) -> tuple[Extension, ...]:
    found: dict[str, Extension] = {}
    for point in sorted(points, key=lambda p: p.name):
        _add(found, _loaded(point.name, point.load), f'entry point {point.value!r}')
    for folder in where:
        if not folder.is_dir():
            raise ExtensionError(f'{PATH_VARIABLE}: {folder} is not a folder')
        if str(folder) not in sys.path:
            sys.path.append(str(folder))
        for package in sorted(p.parent for p in folder.glob('*/__init__.py')):
            module = _loaded(package.name, partial(importlib.import_module, package.name))
            _add(found, getattr(module, 'EXTENSION', None), f'package {package}')
    return tuple(found.values())


def migration_locations() -> list[Path]:
    """The folders of the installed extensions' migrations (Alembic's version locations beside the core's)."""
    return [extension.migrations for extension in discover() if extension.migrations is not None]


def import_models() -> None:
    """Import every extension's tables, so the metadata (migrations, the tests' clean-up) knows them."""
    for extension in discover():
        if extension.models:
            _loaded(extension.name, partial(importlib.import_module, extension.models))


def _loaded(name: str, load: Callable[[], Any]) -> Any:
    try:
        return load()
    except Exception as error:  # an extension's own bug: one line naming it, not a traceback from deep inside
        raise ExtensionError(f'Extension {name!r} could not be loaded: {type(error).__name__}: {error}') from error


def _add(found: dict[str, Extension], extension: Any, where: str) -> None:
    if not isinstance(extension, Extension):
        raise ExtensionError(f'Extension at {where} is not a backoffice.extensions.Extension (got {extension!r})')
    if extension.name in found:
        raise ExtensionError(f'Extension {extension.name!r} is installed twice ({where})')
    found[extension.name] = extension
