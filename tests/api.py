"""An HTTP client over an app holding just the routers a test needs, as the front office would call them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import APIRouter, FastAPI


@asynccontextmanager
async def api_client(*routers: APIRouter) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    for router in routers:
        app.include_router(router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url='http://backoffice') as client:
        yield client
