"""The usage-events API: the front office sends batches of what visitors did; they feed the KPIs and segments."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, WithJsonSchema

from backoffice.api.common import calling_key
from backoffice.api.requests import Problem, SizeLimitedRoute, bearer
from backoffice.db import session_scope
from backoffice.i18n import _
from backoffice.kpi import capture
from backoffice.models import ApiKey, EventType, utcnow
from backoffice.runtime import ratelimit

MAX_EVENTS_BODY_BYTES = 1024 * 1024  # 1,000 events of about 1 KB each
EVENT_CALLS_PER_MINUTE = 1200  # per key: the snippet sends from every visitor's browser with one key
limiter = ratelimit.RateLimiter(EVENT_CALLS_PER_MINUTE, 60.0)
# Batches are stored one writer at a time anyway; more of them checked at once only take the interpreter's lock from the
# event loop, which then answers every page late (bench/README.md, events_ingest.py). Two: one is checked while the
# other is written.
BATCHES_AT_ONCE = threading.BoundedSemaphore(2)
# the snippet posts from the shop's own pages (another origin): the browser asks first (CORS preflight)
CORS = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type',
    'Access-Control-Max-Age': '86400',
}


# on every answer, refusals too: else the shop page's script cannot read a 401, 422 or 429 (the browser hides an
# answer without it) and sees only "failed to fetch", never the reason or when to retry
CORS_ON_ANSWERS = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': 'Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset',
}


class EventsRoute(SizeLimitedRoute):
    """The events route: a larger body, and every answer readable by the shop's pages (CORS_ON_ANSWERS)."""

    max_body_bytes = MAX_EVENTS_BODY_BYTES

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def readable_from_the_shop(request: Request) -> Response:
            try:
                response = await handler(request)
            except HTTPException as error:  # a refusal of the key or its rate: answered here, with the headers
                response = JSONResponse({'detail': error.detail}, status_code=error.status_code, headers=error.headers)
            response.headers.update(CORS_ON_ANSWERS)
            return response

        return readable_from_the_shop


router = APIRouter(prefix='/api/events', tags=['usage events'], route_class=EventsRoute)


def _event_schema() -> dict[str, Any]:
    """One event's shape as OpenAPI shows it (capture.IncomingEvent, its `type` as the list of known types). The batch
    itself takes any items: each is checked on its own, so one bad event is refused alone, with its reason."""
    schema = capture.IncomingEvent.model_json_schema()
    schema['properties']['type']['enum'] = [kind.name for kind in EventType]
    schema['description'] = 'One usage event. Give `customer_email` or `anonymous_id` (or both).'
    return schema


class EventBatch(BaseModel):
    events: Annotated[
        list[Any],
        WithJsonSchema({'type': 'array', 'maxItems': capture.MAX_BATCH, 'items': _event_schema()}),
    ] = Field(
        max_length=capture.MAX_BATCH,
        description=f'Up to {capture.MAX_BATCH} events; each is checked on its own (a bad one is refused alone, '
        'listed in `errors` with its index and reason)',
    )

    model_config = {
        # a misspelt key beside `events` (a batch's "evnets", "event") is refused at its name, never dropped unseen
        'extra': 'forbid',
        'json_schema_extra': lambda schema: schema.update(examples=[_example_batch()]),
    }


def _example_batch() -> dict[str, Any]:
    """The batch /docs offers to send, its times just before the schema is first read (after the app's start): a fixed
    date would be refused as older than 90 days three months on, and fixed ids as duplicates after the first try."""
    now = utcnow().replace(microsecond=0)
    run = uuid.uuid4().hex[:8]
    return {
        'events': [
            {
                'id': f'example-{run}-1',
                'type': 'visit',
                'ts': now - timedelta(minutes=2),  # written out as ISO 8601 with the OpenAPI document
                'anonymous_id': 'a-81c2',
                'session_id': 's-1',
                'props': {'path': '/', 'referrer': 'https://example.org'},
            },
            {
                'id': f'example-{run}-2',
                'type': 'signup_completed',
                'ts': now - timedelta(minutes=1),
                'anonymous_id': 'a-81c2',
                'customer_email': 'jo@example.com',
            },
        ]
    }


class Refusal(BaseModel):
    index: int = Field(description="The event's position in the batch, from 0")
    id: str | None = None
    field: str | None = Field(
        default=None, description="The event's field at fault (`ts`, `type`, `props`…); null: the event as a whole"
    )
    reason: str = Field(description="Why, led by the field (in the caller's Accept-Language)")


class BatchAccepted(BaseModel):
    accepted: int = Field(description='Events stored now')
    duplicates: int = Field(description='Events whose id was seen before: ignored, not counted twice')
    rejected: int
    errors: list[Refusal]


def events_key(request: Request, _credentials: Annotated[object, Depends(bearer)]) -> ApiKey:
    """The calling key, if it may send events and is within its rate."""
    return calling_key(
        request,
        'events:write',
        limiter,
        _('Rate limit of {n} event batches a minute for this API key reached.').format(n=EVENT_CALLS_PER_MINUTE),
    )


@router.post(
    '',
    status_code=202,
    response_model=BatchAccepted,
    responses={
        **{413: {'model': Problem, 'description': f'The body is larger than {MAX_EVENTS_BODY_BYTES // 1024} KB'}},
        401: {'model': Problem, 'description': 'No API key, or an unknown or revoked one (with `WWW-Authenticate`)'},
        429: {
            'model': Problem,
            'description': f'More than {EVENT_CALLS_PER_MINUTE} batches a minute with this key; '
            '`Retry-After` says how many seconds to wait',
        },
        403: {'model': Problem, 'description': 'The key lacks the `events:write` scope'},
        422: {
            'description': f'Not a batch: no `events` list, more than {capture.MAX_BATCH} events, or a key other than '
            '`events` (at its name)'
        },
    },
)
def send_events(payload: EventBatch, key: Annotated[ApiKey, Depends(events_key)]) -> JSONResponse:
    """Record a batch of usage events. Good events are stored even when others in the batch are refused; an event
    whose id was sent before is ignored, so a batch may be resent safely after a timeout. The answer is the same
    whether or not a `customer_email` belongs to a customer. Events move their customers' last-seen time only when the
    key also holds `customers:seen` (never give that scope to the key in the shop's pages)."""
    with BATCHES_AT_ONCE, session_scope() as session:
        result = capture.record_events(session=session, batch=payload.events, mark_seen='customers:seen' in key.scopes)
    body = BatchAccepted(
        accepted=result.accepted,
        duplicates=result.duplicates,
        rejected=result.rejected,
        errors=[Refusal(**error) for error in result.errors],
    )
    return JSONResponse(body.model_dump(), status_code=202)


@router.options('', include_in_schema=False)
def preflight() -> Response:
    return Response(status_code=204, headers=CORS)
