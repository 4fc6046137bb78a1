"""Payment gateways' webhooks: `POST /api/payments/{gateway}/webhook` (Stripe signs each event; the signature and its
timestamp are verified, each event is applied once)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from backoffice.api.common import Problem
from backoffice.api.requests import SizeLimitedRoute
from backoffice.db import session_scope
from backoffice.payment_providers import SignatureRefused
from backoffice.services import gateway_payments

log = logging.getLogger(__name__)


class WebhookRoute(SizeLimitedRoute):
    max_body_bytes = 512 * 1024  # Stripe's events are a few KB; a charge with its refunds stays far below


router = APIRouter(prefix='/api/payments', tags=['payments'], route_class=WebhookRoute)


class Applied(BaseModel):
    received: bool
    outcome: str


@router.post(
    '/stripe/webhook',
    response_model=Applied,
    responses={400: {'model': Problem, 'description': 'The signature or its timestamp does not verify'}},
)
async def stripe_webhook(request: Request) -> JSONResponse:
    """An event Stripe sends (Developers → Webhooks, signed with the endpoint's secret): `payment_intent.succeeded`
    records the payment on the order whose id is in the intent's metadata (`order_id`); `charge.refunded` and
    `refund.*` apply a refund's outcome; `payment_intent.canceled` and `.payment_failed` note it on the order. An event
    applied before, or about an order this back office does not know, answers 200 and changes nothing."""
    payload = await request.body()
    headers = {key.lower(): value for key, value in request.headers.items()}

    def apply() -> str:
        with session_scope() as session:
            return gateway_payments.apply_webhook(
                session=session, provider_key='stripe', payload=payload, headers=headers
            )

    try:
        outcome = await run_in_threadpool(apply)
    except SignatureRefused as refused:
        log.warning('stripe webhook refused: %s', refused)
        return JSONResponse({'detail': str(refused)}, status_code=400)
    return JSONResponse(Applied(received=True, outcome=outcome).model_dump())
