"""The customer portal in tests: a customer invited by staff (the link read from the outbox, as the email carries it)
and signed in through that link in NiceGUI's simulated browser."""

from __future__ import annotations

import re

from nicegui.testing import User as SimulatedUser
from sqlmodel import col, select

from backoffice.db import read_session, session_scope
from backoffice.models import Carrier, Customer, Invoice, Order, StaffMail
from backoffice.services import orders, portal_access

from .factories import advance, fresh, make_customer, make_product, make_user, pay, place
from .waiting import eventually

LINK = re.compile(r'https?://[^\s]+(/portal/link\?token=[\w%-]+)')


def invite(customer: Customer) -> str:
    """An agent invites the customer; returns the path of the link the invitation email carries."""
    agent = make_user('agent')
    with session_scope() as session:
        portal_access.invite(session=session, actor=agent, customer_id=customer.id, base_url='http://shop.test')
    return last_link(customer.email)


def last_link(email: str) -> str:
    """The path of the newest portal link emailed to this address."""
    with read_session() as session:
        mail = session.exec(
            select(StaffMail).where(StaffMail.to_address == email).order_by(col(StaffMail.id).desc())
        ).first()
    assert mail is not None, f'no email to {email}'
    found = LINK.search(mail.body)
    assert found, mail.body
    return found.group(1)


async def enter_portal(user: SimulatedUser, email: str, *, name: str = '') -> Customer:
    """A customer (made if needed) invited and signed in through the invitation's link, on /portal."""
    with read_session() as session:
        customer = session.exec(select(Customer).where(Customer.email == email)).first()
    customer = customer or make_customer(email, name=name)
    await user.open(invite(customer))
    pages_opened = len(user.back_history)
    user.find(marker='portal-open').click()
    await eventually(lambda: len(user.back_history) > pages_opened, message='the link signs the customer in')
    await user.should_see(marker='portal-shop')
    return customer


def delivered_order(email: str, *, sku: str, tracking: str = 'TRACK1') -> Order:
    """An order of this customer's paid (so invoiced), shipped with a DHL tracking number, and delivered."""
    manager = make_user('manager')
    make_product(sku, '12.50', name=f'Mug {sku}', stock_on_hand=10, actor=manager)
    order = place((sku, 2), email=email)
    pay(manager, order)
    advance(manager, order, 'pack')
    with session_scope() as session:
        carrier = session.exec(select(Carrier).where(Carrier.code == 'dhl')).first()
        if carrier is None:
            carrier = Carrier(code='dhl', name='DHL', tracking_url_template='https://track.example/{tracking}')
            session.add(carrier)
            session.commit()
        carrier_id = carrier.id
    current = fresh(order.id)
    with session_scope() as session:
        orders.ship(
            session=session,
            actor=manager,
            order_id=order.id,
            version=current.version,
            carrier_id=carrier_id,
            tracking_number=tracking,
        )
    return advance(manager, order, 'deliver')


def invoice_of(order: Order) -> Invoice:
    with read_session() as session:
        return session.exec(select(Invoice).where(Invoice.order_id == order.id)).one()
