"""Every API router, in the order main.py mounts them (the tests build the same API from this list): the core's, then
the installed extensions' (registered when backoffice.resources was imported, through api.resources)."""

from __future__ import annotations

from fastapi import APIRouter

from backoffice.api.content import router as content
from backoffice.api.customer_view import router as customer_view
from backoffice.api.digest import router as digest_unsubscribe
from backoffice.api.events import router as events
from backoffice.api.feeds import router as feeds
from backoffice.api.health import router as health
from backoffice.api.legal_acceptances import router as legal_acceptances
from backoffice.api.orders import router as orders
from backoffice.api.payments import router as payments
from backoffice.api.requests import router as intake
from backoffice.api.resources import router as resources
from backoffice.extension_hooks import routers as extension_routers

ROUTERS: tuple[APIRouter, ...] = (
    health,
    content,
    intake,
    events,
    orders,
    payments,
    customer_view,
    legal_acceptances,
    resources,
    feeds,
    digest_unsubscribe,
    *extension_routers(),
)
