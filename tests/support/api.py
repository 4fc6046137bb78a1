"""An HTTP client over an app holding just the routers a test needs, as the front office would call them, and the
headers it sends, with the API keys it holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import APIRouter, FastAPI

from backoffice.db import session_scope
from backoffice.models import ApiKey
from backoffice.services import api_keys


@asynccontextmanager
async def api_client(*routers: APIRouter) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    for router in routers:
        app.include_router(router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url='http://backoffice') as client:
        yield client


def bearer(secret: str, **headers: str) -> dict[str, str]:
    """The Authorization header of an API key's secret, with any other headers (e.g. an Idempotency-Key)."""
    return {'Authorization': f'Bearer {secret}', **headers}


def make_key(name: str = 'Web shop', scopes: tuple[str, ...] = ('requests:write',)) -> tuple[ApiKey, str]:
    """An API key as an administrator creates it: the stored key and its secret (shown once)."""
    with session_scope() as session:
        return api_keys.create_key(session=session, actor=None, system=True, name=name, scopes=scopes)
