"""Values the invoices, payments and refunds lists read with each record, worked out by the database from the rows
they point at (the order's customer and currency, an invoice's amounts signed by its kind and whether it is paid, a
refund's state at its gateway): read-only, never stored, so they cannot drift from the rows they are made of.

Each is a correlated subquery or a CASE over the record's own columns (`column_property`), read by the primary key or
an index of the row it points at; the lists filter and add up by them as by any column. Kept out of the default load
(`deferred`): a record read elsewhere (an order's page, the accounting export) reads its own columns only, and the
lists ask for them (`Resource.undeferred`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, String, and_, bindparam, case, func, literal, select, type_coerce
from sqlalchemy.orm import aliased, column_property
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel, col

from backoffice.models.gateway import GatewayRefund
from backoffice.models.sales import Invoice, InvoiceKind, Order, Payment, Refund

ZERO = Decimal('0.00')

# an invoice's status as the list says it (a credit note has none): paid in full, open, or open past its due date.
# The amount open is /receivables' (services/receivables.open_invoices_query): total − paid + refunded − credited
PAYMENT_STATUSES = ('paid', 'open', 'overdue')
# a refund's state at its gateway, in the words /returns uses (services/return_refunds.REFUND_STATES): 'manual' for
# one booked by hand; from the latest refund sent to a gateway for it otherwise (services/return_refunds.FROM_GATEWAY)
GATEWAY_TO_STATE = {'requested': 'sent', 'pending': 'pending', 'succeeded': 'refunded', 'failed': 'failed'}


def _shop_today() -> date:
    from backoffice.formatting import time_zone  # the shop's day, asked at each query (not when the mapper is built)
    from backoffice.kpi.days import today

    return today(time_zone())


def _order_value(owner: type[SQLModel], order_id: Any, column: Any) -> Any:
    """The value of one of the order's columns, read by its primary key."""
    return select(col(column)).where(col(Order.id) == order_id).correlate(owner).scalar_subquery()


_credit = aliased(Invoice)
_credited = (
    select(func.coalesce(func.sum(col(_credit.total)), literal(ZERO)))
    .where(
        # the order's credit notes (ix_invoices_order; an order has one invoice), as the receivables count them: a
        # refund made before the invoice was issued cites none and still lowers what is open
        col(_credit.order_id) == col(Invoice.order_id),
        col(_credit.kind) == InvoiceKind.credit_note,
    )
    .correlate(Invoice)
    .scalar_subquery()
)
# what the order's payments settle of it, net of its refunds: one read of the order (by its primary key)
_settled = (
    select(col(Order.paid_total) - col(Order.refunded_total))
    .where(col(Order.id) == col(Invoice.order_id))
    .correlate(Invoice)
    .scalar_subquery()
)
_open_before_credits = col(Invoice.total) - _settled
_amount_open = _open_before_credits - _credited


def _signed(amount: Any) -> Any:
    return type_coerce(case((col(Invoice.kind) == InvoiceKind.credit_note, -amount), else_=amount), Numeric(12, 2))


Invoice.customer_id = column_property(_order_value(Invoice, Invoice.order_id, Order.customer_id), deferred=True)
Invoice.signed_net = column_property(_signed(col(Invoice.total) - col(Invoice.tax_total)), deferred=True)
Invoice.signed_tax = column_property(_signed(col(Invoice.tax_total)), deferred=True)
Invoice.signed_total = column_property(_signed(col(Invoice.total)), deferred=True)
Invoice.payment_status = column_property(
    case(
        (col(Invoice.kind) != InvoiceKind.invoice, literal(None, String)),
        # settled by its payments alone, as nearly every invoice is: its credit notes (which only lower what is open)
        # are not read. The status filter tests every row: one read per invoice instead of three (bench/invoices_list)
        (_open_before_credits <= 0, literal('paid')),
        (_amount_open <= 0, literal('paid')),
        (
            and_(
                col(Invoice.due_on).is_not(None), col(Invoice.due_on) < bindparam('shop_today', callable_=_shop_today)
            ),
            literal('overdue'),
        ),
        else_=literal('open'),
    ),
    deferred=True,
)

Payment.customer_id = column_property(_order_value(Payment, Payment.order_id, Order.customer_id), deferred=True)
Payment.currency = column_property(_order_value(Payment, Payment.order_id, Order.currency), deferred=True)

Refund.customer_id = column_property(_order_value(Refund, Refund.order_id, Order.customer_id), deferred=True)
Refund.currency = column_property(_order_value(Refund, Refund.order_id, Order.currency), deferred=True)
# a refund, or the reversal of one that failed at the bank after it was booked (a negative amount), as /accounting
Refund.kind = column_property(
    case((col(Refund.amount) < 0, literal('reversal')), else_=literal('refund')), deferred=True
)
# how it was paid back: the payment it refunds (its method), else the gateway it was sent to
Refund.method = column_property(
    func.coalesce(
        select(col(Payment.method))
        .where(col(Payment.id) == col(Refund.payment_id))
        .correlate(Refund)
        .scalar_subquery(),
        select(col(GatewayRefund.provider))
        .where(col(GatewayRefund.refund_id) == col(Refund.id))
        .order_by(col(GatewayRefund.id).desc())
        .limit(1)
        .correlate(Refund)
        .scalar_subquery(),
    ),
    deferred=True,
)
_latest_gateway_status = (
    select(col(GatewayRefund.status))
    .where(col(GatewayRefund.refund_id) == col(Refund.id))
    .order_by(col(GatewayRefund.id).desc())
    .limit(1)
    .correlate(Refund)
    .scalar_subquery()
)
Refund.gateway_state = column_property(
    case(
        {'': 'manual', **GATEWAY_TO_STATE},
        value=func.coalesce(_latest_gateway_status, literal('')),
        else_=literal('failed'),  # cancelled at the gateway: the money has not gone back either
    ),
    deferred=True,
)


def of_customer(model: type[Invoice] | type[Payment] | type[Refund]) -> Callable[[int | None], ColumnElement[bool]]:
    """The lists' Customer filter: the records of the customer's orders (ix_orders_customer_placed_id, then the
    table's order index), not `customer_id = 12` over the worked-out value, which tests every row of the table."""

    def condition(customer_id: int | None) -> ColumnElement[bool]:
        owner = col(Order.customer_id)
        orders = select(col(Order.id)).where(owner.is_(None) if customer_id is None else owner == customer_id)
        return col(model.order_id).in_(orders)

    return condition
