"""One module per screen; importing this package declares them all in the registry (components.registry)."""

from . import (  # noqa: F401
    audit,
    categories,
    companies,
    contact,
    content,
    customers,
    dashboard,
    login,
    products,
    request,
    requests,
    segments,
    settings,
    users,
)
