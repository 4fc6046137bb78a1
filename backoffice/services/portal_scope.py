"""The one scope of the customer portal: every portal read and download goes through here, so nothing of another
customer is ever found (a wrong id is "not found", never "forbidden": it tells nothing of what exists).

A company's member (B2B) sees more, by their role: a company admin all the company's orders, invoices and requests; a
buyer and a viewer the company's orders and requests, and their own invoices. "The company's" records are those of
its contacts (customers whose `company_id` is the company), as on the staff's company page — a portal member's only
within their membership (from accepting a company admin's invitation until removed: `_whose`). A viewer reads only:
`require_write` refuses every change in the services, but a return of their own order (`order_to_return`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists
from sqlmodel import Session, and_, col, func, or_, select

from backoffice.errors import NotFound, ServiceError
from backoffice.i18n import N_, _
from backoffice.models import (
    Company,
    CompanyMember,
    CompanyMemberPeriod,
    CompanyRole,
    Customer,
    Invoice,
    Order,
    OrderStatus,
    Ticket,
)

NOT_FOUND = N_('Not found: nothing of yours has this number.')


@dataclass(frozen=True)
class PortalActor:
    """Who acts in the portal: a customer, and if they are a member of their company, the company and their role."""

    customer_id: int
    email: str
    name: str
    language: str | None
    company_id: int | None = None
    company_role: CompanyRole | None = None

    @classmethod
    def of(cls, customer: Customer, member: CompanyMember | None = None) -> PortalActor:
        if member is None:
            return cls(customer.id or 0, customer.email, customer.name, customer.language)
        role = CompanyRole(member.role)
        return cls(customer.id or 0, customer.email, customer.name, customer.language, member.company_id, role)

    @property
    def read_only(self) -> bool:
        """A company's viewer: reads, changes nothing (the services refuse; pages offer no write)."""
        return self.company_id is not None and self.company_role == CompanyRole.viewer

    @property
    def company_admin(self) -> bool:
        return self.company_id is not None and self.company_role == CompanyRole.admin


class ReadOnly(ServiceError):
    """A viewer of their company's account tried to change something."""


READ_ONLY = N_(
    'Your role in your company is "viewer": you can read everything here but not change it. Ask a company '
    'admin of yours for the buyer role.'
)


def actor_of(session: Session, customer: Customer) -> PortalActor:
    """The actor a signed-in customer is, read afresh at every page and action: their membership counts only while they
    are still their company's contact and the company is not in the trash (a removed member sees only their own)."""
    member = member_of(session, customer)
    return PortalActor.of(customer, member)


def member_of(session: Session, customer: Customer) -> CompanyMember | None:
    """The customer's membership, if it counts: accepted (an invitation they have not accepted makes them nothing of
    the company), not ended, of the company they are a contact of, that company not in the trash."""
    if customer.company_id is None:
        return None
    found = session.exec(
        select(CompanyMember)
        .join(Company, col(Company.id) == CompanyMember.company_id)
        .where(
            CompanyMember.customer_id == customer.id,
            CompanyMember.company_id == customer.company_id,
            col(CompanyMember.accepted_at).is_not(None),
            col(CompanyMember.ended_at).is_(None),
            col(Company.deleted_at).is_(None),
        )
    ).first()
    return found


def require_write(actor: PortalActor) -> None:
    """Refuse a change (a request, a reply, a rating) to a company's viewer, in words (a return of their own order is
    theirs to start: `order_to_return`)."""
    if actor.read_only:
        raise ReadOnly(_(READ_ONLY))


def company(session: Session, actor: PortalActor) -> Company:
    """The actor's company, if they are a member of one; else "not found"."""
    if actor.company_id is None:
        raise NotFound(_(NOT_FOUND))
    found = session.get(Company, actor.company_id)
    return _or_not_found(found if found is not None and found.deleted_at is None else None)


def _whose(actor: PortalActor, column: Any, at: Any, company_roles: tuple[CompanyRole, ...]) -> Any:
    """The clause choosing the records the actor may see by their customer column: their own, and their company's
    contacts' when their role sees the company's — a member's only those made (`at`) while they were one: from
    joining (an invitation accepted: what they bought before stays theirs) until removed. A contact the shop made
    part of the company without a membership shares all, as the staff's company page shows it."""
    if actor.company_id is None or actor.company_role not in company_roles:
        return column == actor.customer_id
    return or_(column == actor.customer_id, shared_with_company(actor.company_id, column, at))


