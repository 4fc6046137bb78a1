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

from .factories import make_user


@asynccontextmanager
async def api_client(*routers: APIRouter) -> AsyncIterator[httpx.AsyncClient]:
    app = _app_with(routers)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url='http://backoffice') as client:
        yield client


_apps: dict[tuple[int, ...], tuple[tuple[APIRouter, ...], FastAPI]] = {}  # by the routers' ids (not hashable)


def _app_with(routers: tuple[APIRouter, ...]) -> FastAPI:
    """One app per set of routers in this process. FastAPI (0.165+) builds an included router's route table (each
    operation's parameters and body analysed, pydantic fields made) on the app's first request; a new app for every
    test built it again every time: ~0.2 s of CPU for /api/v1's ~130 operations, most of a test's CPU. No test
    touches the app itself (it holds only the routers; no lifespan, middleware or overrides); a route added to a
    router later is still seen (FastAPI compares the router's routes version), and the OpenAPI description is made
    afresh for each test that asks for it, as a new app's would be."""
    key = tuple(id(router) for router in routers)
    known = _apps.get(key)
    if known is not None and all(a is b for a, b in zip(known[0], routers, strict=True)):
        app = known[1]
    else:
        app = FastAPI()
        for router in routers:
            app.include_router(router)
        _apps[key] = (routers, app)
    app.openapi_schema = None
    return app


def bearer(secret: str, **headers: str) -> dict[str, str]:
    """The Authorization header of an API key's secret, with any other headers (e.g. an Idempotency-Key)."""
    return {'Authorization': f'Bearer {secret}', **headers}


def key_for(
    role: str, *scopes: str, email: str | None = None, name: str = 'Shop', person_name: str | None = None
) -> tuple[ApiKey, str]:
    """A key `name` an admin made, acting for a new staff member of `role`: the stored key and its secret."""
    person = make_user(role, email=email, name=person_name)
    with session_scope() as session:
        return api_keys.create_key(session=session, actor=None, system=True, name=name, scopes=scopes, acting_as=person)


def make_key(name: str = 'Web shop', scopes: tuple[str, ...] = ('requests:write',)) -> tuple[ApiKey, str]:
    """An API key as an administrator creates it: the stored key and its secret (shown once)."""
    with session_scope() as session:
        return api_keys.create_key(session=session, actor=None, system=True, name=name, scopes=scopes)
