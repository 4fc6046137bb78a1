"""The read API for the front office: a customer's orders and their status, their requests and messages (never an
internal note), so the shop's own account page can show them without the portal. A key with `customers:read`; the
customer named by email; every read goes through the portal's scope (services/portal_scope.py); keyset pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field
from sqlmodel import Session, col, func, select

from backoffice.api.common import Problem, calling_key
from backoffice.api.input_rules import INT32_MAX, StrictRoute
from backoffice.api.requests import _KEY
from backoffice.db import read_session
from backoffice.errors import NotFound
from backoffice.i18n import _
from backoffice.models import ApiKey, Customer, Order, Ticket
from backoffice.runtime import ratelimit
from backoffice.services import customers, portal
from backoffice.services import portal_scope as scope
from backoffice.services.portal_scope import PortalActor

router = APIRouter(prefix='/api/customer', tags=['customer view'], route_class=StrictRoute)
bearer = HTTPBearer(auto_error=False, description='An API key with the customers:read scope')
PAGE = 50
_ANSWERS: dict[int | str, dict[str, Any]] = {
    **_KEY,  # type: ignore[dict-item]
    403: {'model': Problem, 'description': 'The key lacks the `customers:read` scope'},
    404: {'model': Problem, 'description': 'No such customer, or no such record of theirs'},
}

Email = Annotated[str, Query(min_length=3, max_length=254, description="The customer's email (any case)")]
After = Annotated[
    int | None, Query(ge=1, le=INT32_MAX, description='The `next` of the previous page: the records after it')
]
Limit = Annotated[int, Query(ge=1, le=PAGE, description='How many records a page holds')]


class OrderLineOut(BaseModel):
    sku: str
    name: str
    quantity: int
    line_total: str


class OrderOut(BaseModel):
    number: str = Field(description='The number people quote, e.g. 100042')
    external_id: str | None = Field(description="The shop's own order id, if it sent one")
    status: str = Field(
        description='draft orders are never listed: pending, paid, packed, shipped, delivered, cancelled'
    )
    placed_at: datetime
    currency: str
    total: str
    # null in the list, never [] (which read as "no parcel yet" for a delivered order): one order's answer has them
    tracking: list[str] | None = Field(
        default=None, description='Tracking links of its parcels; null in the list: read the order for them'
    )
    lines: list[OrderLineOut] | None = Field(
        default=None, description='Its lines; null in the list: read the order for them'
    )


class OrdersPage(BaseModel):
    orders: list[OrderOut]
    next: int | None = Field(description='Pass as `after` for the next page; null on the last one')


class MessageOut(BaseModel):
    by: str = Field(description='customer (their own), or shop (a reply or the notice that it is solved)')
    body: str
    at: datetime


class RequestOut(BaseModel):
    number: int
    subject: str
    status: str = Field(description='new, open, waiting (on the customer), solved or closed')
    updated_at: datetime


class RequestsPage(BaseModel):
    requests: list[RequestOut]
    next: int | None


class RequestThread(RequestOut):
    messages: list[MessageOut]


def customers_key(request: Request, _credentials: Annotated[object, Depends(bearer)]) -> ApiKey:
    return calling_key(
        request,
        'customers:read',
        ratelimit.api_keys,
        _('Rate limit of {n} calls a minute for this API key reached.').format(n=ratelimit.api_keys.limit),
    )


Key = Annotated[ApiKey, Depends(customers_key)]


@router.get('/orders', response_model=OrdersPage, responses=_ANSWERS)
def customer_orders(_key: Key, email: Email, after: After = None, limit: Limit = 20) -> OrdersPage:
    """The customer's orders, newest first, a keyset page at a time."""
    with read_session() as session:
        actor = _actor(session, email)
        statement = scope.orders(actor).order_by(None)
        if after is not None:
            statement = statement.where(col(Order.id) < after)
        rows = list(session.exec(statement.order_by(col(Order.id).desc()).limit(limit + 1)))
        shown = rows[:limit]
        return OrdersPage(orders=[_order(o) for o in shown], next=shown[-1].id if len(rows) > limit and shown else None)


@router.get('/orders/{number}', response_model=OrderOut, responses=_ANSWERS)
def customer_order(_key: Key, number: Annotated[str, Path(max_length=40)], email: Email) -> OrderOut:
    """One order of the customer's with its lines and tracking links."""
    with read_session() as session:
        actor = _actor(session, email)
        try:
            view = portal.order_view(session=session, actor=actor, number=number)
        except NotFound as error:
            raise HTTPException(404, str(error)) from None
        out = _order(view.order)
        out.tracking = [t.url for t in view.tracking if t.url]
        out.lines = [
            OrderLineOut(sku=line.sku, name=line.name, quantity=line.quantity, line_total=f'{line.line_total:.2f}')
            for line in view.lines
        ]
        return out


@router.get('/requests', response_model=RequestsPage, responses=_ANSWERS)
def customer_requests(_key: Key, email: Email, after: After = None, limit: Limit = 20) -> RequestsPage:
    """The customer's requests, newest first, a keyset page at a time."""
    with read_session() as session:
        actor = _actor(session, email)
        statement = scope.requests(actor).order_by(None)
        if after is not None:
            statement = statement.where(col(Ticket.id) < after)
        rows = list(session.exec(statement.order_by(col(Ticket.id).desc()).limit(limit + 1)))
        shown = rows[:limit]
        return RequestsPage(
            requests=[_request(t) for t in shown], next=shown[-1].id if len(rows) > limit and shown else None
        )


@router.get('/requests/{number}', response_model=RequestThread, responses=_ANSWERS)
def customer_request(_key: Key, number: Annotated[int, Path(ge=1, le=INT32_MAX)], email: Email) -> RequestThread:
    """One request of the customer's with its messages, oldest first: theirs and the shop's, never internal notes."""
    with read_session() as session:
        actor = _actor(session, email)
        try:
            view = portal.request_view(session=session, actor=actor, number=number)
        except NotFound as error:
            raise HTTPException(404, str(error)) from None
        return RequestThread(
            **_request(view.ticket).model_dump(),
            messages=[MessageOut(by='shop' if m.by_us else 'customer', body=m.body, at=m.at) for m in view.thread],
        )


def _actor(session: Session, email: str) -> PortalActor:
    if ' ' in email.strip():  # jo+shop@example.com sent unencoded: the query string read its '+' as a space
        message = _("An email has no spaces: send a '+' in it as %2B (in a query string '+' reads as a space).")
        raise HTTPException(422, [{'loc': ['query', 'email'], 'msg': message, 'type': 'value_error'}])
    customer = session.exec(select(Customer).where(func.lower(Customer.email) == email.strip().lower())).first()
    if customer is not None:
        # a duplicate merged by staff: the shop still knows the customer by this email, and /api/orders and
        # /api/requests file what it sends with it under the customer kept, so their records are read there
        customer = customers.kept_for(session, customer)
    if customer is None or customer.deleted_at is not None:
        raise HTTPException(404, _('There is no customer with this email.'))
    return PortalActor.of(customer)


def _order(order: Order) -> OrderOut:
    return OrderOut(
        number=order.number,
        external_id=order.external_id,
        status=order.status.value,
        placed_at=order.placed_at,
        currency=order.currency,
        total=f'{order.total:.2f}',
    )


def _request(ticket: Ticket) -> RequestOut:
    return RequestOut(
        number=ticket.number,
        subject=ticket.subject,
        status=ticket.status.value,
        updated_at=ticket.updated_at,
    )
