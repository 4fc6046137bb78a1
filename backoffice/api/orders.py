"""The orders API: the front office sends a placed order with an API key holding `orders:write`. It is idempotent by
the shop's own order id (`external_id`): sending the same order again answers 200 with the first one; and by an
`Idempotency-Key` header, as /api/requests is. Prices, taxes,
shipping and totals are computed here from the catalogue, never taken from the body.

Checks run cheapest first, as for /api/requests: body size (413), the key (401/403) and its rate (429), then the
input (422), then stock (409)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session

from backoffice.api.common import IdempotencyKey, Problem, answer_once, calling_key
from backoffice.api.input_rules import Whole, checked_with_the_body
from backoffice.api.requests import _KEY, _SIZE, SizeLimitedRoute, an_email_address
from backoffice.db import read_session
from backoffice.errors import PermissionDenied, ServiceError, ValidationFailed
from backoffice.i18n import N_, _
from backoffice.models import ApiKey, OrderSource
from backoffice.runtime import ratelimit
from backoffice.services import orders, stock

router = APIRouter(prefix='/api/orders', tags=['orders'], route_class=SizeLimitedRoute)
bearer = HTTPBearer(auto_error=False, description='An API key with the orders:write scope')


class NewOrderLine(BaseModel):
    # a misspelt field ("discount", "qty") is refused at its name: dropped, the line would be placed at full price
    model_config = {'extra': 'forbid'}

    sku: str = Field(min_length=1, max_length=40, description='The product, by SKU (any case); not blank')
    quantity: Whole = Field(ge=1, le=orders.MAX_QUANTITY)
    discount_percent: Decimal = Field(
        default=Decimal('0'),
        ge=0,
        le=100,
        max_digits=5,
        decimal_places=2,
        description='A discount the shop granted on this line, in percent',
    )

    @field_validator('sku')
    @classmethod
    def _sku_given(cls, value: str) -> str:
        # said with the body's other mistakes, not 'There is no product ' once the rest had passed
        if not value.strip():
            raise ValueError(_("Give the product's SKU"))
        return value


class NewOrder(BaseModel):
    external_id: str = Field(
        min_length=1,
        max_length=100,
        description="The shop's own order id: sending the same id again for the same customer returns the first order "
        '(200); for another customer it is refused (409)',
    )
    email: str = Field(max_length=254, description="The customer's email; the customer is found by it, or created")
    name: str = Field(default='', max_length=120)
    lines: list[NewOrderLine] = Field(min_length=1, max_length=orders.MAX_LINES)
    shipping_name: str = Field(default='', max_length=120)
    shipping_address: str = Field(default='', max_length=1000)
    note: str = Field(default='', max_length=2000)

    _email = field_validator('email')(an_email_address)

    @field_validator('external_id')
    @classmethod
    def _not_blank(cls, value: str) -> str:
        # the service reads a blank id as none: the order was placed without it, and each resend placed another
        if not value.strip():
            raise ValueError(N_("Give the shop's own order id: a resend of this order is recognised by it"))
        return value

    model_config = {
        'extra': 'forbid',
        'json_schema_extra': {
            'examples': [
                {
                    'external_id': 'shop-10042',
                    'email': 'jo@example.com',
                    'name': 'Jo Miller',
                    # products of the demo shop (BACKOFFICE_DEMO=1), so the example is placed as pasted in /docs
                    'lines': [
                        {'sku': 'BREW-V60-02', 'quantity': 2},
                        {'sku': 'ACC-FILT-02', 'quantity': 1, 'discount_percent': '10'},
                    ],
                    'shipping_name': 'Jo Miller',
                    'shipping_address': '1 Main St\n10115 Berlin',
                }
            ]
        },
    }


class OrderPlaced(BaseModel):
    id: int
    number: str = Field(description='The number people quote, e.g. 100042')
    status: str
    currency: str
    total: str = Field(description='Computed by the back office: goods − discounts + tax + shipping')


def orders_key(request: Request, _credentials: Annotated[object, Depends(bearer)]) -> ApiKey:
    """The calling key, if it may send orders and is within its rate."""
    return calling_key(
        request,
        'orders:write',
        ratelimit.api_keys,
        _('Rate limit of {n} calls a minute for this API key reached.').format(n=ratelimit.api_keys.limit),
    )


def _mistakes(given: dict[str, Any], _path: dict[str, str]) -> dict[str, str]:
    """The lines' SKUs and stock checked in the database, of the fields read, when the body is refused."""
    lines = given.get('lines')
    if not isinstance(lines, list):
        return {}
    with read_session() as session:
        return orders.line_mistakes(session, [line for line in lines if isinstance(line, dict)])


@router.post(
    '',
    status_code=201,
    response_model=OrderPlaced,
    responses={
        **_SIZE,
        **_KEY,
        200: {
            'model': OrderPlaced,
            'description': 'This external_id was placed before for this customer: the first order, unchanged',
        },
        403: {'model': Problem, 'description': 'The key lacks the `orders:write` scope, or the customer is banned'},
        409: {
            'model': Problem,
            'description': 'Not enough stock for a line, the rest of the body being right (the message names each '
            'short SKU), this external_id was '
            "used for another customer's order, or the first call with this Idempotency-Key is still running",
        },
        422: {
            'description': 'Invalid input (each field and why: with a malformed field, an unknown SKU and a line short '
            'of stock are said at their line too), or this Idempotency-Key was used with another body'
        },
    },
)
@checked_with_the_body(_mistakes)
def place_order(
    payload: NewOrder,
    request: Request,
    key: Annotated[ApiKey, Depends(orders_key)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Place an order: it is pending until paid, and its lines are reserved. Idempotent by `external_id`, and by an
    `Idempotency-Key` header when one is sent (the same key with another body is refused with 422)."""

    def act(session: Session) -> tuple[dict[str, Any], int]:
        placed = orders.place_order(session=session, source=OrderSource.api, data=payload.model_dump())
        order = placed.order
        body = OrderPlaced(
            id=order.id,
            number=order.number,
            status=order.status.value,
            currency=order.currency,
            total=f'{order.total:.2f}',
        ).model_dump()
        return body, 201 if placed.created else 200

    response = answer_once(request, key, idempotency_key, payload, act, _http_error)
    if response.status_code == 200:  # the external_id was placed before
        response.headers['Idempotent-Replayed'] = 'true'
    return response


def _http_error(error: ServiceError) -> HTTPException:
    if isinstance(error, ValidationFailed):  # FastAPI's own 422 shape: lines.0.sku → ['body', 'lines', 0, 'sku']
        return HTTPException(
            422,
            [
                {
                    'loc': ['body', *(int(p) if p.isdigit() else p for p in field.split('.') if p)],
                    'msg': message,
                    'type': 'value_error',
                }
                for field, message in error.errors.items()
            ],
        )
    if isinstance(error, orders.CustomerBanned | PermissionDenied):
        return HTTPException(403, str(error))
    if isinstance(error, stock.OutOfStock):
        return HTTPException(409, str(error))
    return HTTPException(409, str(error))
