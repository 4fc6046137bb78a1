"""Test data made through the real services, so it is exactly what the app would have written: staff, customers,
the catalogue, orders and stock, requests and content; and a few reads of what is stored."""

from __future__ import annotations

import itertools
import struct
import zlib
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import col, func, select

from backoffice.db import read_session, session_scope
from backoffice.models import (
    Category,
    ContentEntry,
    Customer,
    Order,
    Payment,
    Product,
    Return,
    Role,
    Shipment,
    StaffRole,
    StockLevel,
    Ticket,
    User,
)
from backoffice.resources import resource
from backoffice.services import content, crud, orders, payments, purchases, returns, roles, tickets, users
from backoffice.services.customers import ban_customer

PASSWORD = 'Correct-horse-9'
_numbers = itertools.count(1)

NAMES = {Role.admin: 'Ada Admin', Role.manager: 'Max Manager', Role.agent: 'Alex Agent', Role.viewer: 'Vic Viewer'}


# --- staff and customers ---------------------------------------------------------------------------------------------


def make_user(
    role: Role | str = Role.agent,
    *,
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    active: bool = True,
) -> User:
    """A member of staff of a built-in role ('agent') or a custom role's key ('custom-3', see make_role)."""
    number = next(_numbers)
    with session_scope() as session:
        created = users.create_user(
            session=session,
            actor=None,
            system=True,
            data={
                'email': email or f'{role.replace("-", "")}{number}@example.com',
                'name': name or NAMES.get(role, 'Cam Custom'),  # type: ignore[call-overload]
                'role': str(role),
                'password': password,
            },
        )
        user = created.user
        if not active:
            user.is_active = False
            session.add(user)
            session.commit()
        return user


def change_user(actor: User, person: User, **values: Any) -> User:
    """An admin's edit of a member of staff (role, name…) on their current version, whatever changed since."""
    with session_scope() as session:
        version = session.get(User, person.id).version
        return users.update_user(session=session, actor=actor, user_id=person.id, version=version, **values)


def make_role(*granted: str, name: str | None = None, description: str = '') -> StaffRole:
    """A custom role granting exactly these permissions, made by an admin through the service."""
    admin = _an_admin()
    with session_scope() as session:
        return roles.create_role(
            session=session,
            actor=admin,
            name=name or f'Role {next(_numbers)}',
            description=description,
            granted=set(granted),
        )


def grant_only(actor: User, role: StaffRole, *granted: str) -> StaffRole:
    """What an admin does on /roles to a custom role: it grants exactly these permissions from now on (its name and
    description as they were), whatever its holders have open."""
    with session_scope() as session:
        return roles.update_role(
            session=session,
            actor=actor,
            role_id=role.id,
            version=session.get(StaffRole, role.id).version,
            name=role.name,
            description=role.description,
            granted=set(granted),
        )


def _an_admin() -> User:
    with session_scope() as session:
        found = session.exec(select(User).where(User.role == Role.admin, col(User.is_active).is_(True))).first()
    return found or make_user(Role.admin, email=f'role.maker{next(_numbers)}@example.com')


def make_customer(
    email: str, *, name: str = '', status: str = 'active', company_id: int | None = None, consent: bool = False
):
    with session_scope() as session:
        return crud.create_record(
            session=session,
            actor=None,
            system=True,
            resource=resource('customers'),
            data={
                'email': email,
                'name': name,
                'status': status,
                'company_id': company_id,
                'marketing_consent': consent,
            },
        )


def merge_customers(kept: Customer, twin: Customer, actor: User | None = None) -> None:
    """Staff merge `twin` into `kept` (as the customer page's Merge does), each at the version given."""
    from backoffice.services import customer_merge

    with session_scope() as session:
        customer_merge.merge_customers(
            session=session,
            actor=actor or make_user('admin'),
            keep_id=kept.id,
            keep_version=kept.version,
            other_id=twin.id,
            other_version=twin.version,
        )


def make_company(name: str, **fields: Any):
    """A company; `fields`: vat_number, payment_terms_days (15, 30 or 60)…"""
    with session_scope() as session:
        return crud.create_record(
            session=session, actor=None, system=True, resource=resource('companies'), data={'name': name, **fields}
        )


