"""A customer's and a company's whole picture: their orders, requests, returns, invoices, usage and segments, the most
recent first, each read by an index and shown only to those who may read it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from backoffice import formatting
from backoffice.engine.declaration import SectionRow, SectionRows, shown
from backoffice.errors import ValidationFailed
from backoffice.i18n import N_, NP_, _
from backoffice.models import Company, Customer, EventType, Invoice, Order, Payment, Return, Ticket, UsageEvent
from backoffice.permissions import can, require
from backoffice.services import invoices, orders, segments

COUNT_CAP = 1000  # counts stop here ("1,000+"): a customer with a million events still opens at once

EVENT_LABELS = {
    EventType.visit: N_('Visit'),
    EventType.page_view: N_('Page view'),
    EventType.signup_started: N_('Started signing up'),
    # what the customer did, not when (the record's "Signed up" date is "Inscrit le"): "S'est inscrit"
    EventType.signup_completed: NP_('customer activity', 'Signed up'),
    EventType.login: NP_('customer activity', 'Signed in'),
    EventType.product_viewed: N_('Viewed a product'),
    EventType.cart_add: N_('Added to cart'),
    EventType.checkout_started: N_('Started checkout'),
    EventType.order_placed: N_('Placed an order'),
}


# --- a customer ------------------------------------------------------------------------------------------------------


def customer_orders(*, session: Session, actor: Any, record_id: int, limit: int) -> SectionRows:
    require(actor, 'orders.read')
    where: list[Any] = [Order.customer_id == record_id]  # ix_orders_customer_placed_id, newest first
    found = session.execute(
        select(Order).where(*where).order_by(col(Order.placed_at).desc(), col(Order.id).desc()).limit(limit)
    ).scalars()
    return _rows(
        session,
        [_order_row(order) for order in found],
        Order,
        where,
        see_all=f'/orders?customer_id={record_id}',
    )


def customer_requests(*, session: Session, actor: Any, record_id: int, limit: int) -> SectionRows:
    require(actor, 'tickets.read')
    where: list[Any] = [Ticket.customer_id == record_id]  # ix_tickets_customer_id (its ids in order)
    found = session.execute(select(Ticket).where(*where).order_by(col(Ticket.id).desc()).limit(limit)).scalars()
    return _rows(
        session,
        [_request_row(ticket) for ticket in found],
        Ticket,
        where,
        see_all=f'/requests?customer_id={record_id}',
    )


def other_requests(*, session: Session, actor: Any, ticket: Ticket, limit: int = 5) -> SectionRows:
    """The customer's other requests, the newest first, beside a request: their history at a glance (the same problem
    asked before, a request still open elsewhere), with the address of all of them."""
    require(actor, 'tickets.read')
    where: list[Any] = [Ticket.customer_id == ticket.customer_id, Ticket.id != ticket.id]
    found = session.execute(select(Ticket).where(*where).order_by(col(Ticket.id).desc()).limit(limit)).scalars()
    return _rows(
        session,
        [_request_row(other) for other in found],
        Ticket,
        where,
        see_all=f'/requests?customer_id={ticket.customer_id}',
    )


def customer_returns(*, session: Session, actor: Any, record_id: int, limit: int) -> SectionRows:
    require(actor, 'orders.read')
    where: list[Any] = [Return.customer_id == record_id]  # ix_returns_customer_id
    found = session.execute(
        select(Return, col(Order.number))
        .join(Order, col(Order.id) == col(Return.order_id))
        .where(*where)
        .order_by(col(Return.id).desc())
        .limit(limit)
    ).all()
    rows = [
        SectionRow(
            title=_('Return {number}').format(number=rma.number),
            detail=_('Order {number}').format(number=number),
            at=rma.created_at,
            href=f'/orders/{number}',
            status=rma.status.value,
        )
        for rma, number in found
    ]
    return _rows(session, rows, Return, where, see_all=f'/returns?customer_id={record_id}')


def customer_documents(*, session: Session, actor: Any, record_id: int, limit: int) -> SectionRows:
    """Invoices and credit notes, through the customer's orders (ix_orders_customer_placed_id, then
    ix_invoices_order); each opens its order, where its PDF is."""
    require(actor, 'invoices.read')
    where: list[Any] = [Order.customer_id == record_id]
    found = session.execute(
        select(
            col(Invoice.number),
            col(Invoice.kind),
            col(Invoice.total),
            col(Invoice.currency),
            col(Invoice.issued_at),
            col(Order.number),
        )
        .join(Order, col(Order.id) == col(Invoice.order_id))
        .where(*where)
        .order_by(col(Invoice.id).desc())
        .limit(limit)
    ).all()
    rows = [
        SectionRow(
            title=_(invoices.DOCUMENT_LABELS.get(kind.value, kind.value + ' {number}')).format(number=number),
            detail=_('{amount} · Order {number}').format(
                amount=formatting.money(invoices.signed_total(kind, total), currency), number=order_number
            ),
            at=issued_at,
            href=f'/orders/{order_number}',
        )
        for number, kind, total, currency, issued_at, order_number in found
    ]
    counted = (
        select(col(Invoice.id)).join(Order, col(Order.id) == col(Invoice.order_id)).where(*where).limit(COUNT_CAP + 1)
    )
    return _counted(session, rows, counted, see_all=f'/invoices?customer_id={record_id}')


def customer_payments(*, session: Session, actor: Any, record_id: int, limit: int) -> SectionRows:
    """Payments received on the customer's orders (ix_orders_customer_placed_id, then ix_payments_order), the
    latest first; each opens its order. "See all" is /payments filtered to them."""
    require(actor, 'orders.read')
    where: list[Any] = [Order.customer_id == record_id]
    found = session.execute(
        select(col(Payment.amount), col(Order.currency), col(Payment.paid_at), col(Order.number))
        .join(Order, col(Order.id) == col(Payment.order_id))
        .where(*where)
        .order_by(col(Payment.id).desc())
        .limit(limit)
    ).all()
    rows = [
        SectionRow(
            title=formatting.money(amount, currency),
            detail=_('Order {number}').format(number=order_number),
            at=paid_at,
            href=f'/orders/{order_number}',
        )
        for amount, currency, paid_at, order_number in found
    ]
    counted = (
        select(col(Payment.id)).join(Order, col(Order.id) == col(Payment.order_id)).where(*where).limit(COUNT_CAP + 1)
    )
    return _counted(session, rows, counted, see_all=f'/payments?customer_id={record_id}')


def customer_usage(*, session: Session, actor: Any, record_id: int, limit: int) -> SectionRows:
    """What the customer did last in the front office (ix_usage_events_customer_ts)."""
    require(actor, 'customers.read')
    where: list[Any] = [UsageEvent.customer_id == record_id]
    found = session.execute(select(UsageEvent).where(*where).order_by(col(UsageEvent.ts).desc()).limit(limit)).scalars()
    rows = [SectionRow(title=_event_label(event.type), at=event.ts) for event in found]
    return _rows(session, rows, UsageEvent, where)


def customer_segments(*, session: Session, actor: Any, record_id: int, limit: int) -> SectionRows:
    """The saved segments the customer is in now: each segment's conditions narrowed to this one customer."""
    require(actor, 'segments.read')
    member_of: list[SectionRow] = []
    for segment in segments.saved_segments(session=session):
        try:
            which = segments.read_filters(segment.filters)
        except ValidationFailed:  # a segment saved under older rules is not one this customer can be in
            continue
        conditions = segments.conditions(session, which, customer_id=record_id)
        found = session.execute(select(col(Customer.id)).where(col(Customer.id) == record_id, *conditions)).first()
        if found is not None:
            member_of.append(SectionRow(title=segment.name, href='/segments'))
    return SectionRows(rows=member_of[:limit], total=len(member_of), see_all='/segments' if member_of else '')


