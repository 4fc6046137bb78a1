"""The one scope of the customer portal: every portal read and download goes through here, so nothing of another
customer is ever found (a wrong id is "not found", never "forbidden": it tells nothing of what exists)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from backoffice.errors import NotFound
from backoffice.i18n import N_, _
from backoffice.models import Customer, Invoice, Order, OrderStatus, Ticket

NOT_FOUND = N_('Not found: nothing of yours has this number.')


@dataclass(frozen=True)
class PortalActor:
    """Who acts in the portal: a customer (a company's member, with their company, once B2B members exist)."""

    customer_id: int
    email: str
    name: str
    language: str | None
    company_id: int | None = None

    @classmethod
    def of(cls, customer: Customer) -> PortalActor:
        return cls(customer.id or 0, customer.email, customer.name, customer.language)


def customer(session: Session, actor: PortalActor) -> Customer:
    """The actor's own customer record (not in the trash)."""
    found = session.get(Customer, actor.customer_id)
    return _or_not_found(found if found is not None and found.deleted_at is None else None)


def orders(actor: PortalActor) -> Any:
    """The actor's orders (never a draft staff are still putting together), newest first."""
    return (
        select(Order)
        .where(Order.customer_id == actor.customer_id, Order.status != OrderStatus.draft)
        .order_by(col(Order.placed_at).desc(), col(Order.id).desc())
    )


def order(session: Session, actor: PortalActor, number: str) -> Order:
    found = session.exec(orders(actor).where(Order.number == str(number).strip().lstrip('#')[:40])).first()
    return _or_not_found(found)


def order_by_id(session: Session, actor: PortalActor, order_id: int) -> Order:
    return _or_not_found(session.exec(orders(actor).where(Order.id == order_id)).first())


def documents(actor: PortalActor) -> Any:
    """The actor's invoices and credit notes (through their orders), newest first."""
    return (
        select(Invoice)
        .join(Order, col(Order.id) == Invoice.order_id)
        .where(Order.customer_id == actor.customer_id, Order.status != OrderStatus.draft)
        .order_by(col(Invoice.issued_at).desc(), col(Invoice.id).desc())
    )


def document(session: Session, actor: PortalActor, invoice_id: int) -> Invoice:
    return _or_not_found(session.exec(documents(actor).where(Invoice.id == invoice_id)).first())


def requests(actor: PortalActor) -> Any:
    """The actor's requests, most recently changed first."""
    return (
        select(Ticket)
        .where(Ticket.customer_id == actor.customer_id)
        .order_by(col(Ticket.updated_at).desc(), col(Ticket.id).desc())
    )


def request(session: Session, actor: PortalActor, number: int | str) -> Ticket:
    try:
        wanted = int(str(number).strip().lstrip('#'))
    except ValueError:
        raise NotFound(_(NOT_FOUND)) from None
    if not 0 < wanted <= 2**31 - 1:
        raise NotFound(_(NOT_FOUND))
    return _or_not_found(session.exec(requests(actor).where(Ticket.number == wanted)).first())


def request_by_id(session: Session, actor: PortalActor, ticket_id: int) -> Ticket:
    return _or_not_found(session.exec(requests(actor).where(Ticket.id == ticket_id)).first())


def _or_not_found(record: Any) -> Any:
    if record is None:
        raise NotFound(_(NOT_FOUND))
    return record
