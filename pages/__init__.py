"""One module per screen; importing this package declares them all in the registry (components.registry)."""

from . import home, login, settings, users  # noqa: F401
