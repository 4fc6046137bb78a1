"""Every API router, in the order main.py mounts them (the tests build the same API from this list)."""

from __future__ import annotations

from fastapi import APIRouter

from .api import router as health
from .api_content import router as content
from .api_events import router as events
from .api_intake import router as intake
from .api_orders import router as orders

ROUTERS: tuple[APIRouter, ...] = (health, content, intake, events, orders)
