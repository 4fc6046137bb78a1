"""Values the invoices, payments and refunds lists read with each record, worked out by the database from the rows
they point at (the order's customer and currency, an invoice's amounts signed by its kind and whether it is paid, a
refund's state at its gateway): read-only, never stored, so they cannot drift from the rows they are made of.

Each is a correlated subquery or a CASE over the record's own columns (`column_property`), read by the primary key or
an index of the row it points at; the lists filter and add up by them as by any column. Kept out of the default load
(`deferred`): a record read elsewhere (an order's page, the accounting export) reads its own columns only, and the
lists ask for them (`Resource.undeferred`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Numeric, String, and_, bindparam, case, func, literal, select, type_coerce
from sqlalchemy.orm import aliased, column_property

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


def _order_value(owner: type, column: str):
    return select(getattr(Order, column)).where(Order.id == owner.order_id).correlate(owner).scalar_subquery()


_credit = aliased(Invoice)
_credited = (
    select(func.coalesce(func.sum(_credit.total), literal(ZERO)))
    .where(_credit.kind == InvoiceKind.credit_note, _credit.corrects_id == Invoice.id)
    .correlate(Invoice)
    .scalar_subquery()
)
_amount_open = Invoice.total - _order_value(Invoice, 'paid_total') + _order_value(Invoice, 'refunded_total') - _credited


def _signed(amount):
    return type_coerce(case((Invoice.kind == InvoiceKind.credit_note, -amount), else_=amount), Numeric(12, 2))


# mypy does not see attributes added to a mapper after the class: the lists name them by their string
Invoice.customer_id = column_property(_order_value(Invoice, 'customer_id'), deferred=True)  # type: ignore[attr-defined]
Invoice.signed_net = column_property(_signed(Invoice.total - Invoice.tax_total), deferred=True)  # type: ignore[attr-defined]
Invoice.signed_tax = column_property(_signed(Invoice.tax_total), deferred=True)  # type: ignore[attr-defined]
Invoice.signed_total = column_property(_signed(Invoice.total), deferred=True)  # type: ignore[attr-defined]
Invoice.payment_status = column_property(  # type: ignore[attr-defined]
    case(
        (Invoice.kind != InvoiceKind.invoice, literal(None, String)),
        (_amount_open <= 0, literal('paid')),
        (
            and_(Invoice.due_on.is_not(None), Invoice.due_on < bindparam('shop_today', callable_=_shop_today)),
            literal('overdue'),
        ),
        else_=literal('open'),
    ),
    deferred=True,
)

Payment.customer_id = column_property(_order_value(Payment, 'customer_id'), deferred=True)  # type: ignore[attr-defined]
Payment.currency = column_property(_order_value(Payment, 'currency'), deferred=True)  # type: ignore[attr-defined]

Refund.customer_id = column_property(_order_value(Refund, 'customer_id'), deferred=True)  # type: ignore[attr-defined]
Refund.currency = column_property(_order_value(Refund, 'currency'), deferred=True)  # type: ignore[attr-defined]
# a refund, or the reversal of one that failed at the bank after it was booked (a negative amount), as /accounting
Refund.kind = column_property(  # type: ignore[attr-defined]
    case((Refund.amount < 0, literal('reversal')), else_=literal('refund')), deferred=True
)
# how it was paid back: the payment it refunds (its method), else the gateway it was sent to
Refund.method = column_property(  # type: ignore[attr-defined]
    func.coalesce(
        select(Payment.method).where(Payment.id == Refund.payment_id).correlate(Refund).scalar_subquery(),
        select(GatewayRefund.provider)
        .where(GatewayRefund.refund_id == Refund.id)
        .order_by(GatewayRefund.id.desc())
        .limit(1)
        .correlate(Refund)
        .scalar_subquery(),
    ),
    deferred=True,
)
_latest_gateway_status = (
    select(GatewayRefund.status)
    .where(GatewayRefund.refund_id == Refund.id)
    .order_by(GatewayRefund.id.desc())
    .limit(1)
    .correlate(Refund)
    .scalar_subquery()
)
Refund.gateway_state = column_property(  # type: ignore[attr-defined]
    case(
        {'': 'manual', **GATEWAY_TO_STATE},
        value=func.coalesce(_latest_gateway_status, literal('')),
        else_=literal('failed'),  # cancelled at the gateway: the money has not gone back either
    ),
    deferred=True,
)
