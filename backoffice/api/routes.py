"""Every API router, in the order main.py mounts them (the tests build the same API from this list)."""

from __future__ import annotations

from fastapi import APIRouter

from backoffice.api.content import router as content
from backoffice.api.customer_view import router as customer_view
from backoffice.api.events import router as events
from backoffice.api.health import router as health
from backoffice.api.orders import router as orders
from backoffice.api.requests import router as intake
from backoffice.api.resources import router as resources

ROUTERS: tuple[APIRouter, ...] = (health, content, intake, events, orders, customer_view, resources)
