"""One module per screen; importing this package declares them all in the registry (components.registry)."""

from . import (  # noqa: F401
    audit,
    carriers,
    categories,
    companies,
    contact,
    content,
    customers,
    dashboard,
    inventory,
    login,
    order,
    orders,
    products,
    request,
    requests,
    segments,
    settings,
    system,
    users,
    webhooks,
)