def company_of(*, session: Session, actor: Any, customer_id: int) -> tuple[int, str] | None:
    """The id and name of a customer's company, for a link to it (None without one, or for a reader of no companies)."""
    if not can(actor, 'customers.read'):
        return None
    found = session.execute(
        select(col(Company.id), col(Company.name))
        .join(Customer, col(Customer.company_id) == col(Company.id))
        .where(col(Customer.id) == customer_id, col(Company.deleted_at).is_(None))
    ).first()
    return (found[0], found[1]) if found is not None else None


# --- a company -------------------------------------------------------------------------------------------------------


def company_contacts(*, session: Session, actor: Any, record_id: int, limit: int) -> SectionRows:
    require(actor, 'customers.read')
    where: list[Any] = [Customer.company_id == record_id, col(Customer.deleted_at).is_(None)]  # ix_customers_company_id
    found = session.execute(select(Customer).where(*where).order_by(col(Customer.id).desc()).limit(limit)).scalars()
    rows = [
        SectionRow(
            title=customer.name or customer.email,
            detail=customer.email if customer.name else '',
            href=f'/customers/{customer.id}',
            status=customer.status.value,
        )
        for customer in found
    ]
    return _rows(session, rows, Customer, where, see_all=f'/customers?company_id={record_id}')