def banned_customer(email: str) -> None:
    """A customer a manager has banned (for abusive messages)."""
    customer, manager = make_customer(email), make_user('manager')
    with session_scope() as session:
        ban_customer(
            session=session, actor=manager, record_id=customer.id, version=customer.version, reason='Abusive messages'
        )


# --- catalogue -------------------------------------------------------------------------------------------------------


def make_category(name: str, parent_id: int | None = None) -> Category:
    with session_scope() as session:
        return crud.create_record(
            session=session,
            actor=None,
            system=True,
            resource=resource('categories'),
            data={'name': name, 'parent_id': parent_id},
        )


def make_product(
    sku: str,
    price: str = '10.00',
    *,
    name: str | None = None,
    stock_on_hand: int | None = None,
    actor: User | None = None,
    currency: str = 'EUR',
    category_id: int | None = None,
    active: bool = True,
    stocked: bool = True,
) -> Product:
    """A product (named "Product <sku>" unless named), with stock received by `actor` when stock_on_hand is given."""
    with session_scope() as session:
        product = crud.create_record(
            session=session,
            actor=None,
            system=True,
            resource=resource('products'),
            data={
                'sku': sku,
                'name': name or f'Product {sku}',
                'price': price,
                'currency': currency,
                'category_id': category_id,
                'active': active,
                'stocked': stocked,
            },
        )
    if stock_on_hand is not None:
        receive(actor, product.id, stock_on_hand)
    return product


def tiny_png() -> bytes:
    """A real 1×1 PNG, made here rather than kept as a binary file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack('>IIBBBBB', 1, 1, 8, 2, 0, 0, 0)
    return (
        b'\x89PNG\r\n\x1a\n'
        + chunk(b'IHDR', header)
        + chunk(b'IDAT', zlib.compress(b'\x00\xff\x80\x00'))
        + chunk(b'IEND', b'')
    )


# --- orders and stock ------------------------------------------------------------------------------------------------


def receive(actor: User | None, product_id: int, quantity: int) -> None:
    with session_scope() as session:
        purchases.receive_purchase(
            session=session,
            actor=actor,
            supplier='Acme',
            reference='PO-1',
            lines=[{'product_id': product_id, 'quantity': quantity}],
        )


def place(
    *lines: tuple[str, int] | tuple[str, int, str],
    email: str = 'cleo@example.com',
    external_id: str | None = None,
    **fields,
) -> Order:
    """An order as the front office places it: lines of (sku, quantity[, discount percent])."""
    data = {
        'email': email,
        'external_id': external_id,
        'shipping_address': '1 Main St\n10115 Berlin',
        'lines': [
            {'sku': line[0], 'quantity': line[1], **({'discount_percent': line[2]} if len(line) > 2 else {})}
            for line in lines
        ],
        **fields,
    }
    with session_scope() as session:
        return orders.place_order(session=session, data=data).order


def on_terms(order: Order, days: int | None = 30) -> None:
    """The order's customer is given payment terms (net `days`): their orders are invoiced before they pay."""
    with session_scope() as session:
        customer = session.get(Customer, order.customer_id)
        customer.payment_terms_days = days
        session.add(customer)
        session.commit()


def pay(actor: User, order: Order, amount: str | Decimal | None = None, *, reference: str | None = None) -> None:
    """A bank transfer recorded on the order; each its own bank line (the order's first BANK-1, its second BANK-2…)
    unless `reference` says."""
    with session_scope() as session:
        if reference is None:
            paid = session.exec(select(func.count()).select_from(Payment).where(Payment.order_id == order.id)).one()
            reference = f'BANK-{paid + 1}'
        payments.record_payment(
            session=session,
            actor=actor,
            order_id=order.id,
            amount=amount if amount is not None else order.total,
            reference=reference,
        )


def advance(actor: User, order: Order, *steps: str) -> Order:
    """Move an order along the flow: 'pack', 'ship', 'deliver'."""
    for step in steps:
        order = fresh(order.id)
        with session_scope() as session:
            getattr(orders, step)(session=session, actor=actor, order_id=order.id, version=order.version)
    return fresh(order.id)


