"""The front office records that a customer accepted a version of a legal document (terms of sale, privacy policy):
a key with `acceptances:write`; the customer by email or id; once per customer and version (a repeat answers 200 with
the first record)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field
from sqlmodel import Session

from backoffice.api.common import IDEMPOTENCY_RESPONSES, IdempotencyKey, Problem, answer_once, calling_key
from backoffice.api.input_rules import INT32_MAX, NOT_A_BOOLEAN, Whole, checked_with_the_body
from backoffice.api.requests import _KEY, _SIZE, SizeLimitedRoute, _http_error
from backoffice.db import read_session
from backoffice.i18n import _
from backoffice.models import AcceptanceSource, ApiKey
from backoffice.runtime import ratelimit
from backoffice.services import legal_acceptances

router = APIRouter(prefix='/api/legal-acceptances', tags=['legal acceptances'], route_class=SizeLimitedRoute)
bearer = HTTPBearer(auto_error=False, description='An API key with the acceptances:write scope')


class NewAcceptance(BaseModel):
    model_config = {
        'extra': 'forbid',
        'json_schema_extra': {
            'examples': [
                {
                    'email': 'jo@example.com',
                    'document': 'terms-of-sale',
                    'version': 3,
                    'accepted_at': '2026-11-02T10:15:00Z',
                    'ip': '203.0.113.7',
                }
            ]
        },
    }

    email: str | None = Field(default=None, max_length=254, description="The customer's email (or give customer_id)")
    # the bounds on the int itself: given on the field of a union, they came after the check of true/false and the
    # OpenAPI document said `ge`/`le`, words a JSON Schema reader does not know
    customer_id: Annotated[int, Field(ge=1, le=INT32_MAX), NOT_A_BOOLEAN] | None = Field(
        default=None, description="The customer's id (or email)"
    )
    document: str = Field(max_length=120, description="The legal document's slug, as in /api/content/{slug}")
    version: Whole = Field(
        ge=1, le=INT32_MAX, description='The number of the version accepted, as served; not one withdrawn since'
    )
    accepted_at: datetime | None = Field(
        default=None, description='When, with its time zone; default: now. Not before the version took effect'
    )
    ip: str | None = Field(default=None, max_length=45, description='The address the customer accepted from')


class AcceptanceOut(BaseModel):
    id: int
    customer_id: int
    document: str
    version: int
    accepted_at: datetime
    source: AcceptanceSource
    created: bool = Field(description='False: this customer had already accepted this version; that record stands')


def acceptances_key(request: Request, _credentials: Annotated[object, Depends(bearer)]) -> ApiKey:
    return calling_key(
        request,
        'acceptances:write',
        ratelimit.api_keys,
        _('Rate limit of {n} calls a minute for this API key reached.').format(n=ratelimit.api_keys.limit),
    )


def _mistakes(given: dict[str, Any], _path: dict[str, str]) -> dict[str, str]:
    """The customer, document and version checked in the database, of the fields read, when the body is refused."""
    with read_session() as session:
        return legal_acceptances.mistakes(session=session, given=given)


@router.post(
    '',
    status_code=201,
    response_model=AcceptanceOut,
    responses={
        **_SIZE,  # type: ignore[dict-item]
        **_KEY,  # type: ignore[dict-item]
        **IDEMPOTENCY_RESPONSES,
        200: {'model': AcceptanceOut, 'description': 'Already recorded: the first record, unchanged'},
        403: {'model': Problem, 'description': 'The key lacks the `acceptances:write` scope'},
    },
)
@checked_with_the_body(_mistakes)
def record_acceptance(
    payload: NewAcceptance,
    request: Request,
    key: Annotated[ApiKey, Depends(acceptances_key)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Record that a customer accepted a published version of a legal document. An unknown customer, document or
    version (or one not in effect yet) is refused with 422 at its field, as is a version withdrawn (its document
    unpublished) at the time of the acceptance (at `version`, saying when and which version is in force) and a document
    off the front office now (at `document`), in the same answer as a malformed field (each field checked that can
    be); the same acceptance again answers 200."""

    def act(session: Session) -> tuple[dict[str, Any], int]:
        recorded = legal_acceptances.record_acceptance(
            session=session, source=AcceptanceSource.api, **payload.model_dump()
        )
        row = recorded.acceptance
        out = AcceptanceOut(
            id=row.id or 0,
            customer_id=row.customer_id,
            document=payload.document.strip().lower(),
            version=row.number,
            accepted_at=row.accepted_at,
            source=row.source,
            created=recorded.created,
        )
        return out.model_dump(mode='json'), 201 if recorded.created else 200

    return answer_once(request, key, idempotency_key, payload, act, _http_error)
