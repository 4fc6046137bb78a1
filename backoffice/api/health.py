"""HTTP API for the front office and for operations: typed FastAPI routes mounted on NiceGUI's app."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from backoffice import __version__
from backoffice.api.input_rules import StrictRoute
from backoffice.db import database_is_reachable

router = APIRouter(route_class=StrictRoute)


class Health(BaseModel):
    status: str
    database: str
    version: str


@router.get(
    '/healthz',
    response_model=Health,
    tags=['operations'],
    responses={503: {'model': Health, 'description': 'The database cannot be reached'}},
)
def healthz() -> JSONResponse:
    """Liveness and readiness in one: 200 when the database answers, 503 when it does not."""
    if database_is_reachable():
        return JSONResponse(Health(status='ok', database='ok', version=__version__).model_dump())
    return JSONResponse(
        Health(status='error', database='unreachable', version=__version__).model_dump(), status_code=503
    )