def ship_with(actor: User, order: Order, **fields: Any) -> Shipment:
    """Ship the order as it is now (its current version) with these fields: a carrier, a tracking number, lines."""
    with session_scope() as session:
        current = orders.get_order(session=session, actor=actor, number=order.number)
        return orders.ship(session=session, actor=actor, order_id=current.id, version=current.version, **fields)


def start_return(
    actor: User, order: Order, quantity: int = 1, *, reason: str = '', line_reason: str | None = None
) -> Return:
    """A return of `quantity` of the order's first line (shipped), as staff record it; `line_reason` is the line's."""
    with read_session() as session:
        line = orders.order_lines(session, order.id)[0]
    returned: dict[str, Any] = {'order_line_id': line.id, 'quantity': quantity}
    if line_reason is not None:
        returned['reason'] = line_reason
    with session_scope() as session:
        return returns.create_return(session=session, actor=actor, order_id=order.id, reason=reason, lines=[returned])


def receive_return(actor: User, rma: Return) -> Return:
    """The return's parcel is back, its items on the shelf again."""
    with session_scope() as session:
        return returns.receive(session=session, actor=actor, return_id=rma.id)


def refund_return(actor: User, rma: Return) -> Return:
    """A received return refunded by the amount the refund dialog offers (the service's quote)."""
    with session_scope() as session:
        quote = returns.refund_quote(session=session, actor=actor, return_id=rma.id)
        return returns.resolve(session=session, actor=actor, return_id=rma.id, resolution='refund', amount=quote.amount)


def fresh(order_id: int) -> Order:
    """The order as stored now."""
    with read_session() as session:
        return session.get(Order, order_id)


def level(product_id: int) -> StockLevel:
    """The product's stock level as stored now."""
    with read_session() as session:
        return session.exec(select(StockLevel).where(StockLevel.product_id == product_id)).one()


def orders_count() -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(Order)).one()


# --- support requests ------------------------------------------------------------------------------------------------


def submit_request(
    subject: str = 'Where is my parcel?',
    *,
    email: str = 'cora@example.com',
    name: str = 'Cora Customer',
    body: str = 'It has been two weeks.',
    order_number: str | None = 'A-1001',
) -> Ticket:
    """A request as a customer sends it through the contact form or the intake API."""
    with session_scope() as session:
        return tickets.submit_request(
            session=session, email=email, name=name, subject=subject, body=body, order_number=order_number
        )


def stored_request(number: int) -> Ticket:
    """The request with this number as stored now."""
    with read_session() as session:
        return session.exec(select(Ticket).where(Ticket.number == number)).one()


# --- content ---------------------------------------------------------------------------------------------------------


def make_content(
    slug: str, *, title: str = 'A title', kind: str = 'page', body: str = '', publish_at=None, published: bool = False
) -> ContentEntry:
    with session_scope() as session:
        entry = crud.create_record(
            session=session,
            actor=None,
            system=True,
            resource=resource('content'),
            data={'slug': slug, 'title': title, 'kind': kind, 'body': body, 'publish_at': publish_at},
        )
    return publish_content(entry) if published else entry


def publish_content(entry: ContentEntry, *, actor=None, now=None) -> ContentEntry:
    with session_scope() as session:
        return content.publish_content(
            session=session, actor=actor, system=actor is None, record_id=entry.id, version=entry.version, now=now
        ).record


def edit_content(entry: ContentEntry, actor, **changes: Any) -> ContentEntry:
    with session_scope() as session:
        return crud.update_record(
            session=session,
            actor=actor,
            resource=resource('content'),
            record_id=entry.id,
            version=entry.version,
            changes=changes,
        )


def paid_order(
    customer: Customer,
    placed_at: datetime,
    total: str | Decimal = '40.00',
    *,
    number: str,
    status: str = 'paid',
    currency: str = 'EUR',
) -> Order:
    """A paid order placed at `placed_at`, written straight to the table as the KPIs read it (no stock, no payment
    row): what the dashboard's and the KPIs' tests count. `status`: another one for an order not paid (pending)."""
    order = Order(
        number=number,
        customer_id=customer.id,
        email=customer.email,
        status=status,
        currency=currency,
        total=Decimal(total),
        placed_at=placed_at,
    )
    with session_scope() as session:
        session.add(order)
        session.commit()
        session.refresh(order)
        session.expunge(order)
    return order
