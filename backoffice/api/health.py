"""HTTP API for the front office and for operations: typed FastAPI routes mounted on NiceGUI's app."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from backoffice import __version__
from backoffice.api.input_rules import StrictRoute
from backoffice.config import get_settings
from backoffice.db import database_is_reachable
from backoffice.services import system_health

router = APIRouter(route_class=StrictRoute)


class Health(BaseModel):
    status: str
    database: str
    disk: str = 'ok'  # 'ok', 'low' (under 5 % or 1 GiB free), or 'full' (a write failed for it in the last minutes)
    version: str


@router.get(
    '/healthz',
    response_model=Health,
    tags=['operations'],
    responses={503: {'model': Health, 'description': 'The database cannot be reached, or the disk is full'}},
)
def healthz() -> JSONResponse:
    """Liveness and readiness in one: 200 when the database answers and can write, 503 when it cannot be reached or
    when a write failed because the disk is full."""
    disk = system_health.disk_state(get_settings())
    if not database_is_reachable():
        health = Health(status='error', database='unreachable', disk=disk, version=__version__)
        return JSONResponse(health.model_dump(), status_code=503)
    if disk == 'full':
        health = Health(status='error', database='ok', disk=disk, version=__version__)
        return JSONResponse(health.model_dump(), status_code=503)
    return JSONResponse(Health(status='ok', database='ok', disk=disk, version=__version__).model_dump())
