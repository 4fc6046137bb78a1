"""One module per screen; importing this package declares them all in the registry (components.registry)."""

from . import audit, categories, companies, contact, content, customers, home, login, products, settings, users  # noqa: F401
