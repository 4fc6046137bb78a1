"""What the write APIs share: the calling API key checked (scope, rate), the error body, and the Idempotency-Key
header (a retry with the same key and body gets the first answer again and does nothing new; the same key with another
body is refused)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session

from backoffice.api.input_rules import refuse_unknown_query
from backoffice.db import held_commits, read_session, session_scope
from backoffice.errors import ServiceError
from backoffice.i18n import _
from backoffice.models import ApiKey
from backoffice.permissions import PermissionDenied
from backoffice.runtime import ratelimit
from backoffice.services import api_keys


class Problem(BaseModel):
    detail: str


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias='Idempotency-Key',
        max_length=255,
        description='Any unique string (a UUID): a retry with the same key and body gets the first answer again and '
        'creates nothing new. Remembered for 24 hours.',
    ),
]

IDEMPOTENCY_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {'model': Problem, 'description': 'The first call with this Idempotency-Key is still running'}
}


def answer_once(
    request: Request,
    key: ApiKey,
    idempotency_key: str | None,
    payload: BaseModel,
    act: Callable[[Session], tuple[dict[str, Any], int]],
    to_http: Callable[[ServiceError], HTTPException],
    unrepeated: tuple[str, ...] = (),
) -> JSONResponse:
    """Run `act` (one service call, returning the body and status code to answer); with an Idempotency-Key, at most
    once per key and body: a repeat gets the first answer with `Idempotent-Replayed: true`, another body under the
    same key 422. The key, the work and its answer commit in one transaction (the service's own commits are held,
    db.held_commits), so no failure can keep the work without its answer; a refused call commits nothing and forgets
    the key, so a corrected retry may reuse it. The `unrepeated` keys of the body (a secret made for the caller) are in
    the first answer only: the remembered one, stored in clear, goes without them."""
    if not idempotency_key:
        with session_scope() as session:
            try:
                body, status_code = act(session)
            except ServiceError as error:
                raise to_http(error) from None
        return JSONResponse(body, status_code=status_code)
    with session_scope() as session:
        fingerprint = api_keys.request_fingerprint('POST', request.url.path, payload.model_dump(mode='json'))
        try:
            earlier = api_keys.reserve_idempotency_key(
                session=session, api_key=key, idempotency_key=idempotency_key, fingerprint=fingerprint
            )
        except api_keys.IdempotencyConflict as error:
            raise HTTPException(
                422, [{'loc': ['header', 'Idempotency-Key'], 'msg': str(error), 'type': 'idempotency_key_reused'}]
            ) from None
        except api_keys.IdempotencyInProgress as error:
            raise HTTPException(409, str(error)) from None
        if earlier is not None:
            return JSONResponse(
                earlier.response, status_code=earlier.status_code, headers={'Idempotent-Replayed': 'true'}
            )
        try:
            with held_commits(session):
                body, status_code = act(session)
                api_keys.remember_response(
                    session=session,
                    api_key=key,
                    idempotency_key=idempotency_key,
                    fingerprint=fingerprint,
                    status_code=status_code,
                    response={name: value for name, value in body.items() if name not in unrepeated},
                )
            session.commit()
        except ServiceError as error:
            session.rollback()  # nothing was done, and the key is free again
            raise to_http(error) from None
    return JSONResponse(body, status_code=status_code)


def calling_key(request: Request, scope: str, limiter: ratelimit.RateLimiter, rate_message: str) -> ApiKey:
    """The API key of the call, if it has `scope` and is within its rate: else 401 (none, unknown or revoked), 403 (the
    scope is missing, or the person it acts for is deactivated or lost the scope's right: api_keys.check_maker, as on
    /api/v1) or 429 (with Retry-After); then a query parameter the route does not read is a 422 at its name
    (input_rules.refuse_unknown_query), on every keyed route alike."""
    with read_session() as session:  # most calls only read their key: no write turn
        try:
            key = api_keys.authenticate(session, request.headers.get('authorization'), scope, touch=False)
        except api_keys.MissingKey as error:
            raise HTTPException(401, str(error), headers={'WWW-Authenticate': 'Bearer'}) from None
        except api_keys.KeyNotAccepted as error:
            raise HTTPException(401, str(error), headers={'WWW-Authenticate': 'Bearer error="invalid_token"'}) from None
        except (api_keys.MissingScope, api_keys.KeyActsForNobody, PermissionDenied) as error:
            raise HTTPException(403, str(error)) from None  # the scope, or the person the key acts for (as /api/v1)
    if api_keys.is_stale(key):  # "last used", once a minute at most
        with session_scope() as session:
            api_keys.touch_if_stale(session, key)
    within_rate(limiter, f'key:{key.prefix}', rate_message, request)
    refuse_unknown_query(request)  # a misspelt filter is a 422 at its name, not a list answered unfiltered
    return key


def within_rate(
    limiter: ratelimit.RateLimiter, bucket: str, message: str, request: Request | None = None
) -> ratelimit.Decision:
    """Count the call in its bucket: 429 with Retry-After when it is empty. Either way the answer says the limit,
    what is left and when it is all back (RateLimit-* headers: input_rules.StrictRoute puts them on the answer of a
    call allowed, from `request.state`), so a caller can pace itself before it is refused."""
    decision = limiter.hit(bucket)
    if not decision.allowed:
        raise HTTPException(
            429,
            _('{message} Retry in {seconds} s.').format(message=message, seconds=decision.retry_after),
            headers={'Retry-After': str(decision.retry_after), **decision.headers()},
        )
    if request is not None:
        request.state.rate_limit_headers = decision.headers()
    return decision
