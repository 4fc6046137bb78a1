"""Loyalty points on customers, the example extension: what Backoffice finds through the entry point (this module
imports nothing heavy; its parts are registered by `parts.register` when the app declares its resources)."""

from pathlib import Path
from typing import Any

from backoffice.extensions import Extension

HERE = Path(__file__).parent


def _register(hooks: Any) -> None:
    from backoffice_loyalty import parts

    parts.register(hooks)


EXTENSION = Extension(
    name='loyalty_points',
    label='Loyalty points',
    register=_register,
    models='backoffice_loyalty.models',
    migrations=HERE / 'migrations',
)