def company_orders(*, session: Session, actor: Any, record_id: int, limit: int) -> SectionRows:
    """The orders of the company's contacts: each contact's by ix_orders_customer_placed_id."""
    require(actor, 'orders.read')
    where: list[Any] = [col(Order.customer_id).in_(_contacts(record_id))]
    found = session.execute(_newest_of_contacts(Order, Order.placed_at, record_id, limit)).scalars()
    return _rows(session, [_order_row(order) for order in found], Order, where)


def company_requests(*, session: Session, actor: Any, record_id: int, limit: int) -> SectionRows:
    require(actor, 'tickets.read')
    where: list[Any] = [col(Ticket.customer_id).in_(_contacts(record_id))]
    found = session.execute(_newest_of_contacts(Ticket, Ticket.id, record_id, limit)).scalars()
    return _rows(session, [_request_row(ticket) for ticket in found], Ticket, where)


def _contacts(company_id: int) -> Any:
    return select(col(Customer.id)).where(col(Customer.company_id) == company_id)


def _newest_of_contacts(model: Any, newest: Any, company_id: int, limit: int) -> Any:
    """The newest rows of the company's contacts, read contact by contact (their customer_id index) into a
    materialized set, sorted there, and only the first `limit` rows read whole. Left to itself, PostgreSQL walks the
    whole table's date index backwards, probing each row's customer for the company: 70 ms for a large company at a
    million orders, the whole index for a small one."""
    theirs = (
        select(model.id.label('id'), newest.label('newest'))
        .where(col(model.customer_id).in_(_contacts(company_id)))
        .cte(f'company_{model.__tablename__}')
        .prefix_with('MATERIALIZED')
    )
    first = select(theirs).order_by(theirs.c.newest.desc(), theirs.c.id.desc()).limit(limit).subquery()
    return select(model).join(first, first.c.id == model.id).order_by(first.c.newest.desc(), first.c.id.desc())


# --- helpers ---------------------------------------------------------------------------------------------------------


def _order_row(order: Order) -> SectionRow:
    return SectionRow(
        title=_('Order {number}').format(number=order.number),
        detail=formatting.money(order.total, order.currency),
        at=order.placed_at,
        href=f'/orders/{order.number}',
        status=orders.status_shown(order),  # a paid order refunded reads Refunded
    )


def _request_row(ticket: Ticket) -> SectionRow:
    return SectionRow(
        title=ticket.subject,
        detail=f'#{ticket.number}',
        at=ticket.created_at,
        href=f'/requests/{ticket.number}',
        status=ticket.status.value,
    )


def _rows(session: Session, rows: list[SectionRow], model: Any, where: list[Any], see_all: str = '') -> SectionRows:
    return _counted(session, rows, select(model.id).where(*where).limit(COUNT_CAP + 1), see_all)


def _counted(session: Session, rows: list[SectionRow], ids: Any, see_all: str = '') -> SectionRows:
    """Count at most COUNT_CAP + 1 rows, so that a count never reads more than that many index entries."""
    total = session.execute(select(func.count()).select_from(ids.subquery())).scalar_one()
    return SectionRows(rows=rows, total=min(total, COUNT_CAP), more=total > COUNT_CAP, see_all=see_all if total else '')


def _event_label(value: int) -> str:
    try:
        return shown(EVENT_LABELS[EventType(value)])
    except ValueError:
        return _('Other activity')