def shared_with_company(company_id: int, column: Any, at: Any) -> Any:
    """The clause choosing the records (by their customer column, made at `at`) the company may see: its contacts',
    each member's only within a period they shared: their row's ([`shared_from`, `ended_at`); None: open) or an
    earlier one kept when they joined again (`CompanyMemberPeriod`). What the portal shows the company's members and
    what its reports cover."""
    contacts = select(Customer.id).where(Customer.company_id == company_id)

    def membership(field: Any) -> Any:
        return (
            select(field)
            .where(CompanyMember.customer_id == column, CompanyMember.company_id == company_id)
            .scalar_subquery()
        )

    start, end = membership(CompanyMember.shared_from), membership(CompanyMember.ended_at)
    earlier = exists().where(
        col(CompanyMemberPeriod.customer_id) == column,
        col(CompanyMemberPeriod.company_id) == company_id,
        or_(col(CompanyMemberPeriod.shared_from).is_(None), col(CompanyMemberPeriod.shared_from) <= at),
        col(CompanyMemberPeriod.ended_at) > at,
    )
    now = and_(or_(start.is_(None), start <= at), or_(end.is_(None), end > at))
    return and_(col(column).in_(contacts), or_(now, earlier))


EVERY_ROLE = (CompanyRole.admin, CompanyRole.buyer, CompanyRole.viewer)


def customer(session: Session, actor: PortalActor) -> Customer:
    """The actor's own customer record (not in the trash)."""
    found = session.get(Customer, actor.customer_id)
    return _or_not_found(found if found is not None and found.deleted_at is None else None)


def orders(actor: PortalActor, company_roles: tuple[CompanyRole, ...] = EVERY_ROLE) -> Any:
    """The actor's orders (never a draft staff are still putting together), newest first; the company's too for a
    member whose role is one of `company_roles` (every role reads them)."""
    return (
        select(Order)
        .where(_whose(actor, Order.customer_id, _placed(), company_roles), Order.status != OrderStatus.draft)
        .order_by(col(Order.placed_at).desc(), col(Order.id).desc())
    )


def order(session: Session, actor: PortalActor, number: str) -> Order:
    found = session.exec(orders(actor).where(Order.number == _order_number(number))).first()
    return _or_not_found(found)


# the roles that act for the company: a viewer reads the company's orders and acts on their own only
ACTING_FOR_COMPANY = (CompanyRole.admin, CompanyRole.buyer)


def order_to_return(session: Session, actor: PortalActor, number: str) -> Order:
    """An order the actor may send goods back from, or name in a return request: their own, and — for a member who
    acts for the company (admin, buyer) — the company's. A viewer reads the company's orders but a return of a
    colleague's order is not theirs to start: "not found", as for an order they do not see (the contact form is
    public: nobody learns there which numbers are the company's). The portal, the intake API and the contact form all
    ask this one function (`portal.start_return`, `tickets.return_order_problem`)."""
    statement = orders(actor, ACTING_FOR_COMPANY).where(Order.number == _order_number(number))
    return _or_not_found(session.exec(statement).first())


def _order_number(number: str) -> str:
    return str(number).strip().lstrip('#')[:40]


def order_by_id(session: Session, actor: PortalActor, order_id: int) -> Order:
    return _or_not_found(session.exec(orders(actor).where(Order.id == order_id)).first())


def documents(actor: PortalActor) -> Any:
    """The actor's invoices and credit notes (through their orders; a company admin's: the company's), newest first."""
    return (
        select(Invoice)
        .join(Order, col(Order.id) == Invoice.order_id)
        .where(_whose(actor, Order.customer_id, _placed(), (CompanyRole.admin,)), Order.status != OrderStatus.draft)
        .order_by(col(Invoice.issued_at).desc(), col(Invoice.id).desc())
    )


def document(session: Session, actor: PortalActor, invoice_id: int) -> Invoice:
    return _or_not_found(session.exec(documents(actor).where(Invoice.id == invoice_id)).first())


def requests(actor: PortalActor) -> Any:
    """The actor's requests (a member's: and the company's), most recently changed first."""
    return (
        select(Ticket)
        .where(_whose(actor, Ticket.customer_id, Ticket.created_at, EVERY_ROLE))
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


def _placed() -> Any:
    """When an order was made: placed, or created for one staff put together."""
    return func.coalesce(Order.placed_at, Order.created_at)


def _or_not_found(record: Any) -> Any:
    if record is None:
        raise NotFound(_(NOT_FOUND))
    return record
